"""Words of trials as BM25 and TF-IDF cosine: the related-trials lexical signal, and the plain text
baseline related trials are measured against.

Deliberately ordinary (lower-cased words, English stop words, no stemming). BM25 is the project's one
(:mod:`trialatlas.text.bm25`); the TF-IDF cosine reads the same postings. The baseline reads titles,
summaries and descriptions (:func:`build_baseline`); the related-trials index reads all of a trial's
text (:func:`build_text_index`) and keeps it current with :meth:`TextBaseline.patched`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from trialatlas.model import Trial
from trialatlas.text.bm25 import F64, I64, Bm25, Bools, term_counts
from trialatlas.text.words import words

# A word is never too common to query in fewer trials than this (small stores keep every word).
COMMON_MIN_DOCS = 1000


def tokens(text: str) -> list[str]:
    return words(text, min_length=2)


def document(text: str) -> dict[str, float]:
    """A text as BM25 reads it: its words and how often each occurs."""
    return term_counts(tokens(text))


def trial_text(trial: Trial) -> str:
    return " ".join(t for t in (trial.brief_title, trial.brief_summary, trial.detailed_description) if t)


@dataclass
class TextBaseline:
    index: Bm25
    tfidf_norms: F64
    idf_tfidf: F64
    # The last query text and its words: a lookup asks for the same text twice (candidates, then
    # their scores), and its words need not be found twice.
    _last_query: tuple[str, dict[str, float]] | None = field(default=None, repr=False, compare=False)

    @property
    def keys(self) -> list[str]:
        return self.index.keys

    @property
    def size(self) -> int:
        return self.index.size

    def row_of(self, key: str) -> int | None:
        return self.index.rows.get(key)

    def _query(self, text: str) -> dict[str, float]:
        """The words of ``text`` the index knows, and how often each occurs (not to be changed)."""
        last = self._last_query
        if last is not None and last[0] == text:
            return last[1]
        query = {w: c for w, c in document(text).items() if w in self.index.postings.vocab}
        self._last_query = (text, query)
        return query

    def _uncommon(self, text: str, max_share: float | None) -> dict[str, float]:
        """The query of ``text`` without words in more than ``max_share`` of the trials (they touch the
        most postings and weigh the least)."""
        query = self._query(text)
        if max_share is None:
            return query
        postings = self.index.postings
        limit = max(max_share * self.size, COMMON_MIN_DOCS)
        return {
            w: c
            for w, c in query.items()
            if postings.indptr[postings.vocab[w] + 1] - postings.indptr[postings.vocab[w]] <= limit
        }

    def bm25(self, text: str, max_share: float | None = None) -> F64:
        """BM25 of every trial for a query text (each query word counted once per occurrence), leaving
        out words in more than ``max_share`` of the trials."""
        return self.index.scores(self._uncommon(text, max_share))

    def rough_bm25(self, text: str, max_share: float | None = None) -> F64:
        """:meth:`bm25` to within float32 rounding, faster: for choosing candidates to score again."""
        return self.index.rough_scores(self._uncommon(text, max_share))

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

    def score_rows(self, text: str, rows: I64, also: str = "") -> tuple[F64, F64, F64]:
        """Exact BM25 and TF-IDF cosine of ``rows`` for every word of ``text``, and BM25 for ``also``
        (a second, shorter query), read from those trials' own words: the cost grows with the rows
        asked for, not with how common the words are."""
        query = self._query(text)
        if not query or rows.size == 0:
            return np.zeros(rows.size), np.zeros(rows.size), np.zeros(rows.size)
        bm25, also_bm25 = self.index.scores_of_rows([query, self._query(also)], rows)
        postings = self.index.postings
        ids = np.asarray([postings.vocab[w] for w in query], dtype=np.int64)
        q_weights = (1 + np.log(np.asarray(list(query.values())))) * self.idf_tfidf[ids]
        weights = np.zeros(len(postings.vocab))
        weights[ids] = q_weights / (float(np.sqrt(np.dot(q_weights, q_weights))) or 1.0)
        local, terms, tf = postings.of_rows(rows)
        dots = np.bincount(
            local, weights=weights[terms] * (1 + np.log(tf)) * self.idf_tfidf[terms], minlength=rows.size
        )
        norms = self.tfidf_norms[rows]
        tfidf: F64 = (dots / np.where(norms > 0, norms, 1.0)).astype(np.float64)
        return bm25, tfidf, also_bm25

    def patched(self, keep: Bools, keys: Sequence[str], texts: Sequence[str]) -> TextBaseline:
        """Without the rows not kept, ``texts`` appended as new rows: the same figures as a fresh build."""
        postings = self.index.postings.patched(
            keep, ((key, document(text)) for key, text in zip(keys, texts, strict=True))
        )
        return with_tfidf(Bm25.from_postings(postings, self.index.k1, self.index.b))


def with_tfidf(index: Bm25) -> TextBaseline:
    """The TF-IDF weights and document norms that go with a BM25 index's postings."""
    postings = index.postings
    n = index.size
    df = np.diff(postings.indptr).astype(np.float64)
    idf_tfidf = np.log((1 + n) / (1 + df)) + 1
    term_of_posting = np.repeat(np.arange(len(postings.vocab)), np.diff(postings.indptr))
    weights = (1 + np.log(postings.tf)) * idf_tfidf[term_of_posting]
    norms = np.sqrt(np.bincount(postings.rows, weights=weights * weights, minlength=n))
    return TextBaseline(index=index, tfidf_norms=norms.astype(np.float64), idf_tfidf=idf_tfidf)


def build_text_index(documents: Iterable[tuple[str, str]]) -> TextBaseline:
    """BM25 / TF-IDF over ``(key, text)`` pairs, read once."""
    return with_tfidf(Bm25.indexed((key, document(text)) for key, text in documents))


def build_baseline(trials: Iterable[Trial]) -> TextBaseline:
    """The plain baseline: titles, summaries and descriptions."""
    return build_text_index((trial.key, trial_text(trial)) for trial in trials)
