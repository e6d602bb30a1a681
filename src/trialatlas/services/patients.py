"""Patients as the interfaces hand them over: a match request, the match page's form, and the line
that says what was understood. Every note goes through the one reader,
:func:`trialatlas.match.patient.profile_from_note` (with :func:`~trialatlas.match.patient.with_note_facts`
for a profile's own notes).
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError

from trialatlas.errors import InputError, QueryError
from trialatlas.match.patient import (
    PatientCondition,
    PatientMedication,
    PatientProfile,
    profile_from_note,
    with_note_facts,
)
from trialatlas.services.models import validation_problems


def patient_of(profile: PatientProfile | None, note: str | None) -> PatientProfile:
    """The patient of a match request: a profile (its notes read too) or a note, not both."""
    if profile is not None and note:
        raise QueryError("send either a patient profile or a note, not both")
    if profile is not None:
        return with_note_facts(profile)
    if note and note.strip():
        return profile_from_note(note)
    raise QueryError("send a patient profile or a note")


def patient_fields(text: str) -> dict[str, Any]:
    """A patient as a user hands it over (a JSON profile, or a note) as the fields of a match request;
    the note itself is read when the request is answered, by the one note reader."""
    stripped = text.strip()
    if not stripped.startswith("{"):
        return {"note": text}
    try:
        return {"patient": PatientProfile.model_validate_json(stripped)}
    except ValidationError as exc:
        raise InputError(f"patient: {validation_problems(exc, 'patient')}") from exc


def _conditions_read(profile: PatientProfile) -> list[str]:
    """The patient's own conditions, each named once however often the note mentions it, with the
    classes and course read from any of its mentions ("lupus nephritis (class 4, relapse)")."""
    named: dict[str, list[str]] = {}
    for condition in profile.conditions:
        if not condition.present or condition.family:
            continue
        details = named.setdefault(condition.name.lower(), [condition.name])
        if condition.classes:
            details.append(f"{condition.class_kind or 'class'} {'/'.join(condition.classes)}")
        details.extend(condition.course)
    shown = []
    for name, *details in named.values():
        read = list(dict.fromkeys(details))
        shown.append(f"{name} ({', '.join(read)})" if read else name)
    return shown


def summarize_patient(profile: PatientProfile) -> str:
    parts: list[str] = []
    if profile.age_years is not None:
        parts.append(f"{profile.age_years:g} years")
    if profile.sex:
        parts.append(profile.sex)
    conditions = _conditions_read(profile)
    if conditions:
        parts.append("conditions: " + ", ".join(conditions[:8]))
    labs = [
        f"{m.name} {m.value:g}{' ' + m.unit if m.unit else ''}" if m.value is not None else m.name
        for m in profile.measurements
        if m.present
    ]
    if labs:
        parts.append("labs: " + ", ".join(labs[:8]))
    medications = list(dict.fromkeys(m.name for m in profile.medications if m.present))
    if medications:
        parts.append("medications: " + ", ".join(medications[:8]))
    return "; ".join(parts) or "nothing recognised: add age, sex, conditions or a note"


def _lines(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[\n;,]", text) if part.strip()]


def profile_from_form(
    *,
    age: float | None,
    sex: str | None,
    conditions: str = "",
    labs: str = "",
    medications: str = "",
    note: str = "",
) -> PatientProfile:
    """A profile from the match page's fields; a note, when given, is read too and the fields win.

    Each lab line is read by the note reader, as any note's values are: a line it cannot read a
    value from is refused, with the shape it needs, rather than matched without it.
    """
    if sex not in (None, "", "female", "male"):
        raise QueryError("sex must be female or male (or left empty)")
    base = profile_from_note(note) if note.strip() else PatientProfile()
    measurements = list(base.measurements)
    for line in labs.splitlines():
        if not line.strip():
            continue
        read = [m for m in profile_from_note(line).measurements if m.value is not None]
        if not read:
            raise QueryError(
                f"lab {line.strip()[:60]!r}: write it as 'name value unit', e.g. 'creatinine 1.4 mg/dL'"
            )
        measurements.extend(read)
    # Built anew (not copied) so that the profile's validation reads the names the fields add.
    return PatientProfile(
        **{
            **dict(base),
            "age_years": age if age is not None else base.age_years,
            "sex": (sex or None) or base.sex,
            "conditions": [*base.conditions, *(PatientCondition(name=c) for c in _lines(conditions))],
            "measurements": measurements,
            "medications": [*base.medications, *(PatientMedication(name=m) for m in _lines(medications))],
        }
    )


__all__ = ["patient_fields", "patient_of", "profile_from_form", "summarize_patient"]
