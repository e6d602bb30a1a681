"""Speed of eligibility: criteria parsed per second, and one patient matched against 100,000 trials.

* parse: every stored trial's criteria split and parsed into rules, parse cache cleared first
  (goal ≥ 5,000 criteria/s); the parse cache is a memo of parsed texts, so beside the figure come its
  hit rate over the trials in their order and the rate with the memo off;
* match: one patient matched against a store of ``--scale`` trials the way ``trialatlas match`` does:
  candidates from the store's search index, prefilter, rules on the most relevant, ranking (goal
  < 1 s). The store is ``--match-db`` as it is, else a scratch store of the loaded trials replicated
  with fresh NCT ids; its derived data (search index, related index, criteria rules, statistics) is
  brought up to date first, as an ingest does, and timed apart per part. Reported cold (new matcher,
  empty parse cache) and warm (the same matcher, another call), and beside it, in the same run, the
  peer: plain BM25 of the note over the same trials (the search index's FTS5 ranking, top 20).
* cli and server (``--interfaces``): ``trialatlas match`` of the note in fresh processes, end to end
  (goal < 3 s), beside ``trialatlas search`` of the note's words in fresh processes; then a server
  (``trialatlas serve``) started on the store, and ``POST /api/match`` timed the first time after
  start-up and warm (goal < 1 s), beside ``GET /api/trials`` of the note's words. The requests come
  from this process, not the server's interpreter.

Trials come from ``--db`` (a store) or, by default, the legacy XML sample in the shared data.
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from trialatlas.collector import collector_tuned
from trialatlas.config import shared_data_dir
from trialatlas.extract import units
from trialatlas.extract.criteria import Criterion, parse_criterion, trial_criteria
from trialatlas.extract.criteria.registry import _logic_cached, _parse_cached, memo_disabled
from trialatlas.match.matcher import StoreMatcher, retrieval_query
from trialatlas.match.patient import profile_from_note
from trialatlas.match.relevance import words
from trialatlas.model import Trial
from trialatlas.search import SearchIndex, search
from trialatlas.services.derived import bring_up_to_date
from trialatlas.store import TrialStore, open_store

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


_WARM_UP = (
    "Age 18 to 65 years; women who are pregnant or breast-feeding",
    "Hemoglobin < 9 g/dL or platelets < 100 x 10^9/L within 4 weeks prior to enrollment",
    "No prior tacrolimus, MMF or steroids; known HIV or hepatitis B infection",
    "History of myocardial infarction or renal biopsy; unable to give informed consent",
    "Serum creatinine > 1.5 mg/dL (133 umol/L); participation in another clinical trial",
)


def _parse_all(trials: list[Trial]) -> dict[str, float | int]:
    """Split and parse every trial's criteria, parse caches emptied first; CPU and wall seconds."""
    _parse_cached.cache_clear()
    _logic_cached.cache_clear()
    started, cpu_started = time.perf_counter(), time.process_time()
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
    cpu = time.process_time() - cpu_started
    elapsed = time.perf_counter() - started
    # Each text the memo had to parse is a miss (the first of each (text, kind), or one evicted and
    # seen again); every other criterion was a hit. Read before anything else calls the parser.
    parsed = _parse_cached.cache_info().misses
    return {
        "criteria": count,
        "unique_criteria": len(unique),
        "memo_hit_rate": round(1 - parsed / count, 3) if count else 0.0,
        "rules": rules,
        "cpu_seconds": round(cpu, 3),
        "wall_seconds": round(elapsed, 3),
        "criteria_per_second": round(count / cpu, 1),
        "criteria_per_wall_second": round(count / elapsed, 1),
    }


def bench_parse(trials: list[Trial]) -> dict[str, object]:
    """Split and parse every trial's criteria on one core, parse cache empty.

    The vocabularies, the drug tables and pint load on first use; that one-time start-up is timed
    apart (``startup_seconds``) by parsing a few sample criteria first, then the cache is cleared.
    The rate is over CPU time of this process (the machine may be shared); wall time is reported too.
    Parsed three times in the same run: at the interpreter's default collector
    (``default_collector``), with the cyclic collector tuned for bulk work as the derived-data step
    parses (the figure, with the memo of parsed texts and its ``memo_hit_rate``), and tuned with the
    memo off (``without_memo``: every criterion parsed, repeats too).
    """
    # The loaded trials live as long as the process: like a service after start-up, move them out of
    # the cyclic collector's sight, or every full collection re-scans millions of trial objects and
    # the figure measures the collector, not the parser (it costs ~10 % here; the parser's own
    # garbage is still collected and timed).
    gc.freeze()
    started = time.perf_counter()
    for text in _WARM_UP:
        parse_criterion(Criterion(text=text, kind="exclusion", index=0, start=0, end=len(text)))
    # None of the sample criteria needs pint (their units convert without it), so its registry used
    # to load inside the timed parse, on the first unusual unit (0.1-0.3 s of a 10 s figure).
    units.registry()
    startup = time.perf_counter() - started
    default = _parse_all(trials)
    with collector_tuned():
        tuned = _parse_all(trials)
    # The same trials in the same order with every criterion parsed afresh: what the memo of parsed
    # texts is worth here (its hit rate depends on how much boilerplate the trials share).
    with collector_tuned(), memo_disabled():
        plain = _parse_all(trials)
    timings = ("cpu_seconds", "wall_seconds", "criteria_per_second")
    return {
        "trials": len(trials),
        "startup_seconds": round(startup, 3),
        **tuned,
        "goal_criteria_per_second": 5000,
        "default_collector": {key: default[key] for key in timings},
        "without_memo": {key: plain[key] for key in timings},
    }


def _scratch_store(trials: list[Trial], scale: int, folder: Path) -> TrialStore:
    store = open_store(str(folder / "match.db"))
    batch: list[Trial] = []
    for i in range(scale):
        batch.append(trials[i % len(trials)].model_copy(update={"nct_id": f"NCT{90000000 + i:08d}"}))
        if len(batch) >= 1000:
            store.upsert_batch(batch)
            batch.clear()
    if batch:
        store.upsert_batch(batch)
    return store


def bench_match(store: TrialStore) -> dict[str, object]:
    derived = bring_up_to_date(store)
    index = SearchIndex.for_store(store)
    patient = profile_from_note(PATIENT, "bench")
    timings: dict[str, float] = {}
    results = []
    matcher = StoreMatcher(store)
    for label in ("cold", "warm"):
        if label == "cold":
            _parse_cached.cache_clear()
            _logic_cached.cache_clear()
        started = time.perf_counter()
        results = matcher.match(patient, top=20)
        timings[f"{label}_seconds"] = round(time.perf_counter() - started, 3)
    # The peer: the note's words, plain BM25 over the same trials (any word may match).
    plain = " ".join(f'"{word}"' for word in dict.fromkeys(words(PATIENT)))
    options = {"mode": "any", "expand": False, "interpret_words": False, "facets": False, "snippets": False}
    started = time.perf_counter()
    peer = search(store, plain, limit=20, index=index, **options)  # type: ignore[arg-type]
    peer_seconds = time.perf_counter() - started
    return {
        "trials": store.count(),
        "derived": derived.as_dict(),
        **timings,
        "goal_seconds": 1.0,
        "pool": matcher.pool,
        "retrieval_query_terms": retrieval_query(patient).count('"') // 2,
        "top": [(c.trial.nct_id, c.verdict.status if c.verdict else None) for c in results[:5]],
        "peer": {
            "name": "plain BM25 (search index, note words, top 20)",
            "seconds": round(peer_seconds, 3),
            "top": [hit.trial.key for hit in peer.hits[:5]],
        },
    }


def _plain_words() -> str:
    return " ".join(f'"{word}"' for word in dict.fromkeys(words(PATIENT)))


def _timed_command(*args: str) -> tuple[float, float]:
    """Wall and CPU seconds (user + system) of a fresh ``trialatlas`` process: on a shared machine the
    wall time measures the other processes too, the CPU time only this one."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "trialatlas", *args],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return round(wall, 2), round(cpu, 2)


def bench_cli(db: str, runs: int = 2) -> dict[str, object]:
    """``trialatlas match`` of the note in fresh processes (the first one after the ingest included),
    beside ``trialatlas search`` of the note's words, also in fresh processes."""
    match = [_timed_command("match", "--db", db, "--json", PATIENT) for _ in range(runs)]
    peer = [_timed_command("search", "--db", db, "--json", _plain_words()) for _ in range(runs)]
    return {
        "match_wall_cpu_seconds": match,
        "goal_seconds": 3.0,
        "peer": {"name": "trialatlas search of the note's words (fresh process)", "wall_cpu_seconds": peer},
    }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _request(url: str, body: dict[str, object] | None = None) -> float:
    data = None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"} if body is not None else {}
    started = time.perf_counter()
    with urllib.request.urlopen(
        urllib.request.Request(url, data=data, headers=headers), timeout=600
    ) as answer:
        answer.read()
    return time.perf_counter() - started


def bench_server(db: str, warm_runs: int = 5, settle: float = 30.0) -> dict[str, object]:
    """A server on the store: ``POST /api/match`` the first time after start-up (``settle`` seconds
    after it answers, the time its start-up work is given) and warm, beside ``GET /api/trials`` of the
    note's words."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "trialatlas", "serve", "--db", db, "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        started = time.perf_counter()
        while True:
            try:
                _request(f"{base}/api/health")
                break
            except OSError:
                if server.poll() is not None or time.perf_counter() - started > 300:
                    raise RuntimeError("the server did not start") from None
                time.sleep(0.2)
        ready = time.perf_counter() - started
        time.sleep(settle)
        body = {"note": PATIENT, "top": 20}
        first = _request(f"{base}/api/match", body)
        warm = sorted(_request(f"{base}/api/match", body) for _ in range(warm_runs))
        query = urllib.parse.urlencode({"q": _plain_words(), "mode": "any", "limit": 20})
        peer = sorted(_request(f"{base}/api/trials?{query}") for _ in range(warm_runs))
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {
        "ready_seconds": round(ready, 2),
        "settle_seconds": settle,
        "first_match_seconds": round(first, 3),
        "warm_match_median_seconds": round(warm[len(warm) // 2], 3),
        "goal_seconds": 1.0,
        "peer": {
            "name": "GET /api/trials of the note's words (warm)",
            "median_seconds": round(peer[len(peer) // 2], 3),
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=None, help="Store to read trials from (default: shared legacy XML).")
    parser.add_argument("--limit", type=int, default=None, help="Read at most this many trials.")
    parser.add_argument("--scale", type=int, default=100_000, help="Trials to match against.")
    parser.add_argument(
        "--match-db", default=None, help="Match against this store as it is (builds its search index)."
    )
    parser.add_argument("--skip-parse", action="store_true", help="Only the match figure.")
    parser.add_argument(
        "--interfaces",
        action="store_true",
        help="Also time the CLI (fresh processes) and a server on --match-db.",
    )
    args = parser.parse_args(argv)
    report: dict[str, object] = {}
    trials = [] if args.skip_parse and args.match_db else _load(args.db, args.limit)
    if not args.skip_parse:
        report["parse"] = bench_parse(trials)
    if args.match_db:
        store = open_store(args.match_db)
        try:
            report["match"] = bench_match(store)
        finally:
            store.close()
        if args.interfaces:
            report["cli"] = bench_cli(args.match_db)
            report["server"] = bench_server(args.match_db)
    else:
        with tempfile.TemporaryDirectory() as scratch:
            started = time.perf_counter()
            store = _scratch_store(trials, args.scale, Path(scratch))
            store_seconds = time.perf_counter() - started
            try:
                report["match"] = {"store_build_seconds": round(store_seconds, 1), **bench_match(store)}
            finally:
                store.close()
    json.dump(report, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
