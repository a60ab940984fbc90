"""Derive: the derived tables (history, events, daily aggregates) brought up to date by the SQL
files of sql/derive, for the days a load touched, or rebuilt from everything loaded."""

from __future__ import annotations

import logging

import duckdb
import pandas as pd

from pipeline.config import SQL_DIR
from pipeline.store.checks import check_written_days
from pipeline.store.db import transaction
from pipeline.store.publish import record_written_days, start_recording

DERIVE_DIR = SQL_DIR / "derive"
# What a derive writes for touched days and new routes (carrier_status is rebuilt whole by
# every derive, from carrier_evidence, which it keeps for the days it rewrites).
DERIVED_TABLES = ("flight_duplicates", "route_daily", "country_daily", "carrier_country_days",
                  "airport_traffic_daily", "route_events", "service_shifts", "route_crossings",
                  "route_detours", "carrier_evidence")
# What a derive keeps for the next night, not published (schema fdp_state, migrations 023, 024;
# fdp_state.route_keys, migration 025, is kept through rebuilds: a route keeps its number).
DERIVED_STATE = ("fdp_state.route_last_flights", "fdp_state.lasting_onsets")
CARRIER_STATUS_STEP = "027_carrier_status.sql"  # carrier_status whole, its evidence kept
# A rebuild, or a load that touched more days (a year of flight lists imported at once), derives
# this many days at a time, in date order, as nights do: the same rows (night by night equals
# one rebuild), in memory that a chunk needs, not a year.
DERIVE_CHUNK_DAYS = 28
# the airport pairs flown on the days a load touched
TOUCHED_PAIRS = """SELECT origin_icao, dest_icao FROM counted_flights
                   WHERE flight_date IN (SELECT d FROM touched_dates)"""
log = logging.getLogger(__name__)


def derive(con: duckdb.DuckDBPyConnection) -> None:
    """Bring the derived tables up to date (sql/derive, in file order). The route and traffic
    steps redo only the days in the temp table touched_dates (and what depends on them)."""
    con.execute("CREATE TEMP TABLE IF NOT EXISTS touched_dates (d DATE)")
    con.execute("CREATE TEMP TABLE IF NOT EXISTS written_days (table_name VARCHAR, "
                "flight_date DATE)")
    add_route_crossings(con)
    for path in sorted(DERIVE_DIR.glob("*.sql")):
        con.execute(path.read_text(encoding="utf-8"))


def add_route_crossings(con: duckdb.DuckDBPyConnection, pairs_sql: str = TOUCHED_PAIRS
                        ) -> None:
    """The countries crossed by the great circle of each airport pair of pairs_sql (columns
    origin_icao, dest_icao; by default those flown on a touched day) not yet in
    route_crossings (pipeline/reference/boundaries.py). The two airports' own countries are
    always among them, even where the coastline drawn at 1:50m leaves an airport at sea."""
    pairs = con.execute(f"""
        WITH flown AS ({pairs_sql})
        SELECT DISTINCT f.origin_icao, f.dest_icao, o.country, d.country,
               o.lat, o.lon, d.lat, d.lon
        FROM flown f
        JOIN airports o ON o.airport_icao = f.origin_icao
        JOIN airports d ON d.airport_icao = f.dest_icao
        WHERE NOT EXISTS (SELECT 1 FROM route_crossings c
                          WHERE c.origin_icao = f.origin_icao AND c.dest_icao = f.dest_icao)
        ORDER BY 1, 2
    """).fetchall()
    if not pairs:
        return
    from pipeline.reference.boundaries import Crossing, countries_crossed, great_circle_km

    rows = []
    paths = [tuple(pair[4:]) for pair in pairs]
    for (origin, dest, *ends), path, crossed in zip(pairs, paths, countries_crossed(paths),
                                                     strict=True):
        route_km = great_circle_km(*path)
        countries = {c.country: c for c in crossed}
        for country, at in zip(ends[:2], (0.0, route_km), strict=True):
            if country is not None and country not in countries:
                countries[country] = Crossing(country, at, 0.0)
        rows += [(origin, dest, c.country, c.entry_km, c.km_over, route_km)
                 for c in countries.values()]
    con.register("crossed", pd.DataFrame(rows, columns=[
        "origin_icao", "dest_icao", "country", "entry_km", "km_over", "route_km"]))
    try:
        con.execute("INSERT INTO route_crossings BY NAME SELECT * FROM crossed")
    finally:
        con.unregister("crossed")


def refresh_carrier_status(con: duckdb.DuckDBPyConnection) -> None:
    """Redo the step every load runs (carrier_status and its evidence, from the registry and
    carrier_country_days) on its own: after a migration, so the tables it adds or changes are
    filled before the next publish."""
    with transaction(con):
        con.execute((DERIVE_DIR / CARRIER_STATUS_STEP).read_text(encoding="utf-8"))


def derive_touched_days(con: duckdb.DuckDBPyConnection,
                        chunk_days: int = DERIVE_CHUNK_DAYS) -> None:
    """Derive, and check, the days in the temp table touched_dates: in one pass, or chunk_days
    of them at a time, oldest first, when it holds more. One pass over a year of days would
    hold every route-day's 28-day window at once (060's quartiles cannot spill to disk)."""
    days = [d for (d,) in con.execute(
        "SELECT DISTINCT d FROM touched_dates ORDER BY d").fetchall()]
    chunks = [days[i:i + chunk_days] for i in range(0, len(days), chunk_days)] or [days]
    for n, chunk in enumerate(chunks, start=1):
        if len(chunks) > 1:  # touched_dates cut to the chunk's days; one pass leaves it whole
            log.info("deriving days %s to %s (%d of %d)", chunk[0], chunk[-1], n, len(chunks))
            con.execute("CREATE OR REPLACE TEMP TABLE touched_dates AS "
                        "SELECT unnest(?::DATE[]) AS d", [chunk])
        derive(con)
        check_written_days(con)


def rebuild_derived(con: duckdb.DuckDBPyConnection,
                    chunk_days: int = DERIVE_CHUNK_DAYS) -> None:
    """Recompute every derived table from all loaded days, in one transaction: emptied, then
    derived chunk_days of flight days at a time, oldest first."""
    with transaction(con):
        start_recording(con)
        for table in DERIVED_TABLES:
            con.execute(f"DELETE FROM {table}")
            con.execute("INSERT INTO written_days VALUES (?, NULL)", [table])  # all of it
        for table in DERIVED_STATE:
            con.execute(f"DELETE FROM {table}")
        con.execute("CREATE OR REPLACE TEMP TABLE touched_dates AS SELECT DISTINCT "
                    "flight_date AS d FROM flights WHERE flight_date IS NOT NULL")
        derive_touched_days(con, chunk_days)
        record_written_days(con)
