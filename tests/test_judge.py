"""The TrialGPT-format criterion judge: labels, evidence, accuracy on the development half, CLI, plug-ins."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from trialatlas.cli import (
    app,
    commands,  # noqa: F401  (registers the commands)
)
from trialatlas.config import shared_data_dir
from trialatlas.match.judge import LABELS, Judgement, judge_annotations, load_annotations, load_judge

DEV = shared_data_dir() / "trialgpt_benchmarks" / "criterion_annotations" / "dev.json"

NOTE = (
    "0. A 58-year-old woman presents with chest pain.\n1. She is known to have hypertension and obesity.\n"
    "2. She denies smoking or diabetes.\n3. The patient will provide informed consent."
)


class AlwaysUnsure:
    """A stand-in for a user's own judge (an LLM client, say)."""

    def judge(
        self, note: str, criterion_text: str, criterion_type: str, annotation_id: Any = None
    ) -> Judgement:
        return Judgement(annotation_id, "not enough information", [])


def _pair(criterion: str, kind: str, annotation_id: int = 0) -> dict[str, Any]:
    return {"annotation_id": annotation_id, "note": NOTE, "criterion_text": criterion, "criterion_type": kind}


def test_labels_follow_the_rules() -> None:
    pairs = [
        _pair("Age 25 to 65 years", "inclusion", 1),
        _pair("Age 18 to 40 years", "inclusion", 2),
        _pair("Clinical diagnosis of hypertension", "inclusion", 3),
        _pair("Diabetes mellitus", "exclusion", 4),
        _pair("Pregnant or nursing women", "exclusion", 5),
        _pair("Refusal to give informed consent", "exclusion", 6),
        _pair("Serum creatinine > 3.0 mg/dl", "exclusion", 7),
    ]
    labels = {j.annotation_id: j.eligibility for j in judge_annotations(pairs)}
    assert labels == {
        1: "included",
        2: "not included",
        3: "included",
        4: "not excluded",
        5: "not enough information",  # a 58-year-old woman: notes rarely say she is not pregnant
        6: "not excluded",
        7: "not enough information",
    }
    hypertension = judge_annotations([pairs[2]])[0]
    assert hypertension.evidence_sentences == [1]


def _label(note: str, criterion: str, kind: str) -> str:
    judged = judge_annotations([{"note": note, "criterion_text": criterion, "criterion_type": kind}])
    return judged[0].eligibility


WOMAN = "0. A 30-year-old woman presents with pelvic pain.\n1. She has no other medical history."


def test_pregnancy_status_follows_sex_age_and_tests() -> None:
    assert _label(WOMAN, "Current pregnancy", "exclusion") == "not enough information"
    negative = WOMAN + "\n2. A urine pregnancy test was negative."
    assert _label(negative, "Current pregnancy", "exclusion") == "not excluded"
    older = "0. A 72-year-old woman with a stroke."
    assert _label(older, "Pregnancy", "exclusion") == "not applicable"
    man = "0. A 40-year-old man with chest pain."
    assert _label(man, "Pregnant women, prisoners, or unable to provide consent", "exclusion") == (
        "not applicable"
    )
    boy = "0. A 2-year-old boy with fever."
    assert _label(boy, "Patient agrees to use effective contraception", "inclusion") == "not applicable"
    assert _label(boy, "Female subjects with asthma aged 12 years and older", "exclusion") == (
        "not applicable"
    )


def test_values_placed_by_findings_and_normal_panels() -> None:
    note = (
        "0. A 40-year-old woman is tachycardic and tachypneic.\n"
        "1. The complete blood count and biochemical profile are normal."
    )
    assert _label(note, "Heart rate of at least 90/min", "inclusion") == "included"
    assert _label(note, "Hematocrit < 25%", "exclusion") == "not excluded"
    assert _label(note, "Serum potassium > 6.5 mmol/L", "exclusion") == "not excluded"
    # Normal says nothing about a threshold inside the normal range.
    assert _label(note, "Hemoglobin < 13 g/dL", "exclusion") == "not enough information"
    assert _label(note, "Platelet count < 100,000/mm3", "exclusion") == "not excluded"


def test_first_reading_when_the_criterion_asks_for_it() -> None:
    note = (
        "0. A 27-year-old woman has a hemoglobin of 9.4 g/dL.\n1. Two weeks later her hemoglobin is 8.6 g/dL."
    )
    assert _label(note, "Hemoglobin < 9 g/dL", "exclusion") == "excluded"
    assert _label(note, "Initial hemoglobin < 9 g/dL", "exclusion") == "not excluded"


def test_closed_world_for_operations_treatments_and_absences() -> None:
    note = "0. A 67-year-old woman with diet-controlled diabetes had a cardiac catheterization."
    assert _label(note, "Patients undergoing elective carotid endarterectomy", "inclusion") == "not included"
    assert _label(note, "Ability to undergo carotid endarterectomy", "inclusion") == "not enough information"
    assert _label(note, "No history of asthma", "inclusion") == "included"
    # A conjunction with a part the note would have mentioned does not hold.
    assert _label(note, "Diabetic patients on rosiglitazone", "exclusion") == "not excluded"
    # A detail of the patient's own problem the note leaves out stays open.
    assert _label(note, "Uncontrolled diabetes", "exclusion") == "not enough information"


def test_suspected_conditions_are_neither_present_nor_absent() -> None:
    note = (
        "0. A 36-year-old woman with vaginal spotting.\n"
        "1. The differential diagnosis includes uterine fibroids."
    )
    assert _label(note, "Symptomatic uterine fibroids", "inclusion") == "not enough information"
    assert _label(note, "Uterine fibroids larger than 10 cm", "exclusion") == "not enough information"


def test_study_process_exclusions_are_not_applicable() -> None:
    note = "0. A 62-year-old man with memory loss."
    assert _label(note, "MRI images unable to be processed", "exclusion") == "not applicable"
    assert _label(note, "The patient has previously enrolled into this study.", "exclusion") == (
        "not applicable"
    )


def test_a_relatives_condition_is_not_the_patients() -> None:
    note = "0. A 26-year-old woman with a history of bipolar disorder."
    criterion = "At least one biological parent diagnosed with bipolar disorder (bipolar I or II)"
    assert _label(note, criterion, "inclusion") == "not enough information"


def test_male_patients_are_not_applicable_to_pregnancy_criteria() -> None:
    note = "0. A 44 yo male is brought to the emergency room after vomiting blood."
    result = judge_annotations(
        [{"note": note, "criterion_text": "Pregnancy or lactation", "criterion_type": "exclusion"}]
    )
    assert result[0].eligibility == "not applicable"


def test_development_half_accuracy_beats_the_baselines() -> None:
    pairs = load_annotations(DEV)
    assert len(pairs) == 525
    judgements = judge_annotations(pairs)
    assert {j.eligibility for j in judgements} <= set(LABELS)
    correct = sum(
        1 for p, j in zip(pairs, judgements, strict=True) if p["expert_eligibility"] == j.eligibility
    )
    by_type: dict[str, Counter[str]] = {}
    for pair in pairs:
        by_type.setdefault(pair["criterion_type"], Counter())[pair["expert_eligibility"]] += 1
    majority_by_type = sum(c.most_common(1)[0][1] for c in by_type.values())
    assert correct > majority_by_type + 20  # clearly above always answering the commonest label per type
    assert correct / len(pairs) >= 0.78  # 0.80 with the annotators' conventions (0.71 before them)
    for pair, judgement in zip(pairs, judgements, strict=True):
        sentences = len([line for line in pair["note"].splitlines() if line.strip()])
        assert all(0 <= index < sentences for index in judgement.evidence_sentences)


def test_cli_writes_one_line_per_pair(tmp_path: Path) -> None:
    source = tmp_path / "pairs.json"
    source.write_text(
        json.dumps([_pair("Age 25 to 65 years", "inclusion", 7), _pair("HIV infection", "exclusion", 8)])
    )
    out = tmp_path / "pred.jsonl"
    result = CliRunner().invoke(app, ["judge", str(source), "--out", str(out)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [line["annotation_id"] for line in lines] == [7, 8]
    assert lines[0] == {"annotation_id": 7, "eligibility": "included", "evidence_sentences": [0]}
    assert lines[1]["eligibility"] == "not excluded"


def test_cli_rejects_a_file_that_is_not_a_list_of_pairs(tmp_path: Path) -> None:
    source = tmp_path / "bad.json"
    source.write_text(json.dumps("not a list"))
    result = CliRunner().invoke(app, ["judge", str(source), "--out", str(tmp_path / "o.jsonl")])
    assert result.exit_code == 2


def test_judge_survives_null_and_empty_criterion_texts(tmp_path: Path) -> None:
    good = _pair("Age 25 to 65 years", "inclusion")
    pairs = [
        {**good, "annotation_id": "null", "criterion_text": None},
        {**good, "annotation_id": "empty", "criterion_text": "   "},
        {"annotation_id": "lacking", "note": "x"},
        {**good, "annotation_id": "good"},
    ]
    judgements = judge_annotations(pairs)
    assert [j.eligibility for j in judgements[:3]] == ["not enough information"] * 3
    assert (
        judgements[0].error == "criterion_text is null" and judgements[1].error == "criterion_text is empty"
    )
    assert judgements[3].error is None and judgements[3].eligibility == "included"
    source = tmp_path / "pairs.json"
    source.write_text(json.dumps(pairs))
    out = tmp_path / "o.jsonl"
    result = CliRunner().invoke(app, ["judge", str(source), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "annotation null: criterion_text is null" in result.output
    assert "Traceback" not in result.output
    assert len(out.read_text().splitlines()) == 4


def test_a_custom_judge_plugs_in() -> None:
    judge = load_judge(f"{__name__}:AlwaysUnsure")
    result = judge_annotations([_pair("Age 25 to 65 years", "inclusion")], judge)
    assert result[0].eligibility == "not enough information"
    assert type(load_judge(None)).__name__ == "RuleJudge"


def test_life_expectancy_is_ordinary_unless_the_note_says_otherwise() -> None:
    assert _label(NOTE, "Life expectancy shorter than 3 months", "exclusion") == "not excluded"
    assert _label(NOTE, "Expected survival: life expectancy of at least 6 months", "inclusion") == "included"
    hospice = "0. A 70-year-old man with metastatic pancreatic cancer.\n1. He was referred to hospice."
    assert _label(hospice, "Life expectancy shorter than 3 months", "exclusion") == "not enough information"


def test_a_clinicians_verdict_leaves_life_expectancy_to_the_investigator() -> None:
    from trialatlas.extract.criteria import Criterion, parse_criterion
    from trialatlas.match.patient import profile_from_note
    from trialatlas.match.verdict import evaluate_criterion

    text = "Life expectancy of at least 3 months"
    parsed = parse_criterion(Criterion(text=text, kind="inclusion", index=0, start=0, end=len(text)))
    profile = profile_from_note(NOTE)
    # The annotators' convention is the judge's only: the verdict a clinician acts on stays open.
    assert evaluate_criterion(parsed, profile).status == "unknown"
    assert evaluate_criterion(parsed, profile, ordinary_life_expectancy=True).status == "met"


def test_consent_does_not_tell_the_patients_language() -> None:
    assert _label(NOTE, "Unable to speak French", "exclusion") == "not enough information"
    # The note itself is an English history: fluency in English is the closed-world default.
    assert _label(NOTE, "Unable to speak English", "exclusion") == "not excluded"


def test_fitting_whom_a_criterion_names_is_not_meeting_what_it_asks() -> None:
    # Age and sex fit, but where she lives is not in the note.
    assert _label(NOTE, "Women aged 40-70 living within the catchment region", "inclusion") == (
        "not enough information"
    )
    assert _label(NOTE, "Women aged 40-70", "inclusion") == "included"


def test_a_criterion_type_that_is_neither_inclusion_nor_exclusion_is_one_error_line(tmp_path: Path) -> None:
    # Before, any type not starting "excl" ("inclusionx", "exlcusion", "other") was judged as an
    # inclusion without a word: a misspelt exclusion then came back "included" or "not included".
    good = _pair("Age 25 to 65 years", "inclusion")
    pairs = [
        {**good, "annotation_id": "typo", "criterion_type": "exlcusion"},
        {**good, "annotation_id": "other", "criterion_type": "other"},
        {**good, "annotation_id": "cased", "criterion_type": " Inclusion "},
        {**good, "annotation_id": "excl", "criterion_type": "EXCLUSION"},
    ]
    judgements = judge_annotations(pairs)
    assert [j.error for j in judgements[:2]] == [
        "criterion_type is neither inclusion nor exclusion: 'exlcusion'",
        "criterion_type is neither inclusion nor exclusion: 'other'",
    ]
    assert [j.eligibility for j in judgements[:2]] == ["not enough information"] * 2
    assert judgements[2].error is None and judgements[2].eligibility == "included"
    assert judgements[3].error is None and judgements[3].eligibility in ("excluded", "not excluded")
    source = tmp_path / "pairs.json"
    source.write_text(json.dumps(pairs))
    out = tmp_path / "o.jsonl"
    result = CliRunner().invoke(app, ["judge", str(source), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "annotation typo: criterion_type is neither inclusion nor exclusion" in result.output
    assert len(out.read_text().splitlines()) == 4
