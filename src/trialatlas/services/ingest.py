"""Ingest: read any mix of inputs and merge every record into a store, in atomic batches.

Bad records never stop an ingest: each is reported with its file and reason, and the good records
around it still land. Batches are transactions, so a crash or ``kill -9`` leaves the store as it was
after the last whole batch, and re-running the ingest converges to the same content.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from trialatlas.model import Trial
from trialatlas.sources.base import ReadResult, RecordError
from trialatlas.sources.reading import read_paths
from trialatlas.store.base import TrialStore

DEFAULT_BATCH_SIZE = 500


@dataclass
class IngestReport:
    """What an ingest did: counts, and every record that failed with its location and reason."""

    read: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RecordError] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def failed(self) -> int:
        return len(self.errors)

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, object]:
        return {
            "read": self.read,
            "new": self.new,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "failed": self.failed,
            "seconds": round(self.seconds, 3),
            "errors": [{"location": e.location, "reason": e.reason} for e in self.errors],
        }


def ingest(
    paths: Iterable[str | os.PathLike[str]],
    store: TrialStore,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    reader: str | None = None,
    on_progress: Callable[[IngestReport], None] | None = None,
) -> IngestReport:
    """Read every record under ``paths`` (auto-detected format, or ``reader``) into ``store``."""
    return ingest_results(read_paths(paths, reader), store, batch_size=batch_size, on_progress=on_progress)


def ingest_results(
    results: Iterable[ReadResult],
    store: TrialStore,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_progress: Callable[[IngestReport], None] | None = None,
) -> IngestReport:
    """Write already-read records (trials and read errors, as readers yield them) into ``store``."""
    report = IngestReport()
    started = time.perf_counter()
    batch: list[Trial] = []

    def flush() -> None:
        if not batch:
            return
        summary = store.upsert_batch(batch)
        report.new += summary.new
        report.updated += summary.updated
        report.unchanged += summary.unchanged
        batch.clear()
        if on_progress is not None:
            on_progress(report)

    for result in results:
        if isinstance(result, RecordError):
            report.errors.append(result)
            continue
        report.read += 1
        if not (result.nct_id or result.org_study_id):
            location = result.sources[-1].location if result.sources else "(unknown source)"
            report.errors.append(RecordError(location, "record without an NCT id or org study id"))
            continue
        batch.append(result)
        if len(batch) >= batch_size:
            flush()
    flush()
    report.seconds = time.perf_counter() - started
    return report
