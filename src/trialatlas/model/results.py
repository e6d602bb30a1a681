"""The results section of a trial: participant flow, baseline, outcome measures, adverse events.

Field names are the snake-case of ClinicalTrials.gov API v2 ``resultsSection`` keys, so a v2 module
validates straight into these models (camel-case aliases) and dumps back by alias. Values are kept as
the registry wrote them (strings such as ``"12.5"``, ``"NA"``, ``"<0.001"``): a chart or a table reads
them through :func:`numeric_value`, which answers ``None`` (unknown) rather than guess a number.
Coded values (parameter and dispersion types, milestone types) are v2 codes where the source gave
one; legacy XML spellings are mapped onto them through ``results_vocab.json``.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from trialatlas.text.packaged import packaged_json


class _ResultPart(BaseModel):
    # Unknown keys are ignored so that a newer API field cannot cost the whole trial; the v2 round
    # trip test shows every key the shared records carry is held.
    model_config = ConfigDict(
        extra="ignore",
        alias_generator=to_camel,
        populate_by_name=True,
        coerce_numbers_to_str=True,
        validate_assignment=True,
    )


class ResultGroup(_ResultPart):
    """An arm or group as the results section names it (ids are local to each module)."""

    id: str
    title: str | None = None
    description: str | None = None


class GroupCount(_ResultPart):
    group_id: str
    value: str | None = None


class Denom(_ResultPart):
    """How many were analysed, per group, and in what units (participants, eyes, lesions…)."""

    units: str | None = None
    counts: list[GroupCount] = Field(default_factory=list)


class FlowCount(_ResultPart):
    group_id: str
    num_subjects: str | None = None
    comment: str | None = None


class Milestone(_ResultPart):
    type: str = Field(description="STARTED, COMPLETED, NOT COMPLETED or the milestone's own name.")
    comment: str | None = None
    achievements: list[FlowCount] = Field(default_factory=list)


class DropWithdraw(_ResultPart):
    type: str = Field(description="The reason: Adverse Event, Lost to Follow-up, …")
    comment: str | None = None
    reasons: list[FlowCount] = Field(default_factory=list)


class FlowPeriod(_ResultPart):
    title: str | None = None
    milestones: list[Milestone] = Field(default_factory=list)
    drop_withdraws: list[DropWithdraw] = Field(default_factory=list)


class ParticipantFlow(_ResultPart):
    pre_assignment_details: str | None = None
    recruitment_details: str | None = None
    type_units_analyzed: str | None = None
    groups: list[ResultGroup] = Field(default_factory=list)
    periods: list[FlowPeriod] = Field(default_factory=list)


class Measurement(_ResultPart):
    group_id: str
    value: str | None = None
    spread: str | None = None
    lower_limit: str | None = None
    upper_limit: str | None = None
    comment: str | None = None


class MeasureCategory(_ResultPart):
    title: str | None = None
    measurements: list[Measurement] = Field(default_factory=list)


class MeasureClass(_ResultPart):
    title: str | None = None
    denoms: list[Denom] = Field(default_factory=list)
    categories: list[MeasureCategory] = Field(default_factory=list)


class BaselineMeasure(_ResultPart):
    title: str
    description: str | None = None
    population_description: str | None = None
    param_type: str | None = None
    dispersion_type: str | None = None
    unit_of_measure: str | None = None
    calculate_pct: bool | None = None
    denom_units_selected: str | None = None
    denoms: list[Denom] = Field(default_factory=list)
    classes: list[MeasureClass] = Field(default_factory=list)


class Baseline(_ResultPart):
    population_description: str | None = None
    type_units_analyzed: str | None = None
    groups: list[ResultGroup] = Field(default_factory=list)
    denoms: list[Denom] = Field(default_factory=list)
    measures: list[BaselineMeasure] = Field(default_factory=list)


class Analysis(_ResultPart):
    """A statistical analysis of an outcome measure: which groups, the method, the estimate, its CI, p."""

    group_ids: list[str] = Field(default_factory=list)
    group_description: str | None = None
    tested_non_inferiority: bool | None = None
    non_inferiority_type: str | None = None
    non_inferiority_comment: str | None = None
    p_value: str | None = None
    p_value_comment: str | None = None
    statistical_method: str | None = None
    statistical_comment: str | None = None
    param_type: str | None = None
    param_value: str | None = None
    ci_pct_value: str | None = None
    ci_num_sides: str | None = None
    ci_lower_limit: str | None = None
    ci_upper_limit: str | None = None
    ci_lower_limit_comment: str | None = None
    ci_upper_limit_comment: str | None = None
    dispersion_type: str | None = None
    dispersion_value: str | None = None
    estimate_comment: str | None = None
    other_analysis_description: str | None = None


class OutcomeMeasure(_ResultPart):
    type: str | None = Field(default=None, description="PRIMARY, SECONDARY, OTHER_PRE_SPECIFIED, POST_HOC.")
    title: str
    description: str | None = None
    population_description: str | None = None
    reporting_status: str | None = None
    anticipated_posting_date: str | None = None
    param_type: str | None = None
    dispersion_type: str | None = None
    unit_of_measure: str | None = None
    calculate_pct: bool | None = None
    time_frame: str | None = None
    type_units_analyzed: str | None = None
    denom_units_selected: str | None = None
    groups: list[ResultGroup] = Field(default_factory=list)
    denoms: list[Denom] = Field(default_factory=list)
    classes: list[MeasureClass] = Field(default_factory=list)
    analyses: list[Analysis] = Field(default_factory=list)


class EventGroup(_ResultPart):
    id: str
    title: str | None = None
    description: str | None = None
    deaths_num_affected: int | None = None
    deaths_num_at_risk: int | None = None
    serious_num_affected: int | None = None
    serious_num_at_risk: int | None = None
    other_num_affected: int | None = None
    other_num_at_risk: int | None = None


class EventStats(_ResultPart):
    group_id: str
    num_events: int | None = None
    num_affected: int | None = None
    num_at_risk: int | None = None


class AdverseEvent(_ResultPart):
    term: str
    organ_system: str | None = None
    source_vocabulary: str | None = None
    assessment_type: str | None = None
    notes: str | None = None
    stats: list[EventStats] = Field(default_factory=list)


class AdverseEvents(_ResultPart):
    frequency_threshold: str | None = None
    time_frame: str | None = None
    description: str | None = None
    all_cause_mortality_comment: str | None = None
    event_groups: list[EventGroup] = Field(default_factory=list)
    serious_events: list[AdverseEvent] = Field(default_factory=list)
    other_events: list[AdverseEvent] = Field(default_factory=list)


class PointOfContact(_ResultPart):
    title: str | None = None
    organization: str | None = None
    email: str | None = None
    phone: str | None = None
    phone_ext: str | None = None


class CertainAgreement(_ResultPart):
    pi_sponsor_employee: bool | None = None
    restriction_type: str | None = None
    restrictive_agreement: bool | None = None
    other_details: str | None = None


class Results(_ResultPart):
    """A trial's posted results (v2 ``resultsSection``, legacy ``<clinical_results>``)."""

    participant_flow: ParticipantFlow | None = None
    baseline: Baseline | None = None
    outcome_measures: list[OutcomeMeasure] = Field(default_factory=list)
    adverse_events: AdverseEvents | None = None
    limitations: str | None = Field(
        default=None, description="Limitations and caveats, as the sponsor wrote them."
    )
    point_of_contact: PointOfContact | None = None
    certain_agreement: CertainAgreement | None = None


# --- reading values ---------------------------------------------------------------------------

_NUMBER = re.compile(r"^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$")


def numeric_value(text: str | None) -> float | None:
    """The number a results cell states, or ``None`` when it states none exactly ("NA", "<0.001", "")."""
    if text is None or not _NUMBER.match(text):
        return None
    return float(text)


@cache
def _vocab() -> dict[str, Any]:
    loaded: dict[str, Any] = packaged_json("trialatlas.model", "results_vocab.json")
    return loaded


def results_code(kind: str, text: str | None) -> str | None:
    """A legacy spelling ("Standard Deviation", "2-Sided") as its v2 code; unknown spellings kept."""
    if text is None:
        return None
    spelled = text.strip()
    known: dict[str, str] = _vocab()["legacy_to_v2"].get(kind, {})
    return known.get(spelled.lower(), spelled)


def results_label(code: str | None) -> str:
    """A v2 code as a reader would say it ("STANDARD_DEVIATION" → "Standard Deviation")."""
    if not code:
        return ""
    known: str | None = _vocab()["labels"].get(code)
    if known:
        return known
    if code.isupper() and " " not in code:
        return code.replace("_", " ").capitalize()
    return code


def dispersion_kind(dispersion_type: str | None) -> str | None:
    """``"interval"`` (lower/upper limits), ``"plus_minus"`` (spread is ± the value), else ``None``."""
    code = results_code("dispersion_type", dispersion_type)
    if code in _vocab()["interval_dispersions"]:
        return "interval"
    if code in _vocab()["plus_minus_dispersions"]:
        return "plus_minus"
    return None


def pi_employee(text: str | None) -> bool | None:
    """The legacy ``<pi_employee>`` sentence as a yes/no; ``None`` for any other wording."""
    if not text:
        return None
    known: dict[str, bool] = _vocab()["pi_employee"]
    return known.get(" ".join(text.split()).lower())


def restrictive_agreement(text: str | None) -> bool | None:
    """The legacy ``<restrictive_agreement>`` text: the registry's "there is NOT an agreement" sentence is no,
    any other text describes the agreement there is."""
    if not text:
        return None
    prefix: str = _vocab()["no_restrictive_agreement_prefix"]
    return not " ".join(text.split()).lower().startswith(prefix)


def legacy_event_total(term: str) -> str | None:
    """``"serious"``, ``"other"`` or ``"deaths"`` for a legacy per-group total row ("Total, serious adverse
    events"), ``None`` for an event term."""
    totals: dict[str, str] = _vocab()["legacy_event_totals"]
    return totals.get(term.strip().lower())


def as_v2(results: Results) -> dict[str, Any]:
    """The results as an API v2 ``resultsSection`` (empty values left out, as the API leaves them out)."""
    dumped = results.model_dump(by_alias=True, exclude_none=True)
    section: dict[str, Any] = {}
    for key in ("participantFlow", "baseline", "adverseEvents"):
        if key in dumped:
            module = {"participantFlow": "participantFlowModule", "baseline": "baselineCharacteristicsModule"}
            section[module.get(key, "adverseEventsModule")] = dumped[key]
    if dumped.get("outcomeMeasures"):
        section["outcomeMeasuresModule"] = {"outcomeMeasures": dumped["outcomeMeasures"]}
    more: dict[str, Any] = {}
    if "certainAgreement" in dumped:
        more["certainAgreement"] = dumped["certainAgreement"]
    if "pointOfContact" in dumped:
        more["pointOfContact"] = dumped["pointOfContact"]
    if "limitations" in dumped:
        more["limitationsAndCaveats"] = {"description": dumped["limitations"]}
    if more:
        section["moreInfoModule"] = more
    return section


def from_v2(section: dict[str, Any]) -> Results:
    """A v2 ``resultsSection`` as :class:`Results` (raises pydantic's ``ValidationError`` on bad values)."""
    more = section.get("moreInfoModule") or {}
    outcomes = section.get("outcomeMeasuresModule") or {}
    limitations = more.get("limitationsAndCaveats") or {}
    return Results.model_validate(
        {
            "participantFlow": section.get("participantFlowModule"),
            "baseline": section.get("baselineCharacteristicsModule"),
            "outcomeMeasures": outcomes.get("outcomeMeasures") or [],
            "adverseEvents": section.get("adverseEventsModule"),
            "limitations": limitations.get("description") if isinstance(limitations, dict) else None,
            "pointOfContact": more.get("pointOfContact"),
            "certainAgreement": more.get("certainAgreement"),
        }
    )
