"""The trial page's site map: country outlines from the vendored world-atlas package (Natural Earth
1:110m, TopoJSON) projected on the server, with a dot per placed site; nothing is loaded from another
host and no script draws it.

This module only computes geometry (numbers) and the sites' plain-text labels; the template
``_site_map.html`` writes the SVG with autoescaping, so registry text never becomes markup.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from itertools import pairwise
from typing import Any

import orjson

from trialatlas.services.nearby import PlacedSite

ATLAS_FILE = "world-atlas-countries-110m.json"
WIDTH = 640
# The drawn height stays between these (px of the viewBox); the view is widened to fit.
MIN_HEIGHT, MAX_HEIGHT = 260, 400
# The world view leaves out Antarctica and the far north, where no trial has a site.
WORLD = (-180.0, 180.0, -58.0, 84.0)
# Around the sites: a margin of this share of their spread, and at least this many degrees shown,
# so that one city's sites show their country around them.
MARGIN_SHARE, MIN_SPAN_DEG = 0.15, 14.0
# Sites spread over more longitude than this are shown on the world view.
WORLD_SPAN_DEG = 150.0

Ring = list[tuple[float, float]]


@dataclass(frozen=True)
class Country:
    name: str
    number: int | None  # ISO 3166 numeric (Natural Earth leaves it out for a few, e.g. Kosovo)
    rings: list[Ring]  # (lon, lat) rings of all its polygons
    bbox: tuple[float, float, float, float]  # lon0, lon1, lat0, lat1


@dataclass(frozen=True)
class CountryShape:
    name: str
    path: str  # SVG path data
    sites: int = 0  # the trial's sites in it, by the country the record names


@dataclass(frozen=True)
class MapDot:
    x: float
    y: float
    label: str
    status: str | None
    approximate: bool


@dataclass(frozen=True)
class SiteMap:
    width: int
    height: int
    countries: list[CountryShape]
    dots: list[MapDot]
    placed: int
    approximate: int
    unplaced: int
    world: bool


def _decode_arcs(topology: dict[str, Any]) -> list[Ring]:
    """TopoJSON's quantized, delta-encoded arcs as (lon, lat) points."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs: list[Ring] = []
    for arc in topology["arcs"]:
        x = y = 0
        points: Ring = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def _ring(arcs: list[Ring], indices: Sequence[int]) -> Ring:
    ring: Ring = []
    for index in indices:
        # A negative index ~i is arc i walked backwards; each arc starts where the previous ended.
        points = arcs[index] if index >= 0 else arcs[~index][::-1]
        ring.extend(points[1:] if ring else points)
    return ring


@cache
def countries() -> tuple[Country, ...]:
    """The world's countries from the vendored TopoJSON, read once per process."""
    raw = resources.files("trialatlas.web").joinpath("static", "vendor", ATLAS_FILE).read_bytes()
    topology = orjson.loads(raw)
    arcs = _decode_arcs(topology)
    found: list[Country] = []
    for geometry in topology["objects"]["countries"]["geometries"]:
        kind = geometry.get("type")
        polygons = [geometry["arcs"]] if kind == "Polygon" else geometry.get("arcs", []) if kind else []
        rings = [_ring(arcs, ring) for polygon in polygons for ring in polygon]
        points = [point for ring in rings for point in ring]
        if not points:
            continue
        lons, lats = [p[0] for p in points], [p[1] for p in points]
        name = str(geometry.get("properties", {}).get("name", ""))
        number = int(geometry["id"]) if str(geometry.get("id", "")).isdigit() else None
        found.append(Country(name, number, rings, (min(lons), max(lons), min(lats), max(lats))))
    return tuple(found)


@dataclass(frozen=True)
class _View:
    lon0: float
    lon1: float
    lat0: float
    lat1: float
    height: int

    @property
    def xscale(self) -> float:
        return WIDTH / (self.lon1 - self.lon0)

    def project(self, lon: float, lat: float) -> tuple[float, float]:
        yscale = self.height / (self.lat1 - self.lat0)
        return (lon - self.lon0) * self.xscale, (self.lat1 - lat) * yscale


def _view(points: Sequence[tuple[float, float]]) -> tuple[_View, bool]:
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    if max(lons) - min(lons) > WORLD_SPAN_DEG:
        lon0, lon1, lat0, lat1 = WORLD
        return _View(lon0, lon1, lat0, lat1, round(WIDTH * (lat1 - lat0) / (lon1 - lon0))), True
    lon_mid, lat_mid = (max(lons) + min(lons)) / 2, (max(lats) + min(lats)) / 2
    # An equirectangular view at the sites' middle latitude: lengths east-west shrink by its cosine.
    shrink = max(0.2, math.cos(math.radians(lat_mid)))
    lon_span = max(MIN_SPAN_DEG, (max(lons) - min(lons)) * (1 + 2 * MARGIN_SHARE))
    lat_span = max(MIN_SPAN_DEG * shrink, (max(lats) - min(lats)) * (1 + 2 * MARGIN_SHARE))
    height = WIDTH * lat_span / (lon_span * shrink)
    if height > MAX_HEIGHT:  # too tall: widen
        lon_span = lat_span * WIDTH / (MAX_HEIGHT * shrink)
        height = MAX_HEIGHT
    elif height < MIN_HEIGHT:  # too flat: heighten
        lat_span = lon_span * shrink * MIN_HEIGHT / WIDTH
        height = MIN_HEIGHT
    view = _View(
        lon_mid - lon_span / 2,
        lon_mid + lon_span / 2,
        lat_mid - lat_span / 2,
        lat_mid + lat_span / 2,
        round(height),
    )
    return view, False


def _path(rings: list[Ring], view: _View) -> str:
    """SVG path data of the rings: whole units (the map is shown at most 1.5 times its units, and
    the 1:110m outlines hold no finer detail), relative moves, repeated points dropped. A ring that
    crosses the antimeridian (Fiji, Chukotka) is cut there, not drawn across the whole map."""
    parts: list[str] = []
    for ring in rings:
        pieces: list[list[tuple[int, int]]] = [[]]
        previous: float | None = None
        for lon, lat in ring:
            if previous is not None and abs(lon - previous) > 180:
                pieces.append([])
            previous = lon
            x, y = view.project(lon, lat)
            point = (round(x), round(y))
            if not pieces[-1] or point != pieces[-1][-1]:
                pieces[-1].append(point)
        close = "z" if len(pieces) == 1 else ""
        for points in pieces:
            if len(points) < 3:
                continue
            steps = " ".join(f"{x - px},{y - py}" for (px, py), (x, y) in pairwise(points))
            parts.append(f"M{points[0][0]},{points[0][1]}l{steps}{close}")
    return "".join(parts)


@lru_cache(maxsize=16)
def _outlines(view: _View) -> tuple[tuple[Country, str], ...]:
    """The countries the view shows with their path data; kept for the views asked most (the world)."""
    return tuple(
        (country, path)
        for country in countries()
        if _overlaps(country, view) and (path := _path(country.rings, view))
    )


def _overlaps(country: Country, view: _View) -> bool:
    lon0, lon1, lat0, lat1 = country.bbox
    return lon0 <= view.lon1 and lon1 >= view.lon0 and lat0 <= view.lat1 and lat1 >= view.lat0


def site_label(placed: PlacedSite) -> str:
    site = placed.site
    where = ", ".join(part for part in (site.facility, site.city, site.state, site.country) if part)
    status = f" — {str(site.status.value).replace('_', ' ').lower()}" if site.status else ""
    note = " (placed by its city)" if placed.approximate else ""
    return f"{where or 'Site'}{status}{note}"


def site_map(sites: Sequence[PlacedSite]) -> SiteMap | None:
    """The map of a trial's placed sites, zoomed to them (the world when they span it); ``None`` when
    no site can be placed."""
    located = [placed for placed in sites if placed.point is not None]
    if not located:
        return None
    view, world = _view([(p.point.lon, p.point.lat) for p in located if p.point is not None])
    per_country = Counter(p.country_number for p in sites if p.country_number is not None)
    outlines = [
        CountryShape(country.name, path, per_country.get(country.number, 0) if country.number else 0)
        for country, path in _outlines(view)
    ]
    dots: list[MapDot] = []
    for placed in located:
        assert placed.point is not None
        x, y = view.project(placed.point.lon, placed.point.lat)
        status = placed.site.status.value if placed.site.status else None
        dots.append(MapDot(round(x, 1), round(y, 1), site_label(placed), status, placed.approximate))
    return SiteMap(
        width=WIDTH,
        height=view.height,
        countries=outlines,
        dots=dots,
        placed=len(located),
        approximate=sum(1 for p in located if p.approximate),
        unplaced=len(sites) - len(located),
        world=world,
    )


__all__ = ["CountryShape", "MapDot", "SiteMap", "countries", "site_label", "site_map"]
