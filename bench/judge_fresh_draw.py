"""The draw of legacy-XML trials for the fresh judge cases (c1020-c1079), so it can be repeated.

Trials with criteria in the shared legacy XML export that no labelled case file uses yet and whose NCT
number ends in an even digit, sorted by NCT number, then ``random.Random(SEED).sample`` of ``COUNT``.
Prints each drawn trial's criteria text with character offsets (the spans the case file names), for
the labeller; run it before the cases are written, never after to pick criteria the code reads well.

Usage: python bench/judge_fresh_draw.py [--list]
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

from trialatlas.config import shared_data_dir
from trialatlas.model import Trial
from trialatlas.sources import read_paths

SEED = 20261214
COUNT = 12
SOURCE = Path("ctgov_legacy_xml_2023") / "ctgov_legacy_xml_feb2023.tar.gz"
FIXTURES = Path(__file__).parents[1] / "tests" / "fixtures"


def used_trials() -> set[str]:
    """NCT numbers any labelled case file already names."""
    used: set[str] = set()
    for path in FIXTURES.glob("*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            case = json.loads(line)
            for key in ("nct_id", "trial_id"):
                if isinstance(case.get(key), str):
                    used.add(case[key])
            criterion = case.get("criterion")
            if isinstance(criterion, dict) and isinstance(criterion.get("trial_id"), str):
                used.add(criterion["trial_id"])
    return used


def draw() -> list[tuple[str, str]]:
    used = used_trials()
    pool: dict[str, str] = {}
    for trial in read_paths([shared_data_dir() / SOURCE]):
        if not isinstance(trial, Trial) or not trial.nct_id or trial.nct_id in used:
            continue
        if trial.nct_id[-1] in "02468" and trial.eligibility.criteria_text:
            pool[trial.nct_id] = trial.eligibility.criteria_text
    chosen = random.Random(SEED).sample(sorted(pool), COUNT)
    return [(nct, pool[nct]) for nct in chosen]


def print_with_offsets(text: str) -> None:
    """Each non-blank line of a criteria text with its character span, the offsets a case cites."""
    offset = 0
    for line in text.splitlines(keepends=True):
        if line.strip():
            print(f"[{offset}:{offset + len(line.rstrip())}] {line.rstrip()}")
        offset += len(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--list", action="store_true", help="print the drawn NCT numbers only")
    args = parser.parse_args()
    for nct, text in draw():
        print(f"=== {nct}")
        if args.list:
            continue
        print_with_offsets(text)


if __name__ == "__main__":
    main()
