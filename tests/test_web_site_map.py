"""The trial page's sites: each with its own recruitment status and contacts where the record gives
them, and a map drawn on the server from the vendored world-atlas outlines, sites placed by the
record's coordinates else by the gazetteer."""

from __future__ import annotations

import re
from pathlib import Path
from xml.etree import ElementTree

import pytest
from fastapi.testclient import TestClient

from trialatlas.api import create_app
from trialatlas.model import Contact, GeoPoint, Location, OverallStatus, StatusInfo, Trial
from trialatlas.services.nearby import placed_sites
from trialatlas.store import SqliteStore
from trialatlas.web.site_map import countries, site_map

BEIJING = GeoPoint(lat=39.9075, lon=116.39723)
HOSTILE = '<script>window.__xss=1</script>"><img src=x onerror=alert(1)>'


def _mapped_trial() -> Trial:
    return Trial(
        nct_id="NCT00000210",
        brief_title="A study with sites",
        status=StatusInfo(overall_status=OverallStatus.RECRUITING),
        locations=[
            Location(
                facility=f"Peking Hospital {HOSTILE}",
                city="Beijing",
                country="China",
                geo=BEIJING,
                status=OverallStatus.RECRUITING,
                contacts=[Contact(name="Dr Li Wei", phone="+86 10 1234 5678", email="li.wei@example.org")],
            ),
            Location(
                facility="Ruijin Hospital", city="Shanghai", country="China", status=OverallStatus.COMPLETED
            ),
            Location(facility="Nowhere Clinic", city="Nowhereville Xyz", country="China"),
        ],
    )


@pytest.fixture()
def client(tmp_path: Path) -> TestClient:
    path = tmp_path / "atlas.db"
    store = SqliteStore(path)
    store.upsert_batch([_mapped_trial(), Trial(nct_id="NCT00000220", brief_title="A study without sites")])
    store.close()
    return TestClient(create_app(str(path), warm=False))


def test_the_vendored_atlas_decodes_into_countries() -> None:
    world = {country.name: country for country in countries()}
    assert len(world) > 150
    lon0, lon1, lat0, lat1 = world["China"].bbox
    # China spans about 73-135° E and 18-54° N.
    assert 70 < lon0 < 76 and 133 < lon1 < 136 and 17 < lat0 < 22 and 52 < lat1 < 55


def test_sites_are_placed_by_the_record_else_by_the_gazetteer() -> None:
    placed = placed_sites(_mapped_trial())
    assert placed[0].point == BEIJING and not placed[0].approximate
    shanghai = placed[1].point
    assert shanghai is not None and placed[1].approximate
    assert abs(shanghai.lat - 31.2) < 0.5 and abs(shanghai.lon - 121.5) < 0.5
    assert placed[2].point is None


def test_the_map_zooms_to_the_sites_and_places_them() -> None:
    drawn = site_map(placed_sites(_mapped_trial()))
    assert drawn is not None and not drawn.world
    assert (drawn.placed, drawn.approximate, drawn.unplaced) == (2, 1, 1)
    beijing, shanghai = drawn.dots
    # North is up and east is right, both inside the picture.
    assert beijing.y < shanghai.y and beijing.x < shanghai.x
    for dot in drawn.dots:
        assert 0 < dot.x < drawn.width and 0 < dot.y < drawn.height
    names = [country.name for country in drawn.countries]
    assert "China" in names and "Brazil" not in names
    # The countries with sites are marked by the country the record names (all three sites: China).
    marked = {country.name: country.sites for country in drawn.countries if country.sites}
    assert marked == {"China": 3}
    assert beijing.status == "RECRUITING" and "Peking Hospital" in beijing.label


def test_sites_across_the_world_are_shown_on_the_world_map() -> None:
    trial = _mapped_trial().model_copy(
        update={"locations": [*_mapped_trial().locations, Location(city="Boston", country="United States")]}
    )
    drawn = site_map(placed_sites(trial))
    assert drawn is not None and drawn.world
    boston = drawn.dots[-1]
    assert boston.x < drawn.dots[0].x  # west of Beijing
    assert site_map(placed_sites(Trial(nct_id="NCT00000230", brief_title="none"))) is None


def test_trial_page_lists_sites_with_status_and_contacts_and_maps_them(client: TestClient) -> None:
    html = client.get("/trials/NCT00000210").text
    figure = html.split('<figure class="site-map" id="site-map">', 1)[1].split("</figure>", 1)[0]
    svg = figure[figure.index("<svg") : figure.index("</svg>") + 6]
    root = ElementTree.fromstring(svg)  # well-formed: every label escaped
    assert root.get("role") == "img" and root.get("aria-labelledby") == "site-map-title site-map-desc"
    namespace = "{http://www.w3.org/2000/svg}"
    assert root.find(f"{namespace}title").text == "Map of the trial's sites"  # type: ignore[union-attr]
    assert "2 of 3 sites placed, 1 of them by their city" in root.find(f"{namespace}desc").text  # type: ignore[union-attr]
    dots = root.findall(f".//{namespace}circle")
    assert len(dots) == 2
    assert HOSTILE in (dots[0].find(f"{namespace}title").text or "")  # type: ignore[union-attr]
    assert "status-recruiting" in (dots[0].get("class") or "")
    assert "approximate" in (dots[1].get("class") or "")
    assert "1 could not be placed" in figure
    assert re.search(r'<path d="[^"]+" class="has-sites"><title>China: 3 sites</title>', figure)
    sites = html.split('<section id="locations"', 1)[1].split("</section>", 1)[0]
    assert "<script>window.__xss" not in sites and "&lt;script&gt;window.__xss" in sites
    assert re.search(r"Ruijin Hospital, Shanghai</span>\s*<span[^>]*>Completed</span>", sites)
    assert re.search(
        r"Nowhere Clinic, Nowhereville Xyz</span>\s*<span[^>]*>site status not given</span>", sites
    )
    assert "not on the map" in sites
    assert "Dr Li Wei" in sites and "+86 10 1234 5678" in sites
    assert 'href="mailto:li.wei%40example.org"' in sites


def test_trial_without_sites_has_no_map(client: TestClient) -> None:
    html = client.get("/trials/NCT00000220").text
    assert "site-map" not in html and 'id="locations"' not in html


def test_outlines_crossing_the_antimeridian_are_cut_not_drawn_across() -> None:
    trial = Trial(
        nct_id="NCT00000240",
        brief_title="Sites on both sides of the Pacific",
        locations=[
            Location(city="Suva", country="Fiji", geo=GeoPoint(lat=-18.14, lon=178.44)),
            Location(city="Lima", country="Peru", geo=GeoPoint(lat=-12.05, lon=-77.04)),
        ],
    )
    drawn = site_map(placed_sites(trial))
    assert drawn is not None and drawn.world
    outlines = {country.name: country.path for country in drawn.countries}
    assert "Fiji" in outlines and "Russia" in outlines
    for name in ("Fiji", "Russia"):
        for subpath in outlines[name].split("M")[1:]:
            steps = subpath.split("l", 1)[1].rstrip("z").split()
            assert all(abs(int(step.split(",")[0])) < drawn.width / 2 for step in steps), name
