"""The plain text baseline related trials are measured against: BM25 and TF-IDF cosine over titles,
summaries and descriptions, with no vocabulary, field weights or structure.

Deliberately ordinary (lower-cased words, a short stopword list, no stemming), so that what the
related-trials similarity gains over it is what its conditions, drugs and design add.
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from trialatlas.model import Trial
from trialatlas.related.index import F32, F64, I32, I64
from trialatlas.text.words import words

K1 = 1.2
B = 0.75


def tokens(text: str) -> list[str]:
    return words(text, min_length=2)


def trial_text(trial: Trial) -> str:
    return " ".join(t for t in (trial.brief_title, trial.brief_summary, trial.detailed_description) if t)


@dataclass
class TextBaseline:
    keys: list[str]
    vocab: dict[str, int]
    post_indptr: I64
    post_rows: I32
    post_tf: F32
    lengths: F64
    tfidf_norms: F64
    idf_bm25: F64
    idf_tfidf: F64

    @property
    def size(self) -> int:
        return len(self.keys)

    def row_of(self, key: str) -> int | None:
        try:
            return self.keys.index(key)
        except ValueError:
            return None

    def _gather(self, text: str) -> tuple[I32, F64, I32, F32, I64]:
        counts = Counter(w for w in tokens(text) if w in self.vocab)
        ids = np.asarray([self.vocab[w] for w in counts], dtype=np.int32)
        q_tf = np.asarray(list(counts.values()), dtype=np.float64)
        starts = self.post_indptr[ids]
        lengths = self.post_indptr[ids + 1] - starts
        total = int(lengths.sum())
        offsets = np.repeat(starts - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
        positions = offsets + np.arange(total)
        return ids, q_tf, self.post_rows[positions], self.post_tf[positions], lengths

    def bm25(self, text: str) -> F64:
        """BM25 of every trial for a query text (each query word counted once per occurrence)."""
        ids, q_tf, rows, tf, lengths = self._gather(text)
        if ids.size == 0:
            return np.zeros(self.size)
        tf64 = tf.astype(np.float64)
        norm = K1 * (1 - B + B * self.lengths[rows] / max(float(self.lengths.mean()), 1e-9))
        per = np.repeat(self.idf_bm25[ids] * q_tf, lengths) * tf64 * (K1 + 1) / (tf64 + norm)
        scores: F64 = np.bincount(rows, weights=per, minlength=self.size).astype(np.float64)
        return scores

    def tfidf(self, text: str) -> F64:
        """Cosine of sublinear TF-IDF vectors."""
        ids, q_tf, rows, tf, lengths = self._gather(text)
        if ids.size == 0:
            return np.zeros(self.size)
        q_weights = (1 + np.log(q_tf)) * self.idf_tfidf[ids]
        q_norm = float(np.sqrt(np.dot(q_weights, q_weights))) or 1.0
        doc = (1 + np.log(tf.astype(np.float64))) * np.repeat(self.idf_tfidf[ids], lengths)
        per = np.repeat(q_weights / q_norm, lengths) * doc
        dots = np.bincount(rows, weights=per, minlength=self.size)
        return dots / np.where(self.tfidf_norms > 0, self.tfidf_norms, 1.0)


def build_baseline(trials: Iterable[Trial]) -> TextBaseline:
    keys: list[str] = []
    vocab: dict[str, int] = {}
    term_ids = array("i")
    rows = array("i")
    tfs = array("f")
    lengths: list[int] = []
    for row, trial in enumerate(trials):
        words = tokens(trial_text(trial))
        keys.append(trial.key)
        lengths.append(len(words))
        for word, count in Counter(words).items():
            term_ids.append(vocab.setdefault(word, len(vocab)))
            rows.append(row)
            tfs.append(count)
    n = len(keys)
    term = np.frombuffer(term_ids, dtype=np.int32)
    row_of = np.frombuffer(rows, dtype=np.int32)
    tf = np.frombuffer(tfs, dtype=np.float32)
    order = np.argsort(term, kind="stable")
    df = np.bincount(term, minlength=len(vocab)).astype(np.float64)
    idf_bm25 = np.log(1 + (n - df + 0.5) / (df + 0.5))
    idf_tfidf = np.log((1 + n) / (1 + df)) + 1
    doc_weights = (1 + np.log(tf.astype(np.float64))) * idf_tfidf[term]
    norms = np.sqrt(np.bincount(row_of, weights=doc_weights * doc_weights, minlength=n))
    return TextBaseline(
        keys=keys,
        vocab=vocab,
        post_indptr=np.concatenate(([0], np.cumsum(np.bincount(term, minlength=len(vocab))))).astype(
            np.int64
        ),
        post_rows=row_of[order].copy(),
        post_tf=tf[order].copy(),
        lengths=np.asarray(lengths, dtype=np.float64),
        tfidf_norms=norms,
        idf_bm25=idf_bm25,
        idf_tfidf=idf_tfidf,
    )
