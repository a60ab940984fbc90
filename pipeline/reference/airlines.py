"""Which ICAO designators are airlines. The curated file is a seed: the reference-data work
(OpenFlights plus overrides) replaces it; until then a callsign prefix outside it is unknown."""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

CURATED_AIRLINES = Path(__file__).with_name("airlines_curated.csv")


@cache
def known_airline_icao(path: Path = CURATED_AIRLINES) -> frozenset[str]:
    with open(path, encoding="utf-8", newline="") as handle:
        return frozenset(row["icao"].strip().upper() for row in csv.DictReader(handle))
