"""The landscape page: start years on a linear axis (empty years shown), trials without a value
counted instead of dropped, registry codes by their names, and every chart downloadable as SVG and
its data as CSV (the same numbers as the page)."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from xml.etree import ElementTree

import pytest
from fastapi.testclient import TestClient

from trialatlas.api import create_app
from trialatlas.model import (
    AgencyClass,
    Design,
    Location,
    OverallStatus,
    PartialDate,
    Phase,
    Sponsor,
    StatusInfo,
    Trial,
)
from trialatlas.store import SqliteStore

HOSTILE_COUNTRY = 'Atlantis <script>alert(1)</script> & "co"'


def _trial(
    nct: str, phases: list[Phase], start: str | None, agency: AgencyClass | None, country: str | None
) -> Trial:
    return Trial(
        nct_id=nct,
        brief_title=f"Asthma study {nct}",
        status=StatusInfo(
            overall_status=OverallStatus.RECRUITING, start_date=PartialDate(date=start) if start else None
        ),
        design=Design(phases=phases),
        lead_sponsor=Sponsor(name="Someone", agency_class=agency) if agency else None,
        locations=[Location(city="Paris", country=country)] if country else [],
    )


@pytest.fixture()
def client(tmp_path: Path) -> TestClient:
    path = tmp_path / "atlas.db"
    store = SqliteStore(path)
    store.upsert_batch(
        [
            _trial("NCT00000310", [Phase.PHASE2], "2010-03", AgencyClass.INDIV, "France"),
            # Phases 1 and 2 at once: counted in both bars, and not as "phase not given".
            _trial("NCT00000320", [Phase.PHASE1, Phase.PHASE2], "2013", AgencyClass.NIH, HOSTILE_COUNTRY),
            _trial("NCT00000330", [], None, None, None),
        ]
    )
    store.close()
    return TestClient(create_app(str(path), warm=False))


def _rows(client: TestClient, facet: str, **params: str) -> list[list[str]]:
    answer = client.get(f"/landscape/{facet}.csv", params={"q": "asthma", **params})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    assert answer.headers["content-disposition"] == f'attachment; filename="trials-by-{facet}.csv"'
    return list(csv.reader(io.StringIO(answer.text)))


def test_start_years_run_on_a_linear_axis_with_empty_years(client: TestClient) -> None:
    rows = _rows(client, "start_year")
    assert rows[0] == ["start_year", "label", "trials"]
    assert rows[1:] == [
        ["2010", "2010", "1"],
        ["2011", "2011", "0"],
        ["2012", "2012", "0"],
        ["2013", "2013", "1"],
        ["", "Start date not given", "1"],
    ]


def test_trials_without_a_value_are_counted(client: TestClient) -> None:
    assert _rows(client, "phase")[1:] == [
        ["PHASE1", "Phase 1", "1"],
        ["PHASE2", "Phase 2", "2"],
        ["", "Phase not given", "1"],
    ]
    # With a phase chosen, the phase chart is counted without that choice, its "not given" too.
    assert _rows(client, "phase", phase="1")[-1] == ["", "Phase not given", "1"]
    assert _rows(client, "country")[-1] == ["", "No site country given", "1"]


def test_codes_read_by_their_names(client: TestClient) -> None:
    labels = {row[0]: row[1] for row in _rows(client, "sponsor_class")[1:]}
    assert labels == {"INDIV": "Individual", "NIH": "NIH", "": "Sponsor class not given"}
    html = client.get("/landscape", params={"q": "asthma"}).text
    assert "Individual" in html and "Indiv<" not in html and "Nih" not in html


def test_the_page_shows_the_counts_and_links_the_downloads(client: TestClient) -> None:
    html = client.get("/landscape", params={"q": "asthma"}).text
    phase = html.split('id="chart-phase"', 1)[1].split("</figure>", 1)[0]
    assert re.search(r"Phase not given: <strong>1</strong>", phase)
    assert 'href="/landscape/phase.svg?q=asthma"' in phase and 'href="/landscape/phase.csv?q=asthma"' in phase
    years = html.split('id="chart-start_year"', 1)[1].split("</figure>", 1)[0]
    assert years.count('class="chart-bar"') == 4  # 2010 to 2013, the empty years as zero-height columns


def test_chart_downloads_are_standalone_svg(client: TestClient) -> None:
    for facet in ("phase", "status", "start_year", "country", "sponsor_class"):
        answer = client.get(f"/landscape/{facet}.svg", params={"q": "asthma"})
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("image/svg+xml")
        assert answer.headers["content-disposition"] == f'attachment; filename="trials-by-{facet}.svg"'
        root = ElementTree.fromstring(answer.content)  # well-formed XML: every label escaped
        namespace = "{http://www.w3.org/2000/svg}"
        assert root.tag == f"{namespace}svg" and root.get("role") == "img"
        assert root.find(f"{namespace}title") is not None
        bars = [rect for rect in root.iter(f"{namespace}rect") if "chart-bar" in (rect.get("class") or "")]
        assert bars and all(rect.get("fill") for rect in bars)  # coloured without the page's stylesheet
    country = client.get("/landscape/country.svg", params={"q": "asthma"}).text
    assert "<script>alert" not in country and "&lt;script&gt;alert(1)&lt;/script&gt;" in country


def test_an_unknown_chart_is_refused(client: TestClient) -> None:
    answer = client.get("/landscape/sponsor.csv")
    assert answer.status_code == 400 and "charts are phase, status" in answer.text
