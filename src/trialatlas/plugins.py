"""The one registration mechanism: entry points.

Readers, facets, criterion parsers and judges are found through ``importlib.metadata`` entry point
groups, and the built-ins are declared in ``pyproject.toml`` exactly as a third-party package declares
its own::

    [project.entry-points."trialatlas.readers"]
    my-format = "my_package.reader:READER"          # a SourceReader (or a list of them)

    [project.entry-points."trialatlas.facets"]
    trial-size = "my_package.facets:FACET"           # a Facet (or a list of them)

    [project.entry-points."trialatlas.criterion_parsers"]
    my-rules = "my_package.parsers"                  # a module whose parsers use @register

    [project.entry-points."trialatlas.judges"]
    my-llm = "my_package.judge:LlmJudge"              # a CriterionJudge class

Loading is lazy: a group is read the first time its registry is used (so ``import trialatlas`` and
``trialatlas --help`` stay fast), once per process; :func:`refresh` makes every registry look again
(after installing a package while the process runs).
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from trialatlas.errors import PluginError

READERS = "trialatlas.readers"
FACETS = "trialatlas.facets"
CRITERION_PARSERS = "trialatlas.criterion_parsers"
JUDGES = "trialatlas.judges"


def load_entry_point(entry: EntryPoint) -> Any:
    """The object an entry point names; a :class:`PluginError` says which one failed and why."""
    try:
        return entry.load()
    except Exception as exc:  # a plugin's import may fail in any way: it is named, not hidden
        raise PluginError(f"cannot load {entry.group} plugin {entry.name!r} ({entry.value}): {exc}") from exc


def load_reference(group: str, reference: str) -> Any:
    """``module:attribute`` (or a module) loaded as an entry point of ``group`` would be."""
    return load_entry_point(EntryPoint(name=reference, value=reference, group=group))


class PluginGroup:
    """The entry points of one group, each handed once to ``add(name, loaded object)``."""

    def __init__(self, group: str, add: Callable[[str, Any], None]) -> None:
        self.group = group
        self._add = add
        self._done: set[tuple[str, str]] = set()
        self._loaded = False
        self._lock = threading.RLock()
        _GROUPS.append(self)

    def ensure_loaded(self) -> None:
        if self._loaded:
            return
        with self._lock:
            if self._loaded:
                return
            for entry in entry_points(group=self.group):
                key = (entry.name, entry.value)
                if key in self._done:
                    continue
                self._done.add(key)
                self._add(entry.name, load_entry_point(entry))
            self._loaded = True

    def names(self) -> list[str]:
        return [entry.name for entry in entry_points(group=self.group)]

    def find(self, name: str) -> EntryPoint | None:
        found = entry_points(group=self.group, name=name)
        return next(iter(found), None)


_GROUPS: list[PluginGroup] = []


def refresh() -> None:
    """Look for entry points again at every registry's next use (a package was installed)."""
    importlib.invalidate_caches()
    for group in _GROUPS:
        group._loaded = False


__all__ = [
    "CRITERION_PARSERS",
    "FACETS",
    "JUDGES",
    "READERS",
    "PluginGroup",
    "load_entry_point",
    "load_reference",
    "refresh",
]
