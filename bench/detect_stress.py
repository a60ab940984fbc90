"""The detection benchmark's SYNTHETIC stress set: small, with known answers, for what the real
dev set lacks (cancelled flights, holidays, thin routes, both directions of a service, a
carrier-wide and a country-wide stop with an official act). Every flight here is invented,
seeded, and written straight into `flights`; the acts into `permit_actions`; the airports are
real (airportsdata). The product's derive SQL then detects the events, as in bench/detect.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import airportsdata
import duckdb
import numpy as np
import pandas as pd

from pipeline import store

START, END = date(2025, 9, 1), date(2026, 1, 31)
AIRPORTS = ("KJFK", "KORD", "KMIA", "KLAX", "KBOS", "KATL", "SVMI", "SVMC", "SKBO", "MPTO",
            "LEMD", "TNCA")
ALL_DAYS = (0, 1, 2, 3, 4, 5, 6)  # Monday .. Sunday


@dataclass(frozen=True)
class Route:
    case: str
    carrier: str
    origin: str
    dest: str
    per_day: float  # mean flights on a flying day
    weekdays: tuple[int, ...] = ALL_DAYS
    last_day: date | None = None  # the last day it flies; None: to the end
    silent: tuple[date, date] | None = None  # no flights at all, then back (a pause)
    cancelled: tuple[date, date] | None = None  # scheduled but cancelled, then back

    @property
    def stops(self) -> bool:
        return self.last_day is not None


def both_ways(case: str, carrier: str, a: str, b: str, per_day: float, **kw) -> list[Route]:
    return [Route(case, carrier, a, b, per_day, **kw), Route(case, carrier, b, a, per_day, **kw)]


ROUTES = [
    *both_ways("steady trunk route", "XTR", "KJFK", "KLAX", 8),
    *both_ways("steady daily route", "XTR", "KBOS", "KATL", 1.5),
    *both_ways("steady weekdays-only route", "XTR", "KBOS", "KORD", 2, weekdays=(0, 1, 2, 3, 4)),
    *both_ways("storm: three days of cancelled flights", "XTR", "KJFK", "KORD", 4,
               cancelled=(date(2025, 10, 14), date(2025, 10, 16))),
    *both_ways("holiday pause: no flights 24-26 Dec", "XLE", "KORD", "KMIA", 1.2,
               silent=(date(2025, 12, 24), date(2025, 12, 26))),
    *both_ways("3 a week, stops", "XLE", "KJFK", "SKBO", 1, weekdays=(0, 2, 4),
               last_day=date(2025, 11, 14)),
    *both_ways("weekly, stops", "XLE", "KMIA", "TNCA", 1, weekdays=(5,),
               last_day=date(2025, 11, 15)),
    *both_ways("both directions of a busy service stop", "XTR", "KLAX", "KORD", 3,
               last_day=date(2025, 10, 31)),
    *both_ways("carrier-wide stop, with an act", "XAA", "KMIA", "SVMI", 1,
               last_day=date(2025, 11, 21)),
    *both_ways("carrier-wide stop, with an act", "XAA", "SKBO", "SVMI", 2,
               last_day=date(2025, 11, 21)),
    # domestic flights go on (as Venezuela's did in 2025): the airport still has traffic
    *both_ways("domestic route that keeps flying", "XDO", "SVMI", "SVMC", 3),
    *both_ways("country-wide stop, with an act", "XBB", "MPTO", "SVMI", 2,
               last_day=date(2025, 12, 1)),
    *both_ways("country-wide stop, with an act", "XCC", "LEMD", "SVMI", 1, weekdays=(1, 3, 5),
               last_day=date(2025, 12, 1)),
]
# (action_id, authority, action, carrier or None, country, effective, announced)
ACTS = [
    ("xaa-vol", "AIRLINE", "voluntary_suspension", "XAA", "VE", "2025-11-22", "2025-11-22"),
    ("xaa-rev", "INAC", "revoked", "XAA", "VE", "2025-11-26", "2025-11-26"),
    ("ve-all", "INAC", "suspended", None, "VE", "2025-12-02", "2025-12-02"),
]


def flights(seed: int = 7) -> pd.DataFrame:
    random = np.random.default_rng(seed)
    rows = []
    for n, route in enumerate(ROUTES):
        day = START
        while day <= min(END, route.last_day or END):
            paused = route.silent and route.silent[0] <= day <= route.silent[1]
            if day.weekday() in route.weekdays and not paused:
                count = max(1, random.poisson(route.per_day))
                cancelled = bool(route.cancelled and route.cancelled[0] <= day
                                 <= route.cancelled[1])
                rows += [(f"{n:03d}{day:%Y%m%d}{k:02d}", day, route.carrier, route.origin,
                          route.dest, "cancelled" if cancelled else "completed")
                         for k in range(count)]
            day += timedelta(days=1)
    frame = pd.DataFrame(rows, columns=["key", "flight_date", "carrier_icao", "origin_icao",
                                        "dest_icao", "status"])
    return frame.assign(flight_date=pd.to_datetime(frame["flight_date"]))


def build(path: Path) -> None:
    path.unlink(missing_ok=True)
    known = airportsdata.load("ICAO")
    with store.connect(path) as con:
        con.register("stress_flights", flights())
        con.execute("""
            INSERT INTO flights BY NAME
            SELECT substr(md5(key), 1, 20) AS flight_id, 'stress' AS source,
                   'synthetic' AS source_partition, CAST(flight_date AS DATE) AS flight_date,
                   carrier_icao, carrier_icao AS carrier_code, origin_icao, dest_icao,
                   origin_icao AS origin_code, dest_icao AS dest_code, status,
                   'bench-stress' AS run_id, TIMESTAMP '2025-01-01' AS loaded_at
            FROM stress_flights""")
        con.executemany(
            "INSERT INTO airports (airport_icao, name, country, lat, lon, tz, source_partition, "
            "run_id, loaded_at) VALUES (?, ?, ?, ?, ?, ?, 'airportsdata', 'bench-stress', "
            "TIMESTAMP '2025-01-01')",
            [(code, known[code]["name"], known[code]["country"], known[code]["lat"],
              known[code]["lon"], known[code]["tz"]) for code in AIRPORTS])
        con.executemany(
            "INSERT INTO permit_actions (action_id, authority, action, carrier_icao, "
            "jurisdiction_country, effective_date, announced_date, source_url, notes, "
            "source_partition, run_id, loaded_at) VALUES (?, ?, ?, ?, ?, ?, ?, "
            "'https://example.org/synthetic', 'SYNTHETIC act of the stress set', 'registry', "
            "'bench-stress', TIMESTAMP '2025-01-01')", ACTS)
        store.rebuild_derived(con)


def run(path: Path) -> str:
    """Build the set, detect, and say per case what was expected and what was found."""
    build(path)
    with duckdb.connect(str(path), read_only=True) as con:
        events = con.execute(
            "SELECT carrier_icao, origin_icao, dest_icao, last_flight_date, detected_on "
            "FROM route_events WHERE event_type = 'suspended'").fetchall()
        last_flights = dict(con.execute(
            "SELECT (carrier_icao, origin_icao, dest_icao), max(flight_date) FROM flights "
            "WHERE status = 'completed' GROUP BY ALL").fetchall())
    found = {(c, o, d): (last, detected) for c, o, d, last, detected in events}
    lines, passed = [], 0
    for route in ROUTES:
        hit = found.get((route.carrier, route.origin, route.dest))
        if route.stops:  # its last flight: the last flying day up to last_day
            last = last_flights[(route.carrier, route.origin, route.dest)]
            ok = hit is not None and hit[0] == last
            outcome = (f"found, {(hit[1] - hit[0]).days} day(s) after the last flight"
                       if ok else "MISSED")
        else:
            ok = hit is None
            outcome = "no alert" if ok else f"FALSE ALERT (last flight {hit[0]}, on {hit[1]})"
        passed += ok
        expected = "a suspension" if route.stops else "no alert"
        lines.append(f"  {route.case:<45} {route.carrier} {route.origin}-{route.dest}  "
                     f"expected {expected:<12} -> {outcome}")
    lines.append(f"  {passed} of {len(ROUTES)} routes as expected")
    return "\n".join(lines)
