"""The matcher's term statistics of a store, kept beside its SQLite file (``<db>.match-stats.json``)
or in a PostgreSQL store's database (the blob ``match-stats``, shared by every process on it).

Apart from the matcher so that checking whether they are current (as every command that reads a
store does, see :mod:`trialatlas.services.derived`) loads neither the matcher nor the note reader.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import TYPE_CHECKING

import orjson

from trialatlas.errors import ReadOnlyStoreError
from trialatlas.store import derived_path
from trialatlas.store.base import derived_blobs

if TYPE_CHECKING:
    from trialatlas.match.relevance import RelevanceStats
    from trialatlas.store import TrialStore

# Trials the store's statistics are read from: enough to tell a rare word from a common one (the
# evaluation's collections hold 1,600 and 8,400 trials), few enough to read in seconds.
STATS_SAMPLE = 5000
STATS_SCHEMA = 1
# Statistics are read again once the store's size moved by more than this share.
STALE_SHARE = 0.1
# The blob's name in a store that keeps its derived data in its database.
BLOB_NAME = "match-stats"


def stats_path(store: TrialStore) -> Path | None:
    """Where a store's relevance statistics are kept: beside its SQLite file, else nowhere."""
    path = derived_path(store, ".match-stats.json")
    return path if path is not None and Path(store.location).is_file() else None


def stale(recorded: int, count: int) -> bool:
    """Whether statistics read when the store held ``recorded`` trials no longer fit ``count``."""
    if recorded <= STATS_SAMPLE or count <= STATS_SAMPLE:
        return recorded != count
    return abs(count - recorded) > STALE_SHARE * recorded


def _decoded(payload: bytes | None) -> dict[str, object] | None:
    if payload is None:
        return None
    try:
        data = orjson.loads(payload)
    except ValueError:
        return None
    return data if isinstance(data, dict) and data.get("schema") == STATS_SCHEMA else None


def _read(store: TrialStore) -> dict[str, object] | None:
    path = stats_path(store)
    if path is not None:
        try:
            return _decoded(path.read_bytes())
        except OSError:
            return None
    blobs = derived_blobs(store)
    found = blobs.read_derived(BLOB_NAME) if blobs is not None else None
    return _decoded(found[1]) if found is not None else None


def stats_kept(store: TrialStore) -> bool:
    """Whether the store keeps its statistics (beside its file, or in its database); else a process
    reads them from the store when it first matches."""
    return stats_path(store) is not None or derived_blobs(store) is not None


def load_stats(store: TrialStore) -> tuple[RelevanceStats, int] | None:
    """The statistics kept for ``store`` and the trial count they were read at; ``None`` when none."""
    from trialatlas.match.relevance import RelevanceStats

    data = _read(store)
    if data is None:
        return None
    try:
        return RelevanceStats.from_dict(data["stats"]), int(data["count"])  # type: ignore[arg-type,call-overload]
    except (ValueError, KeyError, TypeError):
        return None


def save_stats(store: TrialStore, stats: RelevanceStats, count: int) -> None:
    """Keep ``stats`` for ``store`` (nothing when it keeps none)."""
    payload = orjson.dumps({"schema": STATS_SCHEMA, "count": count, "stats": stats.as_dict()})
    path = stats_path(store)
    if path is None:
        blobs = derived_blobs(store)
        if blobs is not None:
            # A reader account keeps them in memory; the writer's next derived step saves them.
            with contextlib.suppress(ReadOnlyStoreError):
                blobs.write_derived(BLOB_NAME, str(count), payload)
        return
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_bytes(payload)
        temporary.replace(path)
    except OSError:
        # A read-only directory: the statistics are read again next time, nothing else is lost.
        temporary.unlink(missing_ok=True)


def stats_current(store: TrialStore) -> bool:
    """Whether the statistics kept for the store are those of its present size (a store that keeps
    none, in memory, reads them when first matched: a few thousand trials at most)."""
    path = stats_path(store)
    blobs = derived_blobs(store) if path is None else None
    if path is None and blobs is None:
        return True
    if blobs is not None:
        stamp = blobs.derived_stamp(BLOB_NAME)
        count: object = int(stamp) if stamp is not None and stamp.isdigit() else None
    else:
        data = _read(store)
        count = data.get("count") if data is not None else None
    return isinstance(count, int) and not stale(count, store.count())


__all__ = ["STATS_SAMPLE", "load_stats", "save_stats", "stale", "stats_current", "stats_kept", "stats_path"]
