"""Core commands: ingest, show, export, convert, stats."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from rich.text import Text

from trialatlas.cli.common import DbOption, console, err_console, opened, print_json
from trialatlas.services.export import ExportFormat

if TYPE_CHECKING:
    from trialatlas.services.ingest import IngestReport
    from trialatlas.services.models import IngestProblem, IngestResponse
    from trialatlas.sources.base import RecordError

# Warnings printed after an ingest's table; the rest are counted (the JSON lists the first 50).
SHOWN_WARNINGS = 10


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest_command)
    app.command("show")(show_command)
    app.command("export")(export_command)
    app.command("convert")(convert_command)
    app.command("stats")(stats_command)


def ingest_command(
    paths: Annotated[
        list[Path], typer.Argument(help="Files, directories or archives, in any supported format.")
    ],
    db: DbOption = None,
    keep_going: Annotated[
        bool, typer.Option("--keep-going", help="Exit 0 even when some records failed.")
    ] = False,
    reader: Annotated[str | None, typer.Option(help="Force a reader instead of auto-detection.")] = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Records per transaction.")] = 500,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Processes to ingest with: this one writes the store, the others read and map "
            "records (1: all in this one). Default: a reader per CPU beside the writer, at most 5.",
            show_default=False,
        ),
    ] = None,
    derive: Annotated[
        bool,
        typer.Option(
            "--derive/--no-derive",
            help="Then bring the store's derived indexes (search, related trials, criteria rules, "
            "statistics) up to date, so that reading commands only read. --no-derive leaves that to "
            "the next command that reads them.",
        ),
    ] = True,
) -> None:
    """Read trial records into the store: a summary, and every bad record with its file and reason."""
    from trialatlas.cli.common import derived_tasks, progress_bars
    from trialatlas.services.ingest import default_workers

    with opened(db) as atlas:
        with progress_bars(quiet=as_json) as progress:
            task = progress.add_task("reading", total=None)

            def on_progress(report: IngestReport) -> None:
                progress.update(
                    task,
                    description=f"read {report.read:,}  new {report.new:,}  updated {report.updated:,}"
                    f"  failed {report.failed:,}",
                )

            report = atlas.ingest(
                paths,
                batch_size=batch_size,
                reader=reader,
                on_progress=on_progress,
                workers=workers or default_workers(),
                derive=derive,
                on_derived=derived_tasks(progress),
            )
        location = atlas.store.location
    if as_json:
        print_json(report)
    else:
        _print_report(report, location)
    if (report.failed or report.errors) and not keep_going:
        raise typer.Exit(1)


def _print_error(error: RecordError | IngestProblem) -> None:
    # One line per error, never wrapped, so that logs can be grepped by file name.
    err_console.print(Text(f"  ✗ {error.location}: {error.reason}", style="red"), soft_wrap=True)


def _print_report(report: IngestResponse, location: str) -> None:
    table = Table(title=Text(f"Ingest into {location}"), show_header=True)
    for column in ("read", "new", "updated", "unchanged", "failed", "warned", "seconds"):
        table.add_column(column, justify="right")
    table.add_row(
        f"{report.read:,}",
        f"{report.new:,}",
        f"{report.updated:,}",
        f"{report.unchanged:,}",
        Text(f"{report.failed:,}", style="red" if report.failed else ""),
        Text(f"{report.warned:,}", style="yellow" if report.warned else ""),
        f"{report.seconds:.1f}",
    )
    console.print(table)
    for error in report.errors:
        _print_error(error)
    if report.failed > len(report.errors):
        err_console.print(Text(f"  … and {report.failed - len(report.errors)} more", style="red"))
    # Records kept without a value they hold: one line each (the first few), never wrapped.
    for warning in report.warnings[:SHOWN_WARNINGS]:
        err_console.print(Text(f"  ! {warning.location}: {warning.reason}", style="yellow"), soft_wrap=True)
    if len(report.warnings) > SHOWN_WARNINGS or report.warned > len(report.warnings):
        err_console.print(
            Text(
                f"  {report.warned:,} record(s) kept with values not read; --json lists the first "
                f"{len(report.warnings)} warnings, show --sources each record's",
                style="yellow",
            )
        )


def show_command(
    nct: Annotated[str, typer.Argument(help="NCT id, org study id or secondary id.")],
    db: DbOption = None,
    sources: Annotated[bool, typer.Option("--sources", help="Show which source gave each field.")] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="The trial model as JSON (as GET /api/trials/{nct} gives it).")
    ] = False,
) -> None:
    """Show one trial: snapshot, summary, design, groups, eligibility, results, sponsors, locations."""
    from trialatlas.cli.show import render_sources, render_trial

    with opened(db) as atlas:
        trial = atlas.trial(nct)
    if as_json:
        from trialatlas.services.sections import trial_document

        print_json(trial_document(trial))
        return
    for part in render_trial(trial):
        console.print(part)
    if sources:
        console.print(render_sources(trial))


def export_command(
    ncts: Annotated[list[str] | None, typer.Argument(help="Trials to export (or --all).")] = None,
    all_trials: Annotated[bool, typer.Option("--all", help="Export every trial in the store.")] = False,
    fmt: Annotated[ExportFormat, typer.Option("--format", help="Output format.")] = ExportFormat.CTGOV_JSON,
    out: Annotated[
        Path | None, typer.Option("--out", help="Output file; for ctgov-json a directory of <NCT>.json.")
    ] = None,
    db: DbOption = None,
) -> None:
    """Write trials as ClinicalTrials.gov v2 studies, trialatlas JSON lines, or CSV."""
    from trialatlas.services.export import select_trials, write_trials

    if not ncts and not all_trials:
        err_console.print(Text("name one or more trials, or --all", style="red"))
        raise typer.Exit(2)
    with opened(db) as atlas:
        count = write_trials(select_trials(atlas.store, None if all_trials else ncts), fmt, out)
    if out is not None:
        console.print(Text(f"wrote {count} trial(s) to {out}"))


def convert_command(
    inputs: Annotated[list[Path], typer.Argument(help="Files, directories or archives to read.")],
    out: Annotated[Path, typer.Option("--out", help="Output directory (ctgov-json) or file.")],
    to: Annotated[ExportFormat, typer.Option("--to", help="Output format.")] = ExportFormat.CTGOV_JSON,
) -> None:
    """Read inputs and write them in another format, without touching the store."""
    from trialatlas.services.export import read_merged, write_trials

    trials, errors = read_merged(inputs)
    count = write_trials(trials, to, out)
    console.print(Text(f"wrote {count} trial(s) to {out}"))
    for error in errors:
        _print_error(error)
    if errors:
        raise typer.Exit(1)


def stats_command(
    db: DbOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the counts as JSON.")] = False,
    top: Annotated[int, typer.Option(min=1, help="Rows per table.")] = 15,
) -> None:
    """Counts of stored trials by registry, status, phase, study type, country and start year."""
    from trialatlas.services.stats import store_stats

    with opened(db) as atlas:
        if as_json:
            print_json(atlas.store_counts())  # the document GET /api/stats sends
            return
        stats = store_stats(atlas.store)
    console.print(Text(f"{stats.trials:,} trials ({stats.partial:,} partial)", style="bold"))
    for title, rows in (
        ("Registry", stats.by_registry),
        ("Status", stats.by_status),
        ("Phase", stats.by_phase),
        ("Study type", stats.by_study_type),
        ("Country", stats.by_country),
        ("Start year", stats.by_start_year),
    ):
        table = Table(title=title, show_header=False, min_width=40)
        table.add_column(overflow="fold")
        table.add_column(justify="right")
        for label, count in rows[:top]:
            table.add_row(Text(label), f"{count:,}")
        if len(rows) > top:
            table.add_row(Text(f"… {len(rows) - top} more", style="dim"), "")
        console.print(table)
