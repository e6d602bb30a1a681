"""The dose calculator: what a stated regimen item means for one patient.

For each item it gives the amount per administration and per day for the patient's weight (and body
surface area, from height), as a range where the text gives one, rounded to the product strengths the
text names (tacrolimus 0.5 mg and 1 mg capsules). Where the text does not say enough (a per-kg dose
without a weight, a per-day dose without a frequency, an AUC-targeted dose) it refuses with the
reason, rather than assume. A dose stated for a weight band the patient is outside ("500 mg if < 50 kg"
for a 60 kg patient) is marked not applicable. Every figure comes with the arithmetic that made it.
Implausible inputs (a weight outside 0.3-350 kg, a height outside 20-250 cm) are refused outright.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from trialatlas.errors import DoseInputError
from trialatlas.extract.regimen.lexicon import VARIABLE
from trialatlas.extract.regimen.models import ADMINISTRATIONS_PER_DAY, Dose, RegimenItem, unit_label
from trialatlas.extract.regimen.units import convert, is_mass


class Amount(BaseModel):
    model_config = ConfigDict(extra="forbid")

    low: float
    high: float
    unit: str

    def label(self) -> str:
        unit = unit_label(self.unit, self.low, self.high)
        if math.isclose(self.low, self.high):
            return f"{_num(self.low)} {unit}"
        return f"{_num(self.low)}–{_num(self.high)} {unit}"


class PatientDose(BaseModel):
    """One item's dose for one patient, or why it cannot be worked out."""

    model_config = ConfigDict(extra="forbid")

    drug: str | None
    stated: str = Field(description="The dose as stated, e.g. 0.05–0.1 mg/kg/day.")
    frequency: str | None = None
    status: Literal["ok", "partial", "refused", "not applicable"]
    per_administration: Amount | None = None
    per_day: Amount | None = None
    per_week: Amount | None = None
    total: Amount | None = None
    rate_per_hour: Amount | None = None
    rounded_per_administration: Amount | None = None
    formulation: str | None = None
    notes: list[str] = Field(default_factory=list)
    arithmetic: list[str] = Field(default_factory=list, description="How each figure was worked out.")
    conditions: list[str] = Field(default_factory=list, description="Patient thresholds the dose is for.")
    reason: str | None = None


# The ranges a patient's measurements are taken from; anything outside is a typing error, not a patient.
WEIGHT_RANGE_KG = (0.3, 350.0)
HEIGHT_RANGE_CM = (20.0, 250.0)


def check_patient(weight_kg: float | None, height_cm: float | None) -> None:
    """Refuse a weight or height no patient has, with the range accepted."""
    if weight_kg is not None and not WEIGHT_RANGE_KG[0] <= weight_kg <= WEIGHT_RANGE_KG[1]:
        raise DoseInputError(
            f"weight {weight_kg:g} kg is not plausible: give a weight between {WEIGHT_RANGE_KG[0]:g} and "
            f"{WEIGHT_RANGE_KG[1]:g} kg"
        )
    if height_cm is not None and not HEIGHT_RANGE_CM[0] <= height_cm <= HEIGHT_RANGE_CM[1]:
        raise DoseInputError(
            f"height {height_cm:g} cm is not plausible: give a height between {HEIGHT_RANGE_CM[0]:g} and "
            f"{HEIGHT_RANGE_CM[1]:g} cm"
        )


def body_surface_area(weight_kg: float, height_cm: float) -> float:
    """Mosteller's formula, m²."""
    return math.sqrt(weight_kg * height_cm / 3600.0)


def patient_dose(item: RegimenItem, weight_kg: float | None, height_cm: float | None = None) -> PatientDose:
    """The dose of ``item`` for a patient of ``weight_kg`` (and ``height_cm`` for per-m² doses)."""
    dose = item.dose
    if dose is None:
        return PatientDose(
            drug=item.drug, stated=item.text, status="refused", reason="the text states no amount"
        )
    check_patient(weight_kg, height_cm)
    result = PatientDose(drug=item.drug, stated=dose.label(), frequency=item.frequency, status="ok")
    thresholds = [c for c in item.conditions if c.kind == "threshold"]
    result.conditions = [c.label() for c in thresholds]
    for condition in thresholds:
        if condition.measure == "weight" and weight_kg is not None and not condition.holds(weight_kg):
            result.status = "not applicable"
            result.reason = (
                f"stated for patients {condition.label()}; this patient weighs {_num(weight_kg)} kg"
            )
            return result
        if condition.measure == "renal function":
            result.notes.append(f"only if {condition.label()}: kidney function not checked here")
    if dose.unit == "AUC":
        result.status = "refused"
        result.reason = "AUC-targeted dosing needs renal function (Calvert formula); not computed"
        return result
    scale, scale_note, refusal = _body_scale(dose, weight_kg, height_cm)
    if refusal:
        result.status = "refused"
        result.reason = refusal
        return result
    low, high = dose.low * scale, dose.high * scale
    unit = dose.unit
    if scale_note:
        per = dose.basis.split("/", 1)
        after = f"/{per[1]}" if len(per) > 1 else ""
        result.arithmetic.append(f"{dose.label()} {scale_note} = {_span(low, high)} {unit}{after}")
    per_time = dose.per_time
    per_day_count = ADMINISTRATIONS_PER_DAY.get(item.frequency or "")
    if dose.basis == "total":
        result.total = Amount(low=low, high=high, unit=unit)
        result.status = "partial"
        result.reason = "a total for the course; the text does not say how it is divided"
    elif per_time == "day":
        result.per_day = Amount(low=low, high=high, unit=unit)
        if per_day_count:
            result.per_administration = Amount(low=low / per_day_count, high=high / per_day_count, unit=unit)
            result.arithmetic.append(
                f"{_span(low, high)} {unit}/day ÷ {per_day_count:g} ({item.frequency}) = "
                f"{result.per_administration.label()} per dose"
            )
        else:
            result.status = "partial"
            result.reason = "per-day amount; how many administrations a day is not stated"
    elif per_time == "week":
        result.per_week = Amount(low=low, high=high, unit=unit)
        if item.frequency == "QW":
            result.per_administration = Amount(low=low, high=high, unit=unit)
        else:
            result.status = "partial"
            result.reason = "per-week amount; the administrations in a week are not stated"
    elif per_time in {"hour", "min"}:
        factor = 60.0 if per_time == "min" else 1.0
        result.rate_per_hour = Amount(low=low * factor, high=high * factor, unit=unit)
        if item.frequency == "continuous":
            result.per_day = Amount(low=low * factor * 24, high=high * factor * 24, unit=unit)
        result.status = "partial"
        result.reason = "an infusion rate; the length of the infusion decides the amount"
    else:
        result.per_administration = Amount(low=low, high=high, unit=unit)
        if per_day_count:
            result.per_day = Amount(low=low * per_day_count, high=high * per_day_count, unit=unit)
            if per_day_count > 1:
                result.arithmetic.append(
                    f"{_span(low, high)} {unit} × {per_day_count:g} ({item.frequency}) = "
                    f"{result.per_day.label()}/day"
                )
        elif item.frequency == "QOD":
            result.notes.append("every other day: the daily average is half of each dose")
        elif item.frequency is None:
            result.notes.append("frequency not stated: per-day amount unknown")
        elif item.frequency == VARIABLE:
            result.notes.append("the number of administrations is given as a range: per-day amount unknown")
    _apply_cap(item, result)
    _round_to_formulation(item, result)
    return result


def _body_scale(
    dose: Dose, weight_kg: float | None, height_cm: float | None
) -> tuple[float, str | None, str | None]:
    if dose.per_body == "kg":
        if weight_kg is None:
            return 1.0, None, "dose is per kg of body weight: weight needed"
        return weight_kg, f"× {_num(weight_kg)} kg", None
    if dose.per_body == "m2":
        if weight_kg is None or height_cm is None:
            return 1.0, None, "dose is per m² of body surface: weight and height needed"
        bsa = body_surface_area(weight_kg, height_cm)
        return (
            bsa,
            f"× {bsa:.2f} m² (BSA by Mosteller: √({_num(height_cm)} cm × {_num(weight_kg)} kg / 3600))",
            None,
        )
    return 1.0, None, None


def _apply_cap(item: RegimenItem, result: PatientDose) -> None:
    """A stated maximum ("max 2 mg", "not to exceed 2 g/day") caps the figure it is per."""
    cap = item.max_dose
    if cap is None or cap.per_body is not None:
        return
    field = "per_day" if cap.per_time == "day" else "per_administration"
    amount: Amount | None = getattr(result, field)
    if amount is None:
        return
    capped = convert(cap.high, cap.unit, amount.unit)
    if capped is None or amount.high <= capped:
        return
    setattr(result, field, Amount(low=min(amount.low, capped), high=capped, unit=amount.unit))
    result.notes.append(f"capped at the stated maximum {cap.label()}")
    result.arithmetic.append(f"{amount.label()} capped at the stated maximum {cap.label()}")
    count = ADMINISTRATIONS_PER_DAY.get(item.frequency or "")
    if field == "per_day" and count and result.per_administration is not None:
        per = Amount(low=min(amount.low, capped) / count, high=capped / count, unit=amount.unit)
        result.per_administration = per
        result.arithmetic.append(f"capped day ÷ {count:g} ({item.frequency}) = {per.label()} per dose")


def _span(low: float, high: float) -> str:
    return _num(low) if math.isclose(low, high) else f"{_num(low)}–{_num(high)}"


def _round_to_formulation(item: RegimenItem, result: PatientDose) -> None:
    """Round each administration to what the named strengths can make (multiples of the smallest)."""
    amount = result.per_administration
    if amount is None or not is_mass(amount.unit):
        return
    for formulation in item.formulations:
        strengths = [convert(s, formulation.unit, amount.unit) for s in formulation.strengths]
        usable = sorted(s for s in strengths if s is not None and s > 0)
        if not usable:
            continue
        step = usable[0]
        low = max(step, round(amount.low / step) * step)
        high = max(step, round(amount.high / step) * step)
        result.rounded_per_administration = Amount(low=low, high=high, unit=amount.unit)
        names = " and ".join(f"{_num(s)} {formulation.unit}" for s in formulation.strengths)
        result.formulation = f"{names} {formulation.form or 'units'}s".replace("ss", "s")
        return


def _num(value: float) -> str:
    if value == 0:
        return "0"
    if abs(value) >= 1e5:
        return f"{value:.3g}"
    digits = 3 if abs(value) < 10 else 1
    text = f"{value:.{digits}f}".rstrip("0").rstrip(".")
    return text or "0"
