"""OpenSky observed flights, in the watchlist's scope:
- airports (the default): /flights/arrival and /flights/departure, two GETs per watched
  airport-day (404 with an empty body means "no flights");
- world: /flights/all in twelve 2-hour windows a UTC day (pipeline/sources/opensky_all.py).
Both modes load as this one source, so `--sources opensky` and the DAG's params mean "OpenSky,
as the watchlist says", and a flight two partitions give is stored once (opensky_api.py).

Airport mode, normalize: raw JSON -> the `flights` frame. A flight between two watched airports
is listed twice (departures of one, arrivals of the other), possibly on different days; it is
kept only from the departure list, so airport-day partitions never overlap.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pandas as pd

from pipeline.errors import SourceError
from pipeline.sources import opensky_all
from pipeline.sources.base import (
    FetchContext,
    NormalizeContext,
    Response,
    partition_name,
)
from pipeline.sources.opensky_api import (
    SOURCE,
    check_fields,
    client,
    flights_frame,
    get_flights,
    listed_flights,
    refuse_unfinished_day,
)
from pipeline.watchlist import WORLD, Watchlist

TABLE = "flights"
REQUESTS = ("departure", "arrival")


def partition_keys(watchlist: Watchlist) -> list[str]:
    """One partition per watched airport, or in world scope one per 2-hour window."""
    if watchlist.scope == WORLD:
        return list(opensky_all.WINDOWS)
    return list(watchlist.airports)


def day_window(day: date) -> tuple[int, int]:
    """Unix seconds [begin, end] of a UTC day; OpenSky's end is inclusive."""
    begin = datetime.combine(day, time(0), tzinfo=UTC)
    return int(begin.timestamp()), int((begin + timedelta(days=1)).timestamp()) - 1


def request_params(day: date, airport: str) -> dict[str, Any]:
    begin, end = day_window(day)
    return {"airport": airport, "begin": begin, "end": end}


def fetch(ctx: FetchContext, day: date, key: str) -> None:
    """Fetch one partition into the raw zone: an airport-day's two lists, or a window."""
    if opensky_all.is_window(key):
        opensky_all.fetch(ctx, day, key)
        return
    partition = partition_name(day, key)
    refuse_unfinished_day(ctx, day, partition)
    session = client(ctx, partition)
    with ctx.raw.fetch(SOURCE, partition) as batch:
        for request in REQUESTS:
            get_flights(ctx, session, batch, partition=partition, request=request,
                        url=f"{ctx.settings.opensky_api_url}/flights/{request}",
                        params=request_params(day, key))


def parse(responses: list[Response], partition: str) -> dict[str, list[dict]]:
    """The flights of each request (404 means none)."""
    flights = {r.record.request: listed_flights(r.body, r.record.status) for r in responses}
    missing = [request for request in REQUESTS if request not in flights]
    if missing:
        raise SourceError(SOURCE, partition, f"the raw fetch lacks {missing}",
                          "fetch the partition again (run without --replay)")
    return flights


def normalize(responses: list[Response], ctx: NormalizeContext, day: date, key: str
              ) -> pd.DataFrame:
    if opensky_all.is_window(key):
        return opensky_all.normalize(responses, ctx, day, key)
    flights = parse(responses, partition_name(day, key))
    return normalize_flights(flights["departure"], flights["arrival"], day=day, airport=key,
                             watched_airports=ctx.watchlist.airports, airlines=ctx.airlines)


def normalize_many(batch: list[tuple[list[Response], date, str]], ctx: NormalizeContext
                   ) -> pd.DataFrame:
    """Several partitions of a night as one frame, built and schema-checked once: row for row
    what `normalize` gives each, ordered by partition (sql/load/flights loads them by
    source_partition). Windows (world scope) are few, and normalized one by one."""
    if any(opensky_all.is_window(key) for _, _, key in batch):
        return pd.concat([normalize(responses, ctx, day, key) for responses, day, key in batch],
                         ignore_index=True)
    listed: list[dict] = []
    partitions: list[str] = []
    for responses, day, key in batch:
        partition = partition_name(day, key)
        flights = parse(responses, partition)
        rows = airport_flights(flights["departure"], flights["arrival"], partition=partition,
                               watched_airports=ctx.watchlist.airports)
        listed += rows
        partitions += [partition] * len(rows)
    return flights_frame(listed, partition=partitions, airlines=ctx.airlines)


def normalize_flights(
    departures: list[dict],
    arrivals: list[dict],
    *,
    day: date,
    airport: str,
    watched_airports: Iterable[str],
    airlines: frozenset[str],
) -> pd.DataFrame:
    partition = partition_name(day, airport)
    listed = airport_flights(departures, arrivals, partition=partition,
                             watched_airports=watched_airports)
    return flights_frame(listed, partition=partition, airlines=airlines)


def airport_flights(departures: list[dict], arrivals: list[dict], *, partition: str,
                    watched_airports: Iterable[str]) -> list[dict]:
    """An airport-day's flights (fields checked), each listed once."""
    check_fields(departures + arrivals, partition)
    watched = set(watched_airports)
    # Arrivals from a watched airport are loaded from that airport's departure list instead.
    return departures + [f for f in arrivals if f["estDepartureAirport"] not in watched]
