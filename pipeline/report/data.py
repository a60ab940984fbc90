"""What a report reads: the queries in sql/report/ and the frames they give, each as known on
the report's day (acts announced by then, events detected by then, notices seen by then), and
whether the raw answers behind the loads were synthetic."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from pipeline.config import SQL_DIR
from pipeline.raw import COMPLETE, RawRecord, RawZone, combined_sha256
from pipeline.report.model import Scope

REPORT_SQL = SQL_DIR / "report"


def query(con: duckdb.DuckDBPyConnection, name: str, **params: object) -> pd.DataFrame:
    """Run sql/report/<name>.sql with its named parameters (DuckDB refuses extra ones)."""
    return con.execute((REPORT_SQL / f"{name}.sql").read_text(encoding="utf-8"), params).df()


# --- what the report stands on -------------------------------------------------------------

def data_days(con: duckdb.DuckDBPyConnection, scope: Scope) -> set[pd.Timestamp]:
    """The days of the plot window with any flights loaded: other days are gaps, not zeros."""
    days = query(con, "data_days", plot_start=scope.plot_start, day=scope.day)
    return set(pd.to_datetime(days["flight_date"]))


def coverage(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """The last load attempt of every dated partition of the plot window."""
    return query(con, "coverage", plot_start=scope.plot_start, day=scope.day)


def newest_day(con: duckdb.DuckDBPyConnection) -> date | None:
    [(newest,)] = con.execute((REPORT_SQL / "newest_day.sql").read_text(encoding="utf-8")
                              ).fetchall()
    return newest


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


# --- carriers ------------------------------------------------------------------------------

def carrier_changes(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Restrictions that began or ended in the window, as the registry stood on the day."""
    return query(con, "carrier_changes", day=scope.day, window_start=scope.window_start,
                 countries=scope.countries)


def carriers_in_force(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    return query(con, "carriers_in_force", day=scope.day, countries=scope.countries)


def carrier_flights(con: duckdb.DuckDBPyConnection, scope: Scope, carriers: list[str]
                    ) -> pd.DataFrame:
    return query(con, "carrier_flights", plot_start=scope.plot_start, day=scope.day,
                 carriers=carriers)


# --- routes --------------------------------------------------------------------------------

def service_shifts(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Shifts judged by the report day, of the suspensions of the weeks before it."""
    return query(con, "service_shifts", day=scope.day, plot_start=scope.plot_start,
                 countries=scope.countries)


def route_detours(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Detours detected by the report day, of the weeks before it, with their first cause."""
    return query(con, "route_detours", day=scope.day, plot_start=scope.plot_start,
                 countries=scope.countries)


def airspace_exposure(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Per watched country, the week's flights crossing it and those on a detour."""
    return query(con, "airspace_exposure", day=scope.day, countries=scope.countries)


def route_events(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Route events detected in the window (later detections are left out)."""
    return query(con, "route_events", day=scope.day, window_start=scope.window_start,
                 countries=scope.countries)


def routes_suspended(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    return query(con, "routes_suspended", day=scope.day, countries=scope.countries)


def route_causes(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """The ranked likely causes of the suspensions detected in the window, as known on the day
    (a cause known later is left out), with the source link of each act or NOTAM."""
    return query(con, "route_causes", day=scope.day, window_start=scope.window_start,
                 countries=scope.countries)


def route_flights(con: duckdb.DuckDBPyConnection, scope: Scope, routes: list[str]
                  ) -> pd.DataFrame:
    """Daily flights of `routes` ('CARRIER ORIGIN DEST') over the plot window."""
    return query(con, "route_flights", plot_start=scope.plot_start, day=scope.day,
                 routes=routes)


# --- airspace and traffic ------------------------------------------------------------------

def airspace_notices(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Notices in force on the day that the pipeline had seen by that night."""
    return query(con, "airspace_notices", day=scope.day)


def country_traffic(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    return query(con, "country_traffic", plot_start=scope.plot_start, day=scope.day,
                 countries=scope.countries)
