"""Run the project's DAGs through Airflow itself, on the embedded default (SQLite metadata
under $FDP_HOME/airflow): what `fdp demo` and the end-to-end tests use.

Airflow reads its configuration when first imported, so `airflow_env` must run before that."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from pipeline.airflow_tasks import WRITER_POOL
from pipeline.config import REPO_ROOT, Settings

DAGS_DIR = REPO_ROOT / "dags"
NIGHTLY_DAG_ID = "flight_disruption_nightly"
REFERENCE_DAG_ID = "reference_data_weekly"


def airflow_env(settings: Settings, dag_test: bool = True) -> dict[str, str]:
    """Defaults for an embedded Airflow; values the user already set win. `dag_test` adds what
    in-process dag.test() runs want; a long-running Airflow keeps the DAGs' retries."""
    defaults = {
        "AIRFLOW_HOME": str(settings.home / "airflow"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_DIR),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "FDP_HOME": str(settings.home),
    }
    if dag_test:
        defaults |= {
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",  # task logs would bury the summary
            "FDP_TASK_RETRIES": "0",  # dag.test() would sit out each retry delay
        }
    for key, value in defaults.items():
        os.environ.setdefault(key, value)
    return {key: os.environ[key] for key in defaults}


def prepare_airflow(log_path: Path) -> None:
    """Create or upgrade the metadata database and the one-slot DuckDB writer pool."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    airflow = str(Path(sys.executable).with_name("airflow"))
    commands = [
        [airflow, "db", "migrate"],
        [airflow, "pools", "set", WRITER_POOL, "1", "DuckDB allows one writing process"],
    ]
    with open(log_path, "a", encoding="utf-8") as log:
        for command in commands:
            done = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, check=False)
            if done.returncode != 0:
                raise RuntimeError(f"`{' '.join(command[1:])}` failed; see {log_path}")


def load_dag(dag_id: str = NIGHTLY_DAG_ID) -> Any:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS_DIR))
    if bag.import_errors:
        raise RuntimeError(f"DAG import errors: {bag.import_errors}")
    return bag.dags[dag_id]


def run_dag(dag: Any, run_after: datetime, conf: dict[str, Any]) -> Any:
    """One run of the DAG through Airflow (dag.test), covering the interval before run_after."""
    return dag.test(logical_date=run_after, run_conf=conf)


def run_night(dag: Any, day: date, conf: dict[str, Any]) -> Any:
    """One DAG run whose data interval is the UTC day `day`; returns the finished DagRun.

    A manual run's interval is the last complete one before it, so it runs "after" the day."""
    run = run_dag(dag, datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC), conf)
    if run.data_interval_start.date() != day:
        raise RuntimeError(f"DAG run covered {run.data_interval_start}, expected {day}")
    return run
