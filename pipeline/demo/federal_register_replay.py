"""Write the demo's Federal Register responses into the raw zone, exactly as a real fetch would
have stored them (same URL, params and request names), flagged synthetic.

Every response is the API's zero-hit answer, `{"count": 0, "description": ...}`: we hold no
verified real Federal Register document for the demo nights, and inventing one would put a
fake official act into the users' tables. "Nothing found" is the honest replay."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, date, datetime

from pipeline.config import FEDERAL_REGISTER_API_URL
from pipeline.demo.replay import days_between
from pipeline.raw import RawZone
from pipeline.sources import federal_register
from pipeline.sources.base import partition_name

NOTE = ("SYNTHETIC demo replay: the Federal Register's zero-hit answer in its documented shape; "
        "no document is invented, and none was checked against the real API")


def zero_hit_body(term: str, day: date) -> bytes:
    # Wording of the API's description for this query; nothing reads it.
    description = (f"Documents matching '{term}', published on {day:%m/%d/%Y}, and from "
                   "Federal Aviation Administration or Transportation Department")
    return json.dumps({"count": 0, "description": description}).encode()


def write_federal_register_replay(
    raw: RawZone, terms: Iterable[str], start: date, end: date
) -> int:
    """Store one zero-hit response per term and day; returns how many."""
    terms = tuple(terms)
    generated_at = datetime.now(UTC)
    written = 0
    for day in days_between(start, end):
        partition = partition_name(day, federal_register.PARTITION_KEY)
        with raw.fetch(federal_register.SOURCE, partition, synthetic=True) as batch:
            for term in terms:
                batch.add(
                    request=f"{term}:page-1",
                    url=f"{FEDERAL_REGISTER_API_URL}/documents.json",
                    params=federal_register.request_params(term, day, 1),
                    status=200,
                    body=zero_hit_body(term, day),
                    fetched_at=generated_at,
                    note=NOTE,
                )
                written += 1
    return written
