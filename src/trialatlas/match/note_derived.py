"""Values a note states in another form than a criterion asks for them: vital signs under the short
names notes use ("T 38.9 C", "saturating 89%"), height and weight without their word ("5 feet 4
inches tall", "250 pounds"), and values that follow from others the note gives (the absolute
neutrophil count from a white count and its differential, the BMI from weight and height).

Cue words are data (``note_cues.json``); a derived value names what it was computed from, so a
clinician sees why a criterion was decided."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from trialatlas.extract.criteria.parsers.measurement import read_note_value
from trialatlas.match.patient_model import (
    PatientMeasurement,
    PatientProfile,
    canonical_measurement,
    evidence_at,
)
from trialatlas.text.packaged import packaged_json


@cache
def _cues() -> dict[str, Any]:
    cues: dict[str, Any] = packaged_json("trialatlas.match", "note_cues.json")
    return cues


@cache
def _abbreviated_vitals() -> tuple[tuple[str, re.Pattern[str], re.Pattern[str]], ...]:
    return tuple(
        (item["analyte"], re.compile(item["name"], re.I), re.compile(item["unit"], re.I))
        for item in _cues()["abbreviated_vital_signs"]
    )


@cache
def _differential() -> tuple[re.Pattern[str], re.Pattern[str]]:
    words = _cues()["differential"]
    number = r"(?P<{}>\d{{1,3}}(?:\.\d+)?)\s*%"

    def either(word: str) -> re.Pattern[str]:
        # "60% segmented neutrophils", "neutrophils 85%", "neutrophils of 70%"
        return re.compile(
            rf"{number.format('before')}\s*(?:of\s+)?{word}\b|"
            rf"\b{word}\s*(?:of|were|was|:|=)?\s*{number.format('after')}",
            re.I,
        )

    return either(words["neutrophils"]), either(words["bands"])


@cache
def _body_size() -> dict[str, re.Pattern[str]]:
    return {name: re.compile(pattern, re.I) for name, pattern in _cues()["body_size"].items()}


_UNIT_NAMES = {
    "centimeters": "cm",
    "centimetres": "cm",
    "meters": "m",
    "metres": "m",
    "in": "inch",
    "inches": "inch",
    "kilograms": "kg",
    "pounds": "lb",
    "lbs": "lb",
}


def _has(profile: PatientProfile, analyte: str) -> bool:
    return any(
        m.analyte == analyte and m.canonical_value is not None and not m.family for m in profile.measurements
    )


def _taken(profile: PatientProfile, index: int, start: int, end: int) -> bool:
    """Whether a measurement already read covers this span of the sentence."""
    for m in profile.measurements:
        evidence = m.evidence
        if evidence is None or evidence.sentence_index != index:
            continue
        if evidence.start is None or evidence.end is None:
            continue
        if evidence.start < end and start < evidence.end:
            return True
    return False


def _add(
    profile: PatientProfile,
    index: int,
    sentence: str,
    span: tuple[int, int],
    analyte: str,
    name: str,
    value: float,
    unit: str,
) -> bool:
    canonical, canonical_unit = canonical_measurement(analyte, value, unit)
    if canonical is None:
        return False
    profile.measurements.append(
        PatientMeasurement(
            name=name,
            analyte=analyte,
            value=value,
            unit=unit,
            canonical_value=canonical,
            canonical_unit=canonical_unit,
            evidence=evidence_at(index, sentence, *span),
        )
    )
    return True


def read_abbreviated_values(profile: PatientProfile, index: int, sentence: str) -> None:
    """Vital signs under short names ("T 38.9 C", "Tmax 37.2 C", "saturating 89% on room air") and
    height and weight given without their word ("5 feet 4 inches tall", "182 cm tall", "250 pounds")."""
    for analyte, name, unit_pattern in _abbreviated_vitals():
        for match in name.finditer(sentence):
            if _taken(profile, index, match.start(), match.end()):
                continue
            reading = read_note_value(sentence, match.end())
            if reading is None:
                continue
            number, unit, _, end = reading
            if number is None or unit is None or not unit_pattern.fullmatch(unit.strip()):
                continue
            _add(profile, index, sentence, (match.start(), end), analyte, match.group(0), number, unit)
    size = _body_size()
    if not _has(profile, "height"):
        feet = size["height_feet"].search(sentence)
        tall = size["height_tall"].search(sentence)
        if feet is not None and not _taken(profile, index, *feet.span()):
            inches = float(feet["feet"]) * 12 + float(feet["inches"] or 0)
            _add(profile, index, sentence, feet.span(), "height", "height", inches, "inch")
        elif tall is not None and not _taken(profile, index, *tall.span()):
            height_unit = _UNIT_NAMES.get(tall["unit"].lower(), tall["unit"].lower())
            _add(profile, index, sentence, tall.span(), "height", "height", float(tall["value"]), height_unit)
    if not _has(profile, "weight"):
        for match in size["weight"].finditer(sentence):
            before = sentence[max(0, match.start() - 40) : match.start()]
            after = sentence[match.end() : match.end() + 25]
            if size["not_body_weight"].search(before) or size["not_body_weight"].search(after):
                # "lost 25 pounds", "a 10 kg weight loss", "2 mg per kg": not what the patient weighs
                continue
            if _taken(profile, index, *match.span()):
                continue
            weight_unit = _UNIT_NAMES.get(match["unit"].lower(), match["unit"].lower())
            if _add(
                profile, index, sentence, match.span(), "weight", "weight", float(match["value"]), weight_unit
            ):
                break


def _percent(match: re.Match[str]) -> float:
    return float(match["before"] or match["after"])


def derive_values(profile: PatientProfile) -> None:
    """Values that follow from others the note gives, added only where the note gives no value itself:
    the absolute neutrophil count (white count × (neutrophils + bands) % of the same sentence) and
    the BMI (weight / height²)."""
    neutrophils, bands = _differential()
    if not _has(profile, "anc"):
        for wbc in [m for m in profile.measurements if m.analyte == "wbc" and m.canonical_value is not None]:
            sentence = wbc.evidence.sentence if wbc.evidence is not None else None
            if wbc.family or sentence is None:
                continue
            share = neutrophils.search(sentence)
            if share is None:
                continue
            band = bands.search(sentence)
            percent = _percent(share) + (_percent(band) if band is not None else 0.0)
            if not 0 < percent <= 100:
                continue
            # A differential read as an "ANC" of so many percent is the share, not a count.
            profile.measurements[:] = [
                m for m in profile.measurements if not (m.analyte == "anc" and m.canonical_value is None)
            ]
            value = round(wbc.canonical_value * percent / 100, 3)  # type: ignore[operator]
            profile.measurements.append(
                PatientMeasurement(
                    name=f"ANC (white count × {percent:g}% neutrophils)",
                    analyte="anc",
                    value=value,
                    unit=wbc.canonical_unit,
                    canonical_value=value,
                    canonical_unit=wbc.canonical_unit,
                    evidence=wbc.evidence,
                )
            )
            break
    if not _has(profile, "bmi"):
        weight = next((m for m in profile.measurements if m.analyte == "weight" and m.canonical_value), None)
        height = next((m for m in profile.measurements if m.analyte == "height" and m.canonical_value), None)
        if weight is None or height is None or weight.family or height.family:
            return
        metres = height.canonical_value / 100  # type: ignore[operator]
        bmi = round(weight.canonical_value / metres**2, 1)  # type: ignore[operator]
        if 8 <= bmi <= 90:
            profile.measurements.append(
                PatientMeasurement(
                    name="BMI (from weight and height)",
                    analyte="bmi",
                    value=bmi,
                    unit="kg/m^2",
                    canonical_value=bmi,
                    canonical_unit="kg/m^2",
                    evidence=weight.evidence,
                )
            )
