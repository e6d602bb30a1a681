"""A bounded load on the web server over loopback: per endpoint, requests per second and latency
percentiles, for one and for several server processes in the same run.

``trialatlas serve`` runs in its own process on a free port of 127.0.0.1 over a store at the size of
the shared data (``--db``, else one ingested from the shared data into a temporary folder, as
``make run`` does; ``--backend postgres`` copies it into a throw-away PostgreSQL cluster and serves
that). The load comes from this process, never the server's interpreter (Debian's ``wrk`` is not
installed here; this is its stand-in): ``--clients`` concurrent clients (default 50) send a mix for
``--seconds`` (default 60): search 40 %, trial 30 %, related 20 %, match 10 %. Then the same for each
count of ``--workers`` (default ``1,2``), each against a fresh server. Every request is bounded in
time and the whole run in count; nothing leaves the machine.

The peer, measured in the same run under the same load: a static file from the same server (the
floor of the HTTP stack, what no route can beat). Goal: 0 errors, p95 < 100 ms. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from trialatlas.config import shared_data_dir

QUERIES = [
    "lupus",
    "cancer",
    "breast cancer",
    "diabetes",
    "asthma",
    "covid",
    "tacrolimus",
    "nephrotic syndrome",
    "heart failure",
    "depression",
    "pain",
    "hepatitis",
    "leukemia",
    "obesity",
    "vaccine",
    "",
    "stroke",
    "MMF lupus nephritis",
    "cancer recruiting in China",
    '"heart failure" NOT pediatric',
    "nephr*",
]
FILTERS: list[dict[str, str]] = [
    {},
    {},
    {"phase": "PHASE2"},
    {"status": "RECRUITING"},
    {"status": "open", "age": "45"},
    {"study_type": "INTERVENTIONAL", "sort": "start_date"},
    {"country": "United States"},
    {"facet": "start_year:2022", "sort": "enrollment"},
]
NOTES = [
    "A 34-year-old woman with lupus nephritis class IV, creatinine 1.4 mg/dL, on prednisone.",
    "A 62-year-old man with type 2 diabetes and HbA1c 8.1%, on metformin; eGFR 70.",
    "A 55-year-old woman with metastatic breast cancer after two lines of chemotherapy, ECOG 1.",
    "A 9-year-old boy with steroid-dependent nephrotic syndrome, eGFR 100 mL/min/1.73m2.",
]
MIX = [("search", 40), ("trial", 30), ("related", 20), ("match", 10)]
MAX_REQUESTS = 500_000
REQUEST_TIMEOUT = 30.0


def sample_inputs(data: Path) -> list[Path]:
    return [
        data / "ctgov_legacy_xml_2023" / "ctgov_legacy_xml_feb2023.tar.gz",
        data / "ctgov_api_v2_samples" / "ctgov_api_v2_studies.jsonl.gz",
        data / "ctgov_api_v2_samples" / "csv_export",
        data / "ctgov_legacy_xml_2023" / "ctgov_search_results_legacy_export.csv",
        data / "ctgov_target_trials",
    ]


def build_store(folder: Path) -> Path:
    from trialatlas.services.ingest import ingest
    from trialatlas.store import open_store

    db = folder / "bench.db"
    store = open_store(str(db))
    try:
        ingest([str(p) for p in sample_inputs(shared_data_dir())], store)
    finally:
        store.close()
    return db


def start_server(db: str, workers: int) -> tuple[subprocess.Popen[str], str]:
    command = [
        sys.executable,
        "-m",
        "trialatlas",
        "serve",
        "--db",
        db,
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--workers",
        str(workers),
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        found = re.search(r"(http://127\.0\.0\.1:\d+)/", line)
        if found:
            return process, found.group(1)
    process.kill()
    raise RuntimeError("the server did not start")


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    samples: list[str] = field(default_factory=list)

    def add(self, kind: str, seconds: float, ok: bool, why: str = "") -> None:
        self.latencies.setdefault(kind, []).append(seconds)
        if not ok:
            self.errors[kind] = self.errors.get(kind, 0) + 1
            if len(self.samples) < 10:
                self.samples.append(f"{kind}: {why}")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary(values: list[float], seconds: float, errors: int) -> dict[str, Any]:
    return {
        "requests": len(values),
        "requests_per_s": round(len(values) / seconds, 1),
        "p50_ms": round(percentile(values, 50) * 1000, 1),
        "p95_ms": round(percentile(values, 95) * 1000, 1),
        "p99_ms": round(percentile(values, 99) * 1000, 1),
        "max_ms": round(max(values, default=0.0) * 1000, 1),
        "errors": errors,
    }


async def one(client: httpx.AsyncClient, kind: str, ids: list[str], rng: random.Random) -> httpx.Response:
    if kind == "search":
        params = {"q": rng.choice(QUERIES), **rng.choice(FILTERS), "limit": "20"}
        return await client.get("/api/trials", params=params)
    if kind == "trial":
        return await client.get(f"/api/trials/{rng.choice(ids)}")
    if kind == "related":
        return await client.get(f"/api/trials/{rng.choice(ids)}/related", params={"top": "10"})
    if kind == "match":
        return await client.post("/api/match", json={"note": rng.choice(NOTES), "top": 10})
    return await client.get("/static/style.css")


async def load(
    base: str, kinds: list[tuple[str, int]], clients: int, seconds: float, ids: list[str]
) -> Tally:
    tally = Tally()
    stop = time.monotonic() + seconds
    sent = 0
    names = [kind for kind, _ in kinds]
    weights = [weight for _, weight in kinds]
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async def client_loop(number: int) -> None:
        nonlocal sent
        rng = random.Random(number)
        async with httpx.AsyncClient(base_url=base, timeout=REQUEST_TIMEOUT, limits=limits) as client:
            while time.monotonic() < stop and sent < MAX_REQUESTS:
                sent += 1
                kind = rng.choices(names, weights)[0]
                began = time.perf_counter()
                try:
                    response = await one(client, kind, ids, rng)
                    ok = response.status_code < 400
                    why = f"HTTP {response.status_code}"
                except httpx.HTTPError as exc:
                    ok, why = False, f"{type(exc).__name__}: {exc}"
                tally.add(kind, time.perf_counter() - began, ok, why)

    await asyncio.gather(*(client_loop(n) for n in range(clients)))
    return tally


def report(tally: Tally, seconds: float) -> dict[str, Any]:
    every = [v for values in tally.latencies.values() for v in values]
    return {
        **summary(every, seconds, sum(tally.errors.values())),
        "by_kind": {
            kind: summary(values, seconds, tally.errors.get(kind, 0))
            for kind, values in tally.latencies.items()
        },
        "error_samples": tally.samples,
    }


def stop_server(process: subprocess.Popen[str]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def ready(http: httpx.Client, path: str, **params: Any) -> Any:
    """The answer to a first request, asked again while the server is still warming up (a first
    search may run past its time budget while the indexes are read)."""
    for _ in range(30):
        answer = http.get(path, params=params)
        if answer.status_code == 200:
            return answer.json()
        time.sleep(2)
    answer.raise_for_status()
    raise RuntimeError(f"{path}: HTTP {answer.status_code}")


def measure(db: str, workers: int, args: argparse.Namespace) -> dict[str, Any]:
    """One server of ``workers`` processes under the mixed load, then under the peer's."""
    process, base = start_server(db, workers)
    try:
        with httpx.Client(base_url=base, timeout=300) as http:
            trials = ready(http, "/api/health")["trials"]
            ids = [hit["trial"]["key"] for hit in ready(http, "/api/trials", limit=100)["hits"]]
            ids += [hit["trial"]["key"] for hit in ready(http, "/api/trials", q="cancer", limit=100)["hits"]]
            # Warm-up, several times over so that every worker process is reached: the first search
            # catches the index up, the first related and match read their indexes and statistics.
            for _ in range(4 * workers):
                for path in ("/api/trials", f"/api/trials/{ids[0]}/related"):
                    http.get(path).raise_for_status()
                http.post("/api/match", json={"note": NOTES[0]}).raise_for_status()
        # The peer first: after the mixed load, requests whose clients timed out may still hold the
        # server for a while, and the floor would then measure that backlog.
        peer = asyncio.run(load(base, [("static", 1)], args.clients, args.peer_seconds, ids))
        mixed = asyncio.run(load(base, MIX, args.clients, args.seconds, ids))
    finally:
        stop_server(process)
    result = {
        "workers": workers,
        "store_trials": trials,
        "mixed": report(mixed, args.seconds),
        "peer_static_file": report(peer, args.peer_seconds),
    }
    result["goal_met"] = result["mixed"]["errors"] == 0 and result["mixed"]["p95_ms"] < 100
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="Store to serve (default: ingest the shared data into a temporary one).")
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--peer-seconds", type=float, default=10.0)
    parser.add_argument("--workers", default="1,2", help="Server process counts to compare, e.g. 1,2.")
    args = parser.parse_args()
    if not 1 <= args.clients <= 500 or not 0 < args.seconds <= 600:
        parser.error("clients must be 1–500 and seconds 0–600: the load is bounded")
    counts = [int(n) for n in args.workers.split(",") if n.strip()]
    if not counts or not all(1 <= n <= 16 for n in counts):
        parser.error("workers: counts of 1–16 server processes, comma-separated")

    folder = Path(tempfile.mkdtemp(prefix="trialatlas-bench-"))
    cluster: Any = None
    try:
        began = time.monotonic()
        db = args.db or str(build_store(folder))
        if args.backend == "postgres" and not db.startswith("postgresql://"):
            db, cluster = copy_to_postgres(db)
        built = time.monotonic() - began
        runs = [measure(db, count, args) for count in counts]
        result = {
            "bench": "serve",
            "backend": args.backend,
            "store_build_s": round(built, 1),
            "clients": args.clients,
            "seconds": args.seconds,
            "cpus": os.cpu_count(),
            "load_generator": "httpx (asyncio) in the bench process, apart from the server's processes",
            "runs": runs,
            "goal": {"errors": 0, "p95_ms_below": 100},
        }
        json.dump(result, sys.stdout, indent=2)
        print()
    finally:
        if cluster is not None:
            from conftest_pg import stop_cluster

            stop_cluster(cluster)
        shutil.rmtree(folder, ignore_errors=True)


def copy_to_postgres(db: str) -> tuple[str, Any]:
    """The store copied into a database of a new throw-away PostgreSQL cluster, its derived data made
    there (search index, related-trials index, criteria rules, statistics), as ``copy`` does."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from conftest_pg import start_cluster
    from trialatlas.services.derived import bring_up_to_date
    from trialatlas.store import copy_store, open_store

    cluster = start_cluster()
    url = cluster.database_url(cluster.create_database())
    source, target = open_store(db), open_store(url)
    try:
        copy_store(source, target)
        bring_up_to_date(target)
    finally:
        source.close()
        target.close()
    return url, cluster


if __name__ == "__main__":
    main()
