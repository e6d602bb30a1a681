"""What the related-trials similarity compares: a :class:`Query`, made of one indexed trial, several
(their centroid, "more like these") or features read outside the index (text, a patient, an unindexed
trial).

A query holds unit vectors per feature family (the index's feature ids), the design and population
codes the structured similarity compares (:mod:`trialatlas.related.similarity`), its own words for
the lexical signals, and its sampled word shingles (:mod:`trialatlas.related.passages`); what is
found from them once per query (its telling shingles, its text as a phrase titles are looked for in,
:mod:`trialatlas.related.quoted`) is kept on it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from trialatlas.related.features import TrialFeatures
from trialatlas.related.index import F32, I32, MAX_QUERY_TEXT, RelatedIndex, code_of, phase_mask
from trialatlas.related.passages import U64
from trialatlas.related.quoted import phrase_of

# The design fields a query and a trial are compared on (each a code of the index's scalars).
DESIGN_CODES = ("study_type", "allocation", "purpose", "model", "masked")


@dataclass
class Query:
    """What is compared: unit vectors per family (index feature ids) and design/population codes."""

    vectors: dict[str, tuple[I32, F32]]
    codes: dict[str, int] = field(default_factory=dict)
    phases: int = 0
    sex: int = -1
    healthy: int = -1
    min_age: float = math.nan
    max_age: float = math.nan
    point_age: bool = False
    exclude: set[int] = field(default_factory=set)
    # The query's own words (all its text, and its titles), for the lexical signals.
    text: str = ""
    title: str = ""
    # The query's sampled word shingles (related/passages.py); its telling ones, once found.
    shingles: U64 = field(default_factory=lambda: np.zeros(0, dtype=np.uint64))
    telling: U64 | None = None
    # Whether the text is a trial's own, whose quoting another trial's title names that trial
    # (related/quoted.py): not a patient's conditions or a typed query, which may simply be a title.
    quoting: bool = False
    # The query's text as a phrase titles are looked for in, once made.
    phrase: str | None = None
    # The words its text uses only in the names of who runs it (related/terms.py), once found.
    who_only: frozenset[str] | None = None
    # Its sampled shingles that run into such a name (related/terms.py), once found.
    who_shingles: U64 | None = None


def _unit(ids: I32, weights: F32) -> tuple[I32, F32]:
    norm = float(np.sqrt(np.dot(weights, weights)))
    return ids, (weights / norm if norm > 0 else weights).astype(np.float32)


def _cap_text(family: str, ids: I32, weights: F32) -> tuple[I32, F32]:
    if family == "text" and ids.size > MAX_QUERY_TEXT:
        keep = np.argsort(-weights, kind="stable")[:MAX_QUERY_TEXT]
        return ids[keep], weights[keep]
    return ids, weights


def query_of_rows(index: RelatedIndex, rows: list[int], *, text: str = "", title: str = "") -> Query:
    """The query of one indexed trial, or the centroid of several ("more like these"); ``text`` and
    ``title`` are their words (:func:`~trialatlas.related.features.lexical_text`)."""
    vectors: dict[str, tuple[I32, F32]] = {}
    for name, family in index.families.items():
        summed: dict[int, float] = {}
        for row in rows:
            ids, weights = family.row(row)
            for feature, weight in zip(ids.tolist(), weights.tolist(), strict=True):
                summed[feature] = summed.get(feature, 0.0) + weight
        ids = np.fromiter(summed.keys(), dtype=np.int32, count=len(summed))
        weights = np.fromiter(summed.values(), dtype=np.float32, count=len(summed))
        vectors[name] = _unit(*_cap_text(name, ids, weights))
    s = index.scalars

    def agreed(values: list[int]) -> int:
        return values[0] if len(set(values)) == 1 else -1

    codes = {name: agreed([int(getattr(s, name)[r]) for r in rows]) for name in DESIGN_CODES}
    # The union of the trials' age ranges; a trial without a bound leaves the union open there.
    lows = [float(s.min_age[r]) for r in rows]
    highs = [float(s.max_age[r]) for r in rows]
    lows = [] if any(math.isnan(v) for v in lows) else lows
    highs = [] if any(math.isnan(v) for v in highs) else highs
    shingles = [index.passages.of_row(r)[0] for r in rows]
    return Query(
        vectors,
        codes,
        phases=agreed([int(s.phases[r]) for r in rows]),
        sex=agreed([int(s.sex[r]) for r in rows]),
        healthy=agreed([int(s.healthy[r]) for r in rows]),
        min_age=min(lows) if lows else math.nan,
        max_age=max(highs) if highs else math.nan,
        exclude=set(rows),
        text=text,
        title=title,
        quoting=True,
        shingles=np.unique(np.concatenate(shingles)) if shingles else np.zeros(0, dtype=np.uint64),
    )


def query_of_features(index: RelatedIndex, features: TrialFeatures, *, point_age: bool = False) -> Query:
    """The query of features extracted outside the index (free text, a patient, an unindexed trial)."""
    vectors: dict[str, tuple[I32, F32]] = {}
    for name, family in index.families.items():
        bucket = features.families.get(name, {})
        known = family.ids
        top_idf = float(family.idf.max()) if family.idf.size else 1.0
        ids_list: list[int] = []
        weights_list: list[float] = []
        norm = 0.0
        for feature, raw in bucket.items():
            position = known.get(feature)
            weight = raw * (float(family.idf[position]) if position is not None else top_idf)
            # Unknown features cannot match, but they are part of what the query is about.
            norm += weight * weight
            if position is not None:
                ids_list.append(position)
                weights_list.append(weight)
        ids = np.asarray(ids_list, dtype=np.int32)
        weights = np.asarray(weights_list, dtype=np.float32) / (math.sqrt(norm) if norm > 0 else 1.0)
        vectors[name] = _cap_text(name, ids, weights.astype(np.float32))
    codes = {
        "study_type": code_of("study_type", features.study_type),
        "allocation": code_of("allocation", features.allocation),
        "purpose": code_of("purpose", features.purpose),
        "model": code_of("model", features.model),
        "masked": -1 if features.masked is None else int(features.masked),
    }
    return Query(
        vectors,
        codes,
        phases=phase_mask(features.phases),
        sex=code_of("sex", features.sex),
        healthy=-1 if features.healthy is None else int(features.healthy),
        min_age=math.nan if features.min_age is None else features.min_age,
        max_age=math.nan if features.max_age is None else features.max_age,
        point_age=point_age,
        text=features.text,
        shingles=(
            np.unique(features.shingles[0]) if features.shingles is not None else np.zeros(0, dtype=np.uint64)
        ),
    )


def telling_shingles(index: RelatedIndex, query: Query) -> U64:
    """The query's shingles that some other trial holds and few trials do (found once per query)."""
    if query.telling is None:
        query.telling = index.passages.telling(query.shingles)
    return query.telling


def query_phrase(query: Query) -> str:
    """The query's text as a phrase to find titles in (made once per query)."""
    if query.phrase is None:
        query.phrase = phrase_of(query.text)
    return query.phrase
