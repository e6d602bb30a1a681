"""Search filters: what a caller can restrict results to, checked and turned into conditions.

Value filters (status, phase, country, …) select facet values: several values of one filter are
alternatives, different filters all apply. Range filters (a patient's age, dates, enrollment) compare
columns of ``search_docs``; they are data (:class:`Range`), evaluated over the index's arrays, so no
value is ever formatted into SQL.

:func:`interpret` reads filters out of a query's own words ("recruiting phase 4 in China for
children"), so that users can type them the way they say them.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from trialatlas.errors import QueryError
from trialatlas.model.values import ISO_PARTIAL_DATE
from trialatlas.search.facets import BUILTIN_FACETS, FACETS, SEX_PATTERN, facet_key
from trialatlas.text.schema_patterns import comma_list

# Filters that select facet values, by Filters field name (equal to the facet's name).
VALUE_FILTERS: tuple[str, ...] = (
    "status",
    "phase",
    "study_type",
    "condition",
    "intervention",
    "intervention_type",
    "sponsor",
    "sponsor_class",
    "country",
    "city",
    "age_group",
)


# Vocabulary filters, whose values never hold a comma, may also be written comma-separated
# (``phase=2,3``); free-text ones (a country such as "Korea, Republic of") are repeated instead.
COMMA_FILTERS: frozenset[str] = frozenset(
    {"status", "phase", "study_type", "intervention_type", "sponsor_class", "age_group"}
)
# The query fields of FilterFields, with the query-language field each one is limited to (None: any)
# and the label its messages name it by.
QUERY_FIELDS: dict[str, tuple[str | None, str]] = {
    "cond": ("cond", "Condition"),
    "intr": ("intr", "Intervention"),
    "term": (None, "Other terms"),
}
# Larger than any trial's, small enough for SQLite's integers.
MAX_ENROLLMENT = 100_000_000
_DATE = "A date: 2019, 2019-06 or 2019-06-30."


def _vocabulary(name: str, description: str) -> Any:
    """A vocabulary filter: repeated, or comma-separated; the schema states what its facet takes."""
    facet = next(facet for facet in BUILTIN_FACETS if facet.name == name)
    items: dict[str, Any] = {"type": "string", "pattern": f"^{comma_list(facet.value_pattern)}$"}
    return Field(default_factory=list, description=description, json_schema_extra={"items": items})


def _date_field() -> Any:
    # The schema states the rule the validator below applies (its message says what to type).
    return Field(
        default=None, max_length=10, description=_DATE, json_schema_extra={"pattern": ISO_PARTIAL_DATE}
    )


class FilterFields(BaseModel):
    """Every search filter, declared once, as a caller types it.

    :class:`Filters` (what :func:`trialatlas.search.search` checks and applies) and the services'
    ``SearchRequest`` (what the REST API, the pages and the CLI read) both take their filter fields
    from here, so a filter added here reaches every interface.
    """

    model_config = ConfigDict(extra="forbid")

    status: list[str] = _vocabulary(
        "status",
        "Overall status (RECRUITING, COMPLETED, …; 'recruiting' = RECRUITING, 'open' = still enrolling). "
        "None given: every status (the web form starts with RECRUITING and NOT_YET_RECRUITING chosen, "
        "and says so in its address).",
    )
    phase: list[str] = _vocabulary("phase", "1, 2, 3, 4, 1/2, early 1, NA (or PHASE2 …).")
    study_type: list[str] = _vocabulary("study_type", "INTERVENTIONAL, OBSERVATIONAL …")
    condition: list[str] = Field(default_factory=list, description="A condition as the registry lists it.")
    intervention: list[str] = Field(default_factory=list, description="An intervention name.")
    intervention_type: list[str] = _vocabulary("intervention_type", "DRUG, BIOLOGICAL, DEVICE, …")
    sponsor: list[str] = Field(default_factory=list, description="The lead sponsor.")
    sponsor_class: list[str] = _vocabulary("sponsor_class", "INDUSTRY, NIH, OTHER, …")
    country: list[str] = Field(default_factory=list, description="Country of a site.")
    city: list[str] = Field(default_factory=list, description="City of a site.")
    age_group: list[str] = _vocabulary("age_group", "CHILD, ADULT, OLDER_ADULT.")
    # The fields of ClinicalTrials.gov's search form, each a query of its own (same language as q),
    # all of them and q applying together: cond and intr limited to the conditions or interventions
    # (as cond:(…) and intr:(…) in q), term searched anywhere. Unlike the condition and intervention
    # filters (a value as the registry lists it), they match words: "lupus" finds "Lupus Nephritis".
    cond: str = Field(
        default="",
        max_length=500,
        description="Condition or disease: words searched in the conditions (as cond:(…) in q).",
    )
    intr: str = Field(
        default="",
        max_length=500,
        description="Intervention or treatment: words searched in the interventions (as intr:(…) in q).",
    )
    term: str = Field(
        default="",
        max_length=500,
        description="Other terms: words searched anywhere in the record (as in q).",
    )
    age: float | None = Field(default=None, ge=0, le=150, description="A patient's age in years.")
    sex: str | None = Field(
        default=None,
        max_length=20,
        json_schema_extra={"pattern": SEX_PATTERN},
        description="A patient's sex (female, male): trials open to it (or to all).",
    )
    healthy_volunteers: bool | None = Field(default=None, description="Accepts healthy volunteers.")
    has_results: bool | None = Field(default=None, description="Has posted results.")
    start_from: str | None = _date_field()
    start_to: str | None = _date_field()
    completion_from: str | None = _date_field()
    completion_to: str | None = _date_field()
    updated_since: str | None = _date_field()
    enrollment_min: int | None = Field(default=None, ge=0, le=MAX_ENROLLMENT)
    enrollment_max: int | None = Field(default=None, ge=0, le=MAX_ENROLLMENT)


class Filters(FilterFields):
    """Restrictions on a search; every one also comes back as a facet with counts."""

    facet_values: dict[str, list[str]] = Field(
        default_factory=dict, description="Values of facets registered without a filter of their own."
    )

    @field_validator(*VALUE_FILTERS, mode="before")
    @classmethod
    def _listify(cls, value: Any) -> Any:
        if value is None:
            return []
        return [value] if isinstance(value, str) else value

    @field_validator("start_from", "start_to", "completion_from", "completion_to", "updated_since")
    @classmethod
    def _date(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not re.fullmatch(ISO_PARTIAL_DATE, value):
            raise ValueError(f"{value!r} is not a date (use 2019, 2019-11 or 2019-11-12)")
        return value

    @field_validator("sex")
    @classmethod
    def _sex(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(SEX_PATTERN, value):
            raise ValueError(f"unknown sex {value[:20]!r}; choose female, male or all")
        return value

    def is_empty(self) -> bool:
        return self == Filters()

    def describe(self) -> list[str]:
        """Each active filter as ``name=value`` text, for messages and cursors."""
        data = self.model_dump(exclude_defaults=True)
        return [f"{name}={data[name]}" for name in sorted(data)]


# --- ranges ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Range:
    """A range filter: ``column op value`` over a column of ``search_docs`` (NULL never passes), or, for
    the column ``age``, trials that take a patient of that age."""

    column: Literal["age", "start_date", "completion_date", "last_update", "enrollment"]
    op: Literal[">=", "<=", "takes"]
    value: Any


def _date_ceiling(partial: str) -> str:
    """The last day a partial date can mean: "2020" → 2020-12-31, "2020-02" → 2020-02-29."""
    parts = partial.split("-")
    if len(parts) == 1:
        return f"{parts[0]}-12-31"
    if len(parts) == 2:
        year, month = int(parts[0]), int(parts[1])
        return f"{parts[0]}-{parts[1]}-{calendar.monthrange(year, month)[1]:02d}"
    return partial


def _date_floor(partial: str) -> str:
    parts = partial.split("-")
    while len(parts) < 3:
        parts.append("01")
    return "-".join(parts)


def value_filters(filters: Filters) -> dict[str, list[str]]:
    """Facet keys selected per facet (each typed value checked and expanded by its facet)."""
    selected: dict[str, list[str]] = {}
    typed: dict[str, list[str]] = {name: getattr(filters, name) for name in VALUE_FILTERS}
    if filters.sex is not None:
        typed["sex"] = [filters.sex]
    if filters.healthy_volunteers is not None:
        typed["healthy_volunteers"] = ["yes" if filters.healthy_volunteers else "no"]
    if filters.has_results is not None:
        typed["has_results"] = ["yes" if filters.has_results else "no"]
    for name, values in filters.facet_values.items():
        if name not in FACETS:
            raise QueryError(f"no facet {name!r}; facets are {', '.join(FACETS)}")
        typed.setdefault(name, []).extend(values)
    for name, values in typed.items():
        if not values:
            continue
        keys: dict[str, None] = {}
        for value in values:
            keys.update((key, None) for key in FACETS[name].keys_for(str(value)))
        selected[name] = list(keys)
    return selected


def range_conditions(filters: Filters) -> list[Range]:
    conditions: list[Range] = []
    if filters.age is not None:
        conditions.append(Range("age", "takes", filters.age))
    if filters.start_from is not None:
        conditions.append(Range("start_date", ">=", _date_floor(filters.start_from)))
    if filters.start_to is not None:
        conditions.append(Range("start_date", "<=", _date_ceiling(filters.start_to)))
    if filters.completion_from is not None:
        conditions.append(Range("completion_date", ">=", _date_floor(filters.completion_from)))
    if filters.completion_to is not None:
        conditions.append(Range("completion_date", "<=", _date_ceiling(filters.completion_to)))
    if filters.updated_since is not None:
        conditions.append(Range("last_update", ">=", _date_floor(filters.updated_since)))
    if filters.enrollment_min is not None:
        conditions.append(Range("enrollment", ">=", filters.enrollment_min))
    if filters.enrollment_max is not None:
        conditions.append(Range("enrollment", "<=", filters.enrollment_max))
    return conditions


# --- reading filters out of the query ------------------------------------------------------------

_STATUS_PHRASES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("not", "yet", "recruiting"), "NOT_YET_RECRUITING"),
    (("enrolling", "by", "invitation"), "ENROLLING_BY_INVITATION"),
    (("active", "not", "recruiting"), "ACTIVE_NOT_RECRUITING"),
    (("recruiting",), "RECRUITING"),
)
_PHASE_WORD = re.compile(r"^(?:phase)?([1-4]|i{1,3}|iv)(?:/([1-4]|i{1,3}|iv))?$")
_AGE_WORDS = {
    "children": "CHILD",
    "child": "CHILD",
    "kids": "CHILD",
    "pediatric": "CHILD",
    "paediatric": "CHILD",
    "infants": "CHILD",
    "adolescents": "CHILD",
    "adults": "ADULT",
    "elderly": "OLDER_ADULT",
}
_AGE_PREPOSITIONS = frozenset({"in", "for", "among", "of"})


@dataclass
class Interpretation:
    """Words of the query read as filters: which word positions, the filter values, and a note each."""

    used: set[int] = field(default_factory=set)
    values: dict[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def take(self, positions: range, name: str, value: str, words: Sequence[str]) -> None:
        self.used.update(positions)
        self.values.setdefault(name, []).append(value)
        self.notes.append(f"{name}={value} (from '{' '.join(words[i] for i in positions)}')")


def interpret(words: Sequence[str], is_country: Callable[[str], str | None]) -> Interpretation:
    """Filters said in words: a status, "phase N", "in <country>", "for children".

    Only a query's top-level plain words are offered (never quoted phrases or fielded terms), and a
    filter the caller set explicitly wins over one read from words (the caller decides that).
    """
    keys = [re.sub(r"[^\w/]+", "", word.casefold()) for word in words]
    found = Interpretation()
    i = 0
    while i < len(keys):
        matched = False
        for phrase, status in _STATUS_PHRASES:
            end = i + len(phrase)
            if tuple(keys[i:end]) == phrase:
                found.take(range(i, end), "status", status, words)
                i, matched = end, True
                break
        if matched:
            continue
        if keys[i] == "phase" and i + 1 < len(keys) and _PHASE_WORD.match(keys[i + 1]):
            found.take(range(i, i + 2), "phase", keys[i + 1], words)
            i += 2
            continue
        if keys[i].startswith("phase") and _PHASE_WORD.match(keys[i]) and keys[i] != "phase":
            found.take(range(i, i + 1), "phase", keys[i], words)
            i += 1
            continue
        if keys[i] in _AGE_PREPOSITIONS and i + 1 < len(keys) and keys[i + 1] in _AGE_WORDS:
            found.take(range(i, i + 2), "age_group", _AGE_WORDS[keys[i + 1]], words)
            i += 2
            continue
        country_span = _country_at(keys, i, is_country)
        if country_span is not None:
            end, name = country_span
            start = i - 1 if i > 0 and keys[i - 1] == "in" and i - 1 not in found.used else i
            found.take(range(start, end), "country", name, words)
            i = end
            continue
        i += 1
    return found


def _country_at(
    keys: Sequence[str], i: int, is_country: Callable[[str], str | None]
) -> tuple[int, str] | None:
    for length in (3, 2, 1):
        if i + length <= len(keys):
            candidate = " ".join(keys[i : i + length])
            if len(candidate) >= 4 or length > 1:
                name = is_country(facet_key(candidate))
                if name is not None:
                    return i + length, name
    return None
