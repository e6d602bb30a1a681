"""The ``trialatlas`` command line: :data:`app`, built by :func:`trialatlas.cli.commands.build_app`.

``import trialatlas`` never imports this package, so the library stays light; the command line
imports its command modules once, here.
"""

from __future__ import annotations

from trialatlas.cli import commands
from trialatlas.cli.commands import build_app

app = build_app()


def main() -> None:
    app()


__all__ = ["app", "commands", "main"]
