"""The judge's convention as data a bench can vary (``Conventions``), and the cross-validation by
patient that decides a convention's parts on some patients and scores it on others
(``bench/judge_cv.py``): a convention read off one patient's pairs earns nothing on that patient
once it is held out."""

from __future__ import annotations

import sys
from pathlib import Path

from trialatlas.match.judge import SWITCHES, RuleJudge, default_conventions
from trialatlas.text.packaged import packaged_json

sys.path.insert(0, str(Path(__file__).parents[1] / "bench"))
from judge_cv import Bench, patient_folds, redecide, summary, units

NOTE = "0. A 45-year-old man with type 2 diabetes on metformin.\n1. He will provide informed consent."
OTHER = "0. A 60-year-old woman with asthma on inhaled budesonide.\n1. She will provide informed consent."


def _pair(patient: str, note: str, criterion: str, kind: str, expert: str) -> dict[str, str]:
    return {
        "patient_id": patient,
        "note": note,
        "criterion_text": criterion,
        "criterion_type": kind,
        "expert_eligibility": expert,
    }


def test_the_written_convention_is_the_data_file() -> None:
    cues = packaged_json("trialatlas.match", "judge_cues.json")
    written = default_conventions()
    assert dict(written.silence) == cues["silence"]
    assert written.plans == tuple(cues["plans"]) and written.fit_for == tuple(cues["fit_for"])
    assert written.cut_off_endings == frozenset(cues["cut_off_endings"])
    assert not written.off


def test_a_switched_off_convention_is_not_followed() -> None:
    criterion = "Planning to move away from the area during the study"
    assert RuleJudge().judge(NOTE, criterion, "exclusion").eligibility == "not enough information"
    plain = RuleJudge(default_conventions().but(off=frozenset({"plans"})))
    assert plain.judge(NOTE, criterion, "exclusion").eligibility == "not excluded"
    # A silence entry set to "open" leaves an unnamed diagnosis open instead of absent.
    written = default_conventions()
    opened = RuleJudge(written.but(silence={**written.silence, "condition": "open"}))
    assert RuleJudge().judge(NOTE, "History of pancreatitis", "exclusion").eligibility == "not excluded"
    assert opened.judge(NOTE, "History of pancreatitis", "exclusion").eligibility == "not enough information"


def test_folds_keep_a_patients_pairs_together() -> None:
    patients = ["a", "b", "c", "a", "b"]
    one_out = patient_folds(patients, 0)
    assert sorted(one_out.values()) == [0, 1, 2]
    hashed = patient_folds(patients * 3, 2)
    assert set(hashed) == {"a", "b", "c"} and set(hashed.values()) <= {0, 1}


def test_every_switch_names_a_convention_and_every_unit_can_be_undone() -> None:
    written = default_conventions()
    names = {unit.name for unit in units(written)}
    assert {f"switch:{s}" for s in SWITCHES} <= names
    assert "silence:condition" in names and "silence:measurement" not in names  # "open" is the default
    for unit in units(written):
        assert unit.apply(unit.neutral, True) == written, unit.name


def test_a_convention_only_one_patient_supports_is_dropped_when_that_patient_is_held_out() -> None:
    plan = "Planning to move away from the area during the study"
    pairs = [
        # Patient a: the plans cue is right twice; patient b never meets it.
        _pair("a", NOTE, plan, "exclusion", "not enough information"),
        _pair("a", NOTE, "Intends to relocate within 6 months", "exclusion", "not enough information"),
        _pair("b", OTHER, "History of pancreatitis", "exclusion", "not excluded"),
        _pair("b", OTHER, "Current use of warfarin", "exclusion", "not excluded"),
    ]
    bench = Bench(pairs, 0)
    written = default_conventions()
    fixed = {fold: bench.labels(written) for fold in bench.folds}
    strict, info = redecide(bench, written, keep_ties=False)
    # In-sample every pair is right; held out, patient a's plans are judged without the cue.
    assert summary(bench, fixed)["right"] == 4
    assert summary(bench, strict)["right"] == 2
    assert "switch:plans" in info["dropped_in_folds"]
    kept, _ = redecide(bench, written, keep_ties=True)
    # Keeping what the training patients cannot judge keeps the cue: the optimistic, in-sample figure.
    assert summary(bench, kept)["right"] == 4
