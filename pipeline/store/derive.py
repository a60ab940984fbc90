"""Derive: the derived tables (history, events, daily aggregates) brought up to date by the SQL
files of sql/derive, for the days a load touched, or rebuilt from everything loaded."""

from __future__ import annotations

import logging

import duckdb

from pipeline.config import SQL_DIR
from pipeline.store.checks import check_written_days
from pipeline.store.publish import record_written_days, start_recording

DERIVE_DIR = SQL_DIR / "derive"
# What sql/derive writes for touched days (carrier_status is rebuilt whole by every derive).
DERIVED_BY_DAY = ("flight_duplicates", "route_daily", "country_daily", "carrier_country_days",
                  "airport_traffic_daily", "route_events", "service_shifts")
# A rebuild derives the history this many days at a time, in date order, as nights do: the
# same rows (night by night equals one rebuild), in memory that a chunk needs, not a year.
REBUILD_CHUNK_DAYS = 28
log = logging.getLogger(__name__)


def derive(con: duckdb.DuckDBPyConnection) -> None:
    """Bring the derived tables up to date (sql/derive, in file order). The route and traffic
    steps redo only the days in the temp table touched_dates (and what depends on them)."""
    con.execute("CREATE TEMP TABLE IF NOT EXISTS touched_dates (d DATE)")
    con.execute("CREATE TEMP TABLE IF NOT EXISTS written_days (table_name VARCHAR, "
                "flight_date DATE)")
    for path in sorted(DERIVE_DIR.glob("*.sql")):
        con.execute(path.read_text(encoding="utf-8"))


def rebuild_derived(con: duckdb.DuckDBPyConnection,
                    chunk_days: int = REBUILD_CHUNK_DAYS) -> None:
    """Recompute every derived table from all loaded days, in one transaction: emptied, then
    derived chunk_days of flight days at a time, oldest first."""
    days = [d for (d,) in con.execute(
        "SELECT DISTINCT flight_date FROM flights WHERE flight_date IS NOT NULL ORDER BY 1"
    ).fetchall()]
    chunks = [days[i:i + chunk_days] for i in range(0, len(days), chunk_days)] or [[]]
    con.begin()
    try:
        start_recording(con)
        for table in DERIVED_BY_DAY:
            con.execute(f"DELETE FROM {table}")
            con.execute("INSERT INTO written_days VALUES (?, NULL)", [table])  # all of it
        for n, chunk in enumerate(chunks, start=1):
            if len(chunks) > 1:
                log.info("rebuilding derived tables: days %s to %s (%d of %d)",
                         chunk[0], chunk[-1], n, len(chunks))
            con.execute("CREATE OR REPLACE TEMP TABLE touched_dates AS "
                        "SELECT unnest(?::DATE[]) AS d", [chunk])
            derive(con)
            check_written_days(con)
        record_written_days(con)
        con.commit()
    except Exception:
        con.rollback()
        raise
