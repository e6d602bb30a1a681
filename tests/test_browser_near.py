"""Locations near me in a real browser (Debian Chromium through Playwright): the search form's place
field offers gazetteer places as you type, and a location search lists hits nearest first, each with
its nearest site and distance; at 1280 px and 390 px, with screenshots in ``artifacts/screenshots/``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from browser_support import Watch, shot, watched_page
from test_browser import total
from web_support import LiveServer, shared_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(web_db: Path) -> LiveServer:
    return shared_server(web_db)


@pytest.mark.parametrize(("width", "height"), [(1280, 900), (390, 844)])
def test_location_search_from_the_form_is_sorted_by_distance(
    browser: Browser, server: LiveServer, width: int, height: int
) -> None:
    pages: Iterator[tuple[Page, Watch]] = watched_page(browser, server, width, height)
    page, _ = next(pages)
    page.goto("/")
    everything = total(page)
    place = page.get_by_label("Near")
    place.fill("Beiji")
    # The type-ahead fills the datalist from the same host.
    expect(page.locator("#place-options option").first).to_have_attribute(
        "value", "Beijing, China", timeout=20_000
    )
    place.fill("Beijing, China")
    page.get_by_label("within").select_option("1000")
    page.get_by_label("Search trials").fill("cancer")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**location=Beijing**")
    found = total(page)
    assert 0 < found < everything
    expect(page.locator("#sorted-by-distance")).to_contain_text("Beijing")
    distances = [
        float(km)
        for km in page.locator(".hit .distance").evaluate_all("nodes => nodes.map(n => n.dataset.km)")
    ]
    assert distances and distances == sorted(distances) and distances[-1] <= 1000
    assert len(distances) == page.locator(".hit").count()
    expect(page.locator(".hit .nearest").first).to_contain_text("Nearest site:")
    shot(page, f"search-near-{width}")
    # The next page carries on from the farthest of this one.
    if page.get_by_role("link", name="Next →").count():
        page.get_by_role("link", name="Next →").click()
        page.wait_for_url("**cursor=**")
        following = page.locator(".hit .distance").first.get_attribute("data-km")
        assert following is not None and float(following) >= distances[-1]
    next(pages, None)
