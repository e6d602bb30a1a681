"""The Typer application every command module adds its commands to.

Commands stay thin: parse arguments, call one library function, render the result with Rich.
"""

from __future__ import annotations

import typer
from rich.console import Console

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
