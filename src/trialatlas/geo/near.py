"""Nearest recruiting site: rank trials by how far their closest recruiting site is from a patient.

A site counts as recruiting when its own status says so or, when it has none, when the trial's
overall status does (registries often leave site status blank). Its coordinates come from the
record (API v2 ``geoPoint``) where present, else from the gazetteer by city, state and country.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from trialatlas.errors import QueryError
from trialatlas.geo.gazetteer import Gazetteer, GeonamesGazetteer, Place
from trialatlas.model import GeoPoint, Location, OverallStatus, Trial
from trialatlas.store.base import TrialStore

EARTH_RADIUS_KM = 6371.0088
_COORDINATES = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*[,; ]\s*(-?\d+(?:\.\d+)?)\s*$")

RECRUITING = frozenset({OverallStatus.RECRUITING})
RECRUITING_OR_SOON = frozenset({OverallStatus.RECRUITING, OverallStatus.NOT_YET_RECRUITING})

_DEFAULT: list[GeonamesGazetteer] = []


def default_gazetteer() -> GeonamesGazetteer:
    """One offline gazetteer per process: building it reads GeoNames' cities once (about a second)."""
    if not _DEFAULT:
        _DEFAULT.append(GeonamesGazetteer())
    return _DEFAULT[0]


def haversine_km(a: GeoPoint, b: GeoPoint) -> float:
    """Great-circle distance in kilometres."""
    lat1, lat2 = math.radians(a.lat), math.radians(b.lat)
    dlat, dlon = lat2 - lat1, math.radians(b.lon - a.lon)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def parse_location(text: str, gazetteer: Gazetteer | None = None) -> Place:
    """A patient's location: ``"lat, lon"``, or ``"City[, State], Country"``, or a city alone (the most
    populous of that name). Raises :class:`QueryError` when it cannot be placed."""
    match = _COORDINATES.match(text)
    if match:
        lat, lon = float(match.group(1)), float(match.group(2))
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise QueryError(f"{text!r}: latitude must be within ±90 and longitude within ±180")
        return Place(f"{lat:.4f}, {lon:.4f}", GeoPoint(lat=lat, lon=lon), None)
    gazetteer = gazetteer or default_gazetteer()
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if not parts:
        raise QueryError("no location given")
    city, state, country = parts[0], None, None
    if len(parts) >= 2 and gazetteer.country_code(parts[-1]):
        country = parts[-1]
        state = ", ".join(parts[1:-1]) or None
    elif len(parts) >= 2:
        state = ", ".join(parts[1:])
    place = gazetteer.locate(city, state, country)
    if place is None and country is not None:
        # "Atlanta, Georgia": the last part names a country and a US state alike.
        place = gazetteer.locate(city, ", ".join(parts[1:]), None)
    if place is None:
        raise QueryError(
            f"{text!r}: place not found in the offline gazetteer; give coordinates as 'lat, lon'"
        )
    return place


@dataclass(frozen=True, slots=True)
class NearestSite:
    """A trial and its recruiting site nearest the patient."""

    key: str
    title: str
    overall_status: str | None
    distance_km: float
    site: Location
    point: GeoPoint
    located_by: str  # "record" or "gazetteer"
    recruiting_sites: int


@dataclass
class NearResult:
    origin: Place
    trials: list[NearestSite] = field(default_factory=list)
    scanned: int = 0
    recruiting_trials: int = 0
    unlocated_sites: int = 0


def _site_statuses(trial: Trial, wanted: frozenset[OverallStatus]) -> Iterable[Location]:
    overall = trial.status.overall_status
    for site in trial.locations:
        status = site.status if site.status is not None else overall
        if status in wanted:
            yield site


class SiteLocator:
    """Coordinates of sites, from the record else the gazetteer, with lookups cached by name."""

    def __init__(self, gazetteer: Gazetteer) -> None:
        self.gazetteer = gazetteer
        self._cache: dict[tuple[str | None, str | None, str | None], Place | None] = {}

    def locate(self, site: Location) -> tuple[GeoPoint, str] | None:
        if site.geo is not None:
            return site.geo, "record"
        key = (site.city, site.state, site.country)
        if key not in self._cache:
            self._cache[key] = self.gazetteer.locate(*key) if site.city or site.state else None
        place = self._cache[key]
        return (place.point, "gazetteer") if place is not None else None


def nearest_sites(
    store: TrialStore,
    location: str | GeoPoint | Place,
    *,
    radius_km: float | None = None,
    limit: int | None = 20,
    statuses: frozenset[OverallStatus] = RECRUITING,
    gazetteer: Gazetteer | None = None,
    trials: Iterable[Trial] | None = None,
) -> NearResult:
    """Trials with a site in ``statuses`` (recruiting by default), nearest first, each with the
    distance to that site; only those within ``radius_km`` when given. ``trials`` narrows the scan
    (a search result, say) instead of reading every trial of ``store``."""
    if radius_km is not None and radius_km < 0:
        raise QueryError("the radius cannot be negative")
    gazetteer = gazetteer or default_gazetteer()
    if isinstance(location, Place):
        origin = location
    elif isinstance(location, GeoPoint):
        origin = Place(f"{location.lat:.4f}, {location.lon:.4f}", location, None)
    else:
        origin = parse_location(location, gazetteer)
    locator = SiteLocator(gazetteer)
    result = NearResult(origin)
    for trial in trials if trials is not None else store.iter_trials():
        result.scanned += 1
        sites = list(_site_statuses(trial, statuses))
        if not sites:
            continue
        result.recruiting_trials += 1
        best: NearestSite | None = None
        for site in sites:
            located = locator.locate(site)
            if located is None:
                result.unlocated_sites += 1
                continue
            point, source = located
            distance = haversine_km(origin.point, point)
            if best is None or distance < best.distance_km:
                status = trial.status.overall_status
                best = NearestSite(
                    trial.key,
                    trial.title,
                    status.value if status else None,
                    distance,
                    site,
                    point,
                    source,
                    len(sites),
                )
        if best is not None and (radius_km is None or best.distance_km <= radius_km):
            result.trials.append(best)
    result.trials.sort(key=lambda hit: (hit.distance_km, hit.key))
    if limit is not None:
        result.trials = result.trials[:limit]
    return result
