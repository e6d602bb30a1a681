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
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from trialatlas.eval.metrics import ndcg_at, precision_at
from trialatlas.eval.trec import (
    Judgments,
    SystemResult,
    Topic,
    TrecEvaluation,
    load_qrels,
    load_topics,
    run_lines,
    score_systems,
)
from trialatlas.eval.trec import write_runs as trec_write_runs
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


def evaluate(
    topics: Sequence[Topic],
    judgments: Judgments,
    trials: Iterable[Trial],
    systems: Mapping[str, Ranker] | None = None,
) -> TrecEvaluation:
    """Rank each topic's held judged trials with every system and score the rankings (P@10 counts the
    eligible trials, grade 2)."""
    started = time.perf_counter()
    collection = build_collection(trials)
    rankers = {name: partial(ranker, collection) for name, ranker in (systems or SYSTEMS).items()}
    report = score_systems(topics, judgments, collection.trials.keys(), rankers, relevant_grade=2)
    report.held_with_criteria = sum(1 for t in collection.trials.values() if t.eligibility.criteria_text)
    report.seconds = time.perf_counter() - started
    return report


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
    return trec_write_runs(
        report,
        lambda name: path if name == main else path.with_name(f"{path.stem}.{name}{path.suffix or '.run'}"),
    )


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
