"""What every command module shares: the consoles, the ``--db`` option, the one way to open a store,
and the application whose group turns a deliberate error into one clear line.

Commands stay thin: parse arguments, call one :class:`~trialatlas.services.atlas.Atlas` method (or one
library function), render the result with Rich or print the answer's JSON document.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text
from typer.core import TyperGroup

from trialatlas.errors import TrialAtlasError

if TYPE_CHECKING:
    from pydantic import BaseModel
    from rich.progress import Progress

    from trialatlas.eval.trec import TrecEvaluation
    from trialatlas.services.atlas import Atlas

console = Console()
err_console = Console(stderr=True)

DB_OPTION_HELP = "Store location: a SQLite file path (default: $TRIALATLAS_DB or the user data dir)."
DbOption = Annotated[str | None, typer.Option("--db", help=DB_OPTION_HELP, show_default=False)]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the answer as JSON.")]


def say_error(message: object) -> None:
    """A deliberate error as one red line (registry text in it is shown as written, never as markup)."""
    err_console.print(Text(f"error: {message}", style="red"), soft_wrap=True)


class AtlasGroup(TyperGroup):
    """The command group: an error of trialatlas' tree ends the command with one line and its exit
    code (2: the question or an input is malformed; 1: otherwise); anything else is a bug and shows
    its traceback."""

    def invoke(self, ctx: Any) -> Any:  # a click Context (typer vendors its own click)
        try:
            return super().invoke(ctx)
        except TrialAtlasError as exc:
            say_error(exc)
            raise typer.Exit(exc.exit_code) from exc
        except KeyboardInterrupt as exc:
            say_error("interrupted")
            raise typer.Exit(130) from exc


def new_app(**options: Any) -> typer.Typer:
    settings: dict[str, Any] = {"no_args_is_help": True, "pretty_exceptions_enable": False}
    # Plain (click) help: it wraps descriptions and never cuts an option name to fit a narrow terminal,
    # as the boxed rich layout does ("--intervention-t…" at 80 columns).
    settings.update(add_completion=False, cls=AtlasGroup, rich_markup_mode=None, **options)
    return typer.Typer(**settings)


@contextmanager
def opened(
    db: str | None, *, reads: str | None = None, quiet: bool = False, **options: Any
) -> Iterator[Atlas]:
    """The atlas over the store named by ``--db`` (or the default), closed when the command is done.

    The one way a command opens a store; ``atlas.store`` is the store itself. ``reads`` names what the
    command reads ("search", "related", "match", see ``services.derived.READS``): the derived indexes
    it needs are brought up to date first, with a progress bar, when they are behind (a store written
    by an older version, or an ingest killed midway), so that the command itself only reads.
    """
    from trialatlas.services.atlas import open_atlas

    atlas = open_atlas(db, **options)
    try:
        if reads is not None:
            from trialatlas.services.derived import READS

            if not atlas.derived_current(READS[reads]):
                with derived_progress(quiet=quiet) as tell:
                    atlas.bring_up_to_date(on_progress=tell, parts=READS[reads])
        yield atlas
    finally:
        atlas.close()


@contextmanager
def derived_progress(*, quiet: bool = False) -> Iterator[Callable[[str, int, int | None], None]]:
    """A progress bar on stderr for bringing a store's derived indexes up to date (a line per part)."""
    with progress_bars(quiet=quiet) as progress:
        yield derived_tasks(progress)


@contextmanager
def progress_bars(*, quiet: bool = False) -> Iterator[Progress]:
    """Rich progress bars on stderr, gone when done; none when ``quiet`` or not on a terminal, unless
    asked (``$TRIALATLAS_PROGRESS``: then bars on a terminal, plain lines elsewhere, see
    :func:`derived_tasks`)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from trialatlas.config import progress_asked

    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=not err_console.is_terminal or (quiet and not progress_asked()),
    ) as progress:
        yield progress


def derived_tasks(progress: Progress) -> Callable[[str, int, int | None], None]:
    """A progress callback for :func:`trialatlas.services.derived.bring_up_to_date`: a bar per part
    (plain lines on stderr when the bars are off and progress was asked for, see
    :func:`progress_bars`)."""
    from trialatlas.config import progress_asked
    from trialatlas.services.derived import DESCRIPTIONS

    if progress.disable and progress_asked():
        return _progress_lines(DESCRIPTIONS)
    tasks: dict[str, Any] = {}

    def tell(part: str, done: int, total: int | None) -> None:
        task = tasks.get(part)
        if task is None:
            task = tasks[part] = progress.add_task(f"updating the {DESCRIPTIONS.get(part, part)}")
        progress.update(task, completed=done, total=total)

    return tell


# Seconds between two plain progress lines of one part; a part's mark once its end is said.
_LINE_EVERY_S = 5.0
_FINISHED = -1.0


def _progress_lines(descriptions: dict[str, str]) -> Callable[[str, int, int | None], None]:
    """Progress as plain lines on stderr (for a log): a part's start, a line at most every
    ``_LINE_EVERY_S`` seconds, and its end."""
    started: dict[str, float] = {}
    said: dict[str, float] = {}

    def tell(part: str, done: int, total: int | None) -> None:
        now = time.monotonic()
        name = f"updating the {descriptions.get(part, part)}"
        if said.get(part) == _FINISHED:
            return
        if part not in started:
            started[part] = said[part] = now
            line = f"{name}…"
        elif total is not None and done >= total:
            line = f"{name}: done in {now - started[part]:.1f} s"
            now = _FINISHED
        elif now - said[part] >= _LINE_EVERY_S:
            line = f"{name}: {done:,}" + (f" of {total:,}" if total else "")
        else:
            return
        said[part] = now
        sys.stderr.write(line + "\n")
        sys.stderr.flush()

    return tell


def print_json(document: BaseModel | Any) -> None:
    """An answer's JSON document on stdout, as the REST API sends it."""
    import orjson
    from pydantic import BaseModel

    if isinstance(document, BaseModel):
        sys.stdout.write(document.model_dump_json() + "\n")
    else:
        sys.stdout.write(orjson.dumps(document).decode() + "\n")


def print_trec(report: TrecEvaluation, title: str, precision: str = "P@10") -> None:
    """A TREC evaluation as ``eval-trec`` and ``search-eval`` show it: NDCG@10 and P@10 per system, then
    the paired difference of NDCG@10 between trialatlas and plain BM25 when both ran."""
    table = Table(title=title)
    table.add_column("system")
    table.add_column("NDCG@10", justify="right")
    table.add_column(precision, justify="right")
    for name, result in report.systems.items():
        table.add_row(name, f"{result.ndcg_at_10:.4f}", f"{result.p_at_10:.4f}")
    console.print(table)
    if (difference := report.difference()) is not None:
        console.print(
            f"NDCG@10 trialatlas - bm25: {difference.mean:+.4f} (95% CI {difference.low:+.4f} to "
            f"{difference.high:+.4f}, {difference.queries} topics, paired bootstrap)"
        )
