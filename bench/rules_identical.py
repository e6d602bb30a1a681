"""Whether a change to the criteria parser leaves every stored rule as it was.

A speed change to the parser must not change one rule: this parses every trial of a store the way the
derived-data step does (:func:`trialatlas.match.stored_rules.parse_trial`, encoded as it is stored) and
either writes the encoded rules to ``--write FILE`` (before the change) or compares them with
``--compare FILE`` (after it), printing the trials whose rules differ and the first differing
characters of each. Times the parse by CPU time too (criteria per second, one core, parse caches
empty), so the before and after runs give the speed beside the equality.

Usage: python bench/rules_identical.py --db STORE (--write FILE | --compare FILE) [--limit N]
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import gc
import gzip
import sys
import time
from pathlib import Path

import orjson

from trialatlas.collector import collector_tuned
from trialatlas.extract.criteria import trial_criteria
from trialatlas.match.stored_rules import _adapter, parse_trial
from trialatlas.store import open_store


def encoded_rules(db: str, limit: int | None) -> tuple[dict[str, bytes], dict[str, float | int]]:
    """Every trial's rules as stored (JSON), and the parse's CPU time and criteria count."""
    store = open_store(db)
    try:
        trials = []
        for trial in store.iter_trials():
            trials.append(trial)
            if limit and len(trials) >= limit:
                break
    finally:
        store.close()
    gc.freeze()  # the loaded trials live through the run: keep them out of the collector's scans
    adapter = _adapter()
    criteria = sum(
        len(trial_criteria(t.eligibility.criteria_text, t.eligibility.inclusion, t.eligibility.exclusion))
        for t in trials
    )
    out: dict[str, bytes] = {}
    started = time.process_time()
    with collector_tuned():  # as the derived-data step parses
        for trial in trials:
            out[trial.key] = adapter.dump_json(parse_trial(trial))
    cpu = time.process_time() - started
    return out, {
        "trials": len(trials),
        "criteria": criteria,
        "cpu_seconds": round(cpu, 2),
        "criteria_per_cpu_second": round(criteria / cpu, 1),
    }


def _first_difference(before: bytes, after: bytes) -> str:
    at = next((i for i, (a, b) in enumerate(zip(before, after, strict=False)) if a != b), None)
    if at is None:
        at = min(len(before), len(after))
    start = max(0, at - 80)
    was, now = (side[start : at + 120].decode(errors="replace") for side in (before, after))
    return f"before …{was}… after …{now}…"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="The store whose trials' criteria are parsed.")
    parser.add_argument("--limit", type=int, default=None, help="Parse at most this many trials.")
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--write", type=Path, help="Keep the encoded rules in this file.")
    group.add_argument("--compare", type=Path, help="Compare with the rules kept in this file.")
    parser.add_argument("--show", type=int, default=5, help="Differing trials to print.")
    args = parser.parse_args(argv)
    rules, timing = encoded_rules(args.db, args.limit)
    report: dict[str, object] = {"timing": timing}
    if args.write:
        with gzip.open(args.write, "wb") as sink:
            sink.write(orjson.dumps({key: blob.decode() for key, blob in rules.items()}))
        report["written"] = len(rules)
    else:
        with gzip.open(args.compare, "rb") as source:
            kept = {key: text.encode() for key, text in orjson.loads(source.read()).items()}
        differing = sorted(key for key in kept.keys() & rules.keys() if kept[key] != rules[key])
        report.update(
            compared=len(kept.keys() & rules.keys()),
            missing=len(kept.keys() ^ rules.keys()),
            differing=len(differing),
            examples={key: _first_difference(kept[key], rules[key]) for key in differing[: args.show]},
        )
    sys.stdout.write(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode() + "\n")
    return 1 if report.get("differing") or report.get("missing") else 0


if __name__ == "__main__":
    raise SystemExit(main())
