"""Results sections read from API v2 ``resultsSection`` and legacy XML ``<clinical_results>``, kept in the
store and written as JSONL: every count and value is checked against the source record itself."""

from __future__ import annotations

import gzip
import io
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from lxml import etree

from trialatlas.export.tables import write_jsonl
from trialatlas.model import Trial
from trialatlas.model.results import dispersion_kind, numeric_value, results_code, results_label
from trialatlas.sources import read_path
from trialatlas.store import MemoryStore, SqliteStore


@pytest.fixture(scope="module")
def v2_studies(v2_jsonl: Path) -> dict[str, dict[str, Any]]:
    with gzip.open(v2_jsonl) as handle:
        studies = (orjson.loads(line) for line in handle)
        return {s["protocolSection"]["identificationModule"]["nctId"]: s for s in studies}


@pytest.fixture(scope="module")
def v2_trials(v2_jsonl: Path) -> dict[str, Trial]:
    return {t.nct_id or "": t for t in read_path(v2_jsonl) if isinstance(t, Trial)}


def _xml_members(shared_data: Path) -> Iterator[tuple[str, bytes]]:
    archive = shared_data / "ctgov_format_fixtures" / "ctgov_format_fixtures.tar.gz"
    with tarfile.open(archive) as tar:
        for member in tar:
            if member.name.endswith(".xml"):
                handle = tar.extractfile(member)
                assert handle is not None
                yield member.name, handle.read()


@pytest.fixture(scope="module")
def xml_with_results(shared_data: Path) -> dict[str, tuple[etree._Element, Trial]]:
    archive = shared_data / "ctgov_format_fixtures" / "ctgov_format_fixtures.tar.gz"
    trials = {t.nct_id: t for t in read_path(archive) if isinstance(t, Trial)}
    found: dict[str, tuple[etree._Element, Trial]] = {}
    for _, data in _xml_members(shared_data):
        root = etree.fromstring(data)
        results = root.find("clinical_results")
        if results is not None:
            nct = root.findtext("id_info/nct_id")
            assert nct is not None
            found[nct] = (results, trials[nct])
    return found


# --- API v2 -----------------------------------------------------------------------------------


def test_v2_results_are_read_exactly_where_the_study_has_them(
    v2_studies: dict[str, dict[str, Any]], v2_trials: dict[str, Trial]
) -> None:
    with_section = {nct for nct, s in v2_studies.items() if s.get("resultsSection")}
    assert len(with_section) == 53
    assert {nct for nct, t in v2_trials.items() if t.results is not None} == with_section
    for nct in with_section:
        trial = v2_trials[nct]
        assert trial.has_results is True
        assert not [w for w in trial.sources[0].warnings if "results" in w.lower()]


def test_v2_counts_match_the_source(
    v2_studies: dict[str, dict[str, Any]], v2_trials: dict[str, Trial]
) -> None:
    for nct, trial in v2_trials.items():
        if trial.results is None:
            continue
        section = v2_studies[nct]["resultsSection"]
        outcomes = (section.get("outcomeMeasuresModule") or {}).get("outcomeMeasures") or []
        assert len(trial.results.outcome_measures) == len(outcomes), nct
        events = section.get("adverseEventsModule") or {}
        assert trial.results.adverse_events is not None
        assert len(trial.results.adverse_events.serious_events) == len(events.get("seriousEvents") or [])
        assert len(trial.results.adverse_events.other_events) == len(events.get("otherEvents") or [])
        flow = section.get("participantFlowModule") or {}
        assert trial.results.participant_flow is not None
        assert [g.id for g in trial.results.participant_flow.groups] == [
            g["id"] for g in flow.get("groups", [])
        ]


def test_v2_analyses_keep_method_and_p_value(
    v2_studies: dict[str, dict[str, Any]], v2_trials: dict[str, Trial]
) -> None:
    seen = 0
    for nct, trial in v2_trials.items():
        if trial.results is None:
            continue
        section = v2_studies[nct]["resultsSection"]
        outcomes = (section.get("outcomeMeasuresModule") or {}).get("outcomeMeasures") or []
        for read, source in zip(trial.results.outcome_measures, outcomes, strict=True):
            for analysis, raw in zip(read.analyses, source.get("analyses") or [], strict=True):
                assert analysis.p_value == raw.get("pValue")
                assert analysis.statistical_method == raw.get("statisticalMethod")
                assert analysis.group_ids == raw.get("groupIds", [])
                seen += 1
    assert seen > 50


# --- legacy XML -------------------------------------------------------------------------------


def test_every_legacy_results_section_is_read(
    xml_with_results: dict[str, tuple[etree._Element, Trial]],
) -> None:
    assert len(xml_with_results) >= 22  # SOURCE.md: 22 AACT fixtures, plus the 2023 sample's
    for nct, (_, trial) in xml_with_results.items():
        assert trial.has_results is True
        assert trial.results is not None, nct
        assert not [w for w in trial.sources[0].warnings if "results" in w], nct


def test_legacy_outcomes_and_measurements_match_the_xml(
    xml_with_results: dict[str, tuple[etree._Element, Trial]],
) -> None:
    for nct, (element, trial) in xml_with_results.items():
        assert trial.results is not None
        outcomes = element.findall("outcome_list/outcome")
        assert len(trial.results.outcome_measures) == len(outcomes), nct
        for read, source in zip(trial.results.outcome_measures, outcomes, strict=True):
            raw_values = [
                (m.get("group_id"), m.get("value"), m.get("lower_limit"), m.get("upper_limit"))
                for m in source.iterfind(
                    "measure/class_list/class/category_list/category/measurement_list/measurement"
                )
            ]
            values = [
                (m.group_id, m.value, m.lower_limit, m.upper_limit)
                for c in read.classes
                for cat in c.categories
                for m in cat.measurements
            ]
            assert values == raw_values, (nct, read.title)
            assert len(read.analyses) == len(source.findall("analysis_list/analysis"))
            assert [a.p_value for a in read.analyses] == [
                (a.findtext("p_value") or "").strip() or None
                for a in source.iterfind("analysis_list/analysis")
            ]


def test_legacy_adverse_event_totals_become_group_totals(
    xml_with_results: dict[str, tuple[etree._Element, Trial]],
) -> None:
    totals_seen = 0
    for nct, (element, trial) in xml_with_results.items():
        assert trial.results is not None and trial.results.adverse_events is not None
        events = trial.results.adverse_events
        assert all(
            not e.term.lower().startswith("total, ") for e in events.serious_events + events.other_events
        )
        groups = {g.id: g for g in events.event_groups}
        for event in element.iterfind(
            "reported_events/serious_events/category_list/category/event_list/event"
        ):
            if (event.findtext("sub_title") or "").strip().lower() == "total, serious adverse events":
                for count in event.iterfind("counts"):
                    group = groups[count.get("group_id", "")]
                    assert group.serious_num_affected == int(count.get("subjects_affected", "-1")), nct
                    assert group.serious_num_at_risk == int(count.get("subjects_at_risk", "-1")), nct
                    totals_seen += 1
        listed = [
            e
            for e in element.iterfind(
                "reported_events/serious_events/category_list/category/event_list/event"
            )
            if not (e.findtext("sub_title") or "").strip().lower().startswith("total, ")
        ]
        assert len(events.serious_events) == len(listed), nct
    assert totals_seen > 20


def test_legacy_spellings_become_v2_codes(xml_with_results: dict[str, tuple[etree._Element, Trial]]) -> None:
    params = {
        m.param_type for _, t in xml_with_results.values() if t.results for m in t.results.outcome_measures
    }
    assert "MEAN" in params and "COUNT_OF_PARTICIPANTS" in params
    assert "Mean" not in params
    types = {m.type for _, t in xml_with_results.values() if t.results for m in t.results.outcome_measures}
    assert types <= {"PRIMARY", "SECONDARY", "OTHER_PRE_SPECIFIED", "POST_HOC"}


# --- values -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("12.5", 12.5),
        ("-3", -3.0),
        ("1e-4", 0.0001),
        ("NA", None),
        ("<0.001", None),
        ("", None),
        (None, None),
    ],
)
def test_numeric_value_states_only_exact_numbers(text: str | None, number: float | None) -> None:
    assert numeric_value(text) == number


def test_codes_and_labels() -> None:
    assert results_code("dispersion_type", "95% Confidence Interval") == "CONFIDENCE_95"
    assert results_code("dispersion_type", "Something new") == "Something new"
    assert results_label("STANDARD_DEVIATION") == "Standard deviation"
    assert results_label("Odds Ratio (OR)") == "Odds Ratio (OR)"
    assert dispersion_kind("Standard Deviation") == "plus_minus"
    assert dispersion_kind("CONFIDENCE_95") == "interval"
    assert dispersion_kind(None) is None


# --- JSONL and the store ----------------------------------------------------------------------


def test_results_survive_jsonl_and_both_stores(v2_trials: dict[str, Trial], tmp_path: Path) -> None:
    with_results = [t for t in v2_trials.values() if t.results is not None][:10]
    buffer = io.BytesIO()
    assert write_jsonl(with_results, buffer) == 10
    back = [Trial.model_validate_json(line) for line in buffer.getvalue().splitlines()]
    assert [t.results for t in back] == [t.results for t in with_results]
    for store in (SqliteStore(tmp_path / "atlas.db"), MemoryStore()):
        with store:
            store.upsert_batch(with_results)
            for trial in with_results:
                stored = store.get(trial.key)
                assert stored is not None
                assert stored.results == trial.results
                # provenance like every other field: the source record that gave the results
                assert stored.field_sources["results"] == trial.sources[0].id


def test_a_malformed_results_section_costs_the_results_not_the_trial(
    v2_studies: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    nct, study = next((n, s) for n, s in sorted(v2_studies.items()) if s.get("resultsSection"))
    broken = orjson.loads(orjson.dumps(study))
    events = broken["resultsSection"]["adverseEventsModule"]
    events["eventGroups"][0]["seriousNumAffected"] = "many"  # not a count
    path = tmp_path / "broken.json"
    path.write_bytes(orjson.dumps(broken))
    [trial] = list(read_path(path))
    assert isinstance(trial, Trial) and trial.nct_id == nct
    assert trial.results is None  # unknown, not a guessed number
    assert trial.has_results is True and trial.brief_title
    assert any(w.startswith("resultsSection not read") for w in trial.sources[0].warnings)


def test_legacy_results_that_cannot_be_read_cost_only_the_results(tmp_path: Path) -> None:
    record = """<clinical_study><id_info><nct_id>NCT00000123</nct_id></id_info>
    <brief_title>Broken results</brief_title>
    <clinical_results><reported_events><group_list><group group_id="E1"><title>A</title></group></group_list>
    <serious_events><category_list><category><title>Total</title><event_list><event>
    <sub_title>Total, serious adverse events</sub_title>
    <counts group_id="E1" subjects_affected="several" subjects_at_risk="10"/>
    </event></event_list></category></category_list></serious_events></reported_events></clinical_results>
    </clinical_study>"""
    path = tmp_path / "NCT00000123.xml"
    path.write_text(record, encoding="utf-8")
    [trial] = list(read_path(path))
    assert isinstance(trial, Trial) and trial.brief_title == "Broken results"
    assert trial.has_results is True and trial.results is None
    assert any(w.startswith("clinical_results not read") for w in trial.sources[0].warnings)
