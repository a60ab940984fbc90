"""What each task of the nightly DAG does, as functions of plain values. The DAG file only
wires these; everything Airflow-specific the pipeline needs (connections) is here.

Every DAG file imports this module, and Airflow imports the DAG file again at each task start:
pipeline.nightly (pandas, pandera, DuckDB, every source) is imported inside the functions, so
that costs only the tasks that use it (tests/integration/test_dag_import.py keeps it so)."""

from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pipeline.config import Credentials, Settings, credentials_from_env
from pipeline.errors import PipelineError
from pipeline.raw import RawZone
from pipeline.sources.base import FetchContext
from pipeline.watchlist import load_watchlist

if TYPE_CHECKING:  # imported by the task that sends: DuckDB is not for DAG parsing
    from pipeline.alerts.channels import AlertSettings, Channel

WRITER_POOL = "fdp_duckdb_writer"  # one slot: DuckDB allows a single writing process
CONNECTION_IDS = {"opensky": "opensky_default", "faa_notam": "faa_notam_default"}
log = logging.getLogger(__name__)


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
                    ) -> list[list[dict]]:
    """The night's partitions, in chunks (nightly.chunks): one fetch and one normalize task
    instance each, so 500 airports make a few dozen instances, not a thousand."""
    from pipeline import nightly

    if data_interval_start is None:  # `airflow dags trigger` without a logical date
        raise ValueError("this DAG run has no data interval, so no UTC day to run: trigger it "
                         "with a logical date, or use `airflow backfill create` for past days")
    settings = Settings.from_env()
    watchlist = load_watchlist(settings.watchlist_path)
    today = None if replay else datetime.now(UTC).date()  # what live sources can still answer
    parts = nightly.plan(data_interval_start.date(), watchlist, sources,
                         raw=RawZone(settings.raw_dir), today=today)
    return [[asdict(p) for p in chunk] for chunk in nightly.chunks(parts)]


def fetch(chunk: list[dict], replay: bool, run_started: datetime | None = None) -> list[dict]:
    """Fetch the chunk's partitions in turn. On a retry, those this DAG run (started at
    `run_started`) already fetched are not fetched, and paid for, again."""
    from pipeline import nightly

    settings = Settings.from_env()
    raw = RawZone(settings.raw_dir)
    for partition in chunk:
        part = nightly.Partition(**partition)
        if not replay and run_started and nightly.fetched_since(raw, part, run_started):
            log.info("%s %s: fetched earlier in this run", part.source, part.name)
            continue
        secrets = {} if replay else {part.source: credentials(part.source)}
        nightly.fetch_partition(part, FetchContext(settings, raw, secrets), replay=replay)
    return chunk


def normalize(chunk: list[dict]) -> list[dict]:
    from pipeline import nightly

    settings = Settings.from_env()
    watchlist = load_watchlist(settings.watchlist_path)
    return nightly.normalize_chunk([nightly.Partition(**p) for p in chunk], settings, watchlist)


def load(staged: list[list[dict]], run_id: str) -> list[dict]:
    from pipeline import nightly

    return nightly.load_night([part for chunk in staged for part in chunk], Settings.from_env(),
                              run_id)


def report(data_interval_start: datetime) -> str:
    """The change report of the run's UTC day; returns the path of its report.html."""
    from pipeline.report import write_report  # matplotlib: in the task, not at DAG parse time

    return str(write_report(Settings.from_env(), data_interval_start.date()))


def alerts(data_interval_start: datetime, run_id: str) -> dict:
    """Send the night's alerts, each once, to the channels of the Airflow connections
    fdp_alerts_webhook and fdp_alerts_smtp (else of the FDP_ALERT_* settings); fails, naming
    the channel and the fix, when one did not take them (a retry sends only what is left)."""
    from airflow.sdk import get_current_context

    from pipeline.alerts.channels import AlertSettings
    from pipeline.alerts.delivery import deliver

    settings, alert_settings = Settings.from_env(), AlertSettings.from_env()
    delivery = deliver(settings, data_interval_start.date(),
                       alert_channels(alert_settings, settings.http_timeout_s), run_id=run_id,
                       max_age_days=alert_settings.max_age_days, require_data=False,
                       context=dict(get_current_context()))
    error = delivery.error()  # deliver() logged what each channel got
    if error:
        raise error
    return delivery.counts()


def alert_channels(alert_settings: AlertSettings, timeout_s: float) -> list[Channel]:
    """A channel per Airflow connection; without one, as the FDP_ALERT_* settings say."""
    from pipeline.alerts import channels

    configured = channels.channels_from_settings(alert_settings, timeout_s)
    by_name = {channel.name: channel for channel in configured}
    webhook = _connection(channels.WEBHOOK_CONN_ID)
    if webhook is not None:
        by_name["webhook"] = channels.webhook_channel(
            webhook_url(webhook), f"Airflow connection {channels.WEBHOOK_CONN_ID}", timeout_s)
    smtp = _connection(channels.SMTP_CONN_ID)
    if smtp is not None:
        extra = smtp.extra_dejson
        by_name["email"] = channels.email_channel(
            source=f"Airflow connection {channels.SMTP_CONN_ID}",
            server=f"{smtp.host}:{smtp.port or 'default port'}",
            from_email=extra.get("from_email") or alert_settings.smtp_from,
            to=channels.addresses(extra.get("to", "")) or alert_settings.smtp_to)
    return [by_name[name] for name in ("webhook", "email") if name in by_name]


def _connection(conn_id: str) -> Any:
    from airflow.sdk import Connection
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        return Connection.get(conn_id)
    except AirflowNotFoundException:
        return None


def webhook_url(conn: Any) -> str:
    """The whole URL in the Host field (the UI, or the JSON form {"conn_type": "http",
    "host": "https://hooks.slack.com/services/..."}), or a URI-form connection
    (AIRFLOW_CONN_...='https://hooks.slack.com/services/...': scheme, host, port, path)."""
    if conn.host and "://" in conn.host:
        return conn.host
    if conn.conn_type in ("http", "https") and conn.host:
        port = f":{conn.port}" if conn.port else ""
        return f"{conn.conn_type}://{conn.host}{port}/{conn.schema or ''}"
    raise PipelineError(f"Airflow connection {conn.conn_id} holds no webhook URL. Fix: put "
                        "the whole URL (https://hooks.slack.com/services/...) in its Host field")
