"""DuckDB store: numbered migrations applied once, and partition loads that replace exactly the
rows they cover in one transaction. Only this module opens the database for writing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from pipeline import failpoints
from pipeline.config import SQL_DIR
from pipeline.errors import PipelineError

MIGRATIONS_DIR = SQL_DIR / "migrations"
DERIVE_DIR = SQL_DIR / "derive"
_MIGRATION_FILE = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")
_PARAMETER = re.compile(r"\$([a-z_]+)")


def sql_file(name: str) -> str:
    return (SQL_DIR / name).read_text(encoding="utf-8")


def utc_now() -> datetime:
    """Naive UTC for TIMESTAMP columns (DuckDB would shift aware values to its session zone)."""
    return datetime.now(UTC).replace(tzinfo=None)


def migrate(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Apply the numbered migrations not applied yet, each in its own transaction."""
    con.execute(sql_file("migrations/000_schema_migrations.sql"))
    applied = {row[0] for row in con.execute("SELECT version FROM schema_migrations").fetchall()}
    newly_applied = []
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        match = _MIGRATION_FILE.match(path.name)
        if not match:
            raise ValueError(f"{path}: migration files are named NNN_name.sql")
        version = int(match.group(1))
        if version == 0 or version in applied:
            continue
        con.begin()
        try:
            con.execute(path.read_text(encoding="utf-8"))
            con.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, ?)", [version, path.name, utc_now()]
            )
            con.commit()
        except Exception:
            con.rollback()
            raise
        newly_applied.append(path.name)
    return newly_applied


@contextmanager
def connect(
    path: Path, *, read_only: bool = False, sandboxed: bool = False
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the database, creating and migrating it on first use. `sandboxed` also takes away
    every file and network access (COPY TO, ATTACH, reading files, installing extensions), for
    ad hoc SQL that must only read the tables."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if read_only and not path.exists():
        with connect(path):
            pass
    config = {"enable_external_access": False, "lock_configuration": True} if sandboxed else {}
    try:
        con = duckdb.connect(str(path), read_only=read_only, config=config)
    except duckdb.IOException as exc:
        if "lock" not in str(exc).lower():
            raise
        raise PipelineError(
            f"{path} is in use by another process that is writing it ({exc}). DuckDB allows "
            "one writer: wait for that run to finish, or stop it, and try again"
        ) from exc
    try:
        if not read_only:
            migrate(con)
        yield con
    finally:
        con.close()


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


@dataclass(frozen=True)
class StagedPartition:
    """A normalized partition waiting in staging; small enough to pass between tasks."""

    source: str
    table: str
    partition: str
    staging_path: str
    rows: int
    raw_sha256: str
    content_sha256: str


@dataclass(frozen=True)
class LoadResult:
    source: str
    partition: str
    rows: int
    status: str


def run_sql(con: duckdb.DuckDBPyConnection, path: Path, params: dict[str, object]) -> None:
    """Run one SQL file, passing only the $parameters it names (DuckDB refuses extras)."""
    text = path.read_text(encoding="utf-8")
    named = set(_PARAMETER.findall(text))
    con.execute(text, {k: v for k, v in params.items() if k in named} if named else None)


def load_partitions(
    con: duckdb.DuckDBPyConnection, staged: list[StagedPartition], run_id: str
) -> list[LoadResult]:
    """Load every staged partition and rebuild the derived tables in ONE transaction: readers
    see the night before or the night after, and a failure leaves the tables as they were."""
    started_at = utc_now()
    results: list[LoadResult] = []
    con.begin()
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE touched_dates (d DATE)")  # see sql/derive
        for part in staged:
            results.append(_load_one(con, part, run_id, started_at))
            failpoints.hit("load")
        derive(con)
        con.commit()
    except Exception as exc:
        con.rollback()
        _log_failures(con, staged, run_id, started_at, exc)
        if isinstance(exc, duckdb.Error):
            raise PipelineError(
                f"loading {len(staged)} partition(s) failed and was rolled back, so no table "
                f"changed: {exc}. load_log has a 'failed' row for each partition"
            ) from exc
        raise
    return results


def _load_one(
    con: duckdb.DuckDBPyConnection, part: StagedPartition, run_id: str, started_at: datetime
) -> LoadResult:
    keys = {"source": part.source, "partition": part.partition}
    # fetchall, not fetchone: DuckDB 2 keeps a half-read result open and refuses new work
    previous = con.execute(sql_file("load/last_good_load.sql"), keys).fetchall()
    unchanged = previous == [(part.content_sha256,)]
    if not unchanged:
        if not Path(part.staging_path).exists():
            raise FileNotFoundError(f"{part.source} {part.partition}: staged file "
                                    f"{part.staging_path} is gone; rerun its normalize step")
        params = {**keys, "staging_path": part.staging_path, "run_id": run_id,
                  "loaded_at": utc_now()}
        for path in sorted((SQL_DIR / "load" / part.table).glob("*.sql")):
            run_sql(con, path, params)
    status = "unchanged" if unchanged else "loaded"
    _log(con, part, run_id, started_at, status, part.rows, "")
    return LoadResult(part.source, part.partition, part.rows, status)


def _log(
    con: duckdb.DuckDBPyConnection,
    part: StagedPartition,
    run_id: str,
    started_at: datetime,
    status: str,
    rows: int | None,
    message: str,
) -> None:
    con.execute(sql_file("load/load_log_insert.sql"), {
        "run_id": run_id, "source": part.source, "partition": part.partition, "rows": rows,
        "raw_sha256": part.raw_sha256, "content_sha256": part.content_sha256,
        "started_at": started_at, "finished_at": utc_now(), "status": status,
        "message": message,
    })


def _log_failures(
    con: duckdb.DuckDBPyConnection,
    staged: list[StagedPartition],
    run_id: str,
    started_at: datetime,
    exc: Exception,
) -> None:
    message = f"{type(exc).__name__}: {exc}"[:2000]
    con.begin()
    for part in staged:
        _log(con, part, run_id, started_at, "failed", None, message)
    con.commit()
