"""Cases c1080-c1139: TrialGPT-style pairs of a TREC 2021 or SIGIR patient outside the development labels
and a criterion of a legacy-XML trial judged for that patient (drawn by bench/judge_infer_draw.py), where
the note decides the criterion in words other than the criterion's, or leaves it open; labelled and
committed before the engine ran on them (tests/fixtures/judge_infer_cases.jsonl).

Each case names its trial, section, the criterion's character span in the shared record and the topic
id of the patient. Checked: the engine's verdict (met / not met / unknown) and the label TrialGPT's
annotators would give by the convention of docs/matching.md. Even ids are the tuning half, odd ids the
sealed half: only aggregate figures are printed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from trialatlas.config import shared_data_dir
from verdict_support import read_cases

sys.path.insert(0, str(Path(__file__).parents[1] / "bench"))
from judge_cases_eval import SOURCE, score_cases

CASES_FILE = Path(__file__).parent / "fixtures" / "judge_infer_cases.jsonl"
LABELS = ("included", "not included", "excluded", "not excluded", "not applicable", "not enough information")
# Floors at what the code reaches. Labelled first; before the fixes of the round that wrote them
# (judgeinfer) the engine agreed on 28 of 60 (13 tuning, 15 sealed) with 3 confidently wrong (all
# tuning), the judge's labels on 35 with 9 confidently wrong; after them the engine 32 (16 + 16) with
# none, the judge's labels 38 (22 + 16) with 7 (1 + 6).
MIN_ENGINE_AGREEMENT = 0.53
MAX_ENGINE_CONFIDENTLY_WRONG = 0
MIN_JUDGE_AGREEMENT = 0.63
MAX_JUDGE_CONFIDENTLY_WRONG = 7


def _cases() -> list[dict[str, Any]]:
    return read_cases(CASES_FILE)


def test_every_case_is_a_judged_pair_outside_the_development_labels() -> None:
    cases = _cases()
    assert [case["id"] for case in cases] == [f"c{n}" for n in range(1080, 1140)]
    labelled = set()
    dev = shared_data_dir() / "trialgpt_benchmarks" / "criterion_annotations" / "dev.json"
    if dev.is_file():
        labelled = {pair["patient_id"] for pair in json.loads(dev.read_text(encoding="utf-8"))}
    for case in cases:
        assert "criterion" not in case and "note" not in case
        assert case["section"] in ("inclusion", "exclusion")
        assert case["expected"] in ("met", "not_met", "unknown")
        assert case["label"] in LABELS
        assert case["nct_id"][-1] in "02468"
        start, end = case["span"]
        assert 0 <= start < end
        assert case["patient"]["source"] in ("trec_2021", "sigir")
        assert case["patient"]["id"] not in labelled


@pytest.mark.slow
def test_inference_cases_agree_and_are_rarely_confidently_wrong() -> None:
    if not (shared_data_dir() / SOURCE).is_file():
        pytest.skip("shared registry records not found")
    cases = _cases()
    engine, labels = score_cases(cases)
    report = {"engine": dict(engine), "judge": dict(labels)}
    print(json.dumps(report))
    assert engine["agree"] / len(cases) >= MIN_ENGINE_AGREEMENT, report
    assert engine["wrong"] + engine["missed"] <= MAX_ENGINE_CONFIDENTLY_WRONG, report
    assert labels["agree"] / sum(labels.values()) >= MIN_JUDGE_AGREEMENT, report
    assert labels["wrong"] + labels["missed"] <= MAX_JUDGE_CONFIDENTLY_WRONG, report
