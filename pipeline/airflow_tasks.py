"""What each task of the nightly DAG does, as functions of plain values. The DAG file only
wires these; everything Airflow-specific the pipeline needs (connections) is here.

Every DAG file imports this module, and Airflow imports the DAG file again at each task start:
pipeline.nightly (pandas, pandera, DuckDB, every source) is imported inside the functions, so
that costs only the tasks that use it (tests/integration/test_dag_import.py keeps it so)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime

from pipeline.config import Credentials, Settings, credentials_from_env
from pipeline.raw import RawZone
from pipeline.sources.base import FetchContext
from pipeline.watchlist import load_watchlist

WRITER_POOL = "fdp_duckdb_writer"  # one slot: DuckDB allows a single writing process
CONNECTION_IDS = {"opensky": "opensky_default", "faa_notam": "faa_notam_default"}


def credentials(source: str) -> Credentials | None:
    """The source's Airflow connection (login = client id, password = secret), falling back
    to the environment variables the CLI reads."""
    from airflow.sdk import Connection
    from airflow.sdk.exceptions import AirflowNotFoundException

    conn_id = CONNECTION_IDS.get(source)
    if conn_id is None:
        return None
    try:
        conn = Connection.get(conn_id)
    except AirflowNotFoundException:
        return credentials_from_env(source)
    if conn.login and conn.password:
        return Credentials(conn.login, conn.password)
    return credentials_from_env(source)


def plan_partitions(data_interval_start: datetime | None, sources: list[str], replay: bool
                    ) -> list[dict]:
    from pipeline import nightly

    if data_interval_start is None:  # `airflow dags trigger` without a logical date
        raise ValueError("this DAG run has no data interval, so no UTC day to run: trigger it "
                         "with a logical date, or use `airflow backfill create` for past days")
    settings = Settings.from_env()
    watchlist = load_watchlist(settings.watchlist_path)
    today = None if replay else datetime.now(UTC).date()  # what live sources can still answer
    parts = nightly.plan(data_interval_start.date(), watchlist, sources,
                         raw=RawZone(settings.raw_dir), today=today)
    return [asdict(p) for p in parts]


def fetch(partition: dict, replay: bool) -> dict:
    from pipeline import nightly

    part = nightly.Partition(**partition)
    settings = Settings.from_env()
    secrets = {} if replay else {part.source: credentials(part.source)}
    nightly.fetch_partition(part, FetchContext(settings, RawZone(settings.raw_dir), secrets),
                            replay=replay)
    return partition


def normalize(partition: dict) -> dict:
    from pipeline import nightly

    settings = Settings.from_env()
    watchlist = load_watchlist(settings.watchlist_path)
    return nightly.normalize_partition(nightly.Partition(**partition), settings, watchlist)


def load(staged: list[dict], run_id: str) -> list[dict]:
    from pipeline import nightly

    return nightly.load_night(staged, Settings.from_env(), run_id)


def report(data_interval_start: datetime) -> str:
    """The change report of the run's UTC day; returns the path of its report.html."""
    from pipeline.report import write_report  # matplotlib: in the task, not at DAG parse time

    return str(write_report(Settings.from_env(), data_interval_start.date()))
