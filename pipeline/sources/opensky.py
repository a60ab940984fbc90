"""OpenSky flights by airport and UTC day: /flights/arrival and /flights/departure.

fetch: two GETs per airport-day into the raw zone (404 with an empty body means "no flights").
normalize: raw JSON -> the `flights` frame. A flight between two watched airports is listed
twice (departures of one, arrivals of the other), possibly on different days; it is kept only
from the departure list, so airport-day partitions never overlap.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pandas as pd

from pipeline.errors import SourceError
from pipeline.http import ClientCredentialsSession, send_or_explain
from pipeline.schemas import FLIGHTS, STRING, UTC_TS
from pipeline.sources.base import (
    FetchContext,
    NormalizeContext,
    Response,
    partition_name,
)
from pipeline.watchlist import Watchlist

SOURCE = "opensky"
TABLE = "flights"
CREDENTIALS_FIX = (
    "set OPENSKY_CLIENT_ID and OPENSKY_CLIENT_SECRET (in Airflow: the connection "
    "opensky_default, login = client id, password = client secret), or rebuild from raw with "
    "--replay"
)
REQUESTS = ("departure", "arrival")
REQUIRED_FIELDS = ("icao24", "firstSeen", "lastSeen", "estDepartureAirport",
                   "estArrivalAirport", "callsign")
CALLSIGN = r"^(?P<prefix>[A-Z]{3})(?P<number>[0-9][0-9A-Z]{0,4})$"


def partition_keys(watchlist: Watchlist) -> list[str]:
    return list(watchlist.airports)


def day_window(day: date) -> tuple[int, int]:
    """Unix seconds [begin, end] of a UTC day; OpenSky's end is inclusive."""
    begin = datetime.combine(day, time(0), tzinfo=UTC)
    return int(begin.timestamp()), int((begin + timedelta(days=1)).timestamp()) - 1


def request_params(day: date, airport: str) -> dict[str, Any]:
    begin, end = day_window(day)
    return {"airport": airport, "begin": begin, "end": end}


def client(ctx: FetchContext, partition: str) -> ClientCredentialsSession:
    credentials = ctx.credentials.get(SOURCE)
    if credentials is None:
        raise SourceError(SOURCE, partition, "no OpenSky API credentials", CREDENTIALS_FIX)
    settings = ctx.settings
    return ctx.session(SOURCE, lambda: ClientCredentialsSession(
        settings.opensky_auth_url, credentials, settings, token_url_setting="FDP_OPENSKY_AUTH_URL"))


def fetch(ctx: FetchContext, day: date, airport: str) -> None:
    """Fetch both lists for one airport-day into the raw zone."""
    partition = partition_name(day, airport)
    if day >= ctx.now().date():
        raise SourceError(SOURCE, partition, "OpenSky serves flights for past UTC days only",
                          "run this day once it has ended (the nightly DAG does this)")
    session = client(ctx, partition)
    with ctx.raw.fetch(SOURCE, partition) as batch:
        for request in REQUESTS:
            url, params = f"{ctx.settings.opensky_api_url}/flights/{request}", request_params(
                day, airport)
            response = send_or_explain(
                lambda url=url, params=params: session.get(url, params),
                source=SOURCE, partition=partition, url=url, url_setting="FDP_OPENSKY_API_URL")
            if response.status_code == 403:
                raise SourceError(
                    SOURCE, partition, f"HTTP 403 from {url}: this OpenSky account may not read "
                    "historical flights", "set OPENSKY_CLIENT_ID / OPENSKY_CLIENT_SECRET (or the "
                    "connection opensky_default) to an API client whose account has access to "
                    "the flights endpoints")
            if response.status_code not in (200, 404):
                raise SourceError(
                    SOURCE, partition,
                    f"HTTP {response.status_code} from {url} ({request}) after retries",
                    "check credentials (401/403) or OpenSky's status; the task retries later",
                )
            problem = _payload_problem(response.status_code, response.content)
            batch.add(request=request, url=url, params=params, status=response.status_code,
                      body=response.content, fetched_at=ctx.now(), usable=problem is None,
                      note=problem or "")
            if problem:
                raise SourceError(
                    SOURCE, partition, f"malformed {request} payload: {problem}",
                    "the raw body was kept for inspection; the task retries the fetch")


def _payload_problem(status: int, body: bytes) -> str | None:
    if status == 404:
        return None  # OpenSky's "no flights that day"; the body is empty or irrelevant
    try:
        payload = json.loads(body)
    except ValueError as exc:
        return f"not JSON ({exc}); starts with {body[:80]!r}"
    if not isinstance(payload, list):
        return f"expected a JSON array of flights, got {type(payload).__name__}"
    return None


def parse(responses: list[Response], partition: str) -> dict[str, list[dict]]:
    """The flights of each request (404 means none)."""
    flights = {r.record.request: json.loads(r.body) if r.record.status == 200 else []
               for r in responses}
    missing = [request for request in REQUESTS if request not in flights]
    if missing:
        raise SourceError(SOURCE, partition, f"the raw fetch lacks {missing}",
                          "fetch the partition again (run without --replay)")
    return flights


def normalize(responses: list[Response], ctx: NormalizeContext, day: date, airport: str
              ) -> pd.DataFrame:
    flights = parse(responses, partition_name(day, airport))
    return normalize_flights(flights["departure"], flights["arrival"], day=day, airport=airport,
                             watched_airports=ctx.watchlist.airports, airlines=ctx.airlines)


def normalize_flights(
    departures: list[dict],
    arrivals: list[dict],
    *,
    day: date,
    airport: str,
    watched_airports: Iterable[str],
    airlines: frozenset[str],
) -> pd.DataFrame:
    partition = partition_name(day, airport)
    _check_fields(departures + arrivals, partition)
    watched = set(watched_airports)
    # Arrivals from a watched airport are loaded from that airport's departure list instead.
    listed = departures + [f for f in arrivals if f["estDepartureAirport"] not in watched]
    # column by column from the lists: much cheaper than a frame built from dicts
    frame = {name: [f[name] for f in listed] for name in REQUIRED_FIELDS}
    callsign = pd.Series(frame["callsign"], dtype=STRING).str.strip().replace("", pd.NA)
    parts = callsign.str.extract(CALLSIGN)
    is_airline = parts["prefix"].isin(airlines).fillna(False).astype(bool)
    icao24 = pd.Series(frame["icao24"], dtype=STRING).str.strip().str.lower()
    first_seen = pd.Series(frame["firstSeen"])
    dep_time = _utc_from_unix(first_seen)
    out = pd.DataFrame({
        "flight_id": _flight_ids(icao24, first_seen, callsign),
        "source": pd.Series(SOURCE, index=first_seen.index, dtype=STRING),
        "source_partition": pd.Series(partition, index=first_seen.index, dtype=STRING),
        "flight_date": dep_time.dt.tz_localize(None).dt.normalize(),
        "carrier_icao": parts["prefix"].where(is_airline),
        "carrier_code": parts["prefix"],
        "flight_number": parts["number"].where(is_airline),
        "callsign": callsign,
        "icao24": icao24,
        "origin_icao": _airport(frame["estDepartureAirport"]),
        "dest_icao": _airport(frame["estArrivalAirport"]),
        "dep_time_utc": dep_time,
        "arr_time_utc": _utc_from_unix(pd.Series(frame["lastSeen"])),
        "sched_dep_utc": pd.Series(pd.NaT, index=first_seen.index, dtype=UTC_TS),
        "status": pd.Series("observed", index=first_seen.index, dtype=STRING),
    })
    out.insert(out.columns.get_loc("dest_icao") + 1, "origin_code", out["origin_icao"])
    out.insert(out.columns.get_loc("origin_code") + 1, "dest_code", out["dest_icao"])
    out = out.drop_duplicates("flight_id").sort_values(["dep_time_utc", "flight_id"])
    return FLIGHTS.validate(out.reset_index(drop=True))


def _airport(codes: list[Any]) -> pd.Series:
    return pd.Series(codes, dtype=STRING).str.strip().str.upper()


def _check_fields(flights: list[Any], partition: str) -> None:
    for position, flight in enumerate(flights):
        if not isinstance(flight, dict):
            raise SourceError(SOURCE, partition, f"flight #{position} is not an object",
                              "inspect the raw body; OpenSky may have changed its format")
        missing = [name for name in REQUIRED_FIELDS if name not in flight]
        if missing:
            raise SourceError(SOURCE, partition, f"flight #{position} lacks fields {missing}",
                              "OpenSky's schema changed: update pipeline/sources/opensky.py")


def _utc_from_unix(seconds: pd.Series) -> pd.Series:
    numeric = pd.to_numeric(seconds, errors="raise").astype("Int64")
    return pd.to_datetime(numeric, unit="s", utc=True).astype(UTC_TS)


def _flight_ids(icao24: pd.Series, first_seen: pd.Series, callsign: pd.Series) -> pd.Series:
    """sha256 of "opensky|icao24|firstSeen|callsign", first 20 hex digits."""
    keys = zip(icao24.fillna("").tolist(), first_seen.astype(str).tolist(),
               callsign.fillna("").tolist(), strict=True)
    return pd.Series([hashlib.sha256(f"{SOURCE}|{i}|{t}|{c}".encode()).hexdigest()[:20]
                      for i, t, c in keys], index=icao24.index, dtype=STRING)
