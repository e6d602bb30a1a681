"""Search near a place: any query and filters, hits ranked by the distance to their nearest site,
through the application core (so the REST API and the page answer alike)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from trialatlas.api import create_app
from trialatlas.errors import QueryError
from trialatlas.geo import haversine_km, parse_location
from trialatlas.model import GeoPoint, Location, OverallStatus, StatusInfo, Trial
from trialatlas.services.atlas import Atlas
from trialatlas.services.models import SearchRequest
from trialatlas.store import SqliteStore

BEIJING = GeoPoint(lat=39.9075, lon=116.39723)


def trial(nct: str, condition: str, sites: list[Location], status: OverallStatus) -> Trial:
    return Trial(
        nct_id=nct,
        brief_title=f"A study of {condition} ({nct})",
        status=StatusInfo(overall_status=status),
        conditions=[condition],
        locations=sites,
    )


@pytest.fixture()
def db(tmp_path: Path) -> Path:
    path = tmp_path / "atlas.db"
    store = SqliteStore(path)
    recruiting = OverallStatus.RECRUITING
    store.upsert_batch(
        [
            trial("NCT00000010", "asthma", [Location(city="Shanghai", country="China")], recruiting),
            trial(
                "NCT00000020",
                "asthma",
                [
                    Location(city="Shanghai", country="China"),
                    Location(facility="PUFH", city="Beijing", country="China", geo=BEIJING),
                ],
                OverallStatus.COMPLETED,
            ),
            trial("NCT00000030", "asthma", [Location(city="Chengdu", country="China")], recruiting),
            trial("NCT00000040", "asthma", [Location(city="Nowhereville Xyz", country="China")], recruiting),
            trial("NCT00000050", "psoriasis", [Location(city="Tianjin", country="China")], recruiting),
        ]
    )
    store.close()
    return path


@pytest.fixture()
def atlas(db: Path) -> Atlas:
    return Atlas(SqliteStore(db))


def test_location_ranks_hits_of_the_query_by_distance(atlas: Atlas) -> None:
    results = atlas.search({"q": "asthma", "location": "Beijing, China"})
    keys = [hit.trial.key for hit in results.hits]
    # Beijing's own site first, Shanghai then Chengdu; the unplaceable site last; psoriasis not asked.
    assert keys == ["NCT00000020", "NCT00000010", "NCT00000030", "NCT00000040"]
    first = results.hits[0].nearest_site
    assert first is not None and first.facility == "PUFH" and first.distance_km < 1
    distances = [hit.nearest_site.distance_km for hit in results.hits[:3] if hit.nearest_site]
    assert distances == sorted(distances) and len(distances) == 3
    origin = parse_location("Beijing, China").point
    shanghai = parse_location("Shanghai, China").point
    assert distances[1] == pytest.approx(haversine_km(origin, shanghai), abs=0.1)
    assert results.hits[3].nearest_site is None
    assert results.origin and "Beijing" in results.origin


def test_radius_and_filters_combine_and_pages_follow(atlas: Atlas) -> None:
    within = atlas.search({"q": "asthma", "location": "Beijing, China", "radius_km": 1100})
    assert [hit.trial.key for hit in within.hits] == ["NCT00000020", "NCT00000010"]
    assert within.total == 2
    recruiting = atlas.search({"q": "asthma", "location": "Beijing, China", "status": ["RECRUITING"]})
    assert [hit.trial.key for hit in recruiting.hits] == ["NCT00000010", "NCT00000030", "NCT00000040"]
    first = atlas.search({"location": "Beijing, China", "limit": 2})
    assert len(first.hits) == 2 and first.next_cursor and first.total == 5
    second = atlas.search({"location": "Beijing, China", "limit": 2, "cursor": first.next_cursor})
    assert [h.trial.key for h in first.hits + second.hits][:3] == [
        "NCT00000020",
        "NCT00000050",
        "NCT00000010",
    ]
    everything = list(atlas.iter_hits(atlas_request(limit=2)))
    assert len(everything) == 5 and everything[0].trial.key == "NCT00000020"


def atlas_request(limit: int) -> SearchRequest:
    return SearchRequest(location="Beijing, China", limit=limit)


def test_bad_location_radius_and_cursor_are_refused(atlas: Atlas) -> None:
    with pytest.raises(QueryError, match="gazetteer"):
        atlas.search({"location": "Qqqzzz Xyzzy"})
    with pytest.raises(QueryError, match="location"):
        atlas.search({"radius_km": 10})
    with pytest.raises(QueryError, match="cursor"):
        atlas.search({"location": "Beijing, China", "cursor": "near:x1"})


def test_the_api_searches_near_a_place(db: Path) -> None:
    client = TestClient(create_app(str(db), warm=False))
    answer = client.get(
        "/api/trials", params={"q": "asthma", "location": "Beijing, China", "radius_km": 1100}
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [hit["trial"]["key"] for hit in body["hits"]] == ["NCT00000020", "NCT00000010"]
    assert body["hits"][0]["nearest_site"]["facility"] == "PUFH"
    assert client.get("/api/trials", params={"location": "Qqqzzz Xyzzy"}).status_code in {400, 422}


def test_place_suggestions_read_back_as_locations(db: Path) -> None:
    client = TestClient(create_app(str(db), warm=False))
    places = client.get("/api/places", params={"q": "Hangz"}).json()
    assert places and places[0].startswith("Hangzhou")
    assert all(name.lower().startswith("hangz") for name in places)
    for place in places[:3]:
        assert parse_location(place).name.lower().startswith("hangz")
    portland = client.get("/api/places", params={"q": "portland"}).json()
    assert any(place.endswith(", United States") for place in portland)
    assert client.get("/api/places", params={"q": "h"}).json() == []
