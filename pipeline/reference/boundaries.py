"""Country boundaries (Natural Earth 1:50m, from the npm package world-atlas, bundled in
world_atlas/) and the countries a great circle crosses.

The TopoJSON is decoded here (quantized, delta-encoded arcs shared between neighbours) into
shapely polygons keyed by ISO 3166-1 alpha-2 code. A great circle is sampled every
SAMPLE_KM; the countries holding a sample are the ones it crosses, with the distance flown
over each. Sampling, not a line intersection, keeps paths across the antimeridian right."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import shapely

from pipeline.reference.countries import code_aliases

TOPOLOGY = Path(__file__).with_name("world_atlas") / "countries-50m.json"
EARTH_RADIUS_KM = 6371.0
SAMPLE_KM = 10.0  # a country narrower than this along the path can be missed
TILE_DEGREES = 2.0
# Natural Earth units without an ISO numeric code that hold airports: their ISO alpha-2
# (Kosovo's user-assigned XK, as ICAO and IATA use it); the rest (Indian Ocean Ter.,
# Siachen Glacier) are left out.
UNCODED = {"Kosovo": "XK", "N. Cyprus": "CY", "Somaliland": "SO"}


@dataclass(frozen=True)
class Crossing:
    country: str      # ISO 3166-1 alpha-2
    entry_km: float   # distance along the path to its first sample in the country
    km_over: float    # distance flown over it (samples in it x the sample spacing)


def _decode_arcs(topology: dict) -> list[np.ndarray]:
    scale = np.asarray(topology["transform"]["scale"])
    translate = np.asarray(topology["transform"]["translate"])
    return [np.cumsum(np.asarray(arc, dtype=float), axis=0) * scale + translate
            for arc in topology["arcs"]]


def _ring(arcs: list[np.ndarray], indexes: list[int]) -> np.ndarray:
    parts = []
    for n, index in enumerate(indexes):
        points = arcs[index] if index >= 0 else arcs[~index][::-1]
        parts.append(points if n == 0 else points[1:])  # arcs share their end points
    return np.concatenate(parts)


def _polygon(arcs: list[np.ndarray], rings: list[list[int]]) -> shapely.Polygon:
    shell, *holes = (_ring(arcs, ring) for ring in rings)
    return shapely.Polygon(shell, holes)


@cache
def country_shapes() -> dict[str, shapely.Geometry]:
    """ISO alpha-2 code -> its land (a Polygon or MultiPolygon), from the bundled topology."""
    topology = json.loads(TOPOLOGY.read_text(encoding="utf-8"))
    arcs = _decode_arcs(topology)
    aliases = code_aliases()
    shapes: dict[str, list[shapely.Polygon]] = {}
    for geometry in topology["objects"]["countries"]["geometries"]:
        codes = aliases.get(geometry.get("id", ""), ())
        code = codes[0] if len(codes) == 1 else UNCODED.get(geometry["properties"]["name"])
        if code is None or geometry["type"] not in ("Polygon", "MultiPolygon"):
            continue
        polygons = ([geometry["arcs"]] if geometry["type"] == "Polygon" else geometry["arcs"])
        shapes.setdefault(code, []).extend(_polygon(arcs, rings) for rings in polygons)
    return {code: shapely.make_valid(shapely.MultiPolygon(parts))
            for code, parts in shapes.items()}


@cache
def _index() -> tuple[list[str], shapely.STRtree]:
    """The countries cut into TILE_DEGREES squares: a point is tested against a small piece,
    not a coastline of thousands of vertices (35 times faster on a world of routes)."""
    codes, pieces = [], []
    for code, shape in sorted(country_shapes().items()):
        west, south, east, north = shape.bounds
        for x in np.arange(math.floor(west / TILE_DEGREES) * TILE_DEGREES, east, TILE_DEGREES):
            column = shapely.clip_by_rect(shape, x, south, x + TILE_DEGREES, north)
            if column.is_empty:
                continue
            for y in np.arange(math.floor(south / TILE_DEGREES) * TILE_DEGREES, north,
                               TILE_DEGREES):
                piece = shapely.clip_by_rect(column, x, y, x + TILE_DEGREES, y + TILE_DEGREES)
                if not piece.is_empty:
                    codes.append(code)
                    pieces.append(piece)
    return codes, shapely.STRtree(pieces)


def _unit(lat: float, lon: float) -> np.ndarray:
    phi, lam = math.radians(lat), math.radians(lon)
    return np.array([math.cos(phi) * math.cos(lam), math.cos(phi) * math.sin(lam),
                     math.sin(phi)])


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The great circle's length, on a sphere of the Earth's mean radius."""
    cosine = float(_unit(lat1, lon1) @ _unit(lat2, lon2))
    return round(math.acos(max(-1.0, min(1.0, cosine))) * EARTH_RADIUS_KM, 1)


def great_circle_points(lat1: float, lon1: float, lat2: float, lon2: float,
                        spacing_km: float = SAMPLE_KM) -> tuple[np.ndarray, float]:
    """Points (lon, lat) every spacing_km or less along the great circle, both ends included,
    and the path's length in km."""
    a, b = _unit(lat1, lon1), _unit(lat2, lon2)
    angle = math.acos(max(-1.0, min(1.0, float(a @ b))))
    length_km = angle * EARTH_RADIUS_KM
    steps = max(1, math.ceil(length_km / spacing_km))
    t = np.linspace(0.0, 1.0, steps + 1)[:, None]
    if angle < 1e-9:
        vectors = np.repeat(a[None, :], len(t), axis=0)
    else:  # spherical interpolation
        vectors = (np.sin((1 - t) * angle) * a + np.sin(t * angle) * b) / math.sin(angle)
    lats = np.degrees(np.arcsin(np.clip(vectors[:, 2], -1, 1)))
    lons = np.degrees(np.arctan2(vectors[:, 1], vectors[:, 0]))
    return np.column_stack([lons, lats]), length_km


def countries_crossed(paths: list[tuple[float, float, float, float]]) -> list[list[Crossing]]:
    """For each great circle (lat1, lon1, lat2, lon2), the countries it passes over, in the
    order it enters them, ends included. All paths' samples are tested in one query."""
    sampled = [great_circle_points(*path) for path in paths]
    if not sampled:
        return []
    owner = np.repeat(np.arange(len(sampled)), [len(points) for points, _ in sampled])
    position = np.concatenate([np.arange(len(points)) for points, _ in sampled])
    codes, tree = _index()
    sample, piece = tree.query(shapely.points(np.concatenate([p for p, _ in sampled])),
                               predicate="intersects")
    found: list[dict[str, set[int]]] = [{} for _ in sampled]
    for at, index in zip(sample.tolist(), piece.tolist(), strict=True):
        found[owner[at]].setdefault(codes[index], set()).add(int(position[at]))
    result = []
    for (points, length_km), countries in zip(sampled, found, strict=True):
        spacing = length_km / max(1, len(points) - 1)
        crossings = [Crossing(code, round(min(held) * spacing, 1),
                              round(len(held) * spacing, 1))
                     for code, held in countries.items()]
        result.append(sorted(crossings, key=lambda c: (c.entry_km, c.country)))
    return result
