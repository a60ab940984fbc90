"""Airports reference (ICAO code, IATA code, name, country, position, time zone): the
`airportsdata` package (a real, maintained copy shipped with the code, so it works offline) with
OurAirports' airports.csv as its live complement.

fetch: in ONE raw fetch, copy the package's airports.csv (request "airportsdata", recording the
package version) and, unless FDP_OURAIRPORTS_AIRPORTS_URL is empty, download OurAirports'
airports.csv (request "ourairports"). A failed download does not fail the fetch: it is kept as an
unusable response whose note says why, and the newest good OurAirports copy already in the raw
zone is carried forward (request "ourairports-carried"). With no earlier copy the night goes on
with airportsdata alone, and the log says so.

normalize: -> the `airports` frame. airportsdata rows win; OurAirports adds the airports
airportsdata lacks, keyed by ICAO code (its `icao_code`, else an `ident` of 4 letters/digits that
`gps_code` confirms or leaves empty), skipping closed airports and heliports. OurAirports has no
time zones: its rows have tz NULL. A snapshot source: one partition, `airportsdata`."""

from __future__ import annotations

import importlib.metadata
import io
import logging
from datetime import date
from importlib.resources import files

import pandas as pd
import pandera.pandas as pa

from pipeline.errors import SourceError
from pipeline.sources.base import FetchContext, NormalizeContext, Response
from pipeline.sources.live_copy import LiveCopy, usable
from pipeline.watchlist import Watchlist

SOURCE = "airports"
TABLE = "airports"
SNAPSHOT = True
PARTITION = "airportsdata"  # kept: the partition name predates OurAirports
URL_VARIABLE = "FDP_OURAIRPORTS_AIRPORTS_URL"
# request names; "airports.csv" is what fetches before OurAirports called the package copy
AIRPORTSDATA, OURAIRPORTS, CARRIED = "airportsdata", "ourairports", "ourairports-carried"
LEGACY_AIRPORTSDATA = "airports.csv"
STRING = pd.StringDtype()
FIELDS = {  # airportsdata column -> our column
    "icao": "airport_icao", "iata": "iata", "name": "name", "city": "city",
    "subd": "subdivision", "country": "country", "elevation": "elevation_ft", "lat": "lat",
    "lon": "lon", "tz": "tz",
}
OURAIRPORTS_FIELDS = {  # OurAirports column -> our column (airport_icao is derived)
    "iata_code": "iata", "name": "name", "municipality": "city", "iso_region": "subdivision",
    "iso_country": "country", "elevation_ft": "elevation_ft", "latitude_deg": "lat",
    "longitude_deg": "lon",
}
OURAIRPORTS_REQUIRED = {"ident", "type", "gps_code", *OURAIRPORTS_FIELDS}  # icao_code: optional
SKIPPED_TYPES = ("closed", "heliport")
CODE = r"[A-Z0-9]{4}"
log = logging.getLogger(__name__)

AIRPORTS = pa.DataFrameSchema(
    {
        "airport_icao": pa.Column(STRING, unique=True, checks=pa.Check.str_matches(r"^\S{4}$")),
        "iata": pa.Column(STRING, nullable=True),
        "name": pa.Column(STRING),
        "city": pa.Column(STRING, nullable=True),
        "subdivision": pa.Column(STRING, nullable=True),
        "country": pa.Column(STRING, checks=pa.Check.str_matches(r"^[A-Z]{2}$")),
        "elevation_ft": pa.Column("float64", nullable=True),
        "lat": pa.Column("float64", checks=pa.Check.in_range(-90, 90)),
        "lon": pa.Column("float64", checks=pa.Check.in_range(-180, 180)),
        "tz": pa.Column(STRING, nullable=True),
    },
    strict=True,
    ordered=True,
)
NUMERIC = ("elevation_ft", "lat", "lon")


def partition_keys(watchlist: Watchlist) -> list[str]:
    return [PARTITION]


# --- fetch -----------------------------------------------------------------------------------

def fetch(ctx: FetchContext, day: date, key: str) -> None:
    url = ctx.settings.ourairports_airports_url
    resource = files("airportsdata") / "airports.csv"
    version = importlib.metadata.version("airportsdata")
    previous = OURAIRPORTS_COPY.newest_good(ctx.raw)
    with ctx.raw.fetch(SOURCE, PARTITION) as batch:
        batch.add(request=AIRPORTSDATA, url=f"python-package:airportsdata/{version}",
                  params={"version": version}, status=200, body=resource.read_bytes(),
                  fetched_at=ctx.now())
        if url:  # empty: offline by choice, airportsdata alone
            OURAIRPORTS_COPY.fetch_into(batch, ctx, url, previous)


def _download_problem(body: bytes) -> str | None:
    try:
        frame = _read_csv(body)
    except ValueError as exc:  # UnicodeDecodeError and pandas' ParserError are ValueErrors
        return f"the body is not OurAirports' airports.csv ({exc})"
    missing = sorted(OURAIRPORTS_REQUIRED - set(frame.columns))
    if missing or frame.empty:
        return (f"the body is not OurAirports' airports.csv (no rows or lacks columns "
                f"{missing}); starts with {body[:60]!r}")
    return None


OURAIRPORTS_COPY = LiveCopy(
    source=SOURCE, partition=PARTITION, request=OURAIRPORTS, carried=CARRIED,
    label="OurAirports", fallback="the airportsdata rows", url_setting=URL_VARIABLE,
    problem=_download_problem,
)


# --- normalize -------------------------------------------------------------------------------

def normalize(responses: list[Response], ctx: NormalizeContext, day: date, key: str
              ) -> pd.DataFrame:
    frame = airportsdata_rows(_one_body(responses, {AIRPORTSDATA, LEGACY_AIRPORTSDATA}))
    counts = {"airportsdata": len(frame), "ourairports": 0}
    ourairports = OURAIRPORTS_COPY.usable_copies(responses)
    if ourairports:
        rows = ourairports_rows(ourairports[0].body)
        added = rows[~rows["airport_icao"].isin(frame["airport_icao"])]
        counts["ourairports"] = len(added)
        frame = pd.concat([frame, added])
    elif any(r.record.request in (OURAIRPORTS, CARRIED) for r in responses):
        log.warning("%s %s: no usable OurAirports copy in this fetch; only the airportsdata "
                    "rows are loaded", SOURCE, PARTITION)
    log.info("%s %s: rows by origin: airportsdata %d, ourairports %d", SOURCE, PARTITION,
             counts["airportsdata"], counts["ourairports"])
    return AIRPORTS.validate(_typed(frame).sort_values("airport_icao").reset_index(drop=True))


def _one_body(responses: list[Response], requests: set[str]) -> bytes:
    found = usable(responses, requests)
    if len(found) != 1:
        raise SourceError(SOURCE, PARTITION, f"the raw fetch has {len(found)} usable "
                          f"airportsdata responses, expected 1", "fetch the partition again")
    return found[0].body


def _read_csv(body: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(body), dtype=str, keep_default_na=False, encoding="utf-8")


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame[list(AIRPORTS.columns)].replace("", pd.NA)
    for column in NUMERIC:
        frame[column] = pd.to_numeric(frame[column]).astype("float64")
    for column in frame.columns.difference(NUMERIC):
        frame[column] = frame[column].astype(STRING)
    return frame


def airportsdata_rows(body: bytes) -> pd.DataFrame:
    raw = _read_csv(body)
    missing = sorted(set(FIELDS) - set(raw.columns))
    if missing:
        raise SourceError(SOURCE, PARTITION, f"airports.csv lacks columns {missing}",
                          "airportsdata changed its format: update pipeline/sources/airports.py")
    return _typed(raw[list(FIELDS)].rename(columns=FIELDS))


def ourairports_rows(body: bytes) -> pd.DataFrame:
    """OurAirports' airports.csv -> airport rows with an ICAO code, one per code, tz NULL."""
    raw = _read_csv(body)
    missing = sorted(OURAIRPORTS_REQUIRED - set(raw.columns))
    if missing:
        raise SourceError(SOURCE, PARTITION, f"OurAirports' airports.csv lacks columns {missing}",
                          "OurAirports changed its format: update pipeline/sources/airports.py")
    raw = raw[~raw["type"].isin(SKIPPED_TYPES)]
    icao_code = raw["icao_code"] if "icao_code" in raw.columns else pd.Series("", raw.index)
    ident_ok = raw["ident"].str.fullmatch(CODE) & (
        (raw["gps_code"] == raw["ident"]) | (raw["gps_code"] == ""))
    icao = icao_code.where(icao_code.str.fullmatch(CODE), raw["ident"].where(ident_ok, ""))
    frame = raw[list(OURAIRPORTS_FIELDS)].rename(columns=OURAIRPORTS_FIELDS).assign(
        airport_icao=icao, tz="")
    keep = (frame["airport_icao"] != "") & (frame["name"] != "") & (frame["lat"] != "") & (
        frame["lon"] != "") & frame["country"].str.fullmatch(r"[A-Z]{2}")
    frame = frame[keep]
    kept = frame.drop_duplicates("airport_icao", keep="first")
    if len(kept) < len(frame):
        log.info("%s %s: %d OurAirports rows repeat an ICAO code and were dropped", SOURCE,
                 PARTITION, len(frame) - len(kept))
    return _typed(kept)
