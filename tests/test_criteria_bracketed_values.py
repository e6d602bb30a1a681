"""A lab threshold in brackets after its name ("ALT (more than 3 times the ULN)", "Creatinine
(> 1.5 mg/dL)") is that lab's threshold, and a list of labs before it shares it."""

from __future__ import annotations

from trialatlas.extract.criteria import parse_text
from trialatlas.extract.criteria.rules import MeasurementRule


def _measurements(text: str) -> list[tuple[str | None, str | None, float | None, bool]]:
    return [
        (r.analyte, r.operator, r.value, r.uln_multiple)
        for r in parse_text(text, "exclusion")
        if isinstance(r, MeasurementRule)
    ]


def test_a_bracketed_threshold_belongs_to_the_name_before_it() -> None:
    assert _measurements("Creatinine (> 1.5 mg/dL)") == [("creatinine", ">", 1.5, False)]
    assert _measurements("Platelets (at least 100,000/mm3)") == [("platelets", ">=", 100000.0, False)]


def test_a_list_of_labs_shares_the_bracketed_multiple_of_the_uln() -> None:
    assert _measurements("Abnormal AST or ALT (more than 3 times the upper limit of normal (ULN))") == [
        ("ast", ">", 3.0, True),
        ("alt", ">", 3.0, True),
    ]


def test_a_bracketed_abbreviation_is_still_part_of_the_name() -> None:
    rules = parse_text("Hemoglobin (Hb) less than 9 g/dL", "inclusion")
    rules = [r for r in rules if isinstance(r, MeasurementRule)]
    assert [(r.name, r.analyte, r.value) for r in rules] == [("Hemoglobin (Hb)", "hemoglobin", 9.0)]
