"""Where alerts go: a webhook that takes Slack-compatible JSON, and e-mail through Airflow's
SMTP provider. In Airflow each comes from a connection (pipeline/airflow_tasks.py); outside it,
from the FDP_ALERT_* settings below. Light to import: the notifiers (Airflow) are imported only
when a message is sent."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from pipeline.alerts.night import Alert, email_html, email_subject, webhook_message
from pipeline.errors import PipelineError

WEBHOOK_CONN_ID = "fdp_alerts_webhook"
SMTP_CONN_ID = "fdp_alerts_smtp"
WEBHOOK_BATCH = 20  # alerts per webhook message: Slack takes at most 50 blocks in one
SMTP_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
DEFAULT_MAX_AGE_DAYS = 3
OFF = ("alerts are off: no channel configured (set FDP_ALERT_WEBHOOK_URL or "
       f"FDP_ALERT_SMTP_HOST; in Airflow, the connections {WEBHOOK_CONN_ID} or {SMTP_CONN_ID})")


@dataclass(frozen=True)
class AlertSettings:
    """The FDP_ALERT_* environment variables (docs/operations.md, "Alerts")."""

    webhook_url: str = field(default="", repr=False)  # a Slack webhook URL is its own secret
    smtp_host: str = ""
    smtp_port: int = 0  # 0: the security's usual port
    smtp_security: str = "starttls"  # starttls, ssl or none
    smtp_user: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_from: str = ""
    smtp_to: tuple[str, ...] = ()
    max_age_days: int = DEFAULT_MAX_AGE_DAYS  # older nights are recorded as skipped, not sent

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> AlertSettings:
        env = dict(os.environ if env is None else env)
        security = env.get("FDP_ALERT_SMTP_SECURITY", "starttls").strip().lower()
        if security not in SMTP_PORTS:
            raise PipelineError(f"FDP_ALERT_SMTP_SECURITY={security!r}: write starttls, ssl "
                                "or none (plain SMTP, e.g. a relay on this host)")
        return cls(
            webhook_url=env.get("FDP_ALERT_WEBHOOK_URL", "").strip(),
            smtp_host=env.get("FDP_ALERT_SMTP_HOST", "").strip(),
            smtp_port=_whole_number(env, "FDP_ALERT_SMTP_PORT", 0),
            smtp_security=security,
            smtp_user=env.get("FDP_ALERT_SMTP_USER", ""),
            smtp_password=env.get("FDP_ALERT_SMTP_PASSWORD", ""),
            smtp_from=env.get("FDP_ALERT_SMTP_FROM", "").strip(),
            smtp_to=addresses(env.get("FDP_ALERT_SMTP_TO", "")),
            max_age_days=_whole_number(env, "FDP_ALERT_MAX_AGE_DAYS", DEFAULT_MAX_AGE_DAYS),
        )


def _whole_number(env: dict[str, str], name: str, default: int) -> int:
    text = env.get(name, "").strip()
    if not text:
        return default
    if not text.isdigit():
        raise PipelineError(f"{name}={text!r}: write a whole number, 0 or more")
    return int(text)


def addresses(text: str) -> tuple[str, ...]:
    return tuple(a.strip() for a in text.replace(";", ",").split(",") if a.strip())


@dataclass(frozen=True)
class Channel:
    """One place alerts go. `build` makes the Airflow notifier of one message."""

    name: str  # the ledger's channel: webhook or email
    where: str  # how messages name it; never a secret
    fix: str  # what to check when it fails
    batch_size: int | None  # alerts per message; None: all of a night's in one
    build: Callable[[list[Alert], date], Any]

    def send(self, alerts: list[Alert], day: date, context: dict) -> None:
        # notify(), not the notifier's __call__: that renders the message as a Jinja template,
        # and alert texts are data (a NOTAM may hold braces), never templates.
        self.build(alerts, day).notify(context)


def webhook_channel(url: str, source: str, timeout_s: float) -> Channel:
    """`source`: where the URL was configured, e.g. FDP_ALERT_WEBHOOK_URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PipelineError(f"{source}: not an http(s) URL; give the webhook's whole URL, "
                            "e.g. https://hooks.slack.com/services/...")

    def build(alerts: list[Alert], day: date) -> Any:
        from pipeline.alerts.notifiers import WebhookNotifier

        message = webhook_message(alerts, day)
        return WebhookNotifier(url=url, text=message["text"], blocks=message["blocks"],
                               timeout_s=timeout_s)

    where = f"webhook ({source}, {parts.scheme}://{parts.netloc.rpartition('@')[2]})"
    return Channel("webhook", where, fix=f"check the URL in {source} and that the service "
                   "behind it is up and accepts it", batch_size=WEBHOOK_BATCH, build=build)


def email_channel(*, source: str, server: str, from_email: str, to: tuple[str, ...],
                  settings: AlertSettings | None = None) -> Channel:
    """E-mail through the SMTP provider: its connection SMTP_CONN_ID in Airflow, or, given
    `settings`, one built from FDP_ALERT_SMTP_*. `source` names where it was configured."""
    if not from_email or not to:
        missing = "sender" if not from_email else "recipients"
        raise PipelineError(f"{source} gives no {missing} for alert e-mails: set "
                            f"FDP_ALERT_SMTP_{'FROM' if not from_email else 'TO'}"
                            f" (in Airflow: the connection's extra "
                            f"{'from_email' if not from_email else 'to'})")

    def build(alerts: list[Alert], day: date) -> Any:
        from pipeline.alerts.notifiers import EmailNotifier, smtp_connection

        return EmailNotifier(
            connection=smtp_connection(settings) if settings else None,
            smtp_conn_id=SMTP_CONN_ID, from_email=from_email, to=list(to),
            subject=email_subject(alerts, day), html_content=email_html(alerts, day))

    return Channel("email", f"e-mail ({source}, {server}, to {', '.join(to)})",
                   fix=f"check the SMTP server, port, security and login in {source}, and that "
                   "it accepts the sender and recipients", batch_size=None, build=build)


def channels_from_settings(settings: AlertSettings, timeout_s: float) -> list[Channel]:
    """The channels outside Airflow (fdp run, fdp alerts)."""
    channels = []
    if settings.webhook_url:
        channels.append(webhook_channel(settings.webhook_url, "FDP_ALERT_WEBHOOK_URL",
                                        timeout_s))
    if settings.smtp_host:
        channels.append(email_channel(
            source="FDP_ALERT_SMTP_HOST", server=f"{settings.smtp_host}:{smtp_port(settings)}",
            from_email=settings.smtp_from, to=settings.smtp_to, settings=settings))
    return channels


def smtp_port(settings: AlertSettings) -> int:
    return settings.smtp_port or SMTP_PORTS[settings.smtp_security]
