"""Regimens made computable: doses, schedules and arm timelines parsed from free text, and a dose calculator.

``parse_regimen(text)`` reads one arm or intervention description into regimen items; ``trial_timeline``
orders each arm's items into phases; ``patient_dose`` / ``trial_doses`` work doses out for one patient;
``render_svg`` draws the timeline.
"""

from trialatlas.extract.regimen.dose import PatientDose, body_surface_area, patient_dose
from trialatlas.extract.regimen.drugs import normalise as normalise_drug
from trialatlas.extract.regimen.models import (
    Adjustment,
    Condition,
    Dose,
    Duration,
    Formulation,
    ParsedRegimen,
    RegimenItem,
    TargetLevel,
    Unparsed,
)
from trialatlas.extract.regimen.parse import parse_regimen
from trialatlas.extract.regimen.service import TrialDoses, trial_doses
from trialatlas.extract.regimen.svg import render_svg
from trialatlas.extract.regimen.timeline import (
    ArmTimeline,
    Phase,
    TrialTimeline,
    arm_timeline,
    trial_timeline,
)

__all__ = [
    "Adjustment",
    "ArmTimeline",
    "Condition",
    "Dose",
    "Duration",
    "Formulation",
    "ParsedRegimen",
    "PatientDose",
    "Phase",
    "RegimenItem",
    "TargetLevel",
    "TrialDoses",
    "TrialTimeline",
    "Unparsed",
    "arm_timeline",
    "body_surface_area",
    "normalise_drug",
    "parse_regimen",
    "patient_dose",
    "render_svg",
    "trial_doses",
    "trial_timeline",
]
