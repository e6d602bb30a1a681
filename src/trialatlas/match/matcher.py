"""Rank trials for one patient: a cheap prefilter, the rules on the survivors, then a combined ranking.

1. Candidates: for a store (:class:`StoreMatcher`), the store's search index is asked for the few
   hundred trials whose text best matches the patient's words and condition names, with the status,
   age and sex filters applied in SQL, and only those trials are loaded; for trials given in memory
   (:func:`match_trials`, :class:`TrialIndex`) every trial sharing a term with the patient.
2. Prefilter (no criteria parsing): recruitment status, the structured age and sex limits.
3. Relevance: :func:`~trialatlas.match.relevance.topical_relevance`, the ranking ``eval trec`` scores,
   with BM25 statistics of the whole collection (for a store, of a fixed-size sample of it).
4. Rules: the criteria of the most relevant survivors are parsed (and kept, see :class:`MatchCache`) and
   evaluated for the patient; the verdict scales relevance
   (:func:`~trialatlas.match.relevance.eligibility_factor`), so a topically perfect trial the patient
   fails falls below an equally relevant one they may join.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from trialatlas.errors import InputError
from trialatlas.extract.criteria import ParsedCriterion, parse_eligibility
from trialatlas.match.patient import PatientProfile
from trialatlas.match.relevance import (
    ABOUT_SHARE,
    CONCEPT_PREFIX,
    Bm25,
    RelevanceStats,
    TrialFields,
    TrialGate,
    TrialTerms,
    band_name,
    band_order,
    checkable,
    eligibility_factor,
    on_topic,
    patient_query,
    scaled,
    topical_relevance,
)
from trialatlas.match.stats_file import (
    STATS_SAMPLE,
    load_stats,
    save_stats,
    stale,
    stats_current,
    stats_kept,
    stats_path,
)
from trialatlas.match.stored_rules import CriteriaRules
from trialatlas.match.verdict import TrialVerdict, evaluate_trial
from trialatlas.model import OPEN_STATUSES, OverallStatus, Sex, Trial

if TYPE_CHECKING:
    from trialatlas.search import SearchIndex
    from trialatlas.store import TrialStore


@dataclass
class Candidate:
    """One ranked trial: its relevance (0-1), its verdict for the patient, the final score and the
    reasons (failed criteria first, then the undecided ones to check next)."""

    trial: Trial
    relevance: float
    verdict: TrialVerdict | None = None
    score: float = 0.0
    reasons: list[str] = field(default_factory=list)
    # About the patient's problem (relevance at least half the best of its ranking): such trials come
    # first, in their verdict bands, then the others in theirs.
    on_topic: bool = True

    @property
    def failed(self) -> list[str]:
        return list(self.verdict.failed) if self.verdict else []

    @property
    def check_next(self) -> list[str]:
        return list(self.verdict.check_next) if self.verdict else []

    def as_dict(self) -> dict[str, Any]:
        verdict = self.verdict
        return {
            "trial": self.trial.key,
            "title": self.trial.title,
            "status": str(self.trial.status.overall_status) if self.trial.status.overall_status else None,
            "score": round(self.score, 4),
            "relevance": round(self.relevance, 4),
            "verdict": verdict.status if verdict else None,
            "on_topic": self.on_topic,
            "band": band_name(verdict if checkable(self.trial) else None),
            "met": verdict.met if verdict else 0,
            "unknown": verdict.unknown if verdict else 0,
            "failed": self.failed,
            "check_next": self.check_next,
            "reasons": list(self.reasons),
            "criteria": [c.model_dump() for c in verdict.criteria] if verdict else [],
        }


# --- caches ------------------------------------------------------------------------------------------


class MatchCache:
    """Per trial, its term counts and its parsed criteria, for a process that matches many patients.

    The criteria parser keeps an LRU of single criteria (``extract/criteria/registry.py``, 20,000
    texts: a few hundred trials' worth), but a trial is still split and every criterion looked up on
    each match; a long-running matcher keeps the parsed list per trial instead. Entries are checked
    against the trial's text, so an updated trial is parsed again."""

    def __init__(self, size: int = 5000) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._terms: OrderedDict[str, tuple[int, TrialTerms]] = OrderedDict()
        self._criteria: OrderedDict[str, tuple[int, list[ParsedCriterion]]] = OrderedDict()

    def terms(self, trial: Trial) -> TrialTerms:
        fields = TrialFields.of(trial)
        stamp = hash(fields.text)
        with self._lock:
            found = self._terms.get(trial.key)
            if found is not None and found[0] == stamp:
                self._terms.move_to_end(trial.key)
                return found[1]
        terms = TrialTerms.of(fields)
        with self._lock:
            self._put(self._terms, trial.key, (stamp, terms))
        return terms

    def criteria(self, trial: Trial) -> list[ParsedCriterion]:
        eligibility = trial.eligibility
        stamp = _criteria_stamp(trial)
        with self._lock:
            found = self._criteria.get(trial.key)
            if found is not None and found[0] == stamp:
                self._criteria.move_to_end(trial.key)
                return found[1]
        parsed = parse_eligibility(eligibility.criteria_text, eligibility.inclusion, eligibility.exclusion)
        with self._lock:
            self._put(self._criteria, trial.key, (stamp, parsed))
        return parsed

    def has_criteria(self, trial: Trial) -> bool:
        with self._lock:
            found = self._criteria.get(trial.key)
        return found is not None and found[0] == _criteria_stamp(trial)

    def keep_criteria(self, parsed: Mapping[str, list[ParsedCriterion]], trials: Iterable[Trial]) -> None:
        """Keep rules parsed elsewhere (the store's, see :mod:`~trialatlas.match.stored_rules`) for
        those of ``trials`` they are given for, as :meth:`criteria` would have parsed them."""
        for trial in trials:
            found = parsed.get(trial.key)
            if found is None:
                continue
            with self._lock:
                self._put(self._criteria, trial.key, (_criteria_stamp(trial), found))

    def _put(self, table: OrderedDict[str, Any], key: str, value: Any) -> None:
        table[key] = value
        table.move_to_end(key)
        while len(table) > self.size:
            table.popitem(last=False)

    def sizes(self) -> tuple[int, int]:
        """How many trials' term counts and parsed criteria are kept."""
        return len(self._terms), len(self._criteria)


def _criteria_stamp(trial: Trial) -> int:
    eligibility = trial.eligibility
    return hash((eligibility.criteria_text, tuple(eligibility.inclusion), tuple(eligibility.exclusion)))


# --- the prefilter and the ranking -------------------------------------------------------------------


def passes_prefilter(trial: Trial | TrialGate, patient: PatientProfile, open_only: bool) -> bool:
    """Status, structured age and sex limits: what can be checked without reading the criteria
    (of the trial, or of what the store kept of it: its :class:`~trialatlas.match.relevance.TrialGate`)."""
    gate = trial if isinstance(trial, TrialGate) else TrialGate.of(trial)
    if open_only and gate.status not in OPEN_STATUSES:
        return False
    if patient.age_years is not None:
        if gate.minimum_age is not None and patient.age_years < gate.minimum_age:
            return False
        if gate.maximum_age is not None and patient.age_years >= gate.maximum_age + 1:
            return False
    if patient.sex is not None and gate.sex in (Sex.FEMALE, Sex.MALE):
        return gate.sex.lower() == patient.sex
    return True


def _status(text: str) -> OverallStatus | None:
    key = text.strip().upper().replace(" ", "_").replace("-", "_")
    try:
        return OverallStatus(key)
    except ValueError:
        return None


DEFAULT_STATUS = "open"


def resolve_status(status: str | None) -> str | None:
    """The status filter a request means: none given is the default, open trials (recruiting and not
    yet recruiting, by invitation too); "any" widens to every status (None)."""
    if status is None or not status.strip():
        return DEFAULT_STATUS
    return None if status.strip().lower() in ("any", "all") else status


def status_filter(status: str | None, patient: PatientProfile) -> Callable[[Trial | TrialGate], bool]:
    """The prefilter for ``status`` ('open', one overall status, or None for any); a status that is
    neither raises :class:`InputError` (a ValueError)."""
    open_only = status is not None and status.strip().lower() == "open"
    wanted: OverallStatus | None = None
    if status is not None and not open_only:
        wanted = _status(status)
        if wanted is None:
            raise InputError(f"status {status[:40]!r}: use 'open' or one overall status, e.g. RECRUITING")

    def keep(trial: Trial | TrialGate) -> bool:
        gate = trial if isinstance(trial, TrialGate) else TrialGate.of(trial)
        return passes_prefilter(gate, patient, open_only) and (wanted is None or gate.status == wanted)

    return keep


def _relevance(
    query: dict[str, float], terms: dict[str, TrialTerms], stats: RelevanceStats
) -> dict[str, float]:
    if not query or not terms:
        return {}
    weighted = Bm25({key: t.weighted for key, t in terms.items()}, stats=stats.weighted)
    about = Bm25({key: t.about for key, t in terms.items()}, stats=stats.about)
    # Between 0 and 1: the best trial of the whole text and the best of what it is about score 1 each.
    return {
        key: value / (1 + ABOUT_SHARE)
        for key, value in topical_relevance(query, terms, weighted, about).items()
    }


def rank(
    patient: PatientProfile,
    trials: Sequence[Trial],
    stats: RelevanceStats,
    *,
    top: int = 20,
    evaluate_top: int = 100,
    cache: MatchCache | None = None,
    terms: dict[str, TrialTerms] | None = None,
    retrieval: Mapping[str, float] | None = None,
) -> list[Candidate]:
    """Rank ``trials`` (already prefiltered) for ``patient``: relevance with the collection statistics
    ``stats``, then the rules on the ``evaluate_top`` most relevant, then relevance × verdict factor.

    ``retrieval`` holds the search index's scores of the trials when they came from it: that BM25
    knows the whole store's word statistics and field weights, and averaged with the patient-query
    relevance it ranks a store's trials better than either alone (TREC 2021 on the 106k-trial store,
    NDCG@10 against the judgments: 0.31 without it, 0.38 with it; plain search 0.34)."""
    by_key = {trial.key: trial for trial in trials}
    if terms is None:
        terms = {key: cache.terms(t) if cache is not None else TrialTerms.of(t) for key, t in by_key.items()}
    ordered = most_relevant(patient, terms, stats, limit=max(evaluate_top, top), retrieval=retrieval)
    return judged(patient, [(by_key[key], relevance) for key, relevance in ordered], top=top, cache=cache)


def most_relevant(
    patient: PatientProfile,
    terms: Mapping[str, TrialTerms],
    stats: RelevanceStats,
    *,
    limit: int,
    retrieval: Mapping[str, float] | None = None,
) -> list[tuple[str, float]]:
    """The ``limit`` most relevant of the trials whose term counts ``terms`` holds (key and relevance,
    best first; none of no relevance): what :func:`rank` reads before it loads a trial's rules."""
    relevance = _relevance(patient_query(patient, stats.about_words), dict(terms), stats)
    if retrieval:
        searched = scaled({key: retrieval.get(key, 0.0) for key in terms})
        relevance = {key: (relevance.get(key, 0.0) + searched.get(key, 0.0)) / 2 for key in terms}
    ordered = sorted((key for key, value in relevance.items() if value > 0), key=lambda k: (-relevance[k], k))
    return [(key, relevance[key]) for key in ordered[:limit]]


def judged(
    patient: PatientProfile,
    ranked: Sequence[tuple[Trial, float]],
    *,
    top: int = 20,
    cache: MatchCache | None = None,
) -> list[Candidate]:
    """The rules of each of ``ranked`` (a trial and its relevance) evaluated for the patient, the
    verdict moving the score; the ``top`` of them in bands (:func:`band_order`)."""
    candidates = [Candidate(trial, relevance) for trial, relevance in ranked]
    for candidate in candidates:
        trial = candidate.trial
        verdict = evaluate_trial(trial, patient, cache.criteria(trial) if cache is not None else None)
        candidate.verdict = verdict
        candidate.score = candidate.relevance * eligibility_factor(verdict if checkable(trial) else None)
        candidate.reasons = [
            *(f"fails: {text}" for text in verdict.failed[:3]),
            *(f"check: {text}" for text in verdict.check_next[:3]),
        ]
    return _in_bands(candidates)[:top]


def _in_bands(candidates: list[Candidate]) -> list[Candidate]:
    by_key = {c.trial.key: c for c in candidates}
    best = max((c.relevance for c in candidates), default=0.0) or 1.0
    for candidate in candidates:
        candidate.on_topic = on_topic(candidate.relevance, best)
    order = band_order(
        (c.trial.key, c.relevance, c.score, c.verdict if checkable(c.trial) else None) for c in candidates
    )
    return [by_key[key] for key in order]


class TrialIndex:
    """Trials held in memory with their term counts, collection statistics and an inverted index of
    their terms, built once and queried per patient (only trials sharing a term are ranked)."""

    def __init__(self, trials: Iterable[Trial]) -> None:
        self.trials: dict[str, Trial] = {trial.key: trial for trial in trials}
        self.terms = {key: TrialTerms.of(trial) for key, trial in self.trials.items()}
        self.stats = RelevanceStats.of(self.terms.values())
        self.postings: dict[str, list[str]] = {}
        for key, terms in self.terms.items():
            for term in terms.weighted:
                self.postings.setdefault(term, []).append(key)

    def __len__(self) -> int:
        return len(self.trials)

    def sharing(self, patient: PatientProfile) -> list[str]:
        """Keys of the trials that share a query term with the patient."""
        found: set[str] = set()
        for term in patient_query(patient, self.stats.about_words):
            found.update(self.postings.get(term, ()))
        return sorted(found)


def match_trials(
    patient: PatientProfile,
    trials: Iterable[Trial] | TrialIndex | TrialStore,
    top: int = 20,
    status: str | None = None,
    evaluate_top: int = 100,
) -> list[Candidate]:
    """The ``top`` trials for ``patient``, best first, each with its verdict and reasons.

    ``trials`` is a store (its search index picks the candidates, see :class:`StoreMatcher`), a
    :class:`TrialIndex`, or trials in memory. ``status="open"`` (the default) keeps recruiting /
    not-yet-recruiting / by-invitation trials, ``"any"`` every trial; any other value keeps trials
    with that overall status (an unknown one raises ValueError). Criteria are parsed only for the
    ``evaluate_top`` most relevant.
    """
    if _is_store(trials):
        return StoreMatcher(trials).match(patient, top=top, status=status, evaluate_top=evaluate_top)  # type: ignore[arg-type]
    status = resolve_status(status)
    keep = status_filter(status, patient)
    if isinstance(trials, TrialIndex):
        survivors = [trials.trials[key] for key in trials.sharing(patient) if keep(trials.trials[key])]
        terms = {t.key: trials.terms[t.key] for t in survivors}
        return rank(patient, survivors, trials.stats, top=top, evaluate_top=evaluate_top, terms=terms)
    pool = list(trials.trials.values()) if isinstance(trials, TrialIndex) else list(trials)  # type: ignore[arg-type]
    # The statistics are those of every trial given, not only of those that pass the prefilter.
    all_terms = {t.key: TrialTerms.of(t) for t in pool}
    stats = RelevanceStats.of(all_terms.values())
    survivors = [t for t in pool if keep(t)]
    terms = {t.key: all_terms[t.key] for t in survivors}
    return rank(patient, survivors, stats, top=top, evaluate_top=evaluate_top, terms=terms)


def _is_store(value: object) -> bool:
    return hasattr(value, "get_many") and hasattr(value, "changes_since")


# --- a store --------------------------------------------------------------------------------------------

# The candidates fetched from the search index: the rules and the relevance cost per trial.
POOL = 300
# Query words sent to the search index, the heaviest first: a long note's every word would make the
# index score most of the store.
QUERY_WORDS = 48
_CHECK_SECONDS = 1.0


def sample_stats(store: TrialStore, size: int = STATS_SAMPLE) -> tuple[RelevanceStats, int]:
    """The relevance statistics of ``size`` trials spread evenly over the store's keys (of all of
    them in a smaller store), and how many were read."""
    keys = sorted(store.keys())
    if len(keys) > size:
        keys = [keys[i * len(keys) // size] for i in range(size)]
    terms: list[TrialTerms] = []
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        wanted = set(chunk)
        terms.extend(TrialTerms.of(t) for t in store.get_many(chunk) if t.key in wanted)
    return RelevanceStats.of(terms), len(terms)


def refresh_stats(store: TrialStore) -> bool:
    """Read the store's relevance statistics from a sample and keep them beside it, when those kept are
    missing or stale (done as the store is written, not on a match); whether they were read."""
    if not stats_kept(store) or stats_current(store):
        return False
    count = store.count()
    stats, _ = sample_stats(store)
    save_stats(store, stats, count)
    return True


class StoreMatcher:
    """Matches patients against a store through its search index; keep one to match many patients
    (it holds the statistics and a :class:`MatchCache`).

    ``index`` is the search index to use (default: the store's own, built on first use when missing);
    ``index_lock`` is held around each use of it (a server shares one connection between threads);
    ``on_note`` hears about slow one-time work (building the index or the statistics)."""

    def __init__(
        self,
        store: TrialStore,
        *,
        index: SearchIndex | None = None,
        index_lock: AbstractContextManager[Any] | None = None,
        cache: MatchCache | None = None,
        on_note: Callable[[str], None] | None = None,
        pool: int = POOL,
    ) -> None:
        self.store = store
        self._index = index
        self._index_lock = index_lock
        self.cache = cache if cache is not None else MatchCache()
        self.on_note = on_note
        self.pool = pool
        self._stats: RelevanceStats | None = None
        self._rules: CriteriaRules | None = None
        self._stats_count = 0
        self._checked = 0.0
        self._lock = threading.Lock()
        # Candidates read from the store, kept while the store's change feed does not name them:
        # decoding a stored trial costs about a millisecond, and the same few hundred trials come
        # back for patient after patient with the same conditions.
        self._trials: OrderedDict[str, Trial] = OrderedDict()
        # Likewise the candidates' kept term counts and prefilter fields, decoded.
        self._terms: OrderedDict[str, tuple[TrialGate, TrialTerms]] = OrderedDict()
        self._trials_seq: int | None = None
        self._trials_lock = threading.Lock()

    def _note(self, message: str) -> None:
        if self.on_note is not None:
            self.on_note(message)

    @property
    def rules(self) -> CriteriaRules:
        """The store's parsed criteria, kept when its trials were written."""
        if self._rules is None:
            self._rules = CriteriaRules.for_store(self.store)
        return self._rules

    @property
    def index(self) -> SearchIndex:
        if self._index is None:
            from trialatlas.search import SearchIndex

            self._index = SearchIndex.for_store(self.store)
        return self._index

    # --- statistics ---

    def stats(self) -> RelevanceStats:
        """The store's statistics: from memory, else from the file beside the store, else read from a
        sample (and written there); read again once the store grew or shrank by a tenth."""
        with self._lock:
            now = time.monotonic()
            if self._stats is not None and now - self._checked < _CHECK_SECONDS:
                return self._stats
            self._checked = now
            count = self.store.count()
            if self._stats is not None and not stale(self._stats_count, count):
                return self._stats
            loaded = load_stats(self.store)
            if loaded is not None and not stale(loaded[1], count):
                self._stats, self._stats_count = loaded
                return self._stats
            if count > 2 * STATS_SAMPLE:
                self._note(
                    f"reading term statistics from {min(count, STATS_SAMPLE):,} of {count:,} trials (once)"
                )
            stats, _ = sample_stats(self.store)
            self._stats, self._stats_count = stats, count
            save_stats(self.store, stats, count)
            return stats

    # --- candidates ---

    def candidates(self, patient: PatientProfile, status: str | None) -> dict[str, float]:
        """The trials the search index ranks best for the patient's words and conditions (key → its
        BM25), with the status filter applied there."""
        from trialatlas.errors import QueryError
        from trialatlas.search import search

        text = retrieval_query(patient, self.stats().about_words)
        if not text:
            return {}
        filters: dict[str, Any] = {}
        if status is not None:
            filters["status"] = ["open" if status.strip().lower() == "open" else status.strip().lower()]
        # Not the age or sex: the index's filters leave out trials that do not state them (most
        # partial records), which the prefilter after loading keeps, as unknown.
        index = self.index
        if not index.is_built():
            self._note(
                f"building the search index of the store ({self.store.count():,} trials; once, about a"
                " minute per 100,000)"
            )
        options: dict[str, Any] = {
            "mode": "any",
            "expand": False,
            "interpret_words": False,
            "facets": False,
            "snippets": False,
            "limit": self.pool,
            "index": index,
            # An index the store's writes keep current (PostgreSQL's) is only read by a match.
            "synced": index.kept_by_writes,
        }
        with self._index_lock or nullcontext():
            try:
                results = search(self.store, text, filters, **options)
            except QueryError:
                # A filter the index does not know (a rare status spelling): filter after loading.
                results = search(self.store, text, {}, **options)
        return {hit.trial.key: hit.score for hit in results.hits}

    def match(
        self,
        patient: PatientProfile,
        *,
        top: int = 20,
        status: str | None = None,
        evaluate_top: int = 100,
    ) -> list[Candidate]:
        """The ``top`` trials of the store for ``patient``, best first, with verdicts and reasons;
        ``status`` None means open trials, "any" every status."""
        status = resolve_status(status)
        keep = status_filter(status, patient)
        found = self.candidates(patient, status)
        # What the prefilter and relevance read of each candidate, as kept when it was written; a
        # trial written since is loaded and read here.
        kept = self.term_rows(list(found))
        loaded = {trial.key: trial for trial in self.load([key for key in found if key not in kept])}
        for key, trial in loaded.items():
            kept[key] = (TrialGate.of(trial), self.cache.terms(trial))
        terms = {key: kept[key][1] for key in found if key in kept and keep(kept[key][0])}
        ordered = most_relevant(patient, terms, self.stats(), limit=max(evaluate_top, top), retrieval=found)
        # Only the trials whose rules are evaluated are loaded, and only their rules read.
        loaded.update((t.key, t) for t in self.load([key for key, _ in ordered if key not in loaded]))
        trials = [loaded[key] for key, _ in ordered if key in loaded]
        # The rules parsed when the trials were written (a trial written since is parsed in judged()).
        unparsed = [trial for trial in trials if not self.cache.has_criteria(trial)]
        self.cache.keep_criteria(self.rules.rules_of(unparsed), unparsed)
        return judged(
            patient,
            [(loaded[key], relevance) for key, relevance in ordered if key in loaded],
            top=top,
            cache=self.cache,
        )

    def _follow_feed(self) -> int:
        """Forget the kept trials and term rows the store's change feed names since the last look;
        the change number reached (the caller holds ``_trials_lock``)."""
        if self._trials_seq is None:
            # Nothing kept yet: where the search index (caught up by every search) stands will
            # do, without listing every change the store ever had.
            self._trials_seq = self.index.last_seq
        else:
            seq, changed = self.store.changes_since(self._trials_seq)
            for kept in (self._trials, self._terms):
                if len(changed) >= self.cache.size:
                    kept.clear()
                else:
                    for key in changed:
                        kept.pop(key, None)
            self._trials_seq = seq
        return self._trials_seq

    def term_rows(self, keys: Sequence[str]) -> dict[str, tuple[TrialGate, TrialTerms]]:
        """The kept prefilter fields and term counts of ``keys`` (see
        :meth:`~trialatlas.match.stored_rules.CriteriaRules.terms_of`), decoded once per process
        while the change feed does not name the trial."""
        with self._trials_lock:
            reached = self._follow_feed()
            found = {key: self._terms[key] for key in keys if key in self._terms}
        read = self.rules.terms_of(self.store, [key for key in keys if key not in found])
        with self._trials_lock:
            if self._trials_seq == reached:  # else what was read may be stale: used, not kept
                for key, row in read.items():
                    self._terms[key] = row
                    self._terms.move_to_end(key)
                while len(self._terms) > self.cache.size:
                    self._terms.popitem(last=False)
        return {**found, **read}

    def load(self, keys: Sequence[str]) -> list[Trial]:
        """The stored trials of ``keys`` (those the store holds), from the kept ones where the store's
        change feed says they did not change."""
        with self._trials_lock:
            reached = self._follow_feed()
            kept = {key: self._trials[key] for key in keys if key in self._trials}
            missing = [key for key in keys if key not in kept]
        read: dict[str, Trial] = {}
        for start in range(0, len(missing), 500):
            chunk = missing[start : start + 500]
            wanted = set(chunk)
            read.update((t.key, t) for t in self.store.get_many(chunk) if t.key in wanted)
        with self._trials_lock:
            # Another thread followed the feed past what this one read from: what was read may
            # already be stale, so it is returned but not kept.
            keeping = self._trials_seq == reached
            found: list[Trial] = []
            for key in keys:
                trial = read.get(key) or kept.get(key)
                if trial is None:
                    continue
                if keeping:
                    self._trials[key] = trial
                    self._trials.move_to_end(key)
                found.append(trial)
            while len(self._trials) > self.cache.size:
                self._trials.popitem(last=False)
        return found


def retrieval_query(patient: PatientProfile, about_words: frozenset[str] | None = None) -> str:
    """The search-index query for a patient: the heaviest words of the patient query and the names
    of the patient's conditions, each quoted, any of them matching."""
    query = patient_query(patient, about_words)
    ranked = sorted(
        (term for term in query if not term.startswith(CONCEPT_PREFIX)), key=lambda t: (-query[t], t)
    )
    # The conditions as the note names them. Not their vocabulary synonyms: every condition a
    # history mentions would bring a dozen names and crowd out the patient's words (recall of the
    # judged eligible trials in the 300 fetched from the 106k-trial store: 0.46 with, 0.48 without).
    phrases = [c.name for c in patient.conditions if c.present and not c.family]
    seen: set[str] = set()
    quoted: list[str] = []
    for item in [*dict.fromkeys(p.lower() for p in phrases), *ranked[:QUERY_WORDS]]:
        clean = " ".join(item.replace('"', " ").split())
        if clean and clean not in seen:
            seen.add(clean)
            quoted.append(f'"{clean}"')
    return " ".join(quoted)


__all__ = [
    "POOL",
    "STATS_SAMPLE",
    "Candidate",
    "MatchCache",
    "StoreMatcher",
    "TrialIndex",
    "judged",
    "match_trials",
    "most_relevant",
    "passes_prefilter",
    "rank",
    "refresh_stats",
    "retrieval_query",
    "sample_stats",
    "stats_current",
    "stats_path",
    "status_filter",
]
