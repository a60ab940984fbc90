"""A night's alerts (pipeline/alerts, sql/alerts) sent to a real webhook server and a real SMTP
server, both on 127.0.0.1: what they say, that each goes to a channel once, and what happens
when a channel fails, a night is quiet, or a night is old.

The data are SYNTHETIC and hand-built (the flights of tests/unit/test_route_detector.py): AVA
flies SKBO-AAAA twice a day until day 59, and on the night its suspension is detected the
synthetic carrier ZZZ is revoked in VE by a synthetic act."""

from __future__ import annotations

import json
import re
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest
from conftest import HOOK_PATH, SECRET_MARK
from local_smtp import html_body, smtp_server
from test_route_detector import add_airports, add_flights, background, d, days

from pipeline import airflow_tasks, store
from pipeline.alerts.channels import AlertSettings, channels_from_settings
from pipeline.alerts.delivery import deliver, send_configured
from pipeline.alerts.night import night_alerts
from pipeline.cli import main
from pipeline.config import Settings
from pipeline.errors import PipelineError

pytestmark = [pytest.mark.slow,  # the route detector runs on each night built; see make test-fast
              pytest.mark.usefixtures("webhook_log_unchecked")]

ROUTE = ("AVA", "SKBO", "AAAA")  # AAAA: the hub of test_route_detector, here in Venezuela
SYNTHETIC_ACT_URL = "https://example.org/synthetic-act-synthetic-zzz-revoked"
ROUTE_KEY = "route_suspended|AVA|SKBO|AAAA|{last}"
STATUS_KEY = "carrier_restricted|ZZZ|VE|synthetic-zzz-revoked"


def add_act(con, action_id: str, carrier: str, day: date, action: str = "revoked",
            announced: date | None = None, country: str = "VE") -> None:
    """A SYNTHETIC act of the permit registry."""
    con.execute("INSERT INTO permit_actions (action_id, authority, action, carrier_icao, "
                "carrier_name, jurisdiction_country, effective_date, announced_date, "
                "source_url, source_partition, run_id, loaded_at) VALUES (?, 'INAC', ?, ?, "
                "'Synthetic Air', ?, ?, ?, ?, 'registry', 't', now())",
                [action_id, action, carrier, country, day, announced or day,
                 f"https://example.org/synthetic-act-{action_id}"])


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, date]:
    """The database of the story above, built once; and the night with both alerts."""
    path = tmp_path_factory.mktemp("alerts") / "fdp.duckdb"
    with store.connect(path) as con:
        background(con)
        add_airports(con, {"AAAA": "VE", "SKBO": "CO"})
        add_flights(con, ROUTE, days(0, 59), per_day=2)
        store.rebuild_derived(con)
        [(detected,)] = con.execute("SELECT detected_on FROM route_events WHERE carrier_icao "
                                    "= 'AVA' AND event_type = 'suspended'").fetchall()
        add_act(con, "synthetic-zzz-revoked", "ZZZ", detected)
        store.rebuild_derived(con)
        assert store.check(con) == []  # what publishing it would check
        con.execute("CHECKPOINT")  # all in the file itself, which the tests copy
    return path, detected


@pytest.fixture
def night(built, fdp_env) -> date:
    """A home with that database, written and published; returns the night."""
    settings = Settings.from_env()
    for target in (settings.duckdb_path, settings.published_path):
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(built[0], target)
    return built[1]


@pytest.fixture
def hook(httpserver):
    """The webhook: accepts every post to HOOK_PATH."""
    httpserver.expect_request(HOOK_PATH, method="POST").respond_with_data("ok")
    return httpserver


def channel_env(hook, inbox, max_age_days: int = 100_000) -> dict[str, str]:
    return {"FDP_ALERT_WEBHOOK_URL": hook.url_for(HOOK_PATH),
            "FDP_ALERT_SMTP_HOST": "127.0.0.1", "FDP_ALERT_SMTP_PORT": str(inbox.port),
            "FDP_ALERT_SMTP_SECURITY": "none", "FDP_ALERT_SMTP_FROM": "fdp@example.org",
            "FDP_ALERT_SMTP_TO": "analyst@example.org, desk@example.org",
            # the synthetic nights are in 2025: old by the clock
            "FDP_ALERT_MAX_AGE_DAYS": str(max_age_days)}


def posts(hook) -> list[dict]:
    return [json.loads(request.get_data()) for request, _ in hook.log
            if request.path == HOOK_PATH]


def ledger() -> list[tuple]:
    with store.connect(Settings.from_env().duckdb_path) as con:
        return con.execute("SELECT alert_key, channel, outcome FROM alert_log ORDER BY ALL"
                           ).fetchall()


def send(night_day: date, env: dict[str, str], run_id: str = "test"):
    return send_configured(Settings.from_env(), night_day, run_id=run_id, env=env)


def test_a_suspension_and_a_status_change_reach_both_channels(night, hook, inbox):
    delivery = send(night, channel_env(hook, inbox))

    route_key = ROUTE_KEY.format(last=d(59))
    assert [a.key for a in delivery.alerts] == [route_key, STATUS_KEY]
    [post] = posts(hook)
    title = (f"Flight disruption alerts of {night.day} {night:%b %Y} (UTC): 1 route "
             "suspension, 1 carrier status change")
    assert post["text"].startswith(title)
    assert f"AVA SKBO-AAAA: last flight {d(59).day} {d(59):%b %Y}; " in post["text"]
    assert "How sure: very likely: no flight for" in post["text"]  # the report's words
    assert "ZZZ revoked in VE from" in post["text"]
    assert [b["type"] for b in post["blocks"]] == ["header", "section", "section"]
    assert post["blocks"][2]["text"]["text"].startswith(
        f"*ZZZ revoked in VE from {night.day} {night:%b %Y}*\nSynthetic Air (ZZZ) is revoked "
        f"in VE from {night.day} {night:%b %Y}, by INAC (synthetic-zzz-revoked).")
    assert f"Source: {SYNTHETIC_ACT_URL}" in post["blocks"][2]["text"]["text"]

    [message] = inbox.messages
    assert inbox.envelopes == [("fdp@example.org", ["analyst@example.org", "desk@example.org"])]
    assert message["Subject"] == f"[fdp] {title}"
    body = html_body(message)
    assert "<h3>Route suspended: AVA SKBO-AAAA, last flight" in body
    assert f'Source: <a href="{SYNTHETIC_ACT_URL}">{SYNTHETIC_ACT_URL}</a>' in body
    assert ledger() == [(STATUS_KEY, "email", "sent"), (STATUS_KEY, "webhook", "sent"),
                        (route_key, "email", "sent"), (route_key, "webhook", "sent")]


def test_a_rerun_sends_nothing_new(night, hook, inbox):
    env = channel_env(hook, inbox)
    send(night, env, run_id="first")
    again = send(night, env, run_id="second")

    assert len(posts(hook)) == 1 and len(inbox.messages) == 1
    assert [(o.channel.name, o.sent, o.had) for o in again.outcomes] == [
        ("webhook", 0, 2), ("email", 0, 2)]
    assert "0 sent; 2 had before" in again.summary()


def test_a_quiet_night_sends_nothing_at_all(night, hook, inbox):
    quiet = night + timedelta(days=3)  # nothing detected, nothing known that day

    delivery = send(quiet, channel_env(hook, inbox))

    assert delivery.alerts == [] and delivery.error() is None
    assert posts(hook) == [] and inbox.messages == []
    assert ledger() == []
    assert delivery.summary() == f"alerts of {quiet}: none; a quiet night: nothing sent"


def test_a_webhook_that_fails_is_reported_unrecorded_and_sent_next_time(
        night, httpserver, inbox):
    httpserver.expect_oneshot_request(HOOK_PATH, method="POST").respond_with_data(
        "internal error", status=500)
    httpserver.expect_request(HOOK_PATH, method="POST").respond_with_data("ok")
    env = channel_env(httpserver, inbox)

    failed = send(night, env)

    message = str(failed.error())
    origin = httpserver.url_for("/").rstrip("/")
    assert message.startswith(
        f"alerts of {night}: webhook (FDP_ALERT_WEBHOOK_URL, {origin}) failed (WebhookError: "
        f"HTTP 500 from {origin}: 'internal error'), 2 alert(s) not sent there. Fix: check the "
        "URL in FDP_ALERT_WEBHOOK_URL")
    assert f"run `fdp alerts --date {night}`" in message
    assert SECRET_MARK not in message + failed.summary()
    assert len(inbox.messages) == 1  # e-mail is another channel: it went
    assert {channel for _, channel, _ in ledger()} == {"email"}

    retried = send(night, env)

    assert retried.error() is None
    assert len(posts(httpserver)) == 2  # the refused one, then the one accepted
    assert len(inbox.messages) == 1
    assert {channel for _, channel, _ in ledger()} == {"email", "webhook"}


def test_an_smtp_server_that_refuses_is_reported_unrecorded_and_sent_next_time(
        night, hook, inbox):
    inbox.refuse = True
    env = channel_env(hook, inbox)

    failed = send(night, env)

    message = str(failed.error())
    assert message.startswith(
        f"alerts of {night}: e-mail (FDP_ALERT_SMTP_HOST, 127.0.0.1:{inbox.port}, to "
        "analyst@example.org, desk@example.org) failed (SMTPRecipientsRefused: ")
    assert "550" in message and "Fix: check the SMTP server, port, security and login" in message
    assert inbox.messages == [] and len(posts(hook)) == 1
    assert {channel for _, channel, _ in ledger()} == {"webhook"}

    inbox.refuse = False
    assert send(night, env).error() is None
    assert len(inbox.messages) == 1 and len(posts(hook)) == 1


# plain AUTH is what a test server on 127.0.0.1 can offer without a certificate
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_an_smtp_login_is_used_and_never_logged(night, hook):
    password = f"{SECRET_MARK}-smtp-password"  # conftest fails the test if a log holds it
    with smtp_server(login=("fdp-user", password)) as guarded:
        env = channel_env(hook, guarded) | {"FDP_ALERT_SMTP_USER": "fdp-user"}
        refused = send(night, env)
        assert "SMTPSenderRefused" in str(refused.error())  # no login: the server refuses
        assert send(night, env | {"FDP_ALERT_SMTP_PASSWORD": password}).error() is None
        assert len(guarded.messages) == 1
    assert password not in str(refused.error()) + repr(AlertSettings.from_env(
        env | {"FDP_ALERT_SMTP_PASSWORD": password}))


def test_an_smtp_server_that_is_down_is_reported(night, hook):
    with smtp_server() as stopped:
        pass  # its port is free again: nothing listens there

    failed = send(night, channel_env(hook, stopped))

    assert "e-mail (FDP_ALERT_SMTP_HOST" in str(failed.error())
    assert "ConnectionRefusedError" in str(failed.error())
    assert {channel for _, channel, _ in ledger()} == {"webhook"}


def test_an_old_night_is_recorded_as_skipped_and_never_sent(night, hook, inbox):
    settings = Settings.from_env()
    channels = channels_from_settings(AlertSettings.from_env(channel_env(hook, inbox)), 5)

    old = deliver(settings, night, channels, run_id="backfill", max_age_days=3,
                  today=night + timedelta(days=4))

    assert posts(hook) == [] and inbox.messages == []
    assert [outcome for *_, outcome in ledger()] == ["skipped"] * 4
    assert "the night is 4 days old, more than FDP_ALERT_MAX_AGE_DAYS=3" in old.summary()
    assert "skipped 2 (too old); 0 had before" in old.summary()
    # a later run, even one that would send a night of that age, sends none of them
    deliver(settings, night, channels, run_id="later", max_age_days=3,
            today=night + timedelta(days=3))
    assert posts(hook) == [] and inbox.messages == []


def test_a_night_just_young_enough_is_sent(night, hook, inbox):
    channels = channels_from_settings(AlertSettings.from_env(channel_env(hook, inbox)), 5)
    deliver(Settings.from_env(), night, channels, run_id="nightly", max_age_days=3,
            today=night + timedelta(days=3))
    assert len(posts(hook)) == 1 and len(inbox.messages) == 1


def test_with_no_channel_alerts_are_off_and_nothing_is_read(fdp_env):
    delivery = send(date(2025, 11, 26), {})  # nothing published here either
    assert delivery.summary() == (
        "alerts are off: no channel configured (set FDP_ALERT_WEBHOOK_URL or "
        "FDP_ALERT_SMTP_HOST; in Airflow, the connections fdp_alerts_webhook or fdp_alerts_smtp)")
    assert delivery.error() is None


def test_fdp_alerts_dry_run_prints_them_and_sends_nothing(night, hook, inbox, monkeypatch,
                                                          capsys):
    for key, value in channel_env(hook, inbox).items():
        monkeypatch.setenv(key, value)

    assert main(["alerts", "--date", night.isoformat(), "--dry-run"]) == 0

    out = capsys.readouterr().out
    assert f"Route suspended: AVA SKBO-AAAA, last flight {d(59).day} {d(59):%b %Y}  " \
           f"[{ROUTE_KEY.format(last=d(59))}]" in out
    assert "would send 2; 0 had before" in out
    assert posts(hook) == [] and inbox.messages == [] and ledger() == []


def test_fdp_alerts_sends_once_and_fails_naming_the_channel(night, httpserver, inbox,
                                                            monkeypatch, capsys):
    httpserver.expect_oneshot_request(HOOK_PATH, method="POST").respond_with_data("", 500)
    httpserver.expect_request(HOOK_PATH, method="POST").respond_with_data("ok")
    for key, value in channel_env(httpserver, inbox).items():
        monkeypatch.setenv(key, value)
    day = night.isoformat()

    assert main(["alerts", "--date", day]) == 1
    assert capsys.readouterr().err.startswith(
        f"fdp alerts: error: alerts of {day}: webhook (FDP_ALERT_WEBHOOK_URL, ")
    assert main(["alerts", "--date", day]) == 0
    assert "webhook (FDP_ALERT_WEBHOOK_URL" in capsys.readouterr().out
    assert main(["alerts", "--date", day]) == 0
    assert capsys.readouterr().out.count("0 sent; 2 had before") == 2
    assert len(posts(httpserver)) == 2 and len(inbox.messages) == 1


def test_fdp_alerts_refuses_a_day_without_data(night, hook, inbox, monkeypatch, capsys):
    for key, value in channel_env(hook, inbox).items():
        monkeypatch.setenv(key, value)
    assert main(["alerts", "--date", "2030-01-01"]) == 1
    assert "has no data of 2030-01-01, so no alerts to say about it. Fix: run that night " \
           "first (`fdp run --date 2030-01-01`)" in capsys.readouterr().err


def test_settings_that_cannot_work_are_refused_with_the_fix():
    with pytest.raises(PipelineError, match="FDP_ALERT_SMTP_SECURITY='tls': write starttls, ssl"):
        AlertSettings.from_env({"FDP_ALERT_SMTP_SECURITY": "tls"})
    settings = AlertSettings.from_env({"FDP_ALERT_SMTP_HOST": "127.0.0.1",
                                       "FDP_ALERT_SMTP_FROM": "fdp@example.org"})
    with pytest.raises(PipelineError, match="no recipients for alert e-mails: set "
                                        "FDP_ALERT_SMTP_TO"):
        channels_from_settings(settings, 5)
    with pytest.raises(PipelineError, match="FDP_ALERT_WEBHOOK_URL: not an http"):
        channels_from_settings(AlertSettings(webhook_url="hooks.slack.com/x"), 5)


def test_status_alerts_say_what_began_changed_ended_or_became_known(tmp_path):
    day = date(2025, 11, 10)
    with store.connect(tmp_path / "fdp.duckdb") as con:
        add_act(con, "zzz-suspended", "ZZZ", day, "suspended")
        add_act(con, "zzz-revoked", "ZZZ", day + timedelta(days=3), "revoked")
        add_act(con, "zzz-restored", "ZZZ", day + timedelta(days=6), "restored")
        add_act(con, "yyy-banned", "YYY", day, "banned", announced=day + timedelta(days=1))
        add_act(con, "xxx-banned", "XXX", day, "banned", country="FR")  # not watched

        def alerts(offset: int) -> list[tuple[str, str, str]]:
            return [(a.key, a.subject, a.text) for a in
                    night_alerts(con, day + timedelta(days=offset), ("VE", "CO"))]

        [(key, subject, text)] = alerts(0)
        assert (key, subject) == ("carrier_restricted|ZZZ|VE|zzz-suspended",
                                  "ZZZ suspended in VE from 10 Nov 2025")
        assert text == ("Synthetic Air (ZZZ) is suspended in VE from 10 Nov 2025, by INAC "
                        "(zzz-suspended).\nSource: "
                        "https://example.org/synthetic-act-zzz-suspended")
        [(key, subject, text)] = alerts(1)
        assert (key, subject) == ("carrier_restricted|YYY|VE|yyy-banned",
                                  "YYY banned in VE from 10 Nov 2025")
        assert "Known from 11 Nov 2025: announced after it took effect." in text
        assert alerts(2) == []
        [(key, subject, text)] = alerts(3)
        assert (key, subject) == ("carrier_status_changed|ZZZ|VE|zzz-suspended|zzz-revoked",
                                  "ZZZ in VE: suspended -> revoked from 13 Nov 2025")
        assert "Before: suspended (zzz-suspended)." in text
        [(key, subject, text)] = alerts(6)
        assert (key, subject) == ("carrier_restriction_ended|ZZZ|VE|zzz-revoked",
                                  "ZZZ no longer revoked in VE from 16 Nov 2025")
        assert text == ("Synthetic Air (ZZZ) is no longer revoked in VE (zzz-revoked).\n"
                        "Ended on 16 Nov 2025 by zzz-restored.\n"
                        "Source: https://example.org/synthetic-act-zzz-restored")


@pytest.mark.parametrize(("connection", "url"), [
    ("https://hooks.slack.com/services/T1/B2/abc", "https://hooks.slack.com/services/T1/B2/abc"),
    ("http://127.0.0.1:8080/hook/x", "http://127.0.0.1:8080/hook/x"),
    ('{"conn_type": "http", "host": "https://hooks.example.org/h?k=1"}',
     "https://hooks.example.org/h?k=1"),
])
def test_the_webhook_url_comes_from_either_form_of_airflow_connection(connection, url,
                                                                      monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_FDP_ALERTS_WEBHOOK", connection)
    assert airflow_tasks.webhook_url(airflow_tasks._connection("fdp_alerts_webhook")) == url


def test_a_webhook_connection_without_a_url_says_where_it_goes(monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_FDP_ALERTS_WEBHOOK",
                       '{"conn_type": "generic", "host": "hooks.example.org"}')
    with pytest.raises(PipelineError, match=re.escape(
            "Airflow connection fdp_alerts_webhook holds no webhook URL. Fix: put the whole URL")):
        airflow_tasks.webhook_url(airflow_tasks._connection("fdp_alerts_webhook"))
