"""Public names a package resolves on first use, so that importing one light submodule of it does not
import the heavy ones (a second or more of a command's start-up)."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any


def resolve(package: str, homes: Mapping[str, str], namespace: dict[str, Any], name: str) -> Any:
    """``package``'s public ``name``, imported from its home and kept in the package's ``namespace``.

    A home is ``module`` or ``module:attribute`` (when the name differs in its module); a home that is the
    package's own submodule of that name is the module itself (``trialatlas.search``, a callable package).
    """
    home = homes.get(name)
    if home is None:
        raise AttributeError(f"module {package!r} has no attribute {name!r}")
    module_name, _, attribute = home.partition(":")
    module = importlib.import_module(module_name)
    value = module if module_name == f"{package}.{name}" else getattr(module, attribute or name)
    namespace[name] = value
    return value


def listing(homes: Mapping[str, str], namespace: Mapping[str, Any]) -> list[str]:
    """What ``dir(package)`` shows: the names already loaded and those still to resolve."""
    return sorted(set(namespace) | set(homes))
