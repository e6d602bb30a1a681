"""Regimen commands: ``regimen`` (arm timelines), ``dose`` (the dose calculator), ``parse-regimens``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

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
    from trialatlas.extract.regimen.timeline import drug_label

    lines = []
    for item in phase.items:
        label = item.dose.label() if item.dose else "dose not stated"
        extras = " ".join(x for x in (item.frequency, item.route) if x)
        lines.append(f"{drug_label(item)} {label}" + (f" {extras}" if extras else ""))
        for target in item.targets:
            lines.append(f"  target {target.text}")
        for adjustment in item.adjustments:
            lines.append(f"  {adjustment.kind}: {adjustment.text}")
    for name in phase.undosed_drugs:
        lines.append(f"{name} (no dose)")
    for branch in phase.branches:
        lines.append(f"↳ {branch.text}")
    return "\n".join(lines) or "—"


def _span(phase: Phase) -> str:
    start = phase.start_weeks or 0
    end = "…" if phase.end_weeks is None else f"{phase.end_weeks:g}"
    return f"w{start:g}–{end}"


def render_timeline_table(timeline: TrialTimeline) -> Table:
    """The arms side by side, one row per time window."""
    table = Table(title=f"{timeline.trial} — {timeline.title}", show_lines=True)
    table.add_column("weeks", style="bold")
    for arm in timeline.arms:
        table.add_column(arm.arm)
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
                "\n".join(f"[dim]{p.label} ({_span(p)})[/dim]\n{_phase_lines(p)}" for p in active) or ""
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


def render_dose_table(doses: TrialDoses) -> Table:
    patient = f"{doses.weight_kg:g} kg" + (f", {doses.height_cm:g} cm" if doses.height_cm else "")
    table = Table(title=f"{doses.trial} — doses for {patient}", show_lines=True)
    for column in ("arm", "phase", "drug", "stated", "per administration", "per day", "note"):
        table.add_column(column)
    for row in doses.rows:
        d = row.dose
        per_admin = _amount(d, "per_administration")
        if d.rounded_per_administration is not None and d.formulation:
            per_admin += f"\n→ {d.rounded_per_administration.label()} ({d.formulation})"
        note = d.reason or ""
        if d.status == "refused":
            note = f"[red]refused:[/red] {note}"
        extra = [_amount(d, f) for f in ("total", "per_week", "rate_per_hour") if getattr(d, f) is not None]
        notes = "; ".join([*d.notes, *extra])
        table.add_row(
            row.arm,
            row.phase,
            d.drug or "?",
            f"{d.stated} {d.frequency or ''}".strip(),
            per_admin,
            _amount(d, "per_day"),
            "\n".join(x for x in (note, notes) if x),
        )
    return table


def dose_command(
    nct: Annotated[str, typer.Argument(help="NCT id of a stored trial.")],
    weight: Annotated[float, typer.Option("--weight", help="Body weight, kg.", min=0.1, max=500)],
    height: Annotated[
        float | None, typer.Option("--height", help="Height, cm (for per-m² doses).", min=1, max=300)
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
    from trialatlas.extract.regimen.evaluate import parse_file

    count = parse_file(source, out)
    err_console.print(f"{count} texts parsed → {out}")
