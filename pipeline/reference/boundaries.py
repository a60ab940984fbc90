"""Country boundaries (Natural Earth 1:50m, from the npm package world-atlas, bundled in
world_atlas/) and the countries a great circle crosses.

The TopoJSON is decoded here (quantized, delta-encoded arcs shared between neighbours) into
shapely polygons keyed by ISO 3166-1 alpha-2 code. A great circle is sampled every
SAMPLE_KM; the countries holding a sample are the ones it crosses, with the distance flown
over each. Sampling, not a line intersection, keeps paths across the antimeridian right."""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from pipeline.reference.countries import code_aliases

TOPOLOGY = Path(__file__).with_name("world_atlas") / "countries-50m.json"
EARTH_RADIUS_KM = 6371.0
SAMPLE_KM = 20.0  # a country narrower than this along the path can be missed
TILE_DEGREES = 2.0
BATCH_POINTS = 1_000_000  # about 100 MB of arrays at a time
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
def _codes() -> list[str]:
    return sorted(country_shapes())


@cache
def _tiles() -> dict[tuple[int, int], list[tuple[int, shapely.Geometry]]]:
    """The countries cut into TILE_DEGREES squares, keyed by square: a point is tested only
    against the few pieces of its own square, not against coastlines of thousands of vertices
    (a world of routes in seconds, not minutes)."""
    tiles: dict[tuple[int, int], list[tuple[int, shapely.Geometry]]] = {}
    shapes = country_shapes()
    for country, code in enumerate(_codes()):
        shape = shapes[code]
        west, south, east, north = shape.bounds
        for column in range(math.floor(west / TILE_DEGREES), math.ceil(east / TILE_DEGREES)):
            x = column * TILE_DEGREES
            strip = shapely.clip_by_rect(shape, x, south, x + TILE_DEGREES, north)
            if strip.is_empty:
                continue
            for row in range(math.floor(south / TILE_DEGREES), math.ceil(north / TILE_DEGREES)):
                y = row * TILE_DEGREES
                piece = shapely.clip_by_rect(strip, x, y, x + TILE_DEGREES, y + TILE_DEGREES)
                if not piece.is_empty:
                    shapely.prepare(piece)
                    tiles.setdefault((column, row), []).append((country, piece))
    return tiles


def _unit_vectors(lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    phi, lam = np.radians(lats), np.radians(lons)
    return np.column_stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)])


def _ends(ends: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The unit vectors of great circles' ends (rows: lat1, lon1, lat2, lon2), and the angle
    between them."""
    a, b = _unit_vectors(ends[:, 0], ends[:, 1]), _unit_vectors(ends[:, 2], ends[:, 3])
    return a, b, np.arccos(np.clip(np.einsum("ij,ij->i", a, b), -1, 1))


def _lengths(ends: np.ndarray) -> np.ndarray:
    """Great circles' lengths in km, on a sphere of the Earth's mean radius."""
    return _ends(ends)[2] * EARTH_RADIUS_KM


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The great circle's length."""
    return round(float(_lengths(np.array([[lat1, lon1, lat2, lon2]]))[0]), 1)


def great_circle_points(lat1: float, lon1: float, lat2: float, lon2: float,
                        spacing_km: float = SAMPLE_KM) -> tuple[np.ndarray, float]:
    """Points (lon, lat) every spacing_km or less along the great circle, both ends included,
    and the path's length in km."""
    points, _, _, lengths = _sample([(lat1, lon1, lat2, lon2)], spacing_km)
    return points, float(lengths[0])


def _sample(paths: list[tuple[float, float, float, float]], spacing_km: float
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """All paths' sample points (lon, lat) in one array, by spherical interpolation, with
    each point's path and position along it, and each path's length in km."""
    a, b, angles = _ends(np.asarray(paths, dtype=float).reshape(-1, 4))
    lengths = angles * EARTH_RADIUS_KM
    steps = np.maximum(1, np.ceil(lengths / spacing_km)).astype(int)
    owner = np.repeat(np.arange(len(paths)), steps + 1)
    position = np.arange(len(owner)) - np.repeat(np.cumsum(steps + 1) - (steps + 1), steps + 1)
    t = position / steps[owner]
    angle = angles[owner]
    apart = angle > 1e-9
    sine = np.where(apart, np.sin(angle), 1.0)
    # slerp's weights; a path of no length (the same point twice) takes the linear limit
    from_a = np.where(apart, np.sin((1 - t) * angle) / sine, 1 - t)
    from_b = np.where(apart, np.sin(t * angle) / sine, t)
    vectors = from_a[:, None] * a[owner] + from_b[:, None] * b[owner]
    lats = np.degrees(np.arcsin(np.clip(vectors[:, 2], -1, 1)))
    lons = np.degrees(np.arctan2(vectors[:, 1], vectors[:, 0]))
    return np.column_stack([lons, lats]), owner, position, lengths


def countries_crossed(paths: list[tuple[float, float, float, float]]) -> list[list[Crossing]]:
    """For each great circle (lat1, lon1, lat2, lon2), the countries it passes over, in the
    order it enters them, ends included. Paths go in batches of about BATCH_POINTS samples,
    so memory stays small whatever the number of routes."""
    if not paths:
        return []
    ends = np.asarray(paths, dtype=float).reshape(-1, 4)
    samples = _lengths(ends) / SAMPLE_KM + 2
    batch = (np.cumsum(samples) // BATCH_POINTS).astype(int)
    cuts = [0, *np.flatnonzero(np.diff(batch)) + 1, len(paths)]
    return [crossed for begin, end in itertools.pairwise(cuts)
            for crossed in _crossed(paths[begin:end])]


def _crossed(paths: list[tuple[float, float, float, float]]) -> list[list[Crossing]]:
    points, owner, position, lengths = _sample(paths, SAMPLE_KM)
    columns = np.floor(points[:, 0] / TILE_DEGREES).astype(int)
    rows = np.floor(points[:, 1] / TILE_DEGREES).astype(int)
    order = np.lexsort((rows, columns))
    keys = np.column_stack([columns[order], rows[order]])
    starts = np.flatnonzero(np.r_[True, np.any(keys[1:] != keys[:-1], axis=1)])
    hits_at, hits_country = [], []
    tiles = _tiles()
    for begin, end in zip(starts, np.r_[starts[1:], len(order)], strict=True):
        pieces = tiles.get((int(keys[begin, 0]), int(keys[begin, 1])))
        if not pieces:
            continue  # open sea
        at = order[begin:end]
        for country, piece in pieces:
            inside = at[shapely.intersects_xy(piece, points[at, 0], points[at, 1])]
            hits_at.append(inside)
            hits_country.append(np.full(len(inside), country))
    if not hits_at:
        return [[] for _ in paths]
    hit = np.concatenate(hits_at)
    found = pd.DataFrame({"path": owner[hit], "country": np.concatenate(hits_country),
                          "position": position[hit]})
    per_country = found.groupby(["path", "country"])["position"].agg(["min", "count"])
    spacing = lengths / np.maximum(1, np.bincount(owner, minlength=len(paths)) - 1)
    codes = _codes()
    result: list[list[Crossing]] = [[] for _ in paths]
    for (path, country), first, held in zip(per_country.index, per_country["min"],
                                            per_country["count"], strict=True):
        result[path].append(Crossing(codes[country], round(float(first * spacing[path]), 1),
                                     round(float(held * spacing[path]), 1)))
    return [sorted(crossings, key=lambda c: (c.entry_km, c.country)) for crossings in result]
