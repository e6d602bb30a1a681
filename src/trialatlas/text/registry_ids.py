"""Trial-registry ids: the one pattern set for NCT ids and the ids of the registries the WHO ICTRP
gathers (EU CTR/CTIS, ISRCTN, ChiCTR, ANZCTR, JPRN, DRKS, CTRI, IRCT, CRIS, NTR/NL, PACTR, ReBEC,
SLCTR, TCTR, REPEC, LBCTR, RPCEC, ITMCTR).

One trial is often registered in several registries; an id of a known registry shape is what links
those records into one trial. The shapes are data (``registries.json``): a pattern matching one whole
id as registries print it (any case, spaces where they put them, "EudraCT number:" prefixes), the
canonical spelling the store keys trials by, and the official record page built from the id (never
fetched). :func:`identify` recognises one id, :func:`find_registry_ids` every id inside a text.

``NCT_ID`` is the canonical ClinicalTrials.gov id (``NCT`` and eight digits) that records must carry;
``NCT_IN_TEXT`` and ``NCT_IN_BYTES`` find canonical NCT ids inside text and raw bytes.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from string import Formatter
from typing import Any

from trialatlas.text.packaged import packaged_json

CTGOV = "ctgov"

_NCT = r"NCT\d{8}"
NCT_ID = re.compile(rf"^{_NCT}$")
"""A whole canonical ClinicalTrials.gov id; match with ``.match`` or ``.fullmatch``."""
NCT_IN_TEXT = re.compile(rf"\b{_NCT}\b")
"""Canonical ClinicalTrials.gov ids inside text."""
NCT_IN_BYTES = re.compile(_NCT.encode())
"""Canonical ClinicalTrials.gov ids inside raw bytes (a record not yet decoded)."""


def is_nct_id(text: str) -> bool:
    """Whether ``text`` is exactly one canonical ClinicalTrials.gov id (upper case, no spaces)."""
    return NCT_ID.match(text) is not None


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
    data: dict[str, Any] = packaged_json(__package__, "registries.json")
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


def _recognised(registry: Registry, match: re.Match[str]) -> RegistryId:
    groups = {name: value for name, value in match.groupdict().items() if value is not None}
    if "state" in groups:
        groups["state"] = groups["state"].upper()
    return RegistryId(registry.code, registry.canonical.format(**groups), tuple(sorted(groups.items())))


def identify(text: str | None) -> RegistryId | None:
    """The registry id ``text`` is (the whole of it, spaces trimmed), or ``None``."""
    if not text:
        return None
    return _identify(text)


# How many ids an id cache keeps (here and ``trialatlas.store.base.normalize_id``). An ingest asks
# for each id of a trial many times (mapping, validation, the store's identity rows, then the batch's
# prefetch, merge and plan: 12 calls of ``identify`` and 28 of ``normalize_id`` a trial on the shared
# sample), all within the trial's batch, and almost never again: a trial brings ids of its own. Over
# a serial ingest of the sample (7,595 trials, 24,900 distinct ids) an LRU of 2,048 ids had 99.6 % of
# an unbounded cache's hits, 8,192 (five batches of 500 trials at ~3.3 ids each) 99.9 %; a miss
# costs ~2.5 µs. A bigger cache only keeps ids no one asks for again (65,536 were ~35 MB in a
# long-running writer, replaced one by one among each batch's transient objects).
ID_CACHE_SIZE = 8192


# Store identity asks for the same ids many times per batch (prefetch, merge, plan).
@functools.lru_cache(maxsize=ID_CACHE_SIZE)
def _identify(text: str) -> RegistryId | None:
    token = " ".join(text.split()).strip(" .;,")
    if not token:
        return None
    for registry in registries().values():
        match = registry.pattern.fullmatch(token)
        if match is not None:
            return _recognised(registry, match)
    return None


def registry_of(canonical_id: str) -> str | None:
    found = identify(canonical_id)
    return found.registry if found else None


@functools.cache
def _in_text() -> tuple[tuple[Registry, re.Pattern[str]], ...]:
    # An id inside text stands alone: no letter, digit or id punctuation glued to either end
    # ("NL67751.078.18" is a Dutch ethics-committee number, not the register's NL67751).
    return tuple(
        (registry, re.compile(rf"(?<![\w/\-])(?:{registry.pattern.pattern})(?![\w/\-]|\.\d)", re.IGNORECASE))
        for registry in registries().values()
    )


def find_registry_ids(text: str) -> list[RegistryId]:
    """Every registry id inside ``text``, in order, each once where shapes overlap (the longest, then
    the registry first in matching order)."""
    found: list[tuple[int, int, int, RegistryId]] = []
    for order, (registry, pattern) in enumerate(_in_text()):
        for match in pattern.finditer(text):
            start = match.start() + len(match.group(0)) - len(match.group(0).lstrip(" :#"))
            found.append((start, -(match.end() - start), order, _recognised(registry, match)))
    found.sort(key=lambda item: item[:3])
    kept: list[RegistryId] = []
    end = -1
    for start, negative_length, _, registry_id in found:
        if start >= end:
            kept.append(registry_id)
            end = start - negative_length
    return kept


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
