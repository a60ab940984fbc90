"""Table cells from frame values: dates, counts, links and names as the report prints them, and
missing values (None, NaT, NaN) as empty cells."""

from __future__ import annotations

import pandas as pd

from pipeline.report.model import Cell, Link

NOTICE_TEXT_CHARS = 200


def flags(marks: pd.Series) -> list[bool]:
    return [bool(mark) for mark in marks]


def missing(value: object) -> bool:
    return value is None or value is pd.NaT or (isinstance(value, float) and value != value)


def text(value: object) -> str:
    return "" if missing(value) else str(value)


def day(value: object) -> str:
    return "" if missing(value) else pd.Timestamp(value).strftime("%Y-%m-%d")


def short_day(value: object) -> str:
    return pd.Timestamp(value).strftime("%d %b")


def time(value: object) -> str:
    return "" if missing(value) else pd.Timestamp(value).strftime("%Y-%m-%d %H:%M")


def count(value: object) -> str:
    return "" if missing(value) else str(int(value))


def number(value: object) -> str:
    return "" if missing(value) else f"{float(value):.1f}"


def percent(value: object) -> str:
    return "" if missing(value) else f"{float(value):.0%}"


def until(end: object, estimated: object) -> str:
    if missing(end):
        return "permanent"
    return time(end) + (" (estimated)" if estimated is True else "")


def levels(lower: object, upper: object) -> str:
    if missing(lower) and missing(upper):
        return ""
    def level(value: object) -> str:
        return "?" if missing(value) else f"{int(value):03d}"
    return f"FL{level(lower)}-FL{level(upper)}"


def shorten(line: str) -> str:
    return line if len(line) <= NOTICE_TEXT_CHARS else line[:NOTICE_TEXT_CHARS - 1] + "…"


def link(label: str, url: object) -> Cell:
    """A link only to web pages: the registry's URLs are data, never javascript: or file:."""
    address = text(url)
    return Link(label, address) if address.startswith(("https://", "http://")) else label


def carrier(icao: str, name: object) -> str:
    return f"{icao} {name}" if text(name) else icao


def route(row: object) -> str:
    def end(icao: str, city: object) -> str:
        return f"{icao} ({city})" if text(city) else icao
    return (f"{end(row.origin_icao, row.origin_city)} → "
            f"{end(row.dest_icao, row.dest_city)}")


def route_key(row: object) -> str:
    return f"{row.carrier_icao} {row.origin_icao} {row.dest_icao}"
