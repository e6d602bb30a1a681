"""Stand-ins for work a request must never do (build, parse, write): each records its call and fails."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def refusing(called: list[str], name: str) -> Callable[..., Any]:
    """A function that appends ``name`` to ``called`` and raises, whatever it is called with."""

    def refused(*args: Any, **kwargs: Any) -> Any:
        called.append(name)
        raise AssertionError(f"{name} called on a request")

    return refused
