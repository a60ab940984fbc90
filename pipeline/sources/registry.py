"""The sources the pipeline knows, by name, in the order a night runs them."""

from __future__ import annotations

from types import ModuleType

from pipeline.sources import (
    airlines,
    airports,
    countries,
    faa_notam,
    federal_register,
    opensky,
    permit_registry,
)

SOURCES: dict[str, ModuleType] = {
    module.SOURCE: module
    for module in (
        airports, airlines, countries, permit_registry, opensky, faa_notam, federal_register
    )
}

# reference data changes slowly: the weekly DAG loads it; the nightly DAG runs the rest
REFERENCE_SOURCES = (airports.SOURCE, airlines.SOURCE, countries.SOURCE)
NIGHTLY_SOURCES = tuple(name for name in SOURCES if name not in REFERENCE_SOURCES)
