"""The task chain every flight-disruption DAG runs (plan -> fetch -> normalize -> load, then
optionally report and alerts; fetch and normalize mapped over chunks of partitions), built
inside a DAG's context. DAG files choose the schedule and the sources; this only wires."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from typing import Any

from airflow.sdk import Param, task

from pipeline import airflow_tasks


def default_args() -> dict[str, Any]:
    # FDP_TASK_RETRIES=0 lets dag.test() runs (demo, tests) fail at once instead of waiting.
    return {"retries": int(os.environ.get("FDP_TASK_RETRIES", "2")),
            "retry_delay": timedelta(minutes=5)}


def params(sources: tuple[str, ...]) -> dict[str, Param]:
    return {
        "replay": Param(False, type="boolean",
                        description="Rebuild from the raw zone only, with no network"),
        "sources": Param(list(sources), type="array", description="Sources to run"),
    }


def add_night_tasks(*, report: bool = True) -> None:
    """The night's tasks; `report` adds, after the load, the change report of the night's day
    and its alerts (reference data changes neither)."""
    @task
    def plan(data_interval_start: datetime | None = None, params: dict | None = None) -> list:
        return airflow_tasks.plan_partitions(data_interval_start, params["sources"],
                                             params["replay"])

    @task(retry_delay=timedelta(minutes=10), retry_exponential_backoff=True)
    def fetch(chunk: list[dict], params: dict | None = None, dag_run: Any = None) -> list[dict]:
        return airflow_tasks.fetch(chunk, replay=params["replay"],
                                   run_started=dag_run.start_date if dag_run else None)

    @task
    def normalize(chunk: list[dict]) -> list[dict]:
        return airflow_tasks.normalize(chunk)

    @task(pool=airflow_tasks.WRITER_POOL)
    def load(staged: list[list[dict]], run_id: str | None = None) -> list[dict]:
        # Indexing by length reads exactly the mapped results (iterating probes one past the end).
        return airflow_tasks.load([staged[i] for i in range(len(staged))], run_id)

    @task(task_id="report")
    def write_report(data_interval_start: datetime | None = None) -> str:
        return airflow_tasks.report(data_interval_start)

    # A task, not a callback of load: a callback's failure changes no state and is never
    # retried, and the ledger of what was sent lives in the DuckDB file (the writer's pool).
    @task(pool=airflow_tasks.WRITER_POOL)
    def alerts(data_interval_start: datetime | None = None, run_id: str | None = None) -> dict:
        return airflow_tasks.alerts(data_interval_start, run_id)

    loaded = load(normalize.expand(chunk=fetch.expand(chunk=plan())))
    if report:  # only after a successful load (and so a fresh publish)
        loaded >> [write_report(), alerts()]
