"""A record's structured eligibility limits as criteria: the minimum and maximum age, or where the
record gives neither its standard age groups, and the sex it takes (issue #14). A limit the note
cannot answer (no age stated) is unknown, never met."""

from __future__ import annotations

from typing import Literal

from trialatlas.match.patient import PatientProfile
from trialatlas.model import Sex, StandardAge, Trial

# ClinicalTrials.gov's standard age groups in years: child 0-17, adult 18-64, older adult 65+.
AGE_GROUPS: dict[StandardAge, tuple[float, float | None]] = {
    StandardAge.CHILD: (0.0, 17.0),
    StandardAge.ADULT: (18.0, 64.0),
    StandardAge.OLDER_ADULT: (65.0, None),
}


LimitStatus = Literal["met", "not met", "unknown"]


def _bound(value: float | None) -> str:
    return "…" if value is None else f"{value:g}"


def age_limits(trial: Trial) -> tuple[float | None, float | None]:
    """The trial's age limits in years: its minimum and maximum, or the span of its standard age groups."""
    eligibility = trial.eligibility
    low = eligibility.minimum_age.years if eligibility.minimum_age else None
    high = eligibility.maximum_age.years if eligibility.maximum_age else None
    if low is None and high is None and eligibility.std_ages:
        groups = [AGE_GROUPS[group] for group in eligibility.std_ages]
        low = min(group[0] for group in groups) or None
        uppers = [group[1] for group in groups]
        high = None if None in uppers else max(upper for upper in uppers if upper is not None)
    return low, high


def structured_limits(trial: Trial, patient: PatientProfile) -> list[tuple[int, str, LimitStatus, str]]:
    """Each limit as (offset, text, status, reason), status "met", "not met" or "unknown"."""
    results: list[tuple[int, str, LimitStatus, str]] = []
    low, high = age_limits(trial)
    if low is not None or high is not None:
        age = patient.age_years
        text = f"Age limits {_bound(low)}–{_bound(high)} years"
        if age is None:
            results.append((0, text, "unknown", "age not stated"))
        else:
            ok = (low is None or age >= low) and (high is None or age < high + 1)
            results.append((0, text, "met" if ok else "not met", f"age {age:g}"))
    sex = trial.eligibility.sex
    if sex in (Sex.FEMALE, Sex.MALE):
        text = f"Sex: {sex.value.lower()}"
        if patient.sex is None:
            results.append((1, text, "unknown", "sex not stated"))
        else:
            ok = sex.value.lower() == patient.sex
            results.append((1, text, "met" if ok else "not met", f"patient is {patient.sex}"))
    return results


__all__ = ["AGE_GROUPS", "LimitStatus", "age_limits", "structured_limits"]
