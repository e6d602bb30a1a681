"""Search commands: ``search`` (ranked search with filters and facets) and ``search-eval`` (TREC check)."""

from __future__ import annotations

import csv
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from trialatlas.cli.common import DbOption, console, err_console, opened, print_json, print_trec
from trialatlas.config import shared_data_dir
from trialatlas.errors import InputError
from trialatlas.services.checks import MAX_LIMIT

CSV_COLUMNS = (
    "key",
    "nct_id",
    "title",
    "status",
    "phases",
    "conditions",
    "interventions",
    "sponsor",
    "start_date",
    "completion_date",
    "enrollment",
    "countries",
    "score",
    "snippet",
)


class SaveFormat(StrEnum):
    CSV = "csv"
    JSONL = "jsonl"


def register(app: typer.Typer) -> None:
    app.command("search")(search_command)
    app.command("search-eval")(search_eval_command)


# Every parameter named like a field of SearchRequest is that field (tests/test_interface_parity.py
# checks that every filter has one), so the command reads the same search as the API and the pages.
def search_command(
    query: Annotated[
        str, typer.Argument(help='Words, "phrases", AND/OR/NOT, cond: intr: title: sponsor: id:')
    ] = "",
    db: DbOption = None,
    status: Annotated[
        list[str] | None, typer.Option("--status", help="recruiting, open, completed, … (repeatable).")
    ] = None,
    phase: Annotated[list[str] | None, typer.Option("--phase", help="1, 2, 3, 4, 1/2, early 1, NA.")] = None,
    study_type: Annotated[
        list[str] | None, typer.Option("--type", help="interventional, observational.")
    ] = None,
    condition: Annotated[
        list[str] | None, typer.Option("--condition", help="A condition exactly as listed (--cond: words).")
    ] = None,
    intervention: Annotated[
        list[str] | None,
        typer.Option("--intervention", help="An intervention exactly as listed (--intr: words)."),
    ] = None,
    intervention_type: Annotated[
        list[str] | None, typer.Option("--intervention-type", help="drug, biological, device, …")
    ] = None,
    sponsor: Annotated[list[str] | None, typer.Option("--sponsor", help="The lead sponsor.")] = None,
    sponsor_class: Annotated[
        list[str] | None, typer.Option("--sponsor-class", help="industry, nih, other, …")
    ] = None,
    country: Annotated[list[str] | None, typer.Option("--country")] = None,
    city: Annotated[list[str] | None, typer.Option("--city")] = None,
    age_group: Annotated[
        list[str] | None, typer.Option("--age-group", help="child, adult, older_adult.")
    ] = None,
    cond: Annotated[
        str, typer.Option("--cond", help="Condition or disease: words searched in the conditions.")
    ] = "",
    intr: Annotated[
        str, typer.Option("--intr", help="Intervention or treatment: words searched in the interventions.")
    ] = "",
    term: Annotated[str, typer.Option("--term", help="Other terms: words searched anywhere.")] = "",
    age: Annotated[float | None, typer.Option("--age", help="A patient's age in years.")] = None,
    sex: Annotated[str | None, typer.Option("--sex", help="A patient's sex: female or male.")] = None,
    healthy_volunteers: Annotated[
        bool | None,
        typer.Option("--healthy-volunteers/--no-healthy-volunteers", help="Accepts healthy volunteers."),
    ] = None,
    has_results: Annotated[
        bool | None, typer.Option("--has-results/--no-results", help="Results posted (or not).")
    ] = None,
    start_from: Annotated[
        str | None, typer.Option("--start-from", help="Start date on or after (2019-06).")
    ] = None,
    start_to: Annotated[str | None, typer.Option("--start-to")] = None,
    completion_from: Annotated[str | None, typer.Option("--completion-from")] = None,
    completion_to: Annotated[str | None, typer.Option("--completion-to")] = None,
    updated_since: Annotated[str | None, typer.Option("--updated-since")] = None,
    enrollment_min: Annotated[int | None, typer.Option("--enrollment-min", min=0)] = None,
    enrollment_max: Annotated[int | None, typer.Option("--enrollment-max", min=0)] = None,
    facet: Annotated[
        list[str] | None,
        typer.Option("--facet", help="name:value of a facet without a filter of its own (start_year:2019)."),
    ] = None,
    sort: Annotated[
        str, typer.Option(help="relevance, start_date, last_update or enrollment.")
    ] = "relevance",
    ascending: Annotated[bool, typer.Option("--asc", help="Oldest or smallest first.")] = False,
    limit: Annotated[int, typer.Option(min=1, max=MAX_LIMIT, help="Results per page.")] = 20,
    cursor: Annotated[str | None, typer.Option(help="next_cursor of a previous page.")] = None,
    facets: Annotated[bool, typer.Option("--facets/--no-facets", help="Show facet counts.")] = False,
    expand: Annotated[bool, typer.Option("--expand/--no-expand", help="Abbreviations and synonyms.")] = True,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the results as JSON (as GET /api/trials gives them).")
    ] = False,
    fmt: Annotated[
        SaveFormat | None, typer.Option("--format", help="Save every matching trial as csv or jsonl.")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="File for --format (default: stdout).")] = None,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Rebuild the search index first.")] = False,
) -> None:
    """Ranked full-text search with filters, facets and cursors."""
    given = dict(locals())  # the parameters alone: taken before anything else is bound
    from trialatlas.services.models import SearchRequest, checked

    fields = {name: given[name] for name in SearchRequest.model_fields if name in given}
    request = {
        **{name: value for name, value in fields.items() if value is not None},
        "q": query,
        "order": "asc" if ascending else None,
    }
    with opened(db, reads="search", on_note=lambda note: err_console.print(Text(note, style="dim"))) as atlas:
        asked = checked(SearchRequest, request)
        if rebuild:
            report = atlas.rebuild_search_index()
            err_console.print(f"indexed {report.docs:,} trials in {report.seconds:.1f} s")
        if fmt is not None:
            count = _save(atlas.iter_hits(asked), fmt, out)
            err_console.print(f"saved {count:,} trial(s)" + (f" to {out}" if out else ""))
            return
        results = atlas.search(asked, facets=facets or as_json)
    if as_json:
        print_json(results)
        return
    _render(results, facets)


def _save(hits: Any, fmt: SaveFormat, out: Path | None) -> int:
    import orjson

    stream = out.open("w", encoding="utf-8", newline="") if out else sys.stdout
    count = 0
    try:
        if fmt is SaveFormat.JSONL:
            for hit in hits:
                stream.write(orjson.dumps(hit.model_dump(exclude_none=True)).decode() + "\n")
                count += 1
        else:
            writer = csv.writer(stream)
            writer.writerow(CSV_COLUMNS)
            for hit in hits:
                trial = hit.trial
                writer.writerow(
                    [
                        trial.key,
                        trial.nct_id or "",
                        trial.title,
                        trial.status or "",
                        "|".join(trial.phases),
                        "|".join(trial.conditions),
                        "|".join(trial.interventions),
                        trial.sponsor or "",
                        trial.start_date or "",
                        trial.completion_date or "",
                        "" if trial.enrollment is None else trial.enrollment,
                        "|".join(trial.countries),
                        f"{hit.score:.4f}",
                        "".join(text for text, _ in hit.snippet_parts()),
                    ]
                )
                count += 1
    finally:
        if out:
            stream.close()
    return count


def _render(results: Any, facets: bool) -> None:
    header = f"{results.total:,} trial(s)"
    if results.interpreted:
        header += "  ·  read as filters: " + ", ".join(results.interpreted)
    console.print(Text(header, style="bold"))
    for note in results.expansions:
        if note.added:
            console.print(Text(f"  {note.typed} → also {', '.join(note.added)}", style="dim"))
        if note.not_expanded:
            console.print(
                Text(
                    f"  {note.typed}: not read as {', '.join(note.not_expanded)}"
                    " (the rest of the query does not point there)",
                    style="dim",
                )
            )
    table = Table(show_lines=True)
    table.add_column("trial", no_wrap=True)
    table.add_column("title / snippet")
    table.add_column("status")
    table.add_column("score", justify="right")
    for hit in results.hits:
        trial = hit.trial
        body = Text(trial.title + "\n", style="bold")
        for text, marked in hit.snippet_parts():
            body.append(text, style="bold yellow" if marked else "")
        status = (trial.status or "—") + ("\n" + ", ".join(trial.phases) if trial.phases else "")
        table.add_row(trial.key, body, status, f"{hit.score:.2f}")
    console.print(table)
    if facets:
        for name, values in results.facets.items():
            if values:
                line = ", ".join(f"{v.value} ({v.count:,})" for v in values[:10])
                console.print(Text(f"{name}: ", style="bold") + Text(line))
    if results.next_cursor:
        console.print(Text(f"next page: --cursor {results.next_cursor}", style="dim"))


def search_eval_command(
    db: DbOption = None,
    data: Annotated[
        Path | None, typer.Option(help="TREC 2021 folder (queries.jsonl, qrels/test.tsv).")
    ] = None,
    out: Annotated[Path, typer.Option(help="Where to write the TREC run files.")] = Path("var/trec2021"),
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
) -> None:
    """Retrieval check on TREC Clinical Trials 2021: NDCG@10 and P@10, ours against plain BM25."""
    from trialatlas.eval.search import run_trec

    folder = data or shared_data_dir() / "trialgpt_benchmarks" / "trec_2021"
    if not folder.is_dir():
        raise InputError(f"no TREC folder at {folder} (queries.jsonl, qrels/test.tsv)")
    with opened(db) as atlas:
        report = run_trec(atlas.store, folder, out_dir=out)
    if as_json:
        print_json(report.as_dict())
        return
    title = f"TREC CT 2021: {report.topics_scored} topics, {report.held_trials:,} judged trials held"
    print_trec(report, title)
    console.print(Text(f"runs written to {out}", style="dim"))


__all__ = ["search_command", "search_eval_command"]
