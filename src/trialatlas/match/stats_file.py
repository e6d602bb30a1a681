"""The matcher's term statistics of a store, kept beside its SQLite file (``<db>.match-stats.json``).

Apart from the matcher so that checking whether they are current (as every command that reads a
store does, see :mod:`trialatlas.services.derived`) loads neither the matcher nor the note reader.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import orjson

from trialatlas.store import derived_path

if TYPE_CHECKING:
    from trialatlas.match.relevance import RelevanceStats
    from trialatlas.store import TrialStore

# Trials the store's statistics are read from: enough to tell a rare word from a common one (the
# evaluation's collections hold 1,600 and 8,400 trials), few enough to read in seconds.
STATS_SAMPLE = 5000
STATS_SCHEMA = 1
# Statistics are read again once the store's size moved by more than this share.
STALE_SHARE = 0.1


def stats_path(store: TrialStore) -> Path | None:
    """Where a store's relevance statistics are kept: beside its SQLite file, else nowhere."""
    path = derived_path(store, ".match-stats.json")
    return path if path is not None and Path(store.location).is_file() else None


def stale(recorded: int, count: int) -> bool:
    """Whether statistics read when the store held ``recorded`` trials no longer fit ``count``."""
    if recorded <= STATS_SAMPLE or count <= STATS_SAMPLE:
        return recorded != count
    return abs(count - recorded) > STALE_SHARE * recorded


def _read(path: Path) -> dict[str, object] | None:
    try:
        data = orjson.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("schema") == STATS_SCHEMA else None


def load_stats(path: Path) -> tuple[RelevanceStats, int] | None:
    from trialatlas.match.relevance import RelevanceStats

    data = _read(path)
    if data is None:
        return None
    try:
        return RelevanceStats.from_dict(data["stats"]), int(data["count"])  # type: ignore[arg-type,call-overload]
    except (ValueError, KeyError, TypeError):
        return None


def save_stats(path: Path, stats: RelevanceStats, count: int) -> None:
    payload = orjson.dumps({"schema": STATS_SCHEMA, "count": count, "stats": stats.as_dict()})
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_bytes(payload)
        temporary.replace(path)
    except OSError:
        # A read-only directory: the statistics are read again next time, nothing else is lost.
        temporary.unlink(missing_ok=True)


def stats_current(store: TrialStore) -> bool:
    """Whether the statistics kept beside the store are those of its present size (a store kept
    nowhere, in memory, reads them when first matched: a few thousand trials at most)."""
    path = stats_path(store)
    if path is None:
        return True
    data = _read(path)
    count = data.get("count") if data is not None else None
    return isinstance(count, int) and not stale(count, store.count())


__all__ = ["STATS_SAMPLE", "load_stats", "save_stats", "stale", "stats_current", "stats_path"]
