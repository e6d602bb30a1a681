"""Facets: the values of a trial that search can filter by and count under a query.

Every facet is registered in :data:`FACETS` with the function that reads its values off a trial; the
index stores those values per trial (``search_facets``), and the service counts them for the trials a
query matches. A new facet joins as a ``trialatlas.facets`` entry point (or by :func:`register_facet`)
and an index rebuild: it is then counted in every result and can be filtered on through
``Filters.facet_values``. ``accept`` turns what a user types into facet keys (shortcuts, spellings),
raising :class:`QueryError` for a value that cannot be.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from trialatlas.errors import PluginError, QueryError
from trialatlas.model import Trial
from trialatlas.model.enums import (
    OPEN_STATUSES,
    AgencyClass,
    InterventionType,
    OverallStatus,
    Phase,
    Sex,
    StandardAge,
    StudyType,
)
from trialatlas.model.registries import registry_name
from trialatlas.plugins import FACETS as FACETS_GROUP
from trialatlas.plugins import PluginGroup
from trialatlas.text.schema_patterns import (
    ANY_TEXT,
    SEPARATOR,
    any_case,
    any_of_words,
    enum_words_pattern,
    portable,
)


def facet_key(label: str) -> str:
    """How facet values compare: case and spacing do not matter."""
    return " ".join(label.split()).casefold()


def value_key(facet: str, label: str) -> str:
    """The key a value of ``facet`` is stored and selected under."""
    return country_key(label) if facet == "country" else facet_key(label)


@dataclass(frozen=True)
class Facet:
    name: str
    label: str
    values: Callable[[Trial], Iterable[str]]
    accept: Callable[[str], list[str]] | None = None
    # Years, phases and buckets read best in their own order; other facets are listed by count.
    sort_key: Callable[[str], Any] | None = None
    # What ``accept`` takes, as a regex without anchors (JSON-Schema syntax, so that the API's schema
    # states it); ``None``: any text that is not blank.
    pattern: str | None = None

    @property
    def value_pattern(self) -> str:
        """The regex (without anchors) of a value this facet's filter takes."""
        return self.pattern if self.pattern is not None else ANY_TEXT

    def keys_for(self, value: str) -> list[str]:
        """The facet keys a typed filter value selects."""
        if self.accept is not None:
            return self.accept(value)
        key = facet_key(value)
        if not key:
            raise QueryError(f"an empty {self.name} filter")
        return [key]


class FacetRegistry(Mapping[str, "Facet"]):
    """Every facet by name, in registration order: the built-ins, then those of other packages.

    Facets are entry points of the ``trialatlas.facets`` group (:mod:`trialatlas.plugins`), loaded the
    first time the registry is read.
    """

    def __init__(self) -> None:
        self._facets: dict[str, Facet] = {}
        self._plugins = PluginGroup(FACETS_GROUP, self._add_plugin)

    def _add_plugin(self, name: str, loaded: Any) -> None:
        facets = loaded if isinstance(loaded, list | tuple) else [loaded]
        for facet in facets:
            if not isinstance(facet, Facet):
                raise PluginError(f"facet plugin {name!r} gave {type(facet).__name__}, not a Facet")
            if facet.name not in self._facets:
                self._facets[facet.name] = facet

    def add(self, facet: Facet) -> Facet:
        if facet.name in self._facets:
            raise PluginError(f"facet {facet.name!r} is already registered")
        self._facets[facet.name] = facet
        return facet

    def _loaded(self) -> dict[str, Facet]:
        self._plugins.ensure_loaded()
        return self._facets

    def __getitem__(self, name: str) -> Facet:
        return self._loaded()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._loaded())

    def __len__(self) -> int:
        return len(self._loaded())


FACETS = FacetRegistry()


def register_facet(facet: Facet) -> Facet:
    """Add a facet for this process (packages declare theirs as ``trialatlas.facets`` entry points)."""
    return FACETS.add(facet)


# The built-in facets, in the order results list them; the entry point ``builtin`` names this list.
BUILTIN_FACETS: list[Facet] = []
_builtin = BUILTIN_FACETS.append


# --- accepting typed values ----------------------------------------------------------------------


def _enum_word(value: str) -> str:
    return re.sub(r"[\s\-/]+", "_", value.strip()).upper()


class _EnumAcceptor:
    """A vocabulary filter's values: the choices and shortcuts in any case, words joined by ``_``,
    spaces, hyphens or slashes (as :func:`_enum_word` reads them); ``pattern`` says the same."""

    def __init__(
        self, name: str, choices: Iterable[str], shortcuts: dict[str, list[str]] | None = None
    ) -> None:
        self.name = name
        self.allowed = {choice.upper(): choice for choice in choices}
        self.extra = {key.upper(): value for key, value in (shortcuts or {}).items()}
        self.pattern = enum_words_pattern([*self.extra, *self.allowed])

    def __call__(self, value: str) -> list[str]:
        word = _enum_word(value)
        if word in self.extra:
            return [facet_key(v) for v in self.extra[word]]
        if word in self.allowed:
            return [facet_key(self.allowed[word])]
        options = ", ".join([*(k.lower() for k in self.extra), *sorted(self.allowed)])
        raise QueryError(f"unknown {self.name} {value!r}; choose one of {options}")


_accept_study_type = _EnumAcceptor("study type", (s.value for s in StudyType))
_accept_intervention_type = _EnumAcceptor("intervention type", (s.value for s in InterventionType))
_accept_sponsor_class = _EnumAcceptor("sponsor class", (s.value for s in AgencyClass))
_accept_age_group = _EnumAcceptor(
    "age group", (s.value for s in StandardAge), {"CHILDREN": ["CHILD"], "ADULTS": ["ADULT"]}
)

_accept_status = _EnumAcceptor(
    "status",
    (s.value for s in OverallStatus),
    # "recruiting" is the enum value itself (RECRUITING only); "open" is every status still enrolling.
    {"OPEN": sorted(OPEN_STATUSES), "ACTIVE": ["ACTIVE_NOT_RECRUITING"]},
)

_ROMAN = {"I": "1", "II": "2", "III": "3", "IV": "4"}


def _phase_pattern() -> str:
    """What :func:`_accept_phase` takes (no anchors): NA, early 1, or phases (1-4, I-IV, each may be
    written 'phase 2'), with an optional leading 'phase'; separators as :func:`_enum_word` reads them."""
    phase, sep = any_case("phase"), SEPARATOR
    digit = f"(?:[1-4]|{any_case('iv')}|{any_case('i')}{{1,3}})"
    number = f"(?:{phase}{sep}?)?{digit}"
    not_applicable = (
        f"(?:{any_case('n')}{sep}?{any_case('a')}|{any_case('not')}{sep}{any_case('applicable')})"
    )
    early = f"(?:{any_case('early')}(?:{sep}?1|{sep}{phase}{sep}?1)|0)"
    numbers = f"{number}(?:[_\\s\\-/]+{number})*"
    return portable(rf"\s*(?:{phase}{sep}?)?(?:{not_applicable}|{early}|{numbers})[_\s\-/]*")


PHASE_PATTERN = _phase_pattern()


def _accept_phase(value: str) -> list[str]:
    word = _enum_word(value).replace("PHASE_", "PHASE").removeprefix("PHASE")
    word = word.strip("_")
    if word in {"NA", "N_A", "NOT_APPLICABLE"}:
        return [facet_key(Phase.NA.value)]
    if word in {"EARLY_1", "EARLY_PHASE1", "EARLY1", "0"}:
        return [facet_key(Phase.EARLY_PHASE1.value)]
    parts = [part for part in re.split(r"[_,]+", word) if part]
    phases: list[str] = []
    for part in parts:
        number = part.removeprefix("PHASE")
        digit = _ROMAN.get(number, number)
        if digit not in {"1", "2", "3", "4"}:
            raise QueryError(f"unknown phase {value!r}; use 1, 2, 3, 4, 1/2, 2/3, early 1 or NA")
        phases.append(facet_key(f"PHASE{digit}"))
    if not phases:
        raise QueryError(f"unknown phase {value!r}; use 1, 2, 3, 4, 1/2, 2/3, early 1 or NA")
    return phases


_SEX_ALIASES = {
    **{word: "FEMALE" for word in ("F", "WOMAN", "WOMEN")},
    **{word: "MALE" for word in ("M", "MAN", "MEN")},
}
# Every spelling the sex filter takes, in any case: a JSON-Schema regex, so that the API's schema
# states what the filter accepts.
SEX_PATTERN = any_of_words([*_SEX_ALIASES, "FEMALE", "MALE", "ALL"])
SEX_VALUE = portable(r"\s*" + SEX_PATTERN[1:-1] + r"\s*")


def _accept_sex(value: str) -> list[str]:
    # The filter is the patient's sex: a trial open to all sexes accepts her or him.
    word = _enum_word(value)
    word = _SEX_ALIASES.get(word, word)
    if word in {"FEMALE", "MALE"}:
        return [facet_key(word), facet_key(Sex.ALL.value)]
    if word == "ALL":
        return [facet_key(Sex.ALL.value)]
    raise QueryError(f"unknown sex {value!r}; choose female, male or all")


_YES, _NO = ("yes", "true", "1", "y"), ("no", "false", "0", "n")
YES_NO = portable(r"\s*" + any_of_words([*_YES, *_NO])[1:-1] + r"\s*")


def _accept_yes_no(name: str) -> Callable[[str], list[str]]:
    def accept(value: str) -> list[str]:
        word = value.strip().casefold()
        if word in _YES:
            return ["yes"]
        if word in _NO:
            return ["no"]
        raise QueryError(f"{name} is yes or no, not {value!r}")

    return accept


_COUNTRY_ALIASES = {
    "usa": "United States",
    "us": "United States",
    "u.s.": "United States",
    "united states of america": "United States",
    "uk": "United Kingdom",
    "great britain": "United Kingdom",
    "south korea": "Korea, Republic of",
    "korea": "Korea, Republic of",
    "russia": "Russian Federation",
    "iran": "Iran, Islamic Republic of",
    "taiwan": "Taiwan",
    "prc": "China",
}


def country_key(value: str) -> str:
    key = facet_key(value)
    return facet_key(_COUNTRY_ALIASES.get(key, value))


def country_label(value: str) -> str:
    """The name a country is counted under (``stats``): the alias table's, else as written."""
    label = " ".join(value.split())
    return _COUNTRY_ALIASES.get(facet_key(label), label)


def _accept_country(value: str) -> list[str]:
    if not value.strip():
        raise QueryError("an empty country filter")
    return [country_key(value)]


# --- reading values off a trial ------------------------------------------------------------------


def _clean(values: Iterable[str | None]) -> list[str]:
    seen: dict[str, str] = {}
    for value in values:
        if value and value.strip():
            label = " ".join(value.split())
            seen.setdefault(facet_key(label), label)
    return list(seen.values())


def age_groups(trial: Trial) -> list[str]:
    """CHILD / ADULT / OLDER_ADULT: the registry's own groups, else derived from the age limits."""
    eligibility = trial.eligibility
    if eligibility.std_ages:
        return [age.value for age in eligibility.std_ages]
    low = eligibility.minimum_age.years if eligibility.minimum_age else None
    high = eligibility.maximum_age.years if eligibility.maximum_age else None
    if trial.is_partial and low is None and high is None:
        return []
    low = 0.0 if low is None else low
    high = 200.0 if high is None else high
    groups = []
    if low < 18:
        groups.append(StandardAge.CHILD.value)
    if low <= 64 and high >= 18:
        groups.append(StandardAge.ADULT.value)
    if high >= 65:
        groups.append(StandardAge.OLDER_ADULT.value)
    return groups


def _year(date: str | None) -> list[str]:
    return [date[:4]] if date and len(date) >= 4 and date[:4].isdigit() else []


ENROLLMENT_BUCKETS: tuple[tuple[int, str], ...] = (
    (50, "1-49"),
    (100, "50-99"),
    (500, "100-499"),
    (1000, "500-999"),
)


def _bucket_order(label: str) -> int:
    return int(label.split("-")[0].rstrip("+"))


_PHASE_ORDER = {phase.value: rank for rank, phase in enumerate(Phase)}


def enrollment_bucket(count: int | None) -> list[str]:
    if count is None:
        return []
    for upper, label in ENROLLMENT_BUCKETS:
        if count < upper:
            return [label]
    return ["1000+"]


def _yes_no(value: bool | None) -> list[str]:
    return [] if value is None else ["yes" if value else "no"]


def completion_date(trial: Trial) -> str | None:
    status = trial.status
    date = status.completion_date or status.primary_completion_date
    return date.date if date else None


def last_update(trial: Trial) -> str | None:
    status = trial.status
    if status.last_update_post_date:
        return status.last_update_post_date.date
    return status.last_update_submit_date


_builtin(
    Facet(
        "status",
        "Overall status",
        lambda t: _clean([t.status.overall_status.value if t.status.overall_status else None]),
        _accept_status,
        pattern=_accept_status.pattern,
    )
)
_builtin(
    Facet(
        "phase",
        "Phase",
        lambda t: [p.value for p in t.design.phases],
        _accept_phase,
        sort_key=lambda v: _PHASE_ORDER.get(v, 99),
        pattern=PHASE_PATTERN,
    )
)
_builtin(
    Facet(
        "study_type",
        "Study type",
        lambda t: [t.design.study_type.value] if t.design.study_type else [],
        _accept_study_type,
        pattern=_accept_study_type.pattern,
    )
)
_builtin(Facet("condition", "Condition", lambda t: _clean(t.conditions)))
_builtin(Facet("intervention", "Intervention", lambda t: _clean(i.name for i in t.interventions)))
_builtin(
    Facet(
        "intervention_type",
        "Intervention type",
        lambda t: _clean(i.type.value if i.type else None for i in t.interventions),
        _accept_intervention_type,
        pattern=_accept_intervention_type.pattern,
    )
)
_builtin(Facet("sponsor", "Sponsor", lambda t: _clean([t.lead_sponsor.name if t.lead_sponsor else None])))
_builtin(
    Facet(
        "sponsor_class",
        "Sponsor class",
        lambda t: _clean(
            [t.lead_sponsor.agency_class.value if t.lead_sponsor and t.lead_sponsor.agency_class else None]
        ),
        _accept_sponsor_class,
        pattern=_accept_sponsor_class.pattern,
    )
)
_builtin(Facet("registry", "Registry", lambda t: [registry_name(code) for code in t.registries]))
_builtin(Facet("country", "Country", lambda t: _clean(t.countries), _accept_country))
_builtin(Facet("city", "City", lambda t: _clean(loc.city for loc in t.locations)))
_builtin(
    Facet(
        "age_group",
        "Age group",
        age_groups,
        _accept_age_group,
        pattern=_accept_age_group.pattern,
    )
)
_builtin(
    Facet(
        "sex",
        "Sex",
        lambda t: [t.eligibility.sex.value] if t.eligibility.sex else [],
        _accept_sex,
        pattern=SEX_VALUE,
    )
)
_builtin(
    Facet(
        "healthy_volunteers",
        "Healthy volunteers",
        lambda t: _yes_no(t.eligibility.healthy_volunteers),
        _accept_yes_no("healthy_volunteers"),
        pattern=YES_NO,
    )
)
_builtin(
    Facet(
        "has_results",
        "Results posted",
        lambda t: _yes_no(t.has_results),
        _accept_yes_no("has_results"),
        pattern=YES_NO,
    )
)
_builtin(
    Facet(
        "start_year",
        "Start year",
        lambda t: _year(t.status.start_date.date if t.status.start_date else None),
        sort_key=str,
    )
)
_builtin(Facet("completion_year", "Completion year", lambda t: _year(completion_date(t)), sort_key=str))
_builtin(
    Facet(
        "enrollment",
        "Enrollment",
        lambda t: enrollment_bucket(t.design.enrollment.count if t.design.enrollment else None),
        sort_key=_bucket_order,
    )
)
_builtin(Facet("last_update_year", "Last update year", lambda t: _year(last_update(t)), sort_key=str))
