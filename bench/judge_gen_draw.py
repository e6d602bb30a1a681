"""The draw of (patient, trial) pairs for the generalisation cases (c1140 on, room judgegen), so it can be
repeated.

Patients: TREC 2021 and SIGIR topics that are NOT among the TrialGPT labelled patients (the judge's
convention was read off those). Trials: for each such topic, the trials its qrels judge relevant (score
1 or 2), with criteria in the shared legacy XML export, an NCT number ending in an even digit, and named
by no labelled case file yet. ``random.Random(SEED)`` picks ``COUNT`` topics and one trial for each.
Prints each pair's note and the trial's criteria, split as the parser splits them, with the character
spans a case names; run it before the cases are written, never after to pick criteria the code reads well.

Usage: python bench/judge_gen_draw.py [--list]
"""

from __future__ import annotations

import argparse
import csv
import json
import random

from judge_fresh_draw import SOURCE, used_trials
from trialatlas.config import shared_data_dir
from trialatlas.eval.trec import load_topics
from trialatlas.model import Trial
from trialatlas.sources import read_paths
from trialatlas.text.criteria import split_criteria

SEED = 20261208
COUNT = 24
BENCH = shared_data_dir() / "trialgpt_benchmarks"


def labelled_patients() -> set[str]:
    pairs = json.loads((BENCH / "criterion_annotations" / "dev.json").read_text(encoding="utf-8"))
    return {str(pair["patient_id"]) for pair in pairs}


def relevant() -> dict[str, list[str]]:
    """Topic id -> the NCT numbers its qrels judge relevant, for the topics no labelled pair uses."""
    skip = labelled_patients()
    out: dict[str, list[str]] = {}
    for source in ("trec_2021", "sigir"):
        with (BENCH / source / "qrels" / "test.tsv").open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                if row["query-id"] not in skip and int(row["score"]) >= 1:
                    out.setdefault(row["query-id"], []).append(row["corpus-id"])
    return out


def draw() -> list[tuple[str, str, str]]:
    wanted = relevant()
    used = used_trials()
    pool = {nct for ncts in wanted.values() for nct in ncts if nct[-1] in "02468" and nct not in used}
    texts: dict[str, str] = {}
    for trial in read_paths([shared_data_dir() / SOURCE]):
        if isinstance(trial, Trial) and trial.nct_id in pool and trial.eligibility.criteria_text:
            texts[trial.nct_id] = trial.eligibility.criteria_text
    rng = random.Random(SEED)
    topics = sorted(t for t, ncts in wanted.items() if any(n in texts for n in ncts))
    chosen: list[tuple[str, str, str]] = []
    for topic in rng.sample(topics, min(COUNT, len(topics))):
        nct = rng.choice(sorted(n for n in wanted[topic] if n in texts))
        chosen.append((topic, nct, texts[nct]))
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--list", action="store_true", help="print the drawn pairs only")
    args = parser.parse_args()
    notes = {t.id: t.text for s in ("trec_2021", "sigir") for t in load_topics(BENCH / s / "queries.jsonl")}
    for topic, nct, text in draw():
        print(f"=== {topic} {nct}")
        if args.list:
            continue
        print(f"NOTE: {notes[topic]}")
        for criterion in split_criteria(text):
            body = " ".join(text[criterion.start : criterion.end].split())
            print(f"[{criterion.kind[:3]} {criterion.start}:{criterion.end}] {body}")


if __name__ == "__main__":
    main()
