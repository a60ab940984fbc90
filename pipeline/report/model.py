"""What a report is made of: its day and windows (Scope), and the header, sections, tables and
plots that the templates render. Plain values: sections.py fills them, render.py writes them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from pipeline.watchlist import Watchlist

WINDOW_DAYS = 7  # "new" and "ended": the 7 days up to the report day
PLOT_DAYS = 28  # the plots' span: the baseline's four weeks


@dataclass(frozen=True)
class Scope:
    """The report day, its windows and what the watchlist follows."""

    day: date
    watchlist: Watchlist

    @property
    def window_start(self) -> date:
        return self.day - timedelta(days=WINDOW_DAYS - 1)

    @property
    def plot_start(self) -> date:
        return self.day - timedelta(days=PLOT_DAYS - 1)

    @property
    def countries(self) -> list[str]:
        return list(self.watchlist.countries)

    @property
    def window(self) -> str:
        return f"the {WINDOW_DAYS} days {self.window_start} to {self.day}"


@dataclass(frozen=True)
class Link:
    text: str
    url: str


@dataclass(frozen=True)
class Lines:
    """Several values in one cell: one a line in HTML, separated by "; " in Markdown."""

    items: tuple[str | Link, ...]


Cell = str | Link | Lines


@dataclass(frozen=True)
class Table:
    title: str
    columns: tuple[str, ...]
    rows: list[tuple[Cell, ...]]
    empty: str  # said instead of the table when it has no rows
    marked: list[bool] = field(default_factory=list)  # rows to highlight
    mark_note: str = ""  # what a highlighted row means


@dataclass(frozen=True)
class Plot:
    file: str
    alt: str


@dataclass(frozen=True)
class Section:
    anchor: str
    title: str
    summary: str
    tables: list[Table]
    plots: list[Plot] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Header:
    facts: list[str]
    warnings: list[str]
    synthetic: str  # empty unless synthetic demo data lies behind the report


@dataclass(frozen=True)
class Report:
    day: date
    header: Header
    sections: list[Section]
