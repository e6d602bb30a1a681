"""The one in-memory BM25 (Okapi, k1 = 1.2, b = 0.75) over term-count documents.

The search engine is tantivy (``search/engine.py``); this scorer serves what ranks texts outside it:
the matcher's topical relevance (a few hundred candidates, collection statistics possibly given from a
larger sample) and the plain text baselines the evaluations compare against (every stored trial). The
documents are kept as postings (one array of rows and term counts per term), so a query costs one
vectorised step per query term whatever the number of documents.
"""

from __future__ import annotations

import math
from array import array
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt

K1 = 1.2
B = 0.75

F64 = npt.NDArray[np.float64]
F32 = npt.NDArray[np.float32]
I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class CorpusStats:
    """What BM25 needs of a collection: its size, each term's document frequency, the mean length."""

    total: int
    frequency: Mapping[str, int]
    average: float

    @classmethod
    def of(cls, documents: Iterable[Mapping[str, float]]) -> CorpusStats:
        frequency: Counter[str] = Counter()
        total = 0
        length = 0.0
        for counts in documents:
            frequency.update(counts.keys())
            total += 1
            length += sum(counts.values())
        return cls(total, frequency, (length / total) if total else 1.0)

    def as_dict(self) -> dict[str, object]:
        return {"total": self.total, "average": self.average, "frequency": dict(self.frequency)}

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> CorpusStats:
        frequency = data["frequency"]
        total, average = data["total"], data["average"]
        if not isinstance(frequency, dict) or not isinstance(total, int) or not isinstance(average, float):
            raise ValueError("corpus statistics: expected total, average and frequency")
        return cls(total, {str(k): int(v) for k, v in frequency.items()}, average)


def bm25_idf(total: int, frequency: int) -> float:
    """BM25's inverse document frequency, never negative (a term in more documents than the collection
    statistics count, possible when they come from elsewhere, weighs as a term in all of them)."""
    return math.log(1 + max(total - frequency + 0.5, 0.5) / (frequency + 0.5))


class Bm25:
    """BM25 of weighted queries over term-count documents keyed by id.

    The collection statistics are those of the documents unless ``stats`` gives them (a store's, when
    only a few of its trials are scored). :meth:`score` scores the documents it is asked about one by
    one (the matcher asks about a few hundred per patient: no index is worth building for that);
    :meth:`scores` scores every document at once through postings built on first use (a baseline over
    a whole store). Both compute the same numbers."""

    def __init__(
        self,
        documents: Mapping[str, Mapping[str, float]],
        k1: float = K1,
        b: float = B,
        stats: CorpusStats | None = None,
    ) -> None:
        self.k1, self.b = k1, b
        self.documents = documents
        self.stats = stats if stats is not None else CorpusStats.of(documents.values())
        self.keys: list[str] = list(documents)
        self.rows: dict[str, int] = {key: row for row, key in enumerate(self.keys)}
        self.lengths: dict[str, float] = {key: sum(counts.values()) for key, counts in documents.items()}
        self._postings: _Postings | None = None

    @classmethod
    def indexed(
        cls, documents: Iterable[tuple[str, Mapping[str, float]]], k1: float = K1, b: float = B
    ) -> Bm25:
        """BM25 over documents read once and kept only as postings (a whole store's worth, where a
        dictionary of term counts per document would not fit in memory)."""
        return cls.from_postings(_Postings.of(documents), k1, b)

    @classmethod
    def from_postings(cls, postings: _Postings, k1: float = K1, b: float = B) -> Bm25:
        """BM25 over documents kept only as postings (built, patched or loaded from a file)."""
        df = np.diff(postings.indptr)
        # Terms are numbered in order (see _Postings.of), so the document frequencies line up with them.
        frequency = dict(zip(postings.vocab, df.tolist(), strict=True))
        total = len(postings.keys)
        average = float(postings.lengths.sum()) / total if total else 1.0
        index = cls({}, k1, b, CorpusStats(total, frequency, average))
        index.keys = postings.keys
        index.rows = {key: row for row, key in enumerate(postings.keys)}
        index._postings = postings
        return index

    @property
    def size(self) -> int:
        return len(self.keys)

    def idf(self, term: str) -> float:
        return bm25_idf(self.stats.total, self.stats.frequency.get(term, 0))

    def _norm(self, length: Any) -> Any:
        """The length normalisation of a document, or of an array of documents."""
        return self.k1 * (1 - self.b + self.b * length / (self.stats.average or 1.0))

    def _gain(self, weighted_idf: Any, tf: Any, norm: Any) -> Any:
        """One query term's share of a document's score (numbers or arrays alike)."""
        return weighted_idf * tf * (self.k1 + 1) / (tf + norm)

    def score(self, query: Mapping[str, float], keys: Iterable[str]) -> dict[str, float]:
        """The scores of the documents ``keys`` names (keys of no document are left out)."""
        if not self.documents:  # kept as postings only
            every = self.scores(query)
            return {key: float(every[self.rows[key]]) for key in keys if key in self.rows}
        idf = {term: self.idf(term) for term in query}
        scores: dict[str, float] = {}
        for key in keys:
            counts = self.documents.get(key)
            if counts is None:
                continue
            norm = self._norm(self.lengths[key])
            total = 0.0
            for term, weight in query.items():
                tf = counts.get(term, 0)
                if tf:
                    total += self._gain(weight * idf[term], tf, norm)
            scores[key] = total
        return scores

    @property
    def postings(self) -> _Postings:
        """The documents by term (built on first use)."""
        if self._postings is None:
            self._postings = _Postings.of(self.documents.items())
        return self._postings

    def scores(self, query: Mapping[str, float]) -> F64:
        """The score of every document (in the order of ``keys``) for a query of term weights."""
        postings = self.postings
        norms = self._norm(postings.lengths)
        total: F64 = np.zeros(self.size, dtype=np.float64)
        for term, weight in query.items():
            rows, tf = postings.of_term(term)
            if rows.size:
                # A term's postings name each row once, so the fancy-indexed sum adds no row twice.
                total[rows] += self._gain(weight * self.idf(term), tf, norms[rows])
        return total

    @cached_property
    def _saturation(self) -> F32:
        """Each posting's term-frequency part of its score, ``tf (k1 + 1) / (tf + norm)``, in float32
        (4 bytes a posting): computed once, it spares every rough query the documents' norms."""
        postings = self.postings
        tf = postings.tf
        saturation: F32 = (tf * (self.k1 + 1) / (tf + self._norm(postings.lengths)[postings.rows])).astype(
            np.float32
        )
        return saturation

    def saturation(self) -> F32:
        """The arrays :meth:`rough_scores` reads, to be saved with the postings."""
        return self._saturation

    def keep_saturation(self, saturation: F32) -> None:
        """Take the saturation as computed before (saved with the postings) instead of again."""
        # A cached_property keeps its value in the instance's dict.
        self.__dict__["_saturation"] = saturation

    def rough_scores(self, query: Mapping[str, float]) -> F64:
        """:meth:`scores` to within float32 rounding, at about two thirds of the cost: for choosing
        candidates that are then scored exactly (:meth:`scores_of_rows`), never for a final order."""
        postings = self.postings
        saturation = self._saturation
        total: F64 = np.zeros(self.size, dtype=np.float64)
        for term, weight in query.items():
            index = postings.vocab.get(term)
            if index is None:
                continue
            start, end = int(postings.indptr[index]), int(postings.indptr[index + 1])
            # Each term's postings are one slice: no gather of positions, no norms.
            total[postings.rows[start:end]] += weight * self.idf(term) * saturation[start:end]
        return total

    def scores_of_rows(self, queries: Sequence[Mapping[str, float]], rows: I64) -> list[F64]:
        """Each query's scores of the documents at ``rows`` (the same numbers as :meth:`scores`), read
        from those documents' own terms: the cost grows with the rows asked for, not with how common
        the terms are."""
        postings = self.postings
        local, terms, tf = postings.of_rows(rows)
        norms = self._norm(postings.lengths[rows])[local]
        out: list[F64] = []
        for query in queries:
            weights = np.zeros(len(postings.vocab))
            for term, weight in query.items():
                if (index := postings.vocab.get(term)) is not None:
                    weights[index] = weight * self.idf(term)
            gains = self._gain(weights[terms], tf, norms)
            out.append(np.bincount(local, weights=gains, minlength=rows.size).astype(np.float64))
        return out


@dataclass(frozen=True)
class _Postings:
    """Term counts by term: for term ``t`` (``vocab[t]``), rows and counts in ``indptr[t]:indptr[t+1]``;
    row ``r`` is the document ``keys[r]``."""

    keys: list[str]
    vocab: dict[str, int]
    indptr: I64
    rows: I32
    tf: F64
    lengths: F64

    @classmethod
    def of(cls, documents: Iterable[tuple[str, Mapping[str, float]]]) -> _Postings:
        keys: list[str] = []
        vocab: dict[str, int] = {}
        term_ids, rows, counts, lengths = array("i"), array("i"), array("d"), array("d")
        for row, (key, document) in enumerate(documents):
            keys.append(key)
            length = 0.0
            for term, count in document.items():
                term_ids.append(vocab.setdefault(term, len(vocab)))
                rows.append(row)
                counts.append(count)
                length += count
            lengths.append(length)
        terms = np.frombuffer(term_ids, dtype=np.int32) if term_ids else np.zeros(0, dtype=np.int32)
        order = np.argsort(terms, kind="stable")
        indptr = np.concatenate(([0], np.cumsum(np.bincount(terms, minlength=len(vocab))))).astype(np.int64)
        row_array = np.frombuffer(rows, dtype=np.int32) if rows else np.zeros(0, dtype=np.int32)
        tf_array = np.frombuffer(counts, dtype=np.float64) if counts else np.zeros(0)
        return cls(
            keys, vocab, indptr, row_array[order], tf_array[order], np.asarray(lengths, dtype=np.float64)
        )

    @cached_property
    def by_row(self) -> tuple[I64, I32, F64]:
        """The same counts by document: for row ``r``, terms and counts in ``indptr[r]:indptr[r+1]``."""
        terms = np.repeat(np.arange(len(self.vocab), dtype=np.int32), np.diff(self.indptr))
        order = np.argsort(self.rows, kind="stable")
        indptr = np.concatenate(([0], np.cumsum(np.bincount(self.rows, minlength=len(self.keys)))))
        return indptr.astype(np.int64), terms[order], self.tf[order]

    def keep_by_row(self, arrays: tuple[I64, I32, F64]) -> None:
        """Take :attr:`by_row` as computed before (saved with the postings) instead of sorting again."""
        # A cached_property keeps its value in the instance's dict, which a frozen dataclass allows.
        self.__dict__["by_row"] = arrays

    def of_rows(self, rows: I64) -> tuple[I64, I32, F64]:
        """Every (position in ``rows``, term, count) of the documents at ``rows``."""
        indptr, terms, tf = self.by_row
        starts = indptr[rows]
        lengths = indptr[rows + 1] - starts
        offsets = np.repeat(starts - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
        positions = offsets + np.arange(int(lengths.sum()))
        local = np.repeat(np.arange(rows.size, dtype=np.int64), lengths)
        return local, terms[positions], tf[positions]

    def patched(self, keep: Bools, documents: Iterable[tuple[str, Mapping[str, float]]]) -> _Postings:
        """These postings without the rows not kept and with ``documents`` appended, exactly as if built
        from the kept documents and then those (terms no document holds any more stay, with no rows)."""
        added = _Postings.of(documents)
        vocab = dict(self.vocab)
        for term in added.vocab:
            vocab.setdefault(term, len(vocab))
        old_terms = np.repeat(np.arange(len(self.vocab), dtype=np.int32), np.diff(self.indptr))
        new_terms = np.repeat(
            np.asarray([vocab[t] for t in added.vocab], dtype=np.int32), np.diff(added.indptr)
        )
        kept = keep[self.rows]
        remap = np.cumsum(keep) - 1
        first = int(keep.sum())
        terms = np.concatenate((old_terms[kept], new_terms))
        rows = np.concatenate((remap[self.rows[kept]], added.rows + first)).astype(np.int32)
        tf = np.concatenate((self.tf[kept], added.tf))
        order = np.lexsort((rows, terms))
        indptr = np.concatenate(([0], np.cumsum(np.bincount(terms, minlength=len(vocab))))).astype(np.int64)
        keys = [key for key, k in zip(self.keys, keep.tolist(), strict=True) if k] + added.keys
        lengths = np.concatenate((self.lengths[keep], added.lengths))
        return _Postings(keys, vocab, indptr, rows[order], tf[order], lengths)

    def of_term(self, term: str) -> tuple[I32, F64]:
        """The rows of the documents holding ``term`` and its count in each."""
        index = self.vocab.get(term)
        if index is None:
            return np.zeros(0, dtype=np.int32), np.zeros(0)
        start, end = int(self.indptr[index]), int(self.indptr[index + 1])
        return self.rows[start:end], self.tf[start:end]


def term_counts(words: Iterable[str]) -> dict[str, float]:
    """A document or a query from its words: each word weighted by how often it occurs."""
    return {word: float(count) for word, count in Counter(words).items()}


# The postings layout, for indexes that keep, patch and save it (the related-trials index).
Postings = _Postings
