"""The one in-memory BM25 (Okapi, k1 = 1.2, b = 0.75) over term-count documents.

The search engine is SQLite FTS5 (its own ``bm25()``); this scorer serves what ranks texts outside it:
the matcher's topical relevance (a few hundred candidates, collection statistics possibly given from a
larger sample) and the plain text baselines the evaluations compare against (every stored trial). The
documents are kept as postings (one array of rows and term counts per term), so a query costs one
vectorised step per query term whatever the number of documents.
"""

from __future__ import annotations

import math
from array import array
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

K1 = 1.2
B = 0.75

F64 = npt.NDArray[np.float64]
I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]


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
    only a few of its trials are scored)."""

    def __init__(
        self,
        documents: Mapping[str, Mapping[str, float]],
        k1: float = K1,
        b: float = B,
        stats: CorpusStats | None = None,
    ) -> None:
        self.k1, self.b = k1, b
        self.stats = stats if stats is not None else CorpusStats.of(documents.values())
        self.keys: list[str] = list(documents)
        self.rows: dict[str, int] = {key: row for row, key in enumerate(self.keys)}
        self.vocab: dict[str, int] = {}
        term_ids, rows, counts = array("i"), array("i"), array("d")
        lengths = np.zeros(len(self.keys), dtype=np.float64)
        for row, document in enumerate(documents.values()):
            length = 0.0
            for term, count in document.items():
                term_ids.append(self.vocab.setdefault(term, len(self.vocab)))
                rows.append(row)
                counts.append(count)
                length += count
            lengths[row] = length
        terms = np.frombuffer(term_ids, dtype=np.int32) if term_ids else np.zeros(0, dtype=np.int32)
        order = np.argsort(terms, kind="stable")
        self.indptr: I64 = np.concatenate(
            ([0], np.cumsum(np.bincount(terms, minlength=len(self.vocab))))
        ).astype(np.int64)
        self.post_rows: I32 = (np.frombuffer(rows, dtype=np.int32) if rows else np.zeros(0, np.int32))[order]
        self.post_tf: F64 = (np.frombuffer(counts, dtype=np.float64) if counts else np.zeros(0))[order]
        self.lengths: F64 = lengths
        average = self.stats.average or 1.0
        self._norm: F64 = k1 * (1 - b + b * lengths / average)

    @property
    def size(self) -> int:
        return len(self.keys)

    def idf(self, term: str) -> float:
        return bm25_idf(self.stats.total, self.stats.frequency.get(term, 0))

    def postings(self, term: str) -> tuple[I32, F64]:
        """The rows of the documents holding ``term`` and its count in each."""
        index = self.vocab.get(term)
        if index is None:
            return np.zeros(0, dtype=np.int32), np.zeros(0)
        start, end = int(self.indptr[index]), int(self.indptr[index + 1])
        return self.post_rows[start:end], self.post_tf[start:end]

    def scores(self, query: Mapping[str, float]) -> F64:
        """The score of every document (in the order of ``keys``) for a query of term weights."""
        total: F64 = np.zeros(self.size, dtype=np.float64)
        for term, weight in query.items():
            rows, tf = self.postings(term)
            if rows.size:
                # A term's postings name each row once, so the fancy-indexed sum adds no row twice.
                total[rows] += weight * self.idf(term) * tf * (self.k1 + 1) / (tf + self._norm[rows])
        return total

    def score(self, query: Mapping[str, float], keys: Iterable[str]) -> dict[str, float]:
        """The scores of the documents ``keys`` names (keys of no document are left out)."""
        wanted = [key for key in keys if key in self.rows]
        if not wanted:
            return {}
        every = self.scores(query)
        return {key: float(every[self.rows[key]]) for key in wanted}


def term_counts(words: Iterable[str]) -> dict[str, float]:
    """A document or a query from its words: each word weighted by how often it occurs."""
    return {word: float(count) for word, count in Counter(words).items()}
