"""Where a search's CPU goes: per-stage CPU time of the benchmark's queries over a built index.

Runs the queries of ``bench/search.py`` (the same seeded mix, or ``--queries-file``, a JSON list of
``[text, filters]`` saved by an earlier run) against an index built by it (``--index``, e.g.
``<work>/index-25000.db`` of ``bench/search.py --work W --keep-index``), twice: plain (no filters,
no facets) and with filters and every facet count, each query once per round, caches off. Prints
one JSON document: per configuration, the mean CPU milliseconds per search spent in each stage
(stages nest: ``execute`` holds ``matching``, ``top`` and ``facets``), how many read snapshots a
search opened, and with ``--cprofile N`` the N functions with the most cumulative time.

CPU time (``time.thread_time``), not wall time: the box is shared, and CPU time is what a change
saves whatever the load.

Usage: python bench/search_profile.py --db STORE --index INDEX [--queries 200] [--rounds 3]
       [--queries-file FILE] [--cprofile 25]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from trialatlas.search import SearchIndex, search
from trialatlas.search import execute as execute_module
from trialatlas.search import index as index_module
from trialatlas.search import service as service_module
from trialatlas.search.connections import Connections
from trialatlas.store import SqliteStore

sys.path.insert(0, str(Path(__file__).resolve().parent))
from search import make_queries

Spent = defaultdict[str, float]
# Not a time: how many read snapshots a search opened.
SNAPSHOTS = "read snapshots per search"


def _timed(spent: Spent, stage: str, function: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.thread_time()
        try:
            return function(*args, **kwargs)
        finally:
            spent[stage] += time.thread_time() - started

    return wrapper


@contextmanager
def instrumented(spent: Spent) -> Iterator[None]:
    """Wraps the stages' functions with CPU timers (and counts snapshots) while the block runs."""
    patches: list[tuple[Any, str, Any]] = [
        (service_module, "parse", "parse"),
        (service_module.Compiler, "compile", "compile (expansions, look-ups)"),
        (SearchIndex, "execute", "execute"),
        (execute_module.engine, "matching", "execute: engine matching (list)"),
        (execute_module.engine, "top", "execute: engine top k"),
        (execute_module.Run, "_facets", "execute: facet counts"),
        (execute_module.Run, "_masks", "execute: filter masks"),
        (execute_module, "_summaries", "execute: summaries read"),
        (SearchIndex, "snippets", "snippets"),
        (index_module, "cut_snippets", "snippets: cutting"),
        (SearchIndex, "briefs", "briefs"),
        (service_module.TrialSummary, "model_validate_json", "hits: summaries parsed"),
    ]
    saved = [(owner, name, getattr(owner, name)) for owner, name, _ in patches]
    original_snapshot = Connections._snapshot

    def counted_snapshot(self: Connections, conn: Any, reader: Any) -> Iterator[Any]:
        depth = reader.depth if reader is not None else self._shared_depth
        if depth == 0 and not conn.in_transaction:  # a new snapshot, not one nested in another
            spent[SNAPSHOTS] += 1
        yield from original_snapshot(self, conn, reader)

    try:
        for (owner, name, stage), (_, _, function) in zip(patches, saved, strict=True):
            setattr(owner, name, _timed(spent, stage, function))
        Connections._snapshot = counted_snapshot  # type: ignore[method-assign]
        yield
    finally:
        for owner, name, function in saved:
            setattr(owner, name, function)
        Connections._snapshot = original_snapshot  # type: ignore[method-assign]


def run(
    store: SqliteStore,
    index: SearchIndex,
    queries: list[tuple[str, dict[str, Any]]],
    facets: bool,
    rounds: int,
) -> dict[str, float]:
    spent: Spent = defaultdict(float)
    searches = 0
    with instrumented(spent):
        for _ in range(rounds):
            for text, filters in queries:
                index.clear_cache()
                started = time.thread_time()
                search(
                    store,
                    text,
                    filters if facets else None,
                    facets=facets,
                    limit=20,
                    index=index,
                    synced=True,
                )
                spent["search (total)"] += time.thread_time() - started
                searches += 1
    return {
        stage: round(value / searches if stage == SNAPSHOTS else value * 1000 / searches, 3)
        for stage, value in sorted(spent.items())
    }


def profile(
    store: SqliteStore, index: SearchIndex, queries: list[tuple[str, dict[str, Any]]], facets: bool, top: int
) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    for text, filters in queries:
        index.clear_cache()
        search(store, text, filters if facets else None, facets=facets, limit=20, index=index, synced=True)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(top)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", type=Path, required=True, help="The store the index was built from.")
    parser.add_argument("--index", type=Path, required=True, help="A built index file.")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--queries-file", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--cprofile", type=int, default=0, help="Print this many functions of a cProfile run."
    )
    args = parser.parse_args()

    store = SqliteStore(args.db)
    index = SearchIndex(str(args.index), cache_size=0)
    if args.queries_file is not None:
        queries = [(text, filters) for text, filters in json.loads(args.queries_file.read_text())]
    else:
        queries = make_queries(store, args.queries, args.seed)
    for text, filters in queries[:10]:  # warm-up: page cache, arrays, the engine's searcher
        search(store, text, filters, index=index, synced=True)
    report: dict[str, Any] = {"docs": index.doc_count(), "queries": len(queries), "rounds": args.rounds}
    for name, facets in (("plain", False), ("filters_facets", True)):
        report[name] = run(store, index, queries, facets, args.rounds)
    json.dump(report, sys.stdout, indent=2)
    sys.stdout.write("\n")
    if args.cprofile:
        for name, facets in (("plain", False), ("filters_facets", True)):
            print(f"\n== cProfile, {name} ==", file=sys.stderr)
            print(profile(store, index, queries, facets, args.cprofile), file=sys.stderr)
    index.close()
    store.close()


if __name__ == "__main__":
    main()
