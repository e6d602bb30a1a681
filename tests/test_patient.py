"""Patient profiles (JSON and notes), per-criterion verdicts, trial verdicts and ranking."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from trialatlas.match.matcher import match_trials
from trialatlas.match.patient import PatientProfile, load_patient, profile_from_note, split_sentences
from trialatlas.match.verdict import evaluate_trial
from trialatlas.model import Age, AgeUnit, Eligibility, OverallStatus, StatusInfo, Trial

NOTE = (
    "A 10-year-old boy presents with steroid-dependent nephrotic syndrome with frequent relapses. "
    "He denies diabetes or hypertension. Hemoglobin is 12.1 g/dL, platelet count 250 x 10^9/L and "
    "eGFR 110 ml/min/1.73m2. He has never received tacrolimus or rituximab. "
    "His parents will provide informed consent."
)

CRITERIA = """Inclusion Criteria:

  -  Frequently relapsing nephrotic syndrome
  -  Age: 2 to 18 years old
  -  Normal renal function: estimated glomerular filtration rate ≥90ml/min/1.73m2
  -  No tacrolimus, mycophenolate mofetil, cyclosporine A, rituximab or cyclophosphamide was used within
     2 years prior to the enrollment

Exclusion Criteria:

  -  steroids-resistant nephrotic syndrome
  -  Moderate to severe anemia (hemoglobin <9.0 g/dL)
  -  Thrombocytopenia (platelet count <100*10^12/L)
  -  Women who are pregnant or breastfeeding
  -  Those who was not suitable for participating this study judged by investigator
"""


def _trial(
    nct: str,
    criteria: str,
    conditions: list[str],
    status: OverallStatus = OverallStatus.RECRUITING,
    minimum: float | None = None,
    maximum: float | None = None,
) -> Trial:
    return Trial(
        nct_id=nct,
        brief_title=f"Study of {', '.join(conditions)}",
        conditions=conditions,
        status=StatusInfo(overall_status=status),
        eligibility=Eligibility(
            criteria_text=criteria,
            minimum_age=Age(value=minimum, unit=AgeUnit.YEARS) if minimum is not None else None,
            maximum_age=Age(value=maximum, unit=AgeUnit.YEARS) if maximum is not None else None,
        ),
    )


def test_note_becomes_a_profile() -> None:
    profile = profile_from_note(NOTE, "p1")
    assert profile.age_years == 10 and profile.sex == "male"
    conditions = {c.concept: c.present for c in profile.conditions}
    assert conditions["nephrotic_syndrome"] is True
    assert conditions["diabetes"] is False and conditions["hypertension"] is False
    readings = {m.analyte: m.canonical_value for m in profile.measurements}
    assert readings["hemoglobin"] == 12.1
    assert readings["platelets"] == 250.0
    assert readings["egfr"] == 110.0
    assert {d for m in profile.medications if not m.present for d in m.drugs} >= {"tacrolimus", "rituximab"}
    assert profile.consent is True


def test_numbered_notes_keep_their_sentence_numbers() -> None:
    assert split_sentences("0. A 58-year-old woman.\n1. She has hypertension.") == [
        "A 58-year-old woman.",
        "She has hypertension.",
    ]


def test_json_profile_maps_names_to_concepts_and_birth_date_to_age() -> None:
    profile = load_patient(
        '{"birth_date": "2000-06-01", "as_of": "2024-06-01", "sex": "female",'
        ' "conditions": [{"name": "SLE"}], "measurements": [{"name": "serum creatinine", "value": 150,'
        ' "unit": "umol/L"}], "medications": [{"name": "MMF", "start": "2024-01"}]}'
    )
    assert profile.age_years == 24.0
    assert profile.conditions[0].concept == "sle"
    assert profile.measurements[0].analyte == "creatinine"
    assert round(profile.measurements[0].canonical_value or 0, 2) == 1.70
    assert profile.medications[0].drugs == ["mycophenolate mofetil"]
    assert "immunosuppressant" in profile.medications[0].classes
    schema = PatientProfile.model_json_schema()
    assert {"age_years", "birth_date", "sex", "conditions", "measurements", "medications"} <= set(
        schema["properties"]
    )


def test_criterion_verdicts_with_evidence_and_reasons() -> None:
    profile = profile_from_note(NOTE)
    verdict = evaluate_trial(_trial("NCT00000001", CRITERIA, ["Nephrotic Syndrome"]), profile)
    by_text = {c.text: c for c in verdict.criteria}
    assert by_text["Age: 2 to 18 years old"].status == "met"
    egfr = by_text["Normal renal function: estimated glomerular filtration rate ≥90ml/min/1.73m2"]
    assert egfr.status == "met" and egfr.evidence and "eGFR" in (egfr.evidence[0].sentence or "")
    assert by_text["steroids-resistant nephrotic syndrome"].status == "unknown"
    assert by_text["Moderate to severe anemia (hemoglobin <9.0 g/dL)"].status == "not excluded"
    assert by_text["Thrombocytopenia (platelet count <100*10^12/L)"].status == "not excluded"
    assert by_text["Women who are pregnant or breastfeeding"].status == "not applicable"
    judged = by_text["Those who was not suitable for participating this study judged by investigator"]
    assert judged.status == "unknown"
    assert verdict.status == "possibly eligible"
    assert verdict.unknown >= 2 and verdict.check_next


def test_failing_criteria_make_a_trial_ineligible() -> None:
    profile = profile_from_note(NOTE)
    adults = _trial("NCT00000002", "Inclusion Criteria:\n- Age >= 18 years\n", ["Nephrotic Syndrome"])
    verdict = evaluate_trial(adults, profile)
    assert verdict.status == "ineligible"
    assert verdict.failed == ["Age >= 18 years"]
    anaemic = PatientProfile(
        age_years=10, sex="male", measurements=[{"name": "hemoglobin", "value": 80, "unit": "g/L"}]
    )
    verdict = evaluate_trial(_trial("NCT00000003", CRITERIA, ["Nephrotic Syndrome"]), anaemic)
    assert "Moderate to severe anemia (hemoglobin <9.0 g/dL)" in verdict.failed


def test_matching_ranks_relevant_joinable_trials_first() -> None:
    profile = profile_from_note(NOTE)
    trials = [
        _trial("NCT00000010", "Inclusion Criteria:\n- Diagnosis of asthma\n", ["Asthma"]),
        _trial("NCT00000011", CRITERIA, ["Nephrotic Syndrome"], minimum=2, maximum=18),
        _trial("NCT00000012", "Inclusion Criteria:\n- Age >= 18 years\n", ["Nephrotic Syndrome"]),
        _trial("NCT00000013", CRITERIA, ["Nephrotic Syndrome"], status=OverallStatus.COMPLETED),
        _trial("NCT00000014", CRITERIA, ["Nephrotic Syndrome"], minimum=30),
    ]
    ranked = match_trials(profile, trials, top=10)
    keys = [c.trial.key for c in ranked]
    assert keys[0] in ("NCT00000011", "NCT00000013")
    assert keys.index("NCT00000011") < keys.index("NCT00000012")
    assert "NCT00000014" not in keys  # the structured age limit filters it before the rules
    assert "NCT00000010" not in keys  # nothing in common with the patient
    ineligible = next(c for c in ranked if c.trial.key == "NCT00000012")
    assert ineligible.verdict is not None and ineligible.verdict.status == "ineligible"
    assert any(reason.startswith("fails:") for reason in ineligible.reasons)
    open_only = [c.trial.key for c in match_trials(profile, trials, status="open")]
    assert "NCT00000013" not in open_only and "NCT00000011" in open_only


def test_age_from_birth_date_uses_today_by_default() -> None:
    born = (
        dt.date.today().replace(year=dt.date.today().year - 30)
        if dt.date.today() != dt.date(2024, 2, 29)
        else dt.date(1994, 2, 28)
    )
    assert 29.9 <= (PatientProfile(birth_date=born).age_years or 0) <= 30.1


def test_a_json_profile_reads_its_notes_where_its_fields_are_silent() -> None:
    profile = load_patient(
        '{"age_years": 12, "sex": "male",'
        ' "conditions": [{"name": "steroid-dependent nephrotic syndrome"}],'
        ' "measurements": [{"name": "hemoglobin", "value": 12.5, "unit": "g/dL"}],'
        ' "notes": "A 40-year-old man. Hemoglobin 8.0 g/dL last year. No hepatitis B infection.'
        ' Platelet count 250 x 10^9/L."}'
    )
    # The typed fields win: the note's age and its second hemoglobin are not taken.
    assert profile.age_years == 12
    hemoglobin = [m for m in profile.measurements if m.analyte == "hemoglobin"]
    assert [m.value for m in hemoglobin] == [12.5]
    # What only the note says joins the profile, with its evidence.
    platelets = [m for m in profile.measurements if m.analyte == "platelets"]
    assert platelets and platelets[0].evidence is not None
    assert [(i.pathogen, i.status) for i in profile.infections] == [("HBV", "negative")]
    verdict = evaluate_trial(_trial("NCT00000004", CRITERIA, ["Nephrotic Syndrome"]), profile)
    by_text = {c.text: c.status for c in verdict.criteria}
    assert by_text["Thrombocytopenia (platelet count <100*10^12/L)"] == "not excluded"
    assert by_text["Moderate to severe anemia (hemoglobin <9.0 g/dL)"] == "not excluded"


def test_qualifiers_can_be_met_by_the_conditions_own_name() -> None:
    # A profile's condition has no note sentence: "steroid-dependent" in its name is what says so.
    profile = PatientProfile(
        age_years=9, sex="female", conditions=[{"name": "steroid-dependent nephrotic syndrome"}]
    )
    criteria = (
        "Inclusion Criteria:\n- Steroid-dependent nephrotic syndrome\n- Uncontrolled nephrotic syndrome\n"
    )
    verdict = evaluate_trial(_trial("NCT00000005", criteria, ["Nephrotic Syndrome"]), profile)
    by_text = {c.text: c.status for c in verdict.criteria}
    assert by_text["Steroid-dependent nephrotic syndrome"] == "met"
    assert by_text["Uncontrolled nephrotic syndrome"] == "unknown"


def test_the_documented_profile_example_loads() -> None:
    guide = (Path(__file__).parents[1] / "docs" / "matching.md").read_text(encoding="utf-8")
    example = re.search(r"```json\n(.*?)```", guide, re.DOTALL)
    assert example is not None
    profile = load_patient(example.group(1))
    assert profile.conditions[0].concept == "nephrotic_syndrome"
    assert {m.analyte for m in profile.measurements} >= {"egfr"}
    assert profile.medications[0].drugs == ["prednisone"]
    # Its note adds what the fields do not say.
    assert ("HBV", "negative") in [(i.pathogen, i.status) for i in profile.infections]


def test_age_from_birthdays_and_birth_dates() -> None:
    assert profile_from_note("Young man who turned 21 last week.").age_years == 21
    assert profile_from_note("Man who celebrated his 80th birthday last week.").age_years == 80
    dated = profile_from_note("Woman born in March 1969, seen for screening in December 2026.")
    assert dated.age_years is not None and 57 < dated.age_years < 58
    assert profile_from_note("Woman seen for screening in December 2026.").age_years is None


def test_pregnancy_ruled_out_by_a_test() -> None:
    for note in (
        "36-year-old woman. Pregnancy was ruled out with a negative serum beta-hCG drawn yesterday.",
        "30-year-old woman with a negative urine hCG today.",
    ):
        assert profile_from_note(note).pregnant is False
    assert profile_from_note("30-year-old woman, hCG pending.").pregnant is None


def test_a_man_meets_a_demand_not_to_be_pregnant_and_is_outside_a_pregnant_population() -> None:
    man = profile_from_note("68-year-old man with chronic lymphocytic leukemia.")
    woman = profile_from_note("30-year-old woman with chronic lymphocytic leukemia.")
    trial = _trial(
        "NCT00000002",
        "Inclusion Criteria:\n- Not pregnant or nursing\nExclusion Criteria:\n- Pregnant women",
        ["Leukemia"],
    )
    by_text = {c.text: c.status for c in evaluate_trial(trial, man).criteria}
    assert by_text["Not pregnant or nursing"] == "met"
    assert by_text["Pregnant women"] == "not applicable"
    for_woman = {c.text: c.status for c in evaluate_trial(trial, woman).criteria}
    assert for_woman["Not pregnant or nursing"] == "unknown"


def test_doses_a_day_from_any_count_of_times_and_every_morning() -> None:
    for note, daily_mg in (
        ("He takes acyclovir 400 mg five times daily.", 2000),
        ("He took zidovudine 100 mg five times a day.", 500),
        ("He takes methylprednisolone 16 mg every morning.", 16),
    ):
        medication = profile_from_note(note).medications[0]
        assert medication.daily and medication.dose_mg == daily_mg, note


def test_a_percent_karnofsky_is_the_score() -> None:
    karnofsky = profile_from_note("His Karnofsky score is 50%.").measurements[0]
    assert karnofsky.canonical_value == 50
    trial = _trial("NCT00000003", "Inclusion Criteria:\n- Karnofsky 60-100%", ["Glioma"])
    for note, status in (("His Karnofsky score is 50%.", "not met"), ("Karnofsky 80%.", "met")):
        assert evaluate_trial(trial, profile_from_note(note)).criteria[0].status == status


def test_every_drug_class_a_criterion_names_counts() -> None:
    trial = _trial(
        "NCT00000004",
        "Exclusion Criteria:\n"
        "- Prior 3TC, protease inhibitors, or non-nucleoside reverse transcriptase inhibitors.",
        ["HIV Infections"],
    )
    on_nnrti = profile_from_note("29-year-old woman. She received single-dose nevirapine at delivery.")
    assert evaluate_trial(trial, on_nnrti).criteria[0].status == "excluded"
    on_integrase = profile_from_note("29-year-old woman. She takes dolutegravir.")
    assert evaluate_trial(trial, on_integrase).criteria[0].status != "excluded"


@pytest.mark.parametrize("value", ["0.0", "0", "1", '"yes"'])
def test_a_yes_or_no_fact_takes_only_true_or_false(value: str) -> None:
    # A client that sends 0 for "compliance" is told so (422 from the API), never read as "no".
    with pytest.raises(ValidationError):
        PatientProfile.model_validate_json(f'{{"compliance": {value}}}')
    assert PatientProfile.model_validate_json('{"compliance": false}').compliance is False


def test_the_summary_names_each_condition_once_with_what_was_read_of_it() -> None:
    # "Understood: …" (CLI, API, /match) listed a condition once per mention, cut at eight, so a note
    # naming lupus nephritis eight times lost its hypertension; the class and course read were not said.
    from trialatlas.services.patients import summarize_patient

    note = (
        "A 32-year-old woman with lupus nephritis class IV diagnosed in 2019. "
        + "Her lupus nephritis relapsed in 2022 after stopping mycophenolate. " * 8
        + "She also has hypertension; hypertension is controlled on amlodipine. On amlodipine 5 mg daily."
    )
    summary = summarize_patient(profile_from_note(note))
    conditions = summary.split("conditions: ", 1)[1].split(";", 1)[0]
    assert conditions.count("lupus nephritis") == 1 and conditions.count("hypertension") == 1, summary
    assert re.search(r"lupus nephritis \(class 4, relapse\)", conditions), summary
    medications = summary.split("medications: ", 1)[1]
    assert medications.count("amlodipine") == 1, summary


@pytest.mark.parametrize(
    "note",
    [
        "A 45-year-old woman with relapsing multiple sclerosis, EDSS 3.5. Hepatitis B and C negative.",
        "A 60-year-old man with acute myeloid leukemia in first remission.",
        "A 9-year-old boy with steroid-dependent nephrotic syndrome, relapsing twice a year.",
    ],
)
def test_a_note_read_profile_is_the_same_after_a_json_round_trip(note: str) -> None:
    # Room audit2: the server matches in worker processes, which receive the profile as JSON; the
    # CLI matches the profile as read. Validation filled a course from words the condition's every
    # name carries ("relapsing" multiple sclerosis, "acute" myeloid leukemia), which the note reader
    # leaves out, so `match --json` and POST /api/match said different things of one note.
    read = profile_from_note(note)
    again = PatientProfile.model_validate_json(read.model_dump_json())
    assert again == read
    assert [c.course for c in again.conditions] == [c.course for c in read.conditions]


def test_a_json_condition_names_no_course_its_every_name_carries() -> None:
    # The note reader's rule, for a typed profile too: "acute" is what acute myeloid leukemia is.
    typed = PatientProfile(
        conditions=[{"name": "acute myeloid leukemia"}, {"name": "relapsed lupus nephritis"}]
    )
    assert typed.conditions[0].course == []
    assert typed.conditions[1].course == ["relapse"]
