"""Library entry points over a whole trial: its arm timelines and its doses for one patient."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from trialatlas.extract.regimen.dose import PatientDose, check_patient, patient_dose
from trialatlas.extract.regimen.timeline import TrialTimeline, trial_timeline
from trialatlas.model import Trial


class DoseRow(BaseModel):
    model_config = ConfigDict(extra="forbid")

    arm: str
    phase: str
    dose: PatientDose


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
            for item in phase.items:
                if item.dose is None:
                    continue
                result.rows.append(
                    DoseRow(arm=arm.arm, phase=phase.label, dose=patient_dose(item, weight_kg, height_cm))
                )
    return result


def trial_doses(trial: Trial, weight_kg: float, height_cm: float | None = None) -> TrialDoses:
    """For each arm and phase of ``trial``, every stated dose worked out for this patient."""
    return timeline_doses(trial_timeline(trial), weight_kg, height_cm)
