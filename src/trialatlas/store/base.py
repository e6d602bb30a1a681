"""The store contract: what services need from any backend (SQLite by default, PostgreSQL later).

A store keeps trials by key (the NCT id, else ``ORG:<org study id>``), each with the raw records it
was read from. ``upsert_batch`` is the only write and is atomic: a batch lands whole or not at all.
Merging an incoming record with the stored one is the model's job
(:func:`trialatlas.model.merge.merge_trials`); the store only decides what to persist.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol, runtime_checkable

from trialatlas.model import Trial


class UpsertOutcome(StrEnum):
    NEW = "new"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass
class UpsertSummary:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    outcomes: dict[str, UpsertOutcome] = field(default_factory=dict)

    def add(self, key: str, outcome: UpsertOutcome) -> None:
        self.outcomes[key] = outcome
        if outcome is UpsertOutcome.NEW:
            self.new += 1
        elif outcome is UpsertOutcome.UPDATED:
            self.updated += 1
        else:
            self.unchanged += 1


@runtime_checkable
class TrialStore(Protocol):
    """What every backend provides."""

    location: str

    def upsert_batch(self, trials: Sequence[Trial]) -> UpsertSummary:
        """Merge each trial into the store, in one transaction."""
        ...

    def get(self, key: str) -> Trial | None:
        """The trial by NCT id, store key, org study id or secondary id; ``None`` when absent."""
        ...

    def get_many(self, keys: Sequence[str]) -> list[Trial]:
        """The trials that exist, in the order asked."""
        ...

    def raw_records(self, key: str) -> list[tuple[str, str]]:
        """``(source id, raw text)`` of every record the trial was read from."""
        ...

    def iter_trials(self, batch_size: int = 500) -> Iterator[Trial]:
        """Every trial, in key order."""
        ...

    def keys(self) -> list[str]:
        ...

    def count(self) -> int:
        ...

    def delete(self, keys: Iterable[str]) -> int:
        ...

    def close(self) -> None:
        ...
