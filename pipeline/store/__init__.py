"""The DuckDB store, along the flow: connect and migrate (db), load, derive, check, publish.
Only this package opens the database for writing."""

from pipeline.store.checks import check, check_written_days
from pipeline.store.db import (
    MIGRATIONS_DIR,
    connect,
    connect_published,
    migrate,
    run_sql,
    sql_file,
    utc_now,
)
from pipeline.store.derive import (
    add_route_crossings,
    derive,
    derive_touched_days,
    rebuild_derived,
)
from pipeline.store.load import LoadResult, StagedPartition, load_partitions, log_failure
from pipeline.store.publish import publish

__all__ = [
    "MIGRATIONS_DIR", "LoadResult", "StagedPartition", "add_route_crossings", "check",
    "check_written_days", "connect", "connect_published", "derive", "derive_touched_days",
    "load_partitions", "log_failure", "migrate", "publish", "rebuild_derived", "run_sql",
    "sql_file", "utc_now",
]
