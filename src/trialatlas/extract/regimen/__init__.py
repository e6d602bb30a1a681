"""Regimens made computable: doses, schedules and arm timelines parsed from free text, and a dose calculator.

``parse_regimen(text)`` reads one arm or intervention description into regimen items; ``trial_timeline``
orders each arm's items into phases; ``patient_dose`` / ``trial_doses`` work doses out for one patient;
``render_svg`` draws the timeline.

Each name below is imported from its module on first use, so that a reader of drug names (criteria,
patient notes) importing :mod:`trialatlas.extract.regimen.drugs` loads neither the regimen parser nor
its unit registry (a second or so of a command's start-up).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

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
    "PatientDose": "dose",
    "body_surface_area": "dose",
    "patient_dose": "dose",
    "normalise_drug": "drugs",
    "Adjustment": "models",
    "Condition": "models",
    "Dose": "models",
    "Duration": "models",
    "Formulation": "models",
    "ParsedRegimen": "models",
    "RegimenItem": "models",
    "TargetLevel": "models",
    "Unparsed": "models",
    "parse_regimen": "parse",
    "TrialDoses": "service",
    "trial_doses": "service",
    "render_svg": "svg",
    "ArmTimeline": "timeline",
    "Phase": "timeline",
    "TrialTimeline": "timeline",
    "arm_timeline": "timeline",
    "trial_timeline": "timeline",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module(f"{__name__}.{home}")
    value = getattr(module, "normalise" if name == "normalise_drug" else name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_HOMES))


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
