"""Hub trials on the cross-mention tuning half: hubness correction and mutual rank, from reverse lookups.

For each tuning query trial of a scratch store made by ``trialatlas eval related --scratch PATH``, the
related ranking is computed once, and for each of its best ``--depth`` candidates the candidate's own
ranking (the reverse lookup): its hubness r_c (the mean score of its own ``k`` best trials, as in CSLS
local scaling) and the query's rank in its list. Variants re-order the best ``--depth`` from those
numbers (the lexical leader keeps its place, as shipped) and are scored against plain BM25 over the
same texts: recall@10, MRR@10, recall@5, and the pairs each gains and loses against BM25 and against
the shipped ranking. Only the tuning half is read (see docs/related.md, tenth round); the sealed half
is left to ``trialatlas eval related``.

Usage: python bench/related_reverse.py --scratch /path/to/store.db [--depth 50]
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import orjson

from trialatlas.eval.crossmention import TUNING, Benchmark
from trialatlas.related import index_for, similarity
from trialatlas.related.baseline import build_baseline, trial_text
from trialatlas.related.index import RelatedIndex
from trialatlas.related.service import _trial_query
from trialatlas.store import SqliteStore

TOP = 10


@dataclass
class Candidate:
    row: int
    score: float
    hubness: dict[int, float]  # k -> mean score of the candidate's own k best trials
    query_rank: int  # the query's rank in the candidate's own list (0: not a candidate there)


@dataclass
class Lookup:
    rows: np.ndarray  # every candidate, best first
    scores: np.ndarray
    leader: int  # the candidate with the best lexical part
    best: list[Candidate]


def lookup(index: RelatedIndex, store: SqliteStore, key: str, depth: int) -> Lookup:
    trial = store.get(key)
    assert trial is not None
    query_row = index.row_of(trial.key)
    scored = similarity.score(index, _trial_query(index, trial))
    rows = np.flatnonzero(scored.eligible)
    order = np.argsort(-scored.total[rows], kind="stable")
    rows, scores = rows[order], scored.total[rows][order]
    leader = int(rows[int(np.argmax(np.nan_to_num(scored.components["lex"][rows], nan=-1.0)))])
    best = []
    for row, value in zip(rows[:depth].tolist(), scores[:depth].tolist(), strict=True):
        other = store.get(index.keys[row])
        assert other is not None
        own = similarity.score(index, _trial_query(index, other))
        values = np.sort(own.total[own.eligible])[::-1]
        hubness = {k: float(values[:k].mean()) if values.size else 0.0 for k in (5, 10, 20)}
        rank = 0
        if query_row is not None and own.eligible[query_row]:
            rank = int((own.total[own.eligible] > own.total[query_row]).sum()) + 1
        best.append(Candidate(row, value, hubness, rank))
    return Lookup(rows, scores, leader, best)


def reranked(found: Lookup, adjust: Callable[[Candidate], float], keys: list[str]) -> list[str]:
    total = dict(zip(found.rows.tolist(), found.scores.tolist(), strict=True))
    for candidate in found.best:
        total[candidate.row] = adjust(candidate)
    ordered = sorted(total, key=lambda row: -total[row])
    if found.leader in ordered[TOP:]:
        ordered.remove(found.leader)
        ordered.insert(TOP - 1, found.leader)
    return [keys[row] for row in ordered]


def figures(pairs: list[tuple[str, str]], ranks: dict[str, list[str]], top: int = TOP) -> np.ndarray:
    return np.array([ranks[q][:top].index(p) + 1 if p in ranks[q][:top] else 0 for q, p in pairs])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scratch", type=Path, required=True)
    parser.add_argument("--depth", type=int, default=50)
    args = parser.parse_args()
    benchmark = Benchmark.from_json(
        orjson.loads(args.scratch.with_name(args.scratch.name + ".pairs.json").read_bytes())
    )
    pairs = [(p.query, p.partner) for p in benchmark.pairs if p.split == TUNING]
    queries = sorted({q for q, _ in pairs})
    with SqliteStore(args.scratch) as store:
        index = index_for(store)
        baseline = build_baseline(store.iter_trials())
        baseline_rows = {key: row for row, key in enumerate(baseline.keys)}
        bm25: dict[str, list[str]] = {}
        for key in queries:
            trial = store.get(key)
            assert trial is not None
            values = baseline.bm25(trial_text(trial))
            if (row := baseline_rows.get(trial.key)) is not None:
                values[row] = -np.inf
            bm25[key] = [
                baseline.keys[int(i)] for i in np.argsort(-values, kind="stable")[:100] if values[i] > 0
            ]
        started = time.process_time()
        found = {key: lookup(index, store, key, args.depth) for key in queries}
        seconds = time.process_time() - started
    keys = list(index.keys)
    plain = figures(pairs, bm25)
    shipped = figures(pairs, {q: reranked(f, lambda c: c.score, keys) for q, f in found.items()})
    variants: dict[str, Callable[[Candidate], float]] = {"shipped": lambda c: c.score}
    for k in (5, 10, 20):
        for a in (0.1, 0.25, 0.5):
            variants[f"hubness: score - {a} x r_c (k = {k})"] = lambda c, a=a, k=k: c.score - a * c.hubness[k]
    for a in (0.03, 0.05, 0.1, 0.2):
        variants[f"mutual rank: + {a} / log2(1 + rank), within {TOP}"] = lambda c, a=a: (
            c.score + (a / math.log2(1 + c.query_rank) if 0 < c.query_rank <= TOP else 0.0)
        )
    rows = []
    for label, adjust in variants.items():
        ranks = figures(pairs, {q: reranked(f, adjust, keys) for q, f in found.items()})
        at5 = figures(pairs, {q: reranked(f, adjust, keys) for q, f in found.items()}, 5)
        rows.append(
            {
                "variant": label,
                "recall@10": round(float((ranks > 0).mean()), 3),
                "MRR@10": round(float(np.where(ranks > 0, 1.0 / np.maximum(ranks, 1), 0.0).mean()), 3),
                "recall@5": round(float((at5 > 0).mean()), 3),
                "vs_bm25": [int(((ranks > 0) & (plain == 0)).sum()), int(((ranks == 0) & (plain > 0)).sum())],
                "vs_shipped": [
                    int(((ranks > 0) & (shipped == 0)).sum()),
                    int(((ranks == 0) & (shipped > 0)).sum()),
                ],
            }
        )
    report = {
        "pairs": len(pairs),
        "bm25_recall@10": round(float((plain > 0).mean()), 3),
        "cpu_seconds_per_query_with_reverse_lookups": round(seconds / len(queries), 2),
        "variants": rows,
    }
    print(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode())


if __name__ == "__main__":
    main()
