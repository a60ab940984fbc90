"""The sources the pipeline knows, by name, in the order a night runs them."""

from __future__ import annotations

from types import ModuleType

from pipeline.sources import opensky

SOURCES: dict[str, ModuleType] = {module.SOURCE: module for module in (opensky,)}
