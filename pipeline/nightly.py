"""One night of the pipeline as plain functions, shared by the Airflow DAG and the CLI:
plan -> fetch (raw zone) -> normalize (staging) -> load (DuckDB, one writer)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime

from pipeline import store
from pipeline.config import Credentials, Settings
from pipeline.errors import SourceError
from pipeline.http import ClientCredentialsSession
from pipeline.raw import RawZone, combined_sha256
from pipeline.reference.airlines import known_airline_icao
from pipeline.sources import opensky
from pipeline.staging import content_sha256, write_parquet
from pipeline.watchlist import Watchlist, load_watchlist

SOURCES = ("opensky",)
CREDENTIALS_FIX = (
    "set OPENSKY_CLIENT_ID and OPENSKY_CLIENT_SECRET (in Airflow: the connection "
    "opensky_default, login = client id, password = client secret), or rebuild from raw with "
    "--replay"
)


@dataclass(frozen=True)
class Partition:
    source: str
    day: str  # ISO date of the UTC day
    key: str  # the airport for OpenSky

    @property
    def name(self) -> str:
        return f"{self.day}/{self.key}"

    @property
    def date(self) -> date:
        return date.fromisoformat(self.day)


def check_sources(sources: Iterable[str]) -> tuple[str, ...]:
    chosen = tuple(sources)
    unknown = sorted(set(chosen) - set(SOURCES))
    if unknown or not chosen:
        raise ValueError(f"unknown sources {unknown}; choose from {', '.join(SOURCES)}")
    return chosen


def plan(day: date, watchlist: Watchlist, sources: Iterable[str] = SOURCES) -> list[Partition]:
    check_sources(sources)
    return [Partition("opensky", day.isoformat(), airport) for airport in watchlist.airports]


def opensky_client(settings: Settings, credentials: Credentials | None, partition: str):
    if credentials is None:
        raise SourceError("opensky", partition, "no OpenSky API credentials", CREDENTIALS_FIX)
    return ClientCredentialsSession(settings.opensky_auth_url, credentials, settings)


def fetch_partition(
    part: Partition,
    settings: Settings,
    *,
    replay: bool,
    credentials: Credentials | None = None,
    client: ClientCredentialsSession | None = None,
) -> int:
    """Put the partition's responses in the raw zone (or, replaying, check they are there).
    Returns how many raw records the partition has ready."""
    raw = RawZone(settings.raw_dir)
    if replay:
        return len(_usable_records(raw, part))
    client = client or opensky_client(settings, credentials, part.name)
    return len(opensky.fetch(client, raw, settings.opensky_api_url, part.date, part.key))


def _usable_records(raw: RawZone, part: Partition) -> dict:
    records = raw.latest(part.source, part.name)
    missing = [request for request in opensky.REQUESTS if request not in records]
    if missing:
        raise SourceError(
            part.source, part.name,
            f"no usable raw response for {missing} in {raw.partition_dir(part.source, part.name)}",
            "fetch it first (run without --replay), or generate the demo replay (make demo)",
        )
    return records


def normalize_partition(part: Partition, settings: Settings, watchlist: Watchlist) -> dict:
    """Raw zone -> typed, schema-checked frame -> staging Parquet. Returns a StagedPartition
    as a dict so Airflow can pass it between tasks."""
    raw = RawZone(settings.raw_dir)
    records = _usable_records(raw, part)
    flights = opensky.parse_records(raw, records)
    frame = opensky.normalize(
        flights["departure"], flights["arrival"], day=part.date, airport=part.key,
        watched_airports=watchlist.airports, airlines=known_airline_icao(),
    )
    path = settings.staging_dir / part.source / part.day / f"{part.key}.parquet"
    write_parquet(frame, path)
    staged = store.StagedPartition(
        source=part.source, partition=part.name, staging_path=str(path), rows=len(frame),
        raw_sha256=combined_sha256(list(records.values())),
        content_sha256=content_sha256(frame),
    )
    return asdict(staged)


def load_night(staged: Iterable[dict], settings: Settings, run_id: str) -> list[dict]:
    parts = sorted((store.StagedPartition(**s) for s in staged), key=lambda p: p.partition)
    with store.connect(settings.duckdb_path) as con:
        return [asdict(r) for r in store.load_partitions(con, parts, run_id)]


def run_night(
    day: date,
    settings: Settings,
    *,
    replay: bool,
    sources: Iterable[str] = SOURCES,
    credentials: Credentials | None = None,
    run_id: str | None = None,
    on_partition: Callable[[Partition], None] | None = None,
) -> list[dict]:
    """The whole night in one process (the CLI's path; the DAG runs the same steps as tasks)."""
    watchlist = load_watchlist(settings.watchlist_path)
    parts = plan(day, watchlist, sources)
    client = None
    if not replay and parts:
        client = opensky_client(settings, credentials, parts[0].name)
    staged = []
    for part in parts:
        fetch_partition(part, settings, replay=replay, client=client)
        staged.append(normalize_partition(part, settings, watchlist))
        if on_partition:
            on_partition(part)
    run_id = run_id or f"cli__{day.isoformat()}__{datetime.now(UTC).isoformat()}"
    return load_night(staged, settings, run_id)


def loaded_days(settings: Settings, days: Iterable[date], sources: Iterable[str]) -> set[date]:
    """Days whose every planned partition's last load succeeded (what backfill skips)."""
    watchlist = load_watchlist(settings.watchlist_path)
    with store.connect(settings.duckdb_path, read_only=True) as con:
        good = {
            (source, partition)
            for source, partition in con.execute(store.sql_file("load/loaded_partitions.sql"))
            .fetchall()
        }
    return {
        day for day in days
        if all((p.source, p.name) in good for p in plan(day, watchlist, sources))
    }
