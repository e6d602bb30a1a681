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

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from trialatlas.eval import trec
from trialatlas.eval.metrics import PairedDifference, ndcg_at, paired_bootstrap
from trialatlas.eval.metrics import precision_at as graded_precision_at
from trialatlas.search.index import SearchIndex
from trialatlas.search.query import COLUMNS, WEIGHTS, compile_query
from trialatlas.search.synonyms import Expander
from trialatlas.store import MemoryStore, TrialStore

TOPIC_PREFIX = "trec-2021"


@dataclass(frozen=True)
class Topic:
    number: str
    text: str


@dataclass
class SystemScore:
    name: str
    ndcg_at_10: float
    p_at_10: float
    run: list[tuple[str, str, int, float]] = field(default_factory=list, repr=False)
    # NDCG@10 of each scored topic, for the paired comparison of systems.
    per_topic: dict[str, float] = field(default_factory=dict, repr=False)


@dataclass
class TrecReport:
    topics: int
    topics_scored: int
    judged: int
    judged_held: int
    systems: dict[str, SystemScore]
    seconds: float = 0.0

    def difference(self, system: str = "trialatlas", baseline: str = "bm25") -> PairedDifference | None:
        """NDCG@10 of ``system`` minus ``baseline`` over the scored topics, with a bootstrap 95% CI."""
        ours, theirs = self.systems.get(system), self.systems.get(baseline)
        if ours is None or theirs is None:
            return None
        topics = sorted(ours.per_topic.keys() & theirs.per_topic.keys())
        return paired_bootstrap([ours.per_topic[t] for t in topics], [theirs.per_topic[t] for t in topics])

    def as_dict(self) -> dict[str, object]:
        difference = self.difference()
        return {
            "topics": self.topics,
            "topics_scored": self.topics_scored,
            "judged_trials": self.judged,
            "judged_trials_held": self.judged_held,
            "seconds": round(self.seconds, 2),
            **{
                name: {"ndcg@10": round(score.ndcg_at_10, 4), "p@10": round(score.p_at_10, 4)}
                for name, score in self.systems.items()
            },
            **({"ndcg@10 trialatlas - bm25": difference.as_dict()} if difference is not None else {}),
        }


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
    return graded_precision_at(ranking, judgments, k, grade=1)


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
) -> TrecReport:
    """Score every system on the topics of ``folder``; write ``<system>.run`` files into ``out_dir``."""
    import time

    started = time.perf_counter()
    systems = systems or SYSTEMS
    topics = load_topics(folder)
    qrels = load_qrels(folder)
    all_judged = sorted({key for judged in qrels.values() for key in judged})
    if index is None:
        index = judged_index(store, all_judged)
    held = index.docs_of(all_judged)
    sums = {name: [0.0, 0.0] for name in systems}
    per_topic: dict[str, dict[str, float]] = {name: {} for name in systems}
    runs: dict[str, list[tuple[str, str, int, float]]] = {name: [] for name in systems}
    scored = 0
    for topic in topics:
        judgments = {key: rel for key, rel in qrels.get(topic.number, {}).items() if key in held}
        if not judgments:
            continue
        candidates = {key: held[key] for key in judgments}
        relevant = any(rel > 0 for rel in judgments.values())
        scored += relevant
        for name, ranker in systems.items():
            scores = ranker(index, topic.text, candidates)
            # Unmatched candidates rank last, in key order, so that runs are reproducible.
            ranking = sorted(candidates, key=lambda key: (-scores.get(key, 0.0), key))
            runs[name].extend(
                (topic.number, key, rank, scores.get(key, 0.0)) for rank, key in enumerate(ranking, 1)
            )
            if relevant:
                per_topic[name][topic.number] = ndcg_at(ranking, judgments)
                sums[name][0] += per_topic[name][topic.number]
                sums[name][1] += precision_at(ranking, judgments)
    report = TrecReport(
        topics=len(topics),
        topics_scored=scored,
        judged=len(all_judged),
        judged_held=len(held),
        systems={
            name: SystemScore(
                name,
                total[0] / scored if scored else 0.0,
                total[1] / scored if scored else 0.0,
                runs[name],
                per_topic[name],
            )
            for name, total in sums.items()
        },
        seconds=time.perf_counter() - started,
    )
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


def write_runs(report: TrecReport, out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, score in report.systems.items():
        path = out_dir / f"{name}.run"
        lines = trec.run_lines(score.run, name)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths.append(path)
    return paths
