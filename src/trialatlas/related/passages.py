"""Passages two trials share word for word.

Sister studies (an extension, a follow-up, a sub-study, the next phase) copy passages from each other:
the eligibility list, a background paragraph, the outcome descriptions. Words two texts share say
that both are about the same things; the same five words in the same order, again and again, say that
one text was written from the other.

Each trial's fields (:data:`FIELDS`) are cut into sampled word shingles (:mod:`trialatlas.text.shingles`)
when it is indexed. The index keeps them by trial (hash and field of each), and apart the telling ones:
those that from 2 to :data:`COMMON_TRIALS` trials hold. A shingle only one trial holds cannot relate
it to another; one that more hold is boilerplate ("Inclusion Criteria: Age 18 years or older", a
sponsor's standard text, "For more information about this study, please follow this link") and
counts for nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from trialatlas.related.features import PASSAGE_FIELDS as FIELDS

U64 = npt.NDArray[np.uint64]
U8 = npt.NDArray[np.uint8]
I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]

# How a reason names each field.
FIELD_NAMES: dict[str, str] = {
    "title": "title",
    "description": "description",
    "criteria": "eligibility criteria",
    "outcomes": "outcome descriptions",
}
# A shingle more trials than this share is boilerplate, not a passage copied between two of them.
COMMON_TRIALS = 20
# A reason names a passage as copied only from shingles at most this many trials hold (a series of
# sister studies: five cryptosporidiosis trials share "for the Treatment of Cryptosporidiosis in AIDS
# Patients"); those more hold, up to COMMON_TRIALS, are a unit's, a sponsor's or a registry's template
# ("When is the study starting and how long is it expected to run for?", six ISRCTN trials of the
# make-run store), which the ranking may count but a person would not call the trials' shared subject.
# 3 lost four of the tuning half's seven accepted passages; 5 keeps six (room relreasons2).
COPIED_TRIALS = 5
# Arrays saved in the index, by name.
ARRAYS: tuple[str, ...] = ("indptr", "hashes", "fields", "telling_hashes", "telling_trials")


@dataclass
class Passages:
    """Every trial's sampled shingles by trial (``indptr`` into ``hashes`` and ``fields``), and the
    telling ones, sorted (``telling_hashes``), with how many trials hold each (``telling_trials``)."""

    indptr: I64
    hashes: U64
    fields: U8
    telling_hashes: U64
    telling_trials: U8

    @classmethod
    def of_rows(cls, rows: Sequence[tuple[U64, U8]]) -> Passages:
        lengths = np.fromiter((h.size for h, _ in rows), dtype=np.int64, count=len(rows))
        hashes = np.concatenate([h for h, _ in rows]) if rows else np.zeros(0, dtype=np.uint64)
        fields = np.concatenate([f for _, f in rows]) if rows else np.zeros(0, dtype=np.uint8)
        return cls.laid_out(lengths, hashes.astype(np.uint64), fields.astype(np.uint8))

    @classmethod
    def laid_out(cls, lengths: I64, hashes: U64, fields: U8) -> Passages:
        indptr = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
        rows = np.repeat(np.arange(lengths.size, dtype=np.int64), lengths)
        # How many trials hold each shingle (one repeated in two fields of a trial counts once).
        order = np.lexsort((rows, hashes))
        by_hash, by_row = hashes[order], rows[order]
        distinct = np.ones(by_hash.size, dtype=np.bool_)
        distinct[1:] = (by_hash[1:] != by_hash[:-1]) | (by_row[1:] != by_row[:-1])
        found, trials = np.unique(by_hash[distinct], return_counts=True)
        is_telling = (trials >= 2) & (trials <= COMMON_TRIALS)
        telling = found[is_telling]
        return cls(indptr, hashes, fields, telling.astype(np.uint64), trials[is_telling].astype(np.uint8))

    def patched(self, keep_rows: npt.NDArray[np.bool_], added: Sequence[tuple[U64, U8]]) -> Passages:
        """Rows where ``keep_rows`` is false dropped, ``added`` appended (the index's row order)."""
        old_lengths = np.diff(self.indptr)
        kept = np.repeat(keep_rows, old_lengths)
        new = Passages.of_rows(added)
        return Passages.laid_out(
            np.concatenate((old_lengths[keep_rows], np.diff(new.indptr))),
            np.concatenate((self.hashes[kept], new.hashes)),
            np.concatenate((self.fields[kept], new.fields)),
        )

    def nbytes(self) -> int:
        return sum(int(getattr(self, name).nbytes) for name in ARRAYS)

    def of_row(self, row: int) -> tuple[U64, U8]:
        begin, end = int(self.indptr[row]), int(self.indptr[row + 1])
        return self.hashes[begin:end], self.fields[begin:end]

    def telling(self, hashes: U64) -> U64:
        """The distinct ``hashes`` that are telling (sorted)."""
        distinct = np.unique(hashes)
        known = self.telling_hashes
        if known.size == 0 or distinct.size == 0:
            return np.zeros(0, dtype=np.uint64)
        # A binary search per query shingle: sorting the telling ones again would cost a lookup's time.
        position = np.minimum(np.searchsorted(known, distinct), known.size - 1)
        result: U64 = distinct[known[position] == distinct]
        return result

    def copied(self, telling: U64) -> U64:
        """Those of the (sorted, telling) ``telling`` hashes at most :data:`COPIED_TRIALS` trials hold."""
        known = self.telling_hashes
        if known.size == 0 or telling.size == 0:
            return np.zeros(0, dtype=np.uint64)
        position = np.minimum(np.searchsorted(known, telling), known.size - 1)
        few = (known[position] == telling) & (self.telling_trials[position] <= COPIED_TRIALS)
        result: U64 = telling[few]
        return result

    def shared_counts(self, query: U64, rows: I64) -> tuple[F64, npt.NDArray[np.int64]]:
        """For each of ``rows``: how many of the ``query``'s telling shingles it holds, and how many of
        them in each of its fields (a row by field code)."""
        by_field = np.zeros((rows.size, len(FIELDS)), dtype=np.int64)
        if query.size == 0 or rows.size == 0:
            return np.zeros(rows.size), by_field
        begins, ends = self.indptr[rows], self.indptr[rows + 1]
        lengths = ends - begins
        if int(lengths.sum()) == 0:
            return np.zeros(rows.size), by_field
        # Every candidate's entries gathered in one step, then looked up in the query's (sorted) hashes.
        offsets = np.repeat(begins - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
        entries = np.arange(int(lengths.sum()), dtype=np.int64) + offsets
        owner = np.repeat(np.arange(rows.size, dtype=np.int64), lengths)
        hashes = self.hashes[entries]
        position = np.minimum(np.searchsorted(query, hashes), query.size - 1)
        hit = query[position] == hashes
        np.add.at(by_field, (owner[hit], self.fields[entries][hit].astype(np.int64)), 1)
        # A shingle in two of a candidate's fields is one shared shingle.
        distinct = np.unique(owner[hit] * (1 << 32) + position[hit])
        total = np.bincount(distinct >> 32, minlength=rows.size).astype(np.float64)
        return total, by_field


def passage_reason(by_field: npt.NDArray[np.int64]) -> str | None:
    """ "same passages word for word in its eligibility criteria", naming the fields that hold most of
    the shared shingles (at most two)."""
    order = np.argsort(-by_field, kind="stable")
    named = [FIELD_NAMES[FIELDS[int(code)]] for code in order if by_field[code] > 0]
    if not named:
        return None
    return f"same passages word for word in its {' and '.join(named[:2])}"
