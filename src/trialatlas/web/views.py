"""What each page shows, worked out before the template sees it: templates only lay values out.

Every string here is plain text; the templates escape it (autoescape is on everywhere), so registry
text can never become markup. Highlighting is carried as :class:`Piece` runs, not as HTML. The one
exception is a search snippet, which the search package hands over as escaped text with ``<mark>``
tags: :func:`snippet_html` lets exactly that shape through and escapes anything else.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from markupsafe import Markup, escape

from trialatlas.errors import QueryError
from trialatlas.extract.criteria import ParsedCriterion, Rule
from trialatlas.extract.criteria.describe import describe_rule
from trialatlas.extract.regimen import TrialTimeline
from trialatlas.model import Arm, Intervention, Location, PartialDate, Trial
from trialatlas.model.registries import Registration, identify, registrations, registry_name
from trialatlas.related import RelatedResult
from trialatlas.search import FACETS, SearchResults, SortKey, TrialSummary
from trialatlas.search.facets import value_key
from trialatlas.search.service import SiteDistance
from trialatlas.services.atlas import Atlas
from trialatlas.services.models import RelatedRequest, SearchRequest
from trialatlas.services.sections import design_rows, snapshot_rows
from trialatlas.web.charts import Bar, bar_chart
from trialatlas.web.results_charts import ResultsPage, results_page
from trialatlas.web.urls import search_url, selected_keys

# Which model fields each page section shows, for "which source gave this".
SECTION_FIELDS: dict[str, tuple[str, ...]] = {
    "snapshot": ("status", "design"),
    "summary": ("brief_summary",),
    "description": ("detailed_description",),
    "conditions": ("conditions", "keywords", "condition_mesh"),
    "design": ("design",),
    "groups": ("arms", "interventions"),
    "eligibility": ("eligibility",),
    "outcomes": ("outcomes",),
    "results": ("results",),
    "sponsors": ("lead_sponsor", "collaborators", "responsible_party", "officials"),
    "locations": ("locations",),
    "contacts": ("central_contacts",),
    "references": ("references", "see_also_links"),
    "identifiers": ("org_study_id", "secondary_ids", "nct_id_aliases"),
    "listed": ("related_trials",),
}


@dataclass(frozen=True)
class Piece:
    """A run of text; ``cls`` marks a typed value or a recognised rule, ``note`` says what was read."""

    text: str
    cls: str | None = None
    note: str | None = None


@dataclass
class CriterionView:
    kind: str
    pieces: list[Piece]
    is_header: bool
    nested: bool
    evaluable: bool


@dataclass
class GroupView:
    arm: Arm
    interventions: list[Intervention]


@dataclass
class DoseLine:
    phase: str
    drug: str
    dose: str


@dataclass
class SourceView:
    id: str
    format: str
    location: str
    record_date: str | None
    partial: bool
    registry: str | None = None
    registry_id: str | None = None
    name: str = ""


@dataclass
class TrialView:
    trial: Trial
    snapshot: list[tuple[str, str]]
    design: list[tuple[str, str]]
    groups: list[GroupView]
    other_interventions: list[Intervention]
    timeline: TrialTimeline
    has_timeline: bool
    doses: dict[str, list[DoseLine]]
    eligibility: list[tuple[str, str]]
    criteria: list[CriterionView]
    sponsors: list[tuple[str, str]]
    locations: list[tuple[str, list[Location]]]
    identifiers: list[tuple[str, str]]
    registrations: list[Registration]
    related: list[RelatedResult]
    related_error: str | None
    sources: list[SourceView]
    section_sources: dict[str, list[str]] = field(default_factory=dict)
    results: ResultsPage = field(default_factory=lambda: ResultsPage(view=None))


def _label(value: object) -> str:
    """Registry vocabulary as people read it: ACTIVE_NOT_RECRUITING → Active not recruiting."""
    text = str(value)
    if text.isupper() or "_" in text:
        text = text.replace("_", " ").lower()
        text = text[:1].upper() + text[1:]
    return (
        text.replace("Phase1", "Phase 1")
        .replace("Phase2", "Phase 2")
        .replace("Phase3", "Phase 3")
        .replace("Phase4", "Phase 4")
    )


def label(value: object) -> str:
    if value is None or value == "":
        return ""
    text = str(value)
    if text.startswith(("PHASE", "EARLY_PHASE")):
        return text.replace("EARLY_PHASE1", "Early phase 1").replace("PHASE", "Phase ")
    if text == "NA":
        return "Not applicable"
    return _label(text)


def _date(value: PartialDate | None) -> str:
    if value is None:
        return ""
    return value.date + (" (estimated)" if value.type and str(value.type) == "ESTIMATED" else "")


def _text(value: object) -> str:
    """Free text stays as written; vocabulary values (enums, also ``str``) become their label."""
    return value if isinstance(value, str) and not isinstance(value, Enum) else label(value)


def _rows(pairs: list[tuple[str, object]]) -> list[tuple[str, str]]:
    return [(name, _text(value)) for name, value in pairs if value not in (None, "", [])]


def _rule_note(rule: Rule) -> str:
    # The rule said in words, as the CLI says it: the kind, then what it asks of the patient.
    return f"{rule.kind.replace('_', ' ')}: {describe_rule(rule)}"


def highlight(criterion: ParsedCriterion) -> list[Piece]:
    """The criterion text cut into runs, the parsed parts of it marked (values apart from names)."""
    text = criterion.text
    marks: list[tuple[int, int, str, str]] = []
    for rule in criterion.rules:
        if rule.kind == "not_evaluable":
            continue
        note = _rule_note(rule)
        name_span = getattr(rule, "name_span", None)
        value_span = getattr(rule, "value_span", None)
        if name_span is not None:
            marks.append((name_span.start, name_span.end, f"rule rule-{rule.kind}", note))
            if value_span is not None:
                marks.append((value_span.start, value_span.end, "value", note))
        else:
            marks.append((rule.span.start, rule.span.end, f"rule rule-{rule.kind}", note))
    marks.sort(key=lambda m: (m[0], -(m[1] - m[0])))
    pieces: list[Piece] = []
    at = 0
    for start, end, cls, note in marks:
        if start < at or end > len(text) or end <= start:
            continue  # overlapping or out of range: the earlier, longer mark wins
        if start > at:
            pieces.append(Piece(text[at:start]))
        pieces.append(Piece(text[start:end], cls, note))
        at = end
    if at < len(text):
        pieces.append(Piece(text[at:]))
    return pieces


def _groups(trial: Trial) -> tuple[list[GroupView], list[Intervention]]:
    by_name = {i.name.casefold(): i for i in trial.interventions}
    used: set[str] = set()
    groups: list[GroupView] = []
    for arm in trial.arms:
        linked: list[Intervention] = []
        for named in arm.intervention_names:
            name = named.split(": ", 1)[-1].casefold()
            if name in by_name and name not in {i.name.casefold() for i in linked}:
                linked.append(by_name[name])
        for intervention in trial.interventions:
            if arm.label in intervention.arm_labels and intervention not in linked:
                linked.append(intervention)
        used.update(i.name.casefold() for i in linked)
        groups.append(GroupView(arm, linked))
    others = [i for i in trial.interventions if i.name.casefold() not in used]
    return groups, others


def _doses(timeline: TrialTimeline) -> dict[str, list[DoseLine]]:
    """The chart's bars as table rows, for reading without the picture: the same text, in order."""
    from trialatlas.extract.regimen.svg import phase_rows

    out: dict[str, list[DoseLine]] = {}
    for arm in timeline.arms:
        lines: list[DoseLine] = []
        for phase in arm.phases:
            span = _phase_span(phase.start_weeks, phase.end_weeks)
            for drug, dose, _ in phase_rows(phase):
                lines.append(DoseLine(f"{phase.label} ({span})", drug, dose))
        if lines:
            out[arm.arm] = lines
    return out


def _phase_span(start: float | None, end: float | None) -> str:
    first = f"week {start or 0:g}"
    return f"{first} to {end:g}" if end is not None else f"{first}, no stated end"


def _locations(trial: Trial) -> list[tuple[str, list[Location]]]:
    grouped: dict[str, list[Location]] = defaultdict(list)
    for loc in trial.locations:
        grouped[loc.country or "Country not given"].append(loc)
    return sorted(grouped.items(), key=lambda pair: (-len(pair[1]), pair[0]))


def _sources(trial: Trial) -> tuple[list[SourceView], dict[str, list[str]]]:
    views = [
        SourceView(
            s.id,
            str(s.format),
            s.location,
            s.record_date.isoformat() if s.record_date else None,
            s.partial,
            registry_name(s.registry) if s.registry else None,
            s.registry_id,
            s.record_name,
        )
        for s in trial.sources
    ]
    number = {s.id: n for n, s in enumerate(trial.sources, start=1)}
    by_section: dict[str, list[str]] = {}
    for section, fields in SECTION_FIELDS.items():
        ids = [trial.field_sources[f] for f in fields if f in trial.field_sources]
        labels = sorted({f"#{number[i]}" if i in number else i for i in ids})
        if labels:
            by_section[section] = labels
    return views, by_section


def trial_view(atlas: Atlas, nct: str) -> TrialView:
    trial = atlas.trial(nct)
    elig = trial.eligibility
    snapshot = _rows(snapshot_rows(trial, label, _date))
    design = _rows(design_rows(trial, label))
    groups, others = _groups(trial)
    timeline = atlas.timeline_of(trial)
    eligibility = _rows(
        [
            ("Minimum age", trial.age_limit_text("minimum").capitalize()),
            ("Maximum age", trial.age_limit_text("maximum").capitalize()),
            ("Sex", elig.sex),
            (
                "Healthy volunteers",
                None
                if elig.healthy_volunteers is None
                else ("Accepted" if elig.healthy_volunteers else "No"),
            ),
            ("Age groups", ", ".join(label(a) for a in elig.std_ages)),
            ("Study population", elig.study_population),
        ]
    )
    criteria = [
        CriterionView(c.kind, highlight(c), c.is_header, c.parent is not None, c.evaluable)
        for c in atlas.parsed_criteria(trial)
    ]
    sponsors: list[tuple[str, str]] = []
    if trial.lead_sponsor:
        sponsors.append(("Lead sponsor", trial.lead_sponsor.name + _cls(trial.lead_sponsor.agency_class)))
    sponsors += [("Collaborator", c.name + _cls(c.agency_class)) for c in trial.collaborators]
    party = trial.responsible_party
    if party and party.type:
        who = ", ".join(
            p
            for p in (party.investigator_full_name, party.investigator_title, party.investigator_affiliation)
            if p
        )
        sponsors.append(("Responsible party", label(party.type) + (f": {who}" if who else "")))
    sponsors += [
        (label(o.role) if o.role else "Official", ", ".join(p for p in (o.name, o.affiliation) if p))
        for o in trial.officials
    ]
    identifiers: list[tuple[str, str]] = []
    if trial.org_study_id:
        identifiers.append(("Org study id", trial.org_study_id))
    known = registrations(trial)
    linked = {r.id.upper() for r in known}
    identifiers += [
        (label(s.type or s.domain or "Secondary id"), s.id)
        for s in trial.secondary_ids
        if not ((found := identify(s.id)) and found.id.upper() in linked)
    ]
    identifiers += [("Former NCT id", alias) for alias in trial.nct_id_aliases]
    related: list[RelatedResult] = []
    related_error: str | None = None
    try:
        related = atlas.related(RelatedRequest(nct=trial.key, top=8)).computed
    except QueryError as exc:
        related_error = str(exc)
    sources, section_sources = _sources(trial)
    return TrialView(
        trial=trial,
        snapshot=snapshot,
        design=design,
        groups=groups,
        other_interventions=others,
        timeline=timeline,
        has_timeline=any(arm.phases for arm in timeline.arms),
        doses=_doses(timeline),
        eligibility=eligibility,
        criteria=criteria,
        sponsors=sponsors,
        locations=_locations(trial),
        identifiers=identifiers,
        registrations=known,
        related=related,
        related_error=related_error,
        sources=sources,
        section_sources=section_sources,
        results=results_page(trial),
    )


def _cls(value: object) -> str:
    return f" ({label(value)})" if value else ""


# --- compare -------------------------------------------------------------------------------------


@dataclass
class CompareCriterion:
    kind: str
    text: str
    shared: bool


@dataclass
class CompareView:
    trials: list[Trial]
    rows: list[tuple[str, list[str]]]
    arms: list[list[tuple[str, list[str]]]]
    criteria: list[list[CompareCriterion]]
    outcomes: list[list[str]]


MAX_COMPARE = 4


def parse_ids(raw: list[str]) -> list[str]:
    ids = list(dict.fromkeys(part.strip() for value in raw for part in value.split(",") if part.strip()))
    if not 2 <= len(ids) <= MAX_COMPARE:
        raise QueryError(f"compare takes 2 to {MAX_COMPARE} different trial ids, got {len(ids)}")
    return ids


def _signature(kind: str, rule: Rule) -> str:
    concept = (
        getattr(rule, "concept", None)
        or getattr(rule, "analyte", None)
        or ",".join(getattr(rule, "drugs", []) or [])
        or getattr(rule, "drug_class", None)
        or getattr(rule, "aspect", None)
        or getattr(rule, "pathogen", None)
        or getattr(rule, "sex", None)
        or str(getattr(rule, "name", "")).casefold()
    )
    return f"{kind}:{rule.kind}:{concept}"


def compare_view(atlas: Atlas, ids: list[str]) -> CompareView:
    trials = atlas.trials(parse_ids(ids))

    def row(name: str, values: list[object]) -> tuple[str, list[str]]:
        return name, [_text(v) for v in values]

    rows = [
        row("Status", [t.status.overall_status for t in trials]),
        row("Phase", [", ".join(label(p) for p in t.design.phases) for t in trials]),
        row("Study type", [t.design.study_type for t in trials]),
        row(
            "Enrollment",
            [
                str(t.design.enrollment.count)
                if t.design.enrollment and t.design.enrollment.count is not None
                else ""
                for t in trials
            ],
        ),
        row("Allocation", [t.design.allocation for t in trials]),
        row("Intervention model", [t.design.intervention_model for t in trials]),
        row("Masking", [t.design.masking for t in trials]),
        row("Primary purpose", [t.design.primary_purpose for t in trials]),
        row("Start", [_date(t.status.start_date) for t in trials]),
        row("Completion", [_date(t.status.completion_date) for t in trials]),
        row("Lead sponsor", [t.lead_sponsor.name if t.lead_sponsor else "" for t in trials]),
        row("Conditions", ["; ".join(t.conditions) for t in trials]),
        row(
            "Ages",
            [
                f"{t.eligibility.minimum_age.text if t.eligibility.minimum_age else 'any'} – "
                f"{t.eligibility.maximum_age.text if t.eligibility.maximum_age else 'any'}"
                for t in trials
            ],
        ),
        row("Sex", [t.eligibility.sex for t in trials]),
        row(
            "Healthy volunteers",
            [
                ""
                if t.eligibility.healthy_volunteers is None
                else ("Accepted" if t.eligibility.healthy_volunteers else "No")
                for t in trials
            ],
        ),
        row(
            "Countries", [", ".join(t.countries[:6]) + (" …" if len(t.countries) > 6 else "") for t in trials]
        ),
    ]
    arms: list[list[tuple[str, list[str]]]] = []
    for trial in trials:
        doses = _doses(atlas.timeline_of(trial))
        listed = [
            (
                arm.label,
                [f"{d.drug}: {d.dose}" for d in doses.get(arm.label, [])] or list(arm.intervention_names),
            )
            for arm in trial.arms
        ]
        arms.append(listed)
    parsed = [atlas.parsed_criteria(t) for t in trials]
    signatures = [
        {_signature(c.kind, r) for c in criteria for r in c.rules if r.kind != "not_evaluable"}
        for criteria in parsed
    ]
    common = set.intersection(*signatures) if signatures else set()
    criteria_views: list[list[CompareCriterion]] = []
    for criteria in parsed:
        views = []
        for c in criteria:
            if c.is_header:
                continue
            keys = {_signature(c.kind, r) for r in c.rules if r.kind != "not_evaluable"}
            views.append(CompareCriterion(c.kind, c.text, bool(keys) and keys <= common))
        criteria_views.append(views)
    outcomes = [
        [
            f"{label(o.kind) + ': ' if o.kind else ''}{o.measure}"
            + (f" ({o.time_frame})" if o.time_frame else "")
            for o in t.outcomes
        ]
        for t in trials
    ]
    return CompareView(trials, rows, arms, criteria_views, outcomes)


# --- search --------------------------------------------------------------------------------------

# The snippet shape the search package builds (trialatlas.search.service._snippet_html): text escaped
# by html.escape, so "&" only starts one of its five entities and no "<" or ">" is left, with the
# matched terms between <mark> and </mark>, never nested.
_SNIPPET_TEXT = r"(?:[^<>&]|&(?:amp|lt|gt|quot|#x27);)"
_SNIPPET = re.compile(rf"(?:{_SNIPPET_TEXT}|<mark>{_SNIPPET_TEXT}*</mark>)*")


def snippet_html(snippet: str) -> Markup:
    """A search snippet as markup when it has exactly the search package's shape (escaped text and
    ``<mark>`` pairs); anything else is escaped whole, so it shows as text and cannot become markup."""
    if _SNIPPET.fullmatch(snippet):
        return Markup(snippet)  # checked above: escaped text and bare <mark> tags only
    return escape(snippet)


# Facets whose values are registry vocabulary (shown as labels); the others are shown as written.
_VOCABULARY_FACETS = frozenset(
    {"status", "phase", "study_type", "intervention_type", "sponsor_class", "age_group", "sex"}
)
# Facets shown open in the sidebar; the others start folded unless one of their values is chosen.
_OPEN_FACETS = ("status", "phase", "study_type", "country", "sponsor_class")
PAGE_FACET_VALUES = 10
# Cursors only go forward: the previous page's is found by walking the results again, up to this many
# (deeper pages link to the first page instead).
MAX_WALK_BACK = 5000


def facet_label(facet: str, value: str) -> str:
    if facet in _VOCABULARY_FACETS:
        return label(value)
    if value in ("yes", "no"):
        return value.capitalize()
    return value


@dataclass
class FacetValueView:
    value: str
    label: str
    count: int
    selected: bool
    url: str


@dataclass
class FacetView:
    name: str
    label: str
    values: list[FacetValueView]
    open: bool


@dataclass
class HitView:
    trial: TrialSummary
    score: float
    snippet: Markup
    nearest_site: SiteDistance | None = None


@dataclass
class SearchView:
    request: SearchRequest
    total: int = 0
    offset: int = 0
    hits: list[HitView] = field(default_factory=list)
    facets: list[FacetView] = field(default_factory=list)
    expansions: list[str] = field(default_factory=list)
    not_expanded: list[str] = field(default_factory=list)
    interpreted: list[str] = field(default_factory=list)
    next_url: str | None = None
    prev_url: str | None = None
    first_url: str | None = None
    landscape_url: str = "/landscape"
    download_url: str = "/api/download"
    error: str | None = None
    took_ms: float = 0.0
    origin: str | None = None
    # The home page (no search yet): recently updated trials open to enrolment, as registries open with.
    recent: list[TrialSummary] = field(default_factory=list)
    recent_url: str | None = None


def _facet_views(request: SearchRequest, results: SearchResults) -> list[FacetView]:
    views: list[FacetView] = []
    for name, counts in results.facets.items():
        if not counts:
            continue
        chosen = selected_keys(request, name)
        values = [
            FacetValueView(
                value=count.value,
                label=facet_label(name, count.value),
                count=count.count,
                selected=value_key(name, count.value) in chosen,
                url=search_url(request, toggle=(name, count.value)),
            )
            for count in counts
        ]
        facet = FACETS.get(name)
        views.append(
            FacetView(
                name=name,
                label=facet.label if facet else name,
                values=values,
                open=name in _OPEN_FACETS or any(v.selected for v in values),
            )
        )
    return views


def search_view(atlas: Atlas, request: SearchRequest) -> SearchView:
    """One page of a search with its facets, the expansions and filters read from the words, and
    the links to the next and previous pages; a malformed search is a view with its ``error``."""
    landscape_url = search_url(request, path="/landscape", cursor=None)
    try:
        results = atlas.search(request, facet_limit=PAGE_FACET_VALUES)
    except QueryError as exc:
        return SearchView(request=request, error=str(exc), landscape_url=landscape_url)
    page = request.page if request.cursor else 1
    prev_url: str | None = None
    first_url: str | None = None
    if page > 1:
        first_url = search_url(request, cursor=None)
        back = (page - 2) * request.limit
        if back <= MAX_WALK_BACK:
            previous = atlas.cursor_at(request, back) if back else None
            prev_url = search_url(request, cursor=previous, page=page - 1 if previous else 1)
    next_url = search_url(request, cursor=results.next_cursor, page=page + 1) if results.next_cursor else None
    return SearchView(
        request=request,
        total=results.total,
        offset=(page - 1) * request.limit,
        hits=[
            HitView(hit.trial, hit.score, snippet_html(hit.snippet), hit.nearest_site) for hit in results.hits
        ],
        facets=_facet_views(request, results),
        expansions=[f"{note.typed} → {', '.join(note.added)}" for note in results.expansions if note.added],
        not_expanded=[
            f"{note.typed}: not read as {', '.join(note.not_expanded)}"
            for note in results.expansions
            if note.not_expanded
        ],
        interpreted=results.interpreted,
        next_url=next_url,
        prev_url=prev_url,
        first_url=first_url if page > 2 or prev_url is None else None,
        landscape_url=landscape_url,
        download_url=search_url(request, path="/api/download", cursor=None),
        took_ms=results.took_ms,
        origin=results.origin,
        **_recent(atlas, request),
    )


RECENT_TRIALS = 5


def _recent(atlas: Atlas, request: SearchRequest) -> dict[str, Any]:
    """On the home page only: the trials recruiting or about to, most recently updated first."""
    if request != SearchRequest():
        return {}
    recent = SearchRequest(
        status=["RECRUITING", "NOT_YET_RECRUITING"], sort=SortKey.LAST_UPDATE, limit=RECENT_TRIALS
    )
    found = atlas.search(recent, facets=False, snippets=False)
    return {
        "recent": [hit.trial for hit in found.hits],
        "recent_url": search_url(recent.model_copy(update={"limit": 20})),
    }


# --- landscape -----------------------------------------------------------------------------------


@dataclass
class ChartView:
    title: str
    facet: str
    svg: Markup
    bars: list[Bar]
    note: str | None = None


@dataclass
class LandscapeView:
    total: int
    charts: list[ChartView]
    interpreted: list[str] = field(default_factory=list)


_CHARTS = (
    ("Trials by phase", "phase"),
    ("Trials by status", "status"),
    ("Trials by start year", "start_year"),
    ("Trials by country (top 15)", "country"),
    ("Trials by lead sponsor class", "sponsor_class"),
)
_CHART_VALUES = {"country": 15}
# Every value of the other charts (start years, phases, statuses: tens at most).
_ALL_VALUES = 1000


def landscape_view(atlas: Atlas, request: SearchRequest) -> LandscapeView:
    stats = atlas.stats(request, [facet for _, facet in _CHARTS], top=_ALL_VALUES)
    charts: list[ChartView] = []
    for title, facet in _CHARTS:
        counts = stats.facets.get(facet, [])
        if facet in _CHART_VALUES:
            counts = sorted(counts, key=lambda c: (-c.count, c.value))[: _CHART_VALUES[facet]]
        bars = [Bar(facet_label(facet, c.value), c.count, c.value) for c in counts]
        note = None
        if selected_keys(request, facet):
            # Facet counts leave out the facet's own selection, so that its alternatives show.
            name = FACETS[facet].label.lower()
            note = f"Counted without the {name} filter: the other bars show what choosing them would add."
        charts.append(ChartView(title, facet, bar_chart(title, bars), bars, note))
    return LandscapeView(total=stats.total, charts=charts, interpreted=stats.interpreted)
