"""Trial-registry ids: the one NCT-id pattern and the id shapes of the registries the WHO ICTRP gathers.

The shapes are data (``registry_ids.json``). ``NCT_ID`` matches a whole id, ``NCT_IN_TEXT`` finds ids
inside text (``NCT_IN_BYTES`` inside raw bytes); :func:`find_registry_ids` finds the ids of every
registry in a text and :func:`registry_of` names the registry of one id.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

_NCT = r"NCT\d{8}"
NCT_ID = re.compile(rf"^{_NCT}$")
"""A whole ClinicalTrials.gov id (``NCT`` and eight digits); match with ``.match`` or ``.fullmatch``."""
NCT_IN_TEXT = re.compile(rf"\b{_NCT}\b")
"""ClinicalTrials.gov ids inside text."""
NCT_IN_BYTES = re.compile(_NCT.encode())
"""ClinicalTrials.gov ids inside raw bytes (a record not yet decoded)."""


def is_nct_id(text: str) -> bool:
    """Whether ``text`` is exactly one ClinicalTrials.gov id (upper case, no spaces)."""
    return NCT_ID.match(text) is not None


@dataclass(frozen=True, slots=True)
class Registry:
    """One trial registry: its name, a short key and the shape of its ids."""

    key: str
    name: str
    prefix: str
    pattern: re.Pattern[str]


@cache
def registries() -> tuple[Registry, ...]:
    """The registries whose id shapes are known, most specific shape first."""
    raw = json.loads(resources.files(__package__).joinpath("registry_ids.json").read_text(encoding="utf-8"))
    return tuple(
        Registry(entry["key"], entry["name"], entry["prefix"], re.compile(entry["pattern"]))
        for entry in raw["registries"]
    )


@cache
def _any_id() -> re.Pattern[str]:
    alternatives = "|".join(f"(?P<{r.key}>{r.pattern.pattern})" for r in registries())
    # An id stands alone: no letter, digit or id punctuation glued to either end ("NL67751.078.18" is
    # a Dutch ethics-committee number, not the register's NL67751).
    return re.compile(rf"(?<![\w/\-])(?:{alternatives})(?![\w/\-]|\.\d)")


def find_registry_ids(text: str) -> list[tuple[str, str]]:
    """``(registry key, id)`` for every registry id in ``text``, in order."""
    found: list[tuple[str, str]] = []
    for match in _any_id().finditer(text):
        key = match.lastgroup
        if key is not None:
            found.append((key, match.group(0)))
    return found


def registry_of(identifier: str) -> Registry | None:
    """The registry whose id shape ``identifier`` has, else ``None``."""
    text = identifier.strip()
    return next((r for r in registries() if r.pattern.fullmatch(text)), None)
