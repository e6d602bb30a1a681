"""CPU per trial of each derived part, on a copy of a store's trials (the store itself is only read).

The first ``--trials`` trials of ``--db`` are written to a scratch store without its derived data,
then each part (search index, related-trials index, criteria rules, term statistics) is brought up to
date alone, in order, as an ``ingest`` does at its end, and timed by the CPU time of this process (the
machine may be shared) and by wall time. Below the parallel-parsing size (2,000 trials) the criteria
are parsed in this process, so every figure is one core's. ``--repeat`` runs it again on a fresh
scratch store; the load average is printed beside.

Usage: python bench/derived_steps.py --db STORE [--trials 1500] [--repeat 1]
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import orjson

from trialatlas.services.derived import PARTS, bring_up_to_date
from trialatlas.store import open_store


def _scratch(db: str, trials: int, folder: Path) -> str:
    location = str(folder / "steps.db")
    source, scratch = open_store(db), open_store(location)
    try:
        batch = []
        for trial in source.iter_trials():
            batch.append(trial)
            if len(batch) >= trials:
                break
        scratch.upsert_batch(batch)
    finally:
        source.close()
        scratch.close()
    return location


def measure(db: str, trials: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="bench-steps-") as folder:
        location = _scratch(db, trials, Path(folder))
        store = open_store(location)
        try:
            count = store.count()
            parts: dict[str, dict[str, float]] = {}
            for part in PARTS:
                cpu, wall = time.process_time(), time.perf_counter()
                bring_up_to_date(store, parts=(part,))
                cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
                parts[part] = {
                    "cpu_ms_per_trial": round(1000 * cpu / count, 2),
                    "wall_ms_per_trial": round(1000 * wall / count, 2),
                }
        finally:
            store.close()
    total = sum(p["cpu_ms_per_trial"] for p in parts.values())
    return {"trials": count, "parts": parts, "cpu_ms_per_trial": round(total, 2)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="The store whose trials are copied.")
    parser.add_argument("--trials", type=int, default=1500, help="Trials to copy (below 2,000: one core).")
    parser.add_argument("--repeat", type=int, default=1, help="Runs, each on a fresh scratch store.")
    args = parser.parse_args(argv)
    runs = [measure(args.db, args.trials) for _ in range(args.repeat)]
    report = {"runs": runs, "load": [round(x, 1) for x in os.getloadavg()]}
    sys.stdout.write(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode() + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
