"""Tests for the synthetic OpenSky generator used by the Venezuela demo replay."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from pipeline.demo.synthetic import (
    Scenario,
    load_scenario,
    opensky_response,
    scenario_airports,
    synthesize_flights,
)

# The fields of an OpenSky flight object (REST /flights/arrival and /flights/departure).
OPENSKY_FIELDS = {
    "icao24",
    "firstSeen",
    "estDepartureAirport",
    "lastSeen",
    "estArrivalAirport",
    "callsign",
    "estDepartureAirportHorizDistance",
    "estDepartureAirportVertDistance",
    "estArrivalAirportHorizDistance",
    "estArrivalAirportVertDistance",
    "departureAirportCandidatesCount",
    "arrivalAirportCandidatesCount",
}

# Last flight between Venezuela and abroad per carrier, from ../shared/permit_actions.csv (see
# the scenario).
LAST_INTERNATIONAL_FLIGHT = {
    "IBE": date(2025, 11, 22),
    "TAP": date(2025, 11, 21),
    "AVA": date(2025, 11, 21),
    "ARE": date(2025, 11, 22),
    "THY": date(2025, 11, 21),
    "GLO": date(2025, 11, 20),
    "AEA": date(2025, 11, 24),
    "PUE": date(2025, 11, 23),
    "LER": date(2025, 11, 22),
    "CMP": date(2025, 12, 3),
    "RPB": date(2025, 12, 4),
}


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return load_scenario()


@pytest.fixture(scope="module")
def flights(scenario: Scenario) -> list[dict[str, Any]]:
    return synthesize_flights(scenario)


def _day(ts: int) -> date:
    return datetime.fromtimestamp(ts, UTC).date()


def _carrier(flight: dict[str, Any]) -> str | None:
    return flight["callsign"][:3] if flight["callsign"] else None


def _is_international(flight: dict[str, Any]) -> bool:
    """Between Venezuela and abroad (not, say, Bogota-Curacao)."""
    airports = [a for a in (flight["estDepartureAirport"], flight["estArrivalAirport"]) if a]
    return (any(a.startswith("SV") for a in airports)
            and any(not a.startswith("SV") for a in airports))


def test_deterministic(scenario: Scenario, flights: list[dict[str, Any]]) -> None:
    assert synthesize_flights(load_scenario()) == flights
    assert synthesize_flights(scenario) == flights


def test_seed_changes_output(scenario: Scenario, flights: list[dict[str, Any]]) -> None:
    assert synthesize_flights(dataclasses.replace(scenario, seed=scenario.seed + 1)) != flights


def test_size_and_window(scenario: Scenario, flights: list[dict[str, Any]]) -> None:
    assert 300 < len(flights) < 5000
    assert {_day(f["firstSeen"]) for f in flights} <= {
        scenario.start + timedelta(days=i) for i in range((scenario.end - scenario.start).days + 1)
    }
    assert flights == sorted(flights, key=lambda f: f["firstSeen"])


def test_fields_match_opensky(flights: list[dict[str, Any]]) -> None:
    for f in flights:
        assert set(f) == OPENSKY_FIELDS
        assert re.fullmatch(r"[0-9a-f]{6}", f["icao24"])
        assert isinstance(f["firstSeen"], int)
        assert isinstance(f["lastSeen"], int)
        assert f["firstSeen"] < f["lastSeen"]
        assert isinstance(f["estArrivalAirport"], str)
        assert isinstance(f["estArrivalAirportHorizDistance"], int)
        assert isinstance(f["arrivalAirportCandidatesCount"], int)
        if f["estDepartureAirport"] is not None:
            assert isinstance(f["estDepartureAirportHorizDistance"], int)
            assert isinstance(f["estDepartureAirportVertDistance"], int)


def test_callsigns_padded_to_8_or_null(flights: list[dict[str, Any]]) -> None:
    callsigns = {f["callsign"] for f in flights}
    assert None in callsigns
    assert "IBE6673 " in callsigns
    assert "YV2345  " in callsigns
    assert all(c is None or (len(c) == 8 and c == c.strip().ljust(8)) for c in callsigns)


def test_null_departure_airport_exists(flights: list[dict[str, Any]]) -> None:
    unknown_origin = [f for f in flights if f["estDepartureAirport"] is None]
    assert unknown_origin
    assert all(f["estDepartureAirportHorizDistance"] is None for f in unknown_origin)


def test_airline_fleet_repeats(flights: list[dict[str, Any]]) -> None:
    vcv = [f["icao24"] for f in flights if _carrier(f) == "VCV"]
    assert len(set(vcv)) < len(vcv) / 10  # a few aircraft fly many legs
    ibe, vcv_fleet = {f["icao24"] for f in flights if _carrier(f) == "IBE"}, set(vcv)
    assert not ibe & vcv_fleet


@pytest.mark.parametrize("carrier", sorted(LAST_INTERNATIONAL_FLIGHT))
def test_carrier_stops_on_record_date(carrier: str, flights: list[dict[str, Any]]) -> None:
    last = LAST_INTERNATIONAL_FLIGHT[carrier]
    days = [
        _day(f["firstSeen"]) for f in flights if _carrier(f) == carrier and _is_international(f)
    ]
    assert days, f"{carrier} never flies"
    assert max(days) <= last
    assert any(last - timedelta(days=7) < d <= last for d in days), "no flights just before"


@pytest.mark.parametrize("carrier", ["IBE", "TAP", "AVA", "ARE", "THY", "GLO", "AEA", "PUE"])
def test_stopped_carriers_never_touch_svmi_later(
    carrier: str, flights: list[dict[str, Any]]
) -> None:
    last = LAST_INTERNATIONAL_FLIGHT[carrier]
    late = [
        f
        for f in flights
        if _carrier(f) == carrier
        and "SVMI" in (f["estDepartureAirport"], f["estArrivalAirport"])
        and _day(f["firstSeen"]) > last
    ]
    assert late == []


def test_every_dated_route_stops_on_its_last_flight(
    scenario: Scenario, flights: list[dict[str, Any]]
) -> None:
    for route in scenario.routes:
        if route.last_flight is None:
            continue
        days = [
            _day(f["firstSeen"])
            for f in flights
            if f["callsign"] == (route.callsign or "").ljust(8)
            and f["estDepartureAirport"] == route.origin
        ]
        assert days and max(days) <= route.last_flight, route.key
        assert any(route.last_flight - timedelta(days=7) < d for d in days), route.key


@pytest.mark.parametrize(
    ("carrier", "until"),
    [
        ("VCV", date(2025, 12, 5)),
        ("ROI", date(2025, 12, 5)),
        ("LER", date(2025, 12, 5)),
        ("CMP", date(2025, 12, 3)),
        ("RPB", date(2025, 12, 4)),
    ],
)
def test_carriers_still_flying_in_last_week(
    carrier: str, until: date, flights: list[dict[str, Any]]
) -> None:
    days = {_day(f["firstSeen"]) for f in flights if _carrier(f) == carrier}
    assert len({d for d in days if until - timedelta(days=7) < d <= until}) >= 5


def test_first_flight_is_respected(scenario: Scenario) -> None:
    first = date(2025, 11, 30)
    routes = tuple(dataclasses.replace(r, first_flight=first) for r in scenario.routes)
    flights = synthesize_flights(dataclasses.replace(scenario, routes=routes))
    assert flights
    assert min(_day(f["firstSeen"]) for f in flights) == first


def test_coverage_only_drops_flights(scenario: Scenario, flights: list[dict[str, Any]]) -> None:
    everything = synthesize_flights(dataclasses.replace(scenario, coverage=1.0))
    assert all(f in everything for f in flights)
    assert 0.85 < len(flights) / len(everything) < 0.99


def test_midnight_crossing_flight_in_both_days(flights: list[dict[str, Any]]) -> None:
    crossing = [
        f
        for f in flights
        if f["estDepartureAirport"] == "SVMI" and _day(f["firstSeen"]) != _day(f["lastSeen"])
    ]
    assert crossing, "scenario needs flights that land after 00:00 UTC"
    f = crossing[0]
    dep_day, arr_day = _day(f["firstSeen"]), _day(f["lastSeen"])
    assert arr_day == dep_day + timedelta(days=1)
    assert f in opensky_response(flights, "SVMI", dep_day, "departure")
    assert f not in opensky_response(flights, "SVMI", arr_day, "departure")
    assert f in opensky_response(flights, f["estArrivalAirport"], arr_day, "arrival")
    assert f not in opensky_response(flights, f["estArrivalAirport"], dep_day, "arrival")


def test_day_boundaries_are_half_open() -> None:
    day = date(2025, 11, 20)
    midnight = int(datetime(2025, 11, 20, tzinfo=UTC).timestamp())
    base = {"estDepartureAirport": "SVMI", "estArrivalAirport": "SVMC"}
    at_start = {**base, "firstSeen": midnight, "lastSeen": midnight + 3600}
    at_end = {**base, "firstSeen": midnight + 86_400 - 3600, "lastSeen": midnight + 86_400}
    both = [at_start, at_end]
    assert opensky_response(both, "SVMI", day, "departure") == both
    assert opensky_response(both, "SVMC", day, "arrival") == [at_start]
    assert opensky_response(both, "SVMC", day + timedelta(days=1), "arrival") == [at_end]
    assert opensky_response(both, "SVMI", day - timedelta(days=1), "departure") == []
    assert opensky_response(both, "SVMG", day, "departure") == []


def test_response_filters_airport_and_direction(flights: list[dict[str, Any]]) -> None:
    day = date(2025, 11, 20)
    deps = opensky_response(flights, "SVMI", day, "departure")
    arrs = opensky_response(flights, "SVMI", day, "arrival")
    assert deps and arrs
    assert all(f["estDepartureAirport"] == "SVMI" and _day(f["firstSeen"]) == day for f in deps)
    assert all(f["estArrivalAirport"] == "SVMI" and _day(f["lastSeen"]) == day for f in arrs)
    expected = sum(
        1 for f in flights if f["estDepartureAirport"] == "SVMI" and _day(f["firstSeen"]) == day
    )
    assert len(deps) == expected


def test_scenario_airports(scenario: Scenario) -> None:
    assert scenario_airports(scenario) == ["SVBC", "SVMC", "SVMG", "SVMI", "SVVA"]


def test_scenario_window(scenario: Scenario) -> None:
    assert (scenario.start, scenario.end) == (date(2025, 11, 10), date(2025, 12, 5))
    assert 0 < scenario.coverage < 1


def test_detoured_routes_take_longer_from_their_day(scenario: Scenario,
                                                     flights: list[dict[str, Any]]) -> None:
    [route] = [r for r in scenario.routes if r.callsign == "AVA9450"]
    airborne = {_day(f["firstSeen"]): (f["lastSeen"] - f["firstSeen"]) / 60
                for f in flights if f["callsign"] == "AVA9450 "}
    before = [m for d, m in airborne.items() if d < route.detour_from]
    after = [m for d, m in airborne.items() if d >= route.detour_from]
    assert before and after
    assert min(after) - max(before) > route.detour_minutes - 25  # the flights' own spread
    assert 20 < sum(after) / len(after) - sum(before) / len(before) < 30
