"""The plain text baseline related trials are measured against: BM25 and TF-IDF cosine over titles,
summaries and descriptions, with no vocabulary, field weights or structure.

Deliberately ordinary (lower-cased words, English stop words, no stemming), so that what the
related-trials similarity gains over it is what its conditions, drugs and design add. BM25 is the
project's one (:mod:`trialatlas.text.bm25`); the TF-IDF cosine reads the same postings.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from trialatlas.model import Trial
from trialatlas.related.index import F64
from trialatlas.text.bm25 import Bm25, term_counts
from trialatlas.text.words import words


def tokens(text: str) -> list[str]:
    return words(text, min_length=2)


def trial_text(trial: Trial) -> str:
    return " ".join(t for t in (trial.brief_title, trial.brief_summary, trial.detailed_description) if t)


@dataclass
class TextBaseline:
    index: Bm25
    tfidf_norms: F64
    idf_tfidf: F64

    @property
    def keys(self) -> list[str]:
        return self.index.keys

    @property
    def size(self) -> int:
        return self.index.size

    def row_of(self, key: str) -> int | None:
        return self.index.rows.get(key)

    def _query(self, text: str) -> dict[str, float]:
        return {w: c for w, c in term_counts(tokens(text)).items() if w in self.index.postings.vocab}

    def bm25(self, text: str) -> F64:
        """BM25 of every trial for a query text (each query word counted once per occurrence)."""
        return self.index.scores(self._query(text))

    def tfidf(self, text: str) -> F64:
        """Cosine of sublinear TF-IDF vectors."""
        query = self._query(text)
        if not query:
            return np.zeros(self.size)
        postings = self.index.postings
        ids = np.asarray([postings.vocab[w] for w in query], dtype=np.int64)
        q_weights = (1 + np.log(np.asarray(list(query.values())))) * self.idf_tfidf[ids]
        q_norm = float(np.sqrt(np.dot(q_weights, q_weights))) or 1.0
        dots = np.zeros(self.size, dtype=np.float64)
        for term, weight in zip(query, q_weights / q_norm, strict=True):
            rows, tf = postings.of_term(term)
            dots[rows] += weight * (1 + np.log(tf)) * self.idf_tfidf[postings.vocab[term]]
        norms: F64 = dots / np.where(self.tfidf_norms > 0, self.tfidf_norms, 1.0)
        return norms


def build_baseline(trials: Iterable[Trial]) -> TextBaseline:
    index = Bm25.indexed((trial.key, Counter(tokens(trial_text(trial)))) for trial in trials)
    postings = index.postings
    n = index.size
    df = np.diff(postings.indptr).astype(np.float64)
    idf_tfidf = np.log((1 + n) / (1 + df)) + 1
    term_of_posting = np.repeat(np.arange(len(postings.vocab)), np.diff(postings.indptr))
    weights = (1 + np.log(postings.tf)) * idf_tfidf[term_of_posting]
    norms = np.sqrt(np.bincount(postings.rows, weights=weights * weights, minlength=n))
    return TextBaseline(index=index, tfidf_norms=norms.astype(np.float64), idf_tfidf=idf_tfidf)
