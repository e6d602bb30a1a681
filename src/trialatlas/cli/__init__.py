"""The ``trialatlas`` command line. Importing a command module registers its commands on :data:`app`."""

from __future__ import annotations

from trialatlas.cli.app import app


def main() -> None:
    # Command modules are imported here, not at package import, so `import trialatlas` stays light.
    from trialatlas.cli import commands  # noqa: F401

    app()


__all__ = ["app", "main"]
