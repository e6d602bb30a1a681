"""The everyday ClinicalTrials.gov workflows in a real browser (Debian Chromium through Playwright),
at 1280 px and 390 px, with screenshots in ``artifacts/screenshots/``: the search form's Condition,
Intervention, Other terms and Location fields with its status starting at recruiting and not yet
recruiting (one click to all), the trial page's labelled site map, and the landscape's charts with
their SVG and CSV downloads. Nothing may be asked of another host, nothing logged as an error."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from browser_support import Watch, shot, watched_page
from test_browser import TARGET, total
from web_support import LiveServer, shared_server

pytestmark = pytest.mark.browser

SIZES = [(1280, 900), (390, 844)]
OPEN_STATUSES = {"Recruiting", "Not yet recruiting"}


@pytest.fixture(scope="module")
def server(web_db: Path) -> LiveServer:
    return shared_server(web_db)


@pytest.fixture(params=SIZES, ids=["1280", "390"])
def sized(request: pytest.FixtureRequest, browser: Browser, server: LiveServer) -> Iterator[tuple[Page, int]]:
    width, height = request.param
    pages: Iterator[tuple[Page, Watch]] = watched_page(browser, server, width, height)
    page, _ = next(pages)
    yield page, width
    next(pages, None)  # closes the page and checks the watch


def no_sideways_scroll(page: Page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px"


def test_search_form_fields_and_status_default(sized: tuple[Page, int]) -> None:
    page, width = sized
    page.goto("/")
    for name in ("Condition or disease", "Intervention or treatment", "Other terms", "Location: near"):
        expect(page.get_by_label(name, exact=True)).to_be_visible()
    expect(page.get_by_label("Recruiting and not yet recruiting")).to_be_checked()
    expect(page.get_by_label("All statuses")).not_to_be_checked()
    no_sideways_scroll(page)
    shot(page, f"search-form-{width}", full=False)
    page.get_by_label("Condition or disease", exact=True).fill("cancer")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**cond=cancer**")
    assert "status=RECRUITING" in page.url and "status=NOT_YET_RECRUITING" in page.url
    narrowed = total(page)
    assert narrowed > 0
    statuses = set(page.locator(".hit .badge.status").all_inner_texts())
    assert statuses and statuses <= OPEN_STATUSES
    expect(page.get_by_label("Condition or disease", exact=True)).to_have_value("cancer")
    expect(page.get_by_label("Recruiting and not yet recruiting")).to_be_checked()
    shot(page, f"search-fields-{width}")
    # One click to every status: the same search, the status dropped.
    page.locator("#all-statuses").click()
    page.wait_for_url(re.compile(r"/\?cond=cancer$"))
    assert total(page) > narrowed
    expect(page.get_by_label("All statuses")).to_be_checked()
    expect(page.get_by_label("Condition or disease", exact=True)).to_have_value("cancer")
    assert set(page.locator(".hit .badge.status").all_inner_texts()) - OPEN_STATUSES or total(page) > narrowed


def test_trial_page_site_map_is_present_and_labelled(sized: tuple[Page, int]) -> None:
    page, width = sized
    page.goto(f"/trials/{TARGET}")
    figure = page.locator("#site-map")
    site_map = page.get_by_role("img", name="Map of the trial's sites")
    expect(site_map).to_be_visible()
    box = site_map.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 150
    dots = figure.locator("circle.site-dot")
    placed = int(re.match(r"(\d+) of (\d+)", figure.locator("figcaption").inner_text()).group(1))  # type: ignore[union-attr]
    assert dots.count() == placed > 0
    # Every dot names its site; every dot lies inside the map.
    titles = dots.locator("title").all_text_contents()
    assert all(title.strip() for title in titles)
    for index in range(dots.count()):
        dot = dots.nth(index).bounding_box()
        assert dot is not None
        assert (
            box["x"] <= dot["x"] <= box["x"] + box["width"]
            and box["y"] <= dot["y"] <= box["y"] + box["height"]
        )
    assert figure.locator(".map-countries path").count() > 3
    sites = page.locator("#locations li.site")
    assert sites.count() == len(page.locator("#locations .site-status").all())
    no_sideways_scroll(page)
    page.locator("#site-map").scroll_into_view_if_needed()
    shot(page, f"trial-site-map-{width}", full=False)


def test_landscape_charts_and_downloads(sized: tuple[Page, int]) -> None:
    page, width = sized
    page.goto("/landscape?q=cancer")
    expect(page.locator("svg.chart")).to_have_count(5)
    for chart in ("phase", "status", "start_year", "country", "sponsor_class"):
        figure = page.locator(f"#chart-{chart}")
        expect(figure.locator("svg.chart")).to_have_attribute("role", "img")
        expect(figure.locator(".not-given").first).to_be_visible()
    expect(page.locator("#chart-phase")).to_contain_text("Phase not given")
    labels = page.locator("#chart-sponsor_class .chart-label").all_text_contents()
    assert labels and not {"Nih", "Indiv", "Fed", "Other gov"} & set(labels)
    # A linear year axis: one column per year from the first to the last.
    years = page.locator("#chart-start_year .chart-bar")
    assert years.count() >= 10
    no_sideways_scroll(page)
    shot(page, f"landscape-{width}")
    # The links the page offers, fetched as the browser would (this Chromium build does not report
    # downloads to Playwright, so the answers are read through the page's own request context).
    svg_link = page.locator("#chart-phase .chart-download").first
    assert svg_link.get_attribute("download") is not None
    svg = page.request.get(svg_link.get_attribute("href") or "")
    assert svg.headers["content-disposition"] == 'attachment; filename="trials-by-phase.svg"'
    assert svg.text().startswith('<?xml version="1.0"') and "Phase not given" in svg.text()
    csv_link = page.locator("#chart-start_year .chart-download").nth(1)
    data = page.request.get(csv_link.get_attribute("href") or "")
    assert data.headers["content-disposition"] == 'attachment; filename="trials-by-start_year.csv"'
    lines = data.text().splitlines()
    assert lines[0] == "start_year,label,trials" and len(lines) - 2 == years.count()
