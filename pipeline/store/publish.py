"""Publish: readers get a checked, whole copy of the database, swapped in atomically."""

from __future__ import annotations

import logging
import os
import shutil
import time
from pathlib import Path

import duckdb

from pipeline import failpoints
from pipeline.config import Settings, duckdb_resources
from pipeline.errors import PipelineError
from pipeline.store.checks import check

log = logging.getLogger(__name__)


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
