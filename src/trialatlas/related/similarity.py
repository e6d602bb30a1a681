"""Similarity between a query (a trial, several trials, text or a patient) and every indexed trial.

Candidates are the union of the best :data:`LEXICAL_POOL` trials by BM25 over all of the query's text
(so that nothing plain full-text retrieval finds is lost) and the best :data:`STRUCTURED_POOL` by the
structured similarity below. Each candidate's score is a weighted mean (:data:`RERANK`) of its TF-IDF
cosine, BM25, BM25 of the query's titles, the passages it shares word for word with the query
(:mod:`trialatlas.related.passages`), and structured similarity, each divided by its best value
among the candidates; the weights were tuned on the tuning half of the cross-mention pairs
(:mod:`trialatlas.eval.crossmention`). A candidate whose whole title the query's text holds word for
word (:mod:`trialatlas.related.quoted`) gets :data:`QUOTED_BONUS` on top, and the candidate the words
rank first keeps a place in the best :data:`LEADER_PLACE` (see :func:`_keep_lexical_leader`).

The structured similarity is the topical similarity — a weighted mean of the ``cond``, ``drug``,
``text`` and ``outc`` components — scaled by how far the context agrees (a weighted mean of
``design``, ``pop`` and ``geo``), which can take off at most :data:`CONTEXT_SHARE` of it. Each
component is in [0, 1]:

- ``cond``, ``drug``, ``text``, ``outc``, ``geo``: cosines of idf-weighted feature families;
- ``design``: share of design fields both give that agree (study type, phases, allocation, purpose,
  model, masking);
- ``pop``: agreement of the populations (age-range overlap, sex, healthy volunteers).

A component enters its mean only where it can be judged: the query must have it, and so must the
trial, except that a full record without conditions or interventions counts as sharing none (a
partial record, read from a description dump, simply does not say). Reasons name what is shared.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from trialatlas.related.features import FAMILIES
from trialatlas.related.index import CODES, F64, I64, Bools, RelatedIndex
from trialatlas.related.query import (
    DESIGN_CODES,
    Query,
    query_of_features,
    query_of_rows,
    query_phrase,
    telling_shingles,
)
from trialatlas.related.quoted import found_phrases, title_phrase
from trialatlas.related.reasons import TELLING_SHARE, WHO_TELLING_TRIALS, reasons, shared

WEIGHTS: dict[str, float] = {
    "cond": 0.30,
    "drug": 0.23,
    "text": 0.20,
    "outc": 0.07,
    "geo": 0.03,
    "design": 0.10,
    "pop": 0.07,
}
COMPONENTS: tuple[str, ...] = ("lex", *WEIGHTS, "who")
# The families of the structured mean ("who" is a rerank signal of its own).
_STRUCTURED: tuple[str, ...] = tuple(name for name in FAMILIES if name in WEIGHTS)
# Families whose absence on a full record is an answer (it shares nothing), not a gap.
_CORE = ("cond", "drug", "text")
_CONTEXT = frozenset({"geo", "design", "pop"})
# How much the context (design, population, countries) can move a score: a trial that agrees on
# none of it keeps 70% of its topical similarity; one that does not say keeps 85%.
CONTEXT_SHARE = 0.3
# Trials scored on context too: the best this many on topic (see :func:`score`).
POOL = 2000
# Candidates: the best this many by BM25, and by the structured similarity.
LEXICAL_POOL = 150
STRUCTURED_POOL = 100
# Words in more than this share of the trials are left out of lexical queries: they touch the most
# postings and weigh the least (BM25 idf below 3).
COMMON_SHARE = 0.05
# Word statistics are fully trusted from this many trials on (see :func:`lexical_trust`).
LEXICAL_TRUST_TRIALS = 10_000
# Conditions gate the score where both sides name some: a trial whose conditions' cosine with the
# query's is GATE_FULL or more keeps all of it, one sharing none keeps GATE_FLOOR.
GATE_FLOOR = 0.8
GATE_FULL = 0.1
# Selecting the best few of many rows first reads a threshold from every this-many-th row (see _best).
SAMPLE_STEP = 16
# How the candidates are ordered: weights of each signal divided by its best value among them.
# "passages": log(1 + the query's telling shingles a candidate holds), see related/passages.py.
# "who": the cosine of who runs the trial and where (related/people.py), for queries that say so.
# Weight 0: on the cross-mention pairs, the seed lists and TrialSim it moves nothing (4 of 98 tuning
# query trials say who runs them), while on full records it changes most top 10s (88 of 150 at 0.25),
# partly by a shared large sponsor alone; unmeasured, it does not reorder. See docs/related.md.
RERANK: dict[str, float] = {
    "tfidf": 1.0,
    "bm25": 0.5,
    "title": 0.25,
    "structured": 0.25,
    "passages": 0.15,
    "who": 0.0,
}
# Candidates also by who runs the trial and where: the best this many (sister studies in other words);
# none while "who" has no weight (0.25 with a pool of 20 measured the same as without, see above).
WHO_POOL = 0
# Added to a candidate's mixed score where the query's text holds its whole title (related/quoted.py);
# tuned on the tuning half of the cross-mention pairs (0.3 to 1 give the same recall@10 there).
QUOTED_BONUS = 0.5
# The candidate with the best lexical part of the score ranks no lower than this (see
# _keep_lexical_leader); tuned on the tuning half of the cross-mention pairs (keeping the best 1, 2
# or 3 there gives the same recall@10).
LEADER_PLACE = 10
_UNSAID = 0.5
_AGE_CAP = 100.0
_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.float64)


@dataclass
class Scored:
    """Every trial's total and component scores for one query (NaN where a component was not judged)."""

    total: F64
    components: dict[str, F64]
    eligible: Bools


def score(index: RelatedIndex, query: Query, *, must: Sequence[int] = ()) -> Scored:
    """Score the candidates (and ``must``): the lexical and structured pools, reranked (see above).

    ``total`` is in [0, 1] for the candidates and 0 elsewhere; ``components`` holds the structured
    components and ``lex``, the lexical part of the score.
    """
    structured = structured_score(index, query, must=must)
    if not query.text.strip():
        return structured
    n = index.size
    signals = rerank_signals(index, query, structured, must=must)
    candidates = signals.candidates
    who = signals.who
    lexical = np.zeros(candidates.size)
    lexical_weight = 0.0
    mixed = np.zeros(candidates.size)
    weights = 0.0
    trust = lexical_trust(n)
    for name, values in signals.values.items():
        if values is None:
            continue
        best = float(values.max()) if values.size else 0.0
        scaled = values / best if best > 0 else values
        lexical_signal = name not in _NOT_LEXICAL
        weight = RERANK[name] * (trust if lexical_signal else 1.0)
        mixed += weight * scaled
        weights += weight
        if lexical_signal:
            lexical += RERANK[name] * scaled
            lexical_weight += RERANK[name]
    total = np.zeros(n)
    total[candidates] = mixed / weights * signals.gate
    if signals.quoted is not None:
        total[candidates] = (total[candidates] + QUOTED_BONUS * signals.quoted) / (1.0 + QUOTED_BONUS)
    _keep_lexical_leader(total, candidates, lexical)
    lex = np.full(n, np.nan)
    lex[candidates] = lexical / max(lexical_weight, 1e-9)
    eligible = np.zeros(n, dtype=np.bool_)
    eligible[candidates] = True
    components = {**structured.components, "lex": lex}
    if who is not None:
        # Judged where both say who runs them.
        components["who"] = np.where(index.families["who"].has(), who, np.nan)
    return Scored(total, components, eligible)


# Rerank signals that are not read from words (not scaled down in a small store, not in ``lex``).
_NOT_LEXICAL = frozenset({"structured", "who"})


@dataclass
class RerankSignals:
    """The candidates of one query and each rerank signal's raw value for them (before scaling and
    weighting): what :func:`score` mixes, and what ``bench/related_cv.py`` re-mixes offline."""

    candidates: I64
    # "tfidf", "bm25", "title", "passages", "structured", "who" (None: not judged for this query).
    values: dict[str, F64 | None]
    # The conditions gate (1 where it does not apply) and the quoted-title flags (None: not a trial's
    # own text), per candidate.
    gate: F64
    quoted: F64 | None
    # Every trial's cosine on who runs it and where, when the query says and it is used.
    who: F64 | None


def rerank_signals(
    index: RelatedIndex, query: Query, structured: Scored, *, must: Sequence[int] = ()
) -> RerankSignals:
    """The candidates (the lexical and structured pools, and ``must``) and their raw rerank signals."""
    # Candidates by BM25 over the query's less common words (the common ones cost the most postings
    # and hardly move who is near the top); then every word scores them, read from their own words.
    rough = index.lexical.rough_bm25(query.text, COMMON_SHARE)
    excluded = np.asarray(sorted(query.exclude), dtype=np.int64)
    rough[excluded] = 0.0
    # Not part of the score unless weighted (see RERANK): the reasons still name who and where.
    who = _who_scores(index, query) if RERANK["who"] > 0 or WHO_POOL > 0 else None
    pools = [
        _best(rough, rough > 0, LEXICAL_POOL),
        _best(structured.total, structured.eligible, STRUCTURED_POOL),
        np.asarray(list(must), dtype=np.int64),
    ]
    if who is not None and WHO_POOL > 0:
        pools.append(_best(who, who > 0, WHO_POOL))
    candidates = np.setdiff1d(np.unique(np.concatenate(pools)), excluded).astype(np.int64)
    bm25, tfidf, title = index.lexical.score_rows(query.text, candidates, also=query.title)
    passages = None
    telling = telling_shingles(index, query)
    if RERANK["passages"] > 0 and telling.size:
        passages = np.log1p(index.passages.shared_counts(telling, candidates)[0])
    values = {
        "tfidf": tfidf,
        "bm25": bm25,
        "title": title if query.title.strip() else None,
        "passages": passages,
        "structured": structured.total[candidates],
        "who": who[candidates] if who is not None and RERANK["who"] > 0 else None,
    }
    quoted = None
    if query.quoting:
        quoted = found_phrases(query_phrase(query), _title_phrases(index, candidates))
    gate = _condition_gate(index, query, structured, candidates)
    return RerankSignals(candidates, values, gate, quoted, who)


def _keep_lexical_leader(total: F64, candidates: I64, lexical: F64) -> None:
    """Give the candidate the words rank first a place in the best :data:`LEADER_PLACE`, just above
    the one there, if the conditions gate and the structured similarity pushed it below (in place).

    A plain full-text ranking keeps its leader; the rerank should not lose it to trials that share the
    query's condition or drug but fewer of its words (the same team's study of another disease: an
    adherence programme in myeloma and its twin in leukaemia). See docs/related.md, ninth round.
    """
    if candidates.size <= LEADER_PLACE:
        return
    leader = int(candidates[int(np.argmax(lexical))])
    values = total[candidates]
    place = float(np.partition(values, values.size - LEADER_PLACE)[values.size - LEADER_PLACE])
    if total[leader] < place:
        total[leader] = float(np.nextafter(place, np.inf))


def _who_scores(index: RelatedIndex, query: Query) -> F64 | None:
    """Every trial's cosine with the query on who runs it and where; ``None`` if the query does not say."""
    ids, weights = query.vectors.get("who", (np.zeros(0, np.int32), np.zeros(0, np.float32)))
    if ids.size == 0:
        return None
    values = index.families["who"].scores(ids, weights, index.size)
    if query.exclude:
        values[list(query.exclude)] = 0.0
    return values


def _title_phrases(index: RelatedIndex, rows: I64) -> list[str | None]:
    """The rows' titles as phrases (related/quoted.py), each made once per index, when first a candidate."""
    known: dict[int, str | None] = index.cache.setdefault(("quoted", "phrases"), {})
    phrases: list[str | None] = []
    for row in rows.tolist():
        if row not in known:
            known[row] = title_phrase(index.titles[row])
        phrases.append(known[row])
    return phrases


def lexical_trust(trials: int) -> float:
    """How far word statistics can be trusted in a store of this many trials, 0–1: idf from a handful
    of trials says little (every word is rare), so in a small store the vocabularies weigh more."""
    return min(1.0, math.log1p(trials) / math.log1p(LEXICAL_TRUST_TRIALS))


def _condition_gate(index: RelatedIndex, query: Query, structured: Scored, rows: I64) -> F64:
    """How far the conditions let words relate two trials: where both name conditions, a trial whose
    conditions (with their MeSH and vocabulary hierarchy) are far from the query's keeps as little as
    :data:`GATE_FLOOR` of its score; two bone-marrow-transplant trials for leukaemia share many words
    and drugs with a nephrotic-syndrome trial, not its disease."""
    gate = np.ones(rows.size)
    cond = structured.components.get("cond")
    if cond is None or query.vectors.get("cond", (np.zeros(0),))[0].size == 0:
        return gate
    named = index.families["cond"].has()[rows]
    closeness = np.minimum(np.nan_to_num(cond[rows]) / GATE_FULL, 1.0)
    return np.where(named, GATE_FLOOR + (1.0 - GATE_FLOOR) * closeness, gate)


def _best(values: F64, eligible: Bools, count: int) -> I64:
    """The ``count`` eligible rows of highest value (every eligible row if fewer), in no order.

    Partitioning every eligible row of a large store costs more than the rest of a lookup's selection:
    a threshold read from every :data:`SAMPLE_STEP`-th row first narrows the rows to partition (where
    at least ``count`` rows reach it, the best ``count`` all do; where not, every row is partitioned).
    """
    if values.size >= SAMPLE_STEP * count:
        sample = values[::SAMPLE_STEP][eligible[::SAMPLE_STEP]]
        wanted = 2 * count // SAMPLE_STEP
        if 0 < wanted < sample.size:
            threshold = np.partition(sample, sample.size - wanted)[sample.size - wanted]
            rows = np.flatnonzero(eligible & (values >= threshold))
            if rows.size >= count:
                return rows[np.argpartition(-values[rows], count - 1)[:count]].astype(np.int64)
    rows = np.flatnonzero(eligible)
    if rows.size > count:
        rows = rows[np.argpartition(-values[rows], count - 1)[:count]]
    return rows.astype(np.int64)


def structured_score(index: RelatedIndex, query: Query, *, must: Sequence[int] = ()) -> Scored:
    """Score every trial on topic; the best :data:`POOL` of them (and ``must``) on context too.

    Context can take off at most :data:`CONTEXT_SHARE` of a score, so a trial outside the pool
    would need a topic score above the pool's to matter; the pool keeps the lookup cost of design
    and population independent of the store's size.
    """
    n = index.size
    components: dict[str, F64] = {}
    numerator = np.zeros(n)
    touched = np.zeros(n, dtype=np.bool_)
    geo: F64 | None = None
    topical: list[str] = []
    for name in _STRUCTURED:
        family = index.families[name]
        ids, weights = query.vectors.get(name, (np.zeros(0, np.int32), np.zeros(0, np.float32)))
        if ids.size == 0:
            # The query names no condition (or drug, or country): nothing to judge trials on.
            continue
        # A trial without features in the family scores 0 here, so adding it needs no mask.
        values = family.scores(ids, weights, n)
        if name == "geo":
            geo = values
            continue
        topical.append(name)
        if name in _CORE:
            np.logical_or(touched, values > 0, out=touched)
            # Every trial is judged on a core family (see :func:`_judged`): the values are the component.
            components[name] = values
        else:
            components[name] = np.where(_judged(index, name) > 0, values, np.nan)
        numerator += WEIGHTS[name] * values
    topic = numerator / _denominator(index, tuple(topical))
    eligible = touched
    if query.exclude:
        eligible[list(query.exclude)] = False

    candidates = _best(topic, eligible, POOL)
    pool = np.union1d(candidates, np.asarray(list(must), dtype=np.int64)).astype(np.int64)
    context_numerator = np.zeros(pool.size)
    context_denominator = np.zeros(pool.size)
    has_geo = index.families["geo"].has()[pool]
    parts: list[tuple[str, F64 | None]] = [
        ("geo", None if geo is None else np.where(has_geo, geo[pool], np.nan)),
        ("design", _design(index, query, pool)),
        ("pop", _population(index, query, pool)),
    ]
    for name, part in parts:
        if part is None:
            continue
        judged = ~np.isnan(part)
        context_numerator += WEIGHTS[name] * np.where(judged, part, 0.0)
        context_denominator += WEIGHTS[name] * judged
        full = np.full(n, np.nan)
        full[pool] = part
        components[name] = full
    context = np.where(
        context_denominator > 0,
        context_numerator / np.where(context_denominator > 0, context_denominator, 1.0),
        0.5,
    )
    # Context refines, never makes, a relation: two unrelated Phase 4 trials in China stay unrelated.
    total = topic * (1.0 - CONTEXT_SHARE)
    total[pool] = topic[pool] * ((1.0 - CONTEXT_SHARE) + CONTEXT_SHARE * context)
    in_pool = np.zeros(n, dtype=np.bool_)
    in_pool[candidates] = True
    return Scored(total, components, eligible & in_pool)


def _denominator(index: RelatedIndex, families: tuple[str, ...]) -> F64:
    """Each trial's weight in the topical mean over the families a query has (1 where none counts, so
    that the mean is 0 there). It depends on the index and on which families the query names only, so
    it is computed once per index for each such set (at most 2^4)."""
    key = ("denominator", ",".join(families))
    cached = index.cache.get(key)
    if cached is None:
        total = np.zeros(index.size)
        for name in families:
            total += WEIGHTS[name] * _judged(index, name)
        cached = np.where(total > 0, total, 1.0)
        index.cache[key] = cached
    denominator: F64 = cached
    return denominator


def _judged(index: RelatedIndex, family: str) -> F64:
    """How much each trial counts in the mean for ``family``: 1 where it has features there (or, for
    a core family, where a full record says it has none), :data:`_UNSAID` for a partial record
    without them (a description that names no drug may still test one), 0 for a trial without
    outcomes. It depends on the index only, so it is computed once per index."""
    cached = index.cache.get(("judged", family))
    if cached is None:
        has = index.families[family].has()
        if family in _CORE:
            cached = np.where(has | ~index.scalars.partial, 1.0, _UNSAID)
        else:
            cached = has.astype(np.float64)
        index.cache[("judged", family)] = cached
    judged: F64 = cached
    return judged


def _design(index: RelatedIndex, query: Query, rows: I64) -> F64:
    s = index.scalars
    matches = np.zeros(rows.size)
    judged = np.zeros(rows.size)
    for name in DESIGN_CODES:
        wanted = query.codes.get(name, -1)
        if wanted < 0:
            continue
        column = getattr(s, name)[rows]
        known = column >= 0
        judged += known
        matches += known & (column == wanted)
    if query.phases > 0:
        column = s.phases[rows].astype(np.int64) & 0xFF
        known = column > 0
        both = _POPCOUNT[column & query.phases]
        either = _POPCOUNT[column | query.phases]
        judged += known
        matches += np.where(known, both / np.maximum(either, 1.0), 0.0)
    result: F64 = np.where(judged > 0, matches / np.maximum(judged, 1.0), np.nan)
    return result


def _population(index: RelatedIndex, query: Query, rows: I64) -> F64:
    s = index.scalars
    parts = np.zeros(rows.size)
    judged = np.zeros(rows.size)
    query_has_age = not (math.isnan(query.min_age) and math.isnan(query.max_age))
    if query_has_age:
        min_age, max_age = s.min_age[rows].astype(np.float64), s.max_age[rows].astype(np.float64)
        low = np.nan_to_num(min_age, nan=0.0)
        high = np.minimum(np.nan_to_num(max_age, nan=_AGE_CAP), _AGE_CAP)
        known = ~(np.isnan(min_age) & np.isnan(max_age))
        q_low = 0.0 if math.isnan(query.min_age) else query.min_age
        q_high = _AGE_CAP if math.isnan(query.max_age) else min(query.max_age, _AGE_CAP)
        if query.point_age:
            overlap = ((low <= q_low) & (q_low <= high)).astype(np.float64)
        else:
            inter = np.maximum(0.0, np.minimum(high, q_high) - np.maximum(low, q_low))
            union = np.maximum(high, q_high) - np.minimum(low, q_low)
            overlap = np.where(union > 0, inter / np.maximum(union, 1e-9), 1.0)
        parts += np.where(known, overlap, 0.0)
        judged += known
    if query.sex >= 0:
        sex = s.sex[rows]
        known = sex >= 0
        every = CODES["sex"].index("ALL")
        agree = np.where(sex == query.sex, 1.0, np.where((sex == every) | (query.sex == every), 0.5, 0.0))
        parts += np.where(known, agree, 0.0)
        judged += known
    if query.healthy >= 0:
        healthy = s.healthy[rows]
        known = healthy >= 0
        parts += known & (healthy == query.healthy)
        judged += known
    result: F64 = np.where(judged > 0, parts / np.maximum(judged, 1.0), np.nan)
    return result


def top_rows(scored: Scored, top: int) -> list[int]:
    """The ``top`` eligible rows by total score, best first (ties by row, so results are stable)."""
    candidates = np.flatnonzero(scored.eligible)
    if candidates.size == 0 or top <= 0:
        return []
    values = scored.total[candidates]
    if candidates.size > top:
        keep = np.argpartition(-values, top - 1)[:top]
        candidates, values = candidates[keep], values[keep]
    order = np.lexsort((candidates, -values))
    return [int(row) for row in candidates[order]]


# Made in their own modules (the query, the reasons); named here too, where callers have always found them.
__all__ = [
    "COMPONENTS",
    "TELLING_SHARE",
    "WHO_TELLING_TRIALS",
    "Query",
    "RerankSignals",
    "Scored",
    "lexical_trust",
    "query_of_features",
    "query_of_rows",
    "query_phrase",
    "reasons",
    "rerank_signals",
    "score",
    "shared",
    "structured_score",
    "telling_shingles",
    "top_rows",
]
