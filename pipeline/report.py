"""Nightly change report: what changed on one UTC day for the watched countries, as HTML and
Markdown with PNG plots, under $FDP_HOME/reports/<day>/. It reads only the published copy of
the database, so it never waits for or blocks a load, and it shows only what was known on that
day: events detected later are left out, so a report made again later says the same."""

from __future__ import annotations

import os
import shutil
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from math import ceil
from pathlib import Path
from urllib.parse import quote

import duckdb
import jinja2
import pandas as pd
from matplotlib import dates as mdates
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from pipeline import store
from pipeline.config import SQL_DIR, Settings
from pipeline.errors import PipelineError
from pipeline.raw import COMPLETE, RawRecord, RawZone, combined_sha256
from pipeline.watchlist import Watchlist, load_watchlist

REPORT_SQL = SQL_DIR / "report"
TEMPLATES = Path(__file__).with_name("templates")
WINDOW_DAYS = 7  # "new" and "ended": the 7 days up to the report day
PLOT_DAYS = 28  # the plots' span: the baseline's four weeks
MAX_PANELS = 24  # small multiples beyond this are unreadable; the tables list the rest
NOTICE_TEXT_CHARS = 200
COLORS = {"flights": "#3568a8", "baseline": "#7a7a7a", "event": "#c0392b", "no_data": "#ececec"}
HALF_DAY = pd.Timedelta(hours=12)  # bars are centred on their day


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


Cell = str | Link


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


# --- reading -------------------------------------------------------------------------------

def query(con: duckdb.DuckDBPyConnection, name: str, **params: object) -> pd.DataFrame:
    """Run sql/report/<name>.sql with its named parameters (DuckDB refuses extra ones)."""
    return con.execute((REPORT_SQL / f"{name}.sql").read_text(encoding="utf-8"), params).df()


def data_days(con: duckdb.DuckDBPyConnection, scope: Scope) -> set[pd.Timestamp]:
    days = query(con, "data_days", plot_start=scope.plot_start, day=scope.day)
    return set(pd.to_datetime(days["flight_date"]))


def loaded_fetch(raw: RawZone, source: str, partition: str, raw_sha256: str
                 ) -> list[RawRecord] | None:
    """The complete raw fetch a load used (its fingerprint is the load's raw_sha256), or None
    when the raw zone does not hold it."""
    fetches: dict[str, list[RawRecord]] = {}
    complete = []
    for record in raw.records(source, partition):
        if record.request == COMPLETE:
            complete.append(record.fetch_id)
        else:
            fetches.setdefault(record.fetch_id, []).append(record)
    for fetch_id in complete:
        fetch = fetches.get(fetch_id, [])
        if combined_sha256(fetch) == raw_sha256:
            return fetch
    return None


def synthetic_sources(raw: RawZone, loads: pd.DataFrame) -> tuple[list[str], int]:
    """The sources whose raw answers behind `loads` are flagged synthetic (the demo flags every
    one it writes), and how many loads' raw answers the raw zone does not hold."""
    synthetic: set[str] = set()
    unchecked = 0
    for load in loads.itertuples():
        fetch = loaded_fetch(raw, load.source, load.partition, load.raw_sha256)
        if fetch is None:
            unchecked += 1
        elif any(record.synthetic for record in fetch):
            synthetic.add(load.source)
    return sorted(synthetic), unchecked


def header(con: duckdb.DuckDBPyConnection, scope: Scope, raw: RawZone) -> Header:
    """What the report stands on: the loads of the day, the newest day loaded, and whether the
    raw answers behind the plotted days were synthetic."""
    loads = query(con, "coverage", plot_start=scope.plot_start, day=scope.day)
    [(newest,)] = con.execute((REPORT_SQL / "newest_day.sql").read_text(encoding="utf-8")
                              ).fetchall()
    synthetic, unchecked = synthetic_sources(
        raw, loads[loads["status"].isin(["loaded", "unchanged"])])
    today = loads[loads["day"] == pd.Timestamp(scope.day)]
    today_good = today[today["status"].isin(["loaded", "unchanged"])]
    failed = today[today["status"] == "failed"]
    facts = [f"Report day {scope.day} (UTC). New and ended items are those of {scope.window}; "
             f"plots cover the {PLOT_DAYS} days from {scope.plot_start}.",
             f"Watched countries: {', '.join(scope.countries) or 'none'}."]
    warnings = []
    if len(today_good):
        last = today_good.sort_values("finished_at").iloc[-1]
        sources = ", ".join(sorted(set(today_good["source"])))
        facts.append(f"Data of {scope.day}: {len(today_good)} partitions ({sources}), the last "
                     f"loaded by run {last.run_id} at {_time(last.finished_at)} UTC.")
    else:
        warnings.append(f"Nothing was loaded for {scope.day}: this report shows older data only.")
    if len(failed):
        names = ", ".join(f"{f.source} {f.partition}" for f in failed.itertuples())
        warnings.append(f"{len(failed)} partition(s) of {scope.day} failed their last load "
                        f"({names}); their data is missing here.")
    if newest is not None and newest > scope.day:
        facts.append(f"Data is loaded up to {newest}; this report shows what was known on "
                     f"{scope.day} (events detected later are left out).")
    elif newest is not None:
        facts.append(f"Newest day loaded: {newest}.")
    if unchecked:
        warnings.append(f"The raw answers behind {unchecked} loaded partition(s) are not in "
                        f"{raw.root}, so whether they were synthetic could not be checked.")
    banner = ""
    if synthetic:
        banner = (f"SYNTHETIC DEMO DATA: the {', '.join(synthetic)} answers behind this "
                  "report were generated by the demo (pipeline/demo), not observed. Flights, "
                  "routes and traffic shown here are invented; do not cite them.")
    return Header(facts, warnings, banner)


# --- sections ------------------------------------------------------------------------------

def carriers_section(con: duckdb.DuckDBPyConnection, scope: Scope, days: set[pd.Timestamp],
                     folder: Path) -> Section:
    changes = query(con, "carrier_changes", day=scope.day, window_start=scope.window_start,
                    countries=scope.countries)
    in_force = query(con, "carriers_in_force", day=scope.day, countries=scope.countries)
    new, ended = (changes["change"] == "new").sum(), (changes["change"] == "ended").sum()
    on_day = changes["changed_on"] == pd.Timestamp(scope.day)
    summary = (f"{new} new and {ended} ended restriction(s) in {scope.window} "
               f"({on_day.sum()} on {scope.day}); {len(in_force)} in force on {scope.day}.")
    changed = Table(
        f"New and ended, {scope.window_start} to {scope.day}",
        ("Change", "On", "Carrier", "Name", "Where", "Status", "Authority",
         "Last flight there before", "Act"),
        [(c.change, _day(c.changed_on), _str(c.carrier_icao), _str(c.carrier_name),
          c.jurisdiction_country, c.status, _str(c.authority), _day(c.last_flight_before),
          _link(c.action_id, c.source_url)) for c in changes.itertuples()],
        f"No new or ended carrier restrictions in {scope.window}.",
        _flags(on_day), f"highlighted: changed on {scope.day}")
    current = Table(
        f"In force on {scope.day}",
        ("Carrier", "Name", "Where", "Status", "Since", "Authority", "Last flight there before",
         "Act", "To know"),
        [(_str(c.carrier_icao), _str(c.carrier_name), c.jurisdiction_country, c.status,
          _day(c.valid_from), _str(c.authority), _day(c.last_flight_before),
          _link(c.action_id, c.source_url), _str(c.note)) for c in in_force.itertuples()],
        f"No carrier restriction in force on {scope.day} for the watched countries.",
        _flags(in_force["valid_from"] >= pd.Timestamp(scope.window_start)),
        f"highlighted: in force since {scope.window_start} or later")
    plots = []
    plottable = changes.dropna(subset=["carrier_icao"])  # no designator: no flights to show
    if len(plottable):
        flights = query(con, "carrier_flights", plot_start=scope.plot_start, day=scope.day,
                        carriers=sorted(set(plottable["carrier_icao"])))
        plots.append(plot_carriers(plottable, flights, scope, days, folder / "carriers.png"))
    notes = ["Where: the country (or EU) whose permission the act withdraws. Only acts "
             f"announced by {scope.day} count. Last flight there before: the carrier's last "
             "flight touching that country before the status began, from the flights loaded. "
             "To know: a later record that ends the status, sources that disagree, a carrier "
             "the registry names without an ICAO designator."]
    return Section("carriers", "Carrier suspensions and revocations", summary,
                   [changed, current], plots, notes)


def routes_section(con: duckdb.DuckDBPyConnection, scope: Scope, days: set[pd.Timestamp],
                   folder: Path) -> Section:
    events = query(con, "route_events", day=scope.day, window_start=scope.window_start,
                   countries=scope.countries)
    suspended = query(con, "routes_suspended", day=scope.day, countries=scope.countries)
    kinds = events["event_type"].value_counts()
    by_kind = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
    summary = (f"{len(events)} route event(s) detected in {scope.window}"
               f"{f' ({by_kind})' if by_kind else ''}; {len(suspended)} route(s) suspended "
               f"on {scope.day}.")
    detected = Table(
        f"Detected {scope.window_start} to {scope.day}",
        ("Detected on", "Event", "Carrier", "Route", "Event date", "Last flight",
         "Weekly flights before", "Confidence"),
        [(_day(e.detected_on), e.event_type, _carrier(e.carrier_icao, e.carrier_name),
          _route(e), _day(e.event_date), _day(e.last_flight_date),
          _number(e.baseline_weekly_flights), _percent(e.confidence))
         for e in events.itertuples()],
        f"No route started, stopped or resumed in {scope.window} on routes touching the "
        "watched countries.",
        _flags(events["detected_on"] == pd.Timestamp(scope.day)),
        f"highlighted: detected on {scope.day}")
    current = Table(
        f"Suspended on {scope.day}",
        ("Carrier", "Route", "Suspended since", "Last flight", "Detected on",
         "Weekly flights before", "Confidence"),
        [(_carrier(s.carrier_icao, s.carrier_name), _route(s), _day(s.suspended_since),
          _day(s.last_flight_date), _day(s.detected_on), _number(s.baseline_weekly_flights),
          _percent(s.confidence)) for s in suspended.itertuples()],
        f"No route touching the watched countries was suspended on {scope.day}.",
        _flags(suspended["detected_on"] == pd.Timestamp(scope.day)),
        f"highlighted: detected on {scope.day}")
    plots, notes = [], [
        "Event date: for a suspension, the first day without the route. Confidence: the chance "
        "that a route still flying would have shown at least one flight by the detection day."]
    if len(suspended):
        shown = suspended.sort_values("suspended_since", ascending=False).head(MAX_PANELS)
        if len(suspended) > MAX_PANELS:
            notes.append(f"The plot shows the {MAX_PANELS} most recent suspensions.")
        flights = query(con, "route_flights", plot_start=scope.plot_start, day=scope.day,
                        routes=[_route_key(s) for s in shown.itertuples()])
        plots.append(plot_routes(shown, flights, scope, days, folder / "routes.png"))
    return Section("routes", "Route events", summary, [detected, current], plots, notes)


def notices_section(con: duckdb.DuckDBPyConnection, scope: Scope) -> Section:
    notices = query(con, "airspace_notices", day=scope.day)
    counts = notices["category"].value_counts()
    by_category = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))
    summary = (f"{len(notices)} notice(s) in force on {scope.day}"
               f"{f' ({by_category})' if by_category else ''}.")
    new = (notices["first_seen"] == pd.Timestamp(scope.day)) | (
        notices["effective_start"].dt.normalize() == pd.Timestamp(scope.day))
    table = Table(
        f"In force on {scope.day}",
        ("Notice", "FIR", "Category", "From (UTC)", "Until (UTC)", "Levels", "Text"),
        [(_link(n.notice_id, n.source_url), _str(n.fir), n.category, _time(n.effective_start),
          _until(n.effective_end, n.end_estimated), _levels(n.lower_fl, n.upper_fl),
          _shorten(_str(n.first_line))) for n in notices.itertuples()],
        f"No airspace notice in force on {scope.day} among those fetched for the watched FIRs "
        f"({', '.join(scope.watchlist.firs) or 'none'}).",
        _flags(new), f"highlighted: new on {scope.day}")
    notes = ["Text: the notice's first line, cut at "
             f"{NOTICE_TEXT_CHARS} characters; the notice id links to its source."]
    return Section("notices", "Airspace notices", summary, [table], [], notes)


def traffic_section(con: duckdb.DuckDBPyConnection, scope: Scope, days: set[pd.Timestamp],
                    folder: Path) -> Section:
    traffic = query(con, "country_traffic", plot_start=scope.plot_start, day=scope.day,
                    countries=scope.countries)
    on_day = traffic[traffic["flight_date"] == pd.Timestamp(scope.day)]
    low = on_day[on_day["disrupted"]]
    summary = (f"{len(low)} of {len(scope.countries)} watched countries below half their "
               f"baseline on {scope.day}"
               f"{': ' + ', '.join(low['country']) if len(low) else ''}.")
    table = Table(
        f"Flights on {scope.day}",
        ("Country", "Flights", "Baseline", "Against baseline", "Cancelled", "Disrupted"),
        [(f"{t.country_name} ({t.country})", _count(t.flights), _number(t.baseline),
          _percent(t.ratio), _count(t.cancelled), "yes" if t.disrupted else "")
         for t in on_day.itertuples()],
        f"No flights loaded for {scope.day} touch the watched countries.",
        _flags(on_day["disrupted"]), "highlighted: disrupted (fewer than half the baseline)")
    notes = ["Baseline: the mean of the same weekday 7, 14, 21 and 28 days before (days with "
             "data only). Disrupted: baseline at least 5 and fewer than half of it.",
             "Counts are the flights the database holds. OpenSky is fetched for the watched "
             f"airports ({', '.join(scope.watchlist.airports)}) only, so another country's "
             "count is only its traffic with those airports."]
    quiet = sorted(set(scope.countries) - set(traffic["country"]))
    if quiet:
        notes.append(f"No flights in the {PLOT_DAYS} days to {scope.day} for: "
                     f"{', '.join(quiet)}.")
    plots = [plot_traffic(traffic, scope, days, folder / "traffic.png")] if len(traffic) else []
    return Section("traffic", "Traffic against baseline", summary, [table], plots, notes)


# --- plots ---------------------------------------------------------------------------------

def _calendar(scope: Scope) -> pd.DatetimeIndex:
    return pd.date_range(scope.plot_start, scope.day, freq="D")


def _daily(frame: pd.DataFrame, column: str, scope: Scope, days: set[pd.Timestamp]
           ) -> pd.Series:
    """`column` per calendar day: 0 on days with data but no row, NaN on days without data."""
    series = frame.groupby(pd.to_datetime(frame["flight_date"]))[column].sum(min_count=1)
    series = series.reindex(_calendar(scope), fill_value=0).astype(float)
    series[[day not in days for day in series.index]] = float("nan")
    return series


def _panels(count: int, title: str, legend: list[Artist]) -> tuple[Figure, list[Axes]]:
    # A Figure without pyplot: no global state or GUI backend; savefig draws PNGs with Agg.
    # Fixed margins (inches) rather than constrained layout, which costs a second a report.
    columns = min(count, 3)
    rows = ceil(count / columns)
    head, row, foot = 0.75, 2.15, 0.3
    height = head + rows * row + foot
    figure = Figure(figsize=(10, height))
    figure.subplots_adjust(left=0.035, right=0.99, top=1 - head / height, bottom=foot / height,
                           wspace=0.14, hspace=0.45)
    figure.text(0.01, 1 - 0.2 / height, title, fontsize=12, fontweight="bold", va="top")
    figure.legend(handles=legend, loc="upper right", bbox_to_anchor=(0.995, 1 - 0.12 / height),
                  ncols=len(legend), fontsize=8.5, frameon=False)
    grid = figure.subplots(rows, columns, squeeze=False).ravel()
    for spare in grid[count:]:
        spare.set_visible(False)
    return figure, list(grid[:count])


def _style(axes: Axes, scope: Scope, title: str, series: pd.Series) -> None:
    axes.set_title(title, fontsize=9.5, loc="left")
    missing = series.isna()
    runs = (missing != missing.shift()).cumsum()[missing]
    for _, days in runs.groupby(runs):  # one span per run of days without data
        axes.axvspan(days.index[0] - HALF_DAY, days.index[-1] + HALF_DAY,
                     color=COLORS["no_data"], linewidth=0)
    axes.set_xlim(pd.Timestamp(scope.plot_start) - HALF_DAY, pd.Timestamp(scope.day) + HALF_DAY)
    axes.set_ylim(bottom=0, top=max(1.0, float(series.max(skipna=True) or 0)) * 1.15)
    axes.xaxis.set_major_locator(mdates.WeekdayLocator(byweekday=mdates.MO))
    axes.xaxis.set_major_formatter(mdates.DateFormatter("%d %b"))
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.tick_params(labelsize=8)
    axes.grid(axis="y", color="#e4e4e4", linewidth=0.8)
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)


def _mark(axes: Axes, day: pd.Timestamp, scope: Scope) -> None:
    """A dashed line at the start of `day`, the span after it shaded up to the report day."""
    axes.axvline(day - HALF_DAY, color=COLORS["event"], linestyle="--", linewidth=1.2)
    axes.axvspan(day - HALF_DAY, pd.Timestamp(scope.day) + HALF_DAY, color=COLORS["event"],
                 alpha=0.07, linewidth=0)


def _save(figure: Figure, path: Path, alt: str) -> Plot:
    # No Software/date metadata: the same data gives the same bytes.
    figure.savefig(path, dpi=100, metadata={"Software": None})
    return Plot(path.name, alt)


def _bars_legend(event: str) -> list[Artist]:
    return [Patch(color=COLORS["flights"], label="flights per day"),
            Line2D([], [], color=COLORS["event"], linestyle="--", label=event),
            Patch(color=COLORS["no_data"], label="no data loaded")]


def plot_carriers(changes: pd.DataFrame, flights: pd.DataFrame, scope: Scope,
                  days: set[pd.Timestamp], path: Path) -> Plot:
    """Per carrier and country with a change: its daily flights there, the change marked."""
    pairs = changes.drop_duplicates(["carrier_icao", "jurisdiction_country"]).head(MAX_PANELS)
    figure, grid = _panels(len(pairs), "Carriers whose status changed: flights in the country",
                           _bars_legend("status changed"))
    for axes, change in zip(grid, pairs.itertuples(), strict=True):
        mine = flights[(flights["carrier_icao"] == change.carrier_icao)
                       & (flights["country"] == change.jurisdiction_country)]
        series = _daily(mine, "flights", scope, days)
        axes.bar(series.index, series.to_numpy(), width=0.8, color=COLORS["flights"])
        _mark(axes, pd.Timestamp(change.changed_on), scope)
        verb = "from" if change.change == "new" else "ended"
        _style(axes, scope, f"{change.carrier_icao} in {change.jurisdiction_country}: "
                            f"{change.status} {verb} {_short_day(change.changed_on)}", series)
    return _save(figure, path, "Daily flights of each carrier whose status changed, in the "
                               "country concerned, with the day of the change marked")


def plot_routes(suspended: pd.DataFrame, flights: pd.DataFrame, scope: Scope,
                days: set[pd.Timestamp], path: Path) -> Plot:
    """Per suspended route: daily flights over the plot window, the first day without marked."""
    figure, grid = _panels(len(suspended), "Suspended routes: flights per day",
                           _bars_legend("first day without the route"))
    for axes, route in zip(grid, suspended.itertuples(), strict=True):
        mine = flights[(flights["carrier_icao"] == route.carrier_icao)
                       & (flights["origin_icao"] == route.origin_icao)
                       & (flights["dest_icao"] == route.dest_icao)]
        series = _daily(mine, "flights", scope, days)
        axes.bar(series.index, series.to_numpy(), width=0.8, color=COLORS["flights"])
        _mark(axes, pd.Timestamp(route.suspended_since), scope)
        _style(axes, scope, f"{route.carrier_icao} {route.origin_icao}→{route.dest_icao}: "
                            f"suspended from {_short_day(route.suspended_since)}", series)
    return _save(figure, path, "Daily flights of each suspended route over the last "
                               f"{PLOT_DAYS} days, with the first day without it marked")


def plot_traffic(traffic: pd.DataFrame, scope: Scope, days: set[pd.Timestamp], path: Path
                 ) -> Plot:
    """Per watched country with flights: daily flights against the baseline."""
    countries = traffic.drop_duplicates("country")
    legend = [Line2D([], [], color=COLORS["flights"], marker="o", markersize=3, label="flights"),
              Line2D([], [], color=COLORS["baseline"], linestyle="--", label="baseline"),
              Line2D([], [], color=COLORS["event"], marker="o", linestyle="",
                     label="disrupted (below half)"),
              Patch(color=COLORS["no_data"], label="no data loaded")]
    figure, grid = _panels(len(countries), "Flights per day against baseline", legend)
    for axes, country in zip(grid, countries.itertuples(), strict=True):
        mine = traffic[traffic["country"] == country.country]
        flights = _daily(mine, "flights", scope, days)
        baseline = _daily(mine, "baseline", scope, days)
        low = _daily(mine, "disrupted", scope, days) > 0
        axes.plot(baseline.index, baseline.to_numpy(), color=COLORS["baseline"],
                  linestyle="--", linewidth=1.2)
        axes.plot(flights.index, flights.to_numpy(), color=COLORS["flights"], marker="o",
                  markersize=3, linewidth=1.6)
        axes.scatter(flights.index[low], flights[low], color=COLORS["event"], s=22, zorder=3)
        _style(axes, scope, f"{country.country_name} ({country.country})",
               pd.concat([flights, baseline]).groupby(level=0).max())
    return _save(figure, path, f"Daily flights per watched country over the last {PLOT_DAYS} "
                               "days against the same-weekday baseline")


# --- formatting ----------------------------------------------------------------------------

def _flags(marks: pd.Series) -> list[bool]:
    return [bool(mark) for mark in marks]


def _missing(value: object) -> bool:
    return value is None or value is pd.NaT or (isinstance(value, float) and value != value)


def _str(value: object) -> str:
    return "" if _missing(value) else str(value)


def _day(value: object) -> str:
    return "" if _missing(value) else pd.Timestamp(value).strftime("%Y-%m-%d")


def _short_day(value: object) -> str:
    return pd.Timestamp(value).strftime("%d %b")


def _time(value: object) -> str:
    return "" if _missing(value) else pd.Timestamp(value).strftime("%Y-%m-%d %H:%M")


def _count(value: object) -> str:
    return "" if _missing(value) else str(int(value))


def _number(value: object) -> str:
    return "" if _missing(value) else f"{float(value):.1f}"


def _percent(value: object) -> str:
    return "" if _missing(value) else f"{float(value):.0%}"


def _until(end: object, estimated: object) -> str:
    if _missing(end):
        return "permanent"
    return _time(end) + (" (estimated)" if estimated is True else "")


def _levels(lower: object, upper: object) -> str:
    if _missing(lower) and _missing(upper):
        return ""
    def level(value: object) -> str:
        return "?" if _missing(value) else f"{int(value):03d}"
    return f"FL{level(lower)}-FL{level(upper)}"


def _shorten(text: str) -> str:
    return text if len(text) <= NOTICE_TEXT_CHARS else text[:NOTICE_TEXT_CHARS - 1] + "…"


def _link(text: str, url: object) -> Cell:
    """A link only to web pages: the registry's URLs are data, never javascript: or file:."""
    address = _str(url)
    return Link(text, address) if address.startswith(("https://", "http://")) else text


def _carrier(icao: str, name: object) -> str:
    return f"{icao} {name}" if _str(name) else icao


def _route(row: object) -> str:
    def end(icao: str, city: object) -> str:
        return f"{icao} ({city})" if _str(city) else icao
    return (f"{end(row.origin_icao, row.origin_city)} → "
            f"{end(row.dest_icao, row.dest_city)}")


def _route_key(row: object) -> str:
    return f"{row.carrier_icao} {row.origin_icao} {row.dest_icao}"


def _markdown(text: object) -> str:
    """Text safe in a Markdown table cell: punctuation escaped, one line."""
    escaped = "".join(f"\\{c}" if c in "\\`*_[]<>|#!" else c for c in str(text))
    return " ".join(escaped.split())


def _markdown_url(url: str) -> str:
    return quote(url, safe=":/?#[]@!$&'()*+,;=%~.-_")


def render(report: Report, template: str) -> str:
    """report.html (autoescaped) or report.md (cells escaped by the md filter)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=True)
    env.filters["md"] = _markdown
    env.filters["md_url"] = _markdown_url
    env.tests["link"] = lambda value: isinstance(value, Link)
    return env.get_template(template).render(report=report)


# --- writing -------------------------------------------------------------------------------

def build(con: duckdb.DuckDBPyConnection, scope: Scope, raw: RawZone, folder: Path) -> Report:
    """Read every section from the database; plots go to `folder`."""
    days = data_days(con, scope)
    return Report(scope.day, header(con, scope, raw), [
        carriers_section(con, scope, days, folder),
        routes_section(con, scope, days, folder),
        notices_section(con, scope),
        traffic_section(con, scope, days, folder),
    ])


def write_report(settings: Settings, day: date, out: Path | None = None) -> Path:
    """Write the report of UTC day `day` to `out` (default $FDP_HOME/reports/<day>), replacing
    an earlier one whole; returns the path of report.html."""
    target = (out or settings.reports_dir / day.isoformat()).resolve()
    _check_replaceable(target)
    scope = Scope(day, load_watchlist(settings.watchlist_path))
    with store.connect_published(settings) as con:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = target.with_name(f".{target.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
        staging.mkdir()
        try:
            report = build(con, scope, RawZone(settings.raw_dir), staging)
            for name in ("report.html", "report.md"):
                (staging / name).write_text(render(report, name), encoding="utf-8")
            _swap_in(staging, target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)  # still there only if something failed
    return target / "report.html"


def _check_replaceable(target: Path) -> None:
    """Only an earlier report (or an empty folder) is replaced, never a folder of other files
    that --out happened to name."""
    if target.exists() and (not target.is_dir() or (
            any(target.iterdir()) and not (target / "report.html").exists())):
        raise PipelineError(f"{target} exists and is not a report folder; it is left alone. "
                            "Choose a new or empty folder with --out")


def _swap_in(finished: Path, target: Path) -> None:
    """Readers see the old report or the new one (for an instant neither), never half of one."""
    old = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.old")
    try:
        target.rename(old)
    except FileNotFoundError:
        old = None
    finished.rename(target)
    if old is not None:
        shutil.rmtree(old)
