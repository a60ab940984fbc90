"""One night of the pipeline as plain functions, shared by the Airflow DAG and the CLI:
plan -> fetch (raw zone) -> normalize (staging) -> load + derive (DuckDB, one writer)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime
from pathlib import Path
from types import ModuleType

import duckdb

from pipeline import store
from pipeline.config import Credentials, Settings
from pipeline.errors import PipelineError, SourceError
from pipeline.raw import RawRecord, RawZone, combined_sha256, newest_fetch, sha256_hex
from pipeline.reference.airlines import known_airline_icao
from pipeline.sources.base import (
    FetchContext,
    NormalizeContext,
    Response,
    partition_name,
    utc_now,
)
from pipeline.sources.registry import SOURCES
from pipeline.staging import content_sha256, content_sha256_by, write_parquet
from pipeline.watchlist import Watchlist, load_watchlist

# A current-only source (it answers with what is true now, e.g. NOTAMs in force) can stand for
# a night only while that night is this recent; older nights use its raw copy or go without.
CURRENT_ONLY_DAYS = 1
# Partitions a task (or the CLI) fetches and normalizes at once: 500 watched airports make ten
# chunks a source, not 500 task instances; a chunk's frame stays small (about 15,000 flights).
CHUNK_PARTITIONS = 50
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Partition:
    source: str
    day: str  # ISO date of the UTC day
    key: str  # e.g. the airport for OpenSky
    fetch: bool = True  # False: use the raw zone's copy even when not replaying

    @property
    def name(self) -> str:
        """Day-and-key; a snapshot source (reference data, the registry) has one partition
        whatever the night, so an unchanged copy is never loaded twice."""
        if getattr(self.module, "SNAPSHOT", False):
            return self.key
        return partition_name(self.date, self.key)

    @property
    def date(self) -> date:
        return date.fromisoformat(self.day)

    @property
    def module(self) -> ModuleType:
        return SOURCES[self.source]


def check_sources(sources: Iterable[str]) -> tuple[str, ...]:
    chosen = tuple(sources)
    unknown = sorted(set(chosen) - set(SOURCES))
    if unknown or not chosen:
        raise ValueError(f"unknown sources {unknown}; choose from {', '.join(SOURCES)}")
    return chosen


def plan(
    day: date,
    watchlist: Watchlist,
    sources: Iterable[str],
    *,
    raw: RawZone,
    today: date | None,
) -> list[Partition]:
    """The night's partitions. `today` is None when replaying (nothing is fetched)."""
    parts = []
    for source in check_sources(sources):
        module = SOURCES[source]
        for key in module.partition_keys(watchlist):
            part = Partition(source, day.isoformat(), key)
            if getattr(module, "CURRENT_ONLY", False):
                part = _current_only(part, raw, today)
            if part is not None:
                parts.append(part)
    return parts


def _current_only(part: Partition, raw: RawZone, today: date | None) -> Partition | None:
    if today is not None and (today - part.date).days <= CURRENT_ONLY_DAYS:
        return part
    if raw.latest(part.source, part.name):
        return replace(part, fetch=False)
    log.info("%s %s: skipped; this source answers only for the present and was not fetched "
             "on that night", part.source, part.name)
    return None


def fetch_partition(part: Partition, ctx: FetchContext, *, replay: bool) -> None:
    """Put the partition's responses in the raw zone (or, replaying, check they are there).
    A snapshot source is read again even when replaying, offline: its local file may have
    been fixed or edited since, and replay must use that, never silently ignore it."""
    if replay and getattr(part.module, "SNAPSHOT", False):
        part.module.fetch(replace(ctx, offline=True), part.date, part.key)
    elif replay or not part.fetch:
        _responses(ctx.raw, part)
    else:
        part.module.fetch(ctx, part.date, part.key)


def fetched_since(raw: RawZone, part: Partition, since: datetime) -> bool:
    """Whether the partition's newest complete fetch was made at or after `since` (UTC): a
    retried fetch task of the same run need not fetch, and pay for, it again."""
    records = raw.latest(part.source, part.name)
    return bool(records) and min(datetime.fromisoformat(r.fetched_at) for r in records) >= since


def _responses(raw: RawZone, part: Partition) -> list[Response]:
    records = raw.latest(part.source, part.name)
    if not records:
        raise SourceError(
            part.source, part.name,
            f"no complete raw fetch in {raw.partition_dir(part.source, part.name)}",
            "fetch it first (run without --replay), or generate the demo replay (make demo)",
        )
    return [Response(record, raw.read(record)) for record in records]


def normalize_partition(part: Partition, settings: Settings, watchlist: Watchlist) -> dict:
    """Raw zone -> typed, schema-checked frame -> staging Parquet. Returns a StagedPartition
    as a dict so Airflow can pass it between tasks."""
    raw = RawZone(settings.raw_dir)
    responses = _responses(raw, part)
    ctx = NormalizeContext(settings, watchlist, known_airline_icao())
    try:
        frame = part.module.normalize(responses, ctx, part.date, part.key)
    except Exception as exc:  # a parser that chokes must still say where the input is
        raise _quarantined(raw, part, responses, exc) from exc
    path = settings.staging_dir / part.source / part.day / f"{part.key}.parquet"
    write_parquet(frame, path)
    return _staged(part, responses, path, len(frame), content_sha256(frame))


def normalize_chunk(chunk: list[Partition], settings: Settings, watchlist: Watchlist
                    ) -> list[dict]:
    """A chunk of one source's partitions of a night (see `chunks`), normalized together when
    the source can (`normalize_many`: one frame, one schema check, one Parquet file), else one
    by one. Each partition keeps its own StagedPartition: rows, fingerprint, load_log row."""
    module = chunk[0].module
    if len(chunk) < 2 or not hasattr(module, "normalize_many"):
        return [normalize_partition(part, settings, watchlist) for part in chunk]
    raw = RawZone(settings.raw_dir)
    responses = [_responses(raw, part) for part in chunk]
    ctx = NormalizeContext(settings, watchlist, known_airline_icao())
    try:
        frame = module.normalize_many(
            [(answers, part.date, part.key) for part, answers in zip(chunk, responses,
                                                                     strict=True)], ctx)
    except Exception as exc:  # one partition's input: one by one names and quarantines it
        log.warning("%s %s: normalizing %d partitions together failed (%s); one by one",
                    chunk[0].source, chunk[0].day, len(chunk), exc)
        return [normalize_partition(part, settings, watchlist) for part in chunk]
    path = (settings.staging_dir / chunk[0].source / chunk[0].day
            / f"{chunk[0].key}-{chunk[-1].key}-{len(chunk)}.parquet")
    write_parquet(frame, path)
    names = [part.name for part in chunk]
    rows = frame["source_partition"].value_counts()
    fingerprints = content_sha256_by(frame, "source_partition", names)
    return [_staged(part, answers, path, int(rows.get(part.name, 0)), fingerprints[part.name])
            for part, answers in zip(chunk, responses, strict=True)]


def chunks(parts: list[Partition], size: int = CHUNK_PARTITIONS) -> list[list[Partition]]:
    """The night's partitions in chunks of at most `size`, each of one source and day, in
    plan order: what a fetch or normalize task (or the CLI) takes at once."""
    grouped: dict[tuple[str, str], list[Partition]] = {}
    for part in parts:
        grouped.setdefault((part.source, part.day), []).append(part)
    return [group[i:i + size] for group in grouped.values() for i in range(0, len(group), size)]


def _staged(part: Partition, responses: list[Response], path: Path, rows: int,
            fingerprint: str) -> dict:
    records = [r.record for r in responses]
    fetched_at = newest_fetch(records)
    note = unusable_notes(records)
    if note:
        log.warning("%s %s: %s", part.source, part.name, note)
    staged = store.StagedPartition(
        source=part.source, table=part.module.TABLE, partition=part.name,
        staging_path=str(path), rows=rows, raw_sha256=combined_sha256(records),
        # the fetch time decides between two partitions' copies of a flight (sql/load/flights)
        content_sha256=sha256_hex(f"{fingerprint}|{fetched_at}".encode()),
        fetched_at=fetched_at, note=note,
    )
    return asdict(staged)


def unusable_notes(records: list[RawRecord]) -> str:
    """Why responses of the fetch could not be used (a failed download, a bad registry
    edit), when the partition loads anyway from a copy carried forward."""
    return "; ".join(dict.fromkeys(r.note for r in records if not r.usable and r.note))


def _quarantined(raw: RawZone, part: Partition, responses: list[Response], exc: Exception
                 ) -> SourceError:
    """The raw responses stay where they are (raw is never rewritten): name them, so a user
    can inspect them and replay once the parser is fixed."""
    folder = raw.partition_dir(part.source, part.name)
    files = ", ".join(r.record.file for r in responses)
    problem = exc.problem if isinstance(exc, SourceError) else f"{type(exc).__name__}: {exc}"
    return SourceError(
        part.source, part.name, f"cannot normalize the raw responses ({problem})",
        f"they are kept in {folder} ({files}); inspect them, fix the parser or the data, then "
        f"rerun with --replay",
    )


def load_night(staged: Iterable[dict], settings: Settings, run_id: str) -> list[dict]:
    """Load and publish; a failed load is published too, so readers see it in load_log."""
    parts = sorted((store.StagedPartition(**s) for s in staged), key=lambda p: p.partition)
    with store.connect(settings.duckdb_path) as con:
        try:
            results = [asdict(r) for r in store.load_partitions(con, parts, run_id)]
        except PipelineError:
            _publish_failure(con, settings)  # the tables are as they were
            raise
        store.publish(con, settings)
    return results


def record_failure(settings: Settings, source: str, partition: str, run_id: str,
                   raw_sha256: str | None, message: str) -> None:
    """A failure before the load (e.g. an unreadable import file), logged and published."""
    with store.connect(settings.duckdb_path) as con:
        store.log_failure(con, source, partition, run_id, raw_sha256, message)
        _publish_failure(con, settings)


def _publish_failure(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """Publish a failure's load_log rows; if even that fails, the original error matters more."""
    try:
        store.publish(con, settings)
    except PipelineError as exc:
        log.warning("the failure could not be published: %s", exc)


def run_night(
    day: date,
    settings: Settings,
    *,
    replay: bool,
    sources: Iterable[str] = tuple(SOURCES),
    credentials: dict[str, Credentials | None] | None = None,
    run_id: str | None = None,
    now: Callable[[], datetime] = utc_now,
) -> list[dict]:
    """The whole night in one process (the CLI's path; the DAG runs the same steps as tasks)."""
    ctx = FetchContext(settings, RawZone(settings.raw_dir), credentials or {}, now=now)
    staged = stage_night(day, settings, ctx, sources, replay=replay)
    run_id = run_id or f"cli__{day.isoformat()}__{now().isoformat()}"
    return load_night(staged, settings, run_id)


def stage_night(day: date, settings: Settings, ctx: FetchContext, sources: Iterable[str], *,
                replay: bool) -> list[dict]:
    """Fetch and normalize every partition of the night, one after another; returns what
    load_night takes."""
    watchlist = load_watchlist(settings.watchlist_path)
    today = None if replay else ctx.now().date()
    staged = []
    for chunk in chunks(plan(day, watchlist, sources, raw=ctx.raw, today=today)):
        for part in chunk:
            fetch_partition(part, ctx, replay=replay)
        staged += normalize_chunk(chunk, settings, watchlist)
    return staged


def loaded_days(settings: Settings, days: Iterable[date], sources: Iterable[str]) -> set[date]:
    """Days whose every planned partition's last load succeeded (what backfill skips)."""
    watchlist = load_watchlist(settings.watchlist_path)
    raw = RawZone(settings.raw_dir)
    if not settings.published_path.exists():
        return set()
    with store.connect_published(settings) as con:  # the writer's file stays free for loads
        good = set(con.execute(store.sql_file("load/loaded_partitions.sql")).fetchall())
    return {
        day for day in days
        if all((p.source, p.name) in good
               for p in plan(day, watchlist, sources, raw=raw, today=None))
    }
