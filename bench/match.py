"""Speed of eligibility: criteria parsed per second, and one patient matched against 100,000 trials.

* parse: every stored trial's criteria split and parsed into rules, parse cache cleared first
  (goal ≥ 5,000 criteria/s);
* match: the stored trials replicated (with fresh NCT ids) up to ``--scale`` trials, an inverted index
  built once over their topical fields, then one patient matched: prefilter + rules on the most
  relevant + ranking (goal < 1 s). Reported cold (empty parse cache) and warm.

Trials come from ``--db`` (a store) or, by default, the legacy XML sample in the shared data.
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator

from trialatlas.config import shared_data_dir
from trialatlas.extract.criteria import parse_criterion, trial_criteria
from trialatlas.extract.criteria.registry import _parse_cached
from trialatlas.match.matcher import TrialIndex, match_trials
from trialatlas.match.patient import profile_from_note
from trialatlas.model import Trial

PATIENT = (
    "A 10-year-old boy presents with steroid-dependent nephrotic syndrome with frequent relapses. "
    "He denies diabetes or hypertension. Hemoglobin is 12.1 g/dL, platelet count 250 x 10^9/L and "
    "eGFR 110 ml/min/1.73m2. He has never received tacrolimus or rituximab."
)


def _load(db: str | None, limit: int | None) -> list[Trial]:
    trials: list[Trial] = []
    source: Iterator[Trial]
    if db:
        from trialatlas.store import open_store

        store = open_store(db)
        source = store.iter_trials()
    else:
        from trialatlas.sources import read_paths

        source = (
            t for t in read_paths([shared_data_dir() / "ctgov_legacy_xml_2023"]) if isinstance(t, Trial)
        )
    for trial in source:
        if trial.eligibility.criteria_text or trial.eligibility.inclusion:
            trials.append(trial)
            if limit and len(trials) >= limit:
                break
    return trials


def bench_parse(trials: list[Trial]) -> dict[str, float | int]:
    _parse_cached.cache_clear()
    started = time.perf_counter()
    count = 0
    unique: set[str] = set()
    rules = 0
    for trial in trials:
        eligibility = trial.eligibility
        for criterion in trial_criteria(
            eligibility.criteria_text, eligibility.inclusion, eligibility.exclusion
        ):
            parsed = parse_criterion(criterion)
            count += 1
            rules += len(parsed.rules)
            unique.add(criterion.text)
    elapsed = time.perf_counter() - started
    return {
        "trials": len(trials),
        "criteria": count,
        "unique_criteria": len(unique),
        "rules": rules,
        "seconds": round(elapsed, 3),
        "criteria_per_second": round(count / elapsed, 1),
        "goal_criteria_per_second": 5000,
    }


def bench_match(trials: list[Trial], scale: int) -> dict[str, object]:
    replicated = [
        trials[i % len(trials)].model_copy(update={"nct_id": f"NCT{90000000 + i:08d}"}) for i in range(scale)
    ]
    started = time.perf_counter()
    index = TrialIndex(replicated)
    index_seconds = time.perf_counter() - started
    patient = profile_from_note(PATIENT, "bench")
    timings: dict[str, float] = {}
    results = []
    for label in ("cold", "warm"):
        if label == "cold":
            _parse_cached.cache_clear()
        started = time.perf_counter()
        results = match_trials(patient, index, top=20)
        timings[f"{label}_seconds"] = round(time.perf_counter() - started, 3)
    return {
        "trials": len(index),
        "index_build_seconds": round(index_seconds, 2),
        **timings,
        "goal_seconds": 1.0,
        "top": [(c.trial.nct_id, c.verdict.status if c.verdict else None) for c in results[:5]],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=None, help="Store to read trials from (default: shared legacy XML).")
    parser.add_argument("--limit", type=int, default=None, help="Read at most this many trials.")
    parser.add_argument("--scale", type=int, default=100_000, help="Trials to match against.")
    args = parser.parse_args(argv)
    trials = _load(args.db, args.limit)
    report = {"parse": bench_parse(trials), "match": bench_match(trials, args.scale)}
    json.dump(report, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
