"""The optional dense signal reorders only the head of the default ranking (trialatlas.related.dense)."""

from __future__ import annotations

import numpy as np

from trialatlas.related.dense import DENSE_WEIGHT, rerank_head


def test_an_uninformative_dense_signal_keeps_the_default_order() -> None:
    total = np.array([0.9, 0.8, 0.7, 0.6, 0.5])
    flat = np.full(5, 0.4)
    assert rerank_head(total, flat, [0, 1, 2, 3, 4]) == [0, 1, 2, 3, 4]


def test_dense_breaks_near_ties_but_not_clear_leads() -> None:
    # Rows 1 and 2 are nearly tied on the default score; row 0 leads clearly.
    total = np.array([1.0, 0.500, 0.499, 0.1])
    dense = np.array([0.1, 0.2, 0.9, 0.3])
    # The weight is small: a trial far behind on the default score is not pulled up by it.
    assert DENSE_WEIGHT < 1.0
    assert rerank_head(total, dense, [0, 1, 2, 3]) == [0, 2, 1, 3]


def test_only_the_given_head_is_reordered() -> None:
    total = np.array([0.9, 0.8, 0.7, 0.6])
    dense = np.array([0.0, 0.0, 0.0, 1.0])
    # Row 3 is outside the head passed in: however close its embedding, it does not enter.
    assert sorted(rerank_head(total, dense, [0, 1, 2])) == [0, 1, 2]
    assert rerank_head(total, dense, [2]) == [2]
    assert rerank_head(total, dense, []) == []
