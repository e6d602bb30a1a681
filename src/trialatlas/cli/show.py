"""Rendering one trial for the terminal, in the order the registry pages use.

Snapshot, summary, design, groups and interventions, eligibility, sponsors, locations, references.
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

from trialatlas.model import Age, PartialDate, Trial
from trialatlas.model.registries import identify, registrations, registry_name
from trialatlas.services.sections import design_rows, snapshot_rows


def _t(value: object, style: str = "") -> Text:
    return Text("" if value is None else str(value), style=style)


def _date(value: PartialDate | None) -> str:
    if value is None:
        return "—"
    return value.date + (f" ({value.type.lower()})" if value.type else "")


def _age(value: Age | None) -> str:
    return value.text if value else "no limit"


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
    elig = trial.eligibility
    header = Text()
    header.append(trial.nct_id or trial.key, style="bold cyan")
    if trial.acronym:
        header.append(f"  {trial.acronym}", style="bold")
    header.append("\n")
    header.append(trial.title, style="bold")
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
    out.append(_section("Eligibility", *_eligibility(trial, _age(elig.minimum_age), _age(elig.maximum_age))))
    if trial.outcomes:
        outcome_table = Table("Type", "Measure", "Time frame", expand=True, show_lines=False)
        for outcome in trial.outcomes:
            outcome_table.add_row(
                _t(outcome.kind.lower() if outcome.kind else "—"), _t(outcome.measure), _t(outcome.time_frame)
            )
        out.append(_section("Outcomes", outcome_table))
    out.append(_section("Sponsors and contacts", _sponsors(trial)))
    if trial.locations:
        out.append(_section(f"Locations ({len(trial.locations)} sites)", _locations(trial)))
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
            text.append("\n" + arm.description)
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
            text.append("\n" + intervention.description)
        elif intervention.description:
            text.append("\n" + intervention.description, style="dim")
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
                text.append(item)
                text.append("\n")
            parts.append(text)
    if not elig.inclusion and not elig.exclusion and elig.criteria_text:
        parts.append(_t(elig.criteria_text))
    return parts


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


def render_sources(trial: Trial) -> Table:
    """Which source record gave each field of the trial."""
    by_id = {source.id: source for source in trial.sources}
    table = Table("Field", "Registry", "Source", "Format", "Record date", expand=True)
    for field_name, source_id in trial.field_sources.items():
        source = by_id.get(source_id)
        registry = (
            f"{registry_name(source.registry)} {source.registry_id or ''}".strip()
            if source and source.registry
            else ""
        )
        table.add_row(
            _t(field_name),
            _t(registry),
            _t(source.location if source else source_id),
            _t(source.format if source else ""),
            _t(source.record_date if source else ""),
        )
    return table
