"""Connect and migrate: the DuckDB file, created and migrated on first use (numbered migrations
applied once, then every view and macro of sql/views), and the helpers every stage uses to run
the SQL files of sql/."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from pipeline.config import SQL_DIR, Settings, duckdb_resources
from pipeline.errors import PipelineError

MIGRATIONS_DIR = SQL_DIR / "migrations"
VIEWS_DIR = SQL_DIR / "views"
# A migration holding this line changes what the derived tables hold: existing databases get
# them rebuilt once it is applied.
REBUILD_MARK = "-- rebuilds: derived tables"
_MIGRATION_FILE = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")
# Ad hoc SQL may only read tables: no files, no network, no extensions, no settings changes.
SANDBOX = {"enable_external_access": False, "lock_configuration": True}
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
    are then recomputed from the loaded data; after any other, the carrier statuses are."""
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
        with transaction(con):
            con.execute(text)
            con.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, ?)", [version, path.name, utc_now()]
            )
        newly_applied.append(path.name)
        rebuild = rebuild or (REBUILD_MARK in text and bool(applied))
    apply_views(con)
    from pipeline.store.derive import rebuild_derived, refresh_carrier_status  # runs SQL here

    if rebuild:
        log.info("migrations %s change the derived tables: rebuilding them", newly_applied)
        rebuild_derived(con)
    elif newly_applied and applied:  # cheap: the registry's statuses, as every load makes them
        refresh_carrier_status(con)
    return newly_applied


def apply_views(con: duckdb.DuckDBPyConnection) -> None:
    with transaction(con):
        for path in sorted(VIEWS_DIR.glob("*.sql")):
            con.execute(path.read_text(encoding="utf-8"))


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Run the block in one transaction: committed if it ends, rolled back if it raises."""
    con.begin()
    try:
        yield
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
    config = _sandboxed(duckdb_resources()) if sandboxed else duckdb_resources()
    _make_spill_folder(config)
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


def _make_spill_folder(config: dict[str, object]) -> None:
    """DuckDB creates its temp_directory's last folder only, and only when it first spills:
    deep in a big derive, which then fails. A folder that cannot be made (a read-only home)
    is left to DuckDB, which needs it only if it spills."""
    if "temp_directory" in config:
        with suppress(OSError):
            Path(str(config["temp_directory"])).mkdir(parents=True, exist_ok=True)


def _sandboxed(resources: dict[str, str]) -> dict[str, object]:
    """A sandbox has no file access, so no spill folder either: ad hoc SQL stays in memory."""
    return {**{k: v for k, v in resources.items() if k != "temp_directory"}, **SANDBOX}


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
                         config=_sandboxed(duckdb_resources()))
    try:
        yield con
    finally:
        con.close()


def run_sql(con: duckdb.DuckDBPyConnection, path: Path, params: dict[str, object]) -> None:
    """Run one SQL file, statement by statement (DuckDB binds parameters to one statement
    only), passing each only the $parameters it names (DuckDB refuses extras)."""
    for statement in duckdb.extract_statements(path.read_text(encoding="utf-8")):
        named = statement.named_parameters
        con.execute(statement.query, {k: v for k, v in params.items() if k in named} or None)
