"""OpenSky's world mode (watchlist `scope = "world"`): /flights/all, every flight OpenSky
observed, in twelve 2-hour windows a UTC day, one partition each (`2025-11-20/00-02`).

OpenSky documents the interval as [begin, end], end included, "not larger than two hours". A
window therefore ends one second before the next begins: no second falls between two windows
or into two, and no window crosses a UTC midnight (a query that does costs more credits).
Which flights a window lists is not documented (see docs/operations.md, "OpenSky: airport mode
or world mode"): a flight may come in two windows, and two partitions' copies of a flight are
stored once by the load (sql/load/flights/), so every flight a window gives is kept here.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pandas as pd

from pipeline.errors import SourceError
from pipeline.sources.base import FetchContext, NormalizeContext, Response, partition_name
from pipeline.sources.opensky_api import (
    SOURCE,
    check_fields,
    client,
    flights_frame,
    get_flights,
    listed_flights,
    refuse_unfinished_day,
)

WINDOW_HOURS = 2  # OpenSky's limit for /flights/all
WINDOWS = tuple(f"{hour:02d}-{hour + WINDOW_HOURS:02d}" for hour in range(0, 24, WINDOW_HOURS))
REQUEST = "window"  # the raw zone's name for the one GET of a window partition


def is_window(key: str) -> bool:
    return key in WINDOWS


def window_bounds(day: date, window: str) -> tuple[int, int]:
    """Unix seconds [begin, end] of a window of a UTC day, end included."""
    begin = datetime.combine(day, time(int(window[:2])), tzinfo=UTC)
    end = begin + timedelta(hours=WINDOW_HOURS, seconds=-1)
    return int(begin.timestamp()), int(end.timestamp())


def request_params(day: date, window: str) -> dict[str, Any]:
    begin, end = window_bounds(day, window)
    return {"begin": begin, "end": end}


def fetch(ctx: FetchContext, day: date, window: str) -> None:
    """One window's flights into the raw zone."""
    partition = partition_name(day, window)
    refuse_unfinished_day(ctx, day, partition)
    session = client(ctx, partition)
    with ctx.raw.fetch(SOURCE, partition) as batch:
        get_flights(ctx, session, batch, partition=partition, request=REQUEST,
                    url=f"{ctx.settings.opensky_api_url}/flights/all",
                    params=request_params(day, window))


def normalize(responses: list[Response], ctx: NormalizeContext, day: date, window: str
              ) -> pd.DataFrame:
    partition = partition_name(day, window)
    answer = _window_answer(responses, partition)
    listed = listed_flights(answer.body, answer.record.status)
    return normalize_window(listed, partition=partition, airlines=ctx.airlines)


def normalize_window(listed: list[Any], *, partition: str, airlines: frozenset[str]
                     ) -> pd.DataFrame:
    """Every flight the window lists, whatever its airports: in world mode the watchlist's
    airports only choose what the report shows."""
    check_fields(listed, partition)
    return flights_frame(listed, partition=partition, airlines=airlines)


def _window_answer(responses: list[Response], partition: str) -> Response:
    answers = [r for r in responses if r.record.request == REQUEST]
    if len(answers) != 1:
        raise SourceError(SOURCE, partition,
                          f"the raw fetch holds {len(answers)} /flights/all answers, not one",
                          "fetch the partition again (run without --replay)")
    return answers[0]
