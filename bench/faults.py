"""Hostile inputs against the ingest: how many were tried, how many crashed it, how many good records
were lost, and the peak memory, beside a plain run of the same good records alone (the baseline,
measured in the same run).

Each batch comes from the seeded generator of the fault suite (``tests/hostile_inputs.py``: broken
compression, bombs, archive members that hide or escape, binary junk, type-mutated and deeply
nested JSON, mutated XML, wrong-column CSV, deeply nested pages) with good records of real trials
mixed in; it is ingested by ``trialatlas ingest`` in a process of its own (its peak RSS is that
process's), then the store is asked for every good record. Prints one JSON object.

    .venv/bin/python bench/faults.py [--seed 1] [--batches 4] [--hostile 250] [--good 50] [--workers 1]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from hostile_inputs import TEST_LIMITS, Batch, Generator, Input, Samples
from trialatlas.config import shared_data_dir
from trialatlas.store import open_store

# The ingest command in a process of its own, reporting its peak RSS (and its reader processes')
# on stderr as it exits, whatever way it exits.
_CHILD = """
import resource, sys
from trialatlas.cli import main
sys.argv = ["trialatlas", *sys.argv[1:]]
try:
    main()
finally:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    readers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(f"RSS={max(own, readers)}", file=sys.stderr)
"""


def _ingest(directory: Path, db: Path, workers: int, limits: dict[str, str]) -> dict[str, Any]:
    """``trialatlas ingest`` of ``directory`` in a child process: its summary, exit code, peak RSS."""
    env = {**os.environ, **limits}
    env.pop("TRIALATLAS_DB", None)
    arguments = [
        "ingest",
        "--db",
        str(db),
        "--json",
        "--keep-going",
        "--workers",
        str(workers),
        str(directory),
    ]
    command = [sys.executable, "-c", _CHILD, *arguments]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=3600)
    seconds = time.perf_counter() - started
    peak = max((int(line[4:]) for line in done.stderr.splitlines() if line.startswith("RSS=")), default=0)
    try:
        summary = json.loads(done.stdout)
    except json.JSONDecodeError:
        summary = None
    return {
        "exit": done.returncode,
        "crashed": summary is None or done.returncode not in (0, 1) or "Traceback" in done.stderr,
        "summary": summary,
        "seconds": seconds,
        "peak_rss_mb": round(peak / 1024, 1),
    }


def _stored(db: Path, ids: set[str]) -> set[str]:
    store = open_store(str(db))
    try:
        return {nct for nct in ids if store.get(nct) is not None}
    finally:
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--batches", type=int, default=4)
    parser.add_argument("--hostile", type=int, default=250, help="hostile inputs a batch")
    parser.add_argument("--good", type=int, default=50, help="good records a batch")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument(
        "--default-limits",
        action="store_true",
        help="run under the default size bounds instead of the fault suite's small ones",
    )
    args = parser.parse_args()
    limits = {} if args.default_limits else TEST_LIMITS
    samples = Samples.load(shared_data_dir())
    totals: dict[str, Any] = {"inputs_tried": 0, "crashes": 0, "records_lost": 0, "errors_reported": 0}
    kinds: dict[str, int] = {}
    hostile_runs, plain_runs = [], []
    with tempfile.TemporaryDirectory(prefix="trialatlas-faults-") as folder:
        root = Path(folder)
        for number in range(args.batches):
            generator = Generator(samples, args.seed * 1000 + number, page_depths=(1000, 20000, 100000))
            batch = generator.batch(hostile=args.hostile, good=args.good)
            for item in batch.inputs:
                kinds[item.kind] = kinds.get(item.kind, 0) + 1
            batch.write(root / f"hostile{number}")
            # The baseline: the same good records, alone (archive-held good records included).
            plain: list[Input] = [item for item in batch.inputs if item.kind == "good"]
            Batch(plain).write(root / f"plain{number}")
            hostile = _ingest(root / f"hostile{number}", root / f"hostile{number}.db", args.workers, limits)
            baseline = _ingest(root / f"plain{number}", root / f"plain{number}.db", args.workers, limits)
            stored = _stored(root / f"hostile{number}.db", batch.good_ids)
            totals["inputs_tried"] += len(batch.inputs)
            totals["crashes"] += int(hostile["crashed"])
            totals["records_lost"] += len(batch.good_ids - stored)
            totals["errors_reported"] += (hostile["summary"] or {}).get("failed", 0)
            hostile_runs.append(hostile)
            plain_runs.append(baseline)
    print(
        json.dumps(
            {
                "seed": args.seed,
                "batches": args.batches,
                "workers": args.workers,
                "limits": "default" if args.default_limits else TEST_LIMITS,
                **totals,
                "inputs_by_kind": dict(sorted(kinds.items())),
                "hostile": {
                    "seconds": round(sum(r["seconds"] for r in hostile_runs), 2),
                    "peak_rss_mb": max(r["peak_rss_mb"] for r in hostile_runs),
                    "exit_codes": sorted({r["exit"] for r in hostile_runs}),
                },
                "baseline_good_records_only": {
                    "seconds": round(sum(r["seconds"] for r in plain_runs), 2),
                    "peak_rss_mb": max(r["peak_rss_mb"] for r in plain_runs),
                    "records": sum((r["summary"] or {}).get("new", 0) for r in plain_runs),
                },
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
