"""Explicit schemas every normalized frame is checked against before it reaches staging."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
import pandera.pandas as pa
from pandera.dtypes import DataType
from pandera.engines import pandas_engine

STRING = pd.StringDtype()
UTC_TS = "datetime64[us, UTC]"
FLIGHT_STATUSES = ("observed", "completed", "cancelled", "diverted", "scheduled")
_ICAO_AIRPORT = r"^[A-Z0-9]{4}$"


class _ExactString(pandas_engine.STRING):
    """pandera's string dtype, answering "yes" at once for a column that already has it. The
    stock check answers element by element, then builds an (empty) report of failures: half
    the cost of validating a normalized partition (bench/README.md). Any other dtype gets the
    stock check."""

    def check(self, pandera_dtype: DataType, data_container: pd.Series | None = None
              ) -> bool | Iterable[bool]:
        try:
            if pandas_engine.Engine.dtype(pandera_dtype).type == self.type:
                return True
        except TypeError:
            return False
        return super().check(pandera_dtype, data_container)


_STRING_COLUMN = _ExactString(storage=STRING.storage)


def _optional(pattern: str | None = None) -> pa.Column:
    checks = [pa.Check.str_matches(pattern)] if pattern else []
    return pa.Column(_STRING_COLUMN, nullable=True, checks=checks)


FLIGHTS = pa.DataFrameSchema(
    {
        "flight_id": pa.Column(_STRING_COLUMN, unique=True,
                               checks=pa.Check.str_matches(r"^[0-9a-f]{20}$")),
        "source": pa.Column(_STRING_COLUMN),
        "source_partition": pa.Column(_STRING_COLUMN),
        "flight_date": pa.Column("datetime64[us]"),
        "carrier_icao": _optional(r"^[A-Z]{3}$"),
        "carrier_code": _optional(r"^[A-Z0-9]{2,3}$"),
        "flight_number": _optional(r"^[0-9A-Z]{1,5}$"),
        "callsign": _optional(r"^\S{1,8}$"),
        "icao24": _optional(r"^[0-9a-f]{6}$"),
        "origin_icao": _optional(_ICAO_AIRPORT),
        "dest_icao": _optional(_ICAO_AIRPORT),
        # the airport codes as the source gave them (IATA in flight lists): an unresolved
        # code is kept here, never dropped
        "origin_code": _optional(r"^[A-Z0-9]{3,4}$"),
        "dest_code": _optional(r"^[A-Z0-9]{3,4}$"),
        "dep_time_utc": pa.Column(UTC_TS, nullable=True),
        "arr_time_utc": pa.Column(UTC_TS, nullable=True),
        "sched_dep_utc": pa.Column(UTC_TS, nullable=True),
        "status": pa.Column(_STRING_COLUMN, checks=pa.Check.isin(FLIGHT_STATUSES)),
    },
    checks=[
        pa.Check(
            lambda f: f["arr_time_utc"].isna()
            | f["dep_time_utc"].isna()
            | (f["arr_time_utc"] >= f["dep_time_utc"]),
            error="arrival before departure",
        ),
    ],
    strict=True,
    ordered=True,
)
