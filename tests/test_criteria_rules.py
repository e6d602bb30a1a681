"""Criteria → typed rules: kinds, values, units, windows, negation and spans."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from trialatlas.extract.criteria import parse_eligibility, parse_text, registered_kinds, split_criteria
from trialatlas.extract.criteria.negation import context_of, negation_cues
from trialatlas.extract.criteria.registry import parse_criterion
from trialatlas.extract.criteria.rules import (
    AgeRule,
    ConditionRule,
    InfectionRule,
    MeasurementRule,
    MedicationRule,
    NotEvaluableRule,
    PregnancyRule,
)
from trialatlas.extract.units import convert, normalize_unit_text


def _measurement(text: str, kind: str = "inclusion") -> MeasurementRule:
    found = [r for r in parse_text(text, kind) if isinstance(r, MeasurementRule)]  # type: ignore[arg-type]
    assert len(found) == 1, found
    return found[0]


def test_every_rule_kind_has_a_parser() -> None:
    assert set(registered_kinds()) == {
        "age",
        "sex",
        "condition",
        "measurement",
        "medication",
        "procedure",
        "pregnancy",
        "infection",
        "trial_participation",
        "consent",
        "not_evaluable",
    }


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("Age: 2 to 18 years old", 2.0, 18.0),
        ("18 to 65 years of age (inclusive 18 and 65), male or female", 18.0, 65.0),
        ("Age >= 18 years", 18.0, None),
        ("Patients aged 18-90 presenting with dysphagia", 18.0, 90.0),
        ("Children younger than 16 years old", None, 16.0),
        ("Male Age 2 months to 20 years of age", 2 / 12, 20.0),
    ],
)
def test_age_rules(text: str, low: float | None, high: float | None) -> None:
    ages = [r for r in parse_text(text, "inclusion") if isinstance(r, AgeRule)]
    assert len(ages) == 1
    assert ages[0].min_years == pytest.approx(low) if low is not None else ages[0].min_years is None
    assert ages[0].max_years == pytest.approx(high) if high is not None else ages[0].max_years is None


def test_duration_is_not_an_age() -> None:
    assert not [
        r
        for r in parse_text("Received MMF within 2 years prior to enrollment", "exclusion")
        if isinstance(r, AgeRule)
    ]


def test_measurements_with_units_and_conversions() -> None:
    egfr = _measurement("Normal renal function: estimated glomerular filtration rate ≥90ml/min/1.73m2")
    assert (egfr.analyte, egfr.operator, egfr.value) == ("egfr", ">=", 90.0)
    assert egfr.canonical_value == pytest.approx(90.0)

    wbc = _measurement("Leukopenia (White Blood Cells ≤ 3.0 * 10^9 / L)", "exclusion")
    assert (wbc.analyte, wbc.operator, wbc.canonical_value) == ("wbc", "<=", pytest.approx(3.0))

    hb = _measurement("Moderate to severe anemia (hemoglobin <9.0 g/dL)", "exclusion")
    assert (hb.analyte, hb.operator, hb.value, hb.unit) == ("hemoglobin", "<", 9.0, "g/dL")

    creatinine = _measurement("Serum creatinine (Scr)≤3.0mg/dl (265.2 mol/L)")
    assert creatinine.analyte == "creatinine" and creatinine.canonical_value == pytest.approx(3.0)

    bmi = _measurement("BMI<16 kg/m^2", "exclusion")
    assert (bmi.analyte, bmi.operator, bmi.value) == ("bmi", "<", 16.0)

    sledai = _measurement("SLE-DAI>10 points")
    assert (sledai.analyte, sledai.operator, sledai.value) == ("sledai", ">", 10.0)

    protein = _measurement("Proteinuria ≥1.5g/24h")
    assert protein.analyte == "proteinuria" and protein.canonical_value == pytest.approx(1.5)
    assert protein.canonical_unit == "g/day"


def test_unit_typo_is_repaired_with_a_warning() -> None:
    platelets = _measurement("Thrombocytopenia (platelet count <100*10^12/L)", "exclusion")
    assert platelets.analyte == "platelets"
    assert platelets.canonical_value == pytest.approx(100.0)
    assert platelets.warnings and "implausible" in platelets.warnings[0]


def test_measurement_duration_window() -> None:
    rule = _measurement("urine protein-creatinine ratio <0.2g/g (<20 mg/mmol) for 3 consecutive days")
    assert (rule.analyte, rule.value, rule.unit) == ("upcr", 0.2, "g/g")
    assert rule.window is not None
    assert (rule.window.relation, rule.window.days, rule.window.consecutive) == ("duration", 3.0, True)


def test_multiples_of_the_upper_limit_of_normal_apply_to_each_listed_analyte() -> None:
    rules = [
        r
        for r in parse_text("ALT, AST or bilirubin more than 2 times the upper limit of normal", "exclusion")
        if isinstance(r, MeasurementRule)
    ]
    assert {r.analyte for r in rules} == {"alt", "ast", "bilirubin"}
    assert all(r.uln_multiple and r.value == 2.0 and r.operator == ">" for r in rules)


def test_negated_medication_list_with_window() -> None:
    text = (
        "No tacrolimus, mycophenolate mofetil, cyclosporine A, rituximab or cyclophosphamide was used within "
        "2 years prior to the enrollment"
    )
    medications = [r for r in parse_text(text, "inclusion") if isinstance(r, MedicationRule)]
    assert len(medications) == 1
    rule = medications[0]
    assert rule.negated and rule.negation_cue == "No"
    assert rule.drugs == [
        "tacrolimus",
        "mycophenolate mofetil",
        "cyclosporine",
        "rituximab",
        "cyclophosphamide",
    ]
    assert rule.window is not None and rule.window.days == pytest.approx(730.5)
    assert rule.window.anchor == "the enrollment"


def test_medication_exposure_intolerance_and_classes() -> None:
    received = [
        r
        for r in parse_text("Received MMF, CTX or biologics within the past 12 weeks.", "exclusion")
        if isinstance(r, MedicationRule)
    ]
    assert received and all(r.window is not None and r.window.days == 84.0 for r in received)
    assert not any(r.negated for r in received)
    intolerance = [
        r for r in parse_text("Known intolerance to MMF.", "exclusion") if isinstance(r, MedicationRule)
    ]
    assert intolerance[0].relation == "intolerance" and intolerance[0].drugs == ["mycophenolate mofetil"]
    allergy = [
        r for r in parse_text("Known allergy to rosiglitazone", "exclusion") if isinstance(r, MedicationRule)
    ]
    assert allergy[0].relation == "allergy" and allergy[0].drugs == ["rosiglitazone"]


def test_pregnancy_infection_and_judgement() -> None:
    pregnancy = [
        r
        for r in parse_text("Women who are pregnant or breastfeeding", "exclusion")
        if isinstance(r, PregnancyRule)
    ]
    assert {r.aspect for r in pregnancy} == {"pregnant", "lactating"}
    infections = [
        r
        for r in parse_text("Known to be sero-positive for HIV, hepatitis C virus (HCV), or HBV", "exclusion")
        if isinstance(r, InfectionRule)
    ]
    assert {r.pathogen for r in infections} == {"HIV", "HCV", "HBV"}
    judged = parse_text(
        "The researcher considers any condition that may cause the patient to fail the study", "exclusion"
    )
    assert any(isinstance(r, NotEvaluableRule) for r in judged)


def test_condition_negation_family_and_exceptions() -> None:
    rules = parse_text(
        "History of malignancy (except basal cell carcinoma which has been excised)", "exclusion"
    )
    by_name = {r.name: r for r in rules if isinstance(r, ConditionRule)}
    assert by_name["malignancy"].negated is False and by_name["malignancy"].historical
    assert (
        by_name["basal cell carcinoma"].negated and by_name["basal cell carcinoma"].negation_cue == "except"
    )
    family = [
        r
        for r in parse_text("Family history of nephrotic syndrome or uremia", "exclusion")
        if isinstance(r, ConditionRule)
    ]
    assert family and all(r.experiencer == "family" for r in family)
    no_history = [
        r for r in parse_text("No history of diabetes", "inclusion") if isinstance(r, ConditionRule)
    ]
    assert no_history[0].concept == "diabetes" and no_history[0].negated


def test_negation_scope_ends_at_clause_boundaries() -> None:
    text = "She denies smoking, diabetes, or hypercholesterolemia. She has hypertension."
    assert context_of(text, text.index("diabetes"), text.index("diabetes") + 8).negated
    start = text.index("hypertension")
    assert not context_of(text, start, start + len("hypertension")).negated
    assert [c.text for c in negation_cues("no gram negative infection")] == ["no"]


def test_rules_keep_their_spans_in_the_criterion_and_the_source() -> None:
    text = "Exclusion Criteria:\n\n  -  Moderate to severe anemia (hemoglobin <9.0 g/dL)\n  -  HIV infection"
    parsed = parse_eligibility(text, [], [])
    assert [p.kind for p in parsed] == ["exclusion", "exclusion"]
    for criterion in parsed:
        for rule in criterion.rules:
            assert criterion.text[rule.span.start : rule.span.end] == rule.span.text
            assert rule.span.source_start is not None and rule.span.source_end is not None
            assert text[rule.span.source_start : rule.span.source_end] == rule.span.text


def test_exclusion_lists_are_alternatives_and_qualifiers_are_conjunctive() -> None:
    listed = parse_criterion(split_criteria("Exclusion: HIV, hepatitis B or tuberculosis")[0])
    assert listed.combine == "any"
    qualified = parse_criterion(split_criteria("Exclusion: Diabetic patients on rosiglitazone")[0])
    assert qualified.combine == "all"


@pytest.mark.parametrize(
    ("value", "source", "target", "analyte", "expected"),
    [
        (1.2, "mg/dL", "umol/L", "creatinine", 106.08),
        (265.2, "µmol/L", "mg/dL", "creatinine", 3.0),
        (9.0, "g/dL", "g/L", None, 90.0),
        (3.0, "x10^9/L", "/µL", None, 3000.0),
        (6.3, "x 109/L", "/uL", None, 6300.0),
        (50000, "/mm3", "10^9/L", None, 50.0),
        (7.0, "mmol/L", "mg/dL", "glucose", 126.11),
        (0.2, "g/g", "mg/mmol", "upcr", 22.62),
        (39.0, "C", "degF", None, 102.2),
    ],
)
def test_clinical_unit_conversions(
    value: float, source: str, target: str, analyte: str | None, expected: float
) -> None:
    assert convert(value, source, target, analyte) == pytest.approx(expected, rel=1e-3)


def test_converted_values_carry_no_float_noise() -> None:
    # Issue #14: "Scr ≤ 265.2 µmol/L" was stored as 2.9999423999999997 mg/dL; the conversion keeps
    # twelve significant digits, so the stored rule (its JSON) holds the value itself.
    creatinine = convert(265.2, "umol/L", "mg/dL", "creatinine")
    assert creatinine is not None and repr(creatinine) == "2.9999424"
    hemoglobin = convert(9.132, "g/dL", "g/L", "hemoglobin")
    assert hemoglobin is not None and repr(hemoglobin) == "91.32"
    (criterion,) = parse_eligibility(None, ["Serum creatinine ≤ 265.2 µmol/L"], [])
    stored = criterion.model_dump_json()
    assert '"canonical_value":2.9999424,' in stored and "2.99994239" not in stored


def test_unconvertible_units_give_none() -> None:
    assert convert(1.0, "mg/dL", "mmol/L") is None  # needs an analyte's molar mass
    assert convert(1.0, "kg", "mL") is None
    assert normalize_unit_text("ml/min/1.73m2") == "mL/minute/bsa_std"


def test_patterns_run_on_lower_cased_text_have_no_capitals() -> None:
    # Windows, context cues and ages are matched case-sensitively on lower-cased text (cheaper than
    # ignoring case): a capital letter in one of those patterns could never match.
    import re

    from trialatlas.extract.criteria import negation, temporal
    from trialatlas.extract.criteria.parsers import demographics

    patterns = [
        *(p for _, p in temporal._patterns(lowered=True)),
        temporal._LOWER_AMOUNT,
        *(p for _, _, p in negation._cue_patterns(lowered=True)),
        *(p for _, p in demographics._age_patterns(lowered=True)),
    ]
    for pattern in patterns:
        literal = re.sub(r"\\.|\(\?P<\w+>", "", pattern.pattern)
        assert literal == literal.lower(), pattern.pattern[:60]
    assert temporal.find_windows("Within 12 WEEKS prior to Enrollment")[0].days == 84.0
    assert negation.context_of("NO HISTORY OF diabetes", 14, 22).negated


def test_a_lack_the_consent_parser_read_is_not_negated_twice() -> None:
    (rule,) = parse_text("Subjects not able or willing to keep still for an hour-long scan", "exclusion")
    assert rule.kind == "consent" and rule.negated


def test_permitted_items_unless_and_tense_of_excluded() -> None:
    text = "Prior cancer (treated skin carcinoma is permitted)"
    start = text.index("skin")
    assert context_of(text, start, start + len("skin carcinoma")).exception is not None
    assert context_of("Gout unless in remission", 14, 23).negated
    # "will be excluded" removes the patient, not the condition; a note's "was excluded" rules it out.
    assert not context_of("People with gout will be excluded", 12, 16).negated
    assert context_of("Gout was excluded by the rheumatologist", 0, 4).negated
    # A test result is the value asked for, not a negation cue.
    assert negation_cues("Hepatitis C antibody negative") == []


def test_gestation_is_not_the_patients_age_and_birth_history_is_not_pregnancy() -> None:
    rules = parse_text("Pregnant women at a gestational age below 20 weeks", "inclusion")
    assert not [r for r in rules if isinstance(r, AgeRule)]
    assert not parse_text("Born before 34 weeks of gestation", "exclusion")


def test_age_subgroups_inside_a_wider_range_are_dropped() -> None:
    rules = parse_text("Toddlers aged 1-4 years, enrolled in cohorts 1-2 years and 2-4 years", "inclusion")
    ages = [r for r in rules if isinstance(r, AgeRule)]
    assert [(a.min_years, a.max_years) for a in ages] == [(1.0, 4.0)]
    # Two bounds of one range are not subgroups of each other: they make the one range.
    bounds = parse_text("Age 18 years or older and age under 70 years", "inclusion")
    assert [(r.min_years, r.max_years) for r in bounds if isinstance(r, AgeRule)] == [(18.0, 70.0)]


def test_accented_names_match_the_vocabulary() -> None:
    (rule,) = parse_text("Anémia sévère", "exclusion")
    assert isinstance(rule, ConditionRule) and rule.concept == "anemia"


def test_units_written_out_or_with_lost_superscripts() -> None:
    assert convert(4.0, "mEq/L", "mmol/L", "potassium") == pytest.approx(4.0)
    assert convert(5.0, "mEq/L", "mmol/L", "calcium") == pytest.approx(2.5)
    rules = {
        r.name: r
        for r in parse_text(
            "Sodium > 150 mEq/L, neutrophils < 1.0 x 109 cells/L, LVEF below 40 per cent, "
            "systolic blood pressure > 160/95 mmHg",
            "exclusion",
        )
        if isinstance(r, MeasurementRule)
    }
    assert rules["Sodium"].unit == "mEq/L"
    assert rules["neutrophils"].unit == "x 109 cells/L" and rules["neutrophils"].canonical_value == 1.0
    assert rules["LVEF"].unit == "per cent"
    assert rules["systolic blood pressure"].unit == "mmHg"


_REGISTRY_PROBE = (
    "from trialatlas.extract import units; units.registry();"
    " print(units.convert(1.4, 'mg/dL', 'umol/L', 'creatinine'))"
)


def _probe(cache: str) -> str:
    env = {**os.environ, "TRIALATLAS_CACHE": cache}
    done = subprocess.run(
        [sys.executable, "-c", _REGISTRY_PROBE], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_unit_definitions_are_cached_and_a_broken_cache_is_only_slower(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    first = _probe(str(folder))
    assert list((folder / "pint").glob("*.pickle")), "the parsed definitions were not cached"
    assert _probe(str(folder)) == first  # read from the cache: the same conversions
    for pickled in (folder / "pint").glob("*.pickle"):
        pickled.write_bytes(pickled.read_bytes()[:10])  # as if a concurrent first run was cut short
    assert _probe(str(folder)) == first
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder", encoding="utf-8")
    assert _probe(str(blocked)) == first
    assert _probe("") == first  # caching turned off
    assert float(first) > 120


@pytest.mark.parametrize(
    "text",
    [
        "Steroid dependent nephrotic syndrome",
        "insulin dependent diabetes mellitus",
        "Steroid resistant nephrotic syndrome",
    ],
)
def test_a_drug_naming_a_kind_of_disease_is_no_medication_requirement(text: str) -> None:
    rules = parse_text(text, "inclusion")
    assert [r.kind for r in rules] == ["condition"]


def test_drugs_still_read_as_medicines_around_those_words() -> None:
    assert [
        (r.kind, getattr(r, "relation", None)) for r in parse_text("Resistant to steroids", "inclusion")
    ] == [("medication", "failure")]
    assert [r.kind for r in parse_text("Patients on steroids", "inclusion")] == ["medication"]
    assert [
        (r.kind, getattr(r, "relation", None)) for r in parse_text("Penicillin sensitivity", "exclusion")
    ] == [("medication", "allergy")]
