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
HTTPX_WARNING = "Using `httpx` with `starlette.testclient` is deprecated"


def airflow_env(settings: Settings, dag_test: bool = True) -> dict[str, str]:
    """Defaults for an embedded Airflow; values the user already set win. `dag_test` adds what
    in-process dag.test() runs want; a long-running Airflow keeps the DAGs' retries."""
    home = Path(os.environ.setdefault("AIRFLOW_HOME", str(settings.home / "airflow")))
    defaults = {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_DIR),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "FDP_HOME": str(settings.home),
    } | home_paths(home)
    if dag_test:
        defaults |= {
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",  # task logs would bury the summary
            "FDP_TASK_RETRIES": "0",  # dag.test() would sit out each retry delay
        }
    for key, value in defaults.items():
        os.environ.setdefault(key, value)
    return {key: os.environ[key] for key in defaults}


def home_paths(home: Path) -> dict[str, str]:
    """The settings Airflow writes into airflow.cfg as absolute paths under its home when it
    first creates the file. Given here from the current home, so a moved data folder keeps
    using its own metadata database and logs, not the ones at the old place."""
    return {
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(home / "plugins"),
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
        "AIRFLOW__LOGGING__DAG_PROCESSOR_CHILD_PROCESS_LOG_DIRECTORY":
            str(home / "logs" / "dag_processor"),
    }


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
    """Run the DAG in this process (dag.test) for its last complete data interval before
    `run_after`, dated as the scheduler and `airflow backfill create` date that interval's run
    (DagRunInfo.interval): logical date = interval start, run after = interval end. A backfill
    then takes it for that interval's run, and leaves the next interval's date free."""
    import warnings
    from unittest import mock

    from airflow.sdk import timezone
    from airflow.serialization.encoders import coerce_to_core_timetable

    timetable = coerce_to_core_timetable(dag.timetable)
    interval = timetable.infer_manual_data_interval(run_after=timezone.coerce_datetime(run_after))
    # dag.test() has no data-interval argument: it infers the interval of a manual run as the
    # one *ending* at the logical date. Have it use the scheduler's interval for this run.
    with (mock.patch.object(type(timetable), "infer_manual_data_interval", return_value=interval),
          warnings.catch_warnings()):
        # dag.test() runs Airflow's execution API in process through Starlette's TestClient,
        # which warns about httpx, Airflow's dependency: nothing a user of `fdp demo` can act on
        warnings.filterwarnings("ignore", HTTPX_WARNING, UserWarning)
        return dag.test(logical_date=interval.start, run_after=interval.end, run_conf=conf)


def run_night(dag: Any, day: date, conf: dict[str, Any]) -> Any:
    """One DAG run whose data interval is the UTC day `day` (logical date `day` 00:00 UTC);
    returns the finished DagRun."""
    run = run_dag(dag, datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC), conf)
    if run.data_interval_start.date() != day:
        raise RuntimeError(f"DAG run covered {run.data_interval_start}, expected {day}")
    return run
