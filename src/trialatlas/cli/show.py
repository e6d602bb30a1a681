"""Rendering one trial for the terminal, in the order the registry pages use.

Snapshot, summary, design, groups and interventions, eligibility, outcomes, results, sponsors,
locations, references. Results are laid out a group a line, so they fit an 80-column terminal
whatever the number of groups.
Every registry string goes through :class:`rich.text.Text`, never through markup, so text such as
``[bold]`` or ``[link=…]`` in a record is shown as written and cannot restyle the terminal.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from trialatlas.model import PartialDate, Trial
from trialatlas.model.registries import CTGOV, identify, registrations, registry_name
from trialatlas.services.results import (
    NO_RESULTS,
    NO_RESULTS_DETAIL,
    NO_VALUES,
    RESULTS_ELSEWHERE,
    MeasureView,
    ResultsView,
    results_view,
)
from trialatlas.services.sections import design_rows, snapshot_rows
from trialatlas.text.markdown import unescape_markdown


def _t(value: object, style: str = "") -> Text:
    # Registry text as its page reads: API v2's markdown escapes ("\\>= 1:80") undone.
    return Text("" if value is None else unescape_markdown(str(value)), style=style)


def _date(value: PartialDate | None) -> str:
    if value is None:
        return "—"
    return value.date + (f" ({value.type.lower()})" if value.type else "")


def _section(title: str, *body: RenderableType) -> Panel:
    return Panel(Group(*body), title=Text(title, style="bold"), title_align="left", expand=True)


def _fields(rows: Iterable[tuple[str, object]]) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="dim", no_wrap=True)
    table.add_column(overflow="fold")
    for label, value in rows:
        if value not in (None, "", [], "—"):
            table.add_row(label, _t(value))
    return table


def render_trial(trial: Trial) -> list[RenderableType]:
    """The trial as a list of Rich renderables, one per section (empty sections left out)."""
    header = Text()
    header.append(trial.nct_id or trial.key, style="bold cyan")
    if trial.acronym:
        header.append(f"  {trial.acronym}", style="bold")
    header.append("\n")
    header.append(unescape_markdown(trial.title), style="bold")
    if trial.is_partial:
        header.append("\n(partial record: the source shows only part of this trial)", style="yellow")
    out: list[RenderableType] = [header]

    out.append(_section("Snapshot", _fields(snapshot_rows(trial, str, _date))))
    if trial.official_title and trial.official_title != trial.brief_title:
        out.append(_section("Official title", _t(trial.official_title)))
    if trial.brief_summary:
        out.append(_section("Brief summary", _t(trial.brief_summary)))
    if trial.detailed_description:
        out.append(_section("Detailed description", _t(trial.detailed_description)))
    if trial.conditions or trial.keywords:
        out.append(
            _section(
                "Conditions",
                _fields(
                    [("Conditions", "; ".join(trial.conditions)), ("Keywords", "; ".join(trial.keywords))]
                ),
            )
        )
    design_table = _fields(design_rows(trial, str))
    if design_table.row_count:
        out.append(_section("Study design", design_table))
    if trial.arms or trial.interventions:
        out.append(_section("Study groups and interventions", *_groups(trial)))
    ages = (trial.age_limit_text("minimum"), trial.age_limit_text("maximum"))
    out.append(_section("Eligibility", *_eligibility(trial, *ages)))
    if trial.outcomes:
        outcome_table = Table("Type", "Measure", "Time frame", expand=True, show_lines=False)
        for outcome in trial.outcomes:
            outcome_table.add_row(
                _t(outcome.kind.lower() if outcome.kind else "—"), _t(outcome.measure), _t(outcome.time_frame)
            )
        out.append(_section("Outcomes", outcome_table))
    out.append(_section("Results", *_results(trial)))
    out.append(_section("Sponsors and contacts", _sponsors(trial)))
    if trial.locations:
        sites = len(trial.locations)
        out.append(_section(f"Locations ({sites} site{'' if sites == 1 else 's'})", _locations(trial)))
    if trial.references or trial.see_also_links:
        out.append(_section(f"References ({len(trial.references)})", *_references(trial)))
    known = registrations(trial)
    if known:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="dim", no_wrap=True)
        table.add_column(no_wrap=True)
        table.add_column(overflow="fold")
        for registration in known:
            table.add_row(
                _t(registration.name),
                _t(registration.id, "bold" if registration.own else ""),
                _t(registration.url if registration.own else "(named by a record of this trial)"),
            )
        out.append(_section("Registrations", table))
    linked = {r.id.upper() for r in known}
    ids = [f"{trial.org_study_id} (org study id)"] if trial.org_study_id else []
    ids += [
        f"{s.id}" + (f" ({s.type or s.domain})" if s.type or s.domain else "")
        for s in trial.secondary_ids
        if not ((found := identify(s.id)) and found.id.upper() in linked)
    ]
    if ids:
        out.append(_section("Other identifiers", _t("\n".join(ids))))
    if trial.related_trials:
        related = Table("NCT", "Title", "Status", "Phase", expand=True)
        for rel in trial.related_trials:
            related.add_row(_t(rel.nct_id), _t(rel.title), _t(rel.status), _t(", ".join(rel.phases)))
        out.append(_section("Related trials listed by the source", related))
    return out


def _groups(trial: Trial) -> list[RenderableType]:
    parts: list[RenderableType] = []
    for arm in trial.arms:
        text = Text()
        text.append(arm.label, style="bold")
        if arm.type:
            text.append(f"  [{arm.type}]", style="magenta")
        if arm.description:
            text.append("\n" + unescape_markdown(arm.description))
        for name in arm.intervention_names:
            text.append(f"\n  • {name}", style="green")
        parts.append(text)
    listed = {n.split(": ", 1)[-1] for arm in trial.arms for n in arm.intervention_names}
    for intervention in trial.interventions:
        text = Text()
        text.append(f"{intervention.type or 'Intervention'}: ", style="dim")
        text.append(intervention.name, style="bold green")
        if intervention.other_names:
            text.append(f"  (also: {', '.join(intervention.other_names)})", style="dim")
        if intervention.description and (intervention.name not in listed or not trial.arms):
            text.append("\n" + unescape_markdown(intervention.description))
        elif intervention.description:
            text.append("\n" + unescape_markdown(intervention.description), style="dim")
        parts.append(text)
    return parts


def _eligibility(trial: Trial, minimum: str, maximum: str) -> list[RenderableType]:
    elig = trial.eligibility
    parts: list[RenderableType] = [
        _fields(
            [
                ("Ages", f"{minimum} – {maximum}"),
                ("Sex", elig.sex),
                (
                    "Healthy volunteers",
                    None
                    if elig.healthy_volunteers is None
                    else ("accepted" if elig.healthy_volunteers else "no"),
                ),
                ("Age groups", ", ".join(elig.std_ages)),
            ]
        )
    ]
    for title, items in (("Inclusion criteria", elig.inclusion), ("Exclusion criteria", elig.exclusion)):
        if items:
            text = Text(f"\n{title}\n", style="bold")
            for item in items:
                text.append("  • ")
                text.append(unescape_markdown(item))
                text.append("\n")
            parts.append(text)
    if not elig.inclusion and not elig.exclusion and elig.criteria_text:
        parts.append(_t(elig.criteria_text))
    return parts


def _results(trial: Trial) -> list[RenderableType]:
    if trial.results is None:
        if trial.has_results:
            return [_t(RESULTS_ELSEWHERE)]
        return [_t(NO_RESULTS, "bold"), _t(NO_RESULTS_DETAIL, "dim")]
    view = results_view(trial.results)
    parts: list[RenderableType] = []
    if view.flow:
        parts.append(_t("Participant flow", "bold underline"))
        parts.extend(_flow(view))
    if view.baseline:
        parts.append(_t("\nBaseline characteristics", "bold underline"))
        parts.extend(_measure(m) for m in view.baseline)
    if view.outcomes:
        parts.append(_t("\nOutcome measures", "bold underline"))
        parts.extend(_measure(m) for m in view.outcomes)
    if view.events:
        parts.append(_t("\nAdverse events", "bold underline"))
        parts.extend(_events(view))
    more = _fields(
        [("Limitations", view.limitations), ("Agreement", view.agreement), ("Results contact", view.contact)]
    )
    if more.row_count:
        parts.extend([_t(""), more])
    return parts


def _flow(view: ResultsView) -> list[RenderableType]:
    parts: list[RenderableType] = []
    for period in view.flow:
        text = Text(period.title, style="bold")
        for index, group in enumerate(period.groups):
            steps = [f"{s.label.lower()} {_n(s.counts[index][1])}" for s in period.milestones]
            reasons = [f"{w.label} {w.counts[index][1]}" for w in period.withdrawals if w.counts[index][1]]
            text.append(f"\n  {group}: ", style="cyan")
            text.append(" → ".join(steps))
            if reasons:
                text.append(f" (left: {'; '.join(reasons)})", style="dim")
        parts.append(text)
    for note in view.flow_notes:
        parts.append(_t(note, "dim"))
    return parts


def _n(value: int | None) -> str:
    return "—" if value is None else str(value)


def _measure(measure: MeasureView) -> Text:
    text = Text("\n")
    if measure.kind != "Baseline":
        text.append(f"[{measure.kind}] ", style="magenta")
    text.append(measure.title, style="bold")
    about = ", ".join(p for p in (measure.statistic, measure.units) if p)
    if about:
        text.append(f"\n  {about}", style="dim")
    if measure.time_frame:
        text.append(f"\n  Time frame: {measure.time_frame}", style="dim")
    if not measure.posted:
        text.append("\n  Not posted yet.", style="yellow")
    elif not measure.has_values:
        text.append(f"\n  {NO_VALUES}.", style="yellow")
        if measure.analysed:
            text.append(f"\n  Analysed: {' · '.join(f'{g} {n}' for g, n in measure.analysed)}", style="dim")
        if measure.population:
            text.append(f"\n  {unescape_markdown(measure.population)}", style="dim")
        return text
    labelled = any(row.label for row in measure.rows)
    if labelled and measure.rows:
        # Categories (sex, race, weeks) one line each; the groups' numbers analysed once above them.
        counts = [f"{v.group} {v.n}" for v in measure.rows[0].values if v.n]
        if counts:
            text.append(f"\n  Analysed: {' · '.join(counts)}", style="dim")
    for row in measure.rows:
        if labelled:
            text.append(f"\n  {row.label or '—'}: ")
            text.append(" · ".join(f"{v.group} {v.text}" for v in row.values))
            continue
        for value in row.values:
            text.append(f"\n  {value.group}", style="cyan")
            if value.n:
                text.append(f" (n={value.n})", style="dim")
            text.append(f": {value.text}")
    for analysis in measure.analyses:
        text.append("\n  Analysis: ", style="green")
        text.append(analysis.text)
    return text


def _events(view: ResultsView) -> list[RenderableType]:
    events = view.events
    assert events is not None
    text = Text()
    for index, group in enumerate(events.groups):
        text.append(f"{group}: ", style="cyan")
        counts = [
            f"{label} {rates[index].text}"
            for label, rates in (
                ("serious", events.serious_totals),
                ("other", events.other_totals),
                ("deaths", events.deaths),
            )
            if rates[index].affected is not None
        ]
        text.append(", ".join(counts) + "\n")
    serious = sorted((r for r in events.rows if r.serious), key=lambda r: -r.total_affected)
    if serious:
        text.append(f"Most frequent serious events (of {len(serious)}):\n", style="bold")
        for row in serious[:10]:
            text.append(f"  {row.term}", style="bold")
            if row.organ_system:
                text.append(f" ({row.organ_system})", style="dim")
            shown = [f"{group} {rate.text}" for group, rate in zip(events.groups, row.rates, strict=True)]
            text.append(": " + " · ".join(shown) + "\n")
    others = sum(1 for r in events.rows if not r.serious)
    if others:
        text.append(f"{others} other (non-serious) adverse events listed", style="dim")
        if events.threshold:
            text.append(f" (frequency threshold {events.threshold}%)", style="dim")
        text.append("\n")
    if events.time_frame:
        text.append(f"Time frame: {events.time_frame}\n", style="dim")
    return [text]


def _sponsors(trial: Trial) -> Table:
    rows: list[tuple[str, object]] = []
    if trial.lead_sponsor:
        rows.append(("Lead sponsor", f"{trial.lead_sponsor.name}" + _cls(trial.lead_sponsor.agency_class)))
    for c in trial.collaborators:
        rows.append(("Collaborator", f"{c.name}" + _cls(c.agency_class)))
    party = trial.responsible_party
    if party and party.type:
        who = ", ".join(p for p in (party.investigator_full_name, party.investigator_affiliation) if p)
        rows.append(("Responsible party", f"{party.type}" + (f": {who}" if who else "")))
    for official in trial.officials:
        rows.append(
            (
                (official.role or "Official").replace("_", " ").lower(),
                ", ".join(p for p in (official.name, official.affiliation) if p),
            )
        )
    for contact in trial.central_contacts:
        rows.append(("Contact", ", ".join(p for p in (contact.name, contact.phone, contact.email) if p)))
    return _fields(rows)


def _cls(value: object) -> str:
    return f" ({value})" if value else ""


def _locations(trial: Trial) -> Table:
    by_country: dict[str, list[str]] = defaultdict(list)
    for loc in trial.locations:
        place = ", ".join(p for p in (loc.facility, loc.city, loc.state) if p)
        if loc.status:
            place += f" [{loc.status.lower()}]"
        by_country[loc.country or "(country not given)"].append(place)
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    for country in sorted(by_country):
        table.add_row(_t(country), _t("\n".join(by_country[country])))
    return table


def _references(trial: Trial) -> list[RenderableType]:
    parts: list[RenderableType] = []
    for ref in trial.references:
        text = Text("• ")
        if ref.type:
            text.append(f"[{ref.type.lower()}] ", style="magenta")
        text.append(ref.citation or "")
        if ref.pmid:
            text.append(f"  PMID {ref.pmid}", style="cyan")
        if ref.doi:
            text.append(f"  doi:{ref.doi}", style="cyan")
        parts.append(text)
    for link in trial.see_also_links:
        parts.append(Text(f"• {link.label or ''} {link.url}".strip()))
    return parts


def render_sources(trial: Trial) -> Group:
    """The records the trial was read from (registry, record id, format, date, file name: never a
    server path), then which record gave each field; laid out to fit 80 columns."""
    records = Table(expand=True)
    for heading in ("#", "Registry", "Record", "Format", "Updated"):
        records.add_column(heading, overflow="fold")  # file names and ids wrap, never cut
    number = {source.id: index for index, source in enumerate(trial.sources, start=1)}
    for index, source in enumerate(trial.sources, start=1):
        # ClinicalTrials.gov's own formats name no registry on the record: the NCT id is its id there.
        code = source.registry or (CTGOV if str(source.format).startswith("ctgov") and trial.nct_id else None)
        record_id = source.registry_id or (trial.nct_id if code == CTGOV else None)
        registry = f"{registry_name(code)} {record_id or ''}".strip() if code else ""
        records.add_row(
            str(index),
            _t(registry),
            _t(source.record_name + (" (partial)" if source.partial else "")),
            _t(source.format),
            _t(source.record_date or ""),
        )
    fields: dict[str, list[str]] = defaultdict(list)
    for field_name, source_id in trial.field_sources.items():
        fields[f"#{number[source_id]}" if source_id in number else source_id].append(field_name)
    given = Table.grid(padding=(0, 2))
    given.add_column(no_wrap=True, style="bold")
    given.add_column(overflow="fold")
    for label, names in fields.items():
        given.add_row(label, _t(", ".join(names)))
    return Group(records, Text("Fields given by each record", style="bold"), given)
