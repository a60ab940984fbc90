"""The DAG folder imports cleanly and cheaply, and the nightly DAG is wired as the design
says."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime

import pytest

from pipeline.airflow_runner import DAGS_DIR, NIGHTLY_DAG_ID, REFERENCE_DAG_ID
from pipeline.airflow_tasks import WRITER_POOL
from pipeline.sources.registry import NIGHTLY_SOURCES, REFERENCE_SOURCES, SOURCES

# What only tasks may import: Airflow imports each DAG file again at every task start, and
# these cost seconds there (a night's tasks hit the 30 s dagbag_import_timeout).
HEAVY_MODULES = ("pandas", "pandera", "duckdb", "pyarrow", "matplotlib", "requests",
                 *(f"pipeline.sources.{name}" for name in SOURCES))
# Run in a fresh interpreter: the DAG files after airflow.sdk, as a task start imports them.
IMPORT_PROBE = """
import importlib.util, json, pathlib, sys, time
import airflow.sdk
began = time.perf_counter()
for path in sys.argv[2:]:
    spec = importlib.util.spec_from_file_location(pathlib.Path(path).stem, path)
    spec.loader.exec_module(importlib.util.module_from_spec(spec))
seconds = time.perf_counter() - began
print(json.dumps({"seconds": seconds,
                  "heavy": sorted(set(json.loads(sys.argv[1])) & set(sys.modules))}))
"""


def test_dag_folder_has_no_import_errors():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS_DIR))
    assert bag.import_errors == {}
    assert {NIGHTLY_DAG_ID, REFERENCE_DAG_ID} <= set(bag.dag_ids)


def test_nightly_dag_covers_one_utc_day_per_run_and_has_one_writer(monkeypatch):
    from airflow.dag_processing.dagbag import DagBag
    from airflow.sdk import CronDataIntervalTimetable
    from airflow.serialization.encoders import coerce_to_core_timetable

    monkeypatch.delenv("FDP_TASK_RETRIES")  # as deployed: the tests turn retries off
    dag = DagBag(dag_folder=str(DAGS_DIR)).dags[NIGHTLY_DAG_ID]
    assert isinstance(dag.timetable, CronDataIntervalTimetable)
    # the scheduler's view of the timetable: a run after midnight covers the day before
    interval = coerce_to_core_timetable(dag.timetable).infer_manual_data_interval(
        run_after=datetime(2025, 11, 21, 0, 0, tzinfo=UTC)
    )
    assert (interval.start, interval.end) == (datetime(2025, 11, 20, tzinfo=UTC),
                                              datetime(2025, 11, 21, tzinfo=UTC))
    assert dag.task_dict["load"].pool == WRITER_POOL
    assert all(dag.task_dict[t].pool != WRITER_POOL for t in ("plan", "fetch", "normalize"))
    assert dag.task_dict["fetch"].retries >= 1 and dag.task_dict["load"].retries >= 1
    assert dag.params["replay"] is False
    # the report reads the published copy: after the load, and outside the writer's pool
    assert dag.task_dict["report"].upstream_task_ids == {"load"}
    assert dag.task_dict["report"].pool != WRITER_POOL


def test_reference_dag_writes_no_report():
    from airflow.dag_processing.dagbag import DagBag

    dag = DagBag(dag_folder=str(DAGS_DIR)).dags[REFERENCE_DAG_ID]
    assert set(dag.task_dict) == {"plan", "fetch", "normalize", "load"}


def test_dag_files_import_no_pandas_duckdb_or_source_module():
    dag_files = sorted(str(path) for path in DAGS_DIR.glob("*.py"))
    done = subprocess.run([sys.executable, "-c", IMPORT_PROBE, json.dumps(HEAVY_MODULES),
                           *dag_files], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    probe = json.loads(done.stdout.splitlines()[-1])
    print(f"{len(dag_files)} DAG files imported in {probe['seconds']:.3f} s after airflow.sdk")
    assert probe["heavy"] == [], "DAG files must leave these to the tasks"


def test_source_names_need_no_source_module_and_name_their_module():
    assert list(SOURCES) == [*REFERENCE_SOURCES, *NIGHTLY_SOURCES]  # a night's order
    assert [SOURCES[name].SOURCE for name in SOURCES] == list(SOURCES)
    assert "flightradar" not in SOURCES
    with pytest.raises(KeyError):
        SOURCES["flightradar"]
