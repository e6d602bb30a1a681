"""Store benchmark: SQLite and PostgreSQL side by side, ingest and search, at each ``--scale``.

Prints one JSON document with, per scale and per backend:
- ``ingest``: the shared legacy XML and API v2 records, read once, replicated with fresh NCT ids up to the
  scale and merged in batches of 500 (``ingest_results``): trials/s end to end, and the
  trials/s of ``upsert_batch`` alone (the store's own share), peak RSS;
- ``size_mb``: bytes on disk (SQLite file and WAL; PostgreSQL tables, indexes and TOAST), and for
  search the full-text index on its own;
- ``lookup``: latency percentiles of ``get`` by NCT id and by org study id (random, warm);
- ``search``: full-text latency percentiles over a fixed query set, top 20 by rank: the PostgreSQL
  store's search index (``search_docs``: weighted ``tsvector`` + GIN, ``ts_rank_cd``, through
  :func:`trialatlas.search.search`) against SQLite FTS5 (``bm25``) built from three weighted fields
  (titles; conditions and keywords; interventions and summary);
- ``readers``: lookups/s with 1, 2 and 4 reader processes at once, to show where one machine stops.

PostgreSQL runs as a throw-away cluster started here (initdb into a temporary directory, a free
loopback port) with durable settings (fsync on), unless ``--pg URL`` names a server.

Usage: python bench/store.py [--scale 100000 500000] [--pg postgresql://...] [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import gc
import itertools
import multiprocessing
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import orjson
import psutil
import psycopg

from trialatlas.config import shared_data_dir
from trialatlas.model import Trial
from trialatlas.search import SearchIndex, search
from trialatlas.services.ingest import ingest_results
from trialatlas.sources.base import Blob, ReadResult
from trialatlas.sources.reading import read_blob
from trialatlas.store import SqliteStore, TrialStore, UpsertSummary
from trialatlas.store.postgres import PostgresStore
from trialatlas.text.registry_ids import NCT_IN_BYTES

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from conftest_pg import PgCluster, start_cluster, stop_cluster
from ingest import load_records

QUERIES = [
    "lung cancer",
    "non-small cell lung cancer pembrolizumab",
    "type 2 diabetes",
    "cluster headache",
    "lumbar disc herniation",
    "acute myeloid leukemia",
    "lupus nephritis",
    "tacrolimus",
    "mycophenolate mofetil",
    "hypertension",
    "digital therapeutic app",
    "machine learning",
    "breast cancer radiotherapy",
    "COVID-19 vaccine",
    "depression cognitive behavioral therapy",
    "heart failure",
    "asthma children",
    "obesity semaglutide",
    "stroke rehabilitation",
    "kidney transplantation",
]
# Durable like a real server, sized for this machine: the comparison with SQLite in WAL mode is fair.
BENCH_PG_SETTINGS = (
    "-c listen_addresses=127.0.0.1 -c max_connections=30 -c shared_buffers=1GB"
    " -c effective_cache_size=4GB -c maintenance_work_mem=256MB -c wal_buffers=16MB"
    " -c max_wal_size=4GB -c checkpoint_timeout=15min"
)


def read_pool(xml_records: list[bytes], v2_records: list[bytes]) -> list[Trial]:
    """Every shared record read once through the real readers: the trials replicas are made of."""
    pool: list[Trial] = []
    for index, record in enumerate(xml_records + v2_records):
        name = f"pool-{index}.xml" if index < len(xml_records) else f"pool-{index}.jsonl"
        pool.extend(
            result for result in read_blob(Blob.from_bytes(name, record)) if isinstance(result, Trial)
        )
    return pool


def replicated(pool: list[Trial], total: int) -> Iterator[ReadResult]:
    """The pool cycled with fresh NCT ids (raw text rewritten to match) and unique org study ids.

    Replicas are copies, not re-reads: this benchmark measures the store; bench/ingest.py measures
    the readers (they cost about twice the store's share of an ingest)."""
    for index, trial in zip(range(total), itertools.cycle(pool), strict=False):
        new = f"NCT8{index:07d}"
        source = trial.sources[0]
        record = source.model_copy(
            update={
                "id": f"bench:{new}",
                "raw": NCT_IN_BYTES.sub(new.encode(), source.raw.encode()).decode() if source.raw else None,
            }
        )
        yield trial.model_copy(
            update={
                "nct_id": new,
                "nct_id_aliases": [],
                "org_study_id": f"{trial.org_study_id}-{index}" if trial.org_study_id else None,
                "sources": [record],
                "field_sources": dict.fromkeys(trial.field_sources, record.id),
            }
        )


class Timed:
    """The store, with the time spent in ``upsert_batch`` added up."""

    def __init__(self, store: TrialStore) -> None:
        self.store = store
        self.seconds = 0.0
        self.trials = 0

    def upsert_batch(self, trials: Sequence[Trial]) -> UpsertSummary:
        started = time.perf_counter()
        summary = self.store.upsert_batch(trials)
        self.seconds += time.perf_counter() - started
        self.trials += len(trials)
        return summary

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 3)

    return {
        "p50_ms": at(0.50),
        "p95_ms": at(0.95),
        "p99_ms": at(0.99),
        "mean_ms": round(statistics.mean(ordered) * 1000, 3),
    }


def ingest_into(store: TrialStore, pool: list[Trial], total: int) -> dict[str, Any]:
    timed = Timed(store)
    started = time.perf_counter()
    report = ingest_results(replicated(pool, total), timed)  # type: ignore[arg-type]
    seconds = time.perf_counter() - started
    return {
        "trials": store.count(),
        "failed": report.failed,
        "seconds": round(seconds, 1),
        "trials_per_s": round(report.read / seconds, 1),
        "upsert_trials_per_s": round(timed.trials / timed.seconds, 1),
        "upsert_share": round(timed.seconds / seconds, 3),
        "rss_mb": round(psutil.Process().memory_info().rss / 2**20, 1),
    }


def lookups(store: TrialStore, keys: list[str], orgs: list[str], rounds: int = 2000) -> dict[str, Any]:
    rng = random.Random(11)
    by_nct, by_org = [], []
    for _ in range(rounds):
        key = rng.choice(keys)
        started = time.perf_counter()
        assert store.get(key) is not None
        by_nct.append(time.perf_counter() - started)
    for _ in range(rounds // 4):
        org = rng.choice(orgs)
        started = time.perf_counter()
        store.get(org)
        by_org.append(time.perf_counter() - started)
    return {"get_by_nct": percentiles(by_nct), "get_by_org_id": percentiles(by_org)}


def search_text(trial: Trial) -> tuple[str, str, str]:
    """The FTS5 peer's three weighted fields: titles; conditions and keywords; interventions and the
    brief summary."""
    titles = " ".join(t for t in (trial.brief_title, trial.official_title, trial.acronym) if t)
    topics = " ".join([*trial.conditions, *trial.keywords, *(m.term for m in trial.condition_mesh)])
    treatments = " ".join(
        [*(i.name for i in trial.interventions), *(m.term for m in trial.intervention_mesh)]
    )
    return titles, topics, f"{treatments} {trial.brief_summary or ''}".strip()


def build_fts(db: Path, store: SqliteStore) -> dict[str, Any]:
    """SQLite's full-text peer of PostgreSQL's tsvector column, beside the store (its own file)."""
    fts_path = db.with_name(db.name + ".fts")
    conn = sqlite3.connect(fts_path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute(
        "CREATE VIRTUAL TABLE search USING fts5(key UNINDEXED, titles, topics, treatments,"
        " tokenize = 'porter unicode61')"
    )
    started = time.perf_counter()
    batch: list[tuple[str, str, str, str]] = []
    for trial in store.iter_trials(batch_size=1000):
        batch.append((trial.key, *search_text(trial)))
        if len(batch) >= 5000:
            conn.executemany("INSERT INTO search VALUES (?, ?, ?, ?)", batch)
            batch.clear()
    conn.executemany("INSERT INTO search VALUES (?, ?, ?, ?)", batch)
    conn.commit()
    conn.execute("INSERT INTO search(search) VALUES ('optimize')")
    conn.commit()
    seconds = time.perf_counter() - started
    conn.close()
    return {
        "path": fts_path,
        "build_seconds": round(seconds, 1),
        "size_mb": round(fts_path.stat().st_size / 2**20, 1),
    }


def fts_query(text: str) -> str:
    return " ".join('"' + word.replace('"', "") + '"' for word in text.split())


def search_sqlite(fts_path: Path, rounds: int = 3) -> dict[str, Any]:
    conn = sqlite3.connect(fts_path)
    samples, hits = [], []
    for round_number in range(rounds):
        for query in QUERIES:
            started = time.perf_counter()
            rows = conn.execute(
                "SELECT key, bm25(search, 0, 4.0, 2.0, 1.0) AS rank FROM search WHERE search MATCH ?"
                " ORDER BY rank LIMIT 20",
                (fts_query(query),),
            ).fetchall()
            samples.append(time.perf_counter() - started)
            if round_number == 0:
                hits.append(len(rows))
    conn.close()
    return {
        "engine": "SQLite FTS5 bm25",
        **percentiles(samples),
        "queries_with_hits": sum(1 for h in hits if h),
    }


def search_postgres(store: PostgresStore, rounds: int = 3) -> dict[str, Any]:
    samples, hits = [], []
    for round_number in range(rounds):
        for query in QUERIES:
            started = time.perf_counter()
            found = search(store, query, limit=20, facets=False, snippets=False).hits
            samples.append(time.perf_counter() - started)
            if round_number == 0:
                hits.append(len(found))
    return {
        "engine": "PostgreSQL search index (tsvector+GIN, ts_rank_cd)",
        **percentiles(samples),
        "queries_with_hits": sum(1 for h in hits if h),
    }


def _reader(location: str, keys: list[str], seconds: float, queue: Any) -> None:
    from trialatlas.store import open_store

    store = open_store(location)
    rng = random.Random(os.getpid())
    done = 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        store.get(rng.choice(keys))
        done += 1
    store.close()
    queue.put(done)


def readers(location: str, keys: list[str], seconds: float = 5.0) -> dict[str, float]:
    context = multiprocessing.get_context("spawn")
    out: dict[str, float] = {}
    sample = random.Random(5).sample(keys, min(len(keys), 20_000))
    for count in (1, 2, 4):
        queue = context.Queue()
        workers = [
            context.Process(target=_reader, args=(location, sample, seconds, queue)) for _ in range(count)
        ]
        for worker in workers:
            worker.start()
        total = sum(queue.get(timeout=seconds * 10) for _ in workers)
        for worker in workers:
            worker.join()
        out[f"{count}_readers_gets_per_s"] = round(total / seconds, 1)
    return out


def org_ids(store: TrialStore, keys: list[str], count: int = 500) -> list[str]:
    picked = random.Random(3).sample(keys, min(count, len(keys)))
    return [trial.org_study_id for trial in store.get_many(picked) if trial.org_study_id]


def run_scale(total: int, pool: list[Trial], workdir: Path, pg_base: str) -> dict[str, Any]:
    result: dict[str, Any] = {"trials": total}
    db = workdir / f"bench-{total}.db"
    sqlite_store = SqliteStore(db)
    result["sqlite"] = {"ingest": ingest_into(sqlite_store, pool, total)}
    keys = sqlite_store.keys()
    orgs = org_ids(sqlite_store, keys)
    sqlite_store.close()
    sqlite_store = SqliteStore(db)
    fts = build_fts(db, sqlite_store)
    result["sqlite"]["size_mb"] = round(sqlite_store.file_size() / 2**20, 1)
    result["sqlite"]["lookup"] = lookups(sqlite_store, keys, orgs)
    result["sqlite"]["search"] = {
        **search_sqlite(fts["path"]),
        "index_build_seconds": fts["build_seconds"],
        "index_size_mb": fts["size_mb"],
    }
    sqlite_store.close()
    result["sqlite"]["readers"] = readers(str(db), keys)
    for suffix in ("", "-wal", "-shm", ".fts", ".fts-wal", ".fts-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)

    name = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_base, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = pg_base.rsplit("/", 1)[0] + f"/{name}"
    try:
        pg = PostgresStore(url)
        result["postgres"] = {"ingest": ingest_into(pg, pool, total)}
        index = SearchIndex.for_store(pg)
        built = index.rebuild(pg)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")
        result["postgres"]["size_mb"] = round(pg.file_size() / 2**20, 1)
        result["postgres"]["lookup"] = lookups(pg, keys, orgs)
        result["postgres"]["search"] = {
            **search_postgres(pg),
            "index_build_seconds": round(built.seconds, 1),
            "index_size_mb": round(index.size_bytes() / 2**20, 1),
        }
        pg.close()
        result["postgres"]["readers"] = readers(url, keys)
    finally:
        with psycopg.connect(pg_base, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=shared_data_dir())
    parser.add_argument("--scale", type=int, nargs="+", default=[100_000, 500_000])
    parser.add_argument("--pg", help="a PostgreSQL maintenance database URL (default: a throw-away cluster)")
    parser.add_argument(
        "--workdir", type=Path, help="where the SQLite files go (default: a temporary directory)"
    )
    args = parser.parse_args()
    xml, v2 = load_records(args.data)
    pool = read_pool(xml, v2)
    # The pool is a few million long-lived objects: kept out of the collector's sweeps, whose pauses
    # would otherwise show up as latency of whichever store is being measured.
    gc.collect()
    gc.freeze()
    cluster: PgCluster | None = None
    pg_base = args.pg
    if pg_base is None:
        cluster = start_cluster(settings=BENCH_PG_SETTINGS)
        pg_base = cluster.url
    result: dict[str, Any] = {
        "benchmark": "store",
        "machine": {
            "cpus": os.cpu_count(),
            "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
            "python": sys.version.split()[0],
            "sqlite": sqlite3.sqlite_version,
            "postgres": psycopg.connect(pg_base).info.server_version,
        },
        "scales": [],
    }
    try:
        with tempfile.TemporaryDirectory(prefix="trialatlas-bench-", dir=args.workdir) as tmp:
            for total in args.scale:
                result["scales"].append(run_scale(total, pool, Path(tmp), pg_base))
                sys.stderr.write(orjson.dumps(result["scales"][-1]).decode() + "\n")
    finally:
        if cluster is not None:
            stop_cluster(cluster)
    sys.stdout.write(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode() + "\n")


if __name__ == "__main__":
    main()
