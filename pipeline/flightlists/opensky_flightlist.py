"""OpenSky flight lists (format `opensky-flightlist`), as in OpenSky's COVID-19 flight dataset on
Zenodo (flightlist_YYYYMMDD_YYYYMMDD.csv.gz): comma-separated, UTF-8, one row per flight seen:
callsign,number,icao24,registration,typecode,origin,destination,firstseen,lastseen,day,
latitude_1,longitude_1,altitude_1,latitude_2,longitude_2,altitude_2

Airports are ICAO codes, empty when OpenSky found none. Times are UTC, ISO 8601
("2019-01-01 00:43:16+00:00") or unix seconds:
    dep_time_utc = firstseen, arr_time_utc = lastseen, sched_dep_utc = NULL
    flight_date = the UTC day of firstseen (as for the OpenSky API source; the file's `day` column
    is the day of the last message). status = completed: the list holds flights that flew.
The carrier is the callsign's ICAO prefix when the reference knows it as an airline (as for the
API source); `number` is rarely filled and not used.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from pipeline.flightlists.files import (
    Chunk,
    Layout,
    Normalized,
    RowProblems,
    flagged,
    open_csv,
)
from pipeline.flightlists.mapping import UTC, Reference, icao_airports, local_day
from pipeline.schemas import STRING, UTC_TS
from pipeline.sources.opensky_api import CALLSIGN

SOURCE = "opensky_flightlist"
ENCODING = "utf-8-sig"
COLUMNS = {
    "callsign": "callsign",
    "icao24": "icao24",
    "origin": "origin",
    "destination": "dest",
    "firstseen": "firstseen",
    "lastseen": "lastseen",
}
LAYOUT = Layout(sep=",", columns=COLUMNS, required=frozenset(COLUMNS.values()))
AIRPORT = r"[A-Z0-9]{3,4}"


def read(path: Path, chunk_rows: int) -> Iterator[Chunk]:
    with open_csv(path, LAYOUT, ENCODING) as csv_file:
        yield from csv_file.chunks(chunk_rows, clock_tz=UTC)


def normalize(chunk: Chunk, ref: Reference) -> Normalized:
    rows, problems = chunk.rows, RowProblems(chunk.rows.index)
    icao24 = rows["icao24"].str.lower()
    problems.flag(~icao24.str.fullmatch("[0-9a-f]{6}"), "missing or invalid icao24",
                  rows["icao24"])
    callsign = rows["callsign"].replace("", pd.NA)
    problems.flag(~callsign.str.fullmatch(r"\S{1,8}").fillna(True), "invalid callsign",
                  rows["callsign"])
    airports = {}
    for column, name in (("origin", "origin"), ("dest", "destination")):
        airports[column] = rows[column].str.upper().replace("", pd.NA)
        problems.flag(~airports[column].str.fullmatch(AIRPORT).fillna(True),
                      f"invalid {name}", rows[column])
    first_seen = parse_utc(rows["firstseen"])
    problems.flag(first_seen.isna(), "missing or unparseable firstseen", rows["firstseen"])
    last_seen = parse_utc(rows["lastseen"])
    problems.flag(last_seen.isna() & rows["lastseen"].ne(""), "unparseable lastseen",
                  rows["lastseen"])

    parts = callsign.str.extract(CALLSIGN)
    carrier_icao = ref.airline_designators(parts["prefix"].astype(STRING))
    backwards = (last_seen < first_seen).fillna(False).astype(bool) & ~problems.bad
    frame = pd.DataFrame({
        "line": chunk.lines,
        "dep_key": first_seen.dt.strftime("%Y-%m-%dT%H:%M:%S").astype(STRING),
        "flight_date": local_day(first_seen, UTC),
        "carrier_icao": carrier_icao,
        "carrier_code": parts["prefix"].astype(STRING),
        "flight_number": parts["number"].astype(STRING).where(carrier_icao.notna()),
        "callsign": callsign,
        "icao24": icao24,
        "origin_icao": icao_airports(airports["origin"]),
        "dest_icao": icao_airports(airports["dest"]),
        "origin_code": airports["origin"],
        "dest_code": airports["dest"],
        "dep_time_utc": first_seen,
        "arr_time_utc": last_seen.mask(backwards).astype(UTC_TS),
        "sched_dep_utc": pd.Series(pd.NaT, index=rows.index, dtype=UTC_TS),
        "status": pd.Series("completed", index=rows.index, dtype=STRING),
    })
    return Normalized(frame[~problems.bad], problems.report(chunk),
                      flagged(chunk, backwards, "lastseen before firstseen: lastseen dropped"))


def parse_utc(text: pd.Series) -> pd.Series:
    """ISO 8601 (offset or none: UTC) or unix seconds -> UTC; NaT where empty or unparseable."""
    unix = text.str.fullmatch(r"[0-9]+(\.[0-9]*)?").fillna(False).astype(bool)
    seconds = pd.to_numeric(text.where(unix), errors="coerce")
    out = pd.to_datetime(seconds, unit="s", utc=True).astype(UTC_TS)
    iso = pd.to_datetime(text.where(~unix & text.ne("")), format="ISO8601", utc=True,
                         errors="coerce")
    return out.fillna(iso.astype(UTC_TS))
