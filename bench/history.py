"""A year of SYNTHETIC history behind a night, inserted with SQL (bench/history_*.sql) instead of
replaying a year of nights, which would not fit the benchmark's time budget. The derived tables
are then rebuilt from it with the product's own derive SQL (store.rebuild_derived)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas as pd

from bench.world import World
from pipeline import store

CHUNK_DAYS = 28  # a statement per four weeks, each sorted as nights would have loaded it
HISTORY_SQL = (Path(__file__).with_name("history_flights.sql"),
               Path(__file__).with_name("history_load_log.sql"))


def insert_history(con: duckdb.DuckDBPyConnection, world: World, first_day: date,
                   last_day: date) -> int:
    """Insert the flights and load_log rows of [first_day, last_day]; returns the flights."""
    watched = set(world.watched)
    routes = world.routes.reset_index().assign(
        origin_watched=lambda r: r["origin"].isin(watched),
        dest_watched=lambda r: r["dest"].isin(watched),
        first_day=lambda r: r["first_day"].dt.date,
        last_day=lambda r: r["last_day"].dt.date,
    )
    con.register("routes_frame", routes)
    con.register("watched_frame", pd.DataFrame({"airport": sorted(watched)}))
    con.execute("CREATE OR REPLACE TEMP TABLE bench_routes AS SELECT * FROM routes_frame")
    con.execute("CREATE OR REPLACE TEMP TABLE bench_watched AS SELECT * FROM watched_frame")
    flights_sql, load_log_sql = (path.read_text(encoding="utf-8") for path in HISTORY_SQL)
    for chunk_start in range(0, (last_day - first_day).days + 1, CHUNK_DAYS):
        start = first_day + timedelta(days=chunk_start)
        end = min(last_day, start + timedelta(days=CHUNK_DAYS - 1))
        con.execute(flights_sql, {"first_day": start, "last_day": end})
    con.execute(load_log_sql, {"first_day": first_day, "last_day": last_day})
    store.rebuild_derived(con)
    [(flights,)] = con.execute("SELECT count(*) FROM flights").fetchall()
    return flights
