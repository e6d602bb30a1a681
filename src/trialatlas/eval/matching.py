"""Patient-to-trial matching scored the TREC Clinical Trials way: topics, graded judgments, a run file.

Input is the TrialGPT layout of the SIGIR 2016 and TREC CT 2021 collections: ``queries.jsonl`` (one
``{"_id", "text"}`` patient per line) and a judgments file (``query-id corpus-id score``, tab or space
separated, with or without a header; 0 not relevant, 1 excluded, 2 eligible). For each topic the
judged trials that the store holds are ranked, so that every system sees the same candidates:

* ``bm25`` — plain BM25 of the patient text over the trial text (title, conditions, keywords, MeSH
  terms, summary, description, interventions and eligibility criteria, all alike);
* ``trialatlas`` — the matcher: the same BM25 with the fields that say what a trial is about weighted
  up, the patient's own conditions (vocabulary concepts, synonyms included) added to the query and the
  history, negated findings and relatives' diseases taken out of it, then the eligibility verdict for
  the patient profile read from the text: a trial the patient fails is demoted, one the patient meets
  promoted, one whose criteria are mostly undecided left as it is. This is the ranking of
  ``trialatlas match`` (both come from :mod:`trialatlas.match.relevance`); here the BM25 statistics are
  those of the held judged trials, there those of the store.

NDCG@10 uses the grades as gains (2, 1, 0) with the log2 discount; P@10 counts eligible (grade 2)
trials. Both are averaged over the topics with at least one held trial of grade 1 or 2. Runs are
written in TREC format: ``topic Q0 NCT rank score tag``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from trialatlas.eval.metrics import ndcg_at, precision_at
from trialatlas.eval.trec import (
    Judgments,
    RunRow,
    Topic,
    load_qrels,
    load_topics,
    run_lines,
)
from trialatlas.match.patient import profile_from_note
from trialatlas.match.relevance import (
    Bm25,
    TrialFields,
    about_terms,
    band_scores,
    checkable,
    eligibility_factor,
    patient_query,
    plain_query,
    plain_terms,
    topical_relevance,
    weighted_terms,
    words,
)
from trialatlas.match.verdict import evaluate_trial
from trialatlas.model import Trial
from trialatlas.store import TrialStore

# --- the systems ---------------------------------------------------------------------------------------


@dataclass
class Collection:
    """The held judged trials of every topic, their texts, and the BM25 indexes over them."""

    trials: dict[str, Trial]
    fields: dict[str, TrialFields]
    plain: Bm25
    weighted: Bm25
    about: Bm25
    # Words some trial is about (its title, conditions, keywords, MeSH terms): the medical words.
    about_words: frozenset[str]


def build_collection(trials: Iterable[Trial]) -> Collection:
    held = {t.key: t for t in trials}
    fields = {key: TrialFields.of(trial) for key, trial in held.items()}
    plain = Bm25({key: plain_terms(f) for key, f in fields.items()})
    weighted = Bm25({key: weighted_terms(f) for key, f in fields.items()})
    about = Bm25({key: about_terms(f) for key, f in fields.items()})
    about_words = frozenset(word for f in fields.values() for word in words(f.about))
    return Collection(held, fields, plain, weighted, about, about_words)


Ranker = Callable[[Collection, Topic, Sequence[str]], dict[str, float]]


def rank_bm25(collection: Collection, topic: Topic, candidates: Sequence[str]) -> dict[str, float]:
    return collection.plain.score(plain_query(topic.text), candidates)


def rank_matcher(collection: Collection, topic: Topic, candidates: Sequence[str]) -> dict[str, float]:
    """Topical relevance (:func:`~trialatlas.match.relevance.topical_relevance`, with the statistics of
    the held trials) times the eligibility factor of the patient's verdict, ordered in the bands of
    :func:`~trialatlas.match.relevance.band_order` (scores step by ``BAND_STEP`` between bands):
    what ``match`` ranks by."""
    profile = profile_from_note(topic.text, topic.id)
    query = patient_query(profile, collection.about_words)
    relevance = topical_relevance(query, candidates, collection.weighted, collection.about)
    items = []
    for key in candidates:
        trial = collection.trials[key]
        verdict = evaluate_trial(trial, profile) if checkable(trial) else None
        items.append((key, relevance[key], relevance[key] * eligibility_factor(verdict), verdict))
    # The run's scores sort as ``match`` orders its bands.
    return band_scores(items)


SYSTEMS: dict[str, Ranker] = {"trialatlas": rank_matcher, "bm25": rank_bm25}


# --- the evaluation ------------------------------------------------------------------------------------


@dataclass
class SystemResult:
    name: str
    ndcg_at_10: float = 0.0
    p_at_10: float = 0.0
    per_topic: dict[str, tuple[float, float]] = field(default_factory=dict)
    run: list[RunRow] = field(default_factory=list, repr=False)


@dataclass
class TrecEvaluation:
    topics: int
    topics_scored: int
    judged_trials: int
    held_trials: int
    held_with_criteria: int
    systems: dict[str, SystemResult]
    seconds: float = 0.0

    def as_dict(self) -> dict[str, object]:
        return {
            "topics": self.topics,
            "topics_scored": self.topics_scored,
            "judged_trials": self.judged_trials,
            "held_trials": self.held_trials,
            "held_trials_with_criteria": self.held_with_criteria,
            "seconds": round(self.seconds, 2),
            "systems": {
                name: {"ndcg@10": round(result.ndcg_at_10, 4), "p@10": round(result.p_at_10, 4)}
                for name, result in self.systems.items()
            },
        }


def evaluate(
    topics: Sequence[Topic],
    judgments: Judgments,
    trials: Iterable[Trial],
    systems: Mapping[str, Ranker] | None = None,
) -> TrecEvaluation:
    """Rank each topic's held judged trials with every system and score the rankings."""
    started = time.perf_counter()
    systems = systems or SYSTEMS
    collection = build_collection(trials)
    results = {name: SystemResult(name) for name in systems}
    scored = 0
    for topic in topics:
        judged = {
            key: grade for key, grade in judgments.get(topic.id, {}).items() if key in collection.trials
        }
        if not judged:
            continue
        candidates = sorted(judged)
        counts = any(grade > 0 for grade in judged.values())
        scored += counts
        for name, ranker in systems.items():
            scores = ranker(collection, topic, candidates)
            # Ties (and trials with nothing in common) keep key order, so runs are reproducible.
            ranking = sorted(candidates, key=lambda key: (-scores.get(key, 0.0), key))
            result = results[name]
            result.run.extend(
                (topic.id, key, rank, scores.get(key, 0.0)) for rank, key in enumerate(ranking, start=1)
            )
            if counts:
                pair = (ndcg_at(ranking, judged), precision_at(ranking, judged))
                result.per_topic[topic.id] = pair
    for result in results.values():
        if result.per_topic:
            result.ndcg_at_10 = sum(n for n, _ in result.per_topic.values()) / len(result.per_topic)
            result.p_at_10 = sum(p for _, p in result.per_topic.values()) / len(result.per_topic)
    all_judged = {key for judged in judgments.values() for key in judged}
    return TrecEvaluation(
        topics=len(topics),
        topics_scored=scored,
        judged_trials=len(all_judged),
        held_trials=len(collection.trials),
        held_with_criteria=sum(1 for t in collection.trials.values() if t.eligibility.criteria_text),
        systems=results,
        seconds=time.perf_counter() - started,
    )


def held_trials(store: TrialStore, keys: Iterable[str], batch: int = 500) -> list[Trial]:
    """The trials among ``keys`` that the store holds (looked up by NCT id)."""
    wanted = sorted(set(keys))
    found: list[Trial] = []
    for start in range(0, len(wanted), batch):
        chunk = wanted[start : start + batch]
        found.extend(t for t in store.get_many(chunk) if t.key in chunk)
    return found


def evaluate_trec(
    store: TrialStore,
    topics_path: str | Path,
    qrels_path: str | Path,
    run_path: str | Path | None = None,
    systems: Mapping[str, Ranker] | None = None,
) -> TrecEvaluation:
    """Score the systems on a topics file and its judgments; write the runs when ``run_path`` is given:
    the matcher's to ``run_path``, every other system's beside it (``OUT.bm25.run``)."""
    topics = load_topics(topics_path)
    judgments = load_qrels(qrels_path)
    trials = held_trials(store, (key for judged in judgments.values() for key in judged))
    report = evaluate(topics, judgments, trials, systems)
    if run_path is not None:
        write_runs(report, Path(run_path))
    return report


def write_runs(report: TrecEvaluation, path: Path, main: str = "trialatlas") -> list[Path]:
    """The ``main`` system's run to ``path``, the others' to ``path`` with ``.<name>`` before the suffix."""
    written: list[Path] = []
    path.parent.mkdir(parents=True, exist_ok=True)
    for name, result in report.systems.items():
        target = path if name == main else path.with_name(f"{path.stem}.{name}{path.suffix or '.run'}")
        target.write_text("\n".join(run_lines(result.run, name)) + "\n", encoding="utf-8")
        written.append(target)
    return written


__all__ = [
    "SYSTEMS",
    "Bm25",
    "Collection",
    "Ranker",
    "SystemResult",
    "Topic",
    "TrecEvaluation",
    "TrialFields",
    "build_collection",
    "eligibility_factor",
    "evaluate",
    "evaluate_trec",
    "held_trials",
    "load_qrels",
    "load_topics",
    "ndcg_at",
    "patient_query",
    "plain_query",
    "precision_at",
    "rank_bm25",
    "rank_matcher",
    "run_lines",
    "write_runs",
]
