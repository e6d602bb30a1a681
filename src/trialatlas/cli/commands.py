"""The command table: which module gives which commands, registered explicitly on a new app.

Importing a command module registers nothing; :func:`build_app` asks each module in
:data:`COMMAND_MODULES` to add its commands, in this order (the order ``--help`` lists them).
"""

from __future__ import annotations

import typer

from trialatlas.cli import core, eligibility, regimen, related, search, serve, sync
from trialatlas.cli.common import new_app

COMMAND_MODULES = (core, search, related, regimen, eligibility, sync, serve)


def build_app() -> typer.Typer:
    app = new_app(
        name="trialatlas",
        help="An offline clinical-trial atlas: ingest registry records, show, export, search and match them.",
    )
    for module in COMMAND_MODULES:
        module.register(app)
    return app
