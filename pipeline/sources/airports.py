"""Airports reference (ICAO code, IATA code, name, country, position, time zone) from the
`airportsdata` package, which ships a real, maintained copy and so works offline.

fetch: copy the package's airports.csv into the raw zone (recording the package version).
normalize: -> the `airports` frame. A snapshot source: one partition, `airportsdata`."""

from __future__ import annotations

import importlib.metadata
import io
from datetime import date
from importlib.resources import files

import pandas as pd
import pandera.pandas as pa

from pipeline.errors import SourceError
from pipeline.sources.base import FetchContext, NormalizeContext, Response
from pipeline.watchlist import Watchlist

SOURCE = "airports"
TABLE = "airports"
SNAPSHOT = True
PARTITION = "airportsdata"
STRING = pd.StringDtype()
FIELDS = {  # airportsdata column -> our column
    "icao": "airport_icao", "iata": "iata", "name": "name", "city": "city",
    "subd": "subdivision", "country": "country", "elevation": "elevation_ft", "lat": "lat",
    "lon": "lon", "tz": "tz",
}

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


def partition_keys(watchlist: Watchlist) -> list[str]:
    return [PARTITION]


def fetch(ctx: FetchContext, day: date, key: str) -> None:
    resource = files("airportsdata") / "airports.csv"
    version = importlib.metadata.version("airportsdata")
    with ctx.raw.fetch(SOURCE, PARTITION) as batch:
        batch.add(request="airports.csv", url=f"python-package:airportsdata/{version}",
                  params={"version": version}, status=200, body=resource.read_bytes(),
                  fetched_at=ctx.now())


def normalize(responses: list[Response], ctx: NormalizeContext, day: date, key: str
              ) -> pd.DataFrame:
    [response] = responses
    raw = pd.read_csv(io.BytesIO(response.body), dtype=str, keep_default_na=False)
    missing = sorted(set(FIELDS) - set(raw.columns))
    if missing:
        raise SourceError(SOURCE, PARTITION, f"airports.csv lacks columns {missing}",
                          "airportsdata changed its format: update pipeline/sources/airports.py")
    frame = raw[list(FIELDS)].rename(columns=FIELDS).replace("", pd.NA)
    for column in ("elevation_ft", "lat", "lon"):
        frame[column] = pd.to_numeric(frame[column]).astype("float64")
    for column in frame.columns.difference(["elevation_ft", "lat", "lon"]):
        frame[column] = frame[column].astype(STRING)
    return AIRPORTS.validate(frame.sort_values("airport_icao").reset_index(drop=True))
