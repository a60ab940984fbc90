"""The Airflow notifiers alerts go through (the task SDK's BaseNotifier): a webhook that takes
Slack-compatible JSON, and the SMTP provider's SmtpNotifier. Both also work as any notifier
does in Airflow (e.g. as a DAG's on_failure_callback). Importing Airflow takes seconds, so
only code that sends imports this module."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

import requests
from airflow.providers.smtp.hooks.smtp import SmtpHook
from airflow.providers.smtp.notifications.smtp import SmtpNotifier
from airflow.sdk import BaseNotifier, Connection

from pipeline.alerts.channels import SMTP_CONN_ID, AlertSettings, smtp_port

# urllib3 logs each request's path at DEBUG, and a webhook's path is its secret.
_URLLIB3_LOG = logging.getLogger("urllib3.connectionpool")


class WebhookError(RuntimeError):
    """A webhook that did not accept a message; never names the URL's path (its secret)."""


class WebhookNotifier(BaseNotifier):
    """Posts {"text": ..., "blocks": [...]} (Slack's incoming-webhook JSON) to `url`."""

    template_fields = ("text", "blocks")

    def __init__(self, *, url: str, text: str, blocks: list[dict] | None = None,
                 timeout_s: float = 30.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.url, self.text, self.blocks, self.timeout_s = url, text, blocks, timeout_s

    def notify(self, context: Any) -> None:
        parts = urlsplit(self.url)
        origin = f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"
        payload = {"text": self.text} | ({"blocks": self.blocks} if self.blocks else {})
        try:
            with _unlogged(parts.path):
                # No redirects: requests would follow one with a GET, losing the message.
                response = requests.post(self.url, json=payload, timeout=self.timeout_s,
                                         allow_redirects=False)
        except requests.RequestException as exc:
            # `from None`: requests' own message, and so the traceback, holds the whole URL
            raise WebhookError(f"no answer from {origin} ({type(exc).__name__})") from None
        if not 200 <= response.status_code < 300:
            raise WebhookError(f"HTTP {response.status_code} from {origin}: "
                               f"{response.text.strip()[:200]!r}")


@contextmanager
def _unlogged(secret: str) -> Iterator[None]:
    """Drop urllib3's log records that hold `secret` while the block runs."""
    def keep(record: logging.LogRecord) -> bool:
        return secret not in record.getMessage()

    _URLLIB3_LOG.addFilter(keep)
    try:
        yield
    finally:
        _URLLIB3_LOG.removeFilter(keep)


class EmailNotifier(SmtpNotifier):
    """The SMTP provider's notifier; given a `connection`, it uses that one instead of looking
    up the Airflow connection `smtp_conn_id` (outside Airflow there is none to look up)."""

    def __init__(self, *, connection: Connection | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.connection = connection

    @cached_property
    def hook(self) -> SmtpHook:
        if self.connection is None:
            return SmtpHook(smtp_conn_id=self.smtp_conn_id, auth_type=self.auth_type)
        return _SmtpHookOnConnection(self.connection)


class _SmtpHookOnConnection(SmtpHook):
    def __init__(self, connection: Connection) -> None:
        super().__init__(smtp_conn_id=connection.conn_id)
        self._connection = connection

    def get_connection(self, conn_id: str) -> Connection:  # type: ignore[override]
        return self._connection


def smtp_connection(settings: AlertSettings) -> Connection:
    """The SMTP provider's connection, as FDP_ALERT_SMTP_* describe it."""
    extra = {
        "disable_ssl": settings.smtp_security != "ssl",  # ssl: TLS from the first byte
        "disable_tls": settings.smtp_security != "starttls",
        "from_email": settings.smtp_from,
        "timeout": 30,
        "retry_limit": 1,  # a refused message is retried by the next run, not at once
    }
    return Connection(conn_id=SMTP_CONN_ID, conn_type="smtp", host=settings.smtp_host,
                      port=smtp_port(settings), login=settings.smtp_user or None,
                      password=settings.smtp_password or None, extra=json.dumps(extra))
