"""A query's time budget: the deadline SQLite's progress handler and the engine's steps look at.

A search with ``budget_s`` runs under a :class:`Budget`: SQLite calls :meth:`Budget.spent` every
:data:`BUDGET_STEPS` virtual-machine steps and interrupts the statement once it answers non-zero;
between two statements (the words' engine is not interrupted) :meth:`Budget.check` raises
:class:`Stopped`, a :class:`~trialatlas.errors.QueryCostError`.
"""

from __future__ import annotations

import time

from trialatlas.errors import QueryCostError

# Virtual-machine steps between two looks at the clock while a query runs under a time budget.
BUDGET_STEPS = 1_000


class Budget:
    """A query's deadline, as SQLite's progress handler asks about it."""

    def __init__(self, seconds: float | None) -> None:
        self.deadline = None if seconds is None else time.monotonic() + seconds
        self.stopped = False

    def spent(self) -> int:
        if self.deadline is not None and time.monotonic() > self.deadline:
            self.stopped = True
            return 1  # non-zero: SQLite interrupts the statement
        return 0

    def check(self) -> None:
        """Between two steps SQLite does not run (the engine's): stops the query past its budget."""
        if self.spent():
            raise Stopped


class Stopped(QueryCostError):
    """A query past its budget between two of its steps (tantivy's are not interrupted)."""
