"""Regimen commands: ``regimen`` (arm timelines), ``dose`` (the dose calculator), ``parse-regimens``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Group, RenderableType
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from trialatlas.cli.common import DbOption, console, err_console, opened, print_json

if TYPE_CHECKING:
    from trialatlas.extract.regimen.dose import PatientDose
    from trialatlas.extract.regimen.service import TrialDoses
    from trialatlas.extract.regimen.timeline import Phase, TrialTimeline


def register(app: typer.Typer) -> None:
    app.command("regimen")(regimen_command)
    app.command("dose")(dose_command)
    app.command("parse-regimens")(parse_regimens_command)


def _phase_lines(phase: Phase) -> str:
    """The phase as the chart draws it (alternatives joined by "or", a taper target ending its drug's
    line, a choice of drugs as one line), then the targets and adjustments; registry text escaped."""
    from trialatlas.extract.regimen.svg import phase_rows
    from trialatlas.extract.regimen.timeline import drug_label

    lines = [f"{drug}: {label}" for drug, label, _ in phase_rows(phase)]
    for item in phase.items:
        lines.extend(f"  {drug_label(item)} target {target.text}" for target in item.targets)
    seen: set[str] = set()
    for item in phase.items:
        for adjustment in item.adjustments:
            line = f"  {adjustment.kind}: {adjustment.text}"
            if line not in seen:
                seen.add(line)
                lines.append(line)
    if phase.stopped:
        lines.append(f"stopped: {', '.join(phase.stopped)}")
    lines.extend(f"↳ {branch.text}" for branch in phase.branches)
    return escape("\n".join(lines)) or "—"


def _span(phase: Phase) -> str:
    start = phase.start_weeks or 0
    end = "…" if phase.end_weeks is None else f"{phase.end_weeks:g}"
    return f"w{start:g}–{end}"


def render_timeline_table(timeline: TrialTimeline) -> Table:
    """The arms side by side, one row per time window."""
    table = Table(title=escape(f"{timeline.trial} — {timeline.title}"), show_lines=True)
    table.add_column("weeks", style="bold")
    for arm in timeline.arms:
        table.add_column(escape(arm.arm))
    cuts = sorted({p.start_weeks or 0.0 for a in timeline.arms for p in a.phases})
    for index, cut in enumerate(cuts):
        until = cuts[index + 1] if index + 1 < len(cuts) else None
        cells = []
        for arm in timeline.arms:
            active = [
                p
                for p in arm.phases
                if (p.start_weeks or 0.0) <= cut and (p.end_weeks is None or p.end_weeks > cut)
            ]
            cells.append(
                "\n".join(f"[dim]{escape(p.label)} ({_span(p)})[/dim]\n{_phase_lines(p)}" for p in active)
                or ""
            )
        window = f"{cut:g}–{until:g}" if until is not None else f"{cut:g}+"
        table.add_row(window, *cells)
    return table


def regimen_command(
    nct: Annotated[str, typer.Argument(help="NCT id of a stored trial.")],
    db: DbOption = None,
    svg: Annotated[
        Path | None, typer.Option("--svg", help="Also write the timeline chart to this SVG file.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the timeline as JSON.")] = False,
) -> None:
    """Show each arm's regimen as a timeline of phases, side by side."""
    with opened(db) as atlas:
        timeline = atlas.timeline(nct)
        if svg is not None:
            svg.write_text(atlas.timeline_svg(timeline), encoding="utf-8")
    if as_json:
        print_json(timeline)
        return
    console.print(render_timeline_table(timeline))
    if svg is not None:
        console.print(f"SVG written to {svg}")


def _amount(dose: PatientDose, field: str) -> str:
    value = getattr(dose, field)
    return value.label() if value is not None else ""


def render_dose_table(doses: TrialDoses) -> Group:
    """Each arm's doses, a drug a block: what the trial states, then what it comes to for this patient.
    Laid out as lines with hanging indents (not table columns), so drug names, doses and notes are
    never cut, whatever the terminal's width."""
    patient = f"{doses.weight_kg:g} kg" + (f", {doses.height_cm:g} cm" if doses.height_cm else "")
    parts: list[RenderableType] = [Text(f"{doses.trial} — doses for {patient}", style="bold")]
    for arm in dict.fromkeys(row.arm for row in doses.rows):
        parts.append(Text(f"\n{arm}", style="bold underline"))
        grid = Table.grid(padding=(0, 1))
        grid.add_column(no_wrap=True, style="dim")
        grid.add_column(overflow="fold")
        previous = None
        for row in (r for r in doses.rows if r.arm == arm):
            d = row.dose
            block = Text()
            block.append(d.drug or "?", style="bold")
            block.append(f"  {d.stated} {d.frequency or ''}".rstrip())
            lines: list[tuple[str, str]] = [
                ("per administration", _amount(d, "per_administration")),
                ("per day", _amount(d, "per_day")),
                *((f.replace("_", " "), _amount(d, f)) for f in ("per_week", "total", "rate_per_hour")),
            ]
            if d.rounded_per_administration is not None and d.formulation:
                rounded = f"{d.rounded_per_administration.label()} ({d.formulation})"
                lines.insert(1, ("rounded", rounded))
            for label, value in lines:
                if value:
                    block.append(f"\n  {label}: ", style="dim")
                    block.append(value)
            if d.status in ("refused", "not applicable"):
                block.append(f"\n  {d.status}: ", style="red" if d.status == "refused" else "yellow")
                block.append(d.reason or "")
            elif d.reason:
                block.append(f"\n  {d.reason}", style="yellow")
            for note in (*d.conditions, *d.notes):
                block.append(f"\n  {note}", style="dim")
            # The arithmetic behind each figure, so a reader can check it.
            for line in d.arithmetic:
                block.append(f"\n  = {line}", style="dim")
            # The phase is named where it starts; the drugs under it share it.
            grid.add_row(row.phase if row.phase != previous else "", block)
            previous = row.phase
        parts.append(grid)
    return Group(*parts)


def dose_command(
    nct: Annotated[str, typer.Argument(help="NCT id of a stored trial.")],
    weight: Annotated[float, typer.Option("--weight", help="Body weight, kg (0.3-350).")],
    height: Annotated[
        float | None, typer.Option("--height", help="Height, cm, for per-m² doses (20-250).")
    ] = None,
    db: DbOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the doses as JSON.")] = False,
) -> None:
    """Each arm's and phase's doses worked out for one patient."""
    with opened(db) as atlas:
        doses = atlas.doses({"nct": nct, "weight": weight, "height": height})
    if as_json:
        print_json(doses)
        return
    console.print(render_dose_table(doses))


def parse_regimens_command(
    source: Annotated[
        Path, typer.Argument(help='JSONL input: {"id": ..., "text": ...} per line.', exists=True)
    ],
    out: Annotated[Path, typer.Option("--out", help="JSONL output: id, items, unparsed per line.")],
) -> None:
    """Parse arm/intervention texts into dose items (one output line per input line)."""
    from trialatlas.extract.regimen.batch import parse_file

    count = parse_file(source, out)
    err_console.print(f"{count} texts parsed → {out}")
