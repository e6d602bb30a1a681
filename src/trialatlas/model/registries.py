"""Trial registries and their id shapes: which registry an id belongs to, its canonical spelling, and
the official record page built from it (never fetched).

One trial is often registered in several registries (ClinicalTrials.gov and EU CTR, ChiCTR and WHO's
other primary registries); an id of a known registry shape is what links those records into one
trial. The shapes are data (``registries.json``); this module only compiles and applies them.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from importlib import resources
from string import Formatter
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from trialatlas.model.trial import Trial

CTGOV = "ctgov"


@dataclass(frozen=True)
class Registry:
    code: str
    name: str
    pattern: re.Pattern[str]
    canonical: str
    urls: tuple[str, ...]


@dataclass(frozen=True)
class RegistryId:
    """An id recognised as a registry's: ``id`` is the canonical form the store keys trials by."""

    registry: str
    id: str
    parts: tuple[tuple[str, str], ...] = ()

    @property
    def url(self) -> str | None:
        return _url(self.registry, dict(self.parts))


@functools.cache
def registries() -> dict[str, Registry]:
    """Every known registry by code, in matching order."""
    data: dict[str, Any] = json.loads(
        resources.files("trialatlas.model").joinpath("registries.json").read_text(encoding="utf-8")
    )
    return {
        entry["code"]: Registry(
            code=entry["code"],
            name=entry["name"],
            pattern=re.compile(entry["pattern"], re.IGNORECASE),
            canonical=entry["canonical"],
            urls=tuple(entry["urls"]),
        )
        for entry in data["registries"]
    }


def registry_name(code: str) -> str:
    registry = registries().get(code)
    return registry.name if registry else code


def identify(text: str | None) -> RegistryId | None:
    """The registry id ``text`` is (the whole of it, spaces trimmed), or ``None``."""
    if not text:
        return None
    token = " ".join(text.split()).strip(" .;,")
    if not token:
        return None
    for registry in registries().values():
        match = registry.pattern.fullmatch(token)
        if match is None:
            continue
        groups = {name: value for name, value in match.groupdict().items() if value is not None}
        if "state" in groups:
            groups["state"] = groups["state"].upper()
        return RegistryId(registry.code, registry.canonical.format(**groups), tuple(sorted(groups.items())))
    return None


def registry_of(canonical_id: str) -> str | None:
    found = identify(canonical_id)
    return found.registry if found else None


def _url(code: str, groups: dict[str, str]) -> str | None:
    registry = registries().get(code)
    if registry is None:
        return None
    for template in registry.urls:
        names = {field for _, field, _, _ in Formatter().parse(template) if field}
        if names <= groups.keys():
            return template.format(**groups)
    return None


def record_url(registry_id: str | None) -> str | None:
    """The official page of a registry record, built from its id (``None`` for an unknown shape)."""
    found = identify(registry_id)
    return found.url if found else None


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
