"""Regimens made computable: doses, schedules and arm timelines parsed from free text, and a dose calculator.

``parse_regimen(text)`` reads one arm or intervention description into regimen items; ``trial_timeline``
orders each arm's items into phases; ``patient_dose`` / ``trial_doses`` work doses out for one patient;
``render_svg`` draws the timeline.

Each name below is imported from its module on first use, so that a reader of drug names (criteria,
patient notes) importing :mod:`trialatlas.extract.regimen.drugs` loads neither the regimen parser nor
its unit registry (a second or so of a command's start-up).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from trialatlas._lazy import listing, resolve

if TYPE_CHECKING:
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

# The module of this package that defines each public name (``normalise_drug`` is drugs.normalise).
_HOMES: dict[str, str] = {
    "PatientDose": "trialatlas.extract.regimen.dose",
    "body_surface_area": "trialatlas.extract.regimen.dose",
    "patient_dose": "trialatlas.extract.regimen.dose",
    "normalise_drug": "trialatlas.extract.regimen.drugs:normalise",
    "Adjustment": "trialatlas.extract.regimen.models",
    "Condition": "trialatlas.extract.regimen.models",
    "Dose": "trialatlas.extract.regimen.models",
    "Duration": "trialatlas.extract.regimen.models",
    "Formulation": "trialatlas.extract.regimen.models",
    "ParsedRegimen": "trialatlas.extract.regimen.models",
    "RegimenItem": "trialatlas.extract.regimen.models",
    "TargetLevel": "trialatlas.extract.regimen.models",
    "Unparsed": "trialatlas.extract.regimen.models",
    "parse_regimen": "trialatlas.extract.regimen.parse",
    "TrialDoses": "trialatlas.extract.regimen.service",
    "trial_doses": "trialatlas.extract.regimen.service",
    "render_svg": "trialatlas.extract.regimen.svg",
    "ArmTimeline": "trialatlas.extract.regimen.timeline",
    "Phase": "trialatlas.extract.regimen.timeline",
    "TrialTimeline": "trialatlas.extract.regimen.timeline",
    "arm_timeline": "trialatlas.extract.regimen.timeline",
    "trial_timeline": "trialatlas.extract.regimen.timeline",
}


def __getattr__(name: str) -> Any:
    return resolve(__name__, _HOMES, globals(), name)


def __dir__() -> list[str]:
    return listing(_HOMES, globals())


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
