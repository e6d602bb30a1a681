"""A blood pressure limit written as a pair ("BP > 180/110 mmHg", "blood pressure < 140/90") against the
note's systolic and diastolic readings ("Blood pressure 196/118 mm Hg").

The criteria reader keeps the pair's first number as the value of ``blood_pressure``; the note reader
records ``sbp`` and ``dbp``. Above a pair is above either number (hypertension is systolic or
diastolic pressure over its limit); below a pair is below both.
"""

from __future__ import annotations

import re
from functools import cache

from trialatlas.extract.criteria.rules import MeasurementRule
from trialatlas.match.logic import compare
from trialatlas.match.patient import Evidence, PatientMeasurement, PatientProfile
from trialatlas.text.packaged import packaged_json

_PAIR = re.compile(r"(?P<systolic>\d{2,3})\s*/\s*(?P<diastolic>\d{2,3})")
PairReading = tuple[str, str, list[Evidence]]


def _latest(patient: PatientProfile, analyte: str) -> PatientMeasurement | None:
    readings = [m for m in patient.measurements if m.analyte == analyte and m.present and m.canonical_value]
    return readings[-1] if readings else None


def pair_reading(rule: MeasurementRule, patient: PatientProfile) -> PairReading | None:
    """``(truth, reason, evidence)`` for a blood pressure pair limit, or None when the rule is no pair
    or the note gives no systolic and diastolic reading."""
    if (
        rule.analyte != "blood_pressure"
        or rule.value_span is None
        or rule.operator not in (">", ">=", "<", "<=")
    ):
        return None
    pair = _PAIR.search(rule.value_span.text)
    systolic, diastolic = _latest(patient, "sbp"), _latest(patient, "dbp")
    if pair is None or systolic is None or diastolic is None:
        return None
    limit_s, limit_d = float(pair["systolic"]), float(pair["diastolic"])
    value_s, value_d = systolic.canonical_value or 0.0, diastolic.canonical_value or 0.0
    # Above a pair is above either number; below a pair is below both.
    above_s = compare(value_s, rule.operator, limit_s)
    above_d = compare(value_d, rule.operator, limit_d)
    holds = (above_s or above_d) if rule.operator in (">", ">=") else (above_s and above_d)
    reason = f"blood pressure {value_s:g}/{value_d:g} vs {rule.operator} {pair.group(0)}"
    evidence = [e for e in (systolic.evidence,) if e is not None]
    return ("true" if holds else "false", reason, evidence)


@cache
def _control_limits() -> dict[str, dict[str, list[float]]]:
    limits: dict[str, dict[str, list[float]]] = packaged_json("trialatlas.match", "judge_cues.json")[
        "uncontrolled_by_value"
    ]
    return limits


def control_by_value(concept: str, patient: PatientProfile) -> tuple[bool, str, list[Evidence]] | None:
    """Whether the note's readings show ``concept`` uncontrolled (True) or controlled (False), where every
    usual definition agrees ("hypertension … blood pressure 182/104 despite three drugs"); None between
    the thresholds or without readings (``uncontrolled_by_value`` in ``judge_cues.json``)."""
    limits = _control_limits().get(concept)
    if not limits:
        return None
    readings = {analyte: _latest(patient, analyte) for analyte in limits}
    if any(reading is None for reading in readings.values()):
        return None
    values = {analyte: reading.canonical_value or 0.0 for analyte, reading in readings.items() if reading}
    shown = "/".join(f"{values[a]:g}" for a in limits)
    evidence = [e for r in readings.values() if r is not None and (e := r.evidence) is not None][:1]
    if any(values[a] >= high for a, (_, high) in limits.items()):
        return True, f"{shown}: uncontrolled by any definition", evidence
    if all(values[a] < low for a, (low, _) in limits.items()):
        return False, f"{shown}: controlled by any definition", evidence
    return None


@cache
def _opposites() -> dict[str, re.Pattern[str]]:
    table: dict[str, list[str]] = packaged_json("trialatlas.match", "judge_cues.json")["qualifier_opposites"]
    return {q: re.compile("|".join(f"(?:{w})" for w in words), re.IGNORECASE) for q, words in table.items()}


def denied_qualifiers(missing: list[str], clause: str) -> bool:
    """Whether the clause states the opposite of every qualifier in ``missing`` ("stable" for
    "uncontrolled"), so the condition is there but not as the criterion asks."""
    return bool(missing) and all(q in _opposites() and _opposites()[q].search(clause) for q in missing)
