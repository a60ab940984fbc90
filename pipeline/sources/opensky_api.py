"""OpenSky's flights API, shared by the source's two modes (opensky.py: by airport,
opensky_all.py: the whole world in 2-hour windows): the OAuth2 client, one checked GET into
the raw zone, and the `flights` frame built from OpenSky's flight objects. Both modes load as
the source `opensky` and give a flight the same flight_id, so a flight that two partitions
give (two windows, or a window and an airport list) is stored once (sql/load/flights/)."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

import msgspec
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.errors import SourceError
from pipeline.http import ClientCredentialsSession, send_or_explain
from pipeline.raw import FetchBatch
from pipeline.schemas import FLIGHTS, STRING, UTC_TS
from pipeline.sources.base import FetchContext

SOURCE = "opensky"
CREDENTIALS_FIX = (
    "set OPENSKY_CLIENT_ID and OPENSKY_CLIENT_SECRET (in Airflow: the connection "
    "opensky_default, login = client id, password = client secret), or rebuild from raw with "
    "--replay"
)
REQUIRED_FIELDS = ("icao24", "firstSeen", "lastSeen", "estDepartureAirport",
                   "estArrivalAirport", "callsign")
CALLSIGN = r"^(?P<prefix>[A-Z]{3})(?P<number>[0-9][0-9A-Z]{0,4})$"


def refuse_unfinished_day(ctx: FetchContext, day: date, partition: str) -> None:
    if day >= ctx.now().date():
        raise SourceError(SOURCE, partition, "OpenSky serves flights for past UTC days only",
                          "run this day once it has ended (the nightly DAG does this)")


def client(ctx: FetchContext, partition: str) -> ClientCredentialsSession:
    """The night's one OAuth2 session (one token for every partition of the night)."""
    credentials = ctx.credentials.get(SOURCE)
    if credentials is None:
        raise SourceError(SOURCE, partition, "no OpenSky API credentials", CREDENTIALS_FIX)
    settings = ctx.settings
    return ctx.session(SOURCE, lambda: ClientCredentialsSession(
        settings.opensky_auth_url, credentials, settings, token_url_setting="FDP_OPENSKY_AUTH_URL"))


def get_flights(ctx: FetchContext, session: ClientCredentialsSession, batch: FetchBatch, *,
                partition: str, request: str, url: str, params: dict[str, Any]) -> None:
    """One GET of a flight list into the fetch `batch` (retries and rate limits in the
    session); a refused, failed or malformed answer raises, naming the partition. A malformed
    body is kept in the raw zone, marked unusable, for inspection."""
    response = send_or_explain(lambda: session.get(url, params), source=SOURCE,
                               partition=partition, url=url, url_setting="FDP_OPENSKY_API_URL")
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
    problem = payload_problem(response.status_code, response.content)
    batch.add(request=request, url=url, params=params, status=response.status_code,
              body=response.content, fetched_at=ctx.now(), usable=problem is None,
              note=problem or "")
    if problem:
        raise SourceError(
            SOURCE, partition, f"malformed {request} payload: {problem}",
            "the raw body was kept for inspection; the task retries the fetch")


def payload_problem(status: int, body: bytes) -> str | None:
    if status == 404:
        return None  # OpenSky's "no flights" answer; the body is empty or irrelevant
    try:
        payload = msgspec.json.decode(body)
    except msgspec.DecodeError as exc:
        return f"not JSON ({exc}); starts with {body[:80]!r}"
    if not isinstance(payload, list):
        return f"expected a JSON array of flights, got {type(payload).__name__}"
    return None


def listed_flights(body: bytes, status: int) -> list[dict]:
    """The flights of one stored answer (404 means none). msgspec, not json: a night's
    answers decode in a third of the time (bench/README.md)."""
    return msgspec.json.decode(body) if status == 200 else []


def check_fields(flights: list[Any], partition: str) -> None:
    required = frozenset(REQUIRED_FIELDS)
    position = next((n for n, flight in enumerate(flights)
                     if not isinstance(flight, dict) or not required <= flight.keys()), None)
    if position is None:
        return
    flight = flights[position]
    if not isinstance(flight, dict):
        raise SourceError(SOURCE, partition, f"flight #{position} is not an object",
                          "inspect the raw body; OpenSky may have changed its format")
    missing = [name for name in REQUIRED_FIELDS if name not in flight]
    raise SourceError(SOURCE, partition, f"flight #{position} lacks fields {missing}",
                      "OpenSky's schema changed: update pipeline/sources/opensky_api.py")


def flights_frame(listed: list[dict], *, partition: str | list[str], airlines: frozenset[str]
                  ) -> pd.DataFrame:
    """OpenSky flight objects (fields checked) -> the `flights` frame, one row per flight of
    each partition (`partition`: the one they all come from, or each one's), ordered by
    partition, departure and id."""
    # column by column from the lists: much cheaper than a frame built from dicts
    frame = {name: [f[name] for f in listed] for name in REQUIRED_FIELDS}
    callsign = pd.Series(frame["callsign"], dtype=STRING).str.strip().replace("", pd.NA)
    parts = _callsign_parts(callsign)
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
    out = (out.drop_duplicates(["source_partition", "flight_id"])
           .sort_values(["source_partition", "dep_time_utc", "flight_id"]))
    return FLIGHTS.validate(out.reset_index(drop=True))


def _callsign_parts(callsign: pd.Series) -> pd.DataFrame:
    """CALLSIGN's prefix and number, by Arrow's regex kernel (pandas' str.extract matches row
    by row in Python)."""
    values = pa.array(callsign.array).cast(pa.large_string())  # an empty one may be typed null
    parts = pc.extract_regex(values, CALLSIGN)
    return pd.DataFrame({name: pd.array(pc.struct_field(parts, name), dtype=STRING)
                         for name in ("prefix", "number")}, index=callsign.index)


def _airport(codes: list[Any]) -> pd.Series:
    return pd.Series(codes, dtype=STRING).str.strip().str.upper()


def _utc_from_unix(seconds: pd.Series) -> pd.Series:
    numeric = pd.to_numeric(seconds, errors="raise").astype("Int64")
    return pd.to_datetime(numeric, unit="s", utc=True).astype(UTC_TS)


def _flight_ids(icao24: pd.Series, first_seen: pd.Series, callsign: pd.Series) -> pd.Series:
    """sha256 of "opensky|icao24|firstSeen|callsign", first 20 hex digits: the same in both
    modes, so one physical flight has one id whichever list gave it."""
    keys = zip(icao24.fillna("").tolist(), first_seen.astype(str).tolist(),
               callsign.fillna("").tolist(), strict=True)
    return pd.Series([hashlib.sha256(f"{SOURCE}|{i}|{t}|{c}".encode()).hexdigest()[:20]
                      for i, t, c in keys], index=icao24.index, dtype=STRING)
