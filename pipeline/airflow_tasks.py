"""What each task of the nightly DAG does, as functions of plain values. The DAG file only
wires these; everything Airflow-specific the pipeline needs (connections) is here."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from pipeline import nightly
from pipeline.config import Credentials, Settings, opensky_credentials_from_env
from pipeline.watchlist import load_watchlist

WRITER_POOL = "fdp_duckdb_writer"  # one slot: DuckDB allows a single writing process
OPENSKY_CONN_ID = "opensky_default"


def opensky_credentials() -> Credentials | None:
    """The Airflow connection opensky_default (login = client id, password = secret),
    falling back to OPENSKY_CLIENT_ID / OPENSKY_CLIENT_SECRET."""
    from airflow.sdk import Connection
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        conn = Connection.get(OPENSKY_CONN_ID)
    except AirflowNotFoundException:
        return opensky_credentials_from_env()
    if conn.login and conn.password:
        return Credentials(conn.login, conn.password)
    return opensky_credentials_from_env()


def plan_partitions(data_interval_start: datetime, sources: list[str]) -> list[dict]:
    settings = Settings.from_env()
    watchlist = load_watchlist(settings.watchlist_path)
    day = data_interval_start.date()
    return [asdict(p) for p in nightly.plan(day, watchlist, sources)]


def fetch(partition: dict, replay: bool) -> dict:
    part = nightly.Partition(**partition)
    credentials = None if replay else opensky_credentials()
    nightly.fetch_partition(part, Settings.from_env(), replay=replay, credentials=credentials)
    return partition


def normalize(partition: dict) -> dict:
    settings = Settings.from_env()
    watchlist = load_watchlist(settings.watchlist_path)
    return nightly.normalize_partition(nightly.Partition(**partition), settings, watchlist)


def load(staged: list[dict], run_id: str) -> list[dict]:
    return nightly.load_night(staged, Settings.from_env(), run_id)
