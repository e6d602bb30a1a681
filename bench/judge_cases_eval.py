"""The labelled case files by half: the clinical suite, the fresh judge cases, the inference cases and
the generalisation cases (patients outside the TrialGPT labelled ones),
tuning (even ids) and sealed (odd ids) apart, as aggregates.

Prints one JSON object: per set and half, agreement, confidently wrong ("wrong": met / not met
reversed; "missed": decided where the label is unknown) and unknowns; for the cases against TREC /
SIGIR patients (fresh and inference cases), the judge's TrialGPT-style label too. ``--tuning-errors``
also lists the TUNING half's cases that do not agree (id, category, expected, got); the sealed half's
cases are never listed.

Usage: python bench/judge_cases_eval.py [--tuning-errors]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

from trialatlas.config import shared_data_dir
from trialatlas.match.judge import RuleJudge
from trialatlas.model import Trial
from trialatlas.sources import read_paths

sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))
from verdict_support import case_verdict, read_cases, topic_notes

FIXTURES = Path(__file__).parents[1] / "tests" / "fixtures"
SOURCE = Path("ctgov_legacy_xml_2023") / "ctgov_legacy_xml_feb2023.tar.gz"
SETS = {
    "suite": "clinical_cases.jsonl",
    "fresh": "judge_fresh_cases.jsonl",
    "infer": "judge_infer_cases.jsonl",
    "gen": "judge_gen_cases.jsonl",
}


@cache
def criteria_texts(wanted: frozenset[str]) -> dict[str, str]:
    texts: dict[str, str] = {}
    for trial in read_paths([shared_data_dir() / SOURCE]):
        if isinstance(trial, Trial) and trial.nct_id in wanted and trial.eligibility.criteria_text:
            texts[trial.nct_id] = trial.eligibility.criteria_text
            if len(texts) == len(wanted):
                break
    return texts


def outcome(got: str, expected: str, undecided: str) -> str:
    if got == expected:
        return "agree"
    if got == undecided:
        return "unknown"
    return "missed" if expected == undecided else "wrong"


def summary(counts: Counter[str]) -> dict[str, Any]:
    total = sum(counts.values())
    return {
        "cases": total,
        "agreement": round(counts["agree"] / total, 3) if total else 0.0,
        "confidently_wrong": counts["wrong"] + counts["missed"],
        **dict(counts),
    }


def score_case(
    case: dict[str, Any], texts: dict[str, str], judge: RuleJudge
) -> tuple[str, str, str | None, str | None]:
    """One labelled case: the engine's verdict and its outcome against ``expected``, and the judge's label
    and its outcome against ``label`` (``None`` for a case without one). The criterion is the case's span
    of its trial's criteria text; the patient its written note or its topic's."""
    start, end = case["span"]
    criterion = " ".join(texts[case["nct_id"]][start:end].split())
    note = case["note"] if "note" in case else topic_notes()[case["patient"]["id"]]
    got = case_verdict(criterion, note, kind=case["section"])
    if "label" not in case:
        return got, outcome(got, case["expected"], "unknown"), None, None
    label = judge.judge(note, criterion, case["section"]).eligibility
    return (
        got,
        outcome(got, case["expected"], "unknown"),
        label,
        outcome(label, case["label"], "not enough information"),
    )


def score_cases(cases: list[dict[str, Any]]) -> tuple[Counter[str], Counter[str]]:
    """The outcomes of the engine and of the judge's labels over ``cases`` (a test's whole set)."""
    texts = criteria_texts(frozenset(case["nct_id"] for case in cases))
    judge = RuleJudge()
    engine: Counter[str] = Counter()
    labels: Counter[str] = Counter()
    for case in cases:
        _, result, _, label_result = score_case(case, texts, judge)
        engine[result] += 1
        if label_result is not None:
            labels[label_result] += 1
    return engine, labels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tuning-errors", action="store_true")
    args = parser.parse_args()
    cases = {name: read_cases(FIXTURES / file) for name, file in SETS.items()}
    wanted = frozenset(case["nct_id"] for group in cases.values() for case in group)
    texts = criteria_texts(wanted)
    judge = RuleJudge()
    report: dict[str, Any] = {}
    errors: list[dict[str, str]] = []
    for name, group in cases.items():
        engine: dict[str, Counter[str]] = {"tuning": Counter(), "sealed": Counter()}
        labels: dict[str, Counter[str]] = {"tuning": Counter(), "sealed": Counter()}
        for case in group:
            half = "tuning" if int(case["id"][1:]) % 2 == 0 else "sealed"
            got, result, label, label_result = score_case(case, texts, judge)
            engine[half][result] += 1
            if label_result is not None:
                labels[half][label_result] += 1
            if (
                half == "tuning"
                and args.tuning_errors
                and (result != "agree" or (label is not None and label != case["label"]))
            ):
                errors.append(
                    {
                        "set": name,
                        "id": case["id"],
                        "category": case["category"],
                        "expected": case["expected"],
                        "got": got,
                        **({"label": case["label"], "judge": label} if label is not None else {}),
                    }
                )
        report[name] = {half: summary(engine[half]) for half in engine}
        if any(labels.values()):
            report[name]["judge_labels"] = {half: summary(labels[half]) for half in labels}
    if args.tuning_errors:
        report["tuning_errors"] = errors
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
