"""A search near a place: the hits of any query and filters, ranked by the distance to their nearest site.

The place is read as ``near`` reads it (offline gazetteer, or "lat, lon"); a site is placed by its
record's coordinates, else by the gazetteer. Every site counts, whatever its status (the status
filter says which trials are wanted); the nearest one is shown with its own status. Trials with no
site that can be placed go last without a distance, or are left out when a radius is given, since
nothing says they are within it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from trialatlas.errors import QueryError
from trialatlas.geo.gazetteer import Place
from trialatlas.geo.near import SiteLocator, default_gazetteer, haversine_km, parse_location
from trialatlas.model import Trial
from trialatlas.search.service import SearchHit, SiteDistance

# A location search's cursor is the offset of its next page: the ranking is recomputed per request
# (and cached by the atlas), so the position is all there is to carry; it is only ever an index.
_CURSOR_PREFIX = "near:"


def place_of(location: str) -> Place:
    return parse_location(location, default_gazetteer())


def nearest_site(trial: Trial, origin: Place, locator: SiteLocator) -> SiteDistance | None:
    """The trial's site nearest ``origin``, or ``None`` when none of its sites can be placed."""
    best: SiteDistance | None = None
    for site in trial.locations:
        located = locator.locate(site)
        if located is None:
            continue
        distance = haversine_km(origin.point, located[0])
        if best is None or distance < best.distance_km:
            best = SiteDistance(
                facility=site.facility,
                city=site.city,
                state=site.state,
                country=site.country,
                status=site.status.value if site.status is not None else None,
                distance_km=round(distance, 1),
            )
    return best


def rank_by_distance(
    hits: Sequence[SearchHit], trials: Iterable[Trial], origin: Place, radius_km: float | None
) -> list[SearchHit]:
    """``hits`` with their nearest site, nearest first (ties keep the search's order), within the radius."""
    locator = SiteLocator(default_gazetteer())
    by_key = {trial.key: trial for trial in trials}
    placed: list[tuple[float, int, SearchHit]] = []
    unplaced: list[SearchHit] = []
    for rank, hit in enumerate(hits):
        trial = by_key.get(hit.trial.key)
        site = nearest_site(trial, origin, locator) if trial is not None else None
        if site is None:
            if radius_km is None:
                unplaced.append(hit)
            continue
        if radius_km is not None and site.distance_km > radius_km:
            continue
        placed.append((site.distance_km, rank, hit.model_copy(update={"nearest_site": site})))
    placed.sort(key=lambda item: (item[0], item[1]))
    return [hit for _, _, hit in placed] + unplaced


def near_offset(cursor: str | None) -> int:
    """The offset a location search's cursor holds (0 for none); a QueryError for anything else."""
    if not cursor:
        return 0
    digits = cursor.removeprefix(_CURSOR_PREFIX)
    if not cursor.startswith(_CURSOR_PREFIX) or not digits.isdigit() or len(digits) > 9:
        raise QueryError("invalid cursor: pass next_cursor of a previous result unchanged")
    return int(digits)


def near_cursor(offset: int, total: int) -> str | None:
    return f"{_CURSOR_PREFIX}{offset}" if offset < total else None


__all__ = ["near_cursor", "near_offset", "nearest_site", "place_of", "rank_by_distance"]
