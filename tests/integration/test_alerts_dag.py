"""A night's alerts through Airflow (the nightly DAG's alerts task, under dag.test(), with the
connections fdp_alerts_webhook and fdp_alerts_smtp given as AIRFLOW_CONN_* variables) and
through `fdp run` (FDP_ALERT_* settings), to a webhook server and an SMTP server on 127.0.0.1.

The night is 26 Nov 2025 of the real permit registry (registry/permit_actions.csv), whose
only source runs here: INAC revoked six carriers' permits in Venezuela that day."""

from __future__ import annotations

import json
from datetime import date

import pytest
from conftest import HOOK_PATH

from pipeline import store
from pipeline.airflow_runner import load_dag, run_night
from pipeline.cli import main
from pipeline.config import Settings

pytestmark = pytest.mark.usefixtures("webhook_log_unchecked")

DAY = date(2025, 11, 26)
REVOKED = ("ARE", "AVA", "GLO", "IBE", "TAP", "THY")
CONF = {"replay": False, "sources": ["permit_registry"]}


@pytest.fixture
def airflow_channels(httpserver, inbox, fdp_env, monkeypatch, airflow_metadata):
    monkeypatch.setenv("AIRFLOW_CONN_FDP_ALERTS_WEBHOOK", json.dumps(
        {"conn_type": "http", "host": httpserver.url_for(HOOK_PATH)}))
    monkeypatch.setenv("AIRFLOW_CONN_FDP_ALERTS_SMTP", json.dumps(
        {"conn_type": "smtp", "host": "127.0.0.1", "port": inbox.port,
         "extra": {"disable_ssl": True, "disable_tls": True, "retry_limit": 0,
                   "from_email": "fdp@example.org", "to": "analyst@example.org"}}))
    monkeypatch.setenv("FDP_ALERT_MAX_AGE_DAYS", "100000")  # 2025 is old by the clock


def posts(hook) -> list[dict]:
    return [json.loads(request.get_data()) for request, _ in hook.log
            if request.path == HOOK_PATH]


def ledger() -> list[tuple]:
    with store.connect(Settings.from_env().duckdb_path) as con:
        return con.execute("SELECT channel, outcome, run_id, count(*) FROM alert_log "
                           "GROUP BY ALL ORDER BY ALL").fetchall()


def test_the_nightly_dag_sends_the_nights_alerts_once(airflow_channels, httpserver, inbox):
    httpserver.expect_request(HOOK_PATH, method="POST").respond_with_data("ok")
    dag = load_dag()

    first = run_night(dag, DAY, CONF)

    assert first.state == "success"
    [post] = posts(httpserver)
    assert post["text"].startswith(
        "Flight disruption alerts of 26 Nov 2025 (UTC): 6 carrier status changes")
    for carrier in REVOKED:
        assert f"{carrier} revoked in VE from 26 Nov 2025" in post["text"]
    [message] = inbox.messages
    assert message["Subject"] == ("[fdp] Flight disruption alerts of 26 Nov 2025 (UTC): 6 "
                                  "carrier status changes")
    assert (message["From"], message["To"]) == ("fdp@example.org", "analyst@example.org")
    assert ledger() == [("email", "sent", first.run_id, 6), ("webhook", "sent", first.run_id, 6)]

    again = run_night(dag, DAY, CONF)

    assert again.state == "success"
    assert len(posts(httpserver)) == 1 and len(inbox.messages) == 1
    assert ledger() == [("email", "sent", first.run_id, 6), ("webhook", "sent", first.run_id, 6)]


def test_a_channel_that_fails_fails_the_alerts_task_and_a_rerun_sends_the_rest(
        airflow_channels, httpserver, inbox):
    httpserver.expect_oneshot_request(HOOK_PATH, method="POST").respond_with_data("", 503)
    httpserver.expect_request(HOOK_PATH, method="POST").respond_with_data("ok")
    dag = load_dag()

    failed = run_night(dag, DAY, CONF)

    assert failed.state == "failed"
    states = {ti.task_id: ti.state for ti in failed.get_task_instances()}
    assert (states["load"], states["report"], states["alerts"]) == ("success", "success",
                                                                    "failed")
    assert len(inbox.messages) == 1  # the e-mail went, and is recorded
    assert [row[0] for row in ledger()] == ["email"]

    rerun = run_night(dag, DAY, CONF)

    assert rerun.state == "success"
    assert len(posts(httpserver)) == 2 and len(inbox.messages) == 1
    assert [row[:2] for row in ledger()] == [("email", "sent"), ("webhook", "sent")]


def test_fdp_run_sends_after_its_night_and_a_rerun_sends_nothing(
        httpserver, inbox, fdp_env, monkeypatch, capsys):
    httpserver.expect_request(HOOK_PATH, method="POST").respond_with_data("ok")
    for key, value in {"FDP_ALERT_WEBHOOK_URL": httpserver.url_for(HOOK_PATH),
                       "FDP_ALERT_SMTP_HOST": "127.0.0.1",
                       "FDP_ALERT_SMTP_PORT": str(inbox.port),
                       "FDP_ALERT_SMTP_SECURITY": "none",
                       "FDP_ALERT_SMTP_FROM": "fdp@example.org",
                       "FDP_ALERT_SMTP_TO": "analyst@example.org",
                       "FDP_ALERT_MAX_AGE_DAYS": "100000"}.items():
        monkeypatch.setenv(key, value)
    command = ["run", "--date", DAY.isoformat(), "--sources", "permit_registry"]

    assert main(command) == 0

    out = capsys.readouterr().out
    assert "2025-11-26 permit_registry registry: 79 rows loaded" in out
    assert "alerts of 2025-11-26: 6\n" in out and "6 sent; 0 had before" in out
    assert len(posts(httpserver)) == 1 and len(inbox.messages) == 1

    assert main(command) == 0

    assert capsys.readouterr().out.count("0 sent; 6 had before") == 2
    assert len(posts(httpserver)) == 1 and len(inbox.messages) == 1


def test_fdp_run_without_channels_says_alerts_are_off(fdp_env, capsys):
    assert main(["run", "--date", DAY.isoformat(), "--sources", "permit_registry"]) == 0
    assert capsys.readouterr().out.endswith(
        "alerts are off: no channel configured (set FDP_ALERT_WEBHOOK_URL or "
        "FDP_ALERT_SMTP_HOST; in Airflow, the connections fdp_alerts_webhook or "
        "fdp_alerts_smtp)\n")
