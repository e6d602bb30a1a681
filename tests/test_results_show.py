"""``show`` prints a trial's results in an 80-column terminal, and says so when none are posted."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest

from trialatlas.model import Trial
from trialatlas.model.results import Results
from trialatlas.services.results import NO_RESULTS, p_value_text, results_view
from trialatlas.sources import read_path


def run(*args: str) -> str:
    env = dict(os.environ, COLUMNS="80")
    env.pop("TRIALATLAS_DB", None)
    done = subprocess.run(
        [sys.executable, "-m", "trialatlas", *args], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _first_analysed(v2_jsonl: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The first study whose results hold an analysis with a p-value, and the first with no results."""
    with_p: dict[str, Any] | None = None
    without: dict[str, Any] | None = None
    with gzip.open(v2_jsonl) as handle:
        for line in handle:
            study = orjson.loads(line)
            section = study.get("resultsSection")
            if section is None and without is None and not study.get("hasResults"):
                without = study
            outcomes = (section or {}).get("outcomeMeasuresModule", {}).get("outcomeMeasures", [])
            if with_p is None and any(a.get("pValue") for o in outcomes for a in o.get("analyses", [])):
                with_p = study
            if with_p and without:
                return with_p, without
    raise AssertionError("the shared records hold no study with an analysed outcome")


@pytest.fixture(scope="module")
def shown(v2_jsonl: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str, str]:
    with_p, without = _first_analysed(v2_jsonl)
    folder = tmp_path_factory.mktemp("results_show")
    studies = folder / "two.jsonl"
    studies.write_bytes(orjson.dumps(with_p) + b"\n" + orjson.dumps(without) + b"\n")
    db = folder / "atlas.db"
    run("ingest", "--db", str(db), str(studies))
    ids = [s["protocolSection"]["identificationModule"]["nctId"] for s in (with_p, without)]
    return with_p, run("show", "--db", str(db), ids[0]), run("show", "--db", str(db), ids[1])


def test_results_section_fits_80_columns(shown: tuple[dict[str, Any], str, str]) -> None:
    _, with_results, without = shown
    for text in (with_results, without):
        assert max(len(line) for line in text.splitlines()) <= 80
        assert "Results" in text


def test_results_section_shows_flow_measures_analyses_and_events(
    shown: tuple[dict[str, Any], str, str],
) -> None:
    study, text, _ = shown
    flat = " ".join(text.split())
    section = study["resultsSection"]
    assert "Participant flow" in text and "started" in text
    assert "Outcome measures" in text and "Adverse events" in text
    first = section["outcomeMeasuresModule"]["outcomeMeasures"][0]
    assert " ".join(first["title"].split())[:30] in flat.replace("│ ", "").replace(" │", "")
    p_values = [
        a["pValue"]
        for o in section["outcomeMeasuresModule"]["outcomeMeasures"]
        for a in o.get("analyses", [])
        if a.get("pValue")
    ]
    assert p_value_text(p_values[0]) in flat
    groups = [g["title"] for g in section["participantFlowModule"]["groups"]]
    assert all(g.split()[0] in text for g in groups)


def test_no_results_is_said(shown: tuple[dict[str, Any], str, str]) -> None:
    _, with_results, without = shown
    assert NO_RESULTS in without
    assert NO_RESULTS not in with_results


def test_error_bars_come_only_from_stated_limits_or_plus_minus(v2_jsonl: Path) -> None:
    trials = [t for t in read_path(v2_jsonl) if isinstance(t, Trial) and t.results is not None]
    bars = 0
    for trial in trials:
        assert isinstance(trial.results, Results)
        for measure in results_view(trial.results).outcomes:
            for row in measure.rows:
                for value in row.values:
                    if value.low is not None:
                        bars += 1
                        assert value.high is not None and value.number is not None
                        assert value.low <= value.high
                    if value.number is None:
                        # "NA" or "<0.001" is shown as written and never drawn
                        assert value.low is None and value.high is None
    assert bars > 100


@pytest.mark.parametrize(
    ("posted", "shown"), [("0.03", "p = 0.03"), ("<0.001", "p < 0.001"), ("> 0.05", "p > 0.05"), ("", "")]
)
def test_p_values_read_as_posted(posted: str, shown: str) -> None:
    assert p_value_text(posted) == shown


def test_every_shared_results_section_renders_in_80_columns(v2_jsonl: Path, shared_data: Path) -> None:
    from rich.console import Console

    from trialatlas.cli.show import render_trial
    from trialatlas.web.results_charts import results_page

    archive = shared_data / "ctgov_format_fixtures" / "ctgov_format_fixtures.tar.gz"
    trials = [t for p in (v2_jsonl, archive) for t in read_path(p) if isinstance(t, Trial) and t.results]
    assert len(trials) >= 53 + 22
    for trial in trials:
        console = Console(width=80, record=True, force_terminal=False)
        for part in render_trial(trial):
            console.print(part)
        text = console.export_text()
        assert max(len(line) for line in text.splitlines()) <= 80, trial.nct_id
        assert "Results" in text and NO_RESULTS not in text
        page = results_page(trial)
        assert page.view is not None
        assert len(page.flow_charts) == len(page.view.flow)
        charted = [p for p in page.outcomes if p.chart is not None]
        assert all('role="img"' in str(p.chart) and "aria-label=" in str(p.chart) for p in charted)


def _shared_results(v2_jsonl: Path, shared_data: Path) -> list[Trial]:
    archive = shared_data / "ctgov_format_fixtures" / "ctgov_format_fixtures.tar.gz"
    return [t for p in (v2_jsonl, archive) for t in read_path(p) if isinstance(t, Trial) and t.results]


def test_each_group_keeps_its_own_column_when_a_group_posted_no_value(
    v2_jsonl: Path, shared_data: Path
) -> None:
    """A category that lists values for some groups only (NCT04514523: "Clinicians" analysed 0, the
    Total posted) gives every group its place, the missing ones empty, so no value moves under
    another group's title (the page's baseline table lays values out by position)."""
    gapped = 0
    for trial in _shared_results(v2_jsonl, shared_data):
        assert trial.results is not None
        view = results_view(trial.results)
        baseline = trial.results.baseline
        if baseline is None:
            continue
        titles = [g.title or g.id for g in baseline.groups]
        assert view.baseline_groups == titles
        for measure, shown in zip(baseline.measures, view.baseline, strict=True):
            posted = [
                {m.group_id: m.value for m in category.measurements}
                for cls in measure.classes
                for category in cls.categories
            ]
            for values, row in zip(posted, shown.rows, strict=True):
                if 0 < len(values) < len(titles):
                    gapped += 1
                assert [v.group for v in row.values] == titles, trial.nct_id
                assert [v.value for v in row.values] == [values.get(g.id) for g in baseline.groups]
    assert gapped > 0


def test_a_measure_with_no_values_says_so_with_the_numbers_analysed(
    v2_jsonl: Path, shared_data: Path
) -> None:
    """A posted measure without a single value (terminated trials: 0 analysed, "analysis ... was not
    performed") says "No values posted", the participants analysed per group and why, rather than a
    title alone (``show``) or an empty table under "nothing is drawn" (the page)."""
    from rich.console import Console

    from trialatlas.cli.show import render_trial
    from trialatlas.services.results import NO_VALUES

    empty = 0
    for trial in _shared_results(v2_jsonl, shared_data):
        assert trial.results is not None
        view = results_view(trial.results)
        blank = [
            m
            for m in view.outcomes + view.baseline
            if m.posted and not any(v.value is not None for row in m.rows for v in row.values)
        ]
        for measure in blank:
            assert not measure.has_values
            denoms = measure.analysed
            assert all(n is not None for _, n in denoms) or not denoms
        if not blank:
            continue
        empty += len(blank)
        console = Console(width=80, record=True, force_terminal=False)
        for part in render_trial(trial):
            console.print(part)
        text = console.export_text()
        assert text.count(NO_VALUES) == len(blank), trial.nct_id
        for measure in blank:
            if measure.analysed:
                group, n = measure.analysed[0]
                assert f"{group} {n}" in " ".join(text.split()), (trial.nct_id, measure.title)
    assert empty >= 5
