"""Our path, through the product's own functions (the ones `fdp run` and the nightly DAG call):
raw zone -> nightly.fetch_partition (replay: the raw copy) -> nightly.normalize_chunk
(pandas, pandera schema, a staging Parquet file a chunk of partitions) ->
store.load_partitions (one transaction: replace each partition, then derive). store.publish,
which brings the readers' copy up to date after a good load, is timed on its own, and so is
closing the writer's connection, where DuckDB checkpoints the night into the file, as at the
end of a night's load task."""

from __future__ import annotations

import importlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from time import perf_counter

import duckdb

from pipeline import nightly, store
from pipeline.config import Settings
from pipeline.raw import RawZone
from pipeline.sources.base import FetchContext

# the module, not the function of the same name that pipeline.store exports
derive_module = importlib.import_module("pipeline.store.derive")


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

    @property
    def load(self) -> LoadTimes:
        return self.load_derive_s, self.derive_s, self.publish_s, self.close_s

    def with_load(self, load: LoadTimes) -> NightTimes:
        load_derive_s, derive_s, publish_s, close_s = load
        return replace(self, load_derive_s=load_derive_s, derive_s=derive_s,
                       publish_s=publish_s, close_s=close_s)


def normalize_night(day: date, settings: Settings, sources: tuple[str, ...]) -> list[dict]:
    """Fetch (replay) and normalize every partition of the night: nightly.run_night's step."""
    ctx = FetchContext(settings, RawZone(settings.raw_dir), {})
    return nightly.stage_night(day, settings, ctx, sources, replay=True)


LoadTimes = tuple[float, float, float, float]  # load+derive, of which derive, publish, close


def load_night(staged: list[dict], settings: Settings, run_id: str) -> LoadTimes:
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
    store.derive there, once a night), collected for the benchmark only."""
    spent: list[float] = []
    real = derive_module.derive

    def timed(con: duckdb.DuckDBPyConnection) -> None:
        began = perf_counter()
        real(con)
        spent.append(perf_counter() - began)

    derive_module.derive = timed
    try:
        yield spent
    finally:
        derive_module.derive = real


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


def whole_night_s(times: LoadTimes) -> float:
    """Load+derive, publish and the writer's close: the night's whole cost."""
    load_derive_s, _, publish_s, close_s = times
    return load_derive_s + publish_s + close_s


def median_trial(trials: list[LoadTimes]) -> LoadTimes:
    """The trial whose whole night is the median (the upper one of an even number)."""
    return sorted(trials, key=whole_night_s)[len(trials) // 2]


def load_again(staged: list[dict], settings: Settings, run_id: str,
               put_back: Callable[[], None], times: int) -> list[LoadTimes]:
    """The night's load timed `times` more times, each from the start `put_back` restores."""
    trials = []
    for _ in range(times):
        put_back()
        trials.append(load_night(staged, settings, run_id))
    return trials


@contextmanager
def start_copied(settings: Settings) -> Iterator[Callable[[], None]]:
    """Copies the files a night changes (the writer's database and its published slots, with
    their modification times, which publish compares) into a temporary folder beside them;
    yields the function that puts them back, so that one night can be timed again from the
    same start."""
    published, files = settings.published_path, _night_files(settings)
    linked = next((path for path in files if published.exists() and path.samefile(published)),
                  None)
    with tempfile.TemporaryDirectory(dir=settings.duckdb_path.parent) as folder:
        aside = {path: Path(folder) / str(n) for n, path in enumerate(files)}
        for path, copy in aside.items():
            shutil.copy2(path, copy)

        def put_back() -> None:
            for path in _night_files(settings):
                path.unlink()
            for path, copy in aside.items():
                shutil.copy2(copy, path)
            if linked is not None:
                published.unlink(missing_ok=True)
                os.link(linked, published)
            os.sync()  # the copies' writes land before the timed trial, not during it

        yield put_back


def _night_files(settings: Settings) -> list[Path]:
    """The writer's database and WAL, the published slots and theirs (not the published
    name, a hard link to one slot)."""
    writer, published = settings.duckdb_path, settings.published_path
    candidates = [writer, writer.with_name(f"{writer.name}.wal"),
                  *published.parent.glob(f".{published.name}.*")]
    return [path for path in candidates if path.is_file()]
