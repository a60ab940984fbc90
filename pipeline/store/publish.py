"""Publish: readers get a checked copy of the database, swapped in atomically, at the cost of
the days written since, not of the history.

Two copies (slots) beside the published file take turns: `published/.fdp.duckdb.a` and `.b`.
`published/fdp.duckdb` is a hard link to the one readers get. A publish brings the other slot
up to date, then links it over the published name: readers that have the old file open keep
reading it, new readers get the new one, and none can see a half-written file. Bringing a slot
up to date replaces, in one transaction, the days of the by-day tables written since it was
last published (fdp_publish.changes, migration 019), adds to the growing tables the rows it
lacks, and copies whole each other table whose contents differ. A slot that is missing, of
another schema, too far behind, locked by a reader that kept it open for two nights, or that
ends with other row counts than the database, is copied whole instead."""

from __future__ import annotations

import logging
import os
import shutil
import time
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipeline import failpoints
from pipeline.config import Settings
from pipeline.errors import PipelineError
from pipeline.store.checks import check
from pipeline.store.db import sql_file

# The tables whose rows are written whole days at a time (each has flight_date); the other
# tables are small or growing (below), and copied whole when their contents differ.
BY_DAY = ("flights", "flight_copies", "flight_duplicates", "route_daily", "country_daily",
          "carrier_country_days", "airport_traffic_daily")
# Tables that between rebuilds only gain rows, never change one: brought up to date by adding
# the rows whose key the slot lacks (a rebuild records the whole table, which is copied).
# load_log gains a row per partition a night: copied whole, it cost 0.1 s a night at a year.
GROWING = {"route_crossings": ("origin_icao", "dest_icao", "country"),
           "load_log": ("run_id", "source", "partition", "started_at", "status")}
SLOTS = ("a", "b")
SLOT = "fdp_publish_slot"  # the slot's name while the writer has it attached
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Version:
    """What a slot holds: the database's shape and the last change it includes."""

    fingerprint: str
    seq: int


def start_recording(con: duckdb.DuckDBPyConnection) -> None:
    """Begin collecting the days a transaction writes (sql/load, sql/derive fill it)."""
    con.execute("CREATE OR REPLACE TEMP TABLE written_days (table_name VARCHAR, flight_date DATE)")


def record_written_days(con: duckdb.DuckDBPyConnection) -> None:
    """Record the collected days for the next publishes; call inside the writing transaction."""
    con.execute(sql_file("publish/record_changes.sql"))


def publish(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """Give readers the database as it is now. `con` is the writer's open connection, whose
    lock keeps other writers out while a slot is written."""
    writer, published = settings.duckdb_path, settings.published_path
    started = time.monotonic()
    problems = check(con)
    if problems:
        raise PipelineError(
            f"data checks failed, so {published} still holds the last good night: "
            + "; ".join(problems)
            + f". The loaded data stays in {writer}; fix it, then run `fdp publish`"
        )
    published.parent.mkdir(parents=True, exist_ok=True)
    for stale in published.parent.glob(f".{published.name}.*.tmp"):  # left by a killed publish
        stale.unlink()
    slot = _next_slot(published)
    try:
        how = _refresh(con, settings, slot)
        failpoints.hit("publish")
        _link(slot, published)
        _remember(con, slot)
    # a full or read-only disk (a failed commit is one too): the loads stay committed
    except (OSError, duckdb.IOException, duckdb.TransactionException) as exc:
        raise PipelineError(
            f"publishing failed: cannot write {slot} ({_reason(exc)}). {writer} keeps "
            f"everything loaded so far; readers still see the previous published copy. Fix: "
            f"free space in (or make writable) {published.parent}, then run `fdp publish`"
        ) from exc
    _prune(con, published)
    log.info("published %s (%s, %.1f MB) in %.2f s", published, how,
             published.stat().st_size / 1e6, time.monotonic() - started)


def _next_slot(published: Path) -> Path:
    """The slot readers do not get now (the first, if neither is published)."""
    slots = _slots(published)
    with suppress(FileNotFoundError):
        current = published.stat().st_ino
        if slots[0].exists() and slots[0].stat().st_ino == current:
            return slots[1]
    return slots[0]


def _slots(published: Path) -> list[Path]:
    return [published.with_name(f".{published.name}.{name}") for name in SLOTS]


def _refresh(con: duckdb.DuckDBPyConnection, settings: Settings, slot: Path) -> str:
    """Bring the slot up to the database's current version; says how."""
    now = _current_version(con)
    if slot.exists() and not _written_by_others(con, slot):
        try:
            _attach(con, slot)
        except duckdb.Error as exc:  # e.g. a reader kept it open since two nights ago
            log.info("%s cannot be updated in place (%s): copying the database whole", slot, exc)
        else:
            try:
                held = _slot_version(con)
                if _can_catch_up(con, held, now):
                    _catch_up(con, held, now)
                    if not _counts_differ(con):
                        return "updated in place"
                    log.warning("%s has other row counts than %s after its update: copying "
                                "the database whole", slot, settings.duckdb_path)
            finally:
                con.execute(f"DETACH {SLOT}")
    _copy_whole(con, settings.duckdb_path, slot, now)
    return "copied whole"


def _written_by_others(con: duckdb.DuckDBPyConnection, slot: Path) -> bool:
    """Whether the slot's file changed since the publish that left it: somebody opened the
    published copy for writing, and its rows may differ from any recorded version."""
    found = os.stat(slot)
    left = con.execute("SELECT mtime_ns, size FROM fdp_publish.slot_files WHERE slot = ?",
                       [slot.name]).fetchall()
    return left != [(found.st_mtime_ns, found.st_size)]


def _remember(con: duckdb.DuckDBPyConnection, slot: Path) -> None:
    found = os.stat(slot)
    con.execute("INSERT OR REPLACE INTO fdp_publish.slot_files VALUES (?, ?, ?)",
                [slot.name, found.st_mtime_ns, found.st_size])


def _current_version(con: duckdb.DuckDBPyConnection) -> Version:
    fingerprint = con.execute(sql_file("publish/fingerprint.sql")).fetchall()[0][0]
    seq = con.execute("SELECT seq FROM fdp_publish.clock").fetchall()[0][0]
    return Version(fingerprint, seq)


def _slot_version(con: duckdb.DuckDBPyConnection) -> Version | None:
    try:
        rows = con.execute(f"SELECT fingerprint, seq FROM {SLOT}.fdp_publish.slot").fetchall()
    except duckdb.CatalogException:
        return None
    return Version(*rows[0]) if rows else None


def _can_catch_up(con: duckdb.DuckDBPyConnection, held: Version | None, now: Version) -> bool:
    """Whether the recorded changes lead from the slot's version to now."""
    if held is None or held.fingerprint != now.fingerprint or held.seq > now.seq:
        return False
    pruned_through = con.execute("SELECT pruned_through FROM fdp_publish.clock").fetchall()[0][0]
    return held.seq >= pruned_through


def _catch_up(con: duckdb.DuckDBPyConnection, held: Version, now: Version) -> None:
    """In one transaction of the slot: replace the days written since its version in the
    by-day tables (a whole table where a change says so), copy whole each other table whose
    contents differ."""
    con.begin()
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE publish_days AS SELECT DISTINCT table_name, "
                    "flight_date FROM fdp_publish.changes WHERE seq > ?", [held.seq])
        for table in _tables(con):
            if table in BY_DAY:
                _replace_days(con, table)
            elif table in GROWING and not _rewritten(con, table):
                _add_missing(con, table, GROWING[table])
            elif _contents_differ(con, table):
                _copy_table(con, table)
        _stamp(con, now)
        con.commit()
    except Exception:
        with suppress(duckdb.TransactionException):  # a failed commit has rolled back
            con.rollback()
        raise
    con.execute(f"CHECKPOINT {SLOT}")


def _replace_days(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """The slot's rows of the written days (a rebuilt table's all) replaced. The days go in
    date order: the database lists a night's rows by partition, whose day is not always the
    flights', and the next night's delete of one of those days then left many row groups
    partly empty, which the slot's checkpoint merged and rewrote (0.7 s a night at any
    history, 0.01 s sorted)."""
    if _rewritten(con, table):
        _copy_table(con, table)
        return
    days = (f" WHERE flight_date IN (SELECT flight_date FROM publish_days "
            f"WHERE table_name = '{table}')")
    con.execute(f'DELETE FROM {SLOT}."{table}"{days}')
    con.execute(f'INSERT INTO {SLOT}."{table}" BY NAME SELECT * FROM "{table}"{days} '
                'ORDER BY flight_date')


def _copy_table(con: duckdb.DuckDBPyConnection, table: str) -> None:
    con.execute(f'DELETE FROM {SLOT}."{table}"')
    con.execute(f'INSERT INTO {SLOT}."{table}" BY NAME SELECT * FROM "{table}"')


def _rewritten(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    """Whether a change since the slot's version rewrote the whole table (a rebuild)."""
    return bool(con.execute("SELECT count(*) FROM publish_days WHERE table_name = ? AND "
                            "flight_date IS NULL", [table]).fetchall()[0][0])


def _add_missing(con: duckdb.DuckDBPyConnection, table: str, key: tuple[str, ...]) -> None:
    """The slot's copy is an earlier state of a table that only gains rows: as many rows, the
    same rows (a night with no new ones skips the search for them). Only the groups of rows
    sharing the key's first column (an origin airport, a run) whose count or hash differ are
    searched: over the whole table the search cost 0.05 s a night at a year, the groups'
    digests 0.015 s."""
    counts = [con.execute(f"SELECT count(*) FROM {name}").fetchall()[0][0]
              for name in (f'"{table}"', f'{SLOT}."{table}"')]
    if counts[0] == counts[1]:
        return
    group = key[0]
    mine, theirs = (_digest(name, group) for name in (f'"{table}"', f'{SLOT}."{table}"'))
    con.execute(f"CREATE OR REPLACE TEMP TABLE changed_groups AS {mine} EXCEPT {theirs}")
    changed = f'IN (SELECT "{group}" FROM changed_groups)'
    same_key = " AND ".join(f's."{column}" = w."{column}"' for column in key)
    con.execute(f'INSERT INTO {SLOT}."{table}" BY NAME SELECT * FROM "{table}" w '
                f'WHERE w."{group}" {changed} AND NOT EXISTS '
                f'(SELECT 1 FROM {SLOT}."{table}" s WHERE s."{group}" {changed} AND {same_key})')


def _contents_differ(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    """Whether a small table differs from the slot's copy (its rows' count and hashes): most
    nights change few of them, and rewriting the rest made the slot's commit slow."""
    [mine] = con.execute(_digest(f'"{table}"')).fetchall()
    [theirs] = con.execute(_digest(f'{SLOT}."{table}"')).fetchall()
    return mine != theirs


def _digest(table: str, group: str | None = None) -> str:
    """The query of a table's digest (of each group's, by the column `group`): its rows'
    count and the XOR of their hashes. Equal digests: the same rows, but for a collision."""
    if group is None:
        return f"SELECT count(*), bit_xor(hash(t)) FROM {table} t"
    return f'SELECT "{group}", count(*), bit_xor(hash(t)) FROM {table} t GROUP BY ALL'


def _tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [name for (name,) in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = 'main' ORDER BY 1").fetchall()]


def _counts_differ(con: duckdb.DuckDBPyConnection) -> bool:
    """A last guard against a write that recorded no change: every table's row count."""
    counts = " UNION ALL ".join(
        f'SELECT (SELECT count(*) FROM "{t}") - (SELECT count(*) FROM {SLOT}."{t}") AS d'
        for t in _tables(con))
    return bool(con.execute(f"SELECT count(*) FROM ({counts}) WHERE d <> 0").fetchall()[0][0])


def _copy_whole(con: duckdb.DuckDBPyConnection, writer: Path, slot: Path, now: Version) -> None:
    """A new slot: the checkpointed database file copied, stamped, then renamed over the old
    slot (a reader that still has the old one open keeps it)."""
    con.execute("CHECKPOINT")  # everything committed is now in the file itself, not the WAL
    wal = writer.with_name(writer.name + ".wal")
    if wal.exists() and wal.stat().st_size:
        raise PipelineError(f"{writer}: CHECKPOINT left {wal} behind; nothing was published. "
                            "Another connection may hold a transaction open; rerun `fdp publish`")
    candidate = slot.with_name(f"{slot.name}.{os.getpid()}.tmp")
    try:
        shutil.copyfile(writer, candidate)
        _attach(con, candidate)
        try:
            # the writer's bookkeeping and state
            con.execute(f"DROP SCHEMA {SLOT}.fdp_publish CASCADE")
            con.execute(f"DROP SCHEMA IF EXISTS {SLOT}.fdp_state CASCADE")
            con.execute(f"CREATE SCHEMA {SLOT}.fdp_publish")
            _stamp(con, now)
            con.execute(f"CHECKPOINT {SLOT}")
        finally:
            con.execute(f"DETACH {SLOT}")
        _fsync(candidate)
        os.replace(candidate, slot)
    finally:
        candidate.unlink(missing_ok=True)


def _attach(con: duckdb.DuckDBPyConnection, path: Path, *, read_only: bool = False) -> None:
    quoted = str(path).replace("'", "''")
    con.execute(f"ATTACH '{quoted}' AS {SLOT}{' (READ_ONLY)' if read_only else ''}")


def _stamp(con: duckdb.DuckDBPyConnection, version: Version) -> None:
    con.execute(f"CREATE OR REPLACE TABLE {SLOT}.fdp_publish.slot AS "
                "SELECT ?::VARCHAR AS fingerprint, ?::BIGINT AS seq",
                [version.fingerprint, version.seq])


def _link(slot: Path, published: Path) -> None:
    """Point the published name at the slot, atomically and durably."""
    _fsync(slot)
    link = published.with_name(f".{published.name}.{os.getpid()}.link.tmp")
    link.unlink(missing_ok=True)
    os.link(slot, link)
    try:
        os.replace(link, published)
    finally:
        link.unlink(missing_ok=True)
    _fsync(published.parent)


def _prune(con: duckdb.DuckDBPyConnection, published: Path) -> None:
    """Forget the changes both slots already hold: the other slot (the one readers had until
    now) is at least at the version published before this one."""
    held = []
    for path in _slots(published):
        try:
            _attach(con, path, read_only=True)
        except duckdb.Error:
            return  # missing or unreadable: it will be copied whole, keep everything
        try:
            version = _slot_version(con)
        finally:
            con.execute(f"DETACH {SLOT}")
        if version is None:
            return
        held.append(version.seq)
    con.begin()
    con.execute("DELETE FROM fdp_publish.changes WHERE seq <= ?", [min(held)])
    con.execute("UPDATE fdp_publish.clock SET pruned_through = greatest(pruned_through, ?)",
                [min(held)])
    con.commit()


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return str(exc).rsplit(": ", 1)[-1]


def _fsync(path: Path) -> None:
    """Flush a file, or a folder's entries (so a rename survives a crash)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
