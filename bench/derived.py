"""Derived data on SQLite and PostgreSQL side by side: made at ingest, then only read by requests.

For each backend, in one run: the same records ingested without the derived step, then the derived
step timed part by part (search index, related-trials index, criteria rules, term statistics: what an
``ingest`` does at its end); then, in a fresh process for each (as a new server process would be):
the first related list and the first match (loading what the ingest kept), and warm related lists and
matches (percentiles). The PostgreSQL store is a database of a throw-away cluster (or ``--pg URL``,
a maintenance database to create one in); the SQLite store is a file in a temporary folder.

Usage: python bench/derived.py [--inputs PATH ...] [--related 40] [--matches 6] [--pg URL]
Prints one JSON document.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import orjson
import psycopg

from trialatlas.config import shared_data_dir

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

NOTES = [
    "A 45-year-old woman with lupus nephritis class IV, on mycophenolate. eGFR 60.",
    "A 62-year-old man with type 2 diabetes and hypertension. No history of cancer.",
    "A 9-year-old boy with steroid-dependent nephrotic syndrome, eGFR 100 mL/min/1.73m2.",
    "A 55-year-old woman with metastatic breast cancer, HER2 positive, ECOG 1.",
    "A 70-year-old man with chronic kidney disease stage 3 and heart failure.",
    "A 30-year-old pregnant woman with asthma.",
]


def default_inputs() -> list[Path]:
    data = shared_data_dir()
    return [data / "ctgov_api_v2_samples" / "ctgov_api_v2_studies.jsonl.gz", data / "ctgov_target_trials"]


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def at(q: float) -> float:
        return round(1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)

    return {"p50_ms": at(0.5), "p95_ms": at(0.95), "max_ms": round(1000 * ordered[-1], 1)}


def _write(location: str, inputs: list[str], queue: Any) -> None:
    queue.put(write(location, inputs))


def in_fresh_process(target: Any, *args: Any) -> dict[str, Any]:
    """``target(*args, queue)`` in a new process: each backend pays the same one-time start-up costs
    (imports, the parser's vocabularies), as a command or server process does."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=target, args=(*args, queue))
    process.start()
    out: dict[str, Any] = queue.get(timeout=3600)
    process.join()
    return out


def write(location: str, inputs: list[str]) -> dict[str, Any]:
    """Ingest without the derived step, then the derived step alone, timed by part."""
    from trialatlas.services.derived import bring_up_to_date
    from trialatlas.services.ingest import ingest
    from trialatlas.store import open_store

    store = open_store(location)
    try:
        started = time.perf_counter()
        report = ingest(inputs, store, derive=False)
        ingest_seconds = time.perf_counter() - started
        derived = bring_up_to_date(store)
        return {
            "trials": store.count(),
            "ingest_seconds": round(ingest_seconds, 1),
            "errors": len(report.errors),
            "derived": derived.as_dict(),
            "derived_seconds": round(derived.seconds, 1),
        }
    finally:
        store.close()


def _requests(location: str, related: int, matches: int, queue: Any) -> None:
    """A fresh process, as a new server process: first and warm related lists and matches."""
    from trialatlas.related import index as related_index
    from trialatlas.services.atlas import Atlas
    from trialatlas.store import open_store

    built: list[str] = []
    original = related_index.build_index

    def counting(*args: Any, **kwargs: Any) -> Any:
        built.append("related index built in this process")
        return original(*args, **kwargs)

    related_index.build_index = counting  # type: ignore[assignment]
    out: dict[str, Any] = {}
    with Atlas(open_store(location), match_workers=0) as atlas:
        keys = atlas.store.keys()[: related + 1]
        started = time.perf_counter()
        atlas.related({"nct": keys[0], "top": 10})
        out["first_related_ms"] = round(1000 * (time.perf_counter() - started), 1)
        samples = []
        for key in keys[1:]:
            started = time.perf_counter()
            atlas.related({"nct": key, "top": 10})
            samples.append(time.perf_counter() - started)
        out["related"] = percentiles(samples)
        started = time.perf_counter()
        atlas.match({"note": NOTES[0], "top": 10, "status": "any"})
        out["first_match_ms"] = round(1000 * (time.perf_counter() - started), 1)
        samples = []
        for note in (NOTES * matches)[1 : matches + 1]:
            started = time.perf_counter()
            atlas.match({"note": note, "top": 10, "status": "any"})
            samples.append(time.perf_counter() - started)
        out["match"] = percentiles(samples)
        samples = []
        for query in ("lupus nephritis", "diabetes", "breast cancer", "asthma", "kidney"):
            started = time.perf_counter()
            atlas.search({"q": query, "limit": 20})
            samples.append(time.perf_counter() - started)
        out["search"] = percentiles(samples)
    out["built_in_process"] = built
    queue.put(out)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--inputs", nargs="*", type=Path, help="Records to ingest (default: API v2 sample).")
    parser.add_argument("--related", type=int, default=40, help="Warm related lists per backend.")
    parser.add_argument("--matches", type=int, default=6, help="Warm matches per backend.")
    parser.add_argument("--pg", help="A PostgreSQL maintenance URL (default: a throw-away cluster).")
    args = parser.parse_args()
    inputs = [str(p) for p in (args.inputs or default_inputs())]
    folder = Path(tempfile.mkdtemp(prefix="bench-derived-"))
    cluster = None
    if args.pg is None:
        from conftest_pg import start_cluster

        cluster = start_cluster()
        maintenance = cluster.url
    else:
        maintenance = args.pg
    name = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    pg_url = maintenance.rsplit("/", 1)[0] + f"/{name}"
    result: dict[str, Any] = {"inputs": inputs}
    try:
        for backend, location in (("sqlite", str(folder / "bench.db")), ("postgres", pg_url)):
            result[backend] = {"write": in_fresh_process(_write, location, inputs)}
            result[backend]["read"] = in_fresh_process(_requests, location, args.related, args.matches)
        for part in ("related", "match", "search"):
            sqlite, postgres = result["sqlite"]["read"][part], result["postgres"]["read"][part]
            result.setdefault("postgres_vs_sqlite_p50", {})[part] = round(
                postgres["p50_ms"] / max(sqlite["p50_ms"], 0.1), 2
            )
        result["load"] = [round(x, 1) for x in os.getloadavg()]
    finally:
        with psycopg.connect(maintenance, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if cluster is not None:
            from conftest_pg import stop_cluster

            stop_cluster(cluster)
        shutil.rmtree(folder, ignore_errors=True)
    sys.stdout.write(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode() + "\n")


if __name__ == "__main__":
    main()
