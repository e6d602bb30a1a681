"""Small value types of the trial model: partial dates and ages, with parsers for every registry spelling."""

from __future__ import annotations

import datetime as dt
import re

from pydantic import BaseModel, ConfigDict, computed_field

from trialatlas.model.enums import AgeUnit, DateType, StandardAge

_MONTHS = {
    name: index
    for index, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}

# An ISO partial date that is a real date ("2019", "2019-11", "2019-11-12"; leap days only in leap
# years; years from 1000): exactly the texts normalize_date gives back unchanged. A JSON-Schema regex
# as well, so that an API schema states the same rule its handler applies.
ISO_PARTIAL_DATE = (
    r"^([1-9][0-9]{3}(-(0[1-9]|1[0-2]))?"
    r"|[1-9][0-9]{3}-((0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])|(0[469]|11)-(0[1-9]|[12][0-9]|30)"
    r"|02-(0[1-9]|1[0-9]|2[0-8]))"
    r"|([1-9][0-9](0[48]|[2468][048]|[13579][26])|([2468][048]|[13579][26])00)-02-29)$"
)
_ISO = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")
_MONTH_DAY_YEAR = re.compile(r"^([A-Za-z]+)\.?\s+(?:(\d{1,2}),?\s+)?(\d{4})$")
_DAY_MONTH_YEAR = re.compile(r"^(\d{1,2})\s+([A-Za-z]+)\.?,?\s+(\d{4})$")
_SLASHED = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def normalize_date(text: str | None) -> str | None:
    """An ISO partial date ("2019", "2019-11" or "2019-11-12") from any registry spelling, else ``None``.

    Registries publish dates at month precision ("November 2019") as often as at day precision, and
    the precision is information: it is kept rather than padded to a first-of-month.
    """
    if text is None:
        return None
    raw = text.strip().rstrip(".")
    if not raw:
        return None
    year: int
    month: int | None = None
    day: int | None = None
    if match := _ISO.match(raw):
        year = int(match[1])
        month = int(match[2]) if match[2] else None
        day = int(match[3]) if match[3] else None
    elif match := _MONTH_DAY_YEAR.match(raw):
        month = _MONTHS.get(match[1].lower())
        if month is None:
            return None
        day = int(match[2]) if match[2] else None
        year = int(match[3])
    elif match := _DAY_MONTH_YEAR.match(raw):
        month = _MONTHS.get(match[2].lower())
        if month is None:
            return None
        day = int(match[1])
        year = int(match[3])
    elif match := _SLASHED.match(raw):
        # US export order (month/day/year), as ClinicalTrials.gov CSV exports write it.
        month, day, year = int(match[1]), int(match[2]), int(match[3])
    else:
        return None
    try:
        if day is not None and month is not None:
            return dt.date(year, month, day).isoformat()
        if month is not None:
            dt.date(year, month, 1)
            return f"{year:04d}-{month:02d}"
        return f"{year:04d}"
    except ValueError:
        return None


def date_floor(partial: str | None) -> dt.date | None:
    """The first day a partial date can mean (for sorting and range filters)."""
    if not partial:
        return None
    parts = [int(p) for p in partial.split("-")]
    while len(parts) < 3:
        parts.append(1)
    try:
        return dt.date(parts[0], parts[1], parts[2])
    except ValueError:
        return None


class PartialDate(BaseModel):
    """A registry date with its precision kept, and whether it is actual or estimated."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    date: str
    type: DateType | None = None

    @property
    def as_date(self) -> dt.date | None:
        return date_floor(self.date)


_AGE = re.compile(
    r"^\s*(\d+(?:\.\d+)?)\s*(years?|yrs?|y|months?|mos?|m|weeks?|wks?|w|days?|d|hours?|hrs?|h|minutes?|mins?)\b",
    re.IGNORECASE,
)
_UNIT_BY_PREFIX = {
    "y": AgeUnit.YEARS,
    "mo": AgeUnit.MONTHS,
    "m": AgeUnit.MONTHS,
    "w": AgeUnit.WEEKS,
    "d": AgeUnit.DAYS,
    "h": AgeUnit.HOURS,
}
_YEARS_PER_UNIT = {
    AgeUnit.YEARS: 1.0,
    AgeUnit.MONTHS: 1 / 12,
    AgeUnit.WEEKS: 7 / 365.25,
    AgeUnit.DAYS: 1 / 365.25,
    AgeUnit.HOURS: 1 / (365.25 * 24),
    AgeUnit.MINUTES: 1 / (365.25 * 24 * 60),
}
_UNIT_LABEL = {
    AgeUnit.YEARS: "Year",
    AgeUnit.MONTHS: "Month",
    AgeUnit.WEEKS: "Week",
    AgeUnit.DAYS: "Day",
    AgeUnit.HOURS: "Hour",
    AgeUnit.MINUTES: "Minute",
}


class Age(BaseModel):
    """An age limit: the number and unit the registry gave, and the same in years for comparisons."""

    # "years" is computed, so a dumped Age carries it; reading that dump back must not fail on it.
    model_config = ConfigDict(extra="ignore", frozen=True)

    value: float
    unit: AgeUnit

    @computed_field  # type: ignore[prop-decorator]
    @property
    def years(self) -> float:
        return round(self.value * _YEARS_PER_UNIT[self.unit], 6)

    @property
    def text(self) -> str:
        """The ClinicalTrials.gov spelling: "18 Years", "6 Months", "1 Year"."""
        number = int(self.value) if float(self.value).is_integer() else self.value
        label = _UNIT_LABEL[self.unit]
        return f"{number} {label}" + ("" if number == 1 else "s")


def parse_age(text: str | None) -> Age | None:
    """An :class:`Age` from "18 Years", "6 months", "N/A" (→ ``None``: no limit), "18 Years and older"."""
    if not text:
        return None
    match = _AGE.match(text)
    if not match:
        return None
    unit = age_unit(match[2])
    return Age(value=float(match[1]), unit=unit) if unit is not None else None


def age_unit(word: str) -> AgeUnit | None:
    """The unit of an age from its word or abbreviation: "years", "yrs", "Y", "mos", "m", "wk", "h"."""
    word = word.strip().lower()
    if word.startswith("min"):
        return AgeUnit.MINUTES
    return _UNIT_BY_PREFIX.get(word[:2]) or _UNIT_BY_PREFIX.get(word[:1])


def age_limits_of_groups(groups: list[StandardAge]) -> tuple[Age | None, Age | None]:
    """The age limits a set of admitted age groups implies, when the groups are all the trial admits
    (EU protocols answer "under 18? / 18-64? / 65 and over?" for every trial): a child-only trial
    admits no one of 18, an adults-only one no one under 18 or over 64. No group, no limit known."""
    if not groups:
        return None, None
    order = [StandardAge.CHILD, StandardAge.ADULT, StandardAge.OLDER_ADULT]
    admitted = [group in groups for group in order]
    first = admitted.index(True)
    last = len(order) - 1 - admitted[::-1].index(True)
    minimum = None if first == 0 else Age(value=18 if first == 1 else 65, unit=AgeUnit.YEARS)
    maximum = None if last == 2 else Age(value=17 if last == 0 else 64, unit=AgeUnit.YEARS)
    return minimum, maximum
