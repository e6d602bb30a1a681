"""The landscape's chart text is read at its drawn size: an SVG chart scales with its card, so a label's
CSS font size is multiplied by the chart's scale on screen. At a phone's 390 px the labels, counts and
year ticks must stay readable (12 px or more as drawn) and whole (none cut at the chart's edge), and a
wide screen must not blow them up."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from browser_support import Watch, shot, watched_page
from web_support import LiveServer, shared_server

pytestmark = pytest.mark.browser

# The drawn size of every text of a chart: its computed font size times the SVG's scale on screen.
DRAWN_SIZES = """
() => [...document.querySelectorAll("svg.chart text")].map((text) => {
  const svg = text.ownerSVGElement;
  const box = text.getBBox();
  return {
    chart: text.closest("figure").id,
    text: text.textContent,
    css: parseFloat(getComputedStyle(text).fontSize),
    drawn: parseFloat(getComputedStyle(text).fontSize) * svg.getScreenCTM().a,
    inside: box.x >= 0 && box.x + box.width <= svg.viewBox.baseVal.width,
  };
})
"""
READABLE_PX = 12.0
# On a desktop the charts may grow, but not to headline size.
LARGEST_PX = 18.0


@pytest.fixture(scope="module")
def server(web_db: Path) -> LiveServer:
    return shared_server(web_db)


def _drawn_sizes(browser: Browser, server: LiveServer, width: int, height: int) -> list[dict[str, object]]:
    pages: Iterator[tuple[Page, Watch]] = watched_page(browser, server, width, height)
    page, _ = next(pages)
    page.goto("/landscape?q=cancer")
    expect(page.locator("svg.chart")).to_have_count(5)
    sizes: list[dict[str, object]] = page.evaluate(DRAWN_SIZES)
    shot(page, f"landscape-text-{width}")
    next(pages, None)  # closes the page and checks the watch
    return sizes


def test_chart_labels_are_readable_on_a_phone(browser: Browser, server: LiveServer) -> None:
    sizes = _drawn_sizes(browser, server, 390, 844)
    charts = {str(size["chart"]) for size in sizes}
    assert {"chart-phase", "chart-start_year", "chart-country", "chart-sponsor_class"} <= charts
    small = [size for size in sizes if float(str(size["drawn"])) < READABLE_PX]
    assert small == [], f"{len(small)} of {len(sizes)} chart texts drawn under {READABLE_PX}px: {small[:3]}"
    # Drawn larger, a label must still fit its chart: none is cut at an edge.
    assert [size for size in sizes if not size["inside"]] == []


def test_chart_labels_stay_in_proportion_on_a_wide_screen(browser: Browser, server: LiveServer) -> None:
    sizes = _drawn_sizes(browser, server, 1280, 900)
    drawn = [float(str(size["drawn"])) for size in sizes]
    assert drawn and min(drawn) >= READABLE_PX and max(drawn) <= LARGEST_PX, (min(drawn), max(drawn))
