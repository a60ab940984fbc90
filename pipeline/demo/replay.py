"""Write the demo's SYNTHETIC OpenSky responses into the raw zone, exactly as a real fetch
would have stored them (same URLs, params, 200 / empty-404 statuses), flagged synthetic."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

from pipeline.config import OPENSKY_API_URL
from pipeline.demo.synthetic import Scenario, opensky_response, synthesize_flights
from pipeline.raw import RawZone
from pipeline.sources import opensky
from pipeline.sources.base import partition_name

NOTE = "SYNTHETIC demo data generated from pipeline/demo/venezuela_2025.toml, not observations"


def days_between(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def write_replay(
    raw: RawZone, scenario: Scenario, airports: Iterable[str], start: date, end: date
) -> int:
    """Store one departure and one arrival response per airport and day; returns how many."""
    flights = synthesize_flights(scenario)
    generated_at = datetime.now(UTC)
    written = 0
    for day in days_between(start, end):
        for airport in airports:
            partition = partition_name(day, airport)
            with raw.fetch(opensky.SOURCE, partition, synthetic=True) as batch:
                for request in opensky.REQUESTS:
                    listed = opensky_response(flights, airport, day, request)
                    batch.add(
                        request=request,
                        url=f"{OPENSKY_API_URL}/flights/{request}",
                        params=opensky.request_params(day, airport),
                        status=200 if listed else 404,  # OpenSky answers 404 for an empty day
                        body=json.dumps(listed).encode() if listed else b"",
                        fetched_at=generated_at,
                        note=NOTE,
                    )
                    written += 1
    return written
