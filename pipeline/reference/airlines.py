"""The curated airline designators (see README.md next to this file): which ICAO designators
are airlines, and the facts that win over OpenFlights when the airlines reference is built."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import BinaryIO

import pandas as pd
import pandera.pandas as pa

CURATED_AIRLINES = Path(__file__).with_name("airlines_curated.csv")
COLUMNS = ("icao", "iata", "name", "country", "valid_from", "valid_to", "note")
DATE_COLUMNS = ("valid_from", "valid_to")
STRING = pd.StringDtype()
ICAO_AIRLINE = r"^[A-Z]{3}$"
IATA_AIRLINE = r"^[A-Z0-9]{2}$"
COUNTRY = r"^[A-Z]{2}$"  # ISO 3166-1 alpha-2


def _optional(pattern: str | None = None) -> pa.Column:
    return pa.Column(STRING, nullable=True,
                     checks=[pa.Check.str_matches(pattern)] if pattern else [])


def _unique_designator_periods(frame: pd.DataFrame) -> bool:
    # Rows without an ICAO designator are kept for their IATA code only and may repeat.
    return not frame.dropna(subset=["icao"]).duplicated(["icao", "valid_from"]).any()


CURATED = pa.DataFrameSchema(
    {
        "icao": _optional(ICAO_AIRLINE),
        "iata": _optional(IATA_AIRLINE),
        "name": pa.Column(STRING, checks=pa.Check.str_length(min_value=1)),
        "country": _optional(COUNTRY),
        "valid_from": pa.Column("datetime64[us]", nullable=True),
        "valid_to": pa.Column("datetime64[us]", nullable=True),
        "note": _optional(),
    },
    checks=[
        pa.Check(lambda f: f["valid_to"].isna() | f["valid_from"].isna()
                 | (f["valid_to"] > f["valid_from"]), error="valid_to must be after valid_from"),
        pa.Check(_unique_designator_periods, error="(icao, valid_from) must be unique"),
        pa.Check(lambda f: f["icao"].notna() | f["iata"].notna(),
                 error="a row needs an ICAO or an IATA code"),
    ],
    strict=True,
    ordered=True,
)


def load_curated(path: Path | BinaryIO = CURATED_AIRLINES) -> pd.DataFrame:
    """The curated file as a checked frame: blank cells are NULL, dates are datetime64[us]."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    frame = frame.apply(lambda column: column.str.strip()).replace("", pd.NA)
    frame = frame.astype({c: STRING for c in frame.columns if c not in DATE_COLUMNS})
    for column in DATE_COLUMNS:
        if column in frame:
            frame[column] = pd.to_datetime(frame[column], format="%Y-%m-%d").astype(
                "datetime64[us]")
    return CURATED.validate(frame)


@cache
def known_airline_icao(path: Path = CURATED_AIRLINES) -> frozenset[str]:
    """Every ICAO designator of the curated file: a callsign prefix outside it is unknown."""
    return frozenset(load_curated(path)["icao"].dropna())
