"""Our path, through the product's own functions (the ones `fdp run` and the nightly DAG call):
raw zone -> nightly.fetch_partition (replay: the raw copy) -> nightly.normalize_chunk
(pandas, pandera schema, a staging Parquet file a chunk of partitions) ->
store.load_partitions (one transaction: replace each partition, then derive). store.publish,
which brings the readers' copy up to date after a good load, is timed on its own, and so is
closing the writer's connection, where DuckDB checkpoints the night into the file, as at the
end of a night's load task."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from time import perf_counter

import duckdb

from pipeline import nightly, store
from pipeline.config import Settings
from pipeline.raw import RawZone
from pipeline.sources.base import FetchContext
from pipeline.store import load as load_module


@dataclass(frozen=True)
class NightTimes:
    day: date
    partitions: int
    rows_loaded: int
    normalize_s: float  # fetch from raw + normalize + staging Parquet, every partition
    load_derive_s: float  # store.load_partitions: the one load transaction, derive included
    derive_s: float  # of which the derive steps (sql/derive)
    publish_s: float
    close_s: float  # the writer's connection closed: DuckDB checkpoints the night into the file


def normalize_night(day: date, settings: Settings, sources: tuple[str, ...]) -> list[dict]:
    """Fetch (replay) and normalize every partition of the night: nightly.run_night's step."""
    ctx = FetchContext(settings, RawZone(settings.raw_dir), {})
    return nightly.stage_night(day, settings, ctx, sources, replay=True)


def load_night(staged: list[dict], settings: Settings, run_id: str
               ) -> tuple[float, float, float, float]:
    """nightly.load_night's steps, timed apart: (load plus derive, of which derive, publish,
    closing the writer's connection) in seconds."""
    parts = sorted((store.StagedPartition(**s) for s in staged), key=lambda p: p.partition)
    with store.connect(settings.duckdb_path) as con, timed_derive() as derive_times:
        began = perf_counter()
        store.load_partitions(con, parts, run_id)
        loaded = perf_counter()
        store.publish(con, settings)
        published = perf_counter()
    return loaded - began, sum(derive_times), published - loaded, perf_counter() - published


@contextmanager
def timed_derive() -> Iterator[list[float]]:
    """The seconds spent in the derive step inside the load transaction (store.load calls
    store.derive there), collected for the benchmark only."""
    spent: list[float] = []
    real = load_module.derive

    def timed(con: duckdb.DuckDBPyConnection) -> None:
        began = perf_counter()
        real(con)
        spent.append(perf_counter() - began)

    load_module.derive = timed
    try:
        yield spent
    finally:
        load_module.derive = real


def run_night(day: date, settings: Settings, sources: tuple[str, ...]) -> tuple[NightTimes,
                                                                                list[dict]]:
    began = perf_counter()
    staged = normalize_night(day, settings, sources)
    normalized = perf_counter() - began
    load_s, derive_s, publish_s, close_s = load_night(staged, settings,
                                                      f"bench__{day.isoformat()}")
    times = NightTimes(day, len(staged), sum(s["rows"] for s in staged), normalized, load_s,
                       derive_s, publish_s, close_s)
    return times, staged
