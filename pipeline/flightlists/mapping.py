"""Flight-list codes and clocks through the reference: IATA airport codes to ICAO codes and time
zones (airportsdata), carrier IATA codes to ICAO designators by date (the curated airline file:
IATA codes change hands over the years), and wall-clock times to UTC.

A code that does not resolve maps to NULL; the caller keeps the code itself and counts it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import airportsdata
import numpy as np
import pandas as pd

from pipeline.reference.airlines import CURATED_AIRLINES, load_curated
from pipeline.schemas import STRING, UTC_TS

BRASILIA = "America/Sao_Paulo"
UTC = "UTC"
NAIVE_TS = "datetime64[us]"


@cache
def _airports() -> tuple[dict[str, str], dict[str, str]]:
    """IATA -> ICAO and ICAO -> tz. Slim copies: airportsdata's own dicts of 28k airports with
    eleven fields each would stay in memory for nothing."""
    by_iata = {iata: a["icao"] for iata, a in airportsdata.load("IATA").items() if a["icao"]}
    tz = {icao: a["tz"] for icao, a in airportsdata.load("ICAO").items() if a["tz"]}
    return by_iata, tz


@dataclass(frozen=True)
class Reference:
    iata_airports: Mapping[str, str]  # IATA -> ICAO
    airport_tz: Mapping[str, str]  # ICAO -> IANA zone
    carrier_periods: pd.DataFrame  # iata, icao, valid_from (incl.), valid_to (excl.); NaT: open
    airlines: frozenset[str]  # ICAO designators the reference knows as airlines

    def airports_from_iata(self, codes: pd.Series) -> pd.Series:
        return codes.map(self.iata_airports).astype(STRING)

    def tz_of(self, icao: pd.Series) -> pd.Series:
        return icao.map(self.airport_tz).astype(STRING)

    def carriers_from_iata(self, codes: pd.Series, days: pd.Series) -> pd.Series:
        """The ICAO designator whose holding of the IATA code covers each day."""
        out = pd.Series(pd.NA, index=codes.index, dtype=STRING)
        periods = self.carrier_periods[self.carrier_periods["iata"].isin(codes.dropna().unique())]
        for period in periods.itertuples(index=False):
            hit = codes.eq(period.iata).fillna(False).astype(bool)
            if pd.notna(period.valid_from):
                hit &= (days >= period.valid_from).fillna(False)
            if pd.notna(period.valid_to):
                hit &= (days < period.valid_to).fillna(False)
            out = out.mask(hit, period.icao)
        return out

    def airline_designators(self, prefixes: pd.Series) -> pd.Series:
        """The prefix where the reference knows it as an airline, else NULL (private, military)."""
        return prefixes.where(prefixes.isin(self.airlines).fillna(False).astype(bool))


def load_reference(curated: Path = CURATED_AIRLINES) -> Reference:
    airlines = load_curated(curated)
    # IATA-only rows cannot give an ICAO designator; rows without IATA are never looked up
    periods = airlines.dropna(subset=["iata", "icao"])[["iata", "icao", "valid_from", "valid_to"]]
    by_iata, tz = _airports()
    return Reference(by_iata, tz, periods.reset_index(drop=True),
                     frozenset(airlines["icao"].dropna()))


def icao_airports(codes: pd.Series) -> pd.Series:
    """Codes in a column of ICAO airport codes pass through; any other code stays unresolved."""
    return codes.where(codes.str.fullmatch("[A-Z0-9]{4}").fillna(False).astype(bool))


def _by_zone(zones: pd.Series | str, index: pd.Index) -> list[tuple[str, np.ndarray]]:
    if isinstance(zones, str):
        return [(zones, np.ones(len(index), dtype=bool))]
    return [(zone, zones.eq(zone).fillna(False).to_numpy(dtype=bool))
            for zone in zones.dropna().unique()]


def local_to_utc(naive: pd.Series, zones: pd.Series | str) -> pd.Series:
    """Wall-clock times -> UTC instants, each row in its own zone (NaT where the zone is NULL).
    A time that a DST change skips moves forward by the gap; one that occurs twice is read as the
    first (summer time). Schedules avoid both, and an hour off beats a lost flight."""
    out = pd.Series(pd.NaT, index=naive.index, dtype=UTC_TS)
    for zone, mask in _by_zone(zones, naive.index):
        local = naive[mask].dt.tz_localize(zone, ambiguous=np.ones(mask.sum(), dtype=bool),
                                           nonexistent="shift_forward")
        out[mask] = local.dt.tz_convert(UTC).astype(UTC_TS)
    return out


def local_day(utc: pd.Series, zones: pd.Series | str) -> pd.Series:
    """The calendar day of each UTC instant in its own zone, as a naive midnight."""
    out = pd.Series(pd.NaT, index=utc.index, dtype=NAIVE_TS)
    for zone, mask in _by_zone(zones, utc.index):
        out[mask] = utc[mask].dt.tz_convert(zone).dt.tz_localize(None).dt.normalize()
    return out
