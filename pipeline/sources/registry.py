"""The sources the pipeline knows, by name, in the order a night runs them.

The names are plain strings, so DAG files read them at parse time for free; a source's module
(pandas, pandera, requests) is imported only when SOURCES is first asked for it. Each source
lives in pipeline/sources/<name>.py, which may use modules beside it: opensky.py fetches
its world mode through opensky_all.py, and both share opensky_api.py."""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from types import ModuleType

# reference data changes slowly: the weekly DAG loads it; the nightly DAG runs the rest
REFERENCE_SOURCES = ("airports", "airlines", "countries")
NIGHTLY_SOURCES = ("permit_registry", "opensky", "faa_notam", "federal_register")


class _SourceModules(Mapping[str, ModuleType]):
    """Source name -> its module, imported on first look-up."""

    def __init__(self, names: tuple[str, ...]):
        self._names = names

    def __getitem__(self, name: str) -> ModuleType:
        if name not in self._names:
            raise KeyError(name)
        return importlib.import_module(f"{__package__}.{name}")

    def __contains__(self, name: object) -> bool:  # without importing the module
        return name in self._names

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


SOURCES: Mapping[str, ModuleType] = _SourceModules(REFERENCE_SOURCES + NIGHTLY_SOURCES)
