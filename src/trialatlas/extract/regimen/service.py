"""Library entry points over a whole trial: its arm timelines and its doses for one patient."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from trialatlas.extract.regimen.dose import PatientDose, check_patient, patient_dose
from trialatlas.extract.regimen.models import RegimenItem
from trialatlas.extract.regimen.timeline import Phase, TrialTimeline, trial_timeline
from trialatlas.model import Trial


class DoseRow(BaseModel):
    model_config = ConfigDict(extra="forbid")

    arm: str
    phase: str
    dose: PatientDose
    alternative_group: int | None = Field(
        default=None, description="Rows of one phase with the same number are alternatives: one is given."
    )
    role: str | None = Field(default=None, description="The item's role (loading, taper: a taper's end, …).")


def _alternatives_and_targets(phase: Phase, rows: list[DoseRow]) -> None:
    """Say in each row's notes what the timeline knows and a list of doses hides: that doses of one
    alternative group are given instead of each other ("1-1.5 mg/kg QOD or 0.5-0.75 mg/kg/day QD"), and
    that a taper's target is where the taper ends, not a dose given with the others."""
    stated = {id(item): _stated(item) for item in phase.items}
    for row, item in zip(rows, (i for i in phase.items if i.dose is not None), strict=True):
        if item.alternative_group is not None:
            others = [
                stated[id(other)]
                for other in phase.items
                if other is not item and other.alternative_group == item.alternative_group and other.dose
            ]
            if others:
                row.dose.notes.append(f"or {' or '.join(others)}: one of these, not both")
        if item.role == "taper":
            row.dose.notes.append("taper target: the dose the taper ends at, not given with the doses above")


def _stated(item: RegimenItem) -> str:
    text = item.dose.label() if item.dose is not None else item.text
    return f"{text} {item.frequency}" if item.frequency else text


class TrialDoses(BaseModel):
    model_config = ConfigDict(extra="forbid")

    trial: str
    weight_kg: float
    height_cm: float | None = None
    rows: list[DoseRow] = Field(default_factory=list)


def timeline_doses(timeline: TrialTimeline, weight_kg: float, height_cm: float | None = None) -> TrialDoses:
    check_patient(weight_kg, height_cm)
    result = TrialDoses(trial=timeline.trial, weight_kg=weight_kg, height_cm=height_cm)
    for arm in timeline.arms:
        for phase in arm.phases:
            rows = [
                DoseRow(
                    arm=arm.arm,
                    phase=phase.label,
                    dose=patient_dose(item, weight_kg, height_cm),
                    alternative_group=item.alternative_group,
                    role=item.role,
                )
                for item in phase.items
                if item.dose is not None
            ]
            _alternatives_and_targets(phase, rows)
            result.rows.extend(rows)
    return result


def trial_doses(trial: Trial, weight_kg: float, height_cm: float | None = None) -> TrialDoses:
    """For each arm and phase of ``trial``, every stated dose worked out for this patient."""
    return timeline_doses(trial_timeline(trial), weight_kg, height_cm)
