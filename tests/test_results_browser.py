"""Study results in a real browser (Debian Chromium through Playwright): a trial with results shows every
chart, each exposed as a labelled image, the adverse event table sorts, and a trial without results says
so; at 1280 px and at 390 px, with screenshots in ``artifacts/screenshots/``."""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from playwright.sync_api import Browser, Page, expect

from browser_support import SHOTS, Watch, watched_page
from test_results_web import _rich
from trialatlas.config import shared_data_dir
from web_support import LiveServer, shared_server

pytestmark = pytest.mark.browser

WIDTHS = {"desk": (1280, 900), "phone": (390, 844)}


@pytest.fixture(scope="module")
def studies() -> dict[str, dict[str, Any]]:
    path = shared_data_dir() / "ctgov_api_v2_samples" / "ctgov_api_v2_studies.jsonl.gz"
    with gzip.open(path) as handle:
        loaded = (orjson.loads(line) for line in handle)
        return {s["protocolSection"]["identificationModule"]["nctId"]: s for s in loaded}


@pytest.fixture(scope="module")
def server(web_db: Path) -> LiveServer:
    return shared_server(web_db)


@pytest.fixture(params=list(WIDTHS))
def screen(
    request: pytest.FixtureRequest, browser: Browser, server: LiveServer
) -> Iterator[tuple[str, Page, Watch]]:
    width, height = WIDTHS[request.param]
    for page, watch in watched_page(browser, server, width, height):
        yield request.param, page, watch


def _fits(page: Page, width: int) -> None:
    # Nothing but the scrolling table boxes may be wider than the screen.
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width


def test_trial_with_results_shows_each_chart_labelled(
    screen: tuple[str, Page, Watch], studies: dict[str, dict[str, Any]]
) -> None:
    name, page, _ = screen
    nct, section = _rich(studies)
    page.goto(f"/trials/{nct}")
    results = page.locator("#results")
    expect(results.get_by_role("heading", name="Study results")).to_be_visible()
    expect(page.locator(".trial-head .badge.results")).to_have_text("results posted")
    periods = section["participantFlowModule"]["periods"]
    flow = results.get_by_role("img", name=re.compile(r"^Participant flow"))
    expect(flow).to_have_count(len(periods))
    first_outcome = section["outcomeMeasuresModule"]["outcomeMeasures"][0]["title"]
    measures = results.locator("svg.measure-chart")
    assert measures.count() >= 1
    label = measures.first.get_attribute("aria-label") or ""
    assert label.startswith(" ".join(first_outcome.split())[:30]) or first_outcome[:30] in label
    expect(
        results.get_by_role("img", name="Adverse events: share of participants affected, by group")
    ).to_be_visible()
    # every chart is a labelled image with something drawn in it
    for chart in results.locator("svg.results-chart").all():
        assert chart.get_attribute("role") == "img"
        assert (chart.get_attribute("aria-label") or "").strip()
        box = chart.bounding_box()
        assert box is not None and box["width"] > 100 and box["height"] > 20
    expect(results.locator(".analyses .p-value").first).to_be_visible()
    expect(results.locator("table.baseline")).to_be_visible()
    width = WIDTHS[name][0]
    _fits(page, width)
    results.screenshot(path=str(_shot(f"results-{name}")), caret="initial")
    results.locator("#participant-flow").screenshot(path=str(_shot(f"results-flow-{name}")), caret="initial")
    analysed = results.locator("article.measure", has=page.locator(".p-value")).first
    analysed.screenshot(path=str(_shot(f"results-measure-{name}")), caret="initial")


def test_adverse_event_table_sorts(
    screen: tuple[str, Page, Watch], studies: dict[str, dict[str, Any]]
) -> None:
    name, page, _ = screen
    nct, _ = _rich(studies)
    page.goto(f"/trials/{nct}")
    table = page.locator("table.sortable.events")
    table.scroll_into_view_if_needed()
    organ = table.get_by_role("button", name="Organ system")
    organ.click()
    expect(table.locator("th").nth(1)).to_have_attribute("aria-sort", "ascending")
    systems = [s.strip().lower() for s in table.locator("tbody tr td:nth-child(2)").all_inner_texts()]
    assert systems == sorted(systems)
    organ.click()
    expect(table.locator("th").nth(1)).to_have_attribute("aria-sort", "descending")
    systems = [s.strip().lower() for s in table.locator("tbody tr td:nth-child(2)").all_inner_texts()]
    assert systems == sorted(systems, reverse=True)
    # a group's column sorts by its rate, most frequent first
    table.locator("thead th").nth(3).get_by_role("button").click()
    rates = [
        float(v or -1)
        for v in table.locator("tbody tr td:nth-child(4)").evaluate_all(
            "cells => cells.map(c => c.getAttribute('data-value'))"
        )
    ]
    assert rates == sorted(rates, reverse=True) and rates[0] > 0
    table.screenshot(path=str(_shot(f"results-events-{name}")), caret="initial")


def test_trial_without_results_says_so(
    screen: tuple[str, Page, Watch], studies: dict[str, dict[str, Any]]
) -> None:
    name, page, _ = screen
    nct = next(n for n, s in sorted(studies.items()) if not s.get("hasResults") and "resultsSection" not in s)
    page.goto(f"/trials/{nct}")
    results = page.locator("#results")
    expect(results.get_by_text("No results posted")).to_be_visible()
    expect(results.locator("svg")).to_have_count(0)
    _fits(page, WIDTHS[name][0])
    results.screenshot(path=str(_shot(f"no-results-{name}")), caret="initial")


def test_results_posted_filter_from_the_search_page(screen: tuple[str, Page, Watch]) -> None:
    name, page, _ = screen
    page.goto("/?has_results=true")
    hits = page.locator(".hit")
    expect(hits).to_have_count(20)
    expect(page.locator(".hit .badge.results")).to_have_count(20)
    page.screenshot(path=str(_shot(f"search-results-posted-{name}")), full_page=False, caret="initial")


def _shot(name: str) -> object:
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS / f"{name}.png"


def test_every_trial_with_results_fits_a_phone(
    browser: Browser, server: LiveServer, studies: dict[str, dict[str, Any]]
) -> None:
    # Room audit2: 6 of the sample's 53 trials with results were wider than a 390 px screen (by 8 to
    # 38 px): the outcome measures table, whose long words ("Adherence/Acceptability") set its width.
    width, height = WIDTHS["phone"]
    with_results = sorted(nct for nct, study in studies.items() if "resultsSection" in study)
    assert len(with_results) > 40
    for page, _ in watched_page(browser, server, width, height):
        wide = []
        for nct in with_results:
            page.goto(f"/trials/{nct}")
            if page.evaluate("() => document.documentElement.scrollWidth") > width:
                wide.append(nct)
        assert wide == []
        page.goto("/trials/NCT02945046")
        page.locator("#outcomes").screenshot(path=str(_shot("outcomes-phone")), caret="initial")


# The smallest text a results chart may draw on screen, in CSS px, once its SVG is scaled to the page.
SMALLEST_TEXT_PX = 10.0


def test_results_chart_text_stays_readable_on_a_phone(
    browser: Browser, server: LiveServer, studies: dict[str, dict[str, Any]]
) -> None:
    """At 390 px a results chart is scaled to about three quarters of its drawn width: its axis ticks
    (11 px drawn) came out at 8.2 px on screen (room audit3), below the labels' 11 px."""
    width, height = WIDTHS["phone"]
    nct, _ = _rich(studies)
    for page, _ in watched_page(browser, server, width, height):
        page.goto(f"/trials/{nct}")
        sizes = page.evaluate(
            """() => [...document.querySelectorAll('#results svg.results-chart text')]
                .filter(t => t.textContent.trim())
                .map(t => {
                  const svg = t.ownerSVGElement;
                  const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
                  return [t.getAttribute('class') || '', parseFloat(getComputedStyle(t).fontSize) * scale];
                })"""
        )
        assert sizes
        small = sorted({cls for cls, px in sizes if px < SMALLEST_TEXT_PX})
        assert small == [], (nct, small, min(px for _, px in sizes))
