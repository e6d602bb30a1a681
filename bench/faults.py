"""Hostile inputs against the ingest: how many were tried, how many crashed it, how many good records
were lost, and the peak memory, beside a plain run of the same good records alone (the baseline,
measured in the same run).

Each batch comes from the seeded generator of the fault suite (``tests/hostile_inputs.py``: broken
compression, bombs, archive members that hide or escape, binary junk, type-mutated and deeply
nested JSON, mutated XML, wrong-column CSV, deeply nested pages) with good records of real trials
mixed in; it is ingested by ``trialatlas ingest`` in a process of its own (its peak RSS is that
process's), then the store is asked for every good record. Prints one JSON object.

With ``--search``, the search figures instead, over a wordy store of synthetic trials (the one of
``tests/test_search_concurrency.py``): the latency of quick searches alone (the baseline) and while
one slow search runs beside them, and searches run while another process rebuilds the index three
times (errors, and totals that differ from the store's).

    .venv/bin/python bench/faults.py [--seed 1] [--batches 4] [--hostile 250] [--good 50] [--workers 1]
    .venv/bin/python bench/faults.py --search
"""

from __future__ import annotations

import argparse
import contextlib
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


def _quantiles(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    return {
        "n": len(ordered),
        "p50_ms": round(1000 * ordered[len(ordered) // 2], 1) if ordered else 0.0,
        "max_ms": round(1000 * ordered[-1], 1) if ordered else 0.0,
    }


def _search_figures(folder: Path) -> dict[str, Any]:
    """Quick searches alone, beside a slow one, and while another process rebuilds the index."""
    import threading

    from test_search_concurrency import SLOW_QUERY, _wordy_store
    from trialatlas.errors import QueryCostError
    from trialatlas.services.atlas import Atlas

    db = folder / "wordy.db"
    _wordy_store(db)
    figures: dict[str, Any] = {}
    with Atlas(open_store(str(db))) as atlas:
        total = atlas.store.count()
        atlas.search({"q": "kidney", "limit": 5})
        counter = iter(range(1_000_000))

        def quick() -> float:
            started = time.perf_counter()
            atlas.search({"q": f"trial {next(counter)}", "limit": 5, "sort": "enrollment"})
            return time.perf_counter() - started

        figures["quick_alone"] = _quantiles([quick() for _ in range(20)])
        slow: list[float] = []

        def run_slow() -> None:
            started = time.perf_counter()
            with contextlib.suppress(QueryCostError):  # stopped at its budget: slow enough
                atlas.search({"q": SLOW_QUERY, "limit": 5})
            slow.append(time.perf_counter() - started)

        thread = threading.Thread(target=run_slow)
        thread.start()
        beside = []
        while thread.is_alive():
            beside.append(quick())
        thread.join()
        figures["slow_query_s"] = round(slow[0], 2)
        figures["quick_beside_slow"] = _quantiles(beside)

        kidney = atlas.search({"q": "kidney", "limit": 5}).total
        errors, wrong, answered = 0, 0, 0
        stop = threading.Event()

        def searching() -> None:
            nonlocal errors, wrong, answered
            while not stop.is_set():
                limit = 1 + next(counter) % 50  # a new question each time: no kept answer
                try:
                    found = atlas.search({"q": "kidney", "limit": limit}).total
                    every = atlas.search({"limit": limit}).total
                except Exception:  # every failure counts, whatever it is
                    errors += 1
                    continue
                answered += 1
                wrong += int(every != total) + int(found != kidney)

        thread = threading.Thread(target=searching)
        thread.start()
        started = time.perf_counter()
        for _ in range(3):
            rebuild = ["search", "--db", str(db), "--rebuild", "--limit", "1", "x"]
            command = [sys.executable, "-m", "trialatlas", *rebuild]
            subprocess.run(command, capture_output=True, check=True, timeout=600)
        stop.set()
        thread.join()
        figures["rebuilds_beside_searches"] = {
            "rebuilds": 3,
            "seconds": round(time.perf_counter() - started, 1),
            "searches": answered,
            "errors": errors,
            "wrong_totals": wrong,
        }
    return {"trials": total, **figures}


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
    parser.add_argument("--search", action="store_true", help="the concurrent search figures instead")
    args = parser.parse_args()
    if args.search:
        with tempfile.TemporaryDirectory(prefix="trialatlas-search-faults-") as folder:
            print(json.dumps(_search_figures(Path(folder)), indent=2))
        return
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
