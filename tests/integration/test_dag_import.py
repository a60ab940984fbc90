"""The DAG folder imports cleanly and the nightly DAG is wired as the design says."""

from __future__ import annotations

from datetime import UTC, datetime

from pipeline.airflow_runner import DAGS_DIR, NIGHTLY_DAG_ID, REFERENCE_DAG_ID
from pipeline.airflow_tasks import WRITER_POOL


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
