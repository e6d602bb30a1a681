"""Merging two records of one trial, field by field, with provenance.

Rules, per top-level content field:
1. a field only one record has comes from that record;
2. a full record's field beats a partial record's (a CSV row or a description dump never
   overwrites what a full registry record said);
3. otherwise the newer record wins (its ``record_date``); on a tie, or when dates are unknown,
   the incoming record wins, so re-reading a corrected file takes effect.
Source records are kept by id (re-reading the same record replaces, never duplicates, it), so merging
a record with itself changes nothing: ingest is idempotent.
"""

from __future__ import annotations

import datetime as dt

from trialatlas.model.trial import CONTENT_FIELDS, SourceRecord, Trial, _has_content


def _source_of(trial: Trial, field: str) -> SourceRecord | None:
    source_id = trial.field_sources.get(field)
    for source in trial.sources:
        if source.id == source_id:
            return source
    return trial.sources[-1] if trial.sources else None


def _date(source: SourceRecord | None) -> dt.date:
    return source.record_date if source and source.record_date else dt.date.min


def stamp_provenance(trial: Trial) -> Trial:
    """Attribute every filled field of a freshly read single-source trial to its source record."""
    if not trial.sources:
        return trial
    source_id = trial.sources[-1].id
    trial.field_sources = {name: source_id for name in trial.filled_fields()}
    return trial


def merge_trials(existing: Trial, incoming: Trial) -> Trial:
    """``existing`` updated with ``incoming``; neither argument is changed."""
    merged = existing.model_copy(deep=True)
    field_sources = dict(existing.field_sources)
    for name in CONTENT_FIELDS:
        new_value = getattr(incoming, name)
        if not _has_content(new_value):
            continue
        old_value = getattr(existing, name)
        new_source = _source_of(incoming, name)
        if _has_content(old_value):
            old_source = _source_of(existing, name)
            old_partial = existing.is_partial if old_source is None else old_source.partial
            new_partial = incoming.is_partial if new_source is None else new_source.partial
            if new_partial and not old_partial:
                continue
            if _date(new_source) < _date(old_source) and new_partial == old_partial:
                continue
        setattr(
            merged, name, new_value.model_copy(deep=True) if hasattr(new_value, "model_copy") else new_value
        )
        if new_source is not None:
            field_sources[name] = new_source.id
    if not merged.nct_id and incoming.nct_id:
        merged.nct_id = incoming.nct_id
    sources = {source.id: source for source in existing.sources}
    for source in incoming.sources:
        sources[source.id] = source
    merged.sources = sorted(sources.values(), key=lambda s: (_date(s), s.id))
    merged.field_sources = {k: field_sources[k] for k in CONTENT_FIELDS if k in field_sources}
    merged.is_partial = existing.is_partial and incoming.is_partial
    return merged
