"""A trial's registrations: every registry record it is known by, each with its official page.

The registry id shapes, their canonical spellings and record pages are the ground layer's
(:mod:`trialatlas.text.registry_ids`), re-exported here for the model's users.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from trialatlas.text.registry_ids import (
    CTGOV,
    Registry,
    RegistryId,
    identify,
    record_url,
    registries,
    registry_name,
    registry_of,
)

if TYPE_CHECKING:
    from trialatlas.model.trial import Trial


@dataclass(frozen=True)
class Registration:
    """One registry record of a trial: read (``own``), or only named by a record that was."""

    registry: str
    name: str
    id: str
    url: str | None
    own: bool


def registrations(trial: Trial) -> list[Registration]:
    """Every registry record the trial is known by: those it was read from (their ids as the
    registries spell them, each with its official page built from the id, else the http(s) page the
    record names), then the ones its records name."""
    found: dict[str, Registration] = {}
    canonical: set[str] = set()

    def add(text: str, *, own: bool, url: str | None = None) -> None:
        recognised = identify(text)
        if recognised is None:
            return
        # Own records by their own spelling (each EU member state's record), named ones once per trial.
        key = " ".join(text.split()).upper() if own else recognised.id.upper()
        if key in found or (not own and recognised.id.upper() in canonical):
            return
        if own and recognised.id.upper() in canonical and recognised.id.upper() == key:
            return
        canonical.add(recognised.id.upper())
        found[key] = Registration(
            registry=recognised.registry,
            name=registry_name(recognised.registry),
            id=text if own else recognised.id,
            url=recognised.url or (url if url and url.startswith(("https://", "http://")) else None),
            own=own,
        )

    for source in trial.sources:
        if source.registry_id:
            add(source.registry_id, own=True, url=source.url)
    for registry_id in [*([trial.nct_id] if trial.nct_id else []), *trial.registry_ids]:
        add(registry_id, own=True)
    for secondary in trial.secondary_ids:
        add(secondary.id, own=False)
    return sorted(found.values(), key=lambda r: (not r.own, r.name, r.id))


__all__ = [
    "CTGOV",
    "Registration",
    "Registry",
    "RegistryId",
    "identify",
    "record_url",
    "registrations",
    "registries",
    "registry_name",
    "registry_of",
]
