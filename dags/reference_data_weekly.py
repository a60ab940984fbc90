"""Weekly reference data: airports (airportsdata) and airlines (OpenFlights under the curated
file). Wiring only: the same tasks as the nightly DAG, on the reference sources."""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG, CronDataIntervalTimetable

from pipeline.airflow_dag import add_night_tasks, default_args, params
from pipeline.sources.registry import REFERENCE_SOURCES

with DAG(
    dag_id="reference_data_weekly",
    description="Airports and airlines reference tables",
    schedule=CronDataIntervalTimetable("0 3 * * 1", timezone="UTC"),  # Mondays 03:00 UTC
    start_date=pendulum.datetime(2025, 11, 3, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    params=params(REFERENCE_SOURCES),
    tags=["flight-disruption", "reference"],
) as dag:
    add_night_tasks(report=False)  # reference data changes nothing the report shows daily
