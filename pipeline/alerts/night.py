"""What the alerts of a night say (sql/alerts/night.sql), and how each channel shows them: a
Slack-compatible JSON message for the webhook, an HTML e-mail."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import date
from types import SimpleNamespace

import duckdb

from pipeline.store import sql_file

# Slack's limits: a header block's text, a section block's text.
HEADER_LIMIT, SECTION_LIMIT = 150, 3000
_URL = re.compile(r"https?://[^\s<>\"]+")


@dataclass(frozen=True)
class Alert:
    key: str  # names the event, the same on every run of the night (the ledger's key)
    kind: str  # route_suspended, carrier_restricted, ..., service_shifted, route_detoured
    subject: str
    text: str  # lines: the summary or status, causes or note, source links


def night_is_loaded(con: duckdb.DuckDBPyConnection, day: date) -> bool:
    [(loaded,)] = con.execute(sql_file("alerts/night_loaded.sql"), {"day": day}).fetchall()
    return bool(loaded)


def night_alerts(con: duckdb.DuckDBPyConnection, day: date, countries: tuple[str, ...]
                 ) -> list[Alert]:
    # How sure a route event is: the report's words, defined in one place (imports pandas).
    from pipeline.report.confidence import how_sure

    result = con.execute(sql_file("alerts/night.sql"),
                         {"day": day, "countries": list(countries)})
    names = [column[0] for column in result.description]
    alerts = []
    for values in result.fetchall():
        row = SimpleNamespace(**dict(zip(names, values, strict=True)))
        sure = f"How sure: {how_sure(row)}." if row.event_type else None
        text = "\n".join(line for line in (row.body, sure, row.sources) if line)
        alerts.append(Alert(row.alert_key, row.kind, row.subject, text))
    return alerts


def headline(alerts: list[Alert], day: date) -> str:
    routes = sum(a.kind == "route_suspended" for a in alerts)
    shifts = sum(a.kind == "service_shifted" for a in alerts)
    detours = sum(a.kind == "route_detoured" for a in alerts)
    counts = [_count(routes, "route suspension"), _count(shifts, "service shift"),
              _count(detours, "detour"),
              _count(len(alerts) - routes - shifts - detours, "carrier status change")]
    return (f"Flight disruption alerts of {_day(day)} (UTC): "
            + ", ".join(c for c in counts if c))


def webhook_message(alerts: list[Alert], day: date) -> dict:
    """{"text", "blocks"}: Slack shows the blocks and notifies with the text; other
    Slack-compatible receivers (Mattermost, Rocket.Chat) show the text alone, so it is whole."""
    title = headline(alerts, day)
    text = "\n\n".join([title, *(f"{a.subject}\n{a.text}" for a in alerts)])
    blocks = [{"type": "header", "text": {"type": "plain_text", "text": _cut(title, HEADER_LIMIT)}}]
    blocks += [{"type": "section", "text": {"type": "mrkdwn", "text": _cut(
        f"*{_slack_escape(a.subject)}*\n{_slack_escape(a.text)}", SECTION_LIMIT)}}
        for a in alerts]
    return {"text": text, "blocks": blocks}


def email_subject(alerts: list[Alert], day: date) -> str:
    return f"[fdp] {alerts[0].subject}" if len(alerts) == 1 else f"[fdp] {headline(alerts, day)}"


def email_html(alerts: list[Alert], day: date) -> str:
    parts = [f"<h2>{html.escape(headline(alerts, day))}</h2>"]
    for alert in alerts:
        lines = "<br>\n".join(_linked(html.escape(line)) for line in alert.text.splitlines())
        parts.append(f"<h3>{html.escape(alert.subject)}</h3>\n<p>{lines}</p>")
    return "\n".join(parts)


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'s' if n != 1 else ''}" if n else ""


def _day(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _slack_escape(text: str) -> str:
    """Slack's mrkdwn reads &, < and > as markup; escaped, URLs still become links."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _linked(escaped: str) -> str:
    return _URL.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', escaped)
