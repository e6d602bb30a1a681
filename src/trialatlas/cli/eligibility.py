"""Eligibility commands: ``criteria`` (parsed rules of a trial), ``judge`` (TrialGPT format), ``match``,
and the ``eval`` group (``eval trec``: patient-to-trial ranking on TREC / SIGIR judgments)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from trialatlas.cli.common import DbOption, console, err_console, new_app, opened, print_json, print_trec
from trialatlas.cli.related import eval_related_command
from trialatlas.errors import InputError
from trialatlas.text.markdown import unescape_markdown

if TYPE_CHECKING:
    from trialatlas.extract.criteria.rules import ParsedCriterion
    from trialatlas.services.match_models import MatchedTrial


def register(app: typer.Typer) -> None:
    app.command("criteria")(criteria_command)
    app.command("judge")(judge_command)
    app.command("match")(match_command)
    eval_app = new_app(help="Score matching and related trials on labelled benchmarks, beside plain BM25.")
    eval_app.command("trec")(eval_trec_command)
    eval_app.command("related")(eval_related_command)
    app.add_typer(eval_app, name="eval")


def render_criteria(parsed: list[ParsedCriterion]) -> Group:
    """Each criterion under its kind, its rules said in words beneath it, wrapped with a hanging indent
    so it reads in an 80-column terminal (no table columns to cut drug names or titles)."""
    from trialatlas.extract.criteria.describe import describe_rule

    parts: list[RenderableType] = []
    for kind in dict.fromkeys(c.kind for c in parsed):
        parts.append(Text(f"\n{kind.capitalize()} criteria", style="bold underline"))
        grid = Table.grid(padding=(0, 1))
        grid.add_column(justify="right", no_wrap=True, style="dim")
        grid.add_column(overflow="fold")
        for criterion in (c for c in parsed if c.kind == kind):
            cell = Text("  " if criterion.parent is not None else "")
            cell.append(unescape_markdown(criterion.text), style="bold" if criterion.is_header else "")
            if criterion.rules:
                many = criterion.combine == "any" and len(criterion.rules) > 1
                cell.append("\n→ " + ("any of: " if many else ""), style="cyan")
                cell.append(unescape_markdown("; ".join(describe_rule(rule) for rule in criterion.rules)))
                if criterion.logic is not None and len(criterion.rules) > 1:
                    # How the rules combine: all(…), any(…), not(…), except(…), examples(…).
                    cell.append("\n  logic: ", style="cyan")
                    cell.append(unescape_markdown(criterion.logic.describe(criterion.rules)))
                for warning in (w for rule in criterion.rules for w in rule.warnings):
                    cell.append(f"\n  note: {warning}", style="yellow")
            elif not criterion.is_header:
                cell.append("\n→ not read as a rule", style="dim")
            grid.add_row(f"{criterion.index}.", cell)
        parts.append(grid)
    return Group(*parts)


def criteria_command(
    nct: Annotated[
        str, typer.Argument(help="NCT id (or store key) of a stored trial, or a text file of criteria.")
    ],
    db: DbOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the parsed criteria as JSON.")] = False,
) -> None:
    """Show a trial's eligibility criteria split into single criteria and parsed into typed rules."""
    from trialatlas.extract.criteria import parse_eligibility

    path = Path(nct)
    if path.is_file():
        parsed = parse_eligibility(path.read_text(encoding="utf-8"), [], [])
    else:
        with opened(db) as atlas:
            trial = atlas.trial(nct)
        eligibility = trial.eligibility
        parsed = parse_eligibility(eligibility.criteria_text, eligibility.inclusion, eligibility.exclusion)
    if as_json:
        console.print_json(json.dumps([c.model_dump(exclude_none=True) for c in parsed]))
        return
    console.print(render_criteria(parsed))


def judge_command(
    annotations: Annotated[
        Path,
        typer.Argument(
            help="TrialGPT criterion annotations: a JSON list of pairs.", exists=True, dir_okay=False
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="Where to write one JSON line per pair.")],
    judge: Annotated[
        str | None,
        typer.Option(help="Judge to use: 'rules' (default, offline) or module:Class of your own judge."),
    ] = None,
) -> None:
    """Label each (patient note, criterion) pair: included / not included / excluded / not excluded / …"""
    from trialatlas.match.judge import judge_annotations, load_annotations, load_judge, write_jsonl

    pairs = load_annotations(annotations)
    judgements = judge_annotations(pairs, load_judge(judge))
    for judgement in judgements:
        if judgement.error is not None:
            err_console.print(
                Text(
                    f"annotation {judgement.annotation_id}: {judgement.error}; "
                    "judged 'not enough information'"
                )
            )
    count = write_jsonl(judgements, out)
    labelled = [(p, j) for p, j in zip(pairs, judgements, strict=True) if p.get("expert_eligibility")]
    message = f"wrote {count} judgements to {out}"
    if labelled:
        correct = sum(1 for p, j in labelled if p["expert_eligibility"] == j.eligibility)
        message += (
            f"; accuracy against expert labels {correct / len(labelled):.3f} ({correct}/{len(labelled)})"
        )
    err_console.print(message)


# An argument that names a file rather than saying something of a patient: one word ending in a file
# suffix, or holding a path separator.
_FILE_LIKE = re.compile(r"^\S*(?:\.[A-Za-z]{2,5}|[/\\]\S*)$")


def _patient_file(patient: str) -> Path | None:
    """The file ``patient`` names, or None when it is the note itself. A note longer than a file name
    may be is never looked up as one; a missing file that looks like one ("patient.json") is an error
    rather than a note."""
    path = Path(patient)
    try:
        if path.is_file():
            return path
    except OSError:  # "File name too long" and the like: it is a note.
        return None
    if _FILE_LIKE.match(patient.strip()) and not patient.strip().replace(".", "").isdigit():
        raise InputError(f"no such file: {patient} (give a profile or note file, or the note itself)")
    return None


def match_command(
    patient: Annotated[
        str, typer.Argument(help="Patient: a JSON profile file, a text note file, or the note itself.")
    ],
    db: DbOption = None,
    top: Annotated[int, typer.Option(min=1, max=50, help="How many trials to show.")] = 20,
    status: Annotated[
        str | None,
        typer.Option(help="'open' (default: recruiting, not yet, by invitation), 'any', or one status."),
    ] = None,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print results, verdicts and reasons as JSON (as POST /api/match does)."),
    ] = False,
    details: Annotated[bool, typer.Option("--details", help="Show every criterion's verdict.")] = False,
) -> None:
    """Rank the store's trials for a patient, with each trial's verdict and the reasons.

    Candidates come from the store's search index (built on first use when missing), so only a few
    hundred trials are read and judged, however large the store."""
    import time

    from trialatlas.services.patients import patient_fields

    path = _patient_file(patient)
    fields = patient_fields(path.read_text(encoding="utf-8") if path is not None else patient)
    started = time.perf_counter()
    with opened(
        db, reads="match", quiet=as_json, on_note=lambda note: err_console.print(Text(note, style="dim"))
    ) as atlas:
        answer = atlas.match({**fields, "top": top, "status": status})
    seconds = time.perf_counter() - started
    if as_json:
        print_json(answer)
        return
    profile = fields.get("patient")
    name = (profile.id if profile is not None else None) or (path.stem if path is not None else "patient")
    console.print(render_matches(answer.trials, f"Trials for {name}", details=details))
    err_console.print(Text(f"{len(answer.trials)} trials in {seconds:.2f} s", style="dim"))


def render_matches(trials: list[MatchedTrial], title: str, *, details: bool = False) -> Group:
    """The ranked trials as a compact list (rank, id, verdict, score; the title wrapped, never cut; the
    first reason), or with ``details`` every reason and every criterion's verdict. Lines with hanging
    indents, so it reads in an 80-column terminal."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(justify="right", no_wrap=True, style="dim")
    grid.add_column(overflow="fold")
    for found in trials:
        cell = Text()
        cell.append(found.nct_id, style="bold cyan")
        cell.append(f"  {found.verdict}", style="bold")
        if found.criteria:
            cell.append(f" ({found.unknown} unknown)", style="dim")
        cell.append(f"  score {found.score:.2f}", style="dim")
        cell.append(f"\n{unescape_markdown(found.title)}")
        reasons = found.reasons if details else found.reasons[:1]
        for reason in reasons:
            cell.append(f"\n• {unescape_markdown(reason)}", style="yellow")
        if not details and len(found.reasons) > 1:
            cell.append(f" (+{len(found.reasons) - 1} more: --details)", style="dim")
        if details:
            for criterion in found.criteria:
                cell.append(f"\n  [{criterion.status}] ", style="magenta")
                cell.append(unescape_markdown(criterion.text))
                if criterion.reason:
                    cell.append(f" — {unescape_markdown(criterion.reason)}", style="dim")
        grid.add_row(f"{found.rank}.", cell)
        grid.add_row("", "")
    return Group(Text(title, style="bold"), grid)


def eval_trec_command(
    topics: Annotated[
        Path,
        typer.Option(
            "--topics",
            help='Patients: queries.jsonl (one {"_id", "text"} per line) or a TREC topic XML file.',
        ),
    ],
    qrels: Annotated[
        Path,
        typer.Option(
            "--qrels", help="Judgments: 'query-id corpus-id score' lines (0, 1 excluded, 2 eligible)."
        ),
    ],
    run: Annotated[
        Path | None,
        typer.Option(
            "--run", help="Write the matcher's TREC run here (plain BM25's beside it: OUT.bm25.run)."
        ),
    ] = None,
    db: DbOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
) -> None:
    """Rank each topic's judged trials held in the store: the matcher against plain BM25 (NDCG@10, P@10)."""
    from trialatlas.eval.matching import evaluate_trec

    for path in (topics, qrels):
        if not path.is_file():
            raise InputError(f"no such file: {path}")
    with opened(db) as atlas:
        report = evaluate_trec(atlas.store, topics, qrels, run)
    if as_json:
        print_json(report.as_dict())
        return
    title = (
        f"{report.topics_scored} of {report.topics} topics scored over {report.held_trials} of "
        f"{report.judged_trials} judged trials held ({report.held_with_criteria} with criteria)"
    )
    print_trec(report, title, precision="P@10 (eligible)")
    if run is not None:
        err_console.print(f"wrote {run} (and the other systems' runs beside it)")


__all__ = ["criteria_command", "eval_trec_command", "judge_command", "match_command", "render_criteria"]
