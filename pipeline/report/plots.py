"""The report's PNG plots (matplotlib, no pyplot): small multiples of daily flights over the
plot window, days without data shaded, the change marked, and maps of the service shifts and
the detours. Saved
without timestamps, so the same data gives the same bytes."""

from __future__ import annotations

from math import ceil
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import dates as mdates
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from pipeline.report import cells
from pipeline.report.model import PLOT_DAYS, Plot, Scope

MAX_PANELS = 24  # small multiples beyond this are unreadable; the tables list the rest
COLORS = {"flights": "#3568a8", "baseline": "#7a7a7a", "event": "#c0392b", "no_data": "#ececec"}
HALF_DAY = pd.Timedelta(hours=12)  # bars are centred on their day


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
                            f"{change.status} {verb} {cells.short_day(change.changed_on)}",
               series)
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
                            f"suspended from {cells.short_day(route.suspended_since)}", series)
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


def _map(title: str) -> tuple[Figure, Axes]:
    """A titled figure whose axes are longitude and latitude."""
    figure = Figure(figsize=(10, 6.5))
    figure.subplots_adjust(left=0.06, right=0.99, top=0.9, bottom=0.08)
    figure.text(0.01, 0.98, title, fontsize=12, fontweight="bold", va="top")
    axes = figure.subplots()
    axes.set_xlabel("longitude", fontsize=8.5)
    axes.set_ylabel("latitude", fontsize=8.5)
    axes.tick_params(labelsize=8)
    return figure, axes


def _label_airports(axes: Axes, airports: dict[str, tuple[float, float]]) -> None:
    for code, (lon, lat) in sorted(airports.items()):
        axes.scatter([lon], [lat], color="black", s=14, zorder=3)
        axes.annotate(code, (lon, lat), textcoords="offset points", xytext=(4, 4), fontsize=8)


def plot_shifts(shifts: pd.DataFrame, path: Path) -> Plot:
    """A map-like plot (longitude against latitude, no coastlines) of the service shifts: each
    lost route dashed, the route that grew instead solid, airports labelled."""
    figure, axes = _map("Where the service went: lost routes and the routes that grew")
    airports: dict[str, tuple[float, float]] = {}
    for shift in shifts.itertuples():
        lost = ((shift.origin_lon, shift.dest_lon), (shift.origin_lat, shift.dest_lat))
        grew = ((shift.new_origin_lon, shift.new_dest_lon), (shift.new_origin_lat,
                                                               shift.new_dest_lat))
        axes.plot(*lost, color=COLORS["event"], linestyle="--", linewidth=1.4)
        axes.plot(*grew, color=COLORS["flights"], linewidth=1.8)
        for code, lon, lat in ((shift.origin_icao, shift.origin_lon, shift.origin_lat),
                               (shift.dest_icao, shift.dest_lon, shift.dest_lat),
                               (shift.new_origin_icao, shift.new_origin_lon, shift.new_origin_lat),
                               (shift.new_dest_icao, shift.new_dest_lon, shift.new_dest_lat)):
            airports[code] = (lon, lat)
    _label_airports(axes, airports)
    axes.set_aspect("equal", adjustable="datalim")
    axes.grid(color="#dddddd", linewidth=0.6)
    axes.legend(handles=[Line2D([], [], color=COLORS["event"], linestyle="--",
                                label="route suspended"),
                         Line2D([], [], color=COLORS["flights"], label="route that grew")],
                loc="best", fontsize=8.5, frameon=False)
    return _save(figure, path, "Map of the service shifts: each suspended route dashed, the "
                               "carrier's route from a near airport that grew solid")


def plot_detours(detours: pd.DataFrame, path: Path) -> Plot:
    """A map of the detoured routes: each route's great circle (where it would fly, not where
    it flew), over the countries around them (Natural Earth), airports labelled."""
    from pipeline.reference.boundaries import country_shapes, great_circle_points

    figure, axes = _map("Detoured routes: their great circles, the way they no longer fly")
    airports: dict[str, tuple[float, float]] = {}
    for detour in detours.itertuples():
        points, _ = great_circle_points(detour.origin_lat, detour.origin_lon, detour.dest_lat,
                                        detour.dest_lon)
        for part in _unwrapped(points):
            axes.plot(part[:, 0], part[:, 1], color=COLORS["event"], linewidth=1.6)
        airports[detour.origin_icao] = (detour.origin_lon, detour.origin_lat)
        airports[detour.dest_icao] = (detour.dest_lon, detour.dest_lat)
    west, east, south, north = _view(axes)
    for shape in country_shapes().values():  # the land in view, behind the routes
        x0, y0, x1, y1 = shape.bounds
        if x1 < west or x0 > east or y1 < south or y0 > north:
            continue
        for polygon in getattr(shape, "geoms", [shape]):
            x, y = polygon.exterior.xy
            axes.fill(x, y, color="#eeeeee", edgecolor="#aaaaaa", linewidth=0.5, zorder=0)
    axes.set_xlim(west, east)
    axes.set_ylim(south, north)
    _label_airports(axes, airports)
    axes.set_aspect("equal", adjustable="box")
    axes.legend(handles=[Line2D([], [], color=COLORS["event"], label="detoured route")],
                loc="best", fontsize=8.5, frameon=False)
    return _save(figure, path, "Map of the detoured routes: each route's great circle over "
                               "the countries around it")


def _view(axes: Axes) -> tuple[float, float, float, float]:
    """What the map shows: the routes with a margin, and at least 16 degrees each way, so that
    a short route still shows the countries around it."""
    (west, east), (south, north) = axes.get_xlim(), axes.get_ylim()
    x, y = (west + east) / 2, (south + north) / 2
    half_x, half_y = max((east - west) / 2 + 3, 8), max((north - south) / 2 + 3, 8)
    return x - half_x, x + half_x, max(-90, y - half_y), min(90, y + half_y)


def _unwrapped(points: np.ndarray) -> list[np.ndarray]:
    """A path cut where it crosses the antimeridian, so that no line spans the map."""
    jumps = [i + 1 for i in range(len(points) - 1)
             if abs(points[i + 1, 0] - points[i, 0]) > 180]
    starts, ends = [0, *jumps], [*jumps, len(points)]
    return [points[a:b] for a, b in zip(starts, ends, strict=True) if b - a > 1]
