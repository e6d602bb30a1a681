"""The regimen chart in a real browser (Debian's headless Chromium): readable at 390 px and 1280 px, no
label cut off, the axis the regimen's real span, an accessible table beside it. Screenshots of both
widths land in ``artifacts/screenshots/`` for a person to look at."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from browser_support import SHOTS
from trialatlas.config import shared_data_dir
from trialatlas.model import Trial
from trialatlas.sources import read_path
from trialatlas.store import open_store
from web_support import LiveServer, start

pytestmark = pytest.mark.browser

SEED = "NCT05916781"  # month phases, a stopped steroid, a randomised choice of MMF or TAC
TAPER = "NCT04048161"  # "qod or qd" alternatives, a taper target, "Total duration: 1 year"
BANDS = "NCT03200002"  # weight bands, a monthly course, a vial strength and a diluent
WIDTHS = {"phone": (390, 844), "desk": (1280, 900)}


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    data = shared_data_dir()
    folder = Path(tempfile.mkdtemp(prefix="trialatlas-chart-"))
    store = open_store(str(folder / "atlas.db"))
    seed = data.parent / "seeds" / "000_da00d0962da73a1a.txt"
    found = [*read_path(data / "ctgov_target_trials"), *read_path(seed, reader_name="registry-page")]
    store.upsert_batch([t for t in found if isinstance(t, Trial)])
    store.close()
    live = start(folder / "atlas.db")
    yield live
    live.stop()


def _page(browser: Browser, server: LiveServer, size: tuple[int, int]) -> Page:
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, base_url=server.url)
    return context.new_page()


# Every text of the chart: its box, and the chart's own width (read in the browser, after layout).
_TEXT_BOXES = """svg => {
  const width = svg.viewBox.baseVal.width;
  return {width, boxes: [...svg.querySelectorAll('text')].map(t => {
    const b = t.getBBox(); return {x: b.x, right: b.x + b.width, text: t.textContent};
  })};
}"""


@pytest.mark.parametrize("nct", [SEED, TAPER, BANDS])
@pytest.mark.parametrize("layout", [360, 900])
def test_no_label_is_cut_off(browser: Browser, server: LiveServer, nct: str, layout: int) -> None:
    page = _page(browser, server, (layout + 40, 900))
    page.goto(f"/api/trials/{nct}/regimen?format=svg&width={layout}")
    measured = page.locator("svg").evaluate(_TEXT_BOXES)
    assert measured["width"] == layout
    cut = [b["text"] for b in measured["boxes"] if b["x"] < 0 or b["right"] > measured["width"] + 0.5]
    assert cut == [], f"labels running off the {layout} px chart: {cut}"
    page.context.close()


@pytest.mark.parametrize("name", list(WIDTHS))
def test_chart_is_readable_at_phone_and_desk_width(browser: Browser, server: LiveServer, name: str) -> None:
    page = _page(browser, server, WIDTHS[name])
    for nct in (SEED, TAPER, BANDS):
        page.goto(f"/trials/{nct}")
        chart = page.locator("#regimen img")
        chart.scroll_into_view_if_needed()
        expect(chart).to_have_js_property("complete", True)
        natural, shown = chart.evaluate("img => [img.naturalWidth, img.getBoundingClientRect().width]")
        # The layout drawn for the screen is shown at (nearly) its own size: text is not shrunk.
        assert natural in (360, 900)
        assert shown / natural >= 0.85, f"{nct}: a {natural} px chart squeezed into {shown} px"
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0
        # The table beside the chart says the same in text.
        expect(page.locator("#regimen table.doses").first).to_be_visible()
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.locator("#regimen figure").screenshot(
            path=str(SHOTS / f"regimen-{nct}-{name}.png"), caret="initial"
        )
    page.context.close()


def test_chart_tells_the_issue_cases_right(browser: Browser, server: LiveServer) -> None:
    page = _page(browser, server, WIDTHS["desk"])
    page.goto(f"/trials/{SEED}")
    table = page.locator("#regimen").inner_text()
    # The steroid is not drawn after it stops; MMF + TAC continue in maintenance; monotherapy is a choice.
    assert "18–30 months" in table
    for line in table.splitlines():
        if line.startswith(("6–18 months", "18–30 months", "18–24 months", "24–30 months")):
            assert "glucocorticoid" not in line and "steroid\t" not in line, line
    assert "(continued)" in table
    assert "mycophenolate mofetil or tacrolimus\tone or the other" in table
    page.goto(f"/trials/{TAPER}")
    table = page.locator("#regimen").inner_text()
    assert "week 0 to 52" in table
    assert "QOD oral or 0.5–0.75 mg/kg/day QD oral" in table and "→ taper to 5 mg/day" in table
    page.context.close()
