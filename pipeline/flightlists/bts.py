"""BTS "Reporting Carrier On-Time Performance (1987-present)" (format `bts-ontime`): one CSV a
month, shipped zipped with a readme.html, UTF-8/ASCII, comma-separated, a trailing comma on
every line. One row per scheduled domestic flight of a reporting carrier.

Clock columns are local hhmm at the airport they refer to; delays and elapsed times are minutes.
Times in UTC, with tz = the origin airport's zone (airportsdata):
    sched_dep_utc = (FlightDate + CRSDepTime) in tz -> UTC      "2400" is the next midnight
    dep_time_utc  = sched_dep_utc + DepDelay                    NULL if cancelled
    arr_time_utc  = sched_dep_utc + CRSElapsedTime + ArrDelay   NULL if cancelled or diverted
ArrDelay counts from the scheduled arrival, which is sched_dep_utc + CRSElapsedTime (BTS computes
CRSElapsedTime across the two airports' zones). Working in minutes from the scheduled departure
never needs the day of an hhmm arrival clock, which is ambiguous after midnight, nor the
destination's zone. DepTime, CRSArrTime and ArrTime are therefore not read.
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
from pipeline.flightlists.mapping import NAIVE_TS, Reference, local_to_utc
from pipeline.schemas import STRING, UTC_TS

SOURCE = "bts"
ENCODING = "utf-8-sig"
COLUMNS = {
    "FlightDate": "flight_date",
    "Reporting_Airline": "carrier",
    "Flight_Number_Reporting_Airline": "flight_number",
    "Origin": "origin",
    "Dest": "dest",
    "CRSDepTime": "crs_dep",
    "DepDelay": "dep_delay",
    "ArrDelay": "arr_delay",
    "CRSElapsedTime": "crs_elapsed",
    "Cancelled": "cancelled",
    "Diverted": "diverted",
}
LAYOUT = Layout(sep=",", columns=COLUMNS, required=frozenset(COLUMNS.values()))
DATE_FORMATS = ("%Y-%m-%d", "%Y%m%d")  # the files write 2025-01-01; the readme says yyyymmdd
CODES = (  # our column, BTS column, pattern
    ("carrier", "Reporting_Airline", r"[A-Z0-9]{2}"),
    ("flight_number", "Flight_Number_Reporting_Airline", r"[0-9A-Z]{1,5}"),
    ("origin", "Origin", r"[A-Z0-9]{3}"),
    ("dest", "Dest", r"[A-Z0-9]{3}"),
)


def read(path: Path, chunk_rows: int) -> Iterator[Chunk]:
    with open_csv(path, LAYOUT, ENCODING) as csv_file:
        yield from csv_file.chunks(chunk_rows)


def normalize(chunk: Chunk, ref: Reference) -> Normalized:
    rows, problems = chunk.rows, RowProblems(chunk.rows.index)
    day = parse_day(rows["flight_date"])
    problems.flag(day.isna(), "unparseable FlightDate", rows["flight_date"])
    for column, name, pattern in CODES:
        problems.flag(~rows[column].str.fullmatch(pattern), f"missing or invalid {name}",
                      rows[column])
    dep_minutes = hhmm_minutes(rows["crs_dep"])
    problems.flag(dep_minutes.isna(), "unparseable CRSDepTime", rows["crs_dep"])
    minutes = {name: _minutes(rows, name, problems) for name in
               ("dep_delay", "arr_delay", "crs_elapsed")}
    status = _status(rows, problems)

    origin_icao = ref.airports_from_iata(rows["origin"])
    sched = local_to_utc(day + pd.to_timedelta(dep_minutes, unit="min"),
                         ref.tz_of(origin_icao))
    dep = (sched + pd.to_timedelta(minutes["dep_delay"], unit="min")).where(
        status != "cancelled")
    arr = (sched + pd.to_timedelta(minutes["crs_elapsed"] + minutes["arr_delay"], unit="min")
           ).where(status == "completed")
    backwards = (arr < dep).fillna(False).astype(bool) & ~problems.bad
    frame = pd.DataFrame({
        "line": chunk.lines,
        "dep_key": day.dt.strftime("%Y-%m-%d") + "T" + rows["crs_dep"].str.zfill(4),
        # the local day of scheduled departure, as BTS gives it (not the UTC day)
        "flight_date": day,
        "carrier_icao": ref.carriers_from_iata(rows["carrier"], day),
        "carrier_code": rows["carrier"],
        "flight_number": rows["flight_number"],
        "callsign": pd.Series(pd.NA, index=rows.index, dtype=STRING),
        "icao24": pd.Series(pd.NA, index=rows.index, dtype=STRING),
        "origin_icao": origin_icao,
        "dest_icao": ref.airports_from_iata(rows["dest"]),
        "origin_code": rows["origin"],
        "dest_code": rows["dest"],
        "dep_time_utc": dep.astype(UTC_TS),
        "arr_time_utc": arr.mask(backwards).astype(UTC_TS),
        "sched_dep_utc": sched,
        "status": status,
    })
    return Normalized(frame[~problems.bad], problems.report(chunk),
                      flagged(chunk, backwards, "arrival before departure: ArrDelay dropped"))


def parse_day(text: pd.Series) -> pd.Series:
    day = pd.Series(pd.NaT, index=text.index, dtype=NAIVE_TS)
    for date_format in DATE_FORMATS:
        parsed = pd.to_datetime(text, format=date_format, errors="coerce")
        day = day.fillna(parsed.astype(NAIVE_TS))
    return day


def hhmm_minutes(text: pd.Series) -> pd.Series:
    """Minutes after midnight of an hhmm clock; "2400" is 1440, the next midnight."""
    padded = text.where(text.str.fullmatch(r"[0-9]{1,4}").fillna(False)).str.zfill(4)
    hours = pd.to_numeric(padded.str[:2], errors="coerce")
    mins = pd.to_numeric(padded.str[2:], errors="coerce")
    valid = ((hours < 24) & (mins < 60)).fillna(False) | padded.eq("2400").fillna(False)
    return (hours * 60 + mins).where(valid.astype(bool)).astype("Float64")


def _minutes(rows: pd.DataFrame, column: str, problems: RowProblems) -> pd.Series:
    """A minutes column; empty is NULL (cancelled, diverted), anything else must be a number."""
    name = next(k for k, v in COLUMNS.items() if v == column)
    value = pd.to_numeric(rows[column].replace("", pd.NA), errors="coerce").astype("Float64")
    problems.flag(value.isna() & rows[column].ne(""), f"unparseable {name}", rows[column])
    return value


def _status(rows: pd.DataFrame, problems: RowProblems) -> pd.Series:
    flags = {}
    for column, name in (("cancelled", "Cancelled"), ("diverted", "Diverted")):
        flags[column] = pd.to_numeric(rows[column], errors="coerce")
        problems.flag(~flags[column].isin([0, 1]), f"unknown {name} value", rows[column])
    cancelled, diverted = (flags[c].eq(1).fillna(False).astype(bool) for c in flags)
    problems.flag(cancelled & diverted, "both Cancelled and Diverted")
    status = pd.Series("completed", index=rows.index, dtype=STRING)
    return status.mask(diverted, "diverted").mask(cancelled, "cancelled")
