"""What every source module gets from the pipeline, and what it must provide.

A source module defines SOURCE (its name), TABLE (the table it loads), and:
    partition_keys(watchlist) -> list[str]      one partition per key and UTC day
    fetch(ctx: FetchContext, day, key) -> None  HTTP -> raw zone, via ctx.raw.fetch(...)
    normalize(responses, ctx: NormalizeContext, day, key) -> DataFrame
                                                raw -> typed frame, checked against its schema
Optional flags:
    SNAPSHOT = True      one partition whatever the night (reference data, the registry);
                         fetched on replay too, with FetchContext.offline set
    CURRENT_ONLY = True  it answers only for the present (NOTAMs): see nightly.plan
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from pipeline.config import Credentials, Settings
from pipeline.raw import RawRecord, RawZone
from pipeline.watchlist import Watchlist


def partition_name(day: date, key: str) -> str:
    return f"{day.isoformat()}/{key}"


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class FetchContext:
    settings: Settings
    raw: RawZone
    credentials: dict[str, Credentials | None]  # by source name; None: not configured
    now: Callable[[], datetime] = utc_now
    sessions: dict[str, Any] = field(default_factory=dict)  # reused across a night's partitions
    # A replay: no network. Snapshot sources still read their local files (the registry, the
    # curated airlines) and carry their downloads forward from the raw zone.
    offline: bool = False

    def session(self, source: str, build: Callable[[], Any]) -> Any:
        if source not in self.sessions:
            self.sessions[source] = build()
        return self.sessions[source]


@dataclass(frozen=True)
class NormalizeContext:
    settings: Settings
    watchlist: Watchlist
    airlines: frozenset[str]


@dataclass(frozen=True)
class Response:
    record: RawRecord
    body: bytes
