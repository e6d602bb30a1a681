"""A bounded load on the web server over loopback: per endpoint, requests per second and latency
percentiles, for one and for several server processes in the same run.

``trialatlas serve`` runs in its own process on a free port of 127.0.0.1 over a store at the size of
the shared data (``--db``, else one ingested from the shared data into a temporary folder, as
``make run`` does; ``--backend postgres`` copies it into a throw-away PostgreSQL cluster and serves
that). The load never comes from the server's interpreter:

- ``--load wrk`` (the default when Debian's ``wrk`` is installed: ``apt-get install wrk``): a ``wrk``
  process per endpoint (2 threads, ``--clients`` connections, ``--endpoint-seconds`` each) cycling
  through requests drawn here (a Lua script; ``match`` is a POST), its latency percentiles and
  throughput read from the script's summary; a C load generator costs the shared cores little;
- ``--load httpx`` (the stand-in without ``wrk``): ``--clients`` concurrent clients of this process
  send a mix for ``--seconds`` (default 60): search 40 %, trial 30 %, related 20 %, match 10 %.

Then the same for each count of ``--workers`` (default ``1,2``), each against a fresh server. Every
request is bounded in time and the whole run in count; nothing leaves the machine.

The peer, measured in the same run under the same load: a static file from the same server (the
floor of the HTTP stack, what no route can beat). Goals: 0 errors, search p95 < 100 ms, matches/s ≥
4 × cores. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
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


WRK_SCRIPT = """
local requests = {%s}
local counter = 0
request = function()
  counter = counter %% #requests + 1
  local r = requests[counter]
  if r[3] ~= "" then
    return wrk.format(r[1], r[2], {["Content-Type"] = "application/json"}, r[3])
  end
  return wrk.format(r[1], r[2])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRK_JSON {\\"requests\\": %%d, \\"duration_us\\": %%d, \\"errors\\": %%d, \\"non_2xx_3xx\\": %%d, "
    .. "\\"timeouts\\": %%d, \\"p50_us\\": %%d, \\"p95_us\\": %%d, \\"p99_us\\": %%d, \\"max_us\\": %%d}\\n",
    summary.requests, summary.duration, e.connect + e.read + e.write + e.status + e.timeout, e.status,
    e.timeout, latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
"""


def endpoint_requests(kind: str, ids: list[str], count: int = 200) -> list[tuple[str, str, str]]:
    """``count`` requests (method, path, JSON body or "") of one kind, drawn as the mixed load draws."""
    rng = random.Random(kind)
    drawn: list[tuple[str, str, str]] = []
    for _ in range(count):
        if kind == "search":
            params = {"q": rng.choice(QUERIES), **rng.choice(FILTERS), "limit": "20"}
            drawn.append(("GET", "/api/trials?" + urllib.parse.urlencode(params), ""))
        elif kind == "trial":
            drawn.append(("GET", f"/api/trials/{urllib.parse.quote(rng.choice(ids))}", ""))
        elif kind == "related":
            drawn.append(("GET", f"/api/trials/{urllib.parse.quote(rng.choice(ids))}/related?top=10", ""))
        elif kind == "match":
            drawn.append(("POST", "/api/match", json.dumps({"note": rng.choice(NOTES), "top": 10})))
        else:
            drawn.append(("GET", "/static/style.css", ""))
    return drawn


def _lua(text: str) -> str:
    """A Lua long string holding ``text`` as it is (the texts here never hold its closing bracket)."""
    assert "]==]" not in text
    return f"[==[{text}]==]"


def run_wrk(
    base: str, kind: str, ids: list[str], clients: int, seconds: float, folder: Path
) -> dict[str, Any]:
    """One ``wrk`` run against one endpoint: throughput and latency percentiles from its summary."""
    rows = ", ".join(
        "{" + ", ".join(_lua(part) for part in request) + "}" for request in endpoint_requests(kind, ids)
    )
    script = folder / f"wrk-{kind}.lua"
    script.write_text(WRK_SCRIPT % rows)
    command = [
        "wrk",
        "--threads",
        "2",
        "--connections",
        str(clients),
        "--duration",
        f"{max(1, round(seconds))}s",
        "--timeout",
        f"{round(REQUEST_TIMEOUT)}s",
        "--script",
        str(script),
        base,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 120, check=True)
    found = re.search(r"^WRK_JSON (.*)$", done.stdout, re.MULTILINE)
    if found is None:
        raise RuntimeError(f"wrk printed no summary: {done.stdout[-500:]} {done.stderr[-500:]}")
    raw = json.loads(found.group(1))
    duration = raw["duration_us"] / 1e6
    return {
        "requests": raw["requests"],
        "requests_per_s": round(raw["requests"] / duration, 1) if duration else 0.0,
        "p50_ms": round(raw["p50_us"] / 1000, 1),
        "p95_ms": round(raw["p95_us"] / 1000, 1),
        "p99_ms": round(raw["p99_us"] / 1000, 1),
        "max_ms": round(raw["max_us"] / 1000, 1),
        "errors": raw["errors"],
        "timeouts": raw["timeouts"],
    }


def _cpu_of(pid: int) -> float:
    """CPU seconds of a server process and its children (uvicorn's workers), 0 when unreadable."""
    try:
        import psutil

        parent = psutil.Process(pid)
        total = sum(parent.cpu_times()[:2])
        for child in parent.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                total += sum(child.cpu_times()[:2])
        return float(total)
    except Exception:  # a figure beside the run, never a reason to fail it
        return 0.0


def warm_up(base: str, workers: int, first: dict[str, float] | None = None) -> tuple[int, list[str]]:
    """The store's size and trial ids to ask for, after every worker process read its indexes;
    ``first`` gets the seconds of the first search, related list and match after start-up (what a
    first user waits: a rebuild there would take minutes)."""
    with httpx.Client(base_url=base, timeout=300) as http:
        trials = ready(http, "/api/health")["trials"]
        began = time.perf_counter()
        ids = [hit["trial"]["key"] for hit in ready(http, "/api/trials", limit=100)["hits"]]
        searched = time.perf_counter()
        ids += [hit["trial"]["key"] for hit in ready(http, "/api/trials", q="cancer", limit=100)["hits"]]
        if first is not None:
            first["search_s"] = round(searched - began, 3)
            began = time.perf_counter()
            http.get(f"/api/trials/{ids[0]}/related").raise_for_status()
            first["related_s"] = round(time.perf_counter() - began, 3)
            began = time.perf_counter()
            http.post("/api/match", json={"note": NOTES[0]}).raise_for_status()
            first["match_s"] = round(time.perf_counter() - began, 3)
        # Several times over so that every worker process is reached: the first search catches the
        # index up, the first related and match read their indexes and statistics.
        for _ in range(4 * workers):
            for path in ("/api/trials", f"/api/trials/{ids[0]}/related"):
                http.get(path).raise_for_status()
            http.post("/api/match", json={"note": NOTES[0]}).raise_for_status()
    return trials, ids


def measure_wrk(db: str, workers: int, args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    """One server of ``workers`` processes, each endpoint loaded apart by ``wrk``, the peer first."""
    process, base = start_server(db, workers)
    endpoints: dict[str, Any] = {}
    first: dict[str, float] = {}
    try:
        trials, ids = warm_up(base, workers, first)
        for kind in ("static", "search", "trial", "related", "match"):
            load_before = os.getloadavg()[0]
            cpu_before = _cpu_of(process.pid)
            figures = run_wrk(base, kind, ids, args.clients, args.endpoint_seconds, folder)
            figures["server_cpu_ms_per_request"] = (
                round((_cpu_of(process.pid) - cpu_before) * 1000 / figures["requests"], 2)
                if figures["requests"]
                else None
            )
            figures["load_average"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
            endpoints[kind] = figures
    finally:
        stop_server(process)
    cores = os.cpu_count() or 1
    search, match = endpoints["search"], endpoints["match"]
    return {
        "workers": workers,
        "store_trials": trials,
        "first_request_after_start": first,
        "endpoints": endpoints,
        "goal_met": {
            "no_errors": all(e["errors"] == 0 for e in endpoints.values()),
            "search_p95_under_100ms": search["p95_ms"] < 100,
            "matches_per_s_at_least_4x_cores": match["requests_per_s"] >= 4 * cores,
        },
    }


def measure(db: str, workers: int, args: argparse.Namespace) -> dict[str, Any]:
    """One server of ``workers`` processes under the mixed load, then under the peer's."""
    process, base = start_server(db, workers)
    try:
        trials, ids = warm_up(base, workers)
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
    parser.add_argument(
        "--load",
        choices=["wrk", "httpx"],
        default="wrk" if shutil.which("wrk") else "httpx",
        help="Load generator: wrk per endpoint (default when installed), or httpx's mixed load.",
    )
    parser.add_argument("--endpoint-seconds", type=float, default=20.0, help="wrk: seconds per endpoint.")
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
        if args.load == "wrk":
            runs = [measure_wrk(db, count, args, folder) for count in counts]
        else:
            runs = [measure(db, count, args) for count in counts]
        result = {
            "bench": "serve",
            "backend": args.backend,
            "store_build_s": round(built, 1),
            "clients": args.clients,
            "seconds": args.endpoint_seconds if args.load == "wrk" else args.seconds,
            "cpus": os.cpu_count(),
            "load_generator": (
                "wrk (2 threads), one process per endpoint"
                if args.load == "wrk"
                else "httpx (asyncio) in the bench process, apart from the server's processes"
            ),
            "load_average": [round(x, 2) for x in os.getloadavg()],
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
