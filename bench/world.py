"""A deterministic SYNTHETIC world at global scale: real airports (airportsdata) and real
airline designators (the curated file), with invented routes and schedules.

Airports are drawn by a seeded hash, ranked, and weighted so the busiest has about 1% of all
movements and the quietest a few a day; the busiest `watched` ones form the watchlist (their
OpenSky answers are what a night fetches), the rest appear only as the far end of a flight.
Routes are (carrier, origin, dest) with a weekly pattern, one to three flights a day and, for a
few, a first or last day inside the year, so the detector has routes that start and stop.
`flights_on(world, day)` turns the schedule into that day's observed flights with numpy, seeded
by (seed, day): the same day always gives the same flights, on any machine.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import airportsdata
import numpy as np
import pandas as pd

from pipeline.reference.airlines import known_airline_icao

SEED = 20251120
COVERAGE = 0.97  # share of operated flights that ADS-B sees at all
NULL_CALLSIGN = 0.02  # OpenSky reports callsign null
UNKNOWN_ORIGIN = 0.01  # OpenSky could not tell the departure airport
LIFECYCLE = 0.04  # share of routes that stop (and, separately, start) inside the year
_ICAO = re.compile(r"^[A-Z]{4}$")
_DAY_SECONDS = 86_400
# (flights a day, weekdays flown, share of routes)
_PATTERNS = ((1, 7, 0.45), (2, 7, 0.12), (3, 7, 0.04), (1, 5, 0.14), (1, 4, 0.13),
             (1, 3, 0.12))


@dataclass(frozen=True)
class World:
    seed: int
    anchor: date  # lifecycles (first and last days) fall within the year around it
    airports: tuple[str, ...]  # every airport flown to, busiest first
    watched: tuple[str, ...]  # the watchlist: the busiest airports
    routes: pd.DataFrame  # one row per route: see _routes


def fingerprint(world: World) -> str:
    """sha256 of what the world's answers are drawn from: it changes with the seed and with
    the inputs (airportsdata's airports, the curated file's airline designators)."""
    digest = hashlib.sha256(repr((world.seed, world.anchor, world.airports,
                                  world.watched)).encode())
    digest.update(pd.util.hash_pandas_object(world.routes, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def build_world(flights_per_day: int, n_airports: int, n_watched: int, anchor: date,
                seed: int = SEED) -> World:
    rng = np.random.default_rng(seed)
    airports = _pick_airports(n_airports, seed)
    watched = airports[:n_watched]
    routes = _routes(rng, airports, set(watched), flights_per_day, anchor)
    return World(seed, anchor, airports, tuple(sorted(watched)), routes)


def _pick_airports(n: int, seed: int) -> tuple[str, ...]:
    """n real airports with ICAO and IATA codes, in a seeded but arbitrary order (the rank)."""
    codes = [code for code, row in airportsdata.load("ICAO").items()
             if _ICAO.match(code) and row["iata"] and re.match(r"^[A-Z]{2}$", row["country"])]
    codes.sort(key=lambda code: hashlib.sha256(f"{seed}:{code}".encode()).hexdigest())
    if len(codes) < n:
        raise ValueError(f"only {len(codes)} airports available, asked for {n}")
    return tuple(codes[:n])


def _weights(n: int) -> np.ndarray:
    weights = 1.0 / (np.arange(n) + 30.0)  # flat head (about 1% for the busiest), long tail
    return weights / weights.sum()


def _routes(rng: np.random.Generator, airports: tuple[str, ...], watched: set[str],
            flights_per_day: int, anchor: date) -> pd.DataFrame:
    per_day, weekdays, shares = (np.array(column) for column in zip(*_PATTERNS, strict=True))
    mean_flights = float((per_day * weekdays / 7 * shares).sum()) * COVERAGE
    n = round(flights_per_day / mean_flights * 1.3)  # cut to the target below
    pattern = rng.choice(len(_PATTERNS), size=n, p=shares)
    codes = np.array(airports)
    weights = _weights(len(airports))
    origin = codes[rng.choice(len(codes), size=n, p=weights)]
    dest = codes[rng.choice(len(codes), size=n, p=weights)]
    carriers = np.array(sorted(known_airline_icao()))
    carrier = carriers[rng.choice(len(carriers), size=n, p=_weights(len(carriers)))]
    general = rng.random(n) < 0.10  # private and unknown operators: no airline designator
    routes = pd.DataFrame({
        "origin": origin,
        "dest": dest,
        "carrier": np.where(general, None, carrier),
        "callsign": np.where(general, _general_callsigns(rng, n), _airline_callsigns(
            rng, carrier)),
        "per_day": per_day[pattern],
        "weekdays": _weekday_masks(rng, weekdays[pattern]),
        "departure_min": rng.integers(0, 1440, size=n),
        "block_min": rng.integers(45, 720, size=n),
        "first_day": _lifecycle_days(rng, n, anchor),
        "last_day": _lifecycle_days(rng, n, anchor),
    })
    keep = (routes["origin"] != routes["dest"]) & (
        routes["origin"].isin(watched) | routes["dest"].isin(watched))
    routes = routes[keep].drop_duplicates("callsign").reset_index(drop=True)
    # keep routes, in their random order, until the anchor day's expected flights reach the target
    active = ~(routes["last_day"] < pd.Timestamp(anchor))
    expected = routes["per_day"] * _popcount(routes["weekdays"]) / 7 * COVERAGE * active
    routes = routes[expected.cumsum() <= flights_per_day].copy()
    routes["fleet"] = np.arange(len(routes)) * 4  # four aircraft of its own per route
    routes.index.name = "route_id"
    return routes


def _popcount(masks: pd.Series) -> np.ndarray:
    return sum((masks.to_numpy() >> bit) & 1 for bit in range(7))


def _airline_callsigns(rng: np.random.Generator, carrier: np.ndarray) -> np.ndarray:
    numbers = rng.integers(1, 10_000, size=len(carrier)).astype(str)
    return np.char.add(carrier.astype(str), numbers)


def _general_callsigns(rng: np.random.Generator, n: int) -> np.ndarray:
    """Registration-like callsigns (N123AB) and unknown three-letter prefixes (ZXQ123)."""
    letters = np.array(list("ABCDEFGHJKLMNPRSTUVWXYZ"))
    tail = np.char.add(letters[rng.integers(0, len(letters), n)],
                       letters[rng.integers(0, len(letters), n)])
    registration = np.char.add(np.char.add("N", rng.integers(100, 1000, n).astype(str)), tail)
    unknown = np.char.add(np.char.add("ZX", letters[rng.integers(0, len(letters), n)]),
                          rng.integers(1, 1000, n).astype(str))
    return np.where(rng.random(n) < 0.7, registration, unknown)


def _weekday_masks(rng: np.random.Generator, days_flown: np.ndarray) -> np.ndarray:
    """A 7-bit mask (bit 0 = Monday) with days_flown bits set, at random."""
    keys = rng.random((len(days_flown), 7))
    ranks = keys.argsort(axis=1).argsort(axis=1)
    bits = ranks < days_flown[:, None]
    return (bits * (1 << np.arange(7))).sum(axis=1)


def _lifecycle_days(rng: np.random.Generator, n: int, anchor: date) -> pd.Series:
    """For a LIFECYCLE share of routes a day within the year before `anchor` (NaT otherwise)."""
    chosen = rng.random(n) < LIFECYCLE
    offsets = rng.integers(-365, 0, size=n)
    days = pd.Timestamp(anchor) + pd.to_timedelta(offsets, unit="D")
    return pd.Series(days).where(chosen)


def flights_on(world: World, day: date) -> pd.DataFrame:
    """The flights that leave their gate on `day` (UTC), in OpenSky's fields, with seconds."""
    routes = world.routes
    flown = (routes["weekdays"].to_numpy() >> day.weekday()) & 1 == 1
    stamp = pd.Timestamp(day)
    flown &= ~(routes["first_day"] > stamp).to_numpy() & ~(routes["last_day"] < stamp).to_numpy()
    slots = routes[flown].loc[lambda r: r.index.repeat(r["per_day"])]
    slot = slots.groupby(level=0).cumcount().to_numpy()
    rng = np.random.default_rng([world.seed, day.toordinal()])
    n = len(slots)
    begin = int(datetime.combine(day, time(0), tzinfo=UTC).timestamp())
    minute = (slots["departure_min"].to_numpy() + slot * 1440 // slots["per_day"].to_numpy()
              ) % 1440
    off_block = begin + minute * 60 + rng.integers(-5, 31, n) * 60
    first_seen = off_block + rng.integers(8, 21, n) * 60
    last_seen = off_block + (slots["block_min"].to_numpy() - rng.integers(3, 11, n)) * 60
    fleet = slots["fleet"].to_numpy() + rng.integers(0, 4, n)
    flights = pd.DataFrame({
        # an odd multiplier is a bijection mod 2**24: no two routes share an aircraft
        "icao24": [f"{k:06x}" for k in (fleet * 2654435761) % (1 << 24)],
        "firstSeen": first_seen,
        "estDepartureAirport": slots["origin"].to_numpy(),
        "lastSeen": last_seen,
        "estArrivalAirport": slots["dest"].to_numpy(),
        "callsign": slots["callsign"].str.ljust(8).to_numpy(),
        "estDepartureAirportHorizDistance": rng.integers(300, 4000, n),
        "estDepartureAirportVertDistance": rng.integers(10, 600, n),
        "estArrivalAirportHorizDistance": rng.integers(200, 3500, n),
        "estArrivalAirportVertDistance": rng.integers(10, 400, n),
        "departureAirportCandidatesCount": rng.integers(0, 3, n),
        "arrivalAirportCandidatesCount": rng.integers(0, 3, n),
    })
    seen = rng.random(n) < COVERAGE
    flights.loc[rng.random(n) < NULL_CALLSIGN, "callsign"] = None
    flights.loc[rng.random(n) < UNKNOWN_ORIGIN, "estDepartureAirport"] = None
    return flights[seen].reset_index(drop=True)


def day_bounds(day: date) -> tuple[int, int]:
    begin = int(datetime.combine(day, time(0), tzinfo=UTC).timestamp())
    return begin, begin + _DAY_SECONDS


def days_between(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]
