"""The retrieval check: TREC Clinical Trials 2021 patients as queries, our ranking against plain BM25.

Each topic's patient description is the query. Only part of the judged trials are held (the shared
data has texts for about a third of them), so the collection is the judged trials the store holds:
they are indexed on their own (an in-memory index, so BM25's statistics are those of this collection),
and each topic ranks its own judged trials: our search (field weights, abbreviation, synonym and
drug-name expansions, typed words weighted over expansions) against plain BM25 on the same text (all
fields weighted alike, no expansion), both the index engine's BM25 over the same index. NDCG@10 uses
the graded judgments as gains (0 not relevant, 1 excluded, 2 eligible; trec_eval's linear gain); P@10 counts a
trial relevant when judged 1 or 2. Topics without a relevant held trial are left out of the means.
Runs are written in TREC format: ``topic Q0 NCT rank score tag``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

from trialatlas.eval import trec
from trialatlas.eval.metrics import ndcg_at
from trialatlas.eval.metrics import precision_at as graded_precision_at
from trialatlas.eval.trec import SystemResult, Topic, TrecEvaluation
from trialatlas.search.index import SearchIndex
from trialatlas.search.query import COLUMNS, WEIGHTS, compile_query
from trialatlas.search.synonyms import Expander
from trialatlas.store import MemoryStore, TrialStore

TOPIC_PREFIX = "trec-2021"
# Search counts a trial relevant when judged 1 (excluded) or 2 (eligible): it finds, it does not judge.
RELEVANT_GRADE = 1


def load_topics(folder: Path) -> list[Topic]:
    """``queries.jsonl`` of the TrialGPT TREC 2021 folder: ``{"_id": "trec-2021N", "text": ...}``."""
    return [
        Topic(topic.id.removeprefix(TOPIC_PREFIX), topic.text)
        for topic in trec.load_topics(folder / "queries.jsonl")
    ]


def load_qrels(folder: Path) -> dict[str, dict[str, int]]:
    """``qrels/test.tsv``: ``query-id  corpus-id  score`` with a header line."""
    return {
        topic.removeprefix(TOPIC_PREFIX): judged
        for topic, judged in trec.load_qrels(folder / "qrels" / "test.tsv").items()
    }


def precision_at(ranking: Sequence[str], judgments: dict[str, int], k: int = 10) -> float:
    """Search counts every judged-relevant trial (grade 1 or 2), not only the eligible ones."""
    return graded_precision_at(ranking, judgments, k, grade=RELEVANT_GRADE)


Ranker = Callable[[SearchIndex, str, dict[str, int]], dict[str, float]]


def rank_ours(index: SearchIndex, text: str, candidates: dict[str, int]) -> dict[str, float]:
    compiled = compile_query(text, Expander(index), mode="any", syntax=False)
    return _scores(index, compiled.match, candidates, WEIGHTS)


def rank_plain_bm25(index: SearchIndex, text: str, candidates: dict[str, int]) -> dict[str, float]:
    compiled = compile_query(text, None, mode="any", syntax=False)
    return _scores(index, compiled.match, candidates, dict.fromkeys(COLUMNS, 1.0))


def _scores(
    index: SearchIndex, match: str | None, candidates: dict[str, int], weights: dict[str, float]
) -> dict[str, float]:
    if match is None:
        return {}
    scores = index.score(match, None, weights)
    return {key: scores[number] for key, number in candidates.items() if number in scores}


SYSTEMS: dict[str, Ranker] = {"trialatlas": rank_ours, "bm25": rank_plain_bm25}


def run_trec(
    store: TrialStore,
    folder: Path,
    *,
    out_dir: Path | None = None,
    systems: dict[str, Ranker] | None = None,
    index: SearchIndex | None = None,
) -> TrecEvaluation:
    """Score every system on the topics of ``folder``; write ``<system>.run`` files into ``out_dir``."""
    started = time.perf_counter()
    qrels = load_qrels(folder)
    all_judged = sorted({key for judged in qrels.values() for key in judged})
    if index is None:
        index = judged_index(store, all_judged)
    held = index.docs_of(all_judged)

    def ranker_of(rank: Ranker) -> trec.Ranker:
        return lambda topic, keys: rank(index, topic.text, {key: held[key] for key in keys})

    rankers = {name: ranker_of(rank) for name, rank in (systems or SYSTEMS).items()}
    report = trec.score_systems(
        load_topics(folder), qrels, held.keys(), rankers, relevant_grade=RELEVANT_GRADE
    )
    report.seconds = time.perf_counter() - started
    if out_dir is not None:
        write_runs(report, out_dir)
    return report


def judged_index(store: TrialStore, keys: Sequence[str], batch: int = 500) -> SearchIndex:
    """An in-memory index of the trials among ``keys`` that the store holds."""
    collection = MemoryStore()
    for start in range(0, len(keys), batch):
        found = [t for t in store.get_many(keys[start : start + batch]) if t.key in keys]
        collection.upsert_batch(found)
    index = SearchIndex(":memory:")
    index.rebuild(collection)
    return index


def write_runs(report: TrecEvaluation, out_dir: Path) -> list[Path]:
    """Each system's run to ``out_dir/<system>.run``."""
    return trec.write_runs(report, lambda name: out_dir / f"{name}.run")


__all__ = [
    "SYSTEMS",
    "Ranker",
    "SystemResult",
    "Topic",
    "TrecEvaluation",
    "judged_index",
    "load_qrels",
    "load_topics",
    "ndcg_at",
    "precision_at",
    "rank_ours",
    "rank_plain_bm25",
    "run_trec",
    "write_runs",
]
