"""Parsed rules said in words (terminal, tooltips): negation, windows and units kept, no field dumps."""

from __future__ import annotations

import re
from pathlib import Path

from trialatlas.extract.criteria import parse_eligibility
from trialatlas.extract.criteria.describe import describe_rule
from trialatlas.extract.criteria.rules import (
    AgeRule,
    MeasurementRule,
    MedicationRule,
    NotEvaluableRule,
    SexRule,
    Span,
    Window,
)
from trialatlas.model import Trial
from trialatlas.sources import read_path


def span(text: str) -> Span:
    return Span(start=0, end=len(text), text=text)


def test_rules_read_as_words() -> None:
    assert describe_rule(AgeRule(span=span("2 to 18"), min_years=2, max_years=18)) == "age 2–18 years"
    assert describe_rule(AgeRule(span=span("over 65"), min_years=65, min_inclusive=False)) == "age > 65 years"
    egfr = MeasurementRule(
        span=span("eGFR >= 90"), name="eGFR", name_span=span("eGFR"), operator=">=", value=90, unit="mL/min"
    )
    assert describe_rule(egfr) == "eGFR ≥ 90 mL/min"
    alt = MeasurementRule(
        span=span("ALT > 2 x ULN"),
        name="ALT",
        name_span=span("ALT"),
        operator=">",
        value=2,
        uln_multiple=True,
    )
    assert describe_rule(alt) == "ALT > 2 × ULN"
    window = Window(span=span("within 2 years"), relation="within", amount=2, unit="years")
    no_tac = MedicationRule(
        span=span("No tacrolimus"), name="tacrolimus", drugs=["tacrolimus"], negated=True, window=window
    )
    assert describe_rule(no_tac) == "not: has taken tacrolimus (within 2 years)"
    assert describe_rule(SexRule(span=span("female"), sex="female")) == "female"
    assert describe_rule(NotEvaluableRule(span=span("judgement"))).startswith("not checkable")


def test_no_parsed_criterion_of_the_target_trials_reads_as_a_field_dump(target_trials: Path) -> None:
    described = 0
    for trial in read_path(target_trials):
        assert isinstance(trial, Trial)
        e = trial.eligibility
        for criterion in parse_eligibility(e.criteria_text, e.inclusion, e.exclusion):
            for rule in criterion.rules:
                text = describe_rule(rule)
                assert text and not re.search(r"\b[a-z_]+=", text), text
                described += 1
    assert described > 50
