"""`fdp demo`: the nightly DAG, through Airflow, over the bundled synthetic replay."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time
from time import monotonic

from tqdm import tqdm

from pipeline import airflow_runner, store
from pipeline.adhoc_sql import fetch, render_table
from pipeline.config import Settings
from pipeline.demo.federal_register_replay import write_federal_register_replay
from pipeline.demo.notam_replay import write_notam_replay
from pipeline.demo.replay import days_between, write_replay
from pipeline.demo.synthetic import Scenario, load_scenario
from pipeline.errors import PipelineError
from pipeline.raw import RawZone
from pipeline.sources import airlines, airports, countries, permit_registry
from pipeline.sources.base import FetchContext
from pipeline.watchlist import load_watchlist

MAX_COLUMN_WIDTH = 60  # a long cell (a notice's text, a note) is cut, as in docs/queries.md
# one sentence a row: never cut
WHOLE_LINES = {"queries/why_routes_stopped.sql", "queries/detours_round_venezuela.sql"}
SUMMARY_QUERIES = (
    ("Flights per UTC day", "queries/flights_per_day.sql"),
    ("Last day each airline flew to/from Venezuela", "queries/last_flight_per_carrier.sql"),
    ("Flights per airline per day (Venezuela)", "queries/carriers_per_day.sql"),
    ("Carriers not allowed to fly to Venezuela on 5 Dec 2025",
     "queries/suspended_in_venezuela.sql"),
    ("Airspace notices in force on 25 Nov 2025", "queries/airspace_notices_on_day.sql"),
    ("Route events to and from Venezuela", "queries/route_suspensions.sql"),
    ("Why those routes stopped, as known on 5 Dec 2025", "queries/why_routes_stopped.sql"),
    ("Where the service went", "queries/where_the_service_went.sql"),
    ("Routes that went round Venezuela, as known on 5 Dec 2025",
     "queries/detours_round_venezuela.sql"),
)


def run_demo(settings: Settings, *, start: date | None, end: date | None) -> int:
    scenario = load_scenario()
    start, end = start or scenario.start, end or scenario.end
    if not scenario.start <= start <= end <= scenario.end:
        raise PipelineError(f"the replay covers {scenario.start} to {scenario.end}; "
                            f"choose nights inside it (got {start} to {end})")
    written = write_demo_raw(settings, scenario, start, end)
    counts = ", ".join(f"{n} {what}" for what, n in written.items())
    print(f"Raw zone {settings.raw_dir}: {counts}")

    env = airflow_runner.airflow_env(settings)
    print(f"Airflow home: {env['AIRFLOW_HOME']} (SQLite metadata); preparing it ...")
    airflow_runner.prepare_airflow(settings.home / "airflow" / "setup.log")
    reference = airflow_runner.run_dag(
        airflow_runner.load_dag(airflow_runner.REFERENCE_DAG_ID),
        datetime.combine(end, time(12), tzinfo=UTC), {"replay": True})
    if reference.state != "success":
        raise PipelineError(f"the reference DAG ended {reference.state}; see the log above")
    dag = airflow_runner.load_dag()
    began = monotonic()
    for day in tqdm(days_between(start, end), unit="night", desc=dag.dag_id):
        run = airflow_runner.run_night(dag, day, {"replay": True})
        if run.state != "success":
            raise PipelineError(f"DAG run for {day} ended {run.state}; see the log above")
    print(f"\n{(end - start).days + 1} nights in {monotonic() - began:.0f} s "
          f"-> {settings.duckdb_path}\n")
    _print_summary(settings)
    return 0


def write_demo_raw(settings: Settings, scenario: Scenario, start: date, end: date
                   ) -> dict[str, int]:
    """Everything the demo nights replay: the SYNTHETIC flights, the NOTAM API's answers
    (the real advisory KICZ A0012/25) and the Federal Register's (no hits), plus the real
    permit registry and the airports and airlines references, read from their files as a
    live night would."""
    raw = RawZone(settings.raw_dir)
    watchlist = load_watchlist(settings.watchlist_path)
    # offline: airports from airportsdata, airlines from the curated file, as without network
    ctx = FetchContext(replace(settings, openflights_airlines_url="", ourairports_airports_url=""),
                       raw, credentials={})
    for snapshot in (airports, airlines, countries, permit_registry):
        snapshot.fetch(ctx, end, snapshot.PARTITION)
    return {
        "synthetic OpenSky responses": write_replay(raw, scenario, watchlist.airports, start, end),
        "NOTAM API responses": write_notam_replay(raw, watchlist.firs, start, end),
        "Federal Register responses": write_federal_register_replay(
            raw, watchlist.terms, start, end),
    }


def _print_summary(settings: Settings) -> None:
    with store.connect_published(settings) as con:
        for title, query in SUMMARY_QUERIES:
            width = None if query in WHOLE_LINES else MAX_COLUMN_WIDTH
            table = render_table(fetch(con, store.sql_file(query)), max_width=width)
            print(f"== {title}  (sql/{query})\n{table}\n")
    print("Query it yourself: .venv/bin/fdp sql \"select * from flights limit 5\"  "
          "(the flight observations in this demo are SYNTHETIC)")
