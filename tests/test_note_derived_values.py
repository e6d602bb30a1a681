"""Values a note states in another form than a criterion asks: vital signs under short names, height and
weight without their word, the ANC from a white count and its differential, the BMI from weight and
height (match/note_derived.py, cues in match/note_cues.json)."""

from __future__ import annotations

import pytest

from trialatlas.match.patient import load_patient
from verdict_support import status_of


def _value(note: str, analyte: str) -> float | None:
    values = [m.canonical_value for m in load_patient(note).measurements if m.analyte == analyte]
    return values[-1] if values else None


@pytest.mark.parametrize(
    ("note", "analyte", "expected"),
    [
        ("Seen today. T 38.4 C, pulse 96, BP 130/80.", "temperature", 38.4),
        ("Tmax 39.0 C overnight.", "temperature", 39.0),
        ("On arrival T 102.2 F and rigors.", "temperature", 39.0),
        ("She is saturating 91% on room air.", "spo2", 91.0),
        ("O2 sat 95% on 2 L nasal cannula.", "spo2", 95.0),
        ("Pulse oximetry 88% at rest.", "spo2", 88.0),
        ("He is 6 feet 0 inches tall.", "height", 182.88),
        ("She is 170 cm tall.", "height", 170.0),
        ("She weighs 132 pounds.", "weight", 59.87),
    ],
)
def test_a_vital_sign_or_body_size_under_a_short_name_is_read(
    note: str, analyte: str, expected: float
) -> None:
    assert _value(note, analyte) == pytest.approx(expected, abs=0.05)


@pytest.mark.parametrize(
    ("note", "analyte"),
    [
        ("Pathology: T2 N0 M0 adenocarcinoma, 3 cm.", "temperature"),
        ("He sat down 20 minutes before the draw.", "spo2"),
        ("He has lost 30 pounds over six months.", "weight"),
        ("She received vancomycin 15 mg/kg every 12 hours.", "weight"),
        ("The tumour measures 40 cm across on CT.", "height"),
    ],
)
def test_a_number_that_is_no_vital_sign_or_body_size_is_not_read_as_one(note: str, analyte: str) -> None:
    assert _value(note, analyte) is None


def test_the_anc_follows_from_a_white_count_and_its_differential() -> None:
    # 5,000 x (64% segs + 6% bands) = 3,500 per microlitre
    assert _value("CBC: WBC 5,000/uL with 64% segs and 6% bands.", "anc") == pytest.approx(3.5)
    assert _value("Leukocytes 9.2 x 10^3/uL (neutrophils 50%).", "anc") == pytest.approx(4.6)
    # An ANC the note states wins over the computed one.
    assert _value("WBC 5,000/uL, 64% neutrophils; ANC 2,900/uL.", "anc") == pytest.approx(2.9)
    # A white count alone says nothing of the neutrophils.
    assert _value("WBC 5,000/uL, differential pending.", "anc") is None


def test_criteria_on_the_anc_are_decided_from_the_differential() -> None:
    assert status_of("ANC >= 1,500/mm3", "WBC 2,000/mm3 with 40% neutrophils.") == "not met"
    assert status_of("ANC >= 1,500/mm3", "WBC 4,200/mm3 with 55% polys.") == "met"
    granulocytes = "Granulocyte count at least 1,000/mm3"
    assert status_of(granulocytes, "WBC 3,000/mm3, 45% granulocytes.") == "met"


def test_the_bmi_follows_from_weight_and_height() -> None:
    assert _value("Height 150 cm, weight 90 kg.", "bmi") == pytest.approx(40.0)
    assert _value("He weighs 200 lbs and is 5 feet 10 inches tall.", "bmi") == pytest.approx(28.7)
    assert _value("Weight 80 kg; height not measured.", "bmi") is None
    assert status_of("BMI > 35 kg/m2", "Height 150 cm, weight 90 kg.", kind="exclusion") == "excluded"
    assert status_of("BMI 18.5 to 30", "Height 150 cm, weight 90 kg.") == "not met"


def test_obesity_is_shown_by_the_bmi_only_outside_the_band_definitions_differ() -> None:
    assert status_of("Obesity", "Height 160 cm, weight 100 kg.", kind="exclusion") == "excluded"  # BMI 39
    assert status_of("Obesity", "Height 180 cm, weight 65 kg.", kind="exclusion") == "not excluded"  # BMI 20
    assert status_of("Obesity", "Height 170 cm, weight 78 kg.", kind="exclusion") == "unknown"  # BMI 27


def test_a_temperature_in_bare_degrees_takes_its_scale_from_the_number() -> None:
    assert status_of("Temperature > 100.4 degrees", "T 38.6 C on admission.", kind="exclusion") == "excluded"
    assert status_of("Temperature > 38 degrees", "T 37.2 C on admission.", kind="exclusion") == "not excluded"
