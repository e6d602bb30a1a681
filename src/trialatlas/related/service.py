"""Related trials, as the CLI, the API and the web page ask for them.

- :func:`related_trials` — the trials most like one trial, each with its score and why;
- :func:`related_report` — the same plus the relations the trial's source pages list (kept apart);
- :func:`related_to_text`, :func:`related_to_patient`, :func:`more_like_these` — the same ranking for
  a free-text query, a patient profile, or several trials at once.

Every function takes the store and finds (or builds) its index with :func:`index_for`; pass
``index=`` to reuse one.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from trialatlas.errors import RelatedError
from trialatlas.match.patient import PatientProfile
from trialatlas.model import Trial
from trialatlas.related.dense import HEAD, dense_index_for, rerank_head
from trialatlas.related.features import (
    add_drug_mentions,
    lexical_text,
    text_features,
    title_text,
    trial_features,
)
from trialatlas.related.index import F64, RelatedIndex, index_for
from trialatlas.related.similarity import (
    COMPONENTS,
    Query,
    query_of_features,
    query_of_rows,
    reasons,
    score,
    top_rows,
)
from trialatlas.store.base import TrialStore


class RelatedResult(BaseModel):
    """One related trial: how similar (0–1), per component, and why."""

    model_config = ConfigDict(extra="forbid")

    rank: int
    nct_id: str = Field(description="The store key: the NCT id, else ORG:<org study id>.")
    title: str
    score: float
    components: dict[str, float] = Field(
        description="Component scores in [0, 1] that entered the score (lex: the full-text part; cond, "
        "drug, text, outc, geo, design, pop: the structured part; who: who runs the trials and where, "
        "when weighted); a component absent here could not be judged for this pair."
    )
    reasons: list[str]
    listed: bool = Field(default=False, description="The target's source page also lists this trial.")
    partial: bool = Field(default=False, description="Known only from a partial record (text only).")

    @property
    def why(self) -> str:
        return " · ".join(self.reasons)


class ListedRelation(BaseModel):
    """A related trial a source page lists ("See also", "Related Clinical Trials")."""

    model_config = ConfigDict(extra="forbid")

    nct_id: str
    title: str | None = None
    relation: str | None = None
    in_store: bool = False
    score: float | None = Field(default=None, description="Our similarity to the target, when indexed.")
    reasons: list[str] = Field(default_factory=list)


class RelatedReport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    target: str
    title: str
    computed: list[RelatedResult]
    listed: list[ListedRelation]


def _results(
    index: RelatedIndex,
    query: Query,
    top: int,
    *,
    listed: frozenset[str] = frozenset(),
    patient: bool = False,
    dense_scores: F64 | None = None,
) -> list[RelatedResult]:
    scored = score(index, query)
    if dense_scores is None:
        rows = top_rows(scored, top)
    else:
        rows = rerank_head(scored.total, dense_scores, top_rows(scored, max(top, HEAD)))[:top]
    results: list[RelatedResult] = []
    for rank, row in enumerate(rows, start=1):
        components = {
            name: round(float(values[row]), 4)
            for name in COMPONENTS
            if (values := scored.components.get(name)) is not None and values[row] == values[row]
        }
        if dense_scores is not None:
            components["dense"] = round(float(dense_scores[row]), 4)
        key = index.keys[row]
        results.append(
            RelatedResult(
                rank=rank,
                nct_id=key,
                title=index.titles[row],
                score=round(float(scored.total[row]), 4),
                components=components,
                reasons=reasons(index, query, row, patient=patient),
                listed=key in listed,
                partial=bool(index.scalars.partial[row]),
            )
        )
    return results


def _target(store: TrialStore, nct: str) -> Trial:
    trial = store.get(nct.strip())
    if trial is None:
        raise RelatedError(f"no trial {nct} in the store")
    return trial


def _trial_query(index: RelatedIndex, trial: Trial) -> Query:
    row = index.row_of(trial.key)
    if row is not None:
        return query_of_rows(index, [row], text=lexical_text(trial), title=title_text(trial))
    # Not indexed (an index older than the trial): compare by its extracted features.
    query = query_of_features(index, trial_features(trial))
    query.quoting = True
    return query


def related_trials(
    store: TrialStore,
    nct: str,
    top: int = 10,
    *,
    index: RelatedIndex | None = None,
    dense: bool = False,
) -> list[RelatedResult]:
    """The ``top`` trials most like ``nct`` (any id ``store.get`` accepts), best first, with reasons."""
    return related_report(store, nct, top, index=index, dense=dense).computed


def _dense_for_rows(store: TrialStore, index: RelatedIndex, rows: list[int]) -> F64:
    embeddings = dense_index_for(store, index)
    total: F64 = np.sum([embeddings.scores_for_row(row) for row in rows], axis=0) / len(rows)
    return total


def related_report(
    store: TrialStore,
    nct: str,
    top: int = 10,
    *,
    index: RelatedIndex | None = None,
    dense: bool = False,
) -> RelatedReport:
    """Computed related trials and, apart, the ones the trial's source pages list.

    ``dense`` reorders the head of the ranking with sentence embeddings (the optional ``embeddings``
    extra; see :mod:`trialatlas.related.dense`).
    """
    trial = _target(store, nct)
    index = index if index is not None else index_for(store)
    query = _trial_query(index, trial)
    listed_ids = frozenset(relation.nct_id for relation in trial.related_trials)
    dense_scores = None
    if dense:
        row = index.row_of(trial.key)
        if row is None:
            raise RelatedError(f"{trial.key} is not in the related-trials index (rebuild it)")
        dense_scores = _dense_for_rows(store, index, [row])
    computed = _results(index, query, top, listed=listed_ids, dense_scores=dense_scores)
    return RelatedReport(
        target=trial.key,
        title=trial.title,
        computed=computed,
        listed=_listed(store, index, trial, query),
    )


def _listed(store: TrialStore, index: RelatedIndex, trial: Trial, query: Query) -> list[ListedRelation]:
    if not trial.related_trials:
        return []
    rows = [row for r in trial.related_trials if (row := index.row_of(r.nct_id)) is not None]
    scored = score(index, query, must=rows)
    stored = {t.key: t for t in store.get_many([r.nct_id for r in trial.related_trials])}
    out: list[ListedRelation] = []
    for relation in trial.related_trials:
        held = stored.get(relation.nct_id)
        row = index.row_of(relation.nct_id)
        out.append(
            ListedRelation(
                nct_id=relation.nct_id,
                title=relation.title or (held.title if held else None),
                relation=relation.relation,
                in_store=held is not None,
                score=round(float(scored.total[row]), 4) if row is not None else None,
                reasons=reasons(index, query, row) if row is not None else [],
            )
        )
    return out


def related_to_text(
    store: TrialStore,
    text: str,
    top: int = 10,
    *,
    index: RelatedIndex | None = None,
    dense: bool = False,
) -> list[RelatedResult]:
    """Trials most like a free-text description ("tacrolimus for lupus nephritis in adults")."""
    if not text.strip():
        raise RelatedError("an empty query relates to nothing")
    index = index if index is not None else index_for(store)
    dense_scores = dense_index_for(store, index).scores_for_text(text) if dense else None
    return _results(index, query_of_features(index, text_features(text)), top, dense_scores=dense_scores)


def related_to_patient(
    store: TrialStore, patient: PatientProfile, top: int = 10, *, index: RelatedIndex | None = None
) -> list[RelatedResult]:
    """Trials most like a patient's picture: conditions, medications, age and sex, notes."""
    index = index if index is not None else index_for(store)
    parts = [c.name for c in patient.conditions if c.present and not c.family]
    text = " ; ".join(parts)
    features = text_features(" ; ".join([text, patient.notes or ""]), key=patient.id or "patient")
    for medication in patient.medications:
        if medication.present and not medication.family:
            add_drug_mentions(features, medication.name, 1.0)
    features.min_age = features.max_age = patient.age_years
    features.sex = patient.sex.upper() if patient.sex else None
    return _results(index, query_of_features(index, features, point_age=True), top, patient=True)


def more_like_these(
    store: TrialStore,
    ncts: Sequence[str],
    top: int = 10,
    *,
    index: RelatedIndex | None = None,
    dense: bool = False,
) -> list[RelatedResult]:
    """Trials most like several trials together (their centroid), the given ones left out."""
    if not ncts:
        raise RelatedError("name at least one trial")
    index = index if index is not None else index_for(store)
    trials = [_target(store, nct) for nct in ncts]
    rows = [index.row_of(t.key) for t in trials]
    known = [row for row in rows if row is not None]
    if len(known) != len(rows):
        missing = [t.key for t, row in zip(trials, rows, strict=True) if row is None]
        raise RelatedError(f"not in the related-trials index (rebuild it): {', '.join(missing)}")
    dense_scores = _dense_for_rows(store, index, known) if dense else None
    query = query_of_rows(
        index,
        known,
        text=" ; ".join(lexical_text(t) for t in trials),
        title=" ; ".join(title_text(t) for t in trials),
    )
    return _results(index, query, top, dense_scores=dense_scores)
