"""Related-trials commands: ``related`` (one trial, several, a text or a patient), ``eval-trialsim`` and
``eval related``."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from rich.text import Text

from trialatlas.cli.common import DbOption, console, err_console, opened, print_json
from trialatlas.errors import QueryError

if TYPE_CHECKING:
    from trialatlas.model import Trial
    from trialatlas.related.index import RelatedIndex
    from trialatlas.related.service import ListedRelation, RelatedResult
    from trialatlas.store import TrialStore


def register(app: typer.Typer) -> None:
    app.command("related")(related_command)
    app.command("eval-trialsim")(eval_trialsim_command)


def _index(store: TrialStore, rebuild: bool) -> RelatedIndex:
    from trialatlas.related.index import index_for
    from trialatlas.related.saved import saved_behind

    # A saved index (beside the file, or in a PostgreSQL store's database) is loaded, not built.
    if rebuild or saved_behind(store) is None:
        err_console.print(Text("building the related-trials index (first use; kept with the store)…"))
    return index_for(store, rebuild=rebuild)


def results_table(results: list[RelatedResult], *, explain: bool, title: str) -> Table:
    from trialatlas.related.similarity import COMPONENTS

    table = Table(title=Text(title), show_lines=True, expand=True)
    table.add_column("#", justify="right")
    table.add_column("trial", no_wrap=True)
    table.add_column("score", justify="right")
    table.add_column("title and why", ratio=1)
    if explain:
        table.add_column("components", no_wrap=True)
    for result in results:
        cell = Text(result.title, style="bold")
        if result.listed:
            cell.append("  (also listed by the source)", style="dim")
        if result.reasons:
            cell.append("\n" + result.why, style="green")
        row: list[str | Text] = [str(result.rank), result.nct_id, f"{result.score:.3f}", cell]
        if explain:
            row.append(
                "\n".join(
                    f"{name} {result.components[name]:.2f}"
                    for name in (*COMPONENTS, "dense")
                    if name in result.components
                )
            )
        table.add_row(*row)
    return table


def listed_table(listed: list[ListedRelation]) -> Table:
    table = Table(title=Text("Listed as related by the trial's source pages"), expand=True)
    table.add_column("trial", no_wrap=True)
    table.add_column("relation")
    table.add_column("title", ratio=1)
    table.add_column("our score", justify="right")
    for relation in listed:
        title = Text(relation.title or "")
        if not relation.in_store:
            title.append("  (not in the store)", style="dim")
        score = "—" if relation.score is None else f"{relation.score:.3f}"
        table.add_row(relation.nct_id, relation.relation or "", title, score)
    return table


def related_command(
    ncts: Annotated[
        list[str] | None, typer.Argument(help="One trial, or several for trials like all of them.")
    ] = None,
    text: Annotated[
        str | None, typer.Option("--text", help="Trials like this free-text description.")
    ] = None,
    patient: Annotated[
        Path | None,
        typer.Option("--patient", help="Trials like this patient (a profile JSON file).", exists=True),
    ] = None,
    top: Annotated[int, typer.Option("--top", min=1, help="How many related trials.")] = 10,
    explain: Annotated[bool, typer.Option("--explain", help="Show the component scores.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON.")] = False,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Rebuild the index from the store.")] = False,
    dense: Annotated[
        bool,
        typer.Option("--dense", help="Reorder the top 20 with sentence embeddings (the 'embeddings' extra)."),
    ] = False,
    db: DbOption = None,
) -> None:
    """Related trials with the reason each is related; and, apart, the ones its source pages list."""
    from trialatlas.related.service import more_like_these, related_to_patient, related_to_text
    from trialatlas.services.patients import patient_fields

    if sum(bool(x) for x in (ncts, text, patient)) != 1:
        raise QueryError("name trials, or give --text or --patient (one of them)")
    with opened(db, reads=None if rebuild else "related", quiet=as_json) as atlas:
        store = atlas.store
        index = _index(store, rebuild)
        if ncts and len(ncts) == 1:
            report = atlas.related({"nct": ncts[0], "top": top, "dense": dense})
            if as_json:
                print_json(report)
                return
            title = f"Related to {report.target} — {report.title}"
            console.print(results_table(report.computed, explain=explain, title=title))
            if report.listed:
                console.print(listed_table(report.listed))
            return
        if ncts:
            results = more_like_these(store, ncts, top, index=index, dense=dense)
            title = f"More like {', '.join(ncts)}"
        elif text:
            results = related_to_text(store, text, top, index=index, dense=dense)
            title = f"Related to “{text}”"
        else:
            assert patient is not None
            profile = patient_fields(patient.read_text(encoding="utf-8")).get("patient")
            if profile is None:
                raise QueryError(f"{patient}: --patient takes a profile JSON file")
            results = related_to_patient(store, profile, top, index=index)
            title = f"Related to patient {profile.id or patient.name}"
    if as_json:
        print_json([r.model_dump() for r in results])
    else:
        console.print(results_table(results, explain=explain, title=title))


def eval_trialsim_command(
    pairs: Annotated[
        Path, typer.Option("--pairs", help="TrialSim pairs TSV (trialsim_pairs.tsv).", exists=True)
    ],
    run: Annotated[Path, typer.Option("--run", help="Where to write the run file (TREC format).")],
    db: DbOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
) -> None:
    """Rerank each TrialSim target's held candidates; P@1, P@5, NDCG@10 beside BM25 and TF-IDF."""
    from trialatlas.eval.trialsim import SYSTEMS, evaluate, read_pairs, write_run

    with opened(db) as atlas:
        labelled = read_pairs(pairs)
        report = evaluate(atlas.store, labelled, index=_index(atlas.store, False))
        lines = write_run(report, run)
    if as_json:
        print_json({**report.as_dict(), "run": str(run), "run_lines": lines})
        return
    console.print(
        Text(
            f"{report.targets_held} of {report.targets} targets held, with {report.candidates_held} "
            f"candidates; {report.targets_scored} have a similar candidate held and are scored. "
            f"Run: {run} ({lines} lines)"
        )
    )
    table = Table(title="TrialSim")
    for column in ("system", "P@1", "P@5", "NDCG@10"):
        table.add_column(column, justify="right" if column != "system" else "left")
    for system in SYSTEMS:
        figures = report.metrics[system].as_dict()
        table.add_row(system, *(f"{figures[k]:.3f}" for k in ("P@1", "P@5", "NDCG@10")))
    console.print(table)


def eval_related_command(
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="Copy the trials of this store instead of reading the shared data.",
            show_default=False,
        ),
    ] = None,
    scratch: Annotated[
        Path | None,
        typer.Option(
            "--scratch",
            help="Keep the scratch store (texts stripped of NCT numbers) here and reuse it next time.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
) -> None:
    """Related trials vs plain BM25: cross-mention pairs (tuning, sealed), seed lists, TrialSim."""
    from trialatlas.config import shared_data_dir
    from trialatlas.eval.related import TRIALSIM_PAIRS, evaluate_related, read_trials, shared_inputs
    from trialatlas.store import open_store

    source = open_store(db) if db is not None else None

    def trials() -> Iterable[Trial]:
        return source.iter_trials() if source is not None else read_trials(shared_inputs())

    def stage(name: str) -> None:
        err_console.print(Text(f"… {name}", style="dim"))

    try:
        report = evaluate_related(
            trials, scratch=scratch, trialsim_pairs=shared_data_dir() / TRIALSIM_PAIRS, on_stage=stage
        )
    finally:
        if source is not None:
            source.close()
    if as_json:
        print_json(report.as_dict())
        return
    cross = report.cross
    table = Table(title=f"Cross-mention pairs ({cross.pairs} pairs, {cross.queries} even query trials)")
    for column in ("half", "system", "recall@10", "MRR@10", "nDCG@10", "recall gap [95% CI]"):
        table.add_column(column, justify="left" if column in ("half", "system") else "right")
    for half, split in cross.splits.items():
        gap = split.recall_gap
        for name, figures in split.systems.items():
            table.add_row(
                f"{half} ({split.pairs})",
                name,
                *(f"{figures[k]:.3f}" for k in ("recall@10", "MRR@10", "nDCG@10")),
                f"{gap.mean:+.3f} [{gap.low:+.3f}, {gap.high:+.3f}]" if name == "trialatlas" else "",
            )
    console.print(table)
    seeds = Table(title="Seed pages: listed related trials in each top 10")
    for column in ("trial", "listed and held", "trialatlas", "bm25"):
        seeds.add_column(column)
    for seed in report.seeds:
        found = seed.found
        seeds.add_row(seed.target, str(seed.listed_held), str(found["trialatlas"]), str(found["bm25"]))
    console.print(seeds)
    if report.trialsim is not None:
        trialsim = Table(title=f"TrialSim ({report.trialsim.targets_scored} targets scored)")
        for column in ("system", "P@1", "P@5", "NDCG@10"):
            trialsim.add_column(column)
        for system, metrics in report.trialsim.metrics.items():
            figures = metrics.as_dict()
            trialsim.add_row(system, *(f"{figures[k]:.3f}" for k in ("P@1", "P@5", "NDCG@10")))
        console.print(trialsim)
