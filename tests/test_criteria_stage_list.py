"""A stage written once before a list of cancers is asked of each of them."""

from __future__ import annotations

from trialatlas.extract.criteria import parse_text
from trialatlas.extract.criteria.rules import ConditionRule
from trialatlas.match.patient import profile_from_note
from trialatlas.match.verdict import evaluate_criterion
from verdict_support import parsed_criterion

LISTED = "Stage III or IV ovarian carcinoma, primary peritoneal carcinoma, or fallopian tube carcinoma"


def _classes(text: str) -> dict[str, list[str]]:
    return {r.name: r.classes for r in parse_text(text, "inclusion") if isinstance(r, ConditionRule)}


def test_the_stage_is_carried_to_each_cancer_of_the_list() -> None:
    classes = _classes(LISTED)
    assert classes["ovarian carcinoma"] == ["3", "4"]
    assert classes["fallopian tube carcinoma"] == ["3", "4"]


def test_the_stage_stops_at_a_new_clause_and_at_what_is_not_a_cancer() -> None:
    assert _classes("Stage II colon cancer; lung cancer")["lung cancer"] == []
    assert _classes("Stage III breast cancer or diabetes")["diabetes"] == []


def test_an_early_stage_of_a_listed_cancer_does_not_meet_it() -> None:
    note = "58-year-old woman with FIGO stage II fallopian tube carcinoma after surgery."
    parsed = parsed_criterion(LISTED)
    assert evaluate_criterion(parsed, profile_from_note(note)).status != "met"
