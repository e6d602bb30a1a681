"""Related-trials benchmark: lookup latency over a store scaled to ``--scale`` trials, beside BM25.

Prints one JSON document:
- ``store``: the trials (full shared records — legacy XML, API v2, the target trials — replicated
  with rewritten NCT ids up to ``--scale``, and the description dump's partial records when
  ``--with-descriptions``), and how long writing them took;
- ``index``: build time from ``store.iter_trials()`` (feature extraction included), its size in
  memory and on disk, RSS growth, and the time to load it back from its file;
- ``related``: p50 / p95 / max of ``related_trials(store, nct, top=10)`` (target fetched from the
  store, every trial scored, reasons for the ten) over ``--lookups`` random trials;
- ``peer_bm25``: a plain BM25 index over the same trials' text, built in the same run: build time,
  and p50 / p95 of scoring every trial against the same targets' text.

With ``--db PATH`` the lookups run on an existing store instead (its saved index loaded, or built),
e.g. the scratch store of ``trialatlas eval related --scratch PATH`` (106k real trials), with plain
BM25 over the same trials timed in the same run, the CPU time of a lookup, and the load average.

Usage: python bench/related.py [--scale 100000] [--lookups 300] [--data ../shared/data] [--db PATH]
"""

from __future__ import annotations

import argparse
import itertools
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import orjson
import psutil

from trialatlas.config import shared_data_dir
from trialatlas.model import Trial
from trialatlas.related import index_for, related_trials
from trialatlas.related.baseline import build_baseline, trial_text
from trialatlas.related.index import index_path, load_index
from trialatlas.sources.reading import read_paths
from trialatlas.store import SqliteStore

FULL_INPUTS = (
    "ctgov_target_trials",
    "ctgov_api_v2_samples/ctgov_api_v2_studies.jsonl.gz",
    "ctgov_legacy_xml_2023/ctgov_legacy_xml_feb2023.tar.gz",
)


def base_trials(data: Path) -> list[Trial]:
    trials: dict[str, Trial] = {}
    for result in read_paths([data / name for name in FULL_INPUTS]):
        if isinstance(result, Trial) and result.nct_id:
            trials[result.nct_id] = result
    return list(trials.values())


def replicated(base: list[Trial], scale: int) -> Iterator[Trial]:
    """Copies with NCT ids NCT9xxxxxxx (never a real id), until ``scale`` trials."""
    for number, trial in zip(range(scale), itertools.cycle(base), strict=False):
        if number < len(base):
            yield trial
            continue
        copy = trial.model_copy(deep=False)
        copy.nct_id = f"NCT9{number:07d}"
        copy.org_study_id = None
        copy.secondary_ids = []
        copy.nct_id_aliases = []
        copy.sources = [s.model_copy(update={"id": f"{s.id}#{number}", "raw": None}) for s in trial.sources]
        yield copy


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))] * 1000, 2),
        "max_ms": round(ordered[-1] * 1000, 2),
    }


def peer_bm25(store: SqliteStore, targets: list[str]) -> dict[str, object]:
    """A plain BM25 index over the same trials' text: build time, and p50 / p95 of scoring every
    trial against each target's text (the top ten picked)."""
    started = time.perf_counter()
    baseline = build_baseline(store.iter_trials())
    baseline_build = time.perf_counter() - started
    texts = {t.key: trial_text(t) for t in store.get_many(targets)}
    peer: list[float] = []
    for key in targets:
        started = time.perf_counter()
        values = baseline.bm25(texts[key])
        np.argpartition(-values, 10)[:10]
        peer.append(time.perf_counter() - started)
    return {"build_seconds": round(baseline_build, 1), "lookups": len(peer), **percentiles(peer)}


def lookups(store: SqliteStore, count: int) -> dict[str, object]:
    """p50 / p95 / max of ``related_trials`` over ``count`` random trials of an existing store, and
    of plain BM25 over the same trials in the same run (timed right after, under the same load)."""
    started = time.perf_counter()
    index = index_for(store)
    opened = time.perf_counter() - started
    targets = random.Random(7).sample(index.keys, min(count, index.size))
    related_trials(store, targets[0], top=10)  # warm the vocabularies
    timings: list[float] = []
    cpu: list[float] = []
    for key in targets:
        started, started_cpu = time.perf_counter(), time.process_time()
        related_trials(store, key, top=10)
        timings.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return {
        "trials": index.size,
        "index_open_seconds": round(opened, 1),
        "related": {"lookups": len(timings), **percentiles(timings)},
        # CPU time of this process alone: what a lookup costs whatever else shares the machine.
        "related_cpu": percentiles(cpu),
        "peer_bm25": peer_bm25(store, targets),
        "load_average": [round(v, 1) for v in psutil.getloadavg()],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=int, default=100_000)
    parser.add_argument("--lookups", type=int, default=300)
    parser.add_argument("--data", type=Path, default=shared_data_dir())
    parser.add_argument("--with-descriptions", action="store_true")
    parser.add_argument("--db", type=Path, help="Time lookups on this store instead of a generated one.")
    args = parser.parse_args()
    if args.db is not None:
        with SqliteStore(args.db) as store:
            result = lookups(store, args.lookups)
        sys.stdout.write(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode() + "\n")
        return
    process = psutil.Process()
    result: dict[str, object] = {"scale": args.scale}

    with (
        tempfile.TemporaryDirectory(prefix="trialatlas-bench-related-") as folder,
        SqliteStore(Path(folder) / "bench.db") as store,
    ):
        started = time.perf_counter()
        base = base_trials(args.data)
        batch: list[Trial] = []
        for trial in replicated(base, args.scale):
            batch.append(trial)
            if len(batch) == 500:
                store.upsert_batch(batch)
                batch.clear()
        if batch:
            store.upsert_batch(batch)
        if args.with_descriptions:
            for result_item in read_paths([args.data / "ctgov_trial_descriptions_100k"]):
                if isinstance(result_item, Trial):
                    batch.append(result_item)
                if len(batch) == 500:
                    store.upsert_batch(batch)
                    batch.clear()
            if batch:
                store.upsert_batch(batch)
        result["store"] = {
            "trials": store.count(),
            "base_records": len(base),
            "write_seconds": round(time.perf_counter() - started, 1),
        }
        del base

        rss_before = process.memory_info().rss
        started = time.perf_counter()
        index = index_for(store)
        build = time.perf_counter() - started
        rss_after = process.memory_info().rss
        path = index_path(store)
        assert path is not None
        started = time.perf_counter()
        loaded = load_index(path)
        load_seconds = time.perf_counter() - started
        assert loaded is not None and loaded.size == index.size
        del loaded
        result["index"] = {
            "build_seconds": round(build, 1),
            "memory_mb": round(index.nbytes() / 1e6, 1),
            "file_mb": round(path.stat().st_size / 1e6, 1),
            "rss_growth_mb": round((rss_after - rss_before) / 1e6, 1),
            "load_seconds": round(load_seconds, 2),
        }

        rng = random.Random(7)
        targets = rng.sample(index.keys, min(args.lookups, index.size))
        related_trials(store, targets[0], top=10)  # warm the in-process cache and vocabularies
        timings: list[float] = []
        for key in targets:
            started = time.perf_counter()
            found = related_trials(store, key, top=10)
            timings.append(time.perf_counter() - started)
            assert key not in {r.nct_id for r in found}
        result["related"] = {"lookups": len(timings), **percentiles(timings)}

        result["peer_bm25"] = peer_bm25(store, targets)
        result["peak_rss_mb"] = round(process.memory_info().rss / 1e6, 1)
    sys.stdout.write(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode() + "\n")


if __name__ == "__main__":
    main()
