"""A trial's posted results laid out for reading: the one shape the terminal, the API and the web page show.

Groups are named by their titles, values carry their dispersion as the registry stated it ("12.5 ± 3.1",
"4.0 (2.1 to 6.3)"), and the numbers a chart draws are read only where the value is an exact number: a
value such as "NA" or "<0.001" is shown as written and drawn nowhere. Error bars come from the stated
limits, or from ± the spread when the dispersion is a standard deviation or error; any other spread
draws no bar rather than a guessed one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from trialatlas.model.results import (
    AdverseEvent,
    Analysis,
    BaselineMeasure,
    Denom,
    OutcomeMeasure,
    ParticipantFlow,
    ResultGroup,
    Results,
    dispersion_kind,
    numeric_value,
    results_label,
)

NO_RESULTS = "No results posted"
# As ClinicalTrials.gov's own pages say it.
NO_RESULTS_DETAIL = (
    "The study team has not published outcome measurements, participant flow, or safety data"
    " for this trial yet."
)
RESULTS_ELSEWHERE = "Results are posted on the registry; the source read here does not carry them."
# A posted measure without a single value (a terminated trial's "0 analysed"): said, never an empty table.
NO_VALUES = "No values posted"


@dataclass(frozen=True)
class GroupValue:
    group: str
    n: str | None
    value: str | None
    spread: str = ""
    number: float | None = None
    low: float | None = None
    high: float | None = None
    comment: str | None = None

    @property
    def text(self) -> str:
        shown = self.value if self.value is not None else "—"
        return f"{shown} {self.spread}".strip()


@dataclass(frozen=True)
class MeasureRow:
    label: str  # class and category ("Female", "Week 12"); "" when the measure has one row
    values: list[GroupValue]


@dataclass(frozen=True)
class AnalysisView:
    groups: str
    method: str
    p_value: str
    estimate: str
    notes: list[str] = field(default_factory=list)

    @property
    def p_text(self) -> str:
        """ "p = 0.03", or "p < 0.001" where the registry gave a bound rather than a value."""
        return p_value_text(self.p_value)

    @property
    def text(self) -> str:
        parts = [p for p in (self.method, self.p_text, self.estimate) if p]
        return f"{self.groups}: " + "; ".join(parts) if self.groups else "; ".join(parts)


@dataclass(frozen=True)
class MeasureView:
    kind: str
    title: str
    description: str | None
    time_frame: str | None
    population: str | None
    units: str
    statistic: str  # "Mean (Standard deviation)"
    rows: list[MeasureRow]
    analyses: list[AnalysisView]
    posted: bool = True
    analysed: list[tuple[str, str | None]] = field(default_factory=list)  # (group title, participants)

    @property
    def charted(self) -> bool:
        return any(v.number is not None for row in self.rows for v in row.values)

    @property
    def has_values(self) -> bool:
        return any(v.value is not None for row in self.rows for v in row.values)


@dataclass(frozen=True)
class FlowStep:
    label: str
    counts: list[tuple[str, int | None]]  # (group title, participants)


@dataclass(frozen=True)
class FlowPeriodView:
    title: str
    groups: list[str]
    milestones: list[FlowStep]
    withdrawals: list[FlowStep]


@dataclass(frozen=True)
class EventRate:
    affected: int | None
    at_risk: int | None

    @property
    def rate(self) -> float | None:
        if self.affected is None or not self.at_risk:
            return None
        return self.affected / self.at_risk

    @property
    def text(self) -> str:
        if self.affected is None:
            return "—"
        shown = f"{self.affected}/{self.at_risk}" if self.at_risk is not None else str(self.affected)
        rate = self.rate
        return f"{shown} ({rate:.1%})" if rate is not None else shown


@dataclass(frozen=True)
class EventRow:
    term: str
    organ_system: str
    serious: bool
    rates: list[EventRate]

    @property
    def total_affected(self) -> int:
        return sum(r.affected or 0 for r in self.rates)


@dataclass(frozen=True)
class EventsView:
    groups: list[str]
    serious_totals: list[EventRate]
    other_totals: list[EventRate]
    deaths: list[EventRate]
    rows: list[EventRow]
    time_frame: str | None
    description: str | None
    threshold: str | None


@dataclass(frozen=True)
class ResultsView:
    flow: list[FlowPeriodView]
    flow_notes: list[str]
    baseline: list[MeasureView]
    baseline_groups: list[str]
    outcomes: list[MeasureView]
    events: EventsView | None
    limitations: str | None
    contact: str | None
    agreement: str | None


def p_value_text(p_value: str) -> str:
    value = p_value.strip()
    if not value:
        return ""
    if value[0] in "<>≤≥":
        return f"p {value[0]} {value[1:].strip()}"
    return f"p = {value}"


def _titles(groups: list[ResultGroup]) -> dict[str, str]:
    return {g.id: g.title or g.id for g in groups}


def _count(text: str | None) -> int | None:
    number = numeric_value(text)
    return int(number) if number is not None and number.is_integer() else None


def _flow(flow: ParticipantFlow) -> list[FlowPeriodView]:
    titles = _titles(flow.groups)
    order = [g.id for g in flow.groups]
    periods: list[FlowPeriodView] = []
    for index, period in enumerate(flow.periods, start=1):

        def step(label: str, counts: dict[str, str | None]) -> FlowStep:
            return FlowStep(label, [(titles[g], _count(counts.get(g))) for g in order])

        milestones = [
            step(m.type, {a.group_id: a.num_subjects for a in m.achievements}) for m in period.milestones
        ]
        withdrawals = [
            step(d.type, {r.group_id: r.num_subjects for r in d.reasons}) for d in period.drop_withdraws
        ]
        periods.append(
            FlowPeriodView(
                period.title or f"Period {index}",
                [titles[g] for g in order],
                milestones,
                withdrawals,
            )
        )
    return periods


def _denom_counts(denoms: list[Denom]) -> dict[str, str | None]:
    # The first denominator is the one the registry shows (the participants, unless units were chosen).
    return {c.group_id: c.value for c in denoms[0].counts} if denoms else {}


def _group_value(
    group: str, n: str | None, m_value: str | None, spread: str | None, low: str | None, high: str | None,
    kind: str | None, comment: str | None,
) -> GroupValue:  # fmt: skip
    number = numeric_value(m_value)
    low_n, high_n = numeric_value(low), numeric_value(high)
    spread_n = numeric_value(spread)
    text = ""
    bar_low: float | None = None
    bar_high: float | None = None
    if low is not None or high is not None:
        text = f"({low or 'NA'} to {high or 'NA'})"
        bar_low, bar_high = low_n, high_n
    elif spread is not None:
        text = f"± {spread}" if kind == "plus_minus" else f"({spread})"
        if kind == "plus_minus" and number is not None and spread_n is not None:
            bar_low, bar_high = number - spread_n, number + spread_n
    if bar_low is None or bar_high is None or number is None:
        bar_low = bar_high = None
    return GroupValue(group, n, m_value, text, number, bar_low, bar_high, comment)


def _measure_rows(
    measure: OutcomeMeasure | BaselineMeasure, groups: dict[str, str], denoms: list[Denom]
) -> list[MeasureRow]:
    """A row per class and category with a value per group, in the groups' order: a group the
    category lists no value for keeps its place, empty, so no value moves under another's title."""
    kind = dispersion_kind(measure.dispersion_type)
    ns = _denom_counts(measure.denoms or denoms)
    rows: list[MeasureRow] = []
    for cls in measure.classes:
        class_ns = _denom_counts(cls.denoms) or ns
        for category in cls.categories:
            label = " — ".join(t for t in (cls.title, category.title) if t)
            posted = {m.group_id: m for m in category.measurements}
            order = list(groups) + [g for g in posted if g not in groups]
            values = []
            for group in order:
                m = posted.get(group)
                title = groups.get(group, group)
                if m is None:
                    values.append(GroupValue(title, class_ns.get(group), None))
                    continue
                n = class_ns.get(group)
                values.append(
                    _group_value(title, n, m.value, m.spread, m.lower_limit, m.upper_limit, kind, m.comment)
                )
            rows.append(MeasureRow(label, values))
    return rows


def _analysed(groups: dict[str, str], denoms: list[Denom]) -> list[tuple[str, str | None]]:
    counts = _denom_counts(denoms)
    return [(title, counts[group]) for group, title in groups.items() if group in counts]


def _statistic(measure: OutcomeMeasure | BaselineMeasure) -> str:
    param = results_label(measure.param_type)
    dispersion = results_label(measure.dispersion_type)
    if param and dispersion and measure.dispersion_type != "NA":
        return f"{param} ({dispersion})"
    return param


def _analysis(analysis: Analysis, groups: dict[str, str]) -> AnalysisView:
    compared = " vs ".join(groups.get(g, g) for g in analysis.group_ids)
    estimate = ""
    if analysis.param_value is not None:
        estimate = f"{analysis.param_type or 'Estimate'} {analysis.param_value}"
        if analysis.ci_lower_limit is not None or analysis.ci_upper_limit is not None:
            pct = f"{analysis.ci_pct_value}% " if analysis.ci_pct_value else ""
            sides = f", {results_label(analysis.ci_num_sides)}" if analysis.ci_num_sides else ""
            estimate += (
                f" ({pct}CI {analysis.ci_lower_limit or 'NA'} to {analysis.ci_upper_limit or 'NA'}{sides})"
            )
        elif analysis.dispersion_value is not None:
            estimate += (
                f" ({results_label(analysis.dispersion_type) or 'dispersion'} {analysis.dispersion_value})"
            )
    notes = [
        n
        for n in (
            results_label(analysis.non_inferiority_type) if analysis.non_inferiority_type else None,
            analysis.p_value_comment,
            analysis.statistical_comment,
            analysis.estimate_comment,
            analysis.other_analysis_description,
        )
        if n
    ]
    return AnalysisView(compared, analysis.statistical_method or "", analysis.p_value or "", estimate, notes)


def _outcome(measure: OutcomeMeasure) -> MeasureView:
    groups = _titles(measure.groups)
    return MeasureView(
        kind=results_label(measure.type) or "Outcome",
        title=measure.title,
        description=measure.description,
        time_frame=measure.time_frame,
        population=measure.population_description,
        units=measure.unit_of_measure or "",
        statistic=_statistic(measure),
        rows=_measure_rows(measure, groups, []),
        analyses=[_analysis(a, groups) for a in measure.analyses],
        posted=measure.reporting_status != "NOT_POSTED",
        analysed=_analysed(groups, measure.denoms),
    )


def _baseline_measure(measure: BaselineMeasure, groups: dict[str, str], denoms: list[Denom]) -> MeasureView:
    return MeasureView(
        kind="Baseline",
        title=measure.title,
        description=measure.description,
        time_frame=None,
        population=measure.population_description,
        units=measure.unit_of_measure or "",
        statistic=_statistic(measure),
        rows=_measure_rows(measure, groups, denoms),
        analyses=[],
        analysed=_analysed(groups, measure.denoms or denoms),
    )


def _rates(event: AdverseEvent, order: list[str]) -> list[EventRate]:
    by_group = {s.group_id: s for s in event.stats}
    return [
        EventRate(by_group[g].num_affected, by_group[g].num_at_risk)
        if g in by_group
        else EventRate(None, None)
        for g in order
    ]


def _events(results: Results) -> EventsView | None:
    events = results.adverse_events
    if events is None:
        return None
    order = [g.id for g in events.event_groups]
    rows = [
        EventRow(e.term, e.organ_system or "", serious, _rates(e, order))
        for serious, listed in ((True, events.serious_events), (False, events.other_events))
        for e in listed
    ]
    return EventsView(
        groups=[g.title or g.id for g in events.event_groups],
        serious_totals=[
            EventRate(g.serious_num_affected, g.serious_num_at_risk) for g in events.event_groups
        ],
        other_totals=[EventRate(g.other_num_affected, g.other_num_at_risk) for g in events.event_groups],
        deaths=[EventRate(g.deaths_num_affected, g.deaths_num_at_risk) for g in events.event_groups],
        rows=rows,
        time_frame=events.time_frame,
        description=events.description,
        threshold=events.frequency_threshold,
    )


def results_view(results: Results) -> ResultsView:
    """The results laid out for reading (see the module notes for what is drawn and what is not)."""
    flow = results.participant_flow
    baseline = results.baseline
    base_groups = _titles(baseline.groups) if baseline else {}
    contact = results.point_of_contact
    agreement = results.certain_agreement
    agreement_text = None
    if agreement is not None:
        parts = []
        if agreement.pi_sponsor_employee is not None:
            parts.append(
                "Principal investigators are employed by the sponsor."
                if agreement.pi_sponsor_employee
                else "Principal investigators are not employed by the sponsor."
            )
        if agreement.restrictive_agreement is not None:
            parts.append(
                "There is an agreement restricting the investigators' right to publish."
                if agreement.restrictive_agreement
                else "No agreement restricts the investigators' right to publish."
            )
        if agreement.restriction_type:
            parts.append(f"Restriction: {results_label(agreement.restriction_type).lower()}.")
        if agreement.other_details:
            parts.append(agreement.other_details)
        agreement_text = " ".join(parts) or None
    return ResultsView(
        flow=_flow(flow) if flow else [],
        flow_notes=[n for n in (flow.recruitment_details, flow.pre_assignment_details) if n] if flow else [],
        baseline=[_baseline_measure(m, base_groups, baseline.denoms) for m in baseline.measures]
        if baseline
        else [],
        baseline_groups=list(base_groups.values()),
        outcomes=[_outcome(m) for m in results.outcome_measures],
        events=_events(results),
        limitations=results.limitations,
        contact=", ".join(p for p in (contact.title, contact.organization, contact.email, contact.phone) if p)
        if contact
        else None,
        agreement=agreement_text,
    )
