"""Derive: the derived tables (history, events, daily aggregates) brought up to date by the SQL
files of sql/derive, for the days a load touched, or rebuilt from everything loaded."""

from __future__ import annotations

import duckdb

from pipeline.config import SQL_DIR

DERIVE_DIR = SQL_DIR / "derive"


def derive(con: duckdb.DuckDBPyConnection) -> None:
    """Bring the derived tables up to date (sql/derive, in file order). The route and traffic
    steps redo only the days in the temp table touched_dates (and what depends on them)."""
    con.execute("CREATE TEMP TABLE IF NOT EXISTS touched_dates (d DATE)")
    for path in sorted(DERIVE_DIR.glob("*.sql")):
        con.execute(path.read_text(encoding="utf-8"))


def rebuild_derived(con: duckdb.DuckDBPyConnection) -> None:
    """Recompute every derived table from all loaded days, in one transaction."""
    con.begin()
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE touched_dates AS "
                    "SELECT DISTINCT flight_date AS d FROM flights")
        derive(con)
        con.commit()
    except Exception:
        con.rollback()
        raise
