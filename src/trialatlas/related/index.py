"""The related-trials index: per-family sparse matrices (rows = trials) with idf-weighted, unit-length rows.

Each family is held twice, by trial (to read a trial's features, for reasons and for queries made of
trials) and by feature (postings, to score every trial against a query in time proportional to the
postings touched). Design and population are small per-trial code arrays compared vectorised.

The index is built from ``store.iter_trials()`` and saved beside an SQLite store as
``<db>.related.arrays`` (raw numpy arrays plus JSON: no pickle), which later processes map into memory
instead of reading (see :func:`load_index`). It records the store's change number it holds and is
caught up from the store's change feed as the store is written (:mod:`trialatlas.services.derived`).
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import time
import weakref
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import numpy.typing as npt
import orjson

from trialatlas.errors import ReadOnlyStoreError, StoreError
from trialatlas.model import Allocation, InterventionModel, Phase, PrimaryPurpose, Sex, StudyType, Trial
from trialatlas.related.baseline import TextBaseline, document, with_tfidf
from trialatlas.related.features import FAMILIES, MAX_TEXT_FEATURES, TrialFeatures, trial_features
from trialatlas.related.passages import ARRAYS as PASSAGE_ARRAYS
from trialatlas.related.passages import Passages
from trialatlas.related.saved import (
    BLOB_NAME,
    INDEX_SUFFIX,
    MAGIC,
    OLD_SUFFIXES,
    aligned,
    data_start,
    header_of,
    index_kept,
    marker_behind,
    read_header,
    saved_behind,
    shared_marker,
)
from trialatlas.related.saved import FORMAT_VERSION as FORMAT_VERSION
from trialatlas.related.saved import index_path as index_path
from trialatlas.store.base import TrialStore, derived_blobs
from trialatlas.text.bm25 import Bm25, Postings

# The arrays of the words' postings saved beside the feature families, and the same postings by trial.
TEXT_ARRAYS: tuple[str, ...] = ("indptr", "rows", "tf", "lengths")
BY_ROW_ARRAYS: tuple[str, ...] = ("row_indptr", "row_terms", "row_tf")
# Query-side cap on text features: rare words carry the weight; common ones only cost postings.
MAX_QUERY_TEXT = 64
# Families whose rarity (idf) is counted among the trials that have any of their features: most
# trials (description dumps) do not say who runs them, which makes no sponsor rare.
RARITY_AMONG_HOLDERS = frozenset({"who"})

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]
I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]
I8 = npt.NDArray[np.int8]
Bools = npt.NDArray[np.bool_]

# Categorical design fields as small integer codes (-1: not given), in enum order.
CODES: dict[str, tuple[str, ...]] = {
    "study_type": tuple(m.value for m in StudyType),
    "allocation": tuple(m.value for m in Allocation),
    "purpose": tuple(m.value for m in PrimaryPurpose),
    "model": tuple(m.value for m in InterventionModel),
    "sex": tuple(m.value for m in Sex),
}
PHASE_BITS: dict[str, int] = {p.value: 1 << i for i, p in enumerate(p for p in Phase if p.value != "NA")}


def code_of(name: str, value: str | None) -> int:
    if value is None:
        return -1
    try:
        return CODES[name].index(value)
    except ValueError:
        return -1


def phase_mask(phases: Iterable[str]) -> int:
    mask = 0
    for phase in phases:
        mask |= PHASE_BITS.get(phase, 0)
    return mask


def _tristate(value: bool | None) -> int:
    return -1 if value is None else int(value)


@dataclass
class Family:
    """One feature family: rows by trial and postings by feature, with the feature names."""

    vocab: list[str]
    idf: F32
    indptr: I64
    indices: I32
    weights: F32
    post_indptr: I64
    post_rows: I32
    post_weights: F32
    _ids: dict[str, int] | None = None
    _has: Bools | None = None

    @property
    def ids(self) -> dict[str, int]:
        if self._ids is None:
            self._ids = dict(zip(self.vocab, range(len(self.vocab)), strict=True))
        return self._ids

    def row(self, row: int) -> tuple[I32, F32]:
        start, end = int(self.indptr[row]), int(self.indptr[row + 1])
        return self.indices[start:end], self.weights[start:end]

    def has(self) -> Bools:
        if self._has is None:
            self._has = np.diff(self.indptr) > 0
        return self._has

    def scores(self, ids: I32, weights: F32, n: int) -> F64:
        """Dot product of the query (unit length) with every trial's row: the family cosine."""
        if ids.size == 0:
            return np.zeros(n)
        starts = self.post_indptr[ids]
        lengths = self.post_indptr[ids + 1] - starts
        total = int(lengths.sum())
        if total == 0:
            return np.zeros(n)
        # Positions of every posting of every query feature, without a Python loop.
        offsets = np.repeat(starts - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
        positions = offsets + np.arange(total)
        values = self.post_weights[positions] * np.repeat(weights, lengths)
        scores: F64 = np.bincount(self.post_rows[positions], weights=values, minlength=n).astype(np.float64)
        return scores

    def nbytes(self) -> int:
        arrays = (
            self.idf,
            self.indptr,
            self.indices,
            self.weights,
            self.post_indptr,
            self.post_rows,
            self.post_weights,
        )
        return sum(a.nbytes for a in arrays)


@dataclass
class Scalars:
    """Design and population of every trial, as code arrays (-1 or NaN: not given)."""

    study_type: I8
    allocation: I8
    purpose: I8
    model: I8
    masked: I8
    phases: I8
    sex: I8
    healthy: I8
    min_age: F32
    max_age: F32
    partial: Bools

    def nbytes(self) -> int:
        return sum(getattr(self, name).nbytes for name in SCALAR_FIELDS)


SCALAR_FIELDS: tuple[str, ...] = (
    "study_type",
    "allocation",
    "purpose",
    "model",
    "masked",
    "phases",
    "sex",
    "healthy",
    "min_age",
    "max_age",
    "partial",
)


@dataclass
class RelatedIndex:
    keys: list[str]
    titles: list[str]
    families: dict[str, Family]
    scalars: Scalars
    marker: dict[str, Any]
    # BM25 / TF-IDF postings over all of every trial's text, in the same row order.
    lexical: TextBaseline
    # Sampled word shingles of the fields sister studies copy (see related/passages.py).
    passages: Passages
    build_seconds: float = 0.0
    _rows: dict[str, int] | None = field(default=None, repr=False)
    # Arrays derived from the index alone, computed on first use by the scorers.
    cache: dict[tuple[str, str], Any] = field(default_factory=dict, repr=False)

    @property
    def size(self) -> int:
        return len(self.keys)

    def row_of(self, key: str) -> int | None:
        if self._rows is None:
            self._rows = {k: i for i, k in enumerate(self.keys)}
        return self._rows.get(key)

    def nbytes(self) -> int:
        postings = self.lexical.index.postings
        lexical = sum(int(getattr(postings, name).nbytes) for name in TEXT_ARRAYS)
        families = sum(f.nbytes() for f in self.families.values())
        return families + self.scalars.nbytes() + lexical + self.passages.nbytes()


# --- building -----------------------------------------------------------------------------------


class _FamilyBuilder:
    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.lengths = array("q")
        self.indices = array("i")
        self.raw = array("f")

    def add_row(self, bucket: dict[str, float], cap: int | None) -> None:
        if cap is not None and len(bucket) > cap:
            # A first cut by raw weight keeps memory bounded; the idf-aware cut comes at the end.
            bucket = dict(sorted(bucket.items(), key=lambda item: -item[1])[:cap])
        ids = self.ids
        # setdefault's default is evaluated first, so a new name takes the next free id.
        self.indices.extend([ids.setdefault(name, len(ids)) for name in bucket])
        self.raw.extend(bucket.values())
        self.lengths.append(len(bucket))

    def finish(self, n: int, keep: int | None, *, among_holders: bool = False) -> Family:
        vocab = list(self.ids)
        indices = np.frombuffer(self.indices, dtype=np.int32).copy()
        raw = np.frombuffer(self.raw, dtype=np.float32).astype(np.float64)
        lengths = np.frombuffer(self.lengths, dtype=np.int64)
        rows = np.repeat(np.arange(n, dtype=np.int32), lengths)
        df = np.bincount(indices, minlength=len(vocab)).astype(np.float64)
        population = int((lengths > 0).sum()) if among_holders else n
        idf = np.log((1.0 + population) / (1.0 + df)) + 1.0
        weights = raw * idf[indices]
        if keep is not None and indices.size:
            order = np.lexsort((-weights, rows))
            rows, indices, weights = rows[order], indices[order], weights[order]
            starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
            rank = np.arange(indices.size) - np.repeat(starts, lengths)
            kept = rank < keep
            rows, indices, weights = rows[kept], indices[kept], weights[kept]
            lengths = np.bincount(rows, minlength=n).astype(np.int64)
        norms = np.sqrt(np.bincount(rows, weights=weights * weights, minlength=n))
        weights = weights / np.where(norms > 0, norms, 1.0)[rows]
        indptr = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
        return _with_postings(
            vocab, idf.astype(np.float32), indptr, indices.astype(np.int32), weights.astype(np.float32), rows
        )


def _with_postings(vocab: list[str], idf: F32, indptr: I64, indices: I32, weights: F32, rows: I32) -> Family:
    order = np.argsort(indices, kind="stable")
    counts = np.bincount(indices, minlength=len(vocab))
    post_indptr = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
    return Family(
        vocab,
        idf,
        indptr,
        indices,
        weights,
        post_indptr,
        rows[order].astype(np.int32),
        weights[order],
    )


def build_index(
    trials: Iterable[Trial],
    marker: dict[str, Any] | None = None,
    *,
    on_progress: Callable[[int], None] | None = None,
) -> RelatedIndex:
    """Extract every trial's features and lay them out as an index."""
    return index_features((trial_features(trial) for trial in trials), marker, on_progress=on_progress)


def index_features(
    extracted: Iterable[TrialFeatures],
    marker: dict[str, Any] | None = None,
    *,
    on_progress: Callable[[int], None] | None = None,
) -> RelatedIndex:
    """Lay already extracted features out as an index."""
    started = time.perf_counter()
    builders = {family: _FamilyBuilder() for family in FAMILIES}
    keys: list[str] = []
    titles: list[str] = []
    columns: dict[str, list[Any]] = {name: [] for name in SCALAR_FIELDS}
    shingles: list[Any] = []

    def documents() -> Iterator[tuple[str, dict[str, float]]]:
        # One pass over the features: families and scalars are gathered as the words are indexed.
        for features in extracted:
            keys.append(features.key)
            titles.append(features.title)
            for family, builder in builders.items():
                builder.add_row(
                    features.families[family], 2 * MAX_TEXT_FEATURES if family == "text" else None
                )
            _append_scalars(columns, features)
            shingles.append(_shingles_of(features))
            if on_progress is not None and len(keys) % 1000 == 0:
                on_progress(len(keys))
            yield features.key, document(features.text)

    lexical = with_tfidf(Bm25.indexed(documents()))
    n = len(keys)
    families = {
        family: builder.finish(
            n, MAX_TEXT_FEATURES if family == "text" else None, among_holders=family in RARITY_AMONG_HOLDERS
        )
        for family, builder in builders.items()
    }
    scalars = _scalars(columns)
    passages = Passages.of_rows(shingles)
    seconds = time.perf_counter() - started
    return RelatedIndex(keys, titles, families, scalars, marker or {}, lexical, passages, seconds)


def _shingles_of(features: TrialFeatures) -> Any:
    if features.shingles is None:
        return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.uint8)
    return features.shingles


def _append_scalars(columns: dict[str, list[Any]], features: TrialFeatures) -> None:
    columns["study_type"].append(code_of("study_type", features.study_type))
    columns["allocation"].append(code_of("allocation", features.allocation))
    columns["purpose"].append(code_of("purpose", features.purpose))
    columns["model"].append(code_of("model", features.model))
    columns["masked"].append(_tristate(features.masked))
    columns["phases"].append(phase_mask(features.phases))
    columns["sex"].append(code_of("sex", features.sex))
    columns["healthy"].append(_tristate(features.healthy))
    columns["min_age"].append(math.nan if features.min_age is None else features.min_age)
    columns["max_age"].append(math.nan if features.max_age is None else features.max_age)
    columns["partial"].append(features.partial)


def _scalars(columns: dict[str, list[Any]]) -> Scalars:
    def codes(name: str) -> I8:
        return np.asarray(columns[name], dtype=np.int8)

    return Scalars(
        study_type=codes("study_type"),
        allocation=codes("allocation"),
        purpose=codes("purpose"),
        model=codes("model"),
        masked=codes("masked"),
        phases=codes("phases"),
        sex=codes("sex"),
        healthy=codes("healthy"),
        min_age=np.asarray(columns["min_age"], dtype=np.float32),
        max_age=np.asarray(columns["max_age"], dtype=np.float32),
        partial=np.asarray(columns["partial"], dtype=np.bool_),
    )


# --- the store's state and catching up with it ------------------------------------------------


def store_sequence(store: TrialStore) -> int:
    """The store's newest change number (0 for a store without a change feed)."""
    changes = getattr(store, "changes_since", None)
    if not callable(changes):
        return 0
    sequence, _ = changes(0)
    return int(sequence)


def store_changes(store: TrialStore, index: RelatedIndex) -> tuple[int, list[str]] | None:
    """``(sequence, changed keys)`` since the index was built; ``None`` when it cannot tell (rebuild)."""
    if index.marker.get("version") != FORMAT_VERSION:
        return None
    changes = getattr(store, "changes_since", None)
    if not callable(changes):
        # Without a change feed, only a changed trial count is seen.
        return (0, []) if index.marker.get("count") == store.count() else None
    sequence, keys = changes(int(index.marker.get("seq", 0)))
    return int(sequence), list(keys)


def _patched_family(
    family: Family,
    keep_rows: Bools,
    buckets: list[dict[str, float]],
    n: int,
    cap: int | None,
    *,
    among_holders: bool = False,
) -> Family:
    vocab = list(family.vocab)
    ids = dict(family.ids)
    if among_holders:
        n = int((np.diff(family.indptr)[keep_rows] > 0).sum()) + sum(1 for bucket in buckets if bucket)
    new_idf = float(np.log((1.0 + n) / 2.0) + 1.0)
    idf_values = family.idf.tolist()
    new_indices: list[int] = []
    new_weights: list[float] = []
    new_lengths: list[int] = []
    for bucket in buckets:
        entries: list[tuple[int, float]] = []
        for name, raw in bucket.items():
            position = ids.get(name)
            if position is None:
                position = ids[name] = len(vocab)
                vocab.append(name)
                idf_values.append(new_idf)
            entries.append((position, raw * idf_values[position]))
        if cap is not None and len(entries) > cap:
            entries = sorted(entries, key=lambda entry: -entry[1])[:cap]
        norm = math.sqrt(sum(weight * weight for _, weight in entries)) or 1.0
        new_indices.extend(position for position, _ in entries)
        new_weights.extend(weight / norm for _, weight in entries)
        new_lengths.append(len(entries))
    old_lengths = np.diff(family.indptr)
    entry_keep = np.repeat(keep_rows, old_lengths)
    lengths = np.concatenate((old_lengths[keep_rows], np.asarray(new_lengths, dtype=np.int64)))
    indices = np.concatenate((family.indices[entry_keep], np.asarray(new_indices, dtype=np.int32)))
    weights = np.concatenate((family.weights[entry_keep], np.asarray(new_weights, dtype=np.float32)))
    indptr = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
    rows = np.repeat(np.arange(lengths.size, dtype=np.int32), lengths)
    idf = np.asarray(idf_values, dtype=np.float32)
    return _with_postings(vocab, idf, indptr, indices.astype(np.int32), weights.astype(np.float32), rows)


def patch_index(index: RelatedIndex, trials: list[Trial], gone: set[str], sequence: int) -> RelatedIndex:
    """The index with ``gone`` keys dropped and ``trials`` (re)indexed, idf kept as it was.

    idf drifts a little from a fresh build's until the next rebuild; a change feed that touches
    a large share of the trials is cheaper to rebuild from (see :func:`index_for`).
    """
    started = time.perf_counter()
    replaced = gone | {trial.key for trial in trials}
    keep_rows = np.fromiter((key not in replaced for key in index.keys), dtype=np.bool_, count=index.size)
    features = [trial_features(trial) for trial in trials]
    n = int(keep_rows.sum()) + len(features)
    families = {
        name: _patched_family(
            family,
            keep_rows,
            [f.families[name] for f in features],
            n,
            MAX_TEXT_FEATURES if name == "text" else None,
            among_holders=name in RARITY_AMONG_HOLDERS,
        )
        for name, family in index.families.items()
    }
    columns: dict[str, list[Any]] = {name: [] for name in SCALAR_FIELDS}
    for feature in features:
        _append_scalars(columns, feature)
    added = _scalars(columns)
    scalars = Scalars(
        **{
            name: np.concatenate((getattr(index.scalars, name)[keep_rows], getattr(added, name)))
            for name in SCALAR_FIELDS
        }
    )
    keys = [key for key, kept in zip(index.keys, keep_rows.tolist(), strict=True) if kept]
    titles = [title for title, kept in zip(index.titles, keep_rows.tolist(), strict=True) if kept]
    keys.extend(f.key for f in features)
    titles.extend(f.title for f in features)
    marker = {**index.marker, "seq": sequence, "count": len(keys)}
    lexical = index.lexical.patched(keep_rows, [f.key for f in features], [f.text for f in features])
    passages = index.passages.patched(keep_rows, [_shingles_of(f) for f in features])
    seconds = index.build_seconds + time.perf_counter() - started
    return RelatedIndex(keys, titles, families, scalars, marker, lexical, passages, seconds)


# --- saving and loading -------------------------------------------------------------------------

# The file's layout is in trialatlas.related.saved. Loading maps the file and reads nothing else:
# arrays are views of the mapping, paged in by the system as queries touch them, so the first lookup
# after an ingest answers in well under a second however large the index. The arrays scoring
# computes from the index (TF-IDF weights, each trial's words) are saved with it.


def _json_array(value: Any) -> npt.NDArray[np.uint8]:
    return np.frombuffer(orjson.dumps(value), dtype=np.uint8)


def _arrays_of(index: RelatedIndex) -> dict[str, Any]:
    arrays: dict[str, Any] = {}
    for name, family in index.families.items():
        arrays[f"{name}.vocab"] = _json_array(family.vocab)
        for part in ("idf", "indptr", "indices", "weights", "post_indptr", "post_rows", "post_weights"):
            arrays[f"{name}.{part}"] = getattr(family, part)
    for name in SCALAR_FIELDS:
        arrays[f"scalar.{name}"] = getattr(index.scalars, name)
    postings = index.lexical.index.postings
    arrays["lexical.vocab"] = _json_array(list(postings.vocab))
    for name in TEXT_ARRAYS:
        arrays[f"lexical.{name}"] = getattr(postings, name)
    arrays["lexical.saturation"] = index.lexical.index.saturation()
    arrays["lexical.tfidf_norms"] = index.lexical.tfidf_norms
    arrays["lexical.idf_tfidf"] = index.lexical.idf_tfidf
    for name, values in zip(BY_ROW_ARRAYS, postings.by_row, strict=True):
        arrays[f"lexical.{name}"] = values
    for name in PASSAGE_ARRAYS:
        arrays[f"passages.{name}"] = getattr(index.passages, name)
    return arrays


def _write_index(index: RelatedIndex, handle: BinaryIO) -> None:
    """The index in its saved layout, written to ``handle`` (a file, or bytes in memory)."""
    arrays = {name: np.ascontiguousarray(values) for name, values in _arrays_of(index).items()}
    layout: dict[str, tuple[int, str, list[int]]] = {}
    offset = 0
    for name, values in arrays.items():
        layout[name] = (offset, values.dtype.str, list(values.shape))
        offset += aligned(values.nbytes)
    header = orjson.dumps(
        {
            "version": FORMAT_VERSION,
            "keys": index.keys,
            "titles": index.titles,
            "marker": index.marker,
            "build_seconds": index.build_seconds,
            "arrays": layout,
        }
    )
    start = data_start(len(header))
    handle.write(MAGIC + len(header).to_bytes(8, "little") + header)
    for name, values in arrays.items():
        handle.seek(start + layout[name][0])
        # Raw bytes of any dtype, without a copy (the array is C-contiguous).
        handle.write(values.reshape(-1).view(np.uint8).data if values.size else b"")
    # Bytes in memory end with the last array; a file is padded to the alignment.
    handle.truncate(max(start + offset, handle.tell()) if not isinstance(handle, io.BytesIO) else None)


def save_index(index: RelatedIndex, path: Path) -> None:
    """Write atomically (temporary file, then rename), so a reader never sees half an index."""
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        with temporary.open("wb") as handle:
            _write_index(index, handle)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    for suffix in OLD_SUFFIXES:
        path.with_name(path.name.removesuffix(INDEX_SUFFIX) + suffix).unlink(missing_ok=True)


def index_bytes(index: RelatedIndex) -> bytes:
    """The index in its saved layout, as bytes (what a store keeps in its database)."""
    buffer = io.BytesIO()
    _write_index(index, buffer)
    return buffer.getvalue()


def _save(store: TrialStore, index: RelatedIndex) -> None:
    """Keep the index for every process: beside a store file, or in the store's database."""
    path = index_path(store)
    blobs = derived_blobs(store) if path is None else None
    if path is not None:
        try:
            save_index(index, path)
        except OSError as exc:
            raise StoreError(f"{path}: cannot save the related-trials index: {exc}") from exc
    elif blobs is not None:
        # A reader account keeps what it caught up in memory; the writer's next derived step saves it.
        with contextlib.suppress(ReadOnlyStoreError):
            blobs.write_derived(BLOB_NAME, orjson.dumps(index.marker).decode(), index_bytes(index))


def load_index(path: Path) -> RelatedIndex | None:
    """The saved index, or ``None`` if missing, unreadable or of another format version. The arrays
    are read-only views of the file, mapped into memory."""
    try:
        found = read_header(path)
        if found is None:
            return None
        # A plain array over the mapping: np.memmap's own indexing runs Python code on every slice
        # (tens of thousands a lookup), a plain view indexes in C; the file stays mapped beneath it.
        mapped = np.memmap(path, dtype=np.uint8, mode="r").view(np.ndarray)
    except (OSError, ValueError, orjson.JSONDecodeError):
        return None
    return _index_from(mapped, *found)


def index_from_bytes(data: bytes) -> RelatedIndex | None:
    """:func:`load_index` of an index kept as bytes (the arrays are views of ``data``)."""
    lead = len(MAGIC) + 8
    try:
        found = header_of(data[:lead], lambda size: data[lead : lead + size])
    except (ValueError, orjson.JSONDecodeError):
        return None
    if found is None:
        return None
    return _index_from(np.frombuffer(data, dtype=np.uint8), *found)


def _load_shared(store: TrialStore) -> RelatedIndex | None:
    blobs = derived_blobs(store)
    found = blobs.read_derived(BLOB_NAME) if blobs is not None else None
    return index_from_bytes(found[1]) if found is not None else None


def _index_from(mapped: npt.NDArray[np.uint8], meta: dict[str, Any], start: int) -> RelatedIndex | None:
    try:

        def array(name: str) -> Any:
            offset, dtype, shape = meta["arrays"][name]
            kind = np.dtype(dtype)
            count = int(np.prod(shape)) if shape else 1
            begin = start + int(offset)
            return mapped[begin : begin + count * kind.itemsize].view(kind).reshape(shape)

        def json_of(name: str) -> Any:
            return orjson.loads(array(name).tobytes())

        families = {
            name: Family(
                json_of(f"{name}.vocab"),
                array(f"{name}.idf"),
                array(f"{name}.indptr"),
                array(f"{name}.indices"),
                array(f"{name}.weights"),
                array(f"{name}.post_indptr"),
                array(f"{name}.post_rows"),
                array(f"{name}.post_weights"),
            )
            for name in FAMILIES
        }
        scalars = Scalars(**{name: array(f"scalar.{name}") for name in SCALAR_FIELDS})
        vocab = json_of("lexical.vocab")
        postings = Postings(
            meta["keys"],
            dict(zip(vocab, range(len(vocab)), strict=True)),
            **{name: array(f"lexical.{name}") for name in TEXT_ARRAYS},
        )
        postings.keep_by_row(tuple(array(f"lexical.{name}") for name in BY_ROW_ARRAYS))
        bm25 = Bm25.from_postings(postings)
        bm25.keep_saturation(array("lexical.saturation"))
        lexical = TextBaseline(bm25, array("lexical.tfidf_norms"), array("lexical.idf_tfidf"))
        passages = Passages(*(array(f"passages.{name}") for name in PASSAGE_ARRAYS))
    except (OSError, ValueError, KeyError, TypeError, orjson.JSONDecodeError):
        return None
    return RelatedIndex(
        meta["keys"],
        meta["titles"],
        families,
        scalars,
        meta["marker"],
        lexical,
        passages,
        meta["build_seconds"],
    )


# In-process cache, so that a server answers many lookups from one load: file stores by path,
# others by the store object itself (two memory stores share a location but not their trials).
_BY_PATH: dict[str, RelatedIndex] = {}
_BY_STORE: weakref.WeakKeyDictionary[TrialStore, RelatedIndex] = weakref.WeakKeyDictionary()
# Beyond this share of changed trials a rebuild is about as fast as a patch, and resets idf.
_PATCH_SHARE = 0.2


def _cached(store: TrialStore) -> RelatedIndex | None:
    path = index_path(store)
    if path is not None:
        return _BY_PATH.get(str(path))
    return _BY_STORE.get(store)


def _remember(store: TrialStore, index: RelatedIndex) -> None:
    path = index_path(store)
    if path is not None:
        _BY_PATH[str(path)] = index
    else:
        with contextlib.suppress(TypeError):  # a store that cannot be weakly referenced is not cached
            _BY_STORE[store] = index


def index_for(
    store: TrialStore,
    *,
    rebuild: bool = False,
    save: bool = True,
    on_progress: Callable[[int], None] | None = None,
) -> RelatedIndex:
    """The current index of ``store``: from memory, else from its file (or the store's database), else
    built; caught up with the store's change feed, and saved for the store when it changed.
    ``on_progress`` hears the trials read so far while building.

    An index kept in the store's database is the one every process uses: a process holding an older
    one loads the one another process (the derived-data step of an ingest) saved, and never builds its
    own while that one is current."""
    path = index_path(store)
    index = None if rebuild else _cached(store)
    if index is None and not rebuild and path is not None and path.is_file():
        index = load_index(path)
    changes = store_changes(store, index) if index is not None else None
    current = (
        index is not None
        and changes is not None
        and not changes[1]
        and changes[0] == index.marker.get("seq", 0)
    )
    if not rebuild and not current and path is None and derived_blobs(store) is not None:
        # No index held, or one behind the store: the one the write that moved it saved is loaded.
        shared = shared_marker(store)
        if shared is not None and (index is None or index.marker != shared):
            loaded = _load_shared(store)
            if loaded is not None:
                index, changes = loaded, store_changes(store, loaded)
    changed = False
    if index is not None:
        if changes is None:
            index = None
        elif changes[1] or changes[0] != index.marker.get("seq", 0):
            sequence, keys = changes
            if len(keys) > _PATCH_SHARE * max(index.size, 1):
                index = None
            else:
                # An id that became an alias finds its new trial, which may be listed too: once each.
                trials = list({trial.key: trial for trial in store.get_many(keys)}.values())
                found = {trial.key for trial in trials}
                index = patch_index(index, trials, set(keys) - found, sequence)
                changed = True
    if index is None:
        marker = {"version": FORMAT_VERSION, "seq": store_sequence(store)}
        index = build_index(store.iter_trials(), marker, on_progress=on_progress)
        index.marker["count"] = index.size
        changed = True
    if changed and save:
        _save(store, index)
    _remember(store, index)
    return index


def refresh_index(
    store: TrialStore, *, build: bool = False, on_progress: Callable[[int], None] | None = None
) -> RelatedIndex | None:
    """Catch the store's related-trials index up with it after a write (ingest, sync), so that the next
    lookup finds it current; with ``build``, build it if the store has none yet."""
    path = index_path(store)
    exists = (
        _cached(store) is not None
        or (path is not None and path.is_file())
        or (path is None and shared_marker(store) is not None)
    )
    return index_for(store, on_progress=on_progress) if build or exists else None


def index_behind(store: TrialStore) -> int | None:
    """How many trials changed since the store's index (in memory, else saved) was caught up: 0 when
    current, ``None`` when there is no usable index (one is to be built)."""
    cached = _cached(store)
    if cached is not None and not index_kept(store):
        return marker_behind(store, cached.marker)
    return saved_behind(store)
