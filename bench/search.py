"""Search benchmark: the whole shared store plus the ~101k trial descriptions, against raw tantivy.

Prints one JSON document:
- ``store``: trials in the store and how long ingesting took (skipped with ``--db`` of a built store);
- ``sizes``: per index size (``--sizes``: the first N trials of the store, replicated under new keys
  past its size), measured in the same run:
  - ``index``: our index build time and size (tantivy words + filter, facet and text tables), raw
    tantivy's over the same texts (title and body, its default analyser), and the ratios;
  - ``latency_ms``: p50 / p95 / p99 of the same queries (a fixed, seeded mix drawn from the stored
    conditions, interventions, abbreviations and titles, with phrases, OR / NOT and field prefixes)
    for: ours without filters or facets, ours with filters and all facet counts, raw tantivy without
    either (it has no facet counts to give); every query runs once per configuration, with our
    result caches off, after a warm-up (``*_warm_lookups``: the expansions' per-term look-ups kept
    between queries, as in a running server; otherwise those are cold too); ``p95_ratio``: ours
    over raw tantivy's;
  - ``goal``: p95 ≤ 2× raw tantivy's and < 20 ms; build time and size ≤ 1.5× raw tantivy's.

Usage: python bench/search.py [--db FILE] [--sizes 25000,100000] [--queries 200] [--data DIR]
       [--work DIR] [--keep-index]
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from trialatlas.config import shared_data_dir
from trialatlas.model import Trial
from trialatlas.search import BuildReport, SearchIndex, search
from trialatlas.search.document import trial_texts
from trialatlas.search.index import COLUMNS
from trialatlas.search.synonyms import reviewed
from trialatlas.services.ingest import ingest
from trialatlas.store import SqliteStore, TrialStore
from trialatlas.text.words import STOP_WORDS

SEEDS = [
    "MMF TAC lupus nephritis",
    "FK506 membranous",
    "steroid tapering SLE",
    "IgG4-RD maintenance",
    "recruiting phase 4 in China for children",
    "rituximab nephrotic syndrome children",
    '"minimal change disease"',
    "voclosporin",
    "belimumab OR obinutuzumab",
    "cyclophosphamide NOT lymphoma",
]


# Title words of the description-only trials (no conditions listed) that are clinical terms.
_CLINICAL_TITLE_WORDS = frozenset(
    [
        "asthma",
        "cancer",
        "diabetes",
        "hypertension",
        "depression",
        "schizophrenia",
        "obesity",
        "stroke",
        "sepsis",
        "hepatitis",
        "influenza",
        "malaria",
        "tuberculosis",
        "arthritis",
        "psoriasis",
        "leukemia",
        "lymphoma",
        "melanoma",
        "myeloma",
        "epilepsy",
        "migraine",
        "anemia",
        "pneumonia",
        "dementia",
        "autism",
        "insomnia",
        "glaucoma",
        "cirrhosis",
        "pancreatitis",
        "osteoporosis",
    ]
)


def inputs(data: Path) -> list[Path]:
    return [
        data / "ctgov_api_v2_samples" / "ctgov_api_v2_studies.jsonl.gz",
        data / "ctgov_api_v2_samples" / "csv_export",
        data / "ctgov_legacy_xml_2023" / "ctgov_legacy_xml_feb2023.tar.gz",
        data / "ctgov_legacy_xml_2023" / "ctgov_search_results_legacy_export.csv",
        data / "ctgov_target_trials",
        data / "ctgov_trial_descriptions_100k",
    ]


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)

    def at(share: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))], 2)

    return {"p50": at(0.50), "p95": at(0.95), "p99": at(0.99), "mean": round(statistics.fmean(ordered), 2)}


def make_queries(store: SqliteStore, count: int, seed: int) -> list[tuple[str, dict[str, Any]]]:
    """A fixed mix of queries users type, drawn from the store itself, each with filters to add."""
    rng = random.Random(seed)
    conditions: list[str] = []
    interventions: list[str] = []
    titles: list[str] = []
    countries: list[str] = []
    for trial in store.iter_trials():
        if trial.is_partial:
            if trial.brief_title and rng.random() < 0.01:
                titles.append(trial.brief_title)
            continue
        conditions.extend(_plain(c) for c in trial.conditions if 3 <= len(c) <= 40)
        interventions.extend(_plain(i.name) for i in trial.interventions if 3 <= len(i.name) <= 30)
        countries.extend(trial.countries)
    # Single words come from condition names: the clinical vocabulary users type ("asthma",
    # "carcinoma", "disease"), not any title word ("first", "development").
    words = [w for c in conditions for w in re.findall(r"[A-Za-z]{4,}", c) if w.lower() not in STOP_WORDS]
    words += [w for t in titles for w in re.findall(r"[A-Za-z]{4,}", t) if w.lower() in _CLINICAL_TITLE_WORDS]
    abbreviations = sorted(reviewed().senses)
    made: list[str] = list(SEEDS)
    kinds = ["condition", "intervention", "abbreviation", "pair", "word", "phrase", "or", "not", "field"]
    while len(made) < count:
        kind = rng.choice(kinds)
        condition = rng.choice(conditions)
        if kind == "condition":
            made.append(condition)
        elif kind == "intervention":
            made.append(rng.choice(interventions))
        elif kind == "abbreviation":
            made.append(f"{rng.choice(abbreviations).upper()} {condition.split()[0]}")
        elif kind == "pair":
            made.append(f"{rng.choice(interventions).split()[0]} {condition}")
        elif kind == "word":
            made.append(rng.choice(words).lower())
        elif kind == "phrase":
            made.append(f'"{condition}"')
        elif kind == "or":
            made.append(f'"{condition}" OR "{rng.choice(conditions)}"')
        elif kind == "not":
            made.append(f"{condition} NOT {rng.choice(words).lower()}")
        else:
            made.append(f'cond:"{condition}" intr:{rng.choice(interventions).split()[0]}')
    statuses = ["recruiting", "open", "completed"]
    top_countries = [c for c, _ in _most_common(countries, 15)]
    queries = []
    for text in made[:count]:
        filters: dict[str, Any] = {"status": rng.choice(statuses)}
        roll = rng.random()
        if roll < 0.4:
            filters["phase"] = rng.choice(["2", "3", "4"])
        if roll > 0.3:
            filters["country"] = rng.choice(top_countries)
        if rng.random() < 0.5:
            filters["age"] = rng.choice([8, 12, 30, 70])
        if rng.random() < 0.3:
            filters["sex"] = rng.choice(["female", "male"])
        queries.append((re.sub(r"[\^{}*]", " ", text), filters))
    return queries


def _plain(name: str) -> str:
    """A stored name as a user would type it into the box: registries write "Comparator: placebo" or
    an unclosed "(", which the query language would read as a field prefix or a group."""
    return " ".join(_OPERATOR.sub(lambda m: m.group().lower(), _SYNTAX.sub(" ", name)).split())


_SYNTAX = re.compile(r"[:\"()\^{}*]")
_OPERATOR = re.compile(r"\b(?:AND|OR|NOT)\b")


def _most_common(items: list[str], n: int) -> list[tuple[str, int]]:
    counts: dict[str, int] = {}
    for item in items:
        counts[item] = counts.get(item, 0) + 1
    return sorted(counts.items(), key=lambda kv: -kv[1])[:n]


def run_ours(
    store: SqliteStore,
    index: SearchIndex,
    queries: list[tuple[str, dict[str, Any]]],
    facets: bool,
    warm_lookups: bool = False,
) -> dict[str, Any]:
    """Our latencies; ``warm_lookups`` keeps the expansions' per-term look-ups between queries (as a
    running server does), results are never kept."""
    times: list[float] = []
    totals: list[int] = []
    for text, filters in queries:
        index.clear_cache(lookups=not warm_lookups)  # each query pays its own way
        started = time.perf_counter()
        results = search(
            store, text, filters if facets else None, facets=facets, limit=20, index=index, synced=True
        )
        times.append((time.perf_counter() - started) * 1000)
        totals.append(results.total)
    return {**percentiles(times), "zero_hit_queries": sum(1 for t in totals if t == 0)}


class FirstTrials:
    """The first ``size`` trials of a store, as much of a store as a rebuild reads; past the store's
    size its trials come again under new keys (``<key>-R<n>``)."""

    def __init__(self, store: TrialStore, size: int) -> None:
        self.store = store
        self.size = size

    def changes_since(self, seq: int) -> tuple[int, list[str]]:
        return self.store.changes_since(seq)[0], []

    def iter_trials(self, batch_size: int = 500) -> Iterator[Trial]:
        made = 0
        for copy in itertools.count():
            for trial in self.store.iter_trials(batch_size):
                if made >= self.size:
                    return
                yield trial if not copy else trial.model_copy(update={"nct_id": f"{trial.key}-R{copy}"})
                made += 1
            if not made:
                return


def dump_texts(trials: FirstTrials, path: Path) -> Path:
    """The trials' searchable texts, one JSON line each, for raw tantivy to read (not timed)."""
    if not path.exists():
        with path.open("wb") as out:
            for trial in trials.iter_trials():
                out.write(orjson.dumps([trial.key, *trial_texts(trial)]) + b"\n")
    return path


def build_tantivy(texts: Path, folder: Path, reuse: bool = False) -> tuple[Any, float, int]:
    import tantivy

    if reuse and (folder / "meta.json").exists():
        peer = tantivy.Index.open(str(folder))
        size = sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())
        return peer, 0.0, size
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("key", stored=True)
    builder.add_text_field("title")
    builder.add_text_field("body")
    schema = builder.build()
    started = time.perf_counter()
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    peer = tantivy.Index(schema, path=str(folder))
    writer = peer.writer(heap_size=256_000_000)
    title = COLUMNS.index("title")
    with texts.open("rb") as lines:
        for line in lines:
            key, *columns = orjson.loads(line)
            body = "\n".join(text for i, text in enumerate(columns) if i != title)
            writer.add_document(tantivy.Document(key=key, title=columns[title], body=body))
    writer.commit()
    writer.wait_merging_threads()
    peer.reload()
    seconds = time.perf_counter() - started
    size = sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())
    return peer, seconds, size


def peer_query(text: str) -> str:
    """The same words for tantivy's parser: its syntax differs (fields, escapes), so only words,
    phrases and AND / OR / NOT pass."""
    text = re.sub(r"\b(cond|intr|title|sponsor):", "", text)
    return re.sub(r"[^\w\s\"]", " ", text)


def run_peer(peer: Any, queries: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    searcher = peer.searcher()
    times: list[float] = []
    zero = 0
    for text, _ in queries:
        started = time.perf_counter()
        # Conjunction by default, as ours: both find the trials holding every word.
        query = peer.parse_query_lenient(peer_query(text), ["title", "body"], conjunction_by_default=True)[0]
        result = searcher.search(query, limit=20, count=True)
        for _, address in result.hits:
            searcher.doc(address)
        times.append((time.perf_counter() - started) * 1000)
        zero += result.count == 0
    return {**percentiles(times), "zero_hit_queries": zero}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", type=Path, help="A store already holding the inputs (its index is rebuilt).")
    parser.add_argument("--data", type=Path, default=shared_data_dir())
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument(
        "--sizes", default="", help="Index sizes, e.g. 25000,100000 (default: the whole store)."
    )
    parser.add_argument("--work", type=Path, help="Where to build (default: a temporary directory).")
    parser.add_argument(
        "--keep-index",
        action="store_true",
        help="Reuse built indexes under --work (build times then read 0).",
    )
    args = parser.parse_args()

    work = args.work or Path(tempfile.mkdtemp(prefix="trialatlas-search-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {}
    try:
        if args.db is None:
            db = work / "atlas.db"
            store = SqliteStore(db)
            started = time.perf_counter()
            # Only the trials: the derived parts (criteria rules, related index…) are not measured here.
            ingested = ingest(inputs(args.data), store, derive=False)
            report["store"] = {
                "trials": store.count(),
                "ingest_s": round(time.perf_counter() - started, 1),
                "failed": ingested.failed,
            }
        else:
            store = SqliteStore(args.db)
            report["store"] = {"trials": store.count()}
        sizes = [int(size) for size in args.sizes.split(",") if size.strip()] or [store.count()]
        queries = make_queries(store, args.queries, args.seed)
        report["queries"] = len(queries)
        report["sizes"] = {str(size): measure(store, size, queries, work, args.keep_index) for size in sizes}
        store.close()
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    json.dump(report, sys.stdout, indent=2)
    sys.stdout.write("\n")


def measure(
    store: SqliteStore, size: int, queries: list[tuple[str, dict[str, Any]]], work: Path, keep: bool
) -> dict[str, Any]:
    """Our index and raw tantivy's over the first ``size`` trials, built and queried in turn."""
    index = SearchIndex(str(work / f"index-{size}.db"), cache_size=0)
    if keep and index.is_built():
        built = BuildReport(index.doc_count(), 0.0, index.size_bytes())
    else:
        built = index.rebuild(FirstTrials(store, size))  # type: ignore[arg-type]
    print(f"indexed {built.docs} trials in {built.seconds:.0f} s", file=sys.stderr)
    texts = dump_texts(FirstTrials(store, size), work / f"texts-{size}.jsonl")
    peer, peer_seconds, peer_size = build_tantivy(texts, work / f"tantivy-{size}", reuse=keep)
    for text, filters in queries[:10]:  # warm-up: page cache, compiled statements, arrays
        search(store, text, filters, index=index, synced=True)
    ours_plain = run_ours(store, index, queries, facets=False)
    ours_facets = run_ours(store, index, queries, facets=True)
    run_ours(store, index, queries, facets=True, warm_lookups=True)  # fills the look-ups once
    warm_plain = run_ours(store, index, queries, facets=False, warm_lookups=True)
    warm_facets = run_ours(store, index, queries, facets=True, warm_lookups=True)
    peer_plain = run_peer(peer, queries)
    index.close()

    def ratio(ours: float, theirs: float) -> float | None:
        return round(ours / theirs, 2) if theirs else None

    build_ratio = ratio(built.seconds, peer_seconds)
    size_ratio = ratio(built.bytes, peer_size)
    return {
        "index": {
            "docs": built.docs,
            "build_s": round(built.seconds, 1),
            "size_mb": round(built.bytes / 1e6, 1),
            "tantivy_build_s": round(peer_seconds, 1),
            "tantivy_size_mb": round(peer_size / 1e6, 1),
            "build_ratio": build_ratio,
            "size_ratio": size_ratio,
        },
        "latency_ms": {
            "trialatlas": ours_plain,
            "trialatlas_filters_facets": ours_facets,
            "trialatlas_warm_lookups": warm_plain,
            "trialatlas_filters_facets_warm_lookups": warm_facets,
            "tantivy": peer_plain,
        },
        "p95_ratio": {
            "plain": ratio(ours_plain["p95"], peer_plain["p95"]),
            "filters_facets": ratio(ours_facets["p95"], peer_plain["p95"]),
        },
        "goal": {
            "p95_le_2x_tantivy": ours_plain["p95"] <= 2 * peer_plain["p95"],
            "p95_filters_facets_le_2x_tantivy": ours_facets["p95"] <= 2 * peer_plain["p95"],
            "p95_under_20ms": max(ours_plain["p95"], ours_facets["p95"]) < 20,
            "build_le_1_5x_tantivy": build_ratio is not None and build_ratio <= 1.5,
            "size_le_1_5x_tantivy": size_ratio is not None and size_ratio <= 1.5,
        },
    }


if __name__ == "__main__":
    main()
