"""Typed rules parsed from eligibility criteria.

A rule is a predicate about a patient ("is 2 to 18 years old", "has had tacrolimus within 2 years",
"has haemoglobin < 9.0 g/dL"). Whether the predicate being true includes or excludes the patient is
the criterion's business (its kind); a negated rule ("No tacrolimus … within 2 years") states the
predicate's opposite. Every rule keeps the span of the criterion text it came from.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from trialatlas.extract.criteria.split import CriterionKind

Operator = Literal["<", "<=", ">", ">=", "=", "between"]
RuleKind = Literal[
    "age",
    "sex",
    "condition",
    "measurement",
    "medication",
    "procedure",
    "pregnancy",
    "infection",
    "trial_participation",
    "consent",
    "not_evaluable",
]


class Span(BaseModel):
    """Characters ``start:end`` of the criterion text (and, where known, of the source text)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    start: int
    end: int
    text: str
    source_start: int | None = None
    source_end: int | None = None


class Window(BaseModel):
    """A time window: "within the past 12 weeks", "for 3 consecutive days", "2 years prior to enrollment"."""

    model_config = ConfigDict(extra="forbid")

    span: Span
    relation: Literal["within", "before", "after", "duration", "current", "history", "since"]
    amount: float | None = None
    amount_high: float | None = None
    unit: Literal["minutes", "hours", "days", "weeks", "months", "years"] | None = None
    days: float | None = Field(default=None, description="The window's length in days, for comparisons.")
    anchor: str | None = Field(
        default=None, description='What it is counted from: "enrollment", "screening".'
    )
    consecutive: bool = False


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    span: Span
    negated: bool = Field(default=False, description="The criterion states the predicate's opposite.")
    negation_cue: str | None = None
    exception: bool = Field(
        default=False, description='The negation is an exception ("except", "other than", "are allowed").'
    )
    experiencer: Literal["patient", "family"] = "patient"
    hypothetical: bool = False
    historical: bool = False
    window: Window | None = None
    confidence: float = 1.0
    warnings: list[str] = Field(default_factory=list)


class AgeRule(_Rule):
    kind: Literal["age"] = "age"
    min_years: float | None = None
    max_years: float | None = None
    min_inclusive: bool = True
    max_inclusive: bool = True


class SexRule(_Rule):
    kind: Literal["sex"] = "sex"
    sex: Literal["female", "male", "all"]


class ConditionRule(_Rule):
    kind: Literal["condition"] = "condition"
    name: str = Field(description="The words of the criterion naming the condition.")
    concept: str | None = Field(default=None, description="Vocabulary concept id when the name is known.")
    qualifiers: list[str] = Field(default_factory=list, description='"active", "severe", "uncontrolled", …')
    classes: list[str] = Field(
        default_factory=list, description='The classes, stages or grades asked for ("3", "4", "3+5").'
    )
    class_kind: Literal["class", "stage", "grade"] | None = None
    course: list[str] = Field(
        default_factory=list,
        description='The course asked for: "active", "remission", "relapse", "treated", "new".',
    )


class MeasurementRule(_Rule):
    kind: Literal["measurement"] = "measurement"
    name: str
    name_span: Span
    analyte: str | None = Field(default=None, description="Vocabulary analyte id when the name is known.")
    operator: Operator | None = None
    value: float | None = None
    value_high: float | None = None
    unit: str | None = Field(default=None, description="The unit as written.")
    canonical_value: float | None = Field(
        default=None, description="``value`` in the analyte's canonical unit."
    )
    canonical_value_high: float | None = None
    canonical_unit: str | None = None
    uln_multiple: bool = Field(
        default=False, description="The value is a multiple of the upper limit of normal."
    )
    lln_multiple: bool = False
    qualitative: str | None = Field(default=None, description='"positive", "negative", "normal", "abnormal".')
    value_span: Span | None = None
    first_reading: bool = Field(
        default=False, description='The criterion asks for the first value ("initial", "at admission").'
    )


class DoseLimit(BaseModel):
    """A dose threshold: "> 20 mg/m²/day" is operator ">", 20 mg per m² of body surface, daily."""

    model_config = ConfigDict(extra="forbid")

    operator: Literal["<", "<=", ">", ">="]
    mg: float
    basis: Literal["kg", "m2"] | None = None
    daily: bool = False
    text: str = ""
    equivalent_of: str | None = Field(
        default=None,
        description='"> 10 mg prednisone or equivalent": doses count in this drug\'s equivalents.',
    )
    end: int | None = Field(default=None, description="Where the dose's words end in the criterion.")


class MedicationRule(_Rule):
    kind: Literal["medication"] = "medication"
    name: str
    drugs: list[str] = Field(default_factory=list, description="Drug concepts named (generic names).")
    drug_class: str | None = None
    named_classes: list[str] = Field(
        default_factory=list,
        description="Every drug class the criterion names ('3TC, protease inhibitors, or NNRTIs').",
    )
    relation: Literal[
        "exposure",
        "current",
        "intolerance",
        "allergy",
        "failure",
        "stable_dose",
        "required",
        "discontinued",
    ] = "exposure"
    dose: DoseLimit | None = Field(default=None, description="The dose the criterion is about, if stated.")
    routes: list[str] = Field(
        default_factory=list, description="The routes asked about ('topical steroids'); empty: any route."
    )
    exempt_routes: list[str] = Field(
        default_factory=list, description="Routes left out ('steroids other than topical')."
    )


class ProcedureRule(_Rule):
    kind: Literal["procedure"] = "procedure"
    name: str
    concept: str | None = None


class PregnancyRule(_Rule):
    kind: Literal["pregnancy"] = "pregnancy"
    aspect: Literal[
        "pregnant", "lactating", "contraception", "childbearing_potential", "negative_test", "planning"
    ]


class InfectionRule(_Rule):
    kind: Literal["infection"] = "infection"
    pathogen: Literal["HBV", "HCV", "HIV", "TB", "CMV", "EBV", "HZV", "COVID", "other"]
    status: Literal["positive", "active", "chronic", "any"] = "any"
    name: str


class TrialParticipationRule(_Rule):
    kind: Literal["trial_participation"] = "trial_participation"


class ConsentRule(_Rule):
    kind: Literal["consent"] = "consent"
    aspect: Literal["consent", "compliance", "language", "availability"] = "consent"


class NotEvaluableRule(_Rule):
    kind: Literal["not_evaluable"] = "not_evaluable"
    reason: Literal["investigator_judgement", "vague", "administrative", "other"] = "investigator_judgement"


Rule = Annotated[
    AgeRule
    | SexRule
    | ConditionRule
    | MeasurementRule
    | MedicationRule
    | ProcedureRule
    | PregnancyRule
    | InfectionRule
    | TrialParticipationRule
    | ConsentRule
    | NotEvaluableRule,
    Field(discriminator="kind"),
]


class LogicNode(BaseModel):
    """A node of a criterion's logic: an atom (one rule), all-of, any-of, not, an exception, or examples.

    ``except`` has two children, what the criterion asks and what it exempts ("Active LN (except class
    V)"); ``examples`` has a head and the listed examples of it ("infections such as EBV or CMV"): an
    example met meets the head, a head not met fails, otherwise it is undecided. ``cue`` is the word
    that made the node ("or", "and", "except", "not", "such as").
    """

    model_config = ConfigDict(extra="forbid")

    op: Literal["atom", "all", "any", "not", "except", "examples"]
    rule: int | None = Field(default=None, description="An atom's rule: its position in ``rules``.")
    children: list[LogicNode] = Field(default_factory=list)
    cue: str | None = None

    def atoms(self) -> list[int]:
        if self.op == "atom":
            return [] if self.rule is None else [self.rule]
        return [index for child in self.children for index in child.atoms()]

    def describe(self, rules: list[Rule] | None = None) -> str:
        """The tree in one line: ``all(age, any(HBV, HCV), not(LN class 5))``."""
        if self.op == "atom":
            if rules is None or self.rule is None or self.rule >= len(rules):
                return f"#{self.rule}"
            return rules[self.rule].span.text
        inner = ", ".join(child.describe(rules) for child in self.children)
        return f"{self.op}({inner})"


class ParsedCriterion(BaseModel):
    """One criterion with the rules parsed from it."""

    model_config = ConfigDict(extra="forbid")

    index: int
    kind: CriterionKind
    text: str
    source: str = "criteria_text"
    start: int | None = None
    end: int | None = None
    parent: int | None = None
    is_header: bool = False
    context: str | None = None
    rules: list[Rule] = Field(default_factory=list)
    combine: Literal["all", "any"] = Field(
        default="all",
        description='Whether every rule must hold or any one ("ALT, AST or bilirubin > 2×ULN").',
    )
    logic: LogicNode | None = Field(
        default=None, description="How the rules combine, as a tree (``combine`` is its top operator)."
    )

    @property
    def evaluable(self) -> bool:
        return bool(self.rules) and not any(rule.kind == "not_evaluable" for rule in self.rules)


__all__ = [
    "AgeRule",
    "ConditionRule",
    "ConsentRule",
    "DoseLimit",
    "InfectionRule",
    "LogicNode",
    "MeasurementRule",
    "MedicationRule",
    "NotEvaluableRule",
    "Operator",
    "ParsedCriterion",
    "PregnancyRule",
    "ProcedureRule",
    "Rule",
    "RuleKind",
    "SexRule",
    "Span",
    "TrialParticipationRule",
    "Window",
]
