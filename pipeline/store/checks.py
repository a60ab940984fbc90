"""Check: the data-quality assertions of sql/checks, run before every publish, and those of
sql/checks/night, run on the days a load or rebuild wrote before it commits."""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipeline.config import SQL_DIR
from pipeline.errors import PipelineError

CHECKS_DIR = SQL_DIR / "checks"
NIGHT_CHECKS_DIR = CHECKS_DIR / "night"


def check(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Run the data-quality checks in sql/checks; each lists the rows that break it."""
    return _run(con, CHECKS_DIR)


def check_written_days(con: duckdb.DuckDBPyConnection) -> None:
    """Assert the keys of the days the open transaction's derive wrote (its temp tables say
    which): the big by-day tables have no key index (migration 018), and a night costs the
    days it writes, not the history. Raises, so that the transaction is rolled back."""
    problems = _run(con, NIGHT_CHECKS_DIR)
    if problems:
        raise PipelineError("the written days break their keys, so nothing was committed: "
                            + "; ".join(problems) + ". This is a bug in the load or derive "
                            "SQL; report it with the night's load_log rows")


def _run(con: duckdb.DuckDBPyConnection, folder: Path) -> list[str]:
    problems = []
    for path in sorted(folder.glob("*.sql")):
        rows = con.execute(path.read_text(encoding="utf-8")).fetchall()
        if rows:
            problems.append(f"{path.name}: {len(rows)} row(s) break it, e.g. {rows[0]}")
    return problems
