"""Rank trials for one patient: a cheap prefilter, the rules on the survivors, then a combined ranking.

1. Prefilter (no criteria parsing): recruitment status, the structured age and sex limits, and topical
   relevance — the patient's condition concepts and note words against each trial's conditions,
   keywords, MeSH terms and title. A search index, when the store has one, can replace the relevance
   scorer (:class:`RelevanceScorer`); the default is a small in-memory BM25 over those fields.
2. Rules: the criteria of the most relevant survivors are parsed and evaluated for the patient.
3. Ranking: relevance plus a verdict score (eligible > possibly eligible > ineligible, fewer unknowns
   first), so a topically perfect trial the patient cannot join falls below one they might.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from trialatlas.extract.criteria.vocab import broader_concepts, condition_matcher
from trialatlas.match.patient import PatientProfile
from trialatlas.match.verdict import TrialVerdict, evaluate_trial
from trialatlas.model import OPEN_STATUSES, OverallStatus, Sex, Trial

_WORD = re.compile(r"[a-z][a-z0-9\-]{2,}")
_STOP = frozenset(
    [
        "the",
        "and",
        "with",
        "for",
        "from",
        "that",
        "this",
        "was",
        "were",
        "has",
        "have",
        "had",
        "who",
        "which",
        "patient",
        "patients",
        "study",
        "trial",
        "years",
        "old",
        "year",
        "presents",
        "presented",
        "history",
        "his",
        "her",
        "she",
        "him",
        "day",
        "days",
        "week",
        "weeks",
        "month",
        "months",
    ]
)


def _words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower()) if w not in _STOP]


def _trial_text(trial: Trial) -> str:
    parts = [*trial.conditions, *trial.keywords, *(m.term for m in trial.condition_mesh), trial.title]
    if trial.official_title:
        parts.append(trial.official_title)
    return " ".join(parts)


@dataclass
class Candidate:
    trial: Trial
    relevance: float
    verdict: TrialVerdict | None = None
    score: float = 0.0
    reasons: list[str] = field(default_factory=list)


class RelevanceScorer(Protocol):
    def score(self, patient: PatientProfile, trials: Sequence[Trial]) -> list[float]: ...


class Bm25Scorer:
    """BM25 of the patient's note words (and condition concepts) over the trials' topical fields."""

    def __init__(self, k1: float = 1.2, b: float = 0.75) -> None:
        self.k1 = k1
        self.b = b

    def score(self, patient: PatientProfile, trials: Sequence[Trial]) -> list[float]:
        documents = [_words(_trial_text(t)) + _concepts_of(_trial_text(t)) for t in trials]
        query = _query_terms(patient)
        if not documents or not query:
            return [0.0] * len(trials)
        frequency: Counter[str] = Counter()
        for document in documents:
            frequency.update(set(document))
        average = sum(len(d) for d in documents) / len(documents) or 1.0
        scores: list[float] = []
        for document in documents:
            counts = Counter(document)
            total = 0.0
            for term, weight in query.items():
                tf = counts.get(term, 0)
                if not tf:
                    continue
                idf = math.log(1 + (len(documents) - frequency[term] + 0.5) / (frequency[term] + 0.5))
                norm = tf * (self.k1 + 1) / (tf + self.k1 * (1 - self.b + self.b * len(document) / average))
                total += weight * idf * norm
            scores.append(total)
        return scores


def _concepts_of(text: str) -> list[str]:
    return [f"concept:{c}" for m in condition_matcher().find(text) for c in broader_concepts(m.concept)]


def _query_terms(patient: PatientProfile) -> Counter[str]:
    terms: Counter[str] = Counter()  # weights may be fractional
    # Note words weigh little: notes mention many findings that are not what a trial is about.
    for sentence in patient.sentences or ([patient.notes] if patient.notes else []):
        for word in _words(sentence):
            terms[word] += 0.2  # type: ignore[assignment]
    for condition in patient.conditions:
        if condition.present and not condition.family and condition.concept:
            # Concepts weigh more than words: they carry synonyms and abbreviations.
            for concept in broader_concepts(condition.concept):
                terms[f"concept:{concept}"] += 3 if concept == condition.concept else 1
            terms.update(_words(condition.name))
    return terms


class TrialIndex:
    """An inverted index of the trials' topical fields, built once, queried per patient (sparse BM25)."""

    def __init__(self, trials: Iterable[Trial], k1: float = 1.2, b: float = 0.75) -> None:
        self.trials: list[Trial] = list(trials)
        self.k1, self.b = k1, b
        self.postings: dict[str, list[tuple[int, int]]] = {}
        self.lengths: list[int] = []
        for position, trial in enumerate(self.trials):
            text = _trial_text(trial)
            counts = Counter(_words(text) + _concepts_of(text))
            self.lengths.append(sum(counts.values()))
            for term, tf in counts.items():
                self.postings.setdefault(term, []).append((position, tf))
        self.average = (sum(self.lengths) / len(self.lengths)) if self.lengths else 1.0

    def __len__(self) -> int:
        return len(self.trials)

    def scores(self, patient: PatientProfile) -> dict[int, float]:
        total = len(self.trials)
        result: dict[int, float] = {}
        for term, weight in _query_terms(patient).items():
            postings = self.postings.get(term)
            if not postings:
                continue
            idf = math.log(1 + (total - len(postings) + 0.5) / (len(postings) + 0.5))
            for position, tf in postings:
                length = self.lengths[position]
                norm = tf * (self.k1 + 1) / (tf + self.k1 * (1 - self.b + self.b * length / self.average))
                result[position] = result.get(position, 0.0) + weight * idf * norm
        return result


def passes_prefilter(trial: Trial, patient: PatientProfile, open_only: bool) -> bool:
    """Status, structured age and sex limits: what can be checked without reading the criteria."""
    status = trial.status.overall_status
    if open_only and status not in OPEN_STATUSES:
        return False
    eligibility = trial.eligibility
    if patient.age_years is not None:
        if eligibility.minimum_age and patient.age_years < eligibility.minimum_age.years:
            return False
        if eligibility.maximum_age and patient.age_years >= eligibility.maximum_age.years + 1:
            return False
    if patient.sex is not None and eligibility.sex in (Sex.FEMALE, Sex.MALE):
        return eligibility.sex.value.lower() == patient.sex
    return True


# Relevance decides the order among trials the patient may join; the verdict scales it.
_VERDICT_FACTOR = {"eligible": 1.3, "possibly eligible": 1.0, "ineligible": 0.3}


def match_trials(
    patient: PatientProfile,
    trials: Iterable[Trial] | TrialIndex,
    top: int = 20,
    status: str | None = None,
    scorer: RelevanceScorer | None = None,
    evaluate_top: int = 60,
) -> list[Candidate]:
    """The ``top`` trials for ``patient``, best first, each with its verdict and reasons.

    ``status="open"`` keeps recruiting / not-yet-recruiting / by-invitation trials; any other value keeps
    trials with that overall status. Criteria are parsed only for the ``evaluate_top`` most relevant.
    """
    open_only = status is not None and status.lower() == "open"
    wanted_status = None if status is None or open_only else _status(status)

    def keep(trial: Trial) -> bool:
        return passes_prefilter(trial, patient, open_only) and (
            wanted_status is None or trial.status.overall_status == wanted_status
        )

    ranked: list[tuple[Trial, float]]
    if isinstance(trials, TrialIndex) and scorer is None:
        # Only trials that share a term with the patient are scored, then filtered.
        sparse = trials.scores(patient)
        ordered = sorted(sparse.items(), key=lambda item: -item[1])
        ranked = [(trials.trials[i], score) for i, score in ordered if keep(trials.trials[i])]
        relevance = [score for _, score in ranked]
    else:
        pool = trials.trials if isinstance(trials, TrialIndex) else trials
        survivors = [t for t in pool if keep(t)]
        relevance = (scorer or Bm25Scorer()).score(patient, survivors)
        ranked = sorted(zip(survivors, relevance, strict=True), key=lambda pair: -pair[1])
    best = max(relevance, default=0.0) or 1.0
    candidates = [
        Candidate(trial, score / best) for trial, score in ranked[: max(evaluate_top, top)] if score > 0
    ]
    for candidate in candidates:
        verdict = evaluate_trial(candidate.trial, patient)
        candidate.verdict = verdict
        penalty = min(verdict.unknown, 20) * 0.005
        candidate.score = candidate.relevance * (_VERDICT_FACTOR[verdict.status] - penalty)
        candidate.reasons = [
            *(f"fails: {_short(text)}" for text in verdict.failed[:3]),
            *(f"check: {_short(text)}" for text in verdict.check_next[:3]),
        ]
    candidates.sort(key=lambda c: -c.score)
    return candidates[:top]


def _short(text: str, width: int = 90) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _status(text: str) -> OverallStatus | None:
    key = text.strip().upper().replace(" ", "_").replace("-", "_")
    try:
        return OverallStatus(key)
    except ValueError:
        return None


__all__ = ["Bm25Scorer", "Candidate", "RelevanceScorer", "match_trials", "passes_prefilter"]
