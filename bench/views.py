"""Latency of the views users query, over the year-of-history database: the median of N runs
of `SELECT * FROM <view>`, each fetched whole (as Arrow, so Python objects are not timed)."""

from __future__ import annotations

from pathlib import Path
from statistics import median
from time import perf_counter

import duckdb

VIEWS = ("suspended_carriers", "route_changes", "country_traffic_daily")


def p50_ms(database: Path, view: str, runs: int) -> tuple[float, int]:
    """Median milliseconds and the rows one run returns."""
    with duckdb.connect(str(database), read_only=True) as con:
        times, rows = [], 0
        for _ in range(runs):
            began = perf_counter()
            rows = con.sql(f"SELECT * FROM {view}").to_arrow_table().num_rows
            times.append((perf_counter() - began) * 1000)
    return median(times), rows
