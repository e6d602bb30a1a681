"""A note that decides a criterion in words other than the criterion's (issue #14, round judgeinfer): the
reading mechanisms the inference cases (c1080-c1139) asked for, on texts written for them."""

from __future__ import annotations

import pytest

from verdict_support import status_of


@pytest.mark.parametrize(
    ("criterion", "note", "expected"),
    [
        ("Hospitalized men or women >/=18 years of age", "A 17-year-old boy with appendicitis.", "not met"),
        ("Hospitalized men or women >/=18 years of age", "An 18-year-old man with appendicitis.", "met"),
        ("Age > or = 18 years", "A 17-year-old girl.", "not met"),
        ("Age > or = 18 years", "An 18-year-old woman.", "met"),
    ],
)
def test_slashed_and_spelled_out_comparators_bound_an_age(criterion: str, note: str, expected: str) -> None:
    assert status_of(criterion, note) == expected


@pytest.mark.parametrize(
    ("note", "expected"),
    [("Her HAM-D score is 20.", "not met"), ("HAM-D: 25.", "met")],
)
def test_a_scale_named_with_its_item_count_and_a_spelled_out_comparator(note: str, expected: str) -> None:
    assert status_of("HAM-D17 total score > or = 22 at Screening and Baseline", note) == expected


def test_a_permission_is_no_requirement() -> None:
    # Among inclusions, a permission alone asks for nothing: met whichever way the patient is, once known
    # (before: read as its negation, so an obese woman was "not met" by "Obesity is allowed").
    assert status_of("Obesity is allowed.", "A 41-year-old obese woman.") == "met"
    assert status_of("Obesity is allowed.", "A 41-year-old woman. BMI 22.") == "met"
    assert status_of("Obesity is allowed.", "A 41-year-old woman.") == "unknown"
    # Among exclusions it is still the negation of the exclusion it narrows.
    steroids = "She uses topical steroids."
    assert status_of("Topical steroids are allowed.", steroids, kind="exclusion") == "not excluded"
    # "will not be excluded" is a permission too; the requirement beside it stays open when not read.
    criterion = (
        "Patients must be in good general health. Patients with stable obesity related comorbid "
        "conditions will not be excluded."
    )
    assert status_of(criterion, "A 41-year-old obese woman with acute pancreatitis.") == "unknown"


def test_a_note_value_off_by_a_power_of_ten_is_read_as_the_count_it_means() -> None:
    note = "Labs: Hgb: 8 g/dl WBC: 10000 /mm3 Plt: 300000 /ml"
    assert status_of("Platelet count at least 150,000/mm3", note) == "met"
    assert status_of("Platelet count at least 150,000/mm3", "Labs: Plt: 90000 /mm3") == "not met"


@pytest.mark.parametrize(
    ("criterion", "note", "kind", "expected"),
    [
        ("Women", "Pt is a 22yo F otherwise healthy.", "inclusion", "met"),
        ("Women", "75 yo M w/ metastatic thyroid cancer.", "inclusion", "not met"),
        ("Pregnancy", "75 yo M w/ metastatic thyroid cancer.", "exclusion", "not applicable"),
    ],
)
def test_a_sex_code_after_the_age(criterion: str, note: str, kind: str, expected: str) -> None:
    assert status_of(criterion, note, kind=kind) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("criterion", "note", "expected"),
    [
        ("Heart failure with reduced ejection fraction", "Echo: ejection fraction 30%.", "met"),
        ("HFrEF", "TTE revealed severe aortic stenosis. EF was 25%.", "met"),
        ("Heart failure with reduced ejection fraction", "Echo: LVEF 60%.", "not met"),
        # Between the definitions' thresholds (mildly reduced): open.
        ("Heart failure with reduced ejection fraction", "Echo: LVEF 45%.", "unknown"),
        # A low ejection fraction shows the reduced fraction, not heart failure as a syndrome.
        ("Heart failure", "Echo: ejection fraction 30%.", "unknown"),
    ],
)
def test_an_ejection_fraction_shows_a_reduced_one(criterion: str, note: str, expected: str) -> None:
    assert status_of(criterion, note) == expected


@pytest.mark.parametrize(
    ("criterion", "note", "expected"),
    [
        ("Lymphoma", "The fluid analysis was consistent with Burkitt's lymphoma.", "met"),
        (
            "Pancreatic cancer",
            "The results of the biopsy were consistent with pancreatic adenocarcinoma.",
            "met",
        ),
        # An image is no diagnosis: still only suspected.
        ("Pneumonia", "Chest X-ray consistent with pneumonia.", "unknown"),
    ],
)
def test_a_pathology_result_consistent_with_a_diagnosis_states_it(
    criterion: str, note: str, expected: str
) -> None:
    assert status_of(criterion, note) == expected


def test_an_operation_offered_is_not_one_the_patient_had() -> None:
    criterion = "Prior hysterectomy"
    assert status_of(criterion, "She was offered a radical hysterectomy.", kind="exclusion") == "unknown"
    assert status_of(criterion, "She underwent a radical hysterectomy.", kind="exclusion") == "excluded"


@pytest.mark.parametrize(
    ("note", "expected"),
    [
        ("He did not tolerate metoprolol.", "excluded"),
        ("He didn't tolerate metoprolol.", "excluded"),
        ("Metoprolol was not tolerated.", "excluded"),
        # A medicine taken now, with no reaction given, is tolerated.
        ("He takes metoprolol 25 mg daily.", "not excluded"),
        # A course the sentence puts in the past says nothing of now.
        ("In 2015 he took metoprolol for a year.", "unknown"),
    ],
)
def test_intolerance_read_from_the_note(note: str, expected: str) -> None:
    assert status_of("Inability to tolerate beta-blocking drugs", note, kind="exclusion") == expected


def test_a_past_course_that_ended_badly_is_not_a_medicine_taken_now() -> None:
    note = (
        "HIV-positive 40-year-old man. In 1991 he took zidovudine 100 mg five times a day and developed "
        "transfusion-dependent anemia within two months, so it was stopped."
    )
    assert (
        status_of("Known previous intolerance to zidovudine (AZT)", note, kind="exclusion") != "not excluded"
    )


def test_uses_only_gives_the_whole_medication_list() -> None:
    note = "She drinks alcohol frequently. She uses only multivitamins daily."
    assert status_of("Current treatment with metformin", note) == "not met"


@pytest.mark.parametrize(
    ("note", "expected"),
    [
        ("A 46-year-old woman with MDD. She is menopausal.", "met"),
        # Symptoms of the transition do not say she has reached menopause.
        ("A 46-year-old woman with menopausal symptoms.", "unknown"),
    ],
)
def test_is_menopausal_says_menopause_was_reached(note: str, expected: str) -> None:
    assert status_of("Postmenopausal women", note) == expected


@pytest.mark.parametrize(
    ("criterion", "note", "expected"),
    [
        # "Acute" is part of the disease's name, not a course the criterion asks for.
        ("Acute myeloid leukemia", "A 60-year-old man with relapsed AML.", "met"),
        ("Acute kidney injury", "He was admitted with AKI on CKD.", "met"),
        ("Relapsed acute myeloid leukemia", "A 60-year-old man with relapsed acute myeloid leukemia.", "met"),
        (
            "Newly diagnosed acute myeloid leukemia",
            "A 60-year-old man with relapsed acute myeloid leukemia.",
            "not met",
        ),
    ],
)
def test_a_course_word_in_the_disease_name_is_no_course(criterion: str, note: str, expected: str) -> None:
    assert status_of(criterion, note) == expected


@pytest.mark.parametrize(
    ("criterion", "note"),
    [
        ("Type 2 diabetes", "History of DM2 on metformin."),
        ("Diabetes mellitus", "PMH: DMII, HTN."),
        ("Hyperlipidemia", "PMH: HTN, HLD."),
        ("Atrial fibrillation", "A 70-year-old man with afib on warfarin."),
        ("Relapsing remitting multiple sclerosis", "A 20-year-old woman with RRMS."),
        ("Polycystic ovary syndrome", "She complains of sleep apnea, PCOS and weight gain."),
        ("Sickle cell disease", "A 34-year-old man with HbSS disease."),
        ("Subarachnoid hemorrhage", "He was admitted with SAH."),
        ("Lymphoma", "A 60-year-old man with DLBCL."),
        ("Alcohol abuse", "48 M with ongoing EtOH abuse."),
        ("Smokers", "48 M with a h/o HTN and tobacco abuse."),
        ("Attention deficit hyperactivity disorder", "A 9-year-old boy with ADHD."),
        ("Aortic stenosis", "TTE revealed severe aortic valve stenosis."),
    ],
)
def test_a_condition_named_by_its_abbreviation_or_synonym(criterion: str, note: str) -> None:
    assert status_of(criterion, note) == "met"


def test_one_valve_lesion_is_not_another() -> None:
    # Each lesion is a kind of valvular heart disease, no longer one concept for all of them.
    assert status_of("Aortic stenosis", "He has mitral regurgitation.", kind="exclusion") == "unknown"
    assert status_of("Valvular heart disease", "He has mitral regurgitation.", kind="exclusion") == "excluded"


@pytest.mark.parametrize(
    ("criterion", "note"),
    [
        # Abbreviations other specialties use for something else stay unread: RMS is rhabdomyosarcoma in
        # oncology, PCO posterior capsule opacification in ophthalmology.
        ("Relapsing multiple sclerosis", "A 6-year-old boy with embryonal RMS."),
        ("Polycystic ovary syndrome", "Visual acuity reduced by PCO after cataract surgery."),
    ],
)
def test_an_ambiguous_abbreviation_names_no_condition(criterion: str, note: str) -> None:
    assert status_of(criterion, note) == "unknown"


def test_a_medicine_taken_now_answers_intolerance_only_in_a_note_without_reactions() -> None:
    criterion = "Known hypersensitivity to heparin"
    note = "On a heparin drip. Platelets fell to 40 on day 5: heparin-induced thrombocytopenia suspected."
    assert status_of(criterion, note, kind="exclusion") == "unknown"
    with_rash = "He takes metoprolol 25 mg daily. He developed a rash after amoxicillin."
    assert status_of("Inability to tolerate beta-blocking drugs", with_rash, kind="exclusion") == "unknown"
