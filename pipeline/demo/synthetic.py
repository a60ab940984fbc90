"""Deterministic SYNTHETIC OpenSky flight objects for the Venezuela Nov-Dec 2025 demo replay.

A scenario (TOML) lists scheduled routes; every operated, ADS-B-observed flight becomes one
object shaped like the answer of OpenSky's REST `/flights/arrival` and `/flights/departure`.
Randomness comes only from per-(route, day) string seeds, so the output never changes between
runs, machines or Python hash seeds.
"""

from __future__ import annotations

import hashlib
import random
import tomllib
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Literal

DEFAULT_SCENARIO = Path(__file__).with_name("venezuela_2025.toml")
FLEET_SIZE = 4  # aircraft per airline, so the same icao24 shows up on many flights
_DAY_SECONDS = 86_400
# direction -> (airport field, time field) that OpenSky filters on
_FILTERS = {
    "arrival": ("estArrivalAirport", "lastSeen"),
    "departure": ("estDepartureAirport", "firstSeen"),
}


@dataclass(frozen=True)
class Route:
    carrier: str | None  # ICAO airline designator; None for private or unknown operators
    callsign: str | None  # None: OpenSky reports callsign null
    origin: str | None  # None: OpenSky could not determine the departure airport
    dest: str
    days: frozenset[int]  # ISO weekdays operated
    departure: time  # scheduled off-block, UTC
    block_minutes: int
    first_flight: date | None
    last_flight: date | None
    why: str
    detour_from: date | None = None  # from this UTC day on, each flight takes longer by
    detour_minutes: int = 0          # this much (a way round closed or avoided airspace)

    @property
    def key(self) -> str:
        return f"{self.callsign or '-'}:{self.origin or '-'}>{self.dest}@{self.departure:%H%M}"

    def operates_on(self, day: date) -> bool:
        return (
            day.isoweekday() in self.days
            and (self.first_flight is None or day >= self.first_flight)
            and (self.last_flight is None or day <= self.last_flight)
        )


@dataclass(frozen=True)
class Scenario:
    start: date
    end: date  # inclusive
    seed: int
    coverage: float  # probability that a flight is observed at all
    routes: tuple[Route, ...]


def load_scenario(path: Path | None = None) -> Scenario:
    with (path or DEFAULT_SCENARIO).open("rb") as fh:
        raw = tomllib.load(fh)
    routes = tuple(_parse_route(r) for r in raw["route"])
    keys = [r.key for r in routes]
    if len(set(keys)) != len(keys):
        raise ValueError("duplicate routes in scenario (same callsign, airports and time)")
    coverage = float(raw["coverage"])
    if not 0 < coverage <= 1:
        raise ValueError(f"coverage must be in (0, 1], got {coverage}")
    return Scenario(raw["start"], raw["end"], int(raw["seed"]), coverage, routes)


def _parse_route(raw: dict[str, Any]) -> Route:
    prefix = raw.get("callsign_prefix")
    callsign = f"{prefix}{raw.get('flight_number', '')}" if prefix else None
    if callsign is not None and len(callsign) > 8:
        raise ValueError(f"callsign {callsign!r} is longer than 8 characters")
    days = range(1, 8) if raw["days"] == "daily" else raw["days"]
    if not set(days) <= set(range(1, 8)):
        raise ValueError(f"days must be ISO weekdays 1-7 or 'daily', got {raw['days']!r}")
    return Route(
        carrier=raw.get("carrier"),
        callsign=callsign,
        origin=raw.get("origin"),
        dest=raw["dest"],
        days=frozenset(days),
        departure=time.fromisoformat(raw["departure"]),
        block_minutes=int(raw["block_minutes"]),
        first_flight=raw.get("first_flight"),
        last_flight=raw.get("last_flight"),
        why=raw["why"],
        detour_from=raw.get("detour_from"),
        detour_minutes=int(raw.get("detour_minutes", 0)),
    )


def synthesize_flights(scenario: Scenario) -> list[dict[str, Any]]:
    """Every observed flight of the window, sorted by firstSeen."""
    flights = []
    n_days = (scenario.end - scenario.start).days + 1
    for route in scenario.routes:
        fleet = _fleet(route)
        for day in (scenario.start + timedelta(days=i) for i in range(n_days)):
            if not route.operates_on(day):
                continue
            rng = random.Random(f"{scenario.seed}:{route.key}:{day.isoformat()}")
            # Drawn first so a lower coverage only removes flights and never changes the rest.
            if rng.random() >= scenario.coverage:
                continue
            flights.append(_flight(route, day, rng, fleet))
    flights.sort(key=lambda f: (f["firstSeen"], f["icao24"], f["callsign"] or ""))
    return flights


def _fleet(route: Route) -> list[str]:
    # Airlines share a small fleet across their routes; others are one aircraft per route.
    owner, size = (route.carrier, FLEET_SIZE) if route.carrier else (route.key, 1)
    return [hashlib.sha256(f"{owner}:{i}".encode()).hexdigest()[:6] for i in range(size)]


def _flight(route: Route, day: date, rng: random.Random, fleet: list[str]) -> dict[str, Any]:
    off_block = datetime.combine(day, route.departure, tzinfo=UTC)
    off_block += timedelta(minutes=rng.randint(-5, 30))  # departure delay
    first_seen = off_block + timedelta(minutes=rng.randint(8, 20))  # after taxi-out
    block_minutes = route.block_minutes
    if route.detour_from is not None and day >= route.detour_from:
        block_minutes += route.detour_minutes
    last_seen = off_block + timedelta(minutes=block_minutes - rng.randint(3, 10))
    icao24 = rng.choice(fleet)
    known_origin = route.origin is not None
    return {
        "icao24": icao24,
        "firstSeen": int(first_seen.timestamp()),
        "estDepartureAirport": route.origin,
        "lastSeen": int(last_seen.timestamp()),
        "estArrivalAirport": route.dest,
        "callsign": route.callsign.ljust(8) if route.callsign else None,
        # No departure airport means nothing to measure the distance from.
        "estDepartureAirportHorizDistance": rng.randint(300, 4000) if known_origin else None,
        "estDepartureAirportVertDistance": rng.randint(10, 600) if known_origin else None,
        "estArrivalAirportHorizDistance": rng.randint(200, 3500),
        "estArrivalAirportVertDistance": rng.randint(10, 400),
        "departureAirportCandidatesCount": rng.randint(0, 2) if known_origin else 0,
        "arrivalAirportCandidatesCount": rng.randint(0, 2),
    }


def opensky_response(
    flights: list[dict[str, Any]],
    airport: str,
    day: date,
    direction: Literal["arrival", "departure"],
) -> list[dict[str, Any]]:
    """What OpenSky answers for one airport and UTC day ([] where the API would 404)."""
    airport_field, time_field = _FILTERS[direction]
    begin = int(datetime.combine(day, time(), tzinfo=UTC).timestamp())
    return [
        dict(f)
        for f in flights
        if f[airport_field] == airport and begin <= f[time_field] < begin + _DAY_SECONDS
    ]


def scenario_airports(scenario: Scenario) -> list[str]:
    """The Venezuelan airports (ICAO prefix SV) that the scenario's routes touch."""
    airports = {a for r in scenario.routes for a in (r.origin, r.dest) if a is not None}
    return sorted(a for a in airports if a.startswith("SV"))
