"""DuckDB store: numbered migrations applied once, and partition loads that replace exactly the
rows they cover in one transaction. Only this module opens the database for writing."""

from __future__ import annotations

import logging
import os
import re
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from pipeline import failpoints
from pipeline.config import SQL_DIR, Settings, duckdb_resources
from pipeline.errors import PipelineError

MIGRATIONS_DIR = SQL_DIR / "migrations"
DERIVE_DIR = SQL_DIR / "derive"
CHECKS_DIR = SQL_DIR / "checks"
VIEWS_DIR = SQL_DIR / "views"
# Tables whose load steps take all of a night's changed partitions of one source at once
# ($partitions, $staging_paths, $fetched_ats): one pass over the table a night, not one per
# partition. The other tables load partition by partition ($partition, $staging_path).
BATCHED_TABLES = frozenset({"flights"})
# A migration holding this line changes what the derived tables hold: existing databases get
# them rebuilt once it is applied.
REBUILD_MARK = "-- rebuilds: derived tables"
_MIGRATION_FILE = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")
# Ad hoc SQL may only read tables: no files, no network, no extensions, no settings changes.
_SANDBOX = {"enable_external_access": False, "lock_configuration": True}
log = logging.getLogger(__name__)


def sql_file(name: str) -> str:
    return (SQL_DIR / name).read_text(encoding="utf-8")


def utc_now() -> datetime:
    """Naive UTC for TIMESTAMP columns (DuckDB would shift aware values to its session zone)."""
    return datetime.now(UTC).replace(tzinfo=None)


def migrate(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Apply the numbered migrations not applied yet, each in its own transaction, then
    (re)create every view and macro of sql/views: their current definitions live only there.
    A migration that changes what the derived tables hold says so (REBUILD_MARK), and they
    are then recomputed from the loaded data."""
    con.execute(sql_file("migrations/000_schema_migrations.sql"))
    applied = {row[0] for row in con.execute("SELECT version FROM schema_migrations").fetchall()}
    newly_applied, rebuild = [], False
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        match = _MIGRATION_FILE.match(path.name)
        if not match:
            raise ValueError(f"{path}: migration files are named NNN_name.sql")
        version = int(match.group(1))
        if version == 0 or version in applied:
            continue
        text = path.read_text(encoding="utf-8")
        con.begin()
        try:
            con.execute(text)
            con.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, ?)", [version, path.name, utc_now()]
            )
            con.commit()
        except Exception:
            con.rollback()
            raise
        newly_applied.append(path.name)
        rebuild = rebuild or (REBUILD_MARK in text and bool(applied))
    apply_views(con)
    if rebuild:
        log.info("migrations %s change the derived tables: rebuilding them", newly_applied)
        rebuild_derived(con)
    return newly_applied


def apply_views(con: duckdb.DuckDBPyConnection) -> None:
    con.begin()
    try:
        for path in sorted(VIEWS_DIR.glob("*.sql")):
            con.execute(path.read_text(encoding="utf-8"))
        con.commit()
    except Exception:
        con.rollback()
        raise


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
    config = {**duckdb_resources(), **(_SANDBOX if sandboxed else {})}
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


@contextmanager
def connect_published(settings: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only, sandboxed connection to the published copy of the last good night. It
    never waits for or blocks a running load, and never shows a night half loaded. Only the
    writer opens the database itself: even a read-only connection there would lock it."""
    published, writer = settings.published_path, settings.duckdb_path
    if not published.exists():
        raise PipelineError(
            f"nothing is published at {published} yet: a night is published when it loads "
            f"without error (`fdp run --date YYYY-MM-DD`, `make demo`). To publish what "
            f"{writer} holds now, run `fdp publish`"
        )
    con = duckdb.connect(str(published), read_only=True,
                         config={**duckdb_resources(), **_SANDBOX})
    try:
        yield con
    finally:
        con.close()


def check(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Run the data-quality checks in sql/checks; each lists the rows that break it."""
    problems = []
    for path in sorted(CHECKS_DIR.glob("*.sql")):
        rows = con.execute(path.read_text(encoding="utf-8")).fetchall()
        if rows:
            problems.append(f"{path.name}: {len(rows)} row(s) break it, e.g. {rows[0]}")
    return problems


def publish(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """Give readers the database as it is now, whole. `con` is the writer's open connection,
    whose lock keeps other writers out while the file is copied. The copy is checked, then
    renamed over the published file: readers that have the old file open keep reading it,
    new readers get the new one, and none can see a half-written file."""
    writer, published = settings.duckdb_path, settings.published_path
    started = time.monotonic()
    con.execute("CHECKPOINT")  # everything committed is now in the file itself, not the WAL
    wal = writer.with_name(writer.name + ".wal")
    if wal.exists() and wal.stat().st_size:
        raise PipelineError(f"{writer}: CHECKPOINT left {wal} behind; nothing was published. "
                            "Another connection may hold a transaction open; rerun `fdp publish`")
    published.parent.mkdir(parents=True, exist_ok=True)
    for stale in published.parent.glob(f".{published.name}.*.tmp"):  # left by a killed publish
        stale.unlink()
    candidate = published.with_name(f".{published.name}.{os.getpid()}.tmp")
    try:
        try:
            _copy_durably(writer, candidate)
        except OSError as exc:  # a full or read-only disk: the loads stay committed
            raise PipelineError(
                f"publishing failed: cannot write {candidate} ({exc.strerror or exc}). "
                f"{writer} keeps everything loaded so far; readers "
                f"still see the previous published copy. Fix: free space in (or make "
                f"writable) {published.parent}, then run `fdp publish`") from exc
        failpoints.hit("publish")
        with duckdb.connect(str(candidate), read_only=True, config=duckdb_resources()) as copy:
            problems = check(copy)
        if problems:
            raise PipelineError(
                f"data checks failed, so {published} still holds the last good night: "
                + "; ".join(problems)
                + f". The loaded data stays in {writer}; fix it, then run `fdp publish`"
            )
        os.replace(candidate, published)
        _fsync(published.parent)
    finally:
        candidate.unlink(missing_ok=True)
    log.info("published %s (%.1f MB) in %.2f s", published,
             published.stat().st_size / 1e6, time.monotonic() - started)


def _copy_durably(source: Path, target: Path) -> None:
    shutil.copyfile(source, target)
    _fsync(target)


def _fsync(path: Path) -> None:
    """Flush a file, or a folder's entries (so a rename survives a crash)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


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
    fetched_at: str | None = None  # UTC ISO time of the newest raw fetch behind the rows
    note: str = ""  # what the user should know although the partition loads (load_log message)


@dataclass(frozen=True)
class LoadResult:
    source: str
    partition: str
    rows: int
    status: str
    merged: int = 0  # rows other partitions of the source also gave (see sql/load/flights/)
    message: str = ""


def run_sql(con: duckdb.DuckDBPyConnection, path: Path, params: dict[str, object]) -> None:
    """Run one SQL file, statement by statement (DuckDB binds parameters to one statement
    only), passing each only the $parameters it names (DuckDB refuses extras)."""
    for statement in duckdb.extract_statements(path.read_text(encoding="utf-8")):
        named = statement.named_parameters
        con.execute(statement.query, {k: v for k, v in params.items() if k in named} or None)


def load_partitions(
    con: duckdb.DuckDBPyConnection, staged: list[StagedPartition], run_id: str
) -> list[LoadResult]:
    """Load every staged partition and rebuild the derived tables in ONE transaction: readers
    see the night before or the night after, and a failure leaves the tables as they were."""
    started_at = utc_now()
    results: dict[StagedPartition, LoadResult] = {}
    con.begin()
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE touched_dates (d DATE)")  # see sql/derive
        for group in _groups(staged):
            results |= _load_group(con, group, run_id, started_at)
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
    return [results[part] for part in staged]


def _groups(staged: list[StagedPartition]) -> list[list[StagedPartition]]:
    """The partitions loaded together: a batched table's partitions of one source, in one
    group; any other partition alone."""
    groups: dict[tuple[str, str], list[StagedPartition]] = {}
    singles = []
    for part in staged:
        if part.table in BATCHED_TABLES:
            groups.setdefault((part.table, part.source), []).append(part)
        else:
            singles.append([part])
    return [*groups.values(), *singles]


def _load_group(con: duckdb.DuckDBPyConnection, parts: list[StagedPartition], run_id: str,
                started_at: datetime) -> dict[StagedPartition, LoadResult]:
    """Replace the rows of the group's partitions whose content changed since their last good
    load (the others are left untouched: 'unchanged'), and log each partition."""
    changed = [part for part in parts if not _unchanged(con, part)]
    merges = _replace_rows(con, changed, run_id) if changed else {}
    results = {}
    for part in parts:
        status = "loaded" if part in changed else "unchanged"
        merged, merge_note = merges.get(part.partition, (0, ""))
        message = "; ".join(m for m in (part.note, merge_note) if m)
        _log(con, part, run_id, started_at, status, part.rows, message, merged)
        results[part] = LoadResult(part.source, part.partition, part.rows, status, merged,
                                   message)
    return results


def _unchanged(con: duckdb.DuckDBPyConnection, part: StagedPartition) -> bool:
    keys = {"source": part.source, "partition": part.partition}
    # fetchall, not fetchone: DuckDB 2 keeps a half-read result open and refuses new work
    previous = con.execute(sql_file("load/last_good_load.sql"), keys).fetchall()
    return previous == [(part.content_sha256,)]


def _replace_rows(con: duckdb.DuckDBPyConnection, parts: list[StagedPartition], run_id: str
                  ) -> dict[str, tuple[int, str]]:
    """Run the table's load steps (sql/load/<table>/N_*.sql, in order) for the partitions,
    all at once for a batched table; returns, by partition, what its summary.sql (if any)
    says was merged with other partitions' rows."""
    for part in parts:
        if not Path(part.staging_path).exists():
            raise FileNotFoundError(f"{part.source} {part.partition}: staged file "
                                    f"{part.staging_path} is gone; rerun its normalize step")
    loaded_at = utc_now()
    first = parts[0]
    params = {
        "source": first.source, "partition": first.partition, "run_id": run_id,
        "staging_path": first.staging_path, "loaded_at": loaded_at,
        "fetched_at": first.fetched_at or loaded_at,
        # a batched table's steps take the whole group
        "partitions": [p.partition for p in parts],
        "staging_paths": [p.staging_path for p in parts],
        "fetched_ats": [p.fetched_at or loaded_at.isoformat() for p in parts],
    }
    folder = SQL_DIR / "load" / first.table
    for path in sorted(folder.glob("[0-9]_*.sql")):
        run_sql(con, path, params)
    summary = folder / "summary.sql"
    if not summary.exists():
        return {}
    rows = con.execute(summary.read_text(encoding="utf-8")).fetchall()
    return {partition: (int(merged), message or "") for partition, merged, message in rows}


def _log(
    con: duckdb.DuckDBPyConnection,
    part: StagedPartition,
    run_id: str,
    started_at: datetime,
    status: str,
    rows: int | None,
    message: str,
    merged: int | None = None,
) -> None:
    con.execute(sql_file("load/load_log_insert.sql"), {
        "run_id": run_id, "source": part.source, "partition": part.partition, "rows": rows,
        "raw_sha256": part.raw_sha256, "content_sha256": part.content_sha256,
        "started_at": started_at, "finished_at": utc_now(), "status": status,
        "message": message, "merged": merged,
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


def log_failure(con: duckdb.DuckDBPyConnection, source: str, partition: str, run_id: str,
                raw_sha256: str | None, message: str) -> None:
    """A failure before anything was staged (an unreadable import file): one 'failed' row."""
    failed = StagedPartition(source, "", partition, "", 0, raw_sha256 or "", "")
    _log(con, failed, run_id, utc_now(), "failed", None, message[:2000])
