"""A reference file downloaded live next to an offline copy (OpenFlights beside the curated
airlines, OurAirports beside airportsdata). A failed download is a stored answer, never an
exception: it is kept unusable, and the newest good copy is carried forward, so one bad
night never shrinks a snapshot table."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from pipeline.errors import SourceError
from pipeline.http import plain_session, send_or_explain
from pipeline.raw import FetchBatch, RawRecord, RawZone
from pipeline.sources.base import FetchContext, Response

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LiveCopy:
    source: str
    partition: str
    request: str  # the download's request name
    carried: str  # the request name of a copy carried forward
    label: str  # what users call it, e.g. "OpenFlights"
    fallback: str  # what the table holds without any copy, e.g. "the curated rows"
    url_setting: str  # the environment variable of its URL
    problem: Callable[[bytes], str | None]  # why a 200 body is not the file, or None

    def newest_good(self, raw: RawZone) -> tuple[RawRecord, bytes] | None:
        """Read before the new fetch becomes the newest one."""
        for record in raw.latest(self.source, self.partition):
            if record.usable and record.request in (self.request, self.carried):
                return record, raw.read(record)
        return None

    def fetch_into(self, batch: FetchBatch, ctx: FetchContext, url: str,
                   previous: tuple[RawRecord, bytes] | None) -> None:
        if ctx.offline:  # a replay touches no network: the newest good copy stands in
            self._carry_forward(batch, ctx.raw, previous, "a replay downloads nothing",
                                level=logging.INFO)
            return
        downloaded = self._download(batch, ctx, url)
        if not downloaded.usable:
            self._carry_forward(batch, ctx.raw, previous, downloaded.note)

    def usable_copies(self, responses: list[Response]) -> list[Response]:
        return usable(responses, {self.request, self.carried})

    def _download(self, batch: FetchBatch, ctx: FetchContext, url: str) -> RawRecord:
        session = ctx.session(self.source, lambda: plain_session(ctx.settings))
        try:
            response = send_or_explain(
                lambda: session.get(url, timeout=ctx.settings.http_timeout_s),
                source=self.source, partition=self.partition, url=url,
                url_setting=self.url_setting)
        except SourceError as exc:
            status, body, problem = 0, b"", exc.problem
        else:
            status, body = response.status_code, response.content
            problem = (f"HTTP {status} from the {self.label} URL" if status != 200
                       else self.problem(body))
        note = (f"download failed: {problem}; check the network and {self.url_setting}"
                if problem else "")
        return batch.add(request=self.request, url=url, params={}, status=status, body=body,
                         fetched_at=ctx.now(), usable=problem is None, note=note)

    def _carry_forward(self, batch: FetchBatch, raw: RawZone,
                       previous: tuple[RawRecord, bytes] | None, reason: str,
                       level: int = logging.WARNING) -> None:
        if previous is None:
            log.log(level, "%s %s: %s; no earlier %s copy in %s, so the table holds %s only "
                        "until a download succeeds", self.source, self.partition, reason,
                        self.label, raw.partition_dir(self.source, self.partition),
                        self.fallback)
            return
        record, body = previous
        log.log(level, "%s %s: %s; carrying forward the %s copy fetched %s", self.source,
                    self.partition, reason, self.label, record.fetched_at)
        # Its original fetch time is kept: the copy is that old, whatever night reuses it.
        batch.add(request=self.carried, url=record.url, params=record.params,
                  status=record.status, body=body,
                  fetched_at=datetime.fromisoformat(record.fetched_at),
                  note=f"copy fetched {record.fetched_at}, carried forward: {reason}")


def usable(responses: list[Response], requests: set[str]) -> list[Response]:
    return [r for r in responses if r.record.usable and r.record.request in requests]
