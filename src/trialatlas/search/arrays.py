"""The index's filter columns and facet rows as numpy arrays, read once per index generation.

A search then filters, counts facets and sorts in memory: a filter is a boolean mask over doc numbers
(a facet value's trials are one slice of an array sorted by value; a range compares a column), the
facet counts of a set of trials are one gather and one bincount, and a sort is one lexsort. SQLite is
left to read the page's summaries; the words' engine (tantivy, ``engine.py``) finds the matching
trials and scores the few that survive the filters (BM25).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from trialatlas.search.facets import FACETS
from trialatlas.search.filters import Range
from trialatlas.store.schema import marks

Docs = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]

# Sorted columns: dates sort as their ISO text, enrollment as a number; NULL sorts last either way.
SORT_COLUMNS = ("start_date", "last_update", "enrollment")
_TEXT_COLUMNS = ("start_date", "completion_date", "last_update")
# Counting by gathering the hits' own rows beats masking every row while the hits are fewer than this
# share of the trials.
_GATHER_SHARE = 0.125


@dataclass
class _Column:
    """A column as ranks into its sorted distinct values (-1: NULL), which compare and sort like the
    values themselves."""

    codes: npt.NDArray[np.int64]
    values: list[Any]
    sorted_values: Any

    @classmethod
    def of(cls, raw: list[Any], size: int, docs: Docs) -> _Column:
        present = [v for v in raw if v is not None]
        distinct = sorted(set(present))
        lookup = {value: rank for rank, value in enumerate(distinct)}
        codes = np.full(size, -1, dtype=np.int64)
        codes[docs] = np.fromiter(
            (lookup.get(v, -1) if v is not None else -1 for v in raw), np.int64, len(raw)
        )
        return cls(codes, distinct, np.array(distinct) if distinct else np.array([], dtype=object))

    def at_least(self, value: Any) -> Mask:
        start = int(np.searchsorted(self.sorted_values, value, side="left")) if self.values else 0
        return self.codes >= max(start, 0)

    def at_most(self, value: Any) -> Mask:
        stop = int(np.searchsorted(self.sorted_values, value, side="right")) if self.values else 0
        return (self.codes >= 0) & (self.codes < stop)

    def bounds(self, value: Any) -> tuple[int, int]:
        """Codes ``[low, high)`` equal to ``value`` (empty when no trial has it)."""
        if not self.values:
            return 0, 0
        return (
            int(np.searchsorted(self.sorted_values, value, side="left")),
            int(np.searchsorted(self.sorted_values, value, side="right")),
        )


def rows_value_mask(conn: sqlite3.Connection, facet: str, keys: list[str], size: int) -> Mask:
    """:meth:`DocArrays.value_mask` read from the index's rows (its facet index) instead of the
    arrays, for a search that needs no other array: loading them all costs ~0.4 s at 100k trials,
    most of a one-off command's search, where one facet's few thousand rows cost milliseconds."""
    mask = np.zeros(size, dtype=bool)
    if not keys:
        return mask
    rows = conn.execute(
        "SELECT f.doc FROM search_values v JOIN search_facets f ON f.fv = v.fv"
        f" WHERE v.facet = ? AND v.norm IN ({marks(len(keys))})",
        [facet, *keys],
    ).fetchall()
    docs = np.fromiter((row[0] for row in rows), np.int64, len(rows))
    mask[docs[docs < size]] = True
    return mask


def rows_size(conn: sqlite3.Connection) -> int:
    """:attr:`DocArrays.size` read from the index's rows."""
    return int(conn.execute("SELECT coalesce(max(doc), 0) + 1 FROM search_docs").fetchone()[0])


@dataclass
class DocArrays:
    generation: str
    size: int
    docs: Docs
    min_age: npt.NDArray[np.float64]
    max_age: npt.NDArray[np.float64]
    ages_known: Mask
    columns: dict[str, _Column]
    # Facet rows by trial: trial d holds values fvs[doc_ptr[d]:doc_ptr[d + 1]].
    doc_ptr: Docs
    fvs: Docs
    fv_docs: Docs
    # Facet rows by value: value v is held by trials by_value[value_ptr[v]:value_ptr[v + 1]].
    value_ptr: Docs
    by_value: Docs
    facet_values: dict[str, Docs]
    labels: list[str]
    keys: list[str]
    value_of: dict[tuple[str, str], int]
    _all_counts: Docs | None = None
    _ranks: dict[str, Docs] = field(default_factory=dict)

    @classmethod
    def load(cls, conn: sqlite3.Connection, generation: str) -> DocArrays:
        rows = conn.execute(
            "SELECT doc, min_age, max_age, ages_known, start_date, completion_date, last_update, enrollment"
            " FROM search_docs ORDER BY doc"
        ).fetchall()
        docs = np.fromiter((r[0] for r in rows), np.int64, len(rows))
        size = int(docs[-1]) + 1 if len(docs) else 1

        def floats(position: int) -> npt.NDArray[np.float64]:
            out = np.full(size, np.nan)
            out[docs] = np.fromiter(
                (np.nan if r[position] is None else r[position] for r in rows), np.float64, len(rows)
            )
            return out

        ages_known = np.zeros(size, dtype=bool)
        ages_known[docs] = np.fromiter((bool(r[3]) for r in rows), bool, len(rows))
        columns = {
            name: _Column.of([r[4 + i] for r in rows], size, docs) for i, name in enumerate(_TEXT_COLUMNS)
        }
        columns["enrollment"] = _Column.of([r[7] for r in rows], size, docs)

        pairs = conn.execute("SELECT doc, fv FROM search_facets ORDER BY doc, fv").fetchall()
        flat = np.array(pairs, dtype=np.int64).reshape(-1, 2)
        fv_docs, fvs = flat[:, 0].copy(), flat[:, 1].copy()
        values = conn.execute("SELECT fv, facet, norm, label FROM search_values ORDER BY fv").fetchall()
        width = (max(fv for fv, _, _, _ in values) + 1) if values else 1
        labels, keys = [""] * width, [""] * width
        per_facet: dict[str, list[int]] = {}
        value_of: dict[tuple[str, str], int] = {}
        for fv, facet, key, label in values:
            labels[fv], keys[fv] = str(label), str(key)
            per_facet.setdefault(str(facet), []).append(int(fv))
            value_of[(str(facet), str(key))] = int(fv)
        doc_ptr = np.searchsorted(fv_docs, np.arange(size + 1)).astype(np.int64)
        order = np.argsort(fvs, kind="stable")
        value_ptr = np.searchsorted(fvs[order], np.arange(width + 1)).astype(np.int64)
        return cls(
            generation,
            size,
            docs,
            floats(1),
            floats(2),
            ages_known,
            columns,
            doc_ptr,
            fvs,
            fv_docs,
            value_ptr,
            fv_docs[order],
            {name: np.array(numbers, dtype=np.int64) for name, numbers in per_facet.items()},
            labels,
            keys,
            value_of,
        )

    # --- filters -------------------------------------------------------------------------------

    def value_mask(self, facet: str, keys: list[str]) -> Mask:
        """The trials holding any of the facet's values ``keys``."""
        mask = np.zeros(self.size, dtype=bool)
        for key in keys:
            fv = self.value_of.get((facet, key))
            if fv is not None:
                mask[self.by_value[self.value_ptr[fv] : self.value_ptr[fv + 1]]] = True
        return mask

    def range_mask(self, condition: Range) -> Mask:
        if condition.column == "age":
            # A trial without an age limit takes any age, unless it says nothing of eligibility.
            age = float(condition.value)
            low_ok = np.isnan(self.min_age) | (self.min_age <= age)
            high_ok = np.isnan(self.max_age) | (self.max_age >= age)
            return self.ages_known & low_ok & high_ok
        column = self.columns[condition.column]
        return column.at_least(condition.value) if condition.op == ">=" else column.at_most(condition.value)

    # --- facet counts --------------------------------------------------------------------------

    def counts(self, hits: Docs | None) -> Docs:
        """Trials per facet value among ``hits`` (sorted, unique doc numbers; ``None`` for all)."""
        width = len(self.labels)
        if hits is None:
            if self._all_counts is None:
                self._all_counts = np.bincount(self.fvs, minlength=width)
            return self._all_counts
        hits = hits[hits < self.size]
        if len(hits) < _GATHER_SHARE * len(self.docs):
            starts = self.doc_ptr[hits]
            lengths = self.doc_ptr[hits + 1] - starts
            total = int(lengths.sum())
            if not total:
                return np.zeros(width, dtype=np.int64)
            # Positions starts[i] .. starts[i] + lengths[i] - 1 of every hit, without a Python loop.
            offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
            return np.bincount(self.fvs[offsets + np.arange(total)], minlength=width)
        mask = np.zeros(self.size, dtype=bool)
        mask[hits] = True
        return np.bincount(self.fvs[mask[self.fv_docs]], minlength=width)

    def top(self, counts: Docs, name: str, limit: int, selected: set[str]) -> list[tuple[str, int]]:
        """The ``limit`` most frequent values of a facet (most trials first, then by label), and any
        selected value held by a trial after them; then in the facet's own order if it has one.

        Ranked in numpy on one integer key per value (its count, then its label's rank): sorting
        the values' labels in Python cost more than counting them, for every facet of a search."""
        numbers = self.facet_values.get(name)
        if numbers is None:
            return []
        mine = counts[numbers]
        held = np.flatnonzero(mine)
        if not len(held):
            return []  # no trial holds a value (a selected one too): nothing to show
        # Lower is better: more trials, then the earlier label (ranks are distinct, so is the key).
        order_key = -mine[held] * len(numbers) + self._label_ranks(name)[held]
        if limit <= 0:
            first = held[:0]
        elif len(held) > limit:
            part = np.argpartition(order_key, limit - 1)[:limit]
            first = held[part[np.argsort(order_key[part])]]
        else:
            first = held[np.argsort(order_key)]
        chosen = first.tolist()
        if selected:
            shown = set(chosen)
            extra: list[tuple[int, int]] = []
            for key in selected:
                fv = self.value_of.get((name, key))
                if fv is None:
                    continue
                at = int(np.searchsorted(numbers, fv))
                if at < len(numbers) and int(numbers[at]) == fv and mine[at] and at not in shown:
                    extra.append((-int(mine[at]) * len(numbers) + int(self._label_ranks(name)[at]), at))
            chosen += [at for _, at in sorted(extra)]
        kept = [(self.labels[int(numbers[at])], int(mine[at])) for at in chosen]
        sort_key = FACETS[name].sort_key if name in FACETS else None
        if sort_key is not None:
            kept.sort(key=lambda item: sort_key(item[0]))
        return kept

    def _label_ranks(self, name: str) -> Docs:
        """Each value of a facet (in ``facet_values`` order): its label's rank among the facet's
        labels (ties in that order), made once per generation."""
        ranks = self._ranks.get(name)
        if ranks is None:
            numbers = self.facet_values[name].tolist()
            by_label = sorted(range(len(numbers)), key=lambda i: self.labels[numbers[i]])
            ranks = np.empty(len(numbers), dtype=np.int64)
            ranks[by_label] = np.arange(len(numbers), dtype=np.int64)
            self._ranks[name] = ranks
        return ranks


def docs_of(text: str | None) -> Docs:
    """Doc numbers from ``group_concat(rowid)``: one string crosses from SQLite instead of a row each."""
    if not text:
        return np.zeros(0, dtype=np.int64)
    return np.fromstring(text, dtype=np.int64, sep=",")
