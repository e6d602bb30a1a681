"""Types of a parsed regimen: doses, schedules, targets, adjustments, and the items that carry them.

Every number in these types was read from the text; where the text could not be read the fragment is
kept as :class:`Unparsed` instead of being guessed at.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

# What an amount is per. "dose" is a plain amount given at each administration.
BASES: tuple[str, ...] = (
    "dose",
    "day",
    "week",
    "hour",
    "min",
    "kg",
    "kg/day",
    "kg/week",
    "kg/hour",
    "kg/min",
    "m2",
    "m2/day",
    "m2/week",
    "m2/hour",
    "m2/min",
    "total",
)

FREQUENCIES: tuple[str, ...] = (
    "once",
    "QD",
    "BID",
    "TID",
    "QID",
    "QOD",
    "QW",
    "BIW",
    "TIW",
    "Q2W",
    "Q3W",
    "Q4W",
    "Q6W",
    "Q8W",
    "Q12W",
    "QM",
    "PRN",
    "continuous",
)

# The frequencies the spec (specs/regimen-items.md) names; the parser keeps any interval it reads (Q12W,
# Q35D) for timelines, but the spec's flat shape says null for the rest rather than round to a listed one.
SPEC_FREQUENCIES = frozenset([*(f for f in FREQUENCIES if f != "Q12W"), "Q2H", "Q3H", "Q4H"])

# The spec's bases stop at a body basis per day, hour or minute: an amount per kg or m² per week is a dose
# per kg or m² given weekly (the week is the frequency, QW, which the schedule pass already reads).
_SPEC_BASIS = {"kg/week": "kg", "m2/week": "m2"}

# Administrations per day, for turning a per-day amount into a per-administration one.
ADMINISTRATIONS_PER_DAY: dict[str, float] = {"QD": 1, "BID": 2, "TID": 3, "QID": 4}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Dose(_Model):
    """An amount or range with its unit and what it is per (``basis``)."""

    low: float
    high: float
    unit: str = Field(description="Canonical unit: mg, g, mcg, ng, IU, units, mL, cells, tablets, AUC ...")
    basis: str = Field(default="dose", description="One of BASES.")

    @property
    def is_range(self) -> bool:
        return self.low != self.high

    @property
    def per_body(self) -> Literal["kg", "m2"] | None:
        head = self.basis.split("/")[0]
        if head == "kg":
            return "kg"
        if head == "m2":
            return "m2"
        return None

    @property
    def per_time(self) -> str | None:
        """The time unit the amount is per (day, week, hour, min), if any."""
        parts = self.basis.split("/")
        last = parts[-1]
        return last if last in {"day", "week", "hour", "min"} else None

    def label(self) -> str:
        amount = _fmt(self.low) if not self.is_range else f"{_fmt(self.low)}–{_fmt(self.high)}"
        basis = "" if self.basis == "dose" else (" total" if self.basis == "total" else f"/{self.basis}")
        return f"{amount} {self.unit_label()}{basis}"

    def unit_label(self) -> str:
        return unit_label(self.unit, self.low, self.high)


def unit_label(unit: str, low: float, high: float) -> str:
    """A unit as shown beside its amount: a counted noun in the singular for one ("1 pill/d" -> "1
    tablet/day"), while the item keeps the spec's unit ("tablets")."""
    from trialatlas.extract.regimen.units import COUNTED

    if low != 1 or high != 1 or unit not in COUNTED or not unit.endswith("s"):
        return unit
    return unit[:-2] if unit.endswith(("ches", "shes", "xes")) else unit[:-1]


class Duration(_Model):
    low: float
    high: float
    unit: Literal["minute", "hour", "day", "week", "month", "year", "cycle", "dose"]
    text: str

    def in_weeks(self) -> tuple[float, float] | None:
        """The duration in weeks (for a timeline's span), when its unit is one of time."""
        factor = {"day": 1 / 7, "week": 1.0, "month": 52 / 12, "year": 52.0}.get(self.unit)
        if factor is None:
            return None
        return self.low * factor, self.high * factor


class TargetLevel(_Model):
    """A drug level to aim at (trough 5–10 ng/mL, MPA-AUC 30–50 µg·h/mL) or to keep under."""

    analyte: str | None = None
    measure: Literal["trough", "AUC", "concentration", "level"] = "level"
    low: float | None = None
    high: float | None = None
    comparator: Literal["range", "<", "<=", ">", ">=", "="] = "range"
    unit: str
    text: str


class Adjustment(_Model):
    """A change of dose the text prescribes: taper to 5 mg/day, reduce to keep < 5 ng/mL, stop."""

    kind: Literal["taper", "reduce", "increase", "titrate", "stop", "switch", "adjust"]
    drug: str | None = None
    to_dose: Dose | None = None
    target: TargetLevel | None = None
    text: str


class Condition(_Model):
    """A branch or precondition: "participants who do not flare will be randomised to ...", or a patient
    threshold a dose applies under ("if < 50 kg", "CrCl >= 50 mL/min", "weighing 40-60 kg")."""

    kind: Literal["randomisation", "stop", "if", "population", "threshold"] = "if"
    text: str
    measure: Literal["weight", "renal function"] | None = None
    low: float | None = Field(default=None, description="Lower bound (inclusive unless low_open).")
    high: float | None = Field(default=None, description="Upper bound (inclusive unless high_open).")
    low_open: bool = False
    high_open: bool = False
    unit: str | None = None

    def label(self) -> str:
        """A threshold as a short phrase: "weighing < 50 kg", "with kidney function ≥ 50 mL/min"."""
        if self.kind != "threshold":
            return self.text
        unit = f" {self.unit}" if self.unit else ""
        measure = "weighing" if self.measure == "weight" else "with kidney function"
        if self.low is not None and self.high is not None:
            return f"{measure} {_fmt(self.low)}–{_fmt(self.high)}{unit}"
        if self.high is not None:
            return f"{measure} {'<' if self.high_open else '≤'} {_fmt(self.high)}{unit}"
        if self.low is not None:
            return f"{measure} {'>' if self.low_open else '≥'} {_fmt(self.low)}{unit}"
        return self.text

    def holds(self, value: float) -> bool:
        """Whether a patient's ``value`` of the measure meets the threshold."""
        if self.low is not None and (value < self.low or (self.low_open and value == self.low)):
            return False
        return not (self.high is not None and (value > self.high or (self.high_open and value == self.high)))


class Formulation(_Model):
    """A product strength the text names (tacrolimus 0.5 mg and 1 mg capsules)."""

    strengths: list[float]
    unit: str
    form: str | None = None


class RegimenItem(_Model):
    """One stated dose of one drug, with everything the text says about how it is given."""

    drug: str | None = Field(default=None, description="Normalised generic name, lower case.")
    drug_class: str | None = None
    drug_text: str | None = Field(default=None, description="The drug as the text wrote it.")
    dose: Dose | None = None
    max_dose: Dose | None = None
    frequency: str | None = Field(default=None, description="One of FREQUENCIES, or another Q<n><unit> code.")
    frequency_text: str | None = None
    schedule: str | None = Field(default=None, description='Schedule as written: "at weeks 2, 4 and 6".')
    schedule_weeks: list[float] = Field(default_factory=list)
    route: str | None = None
    duration: Duration | None = None
    role: str | None = Field(default=None, description="loading, maintenance, induction, starting, taper ...")
    pulse: bool = False
    formulations: list[Formulation] = Field(default_factory=list)
    targets: list[TargetLevel] = Field(default_factory=list)
    adjustments: list[Adjustment] = Field(default_factory=list)
    conditions: list[Condition] = Field(default_factory=list)
    text: str = Field(description="The stretch of text the item was read from.")
    start: int = 0
    end: int = 0
    status: Literal["parsed", "unparsed"] = "parsed"
    alternative_group: int | None = Field(
        default=None,
        description='Items sharing a group are alternatives ("1 mg/kg QOD or 0.5 mg/kg/day QD"), '
        "never concurrent.",
    )
    # What the item gate (gate.py) read of the item: its signs of doubt and its score that the reading is
    # right. Kept to train and test the gate; never part of the item's JSON. A plain slot beside the
    # fields, set only when the gate reads the item: pydantic private attributes were set up on every
    # item built (two-thirds of its cost) although the gate is off by default. Copies and pickles drop it.
    __slots__ = ("_gate",)
    if TYPE_CHECKING:
        _gate: tuple[list[float], float | None]

    @property
    def gate_features(self) -> list[float]:
        noted = getattr(self, "_gate", None)
        return [] if noted is None else noted[0]

    @property
    def gate_score(self) -> float | None:
        noted = getattr(self, "_gate", None)
        return None if noted is None else noted[1]

    def note_gate(self, features: list[float], score: float | None) -> None:
        self._gate = (features, score)

    def export(self) -> dict[str, object]:
        """The flat scoring shape of ``trialatlas parse-regimens``."""
        dose = self.dose
        drug = self.drug
        if drug is not None and drug == self.drug_class and self.drug_text:
            # A drug named only by its class ("steroid", "G-CSF") is named as written (the spec).
            drug = " ".join(self.drug_text.lower().split())
        return {
            "drug": drug,
            "amount_low": _plain(dose.low) if dose else None,
            "amount_high": _plain(dose.high) if dose else None,
            "unit": dose.unit if dose else None,
            "basis": _SPEC_BASIS.get(dose.basis, dose.basis) if dose else None,
            "frequency": self.frequency if self.frequency in SPEC_FREQUENCIES else None,
            "route": self.route,
        }


class Unparsed(_Model):
    """Text that looked like dosing but could not be read: kept, never guessed at."""

    text: str
    reason: str
    start: int = 0
    end: int = 0


class ParsedRegimen(_Model):
    text: str = Field(description="The normalised text; every offset refers to it.")
    items: list[RegimenItem] = Field(default_factory=list)
    mentions: list[str] = Field(
        default_factory=list, description="Drugs named without a readable dose (generic names)."
    )
    targets: list[TargetLevel] = Field(default_factory=list)
    adjustments: list[Adjustment] = Field(default_factory=list)
    conditions: list[Condition] = Field(default_factory=list)
    unparsed: list[Unparsed] = Field(default_factory=list)

    @property
    def dosed_items(self) -> list[RegimenItem]:
        return [item for item in self.items if item.dose is not None]


def _plain(value: float) -> float | int:
    return int(value) if float(value).is_integer() and abs(value) < 1e15 else value


def _fmt(value: float) -> str:
    if value >= 1e5 and float(value).is_integer():
        exponent = len(str(int(value))) - 1
        mantissa = value / 10**exponent
        return f"{_fmt(mantissa)}×10^{exponent}"
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return text or "0"
