"""Imports every command module so that each registers its commands on the app."""

from trialatlas.cli import (
    core,  # noqa: F401
    eligibility,  # noqa: F401
    regimen,  # noqa: F401
    related,  # noqa: F401
    search,  # noqa: F401
    serve,  # noqa: F401
    sync,  # noqa: F401
)
