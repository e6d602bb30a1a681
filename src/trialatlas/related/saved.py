"""Where and how the related-trials index is saved for a store, and what a saved one says it holds.

Beside an SQLite store, in a file (mapped when loaded). In a PostgreSQL store, in its database (the
blob ``related-index`` of :class:`~trialatlas.store.base.DerivedBlobs`, stamped with the marker), so
that every server process loads the one index the derived-data step after a write saved, and none
builds its own.

Apart from the index itself so that checking whether the saved index is current (as every command
that reads a store does, see :mod:`trialatlas.services.derived`) loads neither numpy's index code nor
the feature extractors.

The file, ``<db>.related.arrays``: the magic bytes, 8 bytes giving the header's length, the header
(JSON: the format version, the marker of the store's state it holds, keys, titles, and where each
array lies), then every array's raw bytes at an aligned offset (see ``index.save_index``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from trialatlas.store import derived_path
from trialatlas.store.base import derived_blobs

if TYPE_CHECKING:
    from trialatlas.store.base import TrialStore

# Bumped whenever features or layout change, so that older saved indexes are rebuilt.
FORMAT_VERSION = 9
INDEX_SUFFIX = ".related.arrays"
# Files of earlier formats, removed when an index is saved in this one.
OLD_SUFFIXES = (".related.npz",)
MAGIC = b"TARELATED"
ALIGN = 64
# The blob's name in a store that keeps its derived data in its database.
BLOB_NAME = "related-index"


def aligned(size: int) -> int:
    """``size`` rounded up to the arrays' alignment."""
    return -(-size // ALIGN) * ALIGN


def data_start(header_size: int) -> int:
    """Where the arrays begin after a header of ``header_size`` bytes."""
    return aligned(len(MAGIC) + 8 + header_size)


def index_path(store: TrialStore) -> Path | None:
    """``<db>.related.arrays`` beside an SQLite store; ``None`` for stores that are not files."""
    return derived_path(store, INDEX_SUFFIX)


def index_kept(store: TrialStore) -> bool:
    """Whether the store keeps its related-trials index (a file beside it, or in its database); else
    each process builds its own in memory (a memory store)."""
    return index_path(store) is not None or derived_blobs(store) is not None


def read_header(path: Path) -> tuple[dict[str, Any], int] | None:
    """The saved index's header and where its arrays begin; ``None`` when not of this format."""
    with path.open("rb") as handle:
        return header_of(handle.read(len(MAGIC) + 8), handle.read)


def header_of(lead: bytes, read: Any) -> tuple[dict[str, Any], int] | None:
    """The header after ``lead`` (the magic and the header's size), its bytes got by ``read(size)``."""
    if len(lead) < len(MAGIC) + 8 or not lead.startswith(MAGIC):
        return None
    size = int.from_bytes(lead[len(MAGIC) :], "little")
    header = orjson.loads(read(size))
    if not isinstance(header, dict) or header.get("version") != FORMAT_VERSION:
        return None
    return header, data_start(size)


def saved_marker(path: Path) -> dict[str, Any] | None:
    """What the saved index says it holds (format version, store change number, count), read from the
    file's header only; ``None`` when there is none of this format."""
    try:
        found = read_header(path)
    except (OSError, ValueError):
        return None
    if found is None or not isinstance(found[0].get("marker"), dict):
        return None
    marker: dict[str, Any] = found[0]["marker"]
    return marker


def marker_behind(store: TrialStore, marker: dict[str, Any] | None) -> int | None:
    """How many trials changed in ``store`` since an index with ``marker`` was caught up: 0 when
    current, ``None`` when there is no usable index (one is to be built)."""
    if marker is None or marker.get("version") != FORMAT_VERSION:
        return None
    return len(store.changes_since(int(marker.get("seq", 0)))[1])


def shared_marker(store: TrialStore) -> dict[str, Any] | None:
    """The marker of the index kept in the store's database (its blob's stamp); ``None`` when none."""
    blobs = derived_blobs(store)
    stamp = blobs.derived_stamp(BLOB_NAME) if blobs is not None else None
    try:
        marker = orjson.loads(stamp) if stamp is not None else None
    except orjson.JSONDecodeError:
        return None
    return marker if isinstance(marker, dict) else None


def saved_behind(store: TrialStore) -> int | None:
    """:func:`marker_behind` for the index saved for ``store`` (``None`` when it has none)."""
    path = index_path(store)
    return marker_behind(store, saved_marker(path) if path is not None else shared_marker(store))


__all__ = [
    "BLOB_NAME",
    "FORMAT_VERSION",
    "INDEX_SUFFIX",
    "header_of",
    "index_kept",
    "index_path",
    "marker_behind",
    "read_header",
    "saved_behind",
    "saved_marker",
    "shared_marker",
]
