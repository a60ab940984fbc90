"""Detours on a stress set: the real dev set's flights (real routes, days and departures of
2001) with SYNTHETIC flight times, since the set has none. The times follow what moves a real
route's times from day to day, with seeded randomness:

    still air  25 minutes of climb and descent, and the great circle at 800 km/h
    winds      a westerly jet over the whole country: 32 km/h on average, 13 more in January
               and 13 less in July, and a day-to-day anomaly (autoregressive, 0.8 from one day
               to the next, 15 km/h spread); each route adds its own (0.7, 10 km/h). A route
               gains or loses the jet's component along its bearing
    weather    spells of bad weather per route (3% of days start one; each next day stays bad
               with chance 1/2): half the flights of a bad day hold, 20 minutes on average
    holding    on other days 8% of flights hold, 12 minutes on average (exponential)
    noise      each flight 2 minutes plus 1.5% of its still-air time (vectors, taxi to runway)

Nothing here is an airspace closure, except what is injected: 1% of the routes (seeded) fly
20 to 60 minutes longer from a day between 1 March and 31 May, to the end. A detour on another
route, or more than 2 days before or 14 after an injection, is a false alarm. The product's
derive SQL finds the detours (store.rebuild_derived), as in bench/detect.py."""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from pipeline import store

SEED = 2001
INJECTED_SHARE = 0.01


def run(dev_database: Path, database: Path) -> str:
    """Build the stress set from the dev set's database into `database`, derive, score."""
    database.unlink(missing_ok=True)
    with store.connect(dev_database, read_only=True) as dev:
        flights = dev.execute("SELECT * FROM flights").df()
        airports = dev.execute("SELECT * FROM airports").df()
    draw = np.random.default_rng(SEED)
    flights, injected = _with_times(flights, airports, draw)
    with store.connect(database) as con:
        con.register("new_airports", airports)
        con.register("new_flights", flights)
        con.execute("INSERT INTO airports BY NAME SELECT * FROM new_airports")
        con.execute("INSERT INTO flights BY NAME SELECT * FROM new_flights")
        con.register("injected_frame", injected)
        store.rebuild_derived(con)
        # only the injections the detector can judge: the route flew on 10 of the 28 days
        # before and 5 of the 14 from it (1% of routes, drawn blind, includes idle ones)
        con.execute("""
            CREATE TEMP TABLE injected AS
            WITH i AS (SELECT origin_icao, dest_icao, CAST(from_day AS DATE) AS from_day,
                              minutes FROM injected_frame)
            SELECT i.* FROM i JOIN route_daily r USING (origin_icao, dest_icao)
            WHERE r.timed_flights > 0
              AND r.flight_date BETWEEN i.from_day - 28 AND i.from_day + 13
            GROUP BY ALL
            HAVING count(*) FILTER (WHERE r.flight_date < i.from_day) >= 10
               AND count(*) FILTER (WHERE r.flight_date >= i.from_day) >= 5""")
        return _score(con)


def _with_times(flights: pd.DataFrame, airports: pd.DataFrame,
                draw: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    position = airports.set_index("airport_icao")[["lat", "lon"]]
    routes = flights[["origin_icao", "dest_icao"]].drop_duplicates().reset_index(drop=True)
    o = position.loc[routes["origin_icao"]].to_numpy()
    d = position.loc[routes["dest_icao"]].to_numpy()
    km, bearing = _distance_and_bearing(o[:, 0], o[:, 1], d[:, 0], d[:, 1])
    days = pd.date_range(flights["flight_date"].min(), flights["flight_date"].max())
    wind, bad = _weather(len(routes), days, draw)  # (days, routes) each

    route_index = pd.MultiIndex.from_frame(routes)
    r = route_index.get_indexer(pd.MultiIndex.from_frame(flights[["origin_icao", "dest_icao"]]))
    t = days.get_indexer(flights["flight_date"])
    cruise = km[r] / 800 * 60
    tailwind = wind[t, r] * np.cos(np.radians(bearing[r] - 90))  # the jet blows east
    minutes = 25 + cruise * 800 / (800 + tailwind)
    holds = draw.random(len(r)) < np.where(bad[t, r], 0.5, 0.08)
    minutes += holds * draw.exponential(np.where(bad[t, r], 20, 12))
    minutes += draw.normal(0, 2 + 0.015 * (25 + cruise))

    chosen = draw.random(len(routes)) < INJECTED_SHARE
    injected = routes[chosen].assign(
        from_day=pd.Timestamp("2001-03-01")
        + pd.to_timedelta(draw.integers(0, 92, chosen.sum()), unit="D"),
        minutes=draw.uniform(20, 60, chosen.sum()).round())
    extra = pd.Series(0.0, index=flights.index)
    for row in injected.itertuples():
        on = ((flights["origin_icao"] == row.origin_icao) & (flights["dest_icao"] == row.dest_icao)
              & (flights["flight_date"] >= row.from_day))
        extra[on] = row.minutes
    minutes = minutes + extra.to_numpy()
    flights = flights.assign(arr_time_utc=flights["dep_time_utc"]
                             + pd.to_timedelta(minutes, unit="min").round("s"),
                             run_id="bench-detect-detours (SYNTHETIC times)")
    return flights, injected


def _distance_and_bearing(lat1, lon1, lat2, lon2) -> tuple[np.ndarray, np.ndarray]:
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dl = np.radians(lon2 - lon1)
    cosine = np.sin(p1) * np.sin(p2) + np.cos(p1) * np.cos(p2) * np.cos(dl)
    km = 6371.0 * np.arccos(np.clip(cosine, -1, 1))
    bearing = np.degrees(np.arctan2(np.sin(dl) * np.cos(p2),
                                    np.cos(p1) * np.sin(p2) - np.sin(p1) * np.cos(p2)
                                    * np.cos(dl)))
    return km, bearing


def _weather(n_routes: int, days: pd.DatetimeIndex,
             draw: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    jet_anomaly, route_anomaly = 0.0, np.zeros(n_routes)
    bad = draw.random(n_routes) < 0.03
    winds, bads = [], []
    for day in days:
        season = math.cos(2 * math.pi * (day.dayofyear - 15) / 365)
        jet_anomaly = 0.8 * jet_anomaly + draw.normal(0, 15 * math.sqrt(1 - 0.8 ** 2))
        route_anomaly = 0.7 * route_anomaly + draw.normal(0, 10 * math.sqrt(1 - 0.7 ** 2),
                                                          n_routes)
        winds.append(32 + 13 * season + jet_anomaly + route_anomaly)
        bads.append(bad)
        bad = np.where(bad, draw.random(n_routes) < 0.5, draw.random(n_routes) < 0.03)
    return np.array(winds), np.array(bads)


def _score(con: duckdb.DuckDBPyConnection) -> str:
    [(route_months,)] = con.execute(
        "SELECT count(*) FROM (SELECT DISTINCT carrier_icao, origin_icao, dest_icao, "
        "date_trunc('month', flight_date) FROM route_daily WHERE flights > 0)").fetchall()
    [(detours, false, found, injected, median_days, median_error, missed)] = con.execute("""
        WITH judged AS (
            SELECT t.*, i.from_day, i.minutes,
                   i.from_day IS NOT NULL
                   AND t.started_on BETWEEN i.from_day - 2 AND i.from_day + 14 AS matches
            FROM route_detours t
            LEFT JOIN injected i USING (origin_icao, dest_icao)
        ),
        found AS (
            SELECT i.*, min(j.detected_on) AS detected_on, any_value(j.minutes_added) AS added
            FROM injected i
            JOIN judged j ON j.matches AND j.origin_icao = i.origin_icao
                         AND j.dest_icao = i.dest_icao
            GROUP BY ALL
        )
        SELECT (SELECT count(*) FROM judged),
               (SELECT count(*) FROM judged WHERE NOT matches),
               (SELECT count(*) FROM found),
               (SELECT count(*) FROM injected),
               (SELECT median(detected_on - from_day) FROM found),
               (SELECT round(median(abs(added - minutes)), 1) FROM found),
               (SELECT list(CAST(minutes AS INTEGER) ORDER BY minutes) FROM injected
                ANTI JOIN found USING (origin_icao, dest_icao))
    """).fetchall()
    rate = 1000 * false / route_months
    return (f"detours on the stress set (real schedules, SYNTHETIC flight times): {detours} "
            f"found; {false} false in {route_months:,} route-months, {rate:.2f} per 1,000 "
            f"(target <= 1: {'met' if rate <= 1 else 'NOT met'}); {found} of {injected} "
            f"injected detours (on routes flying enough to judge) found, in a median "
            f"{median_days:.0f} days, their minutes added off by a median {median_error} "
            f"minutes; the missed ones added {missed} minutes")
