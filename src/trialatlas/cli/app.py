"""The Typer application every command module adds its commands to.

Commands stay thin: parse arguments, call one library function, render the result with Rich.
"""

from __future__ import annotations

import typer
from rich.console import Console
from rich.text import Text

from trialatlas.config import default_db_path
from trialatlas.errors import TrialAtlasError
from trialatlas.store import TrialStore, open_store

app = typer.Typer(
    name="trialatlas",
    help="An offline clinical-trial atlas: ingest registry records, show, export, search and match them.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
console = Console()
err_console = Console(stderr=True)

DB_OPTION_HELP = "Store location: a SQLite file path (default: $TRIALATLAS_DB or the user data dir)."


def fail(exc: Exception, code: int = 1) -> typer.Exit:
    """Print a deliberate error as one red line; the caller raises the returned exit."""
    err_console.print(Text(f"error: {exc}", style="red"))
    return typer.Exit(code)


def open_store_or_exit(db: str | None) -> TrialStore:
    """The store named by ``--db`` (or the default), or exit 2 with the reason it cannot be opened."""
    try:
        return open_store(db or default_db_path())
    except TrialAtlasError as exc:
        raise fail(exc, 2) from exc
