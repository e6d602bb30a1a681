"""A parsed rule said in words ("age 2–18 years", "eGFR ≥ 90 mL/min/1.73m2", "no tacrolimus within 2
years"), for people reading criteria in a terminal or a tooltip rather than the rule's fields."""

from __future__ import annotations

from trialatlas.extract.criteria.rules import (
    AgeRule,
    ConditionRule,
    ConsentRule,
    InfectionRule,
    MeasurementRule,
    MedicationRule,
    NotEvaluableRule,
    PregnancyRule,
    ProcedureRule,
    Rule,
    SexRule,
    TrialParticipationRule,
    Window,
)

_OPERATORS = {"<": "<", "<=": "≤", ">": ">", ">=": "≥", "=": "="}
_MEDICATION = {
    "exposure": "has taken",
    "current": "takes",
    "intolerance": "intolerant of",
    "allergy": "allergic to",
    "failure": "failed",
    "stable_dose": "on a stable dose of",
    "discontinued": "stopped",
    "required": "needs",
}
_PREGNANCY = {
    "pregnant": "pregnant",
    "lactating": "breastfeeding",
    "contraception": "uses contraception",
    "childbearing_potential": "of childbearing potential",
    "negative_test": "negative pregnancy test",
    "planning": "planning a pregnancy",
}
_NOT_EVALUABLE = {
    "investigator_judgement": "investigator's judgement",
    "vague": "too vague to check",
    "administrative": "administrative",
    "other": "not checkable from a record",
}


def _number(value: float) -> str:
    return f"{value:g}"


def _age(rule: AgeRule) -> str:
    low, high = rule.min_years, rule.max_years
    if low is not None and high is not None:
        return f"age {_number(low)}–{_number(high)} years"
    if low is not None:
        return f"age {'≥' if rule.min_inclusive else '>'} {_number(low)} years"
    if high is not None:
        return f"age {'≤' if rule.max_inclusive else '<'} {_number(high)} years"
    return "age"


def _measurement(rule: MeasurementRule) -> str:
    name = rule.name
    if rule.qualitative:
        return f"{name} {rule.qualitative}"
    unit = f" {rule.unit}" if rule.unit else ""
    if rule.uln_multiple or rule.lln_multiple:
        unit = " × ULN" if rule.uln_multiple else " × LLN"
    if rule.operator == "between" and rule.value is not None and rule.value_high is not None:
        return f"{name} {_number(rule.value)}–{_number(rule.value_high)}{unit}"
    if rule.operator and rule.value is not None:
        return f"{name} {_OPERATORS.get(rule.operator, rule.operator)} {_number(rule.value)}{unit}"
    return name


def _window(window: Window | None) -> str:
    if window is None:
        return ""
    return f" ({window.span.text})" if window.span.text else ""


def describe_rule(rule: Rule) -> str:
    """The rule in a few words, with its negation and time window; never the rule's field dump."""
    if isinstance(rule, AgeRule):
        text = _age(rule)
    elif isinstance(rule, SexRule):
        text = "any sex" if rule.sex == "all" else rule.sex
    elif isinstance(rule, ConditionRule):
        qualifiers = f" ({', '.join(rule.qualifiers)})" if rule.qualifiers else ""
        listed = f" {rule.class_kind or 'class'} {', '.join(rule.classes)}" if rule.classes else ""
        course = f" [{', '.join(rule.course)}]" if rule.course else ""
        text = f"has {rule.name}{qualifiers}{listed}{course}"
    elif isinstance(rule, MeasurementRule):
        text = _measurement(rule)
    elif isinstance(rule, MedicationRule):
        drugs = ", ".join(rule.drugs) or rule.name
        kind = f" ({rule.drug_class})" if rule.drug_class and rule.drug_class not in drugs else ""
        text = f"{_MEDICATION.get(rule.relation, rule.relation)} {drugs}{kind}"
        if rule.dose is not None:
            text += f" {rule.dose.text}"
    elif isinstance(rule, ProcedureRule):
        text = f"had {rule.name}"
    elif isinstance(rule, PregnancyRule):
        text = _PREGNANCY.get(rule.aspect, rule.aspect)
    elif isinstance(rule, InfectionRule):
        text = f"{rule.pathogen} {rule.status}" if rule.status != "any" else f"{rule.pathogen} infection"
    elif isinstance(rule, TrialParticipationRule):
        text = "in another trial"
    elif isinstance(rule, ConsentRule):
        text = {"consent": "gives consent", "compliance": "can comply", "language": "language"}.get(
            rule.aspect, rule.aspect
        )
    elif isinstance(rule, NotEvaluableRule):
        return f"not checkable: {_NOT_EVALUABLE.get(rule.reason, rule.reason)}"
    else:  # pragma: no cover - the union is closed
        text = str(rule.kind)
    if rule.experiencer == "family":
        text = f"family history: {text}"
    if rule.negated:
        text = f"not: {text}"
    return text + _window(rule.window)
