"""Data files shipped inside the package: vocabularies, cue lists and rule sets, read one way.

Every vocabulary and cue list of trialatlas is a data file beside the module that uses it (cue lists
are data, not code, so that a reviewer reads and edits words, not regular expressions in Python).
The modules that use them cache what they build from a file; these functions only read it.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

import orjson


def packaged_text(package: str, *parts: str) -> str:
    """The text of the data file ``parts`` (a name, or folders and a name) inside ``package``,
    e.g. ``packaged_text("trialatlas.text", "stop_words.txt")``."""
    return resources.files(package).joinpath(*parts).read_text(encoding="utf-8")


def packaged_json(package: str, *parts: str) -> Any:
    """The parsed JSON data file ``parts`` inside ``package``; a fresh object on each call, so a
    caller may change it."""
    return orjson.loads(resources.files(package).joinpath(*parts).read_bytes())


def packaged_words(package: str, *parts: str) -> frozenset[str]:
    """A word list shipped inside ``package``: one entry a line, blank lines and ``#`` comments left out."""
    text = packaged_text(package, *parts)
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))
