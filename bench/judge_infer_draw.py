"""The draw of TrialGPT-style patient-trial pairs for the inference cases (c1080-c1139), to be repeated.

Pairs of a TREC 2021 or SIGIR patient and a trial judged for that patient in the benchmark's qrels (score 1
"excluded" or 2 "eligible": the trial is about the patient's condition, so its criteria are ones the note can
decide), where the trial has criteria in the shared legacy XML export and an NCT number ending in an even
digit, and the patient is none of the TrialGPT development labels' (criterion_annotations/dev.json), so no
labelled pair is touched. Sorted, then ``random.Random(SEED).sample`` of ``COUNT``, at most one pair per
patient. Prints each pair's note and the trial's criteria text with character offsets (the spans the case
file names), for the labeller; run it before the cases are written, never after to pick criteria the code
reads well. From each drawn pair the labeller took the criteria the note decides in words other than
the criterion's (and some it leaves open), 1 to 5 a pair, 60 in all.

Usage: python bench/judge_infer_draw.py [--list]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
from pathlib import Path

from judge_fresh_draw import SOURCE, print_with_offsets
from trialatlas.config import shared_data_dir
from trialatlas.eval.trec import load_topics
from trialatlas.model import Trial
from trialatlas.sources import read_paths

SEED = 20261207
COUNT = 24
BENCHMARKS = Path("trialgpt_benchmarks")
SETS = ("trec_2021", "sigir")


def labelled_patients() -> set[str]:
    """Patients the TrialGPT development labels use."""
    path = shared_data_dir() / BENCHMARKS / "criterion_annotations" / "dev.json"
    return {pair["patient_id"] for pair in json.loads(path.read_text(encoding="utf-8"))}


def judged_pairs() -> list[tuple[str, str, int]]:
    """(patient, trial, score) of every qrels row with score 1 or 2, both sets."""
    pairs: list[tuple[str, str, int]] = []
    for name in SETS:
        with (shared_data_dir() / BENCHMARKS / name / "qrels" / "test.tsv").open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                if row["score"] in ("1", "2"):
                    pairs.append((row["query-id"], row["corpus-id"], int(row["score"])))
    return pairs


def draw() -> list[tuple[str, str, int, str, str]]:
    skip = labelled_patients()
    notes = {
        topic.id: topic.text
        for name in SETS
        for topic in load_topics(shared_data_dir() / BENCHMARKS / name / "queries.jsonl")
    }
    pairs = [pair for pair in judged_pairs() if pair[0] not in skip and pair[1][-1] in "02468"]
    wanted = {trial for _, trial, _ in pairs}
    criteria: dict[str, str] = {}
    for trial in read_paths([shared_data_dir() / SOURCE]):
        if isinstance(trial, Trial) and trial.nct_id in wanted and trial.eligibility.criteria_text:
            criteria[trial.nct_id] = trial.eligibility.criteria_text
    pool = sorted(pair for pair in pairs if pair[1] in criteria and pair[0] in notes)
    chosen: list[tuple[str, str, int]] = []
    seen: set[str] = set()
    for pair in random.Random(SEED).sample(pool, len(pool)):
        if pair[0] not in seen:
            seen.add(pair[0])
            chosen.append(pair)
        if len(chosen) == COUNT:
            break
    return [(patient, nct, score, notes[patient], criteria[nct]) for patient, nct, score in chosen]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--list", action="store_true", help="print the drawn pairs only")
    args = parser.parse_args()
    for patient, nct, score, note, text in draw():
        print(f"=== {patient} {nct} qrels {score}")
        if args.list:
            continue
        print(f"NOTE: {note}")
        print_with_offsets(text)


if __name__ == "__main__":
    main()
