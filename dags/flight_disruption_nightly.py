"""Nightly flight-disruption run: one UTC day per run (the data interval): OpenSky flights,
the permit registry, FAA NOTAMs and the Federal Register -> raw zone -> pandas -> DuckDB.
Wiring only: the tasks are pipeline.airflow_dag's, the work pipeline.nightly's."""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG, CronDataIntervalTimetable

from pipeline.airflow_dag import add_night_tasks, default_args, params
from pipeline.sources.registry import NIGHTLY_SOURCES

with DAG(
    dag_id="flight_disruption_nightly",
    description="One UTC day of every nightly source into DuckDB",
    # Runs at 00:00 UTC for the day that just ended; never "@daily" (zero-width in Airflow 3).
    schedule=CronDataIntervalTimetable("0 0 * * *", timezone="UTC"),
    start_date=pendulum.datetime(2025, 11, 1, tz="UTC"),
    catchup=False,  # past nights: `airflow backfill create` or `fdp backfill`
    max_active_runs=4,
    default_args=default_args(),
    params=params(NIGHTLY_SOURCES),
    tags=["flight-disruption"],
) as dag:
    add_night_tasks()
