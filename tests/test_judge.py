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
        5: "not excluded",
        6: "not excluded",
        7: "not enough information",
    }
    hypertension = judge_annotations([pairs[2]])[0]
    assert hypertension.evidence_sentences == [1]


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


def test_cli_rejects_malformed_annotations(tmp_path: Path) -> None:
    source = tmp_path / "bad.json"
    source.write_text(json.dumps([{"note": "x"}]))
    result = CliRunner().invoke(app, ["judge", str(source), "--out", str(tmp_path / "o.jsonl")])
    assert result.exit_code == 2


def test_a_custom_judge_plugs_in() -> None:
    judge = load_judge(f"{__name__}:AlwaysUnsure")
    result = judge_annotations([_pair("Age 25 to 65 years", "inclusion")], judge)
    assert result[0].eligibility == "not enough information"
    assert type(load_judge(None)).__name__ == "RuleJudge"
