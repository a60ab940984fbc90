"""Load: the one writer replaces the staged partitions' rows, all of a night in ONE transaction
with the derive steps, and logs every partition in load_log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from pipeline import failpoints
from pipeline.config import SQL_DIR
from pipeline.errors import PipelineError
from pipeline.store.db import run_sql, sql_file, utc_now
from pipeline.store.derive import derive_touched_days
from pipeline.store.publish import record_written_days, start_recording

# Tables whose load steps take all of a night's changed partitions of one source at once
# ($partitions, $staging_paths, $fetched_ats): one pass over the table a night, not one per
# partition. The other tables load partition by partition ($partition, $staging_path).
BATCHED_TABLES = frozenset({"flights"})


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
        start_recording(con)
        for group in _groups(staged):
            results |= _load_group(con, group, run_id, started_at)
            failpoints.hit("load")
        derive_touched_days(con)
        record_written_days(con)
        con.commit()
    except Exception as exc:
        con.rollback()
        _log_failures(con, staged, run_id, started_at, exc)
        if isinstance(exc, duckdb.Error):
            raise PipelineError(_failed_load_message(con, len(staged), exc)) from exc
        raise
    return [results[part] for part in staged]


def _failed_load_message(con: duckdb.DuckDBPyConnection, partitions: int,
                         exc: duckdb.Error) -> str:
    outcome = f"loading {partitions} partition(s) failed and was rolled back, so no table changed"
    logged = "load_log has a 'failed' row for each partition"
    if isinstance(exc, duckdb.OutOfMemoryException):  # DuckDB's own advice is SQL: not ours
        [(limit,)] = con.execute("SELECT current_setting('memory_limit')").fetchall()
        return (f"{outcome}: DuckDB ran out of its memory_limit ({limit}); {logged}. Fix: set "
                "FDP_DUCKDB_MEMORY_LIMIT higher, within the memory the machine or container "
                "has, then run it again")
    return f"{outcome}: {exc}. {logged}"


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
    last_good = _last_good_contents(con, parts)
    changed = [part for part in parts if last_good.get(part.partition) != part.content_sha256]
    merges = _replace_rows(con, changed, run_id) if changed else {}
    results = {}
    for part in parts:
        status = "loaded" if part in changed else "unchanged"
        merged, merge_note = merges.get(part.partition, (0, ""))
        message = "; ".join(m for m in (part.note, merge_note) if m)
        results[part] = LoadResult(part.source, part.partition, part.rows, status, merged,
                                   message)
    _log(con, run_id, started_at, [(part, result.status, result.rows, result.message,
                                    result.merged) for part, result in results.items()])
    return results


def _last_good_contents(con: duckdb.DuckDBPyConnection, parts: list[StagedPartition]
                        ) -> dict[str, str]:
    """Each partition's content fingerprint at its last good load (a group has one source)."""
    keys = {"source": parts[0].source, "partitions": [part.partition for part in parts]}
    # fetchall, not fetchone: DuckDB 2 keeps a half-read result open and refuses new work
    return dict(con.execute(sql_file("load/last_good_load.sql"), keys).fetchall())


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
        # partitions normalized together share a file (it is read once; the rows of any
        # unchanged partition in it are left out by their source_partition)
        "staging_paths": list(dict.fromkeys(p.staging_path for p in parts)),
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


LogEntry = tuple[StagedPartition, str, int | None, str, int | None]  # status, rows, message, merged


def _log(con: duckdb.DuckDBPyConnection, run_id: str, started_at: datetime,
         entries: list[LogEntry]) -> None:
    """The load_log rows of a group's partitions, in one statement (one per partition would
    cost a night of 500 partitions half a second)."""
    if not entries:
        return
    parts, statuses, rows, messages, merged = (list(column) for column in zip(*entries,
                                                                              strict=True))
    con.execute(sql_file("load/load_log_insert.sql"), {
        "run_id": run_id, "sources": [p.source for p in parts],
        "partitions": [p.partition for p in parts], "rows": rows,
        "raw_sha256s": [p.raw_sha256 for p in parts],
        "content_sha256s": [p.content_sha256 for p in parts],
        "started_at": started_at, "finished_at": utc_now(), "statuses": statuses,
        "messages": messages, "merged": merged,
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
    _log(con, run_id, started_at, [(part, "failed", None, message, None) for part in staged])
    con.commit()


def log_failure(con: duckdb.DuckDBPyConnection, source: str, partition: str, run_id: str,
                raw_sha256: str | None, message: str) -> None:
    """A failure before anything was staged (an unreadable import file): one 'failed' row."""
    failed = StagedPartition(source, "", partition, "", 0, raw_sha256 or "", "")
    _log(con, run_id, utc_now(), [(failed, "failed", None, message[:2000], None)])
