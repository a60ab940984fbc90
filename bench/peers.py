"""The same raw JSON bodies, loaded into DuckDB three other ways: DuckDB's own reader (the
limit), dlt (the tool a user would pick instead) and row-by-row inserts (the naive floor)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from time import perf_counter

import duckdb

from pipeline.raw import RawZone
from pipeline.sources import opensky
from pipeline.sources.base import partition_name

FIELDS = ("icao24", "firstSeen", "estDepartureAirport", "lastSeen", "estArrivalAirport",
          "callsign", "estDepartureAirportHorizDistance", "estDepartureAirportVertDistance",
          "estArrivalAirportHorizDistance", "estArrivalAirportVertDistance",
          "departureAirportCandidatesCount", "arrivalAirportCandidatesCount")


def body_files(raw: RawZone, days: list[date], airports: tuple[str, ...]) -> list[Path]:
    """The JSON bodies our path reads for those nights (404s have an empty body: no rows)."""
    files = []
    for day in days:
        for airport in airports:
            partition = partition_name(day, airport)
            files += [raw.partition_dir(opensky.SOURCE, partition) / record.file
                      for record in raw.latest(opensky.SOURCE, partition)
                      if record.status == 200]
    return files


def duckdb_read_json(files: list[Path], database: Path) -> tuple[int, float]:
    """CREATE TABLE AS SELECT * FROM read_json(files): rows and seconds."""
    with duckdb.connect(str(database)) as con:
        began = perf_counter()
        con.execute("CREATE TABLE flights AS SELECT * FROM read_json(?, format = 'array')",
                    [[str(f) for f in files]])
        seconds = perf_counter() - began
        [(rows,)] = con.execute("SELECT count(*) FROM flights").fetchall()
    return rows, seconds


def dlt_load(files: list[Path], database: Path, work_dir: Path) -> tuple[int, float]:
    """dlt's default pipeline (extract -> normalize -> load) into DuckDB: rows and seconds."""
    os.environ["RUNTIME__DLTHUB_TELEMETRY"] = "false"  # no network from the benchmark
    import dlt  # the bench extra; imported here so the rest runs without it

    @dlt.resource(name="flights", write_disposition="append")
    def flights() -> Iterator[list[dict]]:
        for path in files:
            yield json.loads(path.read_bytes())

    pipeline = dlt.pipeline(pipeline_name="fdp_bench", pipelines_dir=str(work_dir),
                            destination=dlt.destinations.duckdb(str(database)),
                            dataset_name="opensky")
    began = perf_counter()
    pipeline.run(flights())
    seconds = perf_counter() - began
    with duckdb.connect(str(database), read_only=True) as con:
        [(rows,)] = con.execute("SELECT count(*) FROM opensky.flights").fetchall()
    return rows, seconds


def row_by_row(files: list[Path], database: Path, budget_s: float) -> tuple[int, float]:
    """One INSERT per flight object, over the files in order until `budget_s` is spent."""
    columns = ", ".join(f'"{name}" {_sql_type(name)}' for name in FIELDS)
    insert = f"INSERT INTO flights VALUES ({', '.join('?' for _ in FIELDS)})"
    rows = 0
    with duckdb.connect(str(database)) as con:
        con.execute(f"CREATE TABLE flights ({columns})")
        began = perf_counter()
        for path in files:
            for flight in json.loads(path.read_bytes()):
                con.execute(insert, [flight.get(name) for name in FIELDS])
                rows += 1
            if perf_counter() - began > budget_s:
                break
        seconds = perf_counter() - began
    return rows, seconds


def _sql_type(field: str) -> str:
    return "VARCHAR" if field in ("icao24", "callsign") or field.endswith("Airport") else "BIGINT"
