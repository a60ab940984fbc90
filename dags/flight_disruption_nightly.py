"""Nightly flight-disruption run: one UTC day per run (the data interval).
Wiring only: what each task does lives in pipeline.airflow_tasks and pipeline.nightly."""

from __future__ import annotations

import os
from datetime import datetime, timedelta

import pendulum
from airflow.sdk import DAG, CronDataIntervalTimetable, Param, task

from pipeline import airflow_tasks
from pipeline.sources.registry import SOURCES

with DAG(
    dag_id="flight_disruption_nightly",
    description="OpenSky flights for the watched airports -> raw zone -> pandas -> DuckDB",
    # Runs at 00:00 UTC for the day that just ended; never "@daily" (zero-width in Airflow 3).
    schedule=CronDataIntervalTimetable("0 0 * * *", timezone="UTC"),
    start_date=pendulum.datetime(2025, 11, 1, tz="UTC"),
    catchup=False,  # past nights: `airflow backfill create` or `fdp backfill`
    max_active_runs=4,
    # FDP_TASK_RETRIES=0 lets dag.test() runs (demo, tests) fail at once instead of waiting.
    default_args={"retries": int(os.environ.get("FDP_TASK_RETRIES", "2")),
                  "retry_delay": timedelta(minutes=5)},
    params={
        "replay": Param(False, type="boolean",
                        description="Rebuild from the raw zone only, with no network"),
        "sources": Param(list(SOURCES), type="array", description="Sources to run"),
    },
    tags=["flight-disruption"],
) as dag:

    @task
    def plan(data_interval_start: datetime | None = None, params: dict | None = None) -> list:
        return airflow_tasks.plan_partitions(data_interval_start, params["sources"],
                                             params["replay"])

    @task(retry_delay=timedelta(minutes=10), retry_exponential_backoff=True)
    def fetch(partition: dict, params: dict | None = None) -> dict:
        return airflow_tasks.fetch(partition, replay=params["replay"])

    @task
    def normalize(partition: dict) -> dict:
        return airflow_tasks.normalize(partition)

    @task(pool=airflow_tasks.WRITER_POOL)
    def load(staged: list[dict], run_id: str | None = None) -> list[dict]:
        # Indexing by length reads exactly the mapped results (iterating probes one past the end).
        return airflow_tasks.load([staged[i] for i in range(len(staged))], run_id)

    load(normalize.expand(partition=fetch.expand(partition=plan())))
