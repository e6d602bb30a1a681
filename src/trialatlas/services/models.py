"""One request and one response model per operation of the application core.

search, related, regimen, dose, ingest and near each have the document they are asked with and the
document they answer; the REST API, the web pages, the CLI's ``--json`` and Python callers all
exchange these, so one question has one answer whatever the interface. Matching's models are in
:mod:`trialatlas.services.match_models` (they hold the patient model, which loads the criteria
parser) and one trial's document is :func:`trialatlas.services.sections.trial_document`: a command
that needs neither pays for neither.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Sequence
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from trialatlas.errors import QueryError
from trialatlas.search import FACETS, FacetCount, Filters, SearchResults, SortKey
from trialatlas.search.filters import COMMA_FILTERS, MAX_ENROLLMENT, FilterFields
from trialatlas.services.checks import MAX_LIMIT, MAX_PAGE, check_trial_id
from trialatlas.text.schema_patterns import portable

MAX_QUERY_TERMS = 40
# A query of at most MAX_QUERY_TERMS white-space separated terms.
QUERY_TERMS_PATTERN = portable(rf"^\s*(?:\S+\s+){{0,{MAX_QUERY_TERMS - 1}}}\S*\s*$")
# Seconds one search may run in the store before it is stopped as too costly (a 400 from the API).
SEARCH_BUDGET_S = 5.0


Request = TypeVar("Request", bound=BaseModel)

# A ``facet`` entry: ``name:value``, the name of a facet and a value its filter takes
# (facet_choices, then the search, apply the same rule), or blank: a repeated parameter's empty
# values are dropped, as plain HTML forms send them (split_values).
FACET_ENTRY_PATTERN = portable(
    r"^(?:\s*|"
    + "|".join(rf"\s*{re.escape(name)}\s*:(?:{facet.value_pattern})" for name, facet in FACETS.items())
    + ")$"
)


def validation_problems(exc: ValidationError, whole: str = "request") -> str:
    """What a pydantic validation refused, as one line: ``field: why; field: why``."""
    return "; ".join(
        f"{'.'.join(str(p) for p in error['loc']) or whole}: {error['msg']}" for error in exc.errors()
    )


def checked(model: type[Request], data: Any) -> Request:
    """``data`` read as ``model``; a value out of its range is a :class:`QueryError` saying which."""
    if isinstance(data, model):
        return data
    unknown = sorted(set(data) - set(model.model_fields)) if isinstance(data, dict) else []
    if unknown:
        # SearchRequest ignores extra fields (the API's query string carries others): a caller's
        # misspelt filter must not be dropped silently.
        known = ", ".join(model.model_fields)
        raise QueryError(f"unknown field {', '.join(map(repr, unknown))}; known: {known}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise QueryError(validation_problems(exc)) from exc


# --- search ------------------------------------------------------------------------------------


class SearchRequest(FilterFields):
    """One search as the page URL, the API query string and the CLI options hold it.

    Its filters are :class:`trialatlas.search.filters.FilterFields`, kept as typed: the search package
    checks the values (and says what is wrong with one). Facets registered without a filter of their
    own are chosen with ``facet`` entries ``name:value`` (``start_year:2019``). Repeated list values
    may be empty (plain HTML forms send them) and vocabulary ones comma-separated (``phase=2,3``).
    """

    # The REST API reads this model from the whole query string, which also carries other parameters.
    model_config = ConfigDict(extra="ignore")

    q: str = Field(
        default="",
        max_length=500,
        # At most MAX_QUERY_TERMS terms (the validator below): the grammar itself is beyond a schema.
        json_schema_extra={"pattern": QUERY_TERMS_PATTERN},
        description='The query: words (all must occur), "phrases", AND/OR/NOT, (groups), nephr*, '
        "and cond: intr: title: sponsor: id: fields. Abbreviations and synonyms are expanded; "
        "status, phase, country and age words are read as filters (see `interpreted`).",
    )
    facet: list[str] = Field(
        default_factory=list,
        description="name:value of a facet, for facets without a filter of their own "
        "(start_year:2019, completion_year:2025, enrollment:100-499, last_update_year:2024).",
        json_schema_extra={"items": {"type": "string", "pattern": FACET_ENTRY_PATTERN}},
    )
    location: str = Field(
        default="",
        max_length=200,
        description='Near a place: "City[, State], Country" or "lat, lon" (offline gazetteer). Hits '
        "are then sorted by the distance to their nearest site, each giving that site.",
    )
    radius_km: float | None = Field(
        default=None,
        gt=0,
        le=25_000,
        description="Only trials with a site within this of the location (a 400 without a location).",
    )
    sort: SortKey = Field(default=SortKey.RELEVANCE, description="Relevance, or newest/largest first.")
    order: Literal["asc", "desc"] | None = Field(default=None, description="asc: oldest or smallest first.")
    mode: Literal["all", "any"] = Field(default="all", description="Whether all words must occur.")
    expand: bool = Field(default=True, description="Expand abbreviations and synonyms.")
    cursor: str | None = Field(
        default=None, max_length=300, description="next_cursor of the previous page, unchanged."
    )
    page: int = Field(default=1, ge=1, le=MAX_PAGE, description="The page the cursor starts (numbering).")
    limit: int = Field(default=20, ge=1, le=MAX_LIMIT)

    @field_validator("q")
    @classmethod
    def _bounded_terms(cls, value: str) -> str:
        # The cost of a query grows with its terms (each is expanded, matched and scored): past
        # MAX_QUERY_TERMS a query is refused, not run for tens of seconds.
        terms = len(value.split())
        if terms > MAX_QUERY_TERMS:
            raise ValueError(f"{terms} terms; a query may have at most {MAX_QUERY_TERMS}")
        return value

    @field_validator("*", mode="before")
    @classmethod
    def _values(cls, value: Any, info: Any) -> Any:
        if info.field_name not in LIST_FIELDS or value is None:
            return [] if info.field_name in LIST_FIELDS else value
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            return value  # not text: the field's own validation says what is wrong
        return split_values(info.field_name, value)

    def filters(self) -> dict[str, Any]:
        """The filters as :func:`trialatlas.search.search` takes them (it validates them)."""
        data = self.model_dump(include=set(FILTER_FIELDS), exclude_defaults=True)
        chosen: dict[str, list[str]] = {}
        for name, value in facet_choices(self.facet):
            chosen.setdefault(name, []).append(value)
        if chosen:
            data["facet_values"] = chosen
        return data


# The SearchRequest fields that are filters (all of Filters' but facet_values, which ``facet`` carries).
FILTER_FIELDS: frozenset[str] = frozenset(FilterFields.model_fields)
assert frozenset(Filters.model_fields) - {"facet_values"} == FILTER_FIELDS
# Fields that take several values (repeated parameters).
LIST_FIELDS: frozenset[str] = frozenset(
    name for name, info in SearchRequest.model_fields.items() if typing.get_origin(info.annotation) is list
)


def split_values(name: str, values: Sequence[str]) -> list[str]:
    """The values of a repeated parameter, empty ones dropped (plain HTML forms send them)."""
    parts = (part for value in values for part in (value.split(",") if name in COMMA_FILTERS else [value]))
    return [part.strip() for part in parts if part.strip()]


def facet_choices(entries: Sequence[str]) -> list[tuple[str, str]]:
    """``name:value`` entries as pairs; the search package checks the names and values."""
    pairs: list[tuple[str, str]] = []
    for entry in entries:
        name, colon, value = entry.partition(":")
        if not colon or not name.strip() or not value.strip():
            raise QueryError(f"facet {entry[:60]!r}: write it as name:value, e.g. start_year:2019")
        pairs.append((name.strip(), value.strip()))
    return pairs


class Stats(BaseModel):
    """The trials a search matches, counted by facet (a selected facet is counted without its own
    selection, as in search results, so its alternatives show)."""

    total: int
    facets: dict[str, list[FacetCount]]
    interpreted: list[str] = Field(default_factory=list)


class StoreCounts(BaseModel):
    """What the store holds: its trials (and the partial ones among them) counted by registry,
    status, phase, study type, country and start year, most frequent first (start years newest
    first); a trial in several registries, phases or countries counts in each. ``stats --json`` and
    ``GET /api/stats`` give this document (:meth:`trialatlas.services.atlas.Atlas.store_counts`)."""

    trials: int
    partial: int
    by_registry: dict[str, int]
    by_status: dict[str, int]
    by_phase: dict[str, int]
    by_study_type: dict[str, int]
    by_country: dict[str, int]
    by_start_year: dict[str, int]


# --- related trials, regimens, doses --------------------------------------------------


class RelatedRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    nct: str
    top: int = Field(default=10, ge=1, le=50)
    dense: bool = Field(
        default=False, description="Fuse the ranking with sentence embeddings (the 'embeddings' extra)."
    )


class DoseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    nct: str
    # The dose calculator (trialatlas.extract.regimen.dose) refuses a weight outside 0.3-350 kg or a height
    # outside 20-250 cm with a message giving the range; here only the sign is checked.
    weight: float = Field(gt=0, description="Body weight in kg (0.3-350 accepted).")
    height: float | None = Field(
        default=None, gt=0, description="Height in cm, for m² doses (20-250 accepted)."
    )


# --- ingest --------------------------------------------------------------------------------------


class IngestProblem(BaseModel):
    location: str
    reason: str


class IngestResponse(BaseModel):
    read: int
    new: int
    updated: int
    unchanged: int
    failed: int
    seconds: float
    errors: list[IngestProblem] = Field(description="The first records that could not be read, and why.")
    warned: int = Field(default=0, description="Records kept with values that could not be read.")
    warnings: list[IngestProblem] = Field(
        default_factory=list, description="The first of those values: the record, the field and why."
    )


# --- near ----------------------------------------------------------------------------------------


class NearRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    location: str = Field(
        min_length=1,
        max_length=200,
        # Not blank: the handler reads the place from the text without its white space.
        json_schema_extra={"pattern": portable(r"\S")},
        description='Where the patient is: "City[, State], Country" or "lat, lon".',
    )
    radius_km: float | None = Field(default=None, ge=0, le=25_000, description="Only sites within this.")
    limit: int = Field(default=20, ge=1, le=MAX_LIMIT)
    include_not_yet: bool = Field(default=False, description="Count sites not yet recruiting too.")


class NearOrigin(BaseModel):
    name: str
    lat: float
    lon: float


class NearTrial(BaseModel):
    key: str
    title: str
    overall_status: str | None
    distance_km: float
    facility: str | None
    city: str | None
    state: str | None
    country: str | None
    located_by: str
    recruiting_sites: int


class NearResponse(BaseModel):
    origin: NearOrigin
    scanned: int
    recruiting_trials: int
    unlocated_sites: int
    trials: list[NearTrial]


__all__ = [
    "FILTER_FIELDS",
    "LIST_FIELDS",
    "MAX_ENROLLMENT",
    "MAX_LIMIT",
    "DoseRequest",
    "IngestProblem",
    "IngestResponse",
    "NearOrigin",
    "NearRequest",
    "NearResponse",
    "NearTrial",
    "RelatedRequest",
    "SearchRequest",
    "SearchResults",
    "Stats",
    "check_trial_id",
    "checked",
    "facet_choices",
    "split_values",
    "validation_problems",
]
