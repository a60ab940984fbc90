"""Sending the alerts of a night, each once per channel.

- The alerts are read from the published copy: what the night's checks passed.
- The ledger, alert_log, lives in the DuckDB file, which only the one writer opens. Its
  connection is held from the ledger check to the last record, so two runs of a night (a rerun,
  `fdp alerts` during the Airflow task) cannot both send an alert: the second waits for the
  pool in Airflow, or is refused the file outside it. A send takes seconds at most (timeouts).
- An alert is recorded only once its channel accepted it. A channel that fails is reported,
  naming it and the fix; its alerts are sent by the next run of the night.
- A quiet night sends nothing. A night older than max_age_days (FDP_ALERT_MAX_AGE_DAYS) sends
  nothing either: its alerts are recorded as skipped, so a backfill of old nights, or a demo,
  pages no one now or later."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import duckdb

from pipeline import store
from pipeline.alerts.channels import OFF, AlertSettings, Channel, channels_from_settings
from pipeline.alerts.night import Alert, night_alerts, night_is_loaded
from pipeline.config import Settings
from pipeline.errors import PipelineError
from pipeline.watchlist import load_watchlist

log = logging.getLogger(__name__)


class AlertsNotSent(PipelineError):
    """Some channel did not take the night's alerts."""


@dataclass
class ChannelOutcome:
    channel: Channel
    had: int = 0  # the channel had them from an earlier run (sent or skipped)
    sent: int = 0
    skipped: int = 0  # the night was too old: recorded, not sent
    pending: int = 0  # not sent (a dry run, or after a failure)
    error: str = ""

    def line(self, dry_run: bool) -> str:
        if self.error:
            done = f"FAILED after {self.sent} sent, {self.pending} not sent: {self.error}"
        elif self.skipped:
            done = f"{'would skip' if dry_run else 'skipped'} {self.skipped} (too old)"
        elif dry_run:
            done = f"would send {self.pending}"
        else:
            done = f"{self.sent} sent"
        return f"{self.channel.where}: {done}; {self.had} had before"


@dataclass
class Delivery:
    day: date
    alerts: list[Alert] | None = None  # None: not read (alerts are off)
    outcomes: list[ChannelOutcome] = field(default_factory=list)
    note: str = ""  # what to know besides the channels' lines
    dry_run: bool = False

    def summary(self) -> str:
        if self.alerts is None:
            return self.note
        head = f"alerts of {self.day}: {len(self.alerts) or 'none'}"
        lines = [f"{head}; {self.note}" if self.note else head]
        return "\n".join(lines + [f"  {o.line(self.dry_run)}" for o in self.outcomes])

    def text(self) -> str:
        """Every alert in full, as a dry run prints them."""
        return "\n\n".join(f"{a.subject}  [{a.key}]\n{a.text}" for a in self.alerts or [])

    def counts(self) -> dict[str, int]:
        return {"alerts": len(self.alerts or [])} | {o.channel.name: o.sent for o in self.outcomes}

    def error(self) -> AlertsNotSent | None:
        failed = [o for o in self.outcomes if o.error]
        if not failed:
            return None
        problems = "; ".join(f"{o.channel.where} failed ({o.error}), {o.pending} alert(s) "
                             f"not sent there. Fix: {o.channel.fix}" for o in failed)
        return AlertsNotSent(
            f"alerts of {self.day}: {problems}. Then run `fdp alerts --date {self.day}` (in "
            f"Airflow, clear this night's alerts task): it sends only what did not go out. "
            f"The night's data is loaded and published either way")


def send_configured(settings: Settings, day: date, *, run_id: str, dry_run: bool = False,
                    require_data: bool = True, env: dict[str, str] | None = None) -> Delivery:
    """Outside Airflow: the channels of the FDP_ALERT_* settings."""
    alert_settings = AlertSettings.from_env(env)
    channels = channels_from_settings(alert_settings, settings.http_timeout_s)
    return deliver(settings, day, channels, run_id=run_id, dry_run=dry_run,
                   max_age_days=alert_settings.max_age_days, require_data=require_data)


def deliver(settings: Settings, day: date, channels: list[Channel], *, run_id: str,
            max_age_days: int, today: date | None = None, context: dict | None = None,
            dry_run: bool = False, require_data: bool = True) -> Delivery:
    """Send the night's alerts that each channel has not had yet. `today` (UTC, default now:
    how old the news is, which only the clock can say) decides whether the night is too old.
    `require_data`: refuse a day with no data (not needed right after its night loaded)."""
    if not channels and not dry_run:
        log.info(OFF)
        return Delivery(day, note=OFF)
    alerts = _read_alerts(settings, day, require_data)
    if not channels:
        return Delivery(day, alerts, note=OFF, dry_run=True)
    if not alerts:
        log.info("alerts of %s: none, a quiet night: nothing sent", day)
        return Delivery(day, [], note="a quiet night: nothing sent", dry_run=dry_run)
    age = ((today or datetime.now(UTC).date()) - day).days
    too_old = age > max_age_days
    with store.connect(settings.duckdb_path) as ledger:
        outcomes = [_deliver_to(ledger, channel, alerts, day, run_id, too_old=too_old,
                                dry_run=dry_run, context=context or {})
                    for channel in channels]
    delivery = Delivery(day, alerts, outcomes, dry_run=dry_run, note=(
        f"the night is {age} days old, more than FDP_ALERT_MAX_AGE_DAYS={max_age_days}: old "
        "news pages no one, so its alerts are not sent but recorded as skipped"
        if too_old else ""))
    log.info("%s", delivery.summary())
    return delivery


def _read_alerts(settings: Settings, day: date, require_data: bool) -> list[Alert]:
    countries = load_watchlist(settings.watchlist_path).countries
    with store.connect_published(settings) as con:
        if require_data and not night_is_loaded(con, day):
            raise PipelineError(f"{settings.published_path} has no data of {day}, so no alerts "
                                f"to say about it. Fix: run that night first (`fdp run --date "
                                f"{day}`), or choose a loaded day (`fdp status`)")
        return night_alerts(con, day, countries)


def _deliver_to(ledger: duckdb.DuckDBPyConnection, channel: Channel, alerts: list[Alert],
                day: date, run_id: str, *, too_old: bool, dry_run: bool, context: dict
                ) -> ChannelOutcome:
    known = {key for (key,) in ledger.execute(
        store.sql_file("alerts/ledger_known.sql"),
        {"channel": channel.name, "alert_keys": [a.key for a in alerts]}).fetchall()}
    todo = [a for a in alerts if a.key not in known]
    outcome = ChannelOutcome(channel, had=len(known), pending=len(todo))
    if too_old and todo:
        if not dry_run:
            _record(ledger, channel, todo, day, "skipped", run_id)
        outcome.skipped, outcome.pending = len(todo), 0
        return outcome
    if dry_run or not todo:
        return outcome
    for batch in _batches(todo, channel.batch_size):
        try:
            channel.send(batch, day, context)
        except Exception as exc:  # whatever the channel raised: report it, record nothing
            outcome.error = f"{type(exc).__name__}: {exc}"[:400]
            log.warning("alerts of %s: %s failed: %s", day, channel.where, outcome.error)
            break
        _record(ledger, channel, batch, day, "sent", run_id)
        outcome.sent += len(batch)
        outcome.pending -= len(batch)
    return outcome


def _batches(alerts: list[Alert], size: int | None) -> Iterator[list[Alert]]:
    size = size or len(alerts)
    for start in range(0, len(alerts), size):
        yield alerts[start:start + size]


def _record(ledger: duckdb.DuckDBPyConnection, channel: Channel, alerts: list[Alert], day: date,
            outcome: str, run_id: str) -> None:
    ledger.execute(store.sql_file("alerts/ledger_record.sql"), {
        "alert_keys": [a.key for a in alerts], "subjects": [a.subject for a in alerts],
        "channel": channel.name, "night": day, "outcome": outcome,
        "recorded_at": store.utc_now(), "run_id": run_id})
