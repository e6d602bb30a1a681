"""Merging two records of one trial, field by field, with provenance.

A field is a top-level content field, or, inside the composite parts a page shows only in part
(status, design, eligibility, the sponsor's details), one of their sub-fields: a page that gives a
trial's status and start date but not its first-posted date must not erase the date a registry
record gave. Provenance keys name them as ``status.start_date``.

The rule, per field: among the source records that fill the field, the one ranked highest gives
it. Records are ranked by, in order:

1. completeness: a full record beats a partial one (a CSV row, a description dump or a page never
   overwrites what a full registry record said);
2. recency: the newer ``record_date`` (the registry's last-update date) beats the older; an
   unknown date is the oldest;
3. richness of the format, for records of the same trial and date: ClinicalTrials.gov API v2 JSON
   (MeSH ids, site coordinates) beats the legacy XML, which beats what other formats carry
   (``FORMAT_PRECEDENCE``; a format not listed comes last);
4. the source record's id, so that no two records ever tie.

A field only one record fills comes from that record. Because the rank is a total order on source
records, the result does not depend on the order records arrive in: the same inputs in any order
give the same trial (and the store the same content digest). The one exception is on purpose: a
record read again under the same id (a corrected file) replaces what it said before.

Source records are kept by id (re-reading the same record replaces, never duplicates, it), so merging
a record with itself changes nothing: ingest is idempotent.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel

from trialatlas.model.trial import CONTENT_FIELDS, Design, Eligibility, SourceRecord, StatusInfo, Trial


def _source_of(trial: Trial, field: str) -> SourceRecord | None:
    source_id = trial.field_sources.get(field)
    for source in trial.sources:
        if source.id == source_id:
            return source
    return trial.sources[-1] if trial.sources else None


def _date(source: SourceRecord | None) -> dt.date:
    return source.record_date if source and source.record_date else dt.date.min


# Formats by how much of a trial they carry, richest first (rule 3 of the module's rule).
FORMAT_PRECEDENCE: tuple[str, ...] = (
    "ctgov-v2-json",
    "ctgov-xml",
    "trialatlas-json",
    "registry-page",
    "trialgpt-jsonl",
    "ctgov-csv",
    "ctgov-csv-legacy",
    "descriptions-jsonl",
)
_FORMAT_RANK = {name: len(FORMAT_PRECEDENCE) - index for index, name in enumerate(FORMAT_PRECEDENCE)}


def source_rank(source: SourceRecord | None, partial: bool) -> tuple[bool, dt.date, int, str]:
    """Where a source record stands in the merge order (higher wins); ``partial`` is used when the
    field's source is not known."""
    if source is None:
        return (not partial, dt.date.min, 0, "")
    return (not source.partial, _date(source), _FORMAT_RANK.get(str(source.format), 0), source.id)


def _filled(value: Any) -> bool:
    """``trial._has_content`` over instance dicts: the same answer, without ``getattr`` per field.

    Every record a reader yields is stamped, so this runs ~40 times a record; a model's ``__dict__``
    holds exactly its fields (``extra="forbid"`` everywhere but ``Age``, whose extras are ignored,
    never stored).
    """
    if value is None:
        return False
    kind = type(value)
    if kind is list or kind is str or kind is dict:
        return bool(value)
    if isinstance(value, BaseModel):
        # A loop, not any(generator): most values are None and the generator would cost more.
        for item in value.__dict__.values():  # noqa: SIM110
            if item is not None and _filled(item):
                return True
        return False
    if isinstance(value, list | dict | str):  # subclasses: what _has_content says
        return bool(value)
    return True


# Composite parts merged sub-field by sub-field; each tuple is a group of sub-fields that only make
# sense together (criteria lists are derived from the criteria text) and merge as one.
COMPOSITE_PARTS: dict[str, tuple[tuple[str, ...], ...]] = {
    "status": tuple((name,) for name in StatusInfo.model_fields),
    "design": tuple((name,) for name in Design.model_fields),
    "eligibility": (
        ("criteria_text", "inclusion", "exclusion"),
        *(
            (name,)
            for name in Eligibility.model_fields
            if name not in ("criteria_text", "inclusion", "exclusion")
        ),
    ),
}


def _field_keys(name: str, value: Any) -> list[str]:
    """The provenance keys a filled field gives: its name, or one per filled sub-field group."""
    groups = COMPOSITE_PARTS.get(name)
    if groups is None:
        return [name]
    parts = value.__dict__
    return [f"{name}.{group[0]}" for group in groups if any(_filled(parts[sub]) for sub in group)]


def stamp_provenance(trial: Trial) -> Trial:
    """Attribute every filled field of a freshly read single-source trial to its source record."""
    if not trial.sources:
        return trial
    source_id = trial.sources[-1].id
    values = trial.__dict__
    trial.field_sources = {
        key: source_id
        for name in CONTENT_FIELDS
        if _filled(values[name])
        for key in _field_keys(name, values[name])
    }
    return trial


def merge_trials(existing: Trial, incoming: Trial, *, copy: bool = True) -> Trial:
    """``existing`` updated with ``incoming``.

    With ``copy=True`` (the default) neither argument is changed and the result shares no model
    with ``existing``. With ``copy=False`` nothing is copied: ``existing`` itself is updated and
    returned, and it takes ``incoming``'s values as they are (shared, not copied). Only a caller
    that owns both trials and uses neither afterwards may pass it (the store merging a trial it has
    just decoded with a record it was handed); the merged content is the same either way.
    """
    merged = existing.model_copy(deep=True) if copy else existing
    # With ``copy=False`` ``merged`` is ``existing``: each field is decided from ``existing`` before
    # that field is assigned, and its sources, field sources and partial flag only change at the end.
    was_partial = existing.is_partial
    field_sources = dict(existing.field_sources)

    def incoming_wins(key: str, old_value: Any) -> SourceRecord | bool | None:
        """The incoming source when it should replace ``old_value`` (True when it has none), else False."""
        new_source = _source_of(incoming, key)
        if _filled(old_value):
            old_source = _source_of(existing, key)
            same_record = old_source is not None and new_source is not None and old_source.id == new_source.id
            if not same_record and source_rank(new_source, incoming.is_partial) < source_rank(
                old_source, was_partial
            ):
                return False
        return new_source if new_source is not None else True

    for name in CONTENT_FIELDS:
        new_value = getattr(incoming, name)
        if not _filled(new_value):
            continue
        old_value = getattr(existing, name)
        groups = COMPOSITE_PARTS.get(name)
        if groups is not None and _filled(old_value):
            part = getattr(merged, name)
            for group in groups:
                key = f"{name}.{group[0]}"
                if not any(_filled(getattr(new_value, sub)) for sub in group):
                    continue
                won = incoming_wins(
                    key, [getattr(old_value, sub) for sub in group if _filled(getattr(old_value, sub))]
                )
                if won is False:
                    continue
                for sub in group:
                    value = getattr(new_value, sub)
                    setattr(
                        part,
                        sub,
                        value.model_copy(deep=True) if copy and hasattr(value, "model_copy") else value,
                    )
                if isinstance(won, SourceRecord):
                    field_sources[key] = won.id
            continue
        won = incoming_wins(name, old_value)
        if won is False:
            continue
        if copy and hasattr(new_value, "model_copy"):
            new_value = new_value.model_copy(deep=True)
        setattr(merged, name, new_value)
        if isinstance(won, SourceRecord):
            for key in _field_keys(name, new_value):
                field_sources[key] = won.id
    if not merged.nct_id and incoming.nct_id:
        merged.nct_id = incoming.nct_id
    # Every registry the trial was read from keeps finding it; the first id stays first (the key).
    for registry_id in incoming.registry_ids:
        if registry_id not in merged.registry_ids:
            merged.registry_ids = [*merged.registry_ids, registry_id]
    sources = {source.id: source for source in merged.sources}
    for source in incoming.sources:
        sources[source.id] = source
    merged.sources = sorted(sources.values(), key=lambda s: (_date(s), s.id))
    merged.field_sources = {
        key: field_sources[key]
        for name in CONTENT_FIELDS
        for key in (
            [name] if name not in COMPOSITE_PARTS else [f"{name}.{g[0]}" for g in COMPOSITE_PARTS[name]]
        )
        if key in field_sources
    }
    merged.is_partial = was_partial and incoming.is_partial
    return merged
