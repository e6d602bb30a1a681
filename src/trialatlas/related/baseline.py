"""BM25 and TF-IDF cosine over plain words: the related-trials lexical signal, and the plain baseline
related trials are measured against.

Deliberately ordinary (lower-cased words, a short stopword list, no stemming). The baseline reads
titles, summaries and descriptions (:func:`build_baseline`); the related-trials index reads all of a
trial's text through :func:`build_text_index` and keeps it current with :meth:`TextBaseline.patched`.
"""

from __future__ import annotations

import re
from array import array
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from trialatlas.model import Trial

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]
I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]

_WORD = re.compile(r"[a-z0-9]+")
_STOPWORDS = """
    a an and are as at be by for from has have in is it its of on or that the this to was were will
    with which who been not no than then these those their there they we our can may also into
"""
_STOP = frozenset(_STOPWORDS.split())
K1 = 1.2
B = 0.75
# A word is never too common to query in fewer trials than this (small stores keep every word).
COMMON_MIN_DOCS = 1000


def tokens(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower()) if w not in _STOP and len(w) > 1]


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
    _by_row: tuple[I64, I32, F32] | None = field(default=None, repr=False)

    @property
    def size(self) -> int:
        return len(self.keys)

    def row_of(self, key: str) -> int | None:
        try:
            return self.keys.index(key)
        except ValueError:
            return None

    def _gather(self, text: str, max_share: float | None = None) -> tuple[I32, F64, I32, F32, I64]:
        counts = Counter(w for w in tokens(text) if w in self.vocab)
        ids = np.asarray([self.vocab[w] for w in counts], dtype=np.int32)
        q_tf = np.asarray(list(counts.values()), dtype=np.float64)
        if max_share is not None and ids.size:
            # Words in more than this share of the trials cost the most postings and weigh the least.
            df = self.post_indptr[ids + 1] - self.post_indptr[ids]
            common = df > max(max_share * self.size, COMMON_MIN_DOCS)
            ids, q_tf = ids[~common], q_tf[~common]
        starts = self.post_indptr[ids]
        lengths = self.post_indptr[ids + 1] - starts
        total = int(lengths.sum())
        offsets = np.repeat(starts - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
        positions = offsets + np.arange(total)
        return ids, q_tf, self.post_rows[positions], self.post_tf[positions], lengths

    def bm25(self, text: str, max_share: float | None = None) -> F64:
        """BM25 of every trial for a query text (each query word counted once per occurrence), leaving
        out words in more than ``max_share`` of the trials (they cost the most and weigh the least)."""
        return self._bm25(*self._gather(text, max_share))

    def _bm25(self, ids: I32, q_tf: F64, rows: I32, tf: F32, lengths: I64) -> F64:
        if ids.size == 0:
            return np.zeros(self.size)
        tf64 = tf.astype(np.float64)
        norm = K1 * (1 - B + B * self.lengths[rows] / max(float(self.lengths.mean()), 1e-9))
        per = np.repeat(self.idf_bm25[ids] * q_tf, lengths) * tf64 * (K1 + 1) / (tf64 + norm)
        scores: F64 = np.bincount(rows, weights=per, minlength=self.size).astype(np.float64)
        return scores

    def tfidf(self, text: str) -> F64:
        """Cosine of sublinear TF-IDF vectors."""
        return self._tfidf(*self._gather(text))

    def _forward(self) -> tuple[I64, I32, F32]:
        """The postings by trial (row → its words and counts), derived once from the postings by word."""
        if self._by_row is None:
            terms = np.repeat(np.arange(len(self.vocab), dtype=np.int32), np.diff(self.post_indptr))
            order = np.argsort(self.post_rows, kind="stable")
            indptr = np.concatenate(([0], np.cumsum(np.bincount(self.post_rows, minlength=self.size))))
            self._by_row = (indptr.astype(np.int64), terms[order], self.post_tf[order])
        return self._by_row

    def _query_weights(self, text: str) -> tuple[I64, F64]:
        counts = Counter(w for w in tokens(text) if w in self.vocab)
        ids = np.fromiter((self.vocab[w] for w in counts), dtype=np.int64, count=len(counts))
        return ids, np.fromiter(counts.values(), dtype=np.float64, count=len(counts))

    def score_rows(self, text: str, rows: I64, also: str = "") -> tuple[F64, F64, F64]:
        """Exact BM25 and TF-IDF cosine of ``rows`` for every word of ``text``, and BM25 for ``also``
        (a second, shorter query), read from those trials' own words: the cost grows with the rows
        asked for, not with how common the words are."""
        ids, q_tf = self._query_weights(text)
        also_ids, also_tf = self._query_weights(also)
        if ids.size == 0 or rows.size == 0:
            return np.zeros(rows.size), np.zeros(rows.size), np.zeros(rows.size)
        bm25_weight = np.zeros(len(self.vocab))
        bm25_weight[ids] = self.idf_bm25[ids] * q_tf
        also_weight = np.zeros(len(self.vocab))
        also_weight[also_ids] = self.idf_bm25[also_ids] * also_tf
        tfidf_query = (1 + np.log(q_tf)) * self.idf_tfidf[ids]
        tfidf_weight = np.zeros(len(self.vocab))
        tfidf_weight[ids] = tfidf_query / (float(np.sqrt(np.dot(tfidf_query, tfidf_query))) or 1.0)
        indptr, terms, tfs = self._forward()
        starts = indptr[rows]
        lengths = indptr[rows + 1] - starts
        offsets = np.repeat(starts - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
        positions = offsets + np.arange(int(lengths.sum()))
        term, tf = terms[positions], tfs[positions].astype(np.float64)
        local = np.repeat(np.arange(rows.size), lengths)
        norm = K1 * (1 - B + B * self.lengths[rows] / max(float(self.lengths.mean()), 1e-9))
        saturation = tf * (K1 + 1) / (tf + norm[local])
        bm25 = np.bincount(local, weights=bm25_weight[term] * saturation, minlength=rows.size)
        also_bm25 = np.bincount(local, weights=also_weight[term] * saturation, minlength=rows.size)
        dots = np.bincount(
            local,
            weights=tfidf_weight[term] * (1 + np.log(tf)) * self.idf_tfidf[term],
            minlength=rows.size,
        )
        norms = self.tfidf_norms[rows]
        tfidf = dots / np.where(norms > 0, norms, 1.0)
        return bm25.astype(np.float64), tfidf.astype(np.float64), also_bm25.astype(np.float64)

    def _tfidf(self, ids: I32, q_tf: F64, rows: I32, tf: F32, lengths: I64) -> F64:
        if ids.size == 0:
            return np.zeros(self.size)
        q_weights = (1 + np.log(q_tf)) * self.idf_tfidf[ids]
        q_norm = float(np.sqrt(np.dot(q_weights, q_weights))) or 1.0
        doc = (1 + np.log(tf.astype(np.float64))) * np.repeat(self.idf_tfidf[ids], lengths)
        per = np.repeat(q_weights / q_norm, lengths) * doc
        dots = np.bincount(rows, weights=per, minlength=self.size)
        return dots / np.where(self.tfidf_norms > 0, self.tfidf_norms, 1.0)


def build_baseline(trials: Iterable[Trial]) -> TextBaseline:
    """The plain baseline: titles, summaries and descriptions."""
    keys: list[str] = []

    def texts() -> Iterable[str]:
        for trial in trials:
            keys.append(trial.key)
            yield trial_text(trial)

    built = build_text_index(texts())
    built.keys = keys
    return built


class TextIndexBuilder:
    """Postings collected one text at a time (rows from ``first_row``), laid out by :meth:`finish`."""

    def __init__(self, first_row: int = 0, vocab: dict[str, int] | None = None) -> None:
        self.vocab: dict[str, int] = {} if vocab is None else vocab
        self.row = first_row
        self.term_ids = array("i")
        self.rows = array("i")
        self.tfs = array("f")
        self.lengths: list[int] = []

    def add(self, text: str) -> None:
        words = tokens(text)
        self.lengths.append(len(words))
        vocab = self.vocab
        for word, count in Counter(words).items():
            self.term_ids.append(vocab.setdefault(word, len(vocab)))
            self.rows.append(self.row)
            self.tfs.append(count)
        self.row += 1

    def arrays(self) -> tuple[I32, I32, F32, F64]:
        return (
            np.frombuffer(self.term_ids, dtype=np.int32),
            np.frombuffer(self.rows, dtype=np.int32),
            np.frombuffer(self.tfs, dtype=np.float32),
            np.asarray(self.lengths, dtype=np.float64),
        )

    def finish(self, keys: Sequence[str]) -> TextBaseline:
        return _laid_out(list(keys), self.vocab, *self.arrays())


def _laid_out(
    keys: list[str], vocab: dict[str, int], term: I32, row_of: I32, tf: F32, lengths: F64
) -> TextBaseline:
    n = lengths.size
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
        post_rows=row_of[order].astype(np.int32),
        post_tf=tf[order].astype(np.float32),
        lengths=lengths,
        tfidf_norms=norms,
        idf_bm25=idf_bm25,
        idf_tfidf=idf_tfidf,
    )


def build_text_index(texts: Iterable[str], keys: Sequence[str] = ()) -> TextBaseline:
    """BM25 / TF-IDF postings of ``texts`` (one per trial, in row order)."""
    builder = TextIndexBuilder()
    for text in texts:
        builder.add(text)
    return builder.finish(keys)


def patched(base: TextBaseline, keep_rows: Bools, keys: Sequence[str], texts: Sequence[str]) -> TextBaseline:
    """``base`` without the rows not kept, and ``texts`` appended as new rows (keys: the kept ones, then
    ``keys``); document frequencies, idf and norms are those of the result, exactly as a fresh build's."""
    remap = np.cumsum(keep_rows) - 1
    term = np.repeat(np.arange(len(base.vocab), dtype=np.int32), np.diff(base.post_indptr))
    kept = keep_rows[base.post_rows]
    builder = TextIndexBuilder(int(keep_rows.sum()), dict(base.vocab))
    for text in texts:
        builder.add(text)
    new_term, new_rows, new_tf, new_lengths = builder.arrays()
    all_keys = [key for key, keep in zip(base.keys, keep_rows.tolist(), strict=True) if keep] + list(keys)
    return _laid_out(
        all_keys,
        builder.vocab,
        np.concatenate((term[kept], new_term)).astype(np.int32),
        np.concatenate((remap[base.post_rows[kept]], new_rows)).astype(np.int32),
        np.concatenate((base.post_tf[kept], new_tf)).astype(np.float32),
        np.concatenate((base.lengths[keep_rows], new_lengths)),
    )


# The arrays that make a text index, for saving beside the related-trials index.
ARRAYS: tuple[str, ...] = (
    "post_indptr",
    "post_rows",
    "post_tf",
    "lengths",
    "tfidf_norms",
    "idf_bm25",
    "idf_tfidf",
)
