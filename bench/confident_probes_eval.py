"""The confident-wrong probes (tests/fixtures/confident_probes.jsonl) by half, as aggregates.

Each probe is a criterion written in registry style, a note and the verdicts a clinician accepts (the
preferred one first). "agree": the engine gives an accepted verdict; "wrong": a decided verdict the
clinician does not accept (met for not met, or the reverse; or decided where only unknown is right);
"unknown": undecided where a decision was wanted. Even ids tune, odd ids are sealed: ``--tuning-errors``
lists the tuning half's disagreements only; the sealed half is never listed.

Usage: python bench/confident_probes_eval.py [--tuning-errors]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))
from verdict_support import case_verdict, read_cases

PROBES = Path(__file__).parents[1] / "tests" / "fixtures" / "confident_probes.jsonl"


def probe_outcome(got: str, acceptable: list[str]) -> str:
    if got in acceptable:
        return "agree"
    return "unknown" if got == "unknown" else "wrong"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tuning-errors", action="store_true")
    args = parser.parse_args()
    halves: dict[str, Counter[str]] = {"tuning": Counter(), "sealed": Counter()}
    errors: list[dict[str, str]] = []
    for probe in read_cases(PROBES):
        half = "tuning" if int(probe["id"][1:]) % 2 == 0 else "sealed"
        got = case_verdict(probe["criterion"], probe["note"], kind=probe["kind"])
        result = probe_outcome(got, probe["acceptable"])
        halves[half][result] += 1
        if half == "tuning" and args.tuning_errors and result != "agree":
            errors.append(
                {"id": probe["id"], "category": probe["category"], "expected": probe["expected"], "got": got}
            )
    report: dict[str, Any] = {}
    for half, counts in halves.items():
        total = sum(counts.values())
        report[half] = {
            "probes": total,
            "agreement": round(counts["agree"] / total, 3) if total else 0.0,
            "confidently_wrong": counts["wrong"],
            **dict(counts),
        }
    if args.tuning_errors:
        report["tuning_errors"] = errors
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
