"""End to end in a real browser: Debian's headless Chromium, driven by Playwright, against the real server.

Each test also checks that the page asked nothing of any other host and logged no error (a CSP
violation, a failed script). Screenshots land in ``artifacts/screenshots/`` for a person to look at.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from browser_support import SHOTS, Watch, shot, watched_page
from web_support import HOSTILE_NCT, LiveServer, shared_server

pytestmark = pytest.mark.browser

TARGET = "NCT04048161"


@pytest.fixture(scope="module")
def server(web_db: Path) -> LiveServer:
    return shared_server(web_db)


@pytest.fixture
def desk(browser: Browser, server: LiveServer) -> Iterator[tuple[Page, Watch]]:
    yield from watched_page(browser, server, 1280, 900)


@pytest.fixture
def phone(browser: Browser, server: LiveServer) -> Iterator[tuple[Page, Watch]]:
    yield from watched_page(browser, server, 390, 844)


def total(page: Page) -> int:
    return int(page.locator("#total").inner_text())


def test_search_facets_and_paging(desk: tuple[Page, Watch]) -> None:
    page, _ = desk
    page.goto("/")
    everything = total(page)
    page.get_by_label("Search trials").fill("cancer")
    page.get_by_label("All statuses").check()  # the form starts with recruiting or not yet
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**/?q=cancer")
    found = total(page)
    assert 0 < found < everything
    expect(page.locator(".hit").first).to_be_visible()
    shot(page, "search")
    page.locator('.facet-value[data-facet="phase"][data-value="PHASE2"]').click()
    page.wait_for_url("**phase=PHASE2**")
    narrowed = total(page)
    assert 0 < narrowed < found
    phases = page.locator(".hit .badge.phase").all_inner_texts()
    assert "Phase 2" in phases
    shot(page, "search-faceted")
    # The URL is the whole state: opening it afresh shows the same search.
    url = page.url
    page.goto(url)
    assert total(page) == narrowed and page.get_by_label("Search trials").input_value() == "cancer"
    # Paging.
    page.goto("/?limit=5")
    first = page.locator(".hit h3 a").first.inner_text()
    page.get_by_role("link", name="Next →").click()
    page.wait_for_url("**cursor=**")
    assert page.locator(".hit h3 a").first.inner_text() != first
    assert page.locator("ol.hits").get_attribute("start") == "6"
    page.get_by_role("link", name="← Previous").click()
    # expect() polls without evaluating strings (the page's CSP refuses eval, so wait_for_function
    # fails whenever its first check is too early).
    expect(page.locator("ol.hits")).to_have_attribute("start", "1")
    assert page.locator(".hit h3 a").first.inner_text() == first


def test_search_explains_expansions_and_malformed_queries(desk: tuple[Page, Watch]) -> None:
    page, watch = desk
    page.goto("/")
    page.get_by_label("Search trials").fill("MMF")
    page.get_by_label("All statuses").check()
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**/?q=MMF")
    expect(page.locator(".understood .expansion")).to_contain_text("expanded: MMF → mycophenolate mofetil")
    expect(page.locator(".hit .snippet mark").first).to_be_visible()
    assert "mycophenolate" in page.locator(".hit .snippet mark").all_inner_texts()[0].lower()
    shot(page, "search-expanded")
    # A malformed query answers 400 with the page itself: the message shows, the query stays in the box.
    page.get_by_label("Search trials").fill("(lupus OR")
    page.get_by_role("button", name="Search").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("needs a word, phrase or group on both sides")
    assert page.get_by_label("Search trials").input_value() == "(lupus OR"
    assert page.locator(".hit").count() == 0
    shot(page, "search-malformed")
    # The browser logs the 400 itself as a failed load; nothing else may be logged.
    watch.errors = [error for error in watch.errors if "status of 400" not in error]


def test_trial_page_with_timeline_and_doses(desk: tuple[Page, Watch]) -> None:
    page, _ = desk
    page.goto("/?q=tacrolimus+nephrotic")
    page.locator(f'.hit a[href="/trials/{TARGET}"]').click()
    page.wait_for_url(f"**/trials/{TARGET}")
    expect(page.locator("h1")).to_contain_text("Tacrolimus vs Mycophenolate Mofetil")
    chart = page.locator("#regimen img")
    chart.scroll_into_view_if_needed()
    expect(chart).to_have_js_property("complete", True)
    assert chart.evaluate("img => img.naturalWidth") >= 600
    expect(page.locator("#regimen table.doses caption").first).to_have_text("Tacrolimus(Group A)")
    expect(page.locator("#eligibility mark.value").first).to_be_visible()
    page.locator("#regimen").screenshot(path=str(SHOTS / "trial-timeline.png"), caret="initial")
    page.locator("#eligibility").screenshot(path=str(SHOTS / "trial-eligibility.png"), caret="initial")
    # The dose calculator answers in place (htmx), without leaving the page.
    page.get_by_label("Weight (kg)").fill("70")
    page.get_by_role("button", name="Work out doses").click()
    expect(page.locator("#dose-result caption")).to_have_text("Doses for 70 kg")
    expect(page.locator("#dose-result")).to_contain_text("3.5–7 mg")
    assert page.url.endswith(f"/trials/{TARGET}")
    shot(page, "trial")


def test_compare_from_search(desk: tuple[Page, Watch]) -> None:
    page, _ = desk
    page.goto("/?q=lupus+nephritis")
    boxes = page.locator('.hit input[name="ids"]')
    assert boxes.count() >= 2
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.get_by_role("button", name="Compare selected").click()
    page.wait_for_url("**/compare?ids=**")
    table = page.locator("table.compare")
    expect(table).to_be_visible()
    assert table.locator("thead th").count() == 3
    expect(table).to_contain_text("Eligibility differences")
    expect(table.locator("tr.differs").first).to_be_visible()
    shot(page, "compare")


def test_match_a_patient(desk: tuple[Page, Watch]) -> None:
    page, _ = desk
    page.goto("/match")
    page.get_by_label("Age (years)").fill("9")
    page.get_by_label("Sex").select_option("male")
    page.get_by_label("Conditions").fill("nephrotic syndrome")
    page.get_by_label("Labs").fill("eGFR 100 mL/min/1.73m2")
    page.get_by_role("button", name="Find trials").click()
    results = page.locator(".matches > li")
    expect(results.first).to_be_visible()
    expect(results.first.locator("h3 a")).to_have_attribute("href", f"/trials/{TARGET}")
    results.first.locator("summary").click()
    marks = results.first.locator(".verdicts .mark").all_inner_texts()
    assert "✓" in marks and "?" in marks
    assert page.url.endswith("/match")  # nothing about the patient goes into the address
    shot(page, "match")


def test_landscape_charts(desk: tuple[Page, Watch]) -> None:
    page, _ = desk
    page.goto("/landscape?q=cancer")
    charts = page.locator("svg.chart")
    expect(charts).to_have_count(5)
    assert page.locator("#chart-phase .chart-bar").count() >= 3
    box = charts.first.bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 50
    shot(page, "landscape")


def test_phone_width_pages_fit(phone: tuple[Page, Watch]) -> None:
    page, _ = phone
    for name, url in (
        ("phone-search", "/?q=lupus"),
        ("phone-trial", f"/trials/{TARGET}"),
        ("phone-compare", f"/compare?ids={TARGET},NCT03580291"),
        ("phone-landscape", "/landscape"),
    ):
        page.goto(url)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{url} scrolls sideways by {overflow}px"
        shot(page, name, full=False)


# The width a select needs to show its chosen option whole: the text, its padding and the arrow.
_SELECT_CUT = """() => [...document.querySelectorAll('select')]
.filter(s => s.offsetParent !== null).map(s => {
  const style = getComputedStyle(s);
  const ctx = document.createElement('canvas').getContext('2d');
  ctx.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
  const text = s.options[s.selectedIndex]?.text ?? '';
  const padding = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
  const need = ctx.measureText(text).width + padding + 20;
  return [s.name, text, Math.round(need - s.clientWidth)];
}).filter(([, , short]) => short > 0)"""


def test_phone_width_form_choices_are_not_cut(phone: tuple[Page, Watch]) -> None:
    # At 390 px the match form's "Trials" choice read "open to enrolme": the grid's 10rem columns were
    # narrower than the option. Every visible select shows its chosen option whole.
    page, _ = phone
    for url in ("/match", "/?q=lupus"):
        page.goto(url)
        assert page.evaluate(_SELECT_CUT) == [], url


def test_keyboard_only(desk: tuple[Page, Watch]) -> None:
    page, _ = desk
    page.goto("/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "q"
    page.keyboard.type("lupus")
    page.keyboard.press("Enter")
    page.wait_for_url("**q=lupus")  # with the form's statuses: recruiting or not yet
    assert total(page) >= 4
    # Every link and control on the page can be reached with Tab and shows where focus is.
    page.keyboard.press("Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"


def test_hostile_trial_stays_text_in_the_browser(desk: tuple[Page, Watch]) -> None:
    page, _ = desk
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    for url in (
        f"/trials/{HOSTILE_NCT}",
        "/?q=hostile",
        f"/compare?ids={HOSTILE_NCT},{TARGET}",
        "/landscape?q=hostile",
    ):
        page.goto(url)
        page.wait_for_load_state("load")
        assert page.evaluate("window.__xss") is None, url
        assert page.locator("script:not([src])").count() == 0
        assert page.locator("img[onerror], svg[onload]").count() == 0
    page.goto(f"/trials/{HOSTILE_NCT}")
    expect(page.locator("h1")).to_contain_text('<script>window.__xss = 1; alert("xss")</script>')
    shot(page, "hostile-trial")
    assert dialogs == []


def test_api_docs_render_from_vendored_files(desk: tuple[Page, Watch]) -> None:
    page, _ = desk
    page.goto("/docs")
    operations = page.locator(".opblock")
    expect(operations.first).to_be_visible(timeout=20_000)
    assert operations.count() >= 9
    expect(page.locator(".opblock-summary-path", has_text="/api/match")).to_be_visible()
    shot(page, "api-docs", full=False)
