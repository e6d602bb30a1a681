"""The dose calculator: what a stated regimen item means for one patient.

For each item it gives the amount per administration and per day for the patient's weight (and body
surface area, from height), as a range where the text gives one, rounded to the product strengths the
text names (tacrolimus 0.5 mg and 1 mg capsules). Where the text does not say enough (a per-kg dose
without a weight, a per-day dose without a frequency, an AUC-targeted dose) it refuses with the
reason, rather than assume.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from trialatlas.extract.regimen.models import ADMINISTRATIONS_PER_DAY, Dose, RegimenItem
from trialatlas.extract.regimen.units import convert, is_mass


class Amount(BaseModel):
    model_config = ConfigDict(extra="forbid")

    low: float
    high: float
    unit: str

    def label(self) -> str:
        if math.isclose(self.low, self.high):
            return f"{_num(self.low)} {self.unit}"
        return f"{_num(self.low)}–{_num(self.high)} {self.unit}"


class PatientDose(BaseModel):
    """One item's dose for one patient, or why it cannot be worked out."""

    model_config = ConfigDict(extra="forbid")

    drug: str | None
    stated: str = Field(description="The dose as stated, e.g. 0.05–0.1 mg/kg/day.")
    frequency: str | None = None
    status: Literal["ok", "partial", "refused"]
    per_administration: Amount | None = None
    per_day: Amount | None = None
    per_week: Amount | None = None
    total: Amount | None = None
    rate_per_hour: Amount | None = None
    rounded_per_administration: Amount | None = None
    formulation: str | None = None
    notes: list[str] = Field(default_factory=list)
    reason: str | None = None


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
    result = PatientDose(drug=item.drug, stated=dose.label(), frequency=item.frequency, status="ok")
    if dose.unit == "AUC":
        result.status = "refused"
        result.reason = "AUC-targeted dosing needs renal function (Calvert formula); not computed"
        return result
    scale, scale_note, refusal = _body_scale(dose, weight_kg, height_cm)
    if refusal:
        result.status = "refused"
        result.reason = refusal
        return result
    if scale_note:
        result.notes.append(scale_note)
    low, high = dose.low * scale, dose.high * scale
    unit = dose.unit
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
        else:
            result.status = "partial"
            result.reason = "per-day amount; how many administrations a day is not stated"
    elif per_time == "week":
        result.per_week = Amount(low=low, high=high, unit=unit)
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
        elif item.frequency == "QOD":
            result.notes.append("every other day: the daily average is half of each dose")
        elif item.frequency is None:
            result.notes.append("frequency not stated: per-day amount unknown")
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
        return bsa, f"× {bsa:.2f} m² (Mosteller)", None
    return 1.0, None, None


def _apply_cap(item: RegimenItem, result: PatientDose) -> None:
    cap = item.max_dose
    if cap is None or result.per_administration is None or cap.per_body is not None:
        return
    capped = convert(cap.high, cap.unit, result.per_administration.unit)
    if capped is None:
        return
    amount = result.per_administration
    if amount.high > capped:
        result.per_administration = Amount(low=min(amount.low, capped), high=capped, unit=amount.unit)
        result.notes.append(f"capped at the stated maximum {_num(cap.high)} {cap.unit}")


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
