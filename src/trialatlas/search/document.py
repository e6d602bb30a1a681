"""What the search index keeps of one trial: its searchable texts, filter columns, facet values, the
summary shown in results, and what the texts teach about abbreviations and MeSH names."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from trialatlas.model import Trial
from trialatlas.model.values import date_floor
from trialatlas.search.facets import FACETS, completion_date, last_update
from trialatlas.search.query import COLUMNS
from trialatlas.search.synonyms import learned_pairs, norm
from trialatlas.store.compression import compress
from trialatlas.text.words import STOP_WORDS

SUMMARY_LIST_LIMIT = 8
# Snippets read only the start of a column: re-cutting whole criteria would dominate a search.
SNIPPET_SOURCE_CHARS = 2000


@dataclass
class Document:
    key: str
    nct_id: str | None
    is_partial: bool
    texts: tuple[str, ...]
    summary: dict[str, Any]
    status: str | None
    study_type: str | None
    start_date: str | None
    completion_date: str | None
    last_update: str | None
    enrollment: int | None
    min_age: float | None
    max_age: float | None
    ages_known: bool
    facets: list[tuple[str, str]] = field(default_factory=list)
    learned: list[tuple[str, str, str]] = field(default_factory=list)


def _join(parts: list[str | None]) -> str:
    return "\n".join(part.strip() for part in parts if part and part.strip())


def _floor(partial: str | None) -> str | None:
    floor = date_floor(partial)
    return floor.isoformat() if floor else None


def trial_texts(trial: Trial) -> tuple[str, ...]:
    """The texts of each FTS column (:data:`~trialatlas.search.query.COLUMNS`, in order)."""
    eligibility = trial.eligibility
    criteria = eligibility.criteria_text or _join(
        [
            *(f"Inclusion: {c}" for c in eligibility.inclusion),
            *(f"Exclusion: {c}" for c in eligibility.exclusion),
        ]
    )
    sponsors = [trial.lead_sponsor.name if trial.lead_sponsor else None]
    sponsors += [c.name for c in trial.collaborators]
    if trial.organization and trial.organization.name:
        sponsors.append(trial.organization.name)
    texts = {
        "title": _join([trial.acronym, trial.brief_title, trial.official_title]),
        "conditions": _join([*trial.conditions, *trial.keywords, *(m.term for m in trial.condition_mesh)]),
        "interventions": _join(
            [
                *(i.name for i in trial.interventions),
                *(name for i in trial.interventions for name in i.other_names),
                *(m.term for m in trial.intervention_mesh),
            ]
        ),
        "summary": trial.brief_summary or "",
        "description": _join(
            [
                trial.detailed_description,
                *(a.description for a in trial.arms),
                *(i.description for i in trial.interventions),
            ]
        ),
        "eligibility": _join([criteria, eligibility.study_population]),
        "outcomes": _join([part for o in trial.outcomes for part in (o.measure, o.description)]),
        "sponsors": _join(list(dict.fromkeys(sponsors))),
    }
    return tuple(texts[column] for column in COLUMNS)


def _summary(trial: Trial) -> dict[str, Any]:
    status, design, eligibility = trial.status, trial.design, trial.eligibility
    data: dict[str, Any] = {
        "key": trial.key,
        "nct_id": trial.nct_id,
        "title": trial.title,
        "acronym": trial.acronym,
        "status": status.overall_status.value if status.overall_status else None,
        "phases": [phase.value for phase in design.phases],
        "study_type": design.study_type.value if design.study_type else None,
        "conditions": trial.conditions[:SUMMARY_LIST_LIMIT],
        "interventions": [i.name for i in trial.interventions[:SUMMARY_LIST_LIMIT]],
        "sponsor": trial.lead_sponsor.name if trial.lead_sponsor else None,
        "start_date": status.start_date.date if status.start_date else None,
        "completion_date": completion_date(trial),
        "last_update": last_update(trial),
        "enrollment": design.enrollment.count if design.enrollment else None,
        "min_age_years": eligibility.minimum_age.years if eligibility.minimum_age else None,
        "max_age_years": eligibility.maximum_age.years if eligibility.maximum_age else None,
        "sex": eligibility.sex.value if eligibility.sex else None,
        "countries": trial.countries[:SUMMARY_LIST_LIMIT],
        "has_results": trial.has_results,
        "is_partial": trial.is_partial,
    }
    return {name: value for name, value in data.items() if value not in (None, [], "")}


def _content_words(text: str) -> set[str]:
    return {word for word in norm(text).split() if word not in STOP_WORDS and len(word) > 2}


def _mesh_pairs(names: list[str], terms: list[str]) -> list[tuple[str, str]]:
    """Names paired with the MeSH terms given for them: all of them when the trial names one thing,
    else those sharing a word (which of several conditions a term was given for is not recorded)."""
    pairs: list[tuple[str, str]] = []
    if not names or not terms:
        return pairs
    # Each name and term normalised once, not once per pair.
    term_forms = [(norm(term), _content_words(term)) for term in terms]
    for name in names:
        a, words = norm(name), _content_words(name)
        for b, term_words in term_forms:
            if (len(names) == 1 or words & term_words) and a and b and a != b:
                pairs.extend([(a, b), (b, a)])
    return pairs


def learned_rows(trial: Trial, texts: tuple[str, ...]) -> list[tuple[str, str, str]]:
    """``(kind, key, alternative)`` rows: abbreviations the texts define (both ways), MeSH names."""
    rows: dict[tuple[str, str, str], None] = {}
    for short, long in learned_pairs(texts):
        rows[("abbr", short, long)] = None
        rows[("abbr_of", long, short)] = None
    conditions = [c for c in trial.conditions if c.strip()]
    for a, b in _mesh_pairs(conditions, [m.term for m in trial.condition_mesh][:3]):
        rows[("mesh", a, b)] = None
    drugs = [i.name for i in trial.interventions if i.name.strip()]
    for a, b in _mesh_pairs(drugs, [m.term for m in trial.intervention_mesh][:3]):
        rows[("mesh", a, b)] = None
    return list(rows)


def make_document(trial: Trial) -> Document:
    texts = trial_texts(trial)
    eligibility = trial.eligibility
    facets = [(name, value) for name, facet in FACETS.items() for value in facet.values(trial)]
    min_age = eligibility.minimum_age.years if eligibility.minimum_age else None
    max_age = eligibility.maximum_age.years if eligibility.maximum_age else None
    return Document(
        key=trial.key,
        nct_id=trial.nct_id,
        is_partial=trial.is_partial,
        texts=texts,
        summary=_summary(trial),
        status=trial.status.overall_status.value if trial.status.overall_status else None,
        study_type=trial.design.study_type.value if trial.design.study_type else None,
        start_date=_floor(trial.status.start_date.date if trial.status.start_date else None),
        completion_date=_floor(completion_date(trial)),
        last_update=_floor(last_update(trial)),
        enrollment=trial.design.enrollment.count if trial.design.enrollment else None,
        min_age=min_age,
        max_age=max_age,
        # A full record with no age limits takes every age; a partial one may just not show them.
        ages_known=not trial.is_partial or min_age is not None or max_age is not None,
        facets=facets,
        learned=learned_rows(trial, texts),
    )


def encode_texts(texts: Sequence[str]) -> bytes:
    """What the index keeps of the texts: the start of each column, all that snippets and briefs
    read (the words themselves are in the engine; the whole texts in the store). Compressed as the
    store compresses (ISA-L: a third of zlib's CPU at level 1, the same stream format)."""
    return compress(orjson.dumps([text[:SNIPPET_SOURCE_CHARS] for text in texts]), 1)
