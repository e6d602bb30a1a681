"""Version history: every superseded version of a trial, and what changed between two versions.

Registries show one version of a record; users ask what changed since they last looked (status,
enrollment, dates, sites, criteria). Every backend keeps the version an upsert replaces, whole, beside
the current one (``trial_versions``); this module holds what they share: the version value, the
choice of the version that was current on a date, and the field-by-field diff.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from trialatlas.model import Location, Trial


@dataclass(frozen=True, slots=True)
class TrialVersion:
    """One version of a trial.

    ``stored_at`` is when this store wrote it, ``replaced_at`` when a newer version superseded it
    (``None`` for the current one); both are UTC ISO timestamps.
    """

    number: int
    stored_at: str
    replaced_at: str | None
    trial: Trial

    @property
    def is_current(self) -> bool:
        return self.replaced_at is None

    @property
    def registry_date(self) -> str | None:
        """The registry's own "last update posted" date of this version, when it has one."""
        status = self.trial.status
        if status.last_update_post_date:
            return status.last_update_post_date.date
        return status.last_update_submit_date

    @property
    def as_of(self) -> str:
        """The date this version speaks for: the registry's last update, else when it was stored."""
        return self.registry_date or self.stored_at[:10]


def version_at(versions: Sequence[TrialVersion], date: str | dt.date) -> TrialVersion | None:
    """The version that was current on ``date`` (the newest one dated on or before it).

    ``None`` when every version is newer than ``date``: the trial was not known then.
    """
    day = date.isoformat() if isinstance(date, dt.date) else date
    earlier = [version for version in versions if version.as_of[: len(day)] <= day]
    return earlier[-1] if earlier else None


class Aspect(StrEnum):
    """What a change is about; the order here is the order a diff is shown in."""

    STATUS = "status"
    ENROLLMENT = "enrollment"
    DATES = "dates"
    SITES = "sites"
    CRITERIA = "criteria"
    DESIGN = "design"
    DESCRIPTION = "description"


@dataclass(frozen=True, slots=True)
class Change:
    """One difference: ``before`` is ``None`` for something added, ``after`` for something removed."""

    aspect: Aspect
    field: str
    before: str | None
    after: str | None

    @property
    def kind(self) -> str:
        if self.before is None:
            return "added"
        if self.after is None:
            return "removed"
        return "changed"


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = str(value).strip()
    return text or None


# Scalar fields compared one to one: aspect, label, how to read it off a trial.
_SCALARS: tuple[tuple[Aspect, str, Callable[[Trial], object]], ...] = (
    (Aspect.STATUS, "overall status", lambda t: t.status.overall_status),
    (Aspect.STATUS, "last known status", lambda t: t.status.last_known_status),
    (Aspect.STATUS, "why stopped", lambda t: t.status.why_stopped),
    (Aspect.STATUS, "has results", lambda t: t.has_results),
    (Aspect.ENROLLMENT, "enrollment", lambda t: t.design.enrollment.count if t.design.enrollment else None),
    (
        Aspect.ENROLLMENT,
        "enrollment type",
        lambda t: t.design.enrollment.type if t.design.enrollment else None,
    ),
    (Aspect.DATES, "start date", lambda t: _date(t.status.start_date)),
    (Aspect.DATES, "primary completion date", lambda t: _date(t.status.primary_completion_date)),
    (Aspect.DATES, "completion date", lambda t: _date(t.status.completion_date)),
    (Aspect.DATES, "results first posted", lambda t: _date(t.status.results_first_post_date)),
    (Aspect.DATES, "last update posted", lambda t: _date(t.status.last_update_post_date)),
    (Aspect.CRITERIA, "minimum age", lambda t: _age(t.eligibility.minimum_age)),
    (Aspect.CRITERIA, "maximum age", lambda t: _age(t.eligibility.maximum_age)),
    (Aspect.CRITERIA, "sex", lambda t: t.eligibility.sex),
    (Aspect.CRITERIA, "healthy volunteers", lambda t: t.eligibility.healthy_volunteers),
    (Aspect.DESIGN, "phases", lambda t: ", ".join(phase.value for phase in t.design.phases) or None),
    (Aspect.DESIGN, "study type", lambda t: t.design.study_type),
    (Aspect.DESIGN, "allocation", lambda t: t.design.allocation),
    (Aspect.DESIGN, "masking", lambda t: t.design.masking),
    (Aspect.DESIGN, "primary purpose", lambda t: t.design.primary_purpose),
    (Aspect.DESIGN, "conditions", lambda t: "; ".join(t.conditions) or None),
    (
        Aspect.DESIGN,
        "interventions",
        lambda t: "; ".join(sorted(i.name for i in t.interventions)) or None,
    ),
    (Aspect.DESIGN, "arms", lambda t: "; ".join(arm.label for arm in t.arms) or None),
    (Aspect.DESIGN, "primary outcomes", lambda t: _outcomes(t, "PRIMARY")),
    (Aspect.DESCRIPTION, "brief title", lambda t: t.brief_title),
    (Aspect.DESCRIPTION, "official title", lambda t: t.official_title),
    (Aspect.DESCRIPTION, "brief summary", lambda t: t.brief_summary),
    (Aspect.DESCRIPTION, "lead sponsor", lambda t: t.lead_sponsor.name if t.lead_sponsor else None),
)


def _date(value: object) -> str | None:
    date = getattr(value, "date", None)
    if date is None:
        return None
    kind = getattr(value, "type", None)
    return f"{date} ({kind.value.lower()})" if kind is not None else str(date)


def _age(value: object) -> str | None:
    if value is None:
        return None
    number, unit = getattr(value, "value", None), getattr(value, "unit", None)
    shown = int(number) if isinstance(number, float) and number.is_integer() else number
    return f"{shown} {getattr(unit, 'value', unit)}".lower()


def _outcomes(trial: Trial, kind: str) -> str | None:
    measures = [o.measure for o in trial.outcomes if o.kind is not None and o.kind.value == kind]
    return "; ".join(measures) or None


def _site_key(location: Location) -> tuple[str, str, str, str]:
    def part(value: str | None) -> str:
        return " ".join((value or "").split()).casefold()

    return (part(location.facility), part(location.city), part(location.state), part(location.country))


def _site_name(location: Location) -> str:
    place = ", ".join(part for part in (location.city, location.state, location.country) if part)
    if location.facility:
        return f"{location.facility} ({place})" if place else location.facility
    return place or "(unnamed site)"


def _site_changes(old: Trial, new: Trial) -> list[Change]:
    before = {_site_key(site): site for site in old.locations}
    after = {_site_key(site): site for site in new.locations}
    changes: list[Change] = []
    for key, site in after.items():
        status = _text(site.status) or "listed"
        if key not in before:
            changes.append(Change(Aspect.SITES, _site_name(site), None, status))
            continue
        old_status = _text(before[key].status) or "listed"
        if old_status != status:
            changes.append(Change(Aspect.SITES, _site_name(site), old_status, status))
    for key, site in before.items():
        if key not in after:
            changes.append(Change(Aspect.SITES, _site_name(site), _text(site.status) or "listed", None))
    return changes


def _criteria_lines(trial: Trial) -> list[str]:
    text = trial.eligibility.criteria_text or ""
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def _criteria_changes(old: Trial, new: Trial) -> list[Change]:
    """Criteria lines added and removed (a reworded line is one removed and one added)."""
    before, after = _criteria_lines(old), _criteria_lines(new)
    changes: list[Change] = []
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        changes.extend(Change(Aspect.CRITERIA, "criterion", line, None) for line in before[i1:i2])
        changes.extend(Change(Aspect.CRITERIA, "criterion", None, line) for line in after[j1:j2])
    return changes


def diff_trials(old: Trial, new: Trial) -> list[Change]:
    """What changed from ``old`` to ``new``, by aspect (status, enrollment, dates, sites, criteria...)."""
    changes: list[Change] = []
    for aspect, label, read in _SCALARS:
        before, after = _text(read(old)), _text(read(new))
        if before != after:
            changes.append(Change(aspect, label, before, after))
    changes.extend(_site_changes(old, new))
    changes.extend(_criteria_changes(old, new))
    order = list(Aspect)
    return sorted(changes, key=lambda change: order.index(change.aspect))
