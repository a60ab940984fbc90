"""Check: the data-quality assertions of sql/checks, run on every copy before it is published."""

from __future__ import annotations

import duckdb

from pipeline.config import SQL_DIR

CHECKS_DIR = SQL_DIR / "checks"


def check(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Run the data-quality checks in sql/checks; each lists the rows that break it."""
    problems = []
    for path in sorted(CHECKS_DIR.glob("*.sql")):
        rows = con.execute(path.read_text(encoding="utf-8")).fetchall()
        if rows:
            problems.append(f"{path.name}: {len(rows)} row(s) break it, e.g. {rows[0]}")
    return problems
