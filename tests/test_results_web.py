"""The trial page's results section and the search's "results posted" filter, facet and badge, over HTTP."""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from trialatlas.config import shared_data_dir
from trialatlas.services.results import p_value_text
from web_support import HOSTILE_NCT, SCRIPT, LiveServer, shared_server


@pytest.fixture(scope="module")
def client(web_db: Path) -> Iterator[httpx.Client]:
    server: LiveServer = shared_server(web_db)
    with httpx.Client(base_url=server.url, timeout=60, follow_redirects=False) as http:
        yield http


@pytest.fixture(scope="module")
def studies() -> dict[str, dict[str, Any]]:
    path = shared_data_dir() / "ctgov_api_v2_samples" / "ctgov_api_v2_studies.jsonl.gz"
    with gzip.open(path) as handle:
        loaded = (orjson.loads(line) for line in handle)
        return {s["protocolSection"]["identificationModule"]["nctId"]: s for s in loaded}


class Svgs(HTMLParser):
    """Each inline SVG's class and aria-label, as a browser's parser sees them."""

    def __init__(self) -> None:
        super().__init__()
        self.charts: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "svg":
            self.charts.append((found.get("class") or "", found.get("aria-label") or ""))


def charts(html: str) -> list[tuple[str, str]]:
    parser = Svgs()
    parser.feed(html)
    return parser.charts


def _rich(studies: dict[str, dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    """A study with flow, baseline, analysed outcomes and adverse events."""
    for nct, study in sorted(studies.items()):
        section = study.get("resultsSection") or {}
        outcomes = section.get("outcomeMeasuresModule", {}).get("outcomeMeasures", [])
        if (
            section.get("participantFlowModule")
            and section.get("baselineCharacteristicsModule")
            and any(a.get("pValue") for o in outcomes for a in o.get("analyses", []))
            and section.get("adverseEventsModule", {}).get("seriousEvents")
        ):
            return nct, section
    raise AssertionError("no study with every part of a results section")


def test_trial_with_results_shows_each_chart_labelled(
    client: httpx.Client, studies: dict[str, dict[str, Any]]
) -> None:
    nct, section = _rich(studies)
    html = client.get(f"/trials/{nct}").text
    assert 'id="results"' in html and "No results posted" not in html
    assert '<span class="badge results">results posted</span>' in html
    found = charts(html)
    flow = [label for cls, label in found if "flow-chart" in cls]
    periods = section["participantFlowModule"]["periods"]
    assert len(flow) == len(periods)
    assert all(label.startswith("Participant flow") for label in flow)
    measures = [label for cls, label in found if "measure-chart" in cls]
    outcomes = section["outcomeMeasuresModule"]["outcomeMeasures"]
    assert 0 < len(measures) <= len(outcomes)
    assert measures[0].startswith(outcomes[0]["title"][:40].replace("&", "&"))
    assert [label for cls, label in found if "events-chart" in cls] == [
        "Adverse events: share of participants affected, by group"
    ]
    # the analysis is beside its chart, with its p-value as posted
    p_value = next(a["pValue"] for o in outcomes for a in o.get("analyses", []) if a.get("pValue"))
    assert f'<span class="p-value">{p_value_text(p_value)}</span>' in html.replace("&lt;", "<")
    # baseline as a table, adverse events as a sortable table with one row per event
    assert '<table class="baseline">' in html
    events = section["adverseEventsModule"]
    rows = len(events.get("seriousEvents", [])) + len(events.get("otherEvents", []))
    table = re.search(r'<table class="sortable events">(.*?)</table>', html, re.S)
    assert table and table.group(1).count("<tr>") == rows + 1  # the heading row, then one per event
    assert 'data-sort="number"' in table.group(1)
    assert "Source:" in html[html.index('id="results"') :]


def test_trial_without_results_says_so(client: httpx.Client, studies: dict[str, dict[str, Any]]) -> None:
    nct = next(n for n, s in sorted(studies.items()) if not s.get("hasResults") and "resultsSection" not in s)
    html = client.get(f"/trials/{nct}").text
    assert "No results posted" in html
    assert "has not published outcome measurements, participant flow, or safety data" in html
    assert not [c for c, _ in charts(html) if "results-chart" in c]
    assert "badge results" not in html


def test_results_registry_text_stays_text_in_charts_and_tables(client: httpx.Client) -> None:
    html = client.get(f"/trials/{HOSTILE_NCT}").text
    assert "<script>window.__xss" not in html and "<img src=x" not in html
    section = html[html.index('id="results"') :]
    escaped = "&lt;script&gt;window.__xss = 1;"
    assert section.count(escaped) >= 6  # flow, baseline, measure, analysis, events, limitations
    labels = [label for cls, label in charts(html) if "results-chart" in cls]
    assert any("Outcome <script>" in label for label in labels)  # the label a reader hears is the text
    assert SCRIPT not in section


def test_has_results_filter_facet_and_badge(client: httpx.Client) -> None:
    everything = client.get("/api/trials", params={"limit": 1}).json()["total"]
    posted = client.get("/api/trials", params={"has_results": "true", "limit": 100}).json()
    assert 53 <= posted["total"] < everything
    assert all(hit["trial"]["has_results"] for hit in posted["hits"])
    html = client.get("/", params={"has_results": "true"}).text
    hits = html.count('<li class="hit">')
    assert hits == 20
    assert html.count('<span class="badge results">results posted</span>') == hits
    facets = client.get("/", params={"limit": 1}).text
    assert 'data-facet="has_results"' in facets
    unposted = client.get("/", params={"has_results": "false"}).text
    assert unposted.count('<li class="hit">') == 20
    assert "badge results" not in unposted


def test_api_gives_the_results_in_both_shapes(
    client: httpx.Client, studies: dict[str, dict[str, Any]]
) -> None:
    nct, section = _rich(studies)
    model = client.get(f"/api/trials/{nct}").json()
    outcomes = section["outcomeMeasuresModule"]["outcomeMeasures"]
    assert [m["title"] for m in model["results"]["outcome_measures"]] == [m["title"] for m in outcomes]
    ctgov = client.get(f"/api/trials/{nct}", params={"format": "ctgov"}).json()
    assert ctgov["resultsSection"] == section


class BaselineRows(HTMLParser):
    """The cells of each body row of the page's baseline table."""

    def __init__(self) -> None:
        super().__init__()
        self.inside = False
        self.rows: list[list[str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table" and dict(attrs).get("class") == "baseline":
            self.inside = True
        elif self.inside and tag == "tr":
            self.rows.append([])
        elif self.inside and tag in {"td", "th"} and self.rows:
            self.rows[-1].append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self.inside = False


def test_baseline_table_keeps_a_cell_per_group_when_a_group_posted_nothing(
    client: httpx.Client, studies: dict[str, dict[str, Any]]
) -> None:
    """NCT04514523's baseline lists values for the arm and the Total only: each row still has one cell
    per group, so the Total's numbers stay under "Total" and not under the group that posted none."""
    gapped = []
    for nct, study in sorted(studies.items()):
        module = (study.get("resultsSection") or {}).get("baselineCharacteristicsModule") or {}
        ids = [g["id"] for g in module.get("groups", [])]
        for measure in module.get("measures", []):
            for cls in measure.get("classes", []):
                for category in cls.get("categories", []):
                    got = [m["groupId"] for m in category.get("measurements", [])]
                    if got and got != ids:
                        gapped.append((nct, len(ids)))
    assert gapped
    for nct, groups in sorted(set(gapped)):
        parser = BaselineRows()
        parser.feed(client.get(f"/trials/{nct}").text)
        body = [cells for cells in parser.rows[1:] if cells != ["th"]]
        assert body, nct
        assert all(len(cells) == groups + 1 for cells in body), nct


def test_a_measure_with_no_values_is_not_said_to_hold_unplottable_values(
    client: httpx.Client, studies: dict[str, dict[str, Any]]
) -> None:
    from trialatlas.services.results import NO_VALUES

    def outcomes(study: dict[str, Any]) -> list[dict[str, Any]]:
        module = (study.get("resultsSection") or {}).get("outcomeMeasuresModule") or {}
        found: list[dict[str, Any]] = module.get("outcomeMeasures", [])
        return found

    nct = next(
        nct
        for nct, study in sorted(studies.items())
        for o in outcomes(study)
        if o.get("reportingStatus") == "POSTED" and not o.get("classes")
    )
    page = client.get(f"/trials/{nct}").text
    assert NO_VALUES in page
    assert "No value here is a plain number" not in page
