"""The one set of ranking measures (trialatlas.eval.metrics), checked by hand."""

from __future__ import annotations

import math

import pytest

from trialatlas.eval.metrics import mrr_at, ndcg_at, paired_bootstrap, precision_at, recall_at

GRADED = {"A": 2, "B": 0, "C": 1, "D": 2}


def test_ndcg_uses_grades_as_gains_and_the_ideal_of_every_judged_key() -> None:
    ranking = ["B", "A", "X", "C"]
    dcg = 2 / math.log2(3) + 1 / math.log2(5)
    ideal = 2 / math.log2(2) + 2 / math.log2(3) + 1 / math.log2(4)
    assert ndcg_at(ranking, GRADED) == pytest.approx(dcg / ideal)
    assert ndcg_at(["A", "D", "C", "B"], GRADED) == pytest.approx(1.0)
    assert ndcg_at(["B"], GRADED, k=1) == 0.0
    assert ndcg_at(["X"], {"X": 0}) == 0.0
    # Binary labels (TrialSim): a similar trial second of two.
    assert ndcg_at(["n", "s"], {"n": 0, "s": 1}) == pytest.approx(1 / math.log2(3))


def test_precision_recall_and_reciprocal_rank_by_grade() -> None:
    ranking = ["B", "A", "X", "C", "D"]
    assert precision_at(ranking, GRADED, k=5) == pytest.approx(2 / 5)  # eligible (2) only by default
    assert precision_at(ranking, GRADED, k=5, grade=1) == pytest.approx(3 / 5)
    assert precision_at(ranking, GRADED, k=1, grade=1) == 0.0
    assert recall_at(ranking, GRADED, k=2) == pytest.approx(1 / 3)
    assert recall_at(ranking, GRADED, k=10, grade=2) == 1.0
    assert recall_at(ranking, {"B": 0}) == 0.0
    assert mrr_at(ranking, GRADED) == pytest.approx(1 / 2)
    assert mrr_at(ranking, GRADED, grade=2, k=1) == 0.0


def test_paired_bootstrap_brackets_the_mean_difference() -> None:
    better = [0.9, 0.8, 0.7, 0.95, 0.85, 0.9, 0.75, 0.8]
    worse = [0.5, 0.6, 0.4, 0.55, 0.5, 0.65, 0.45, 0.5]
    result = paired_bootstrap(better, worse, samples=2000)
    assert result.mean == pytest.approx(sum(b - w for b, w in zip(better, worse, strict=True)) / 8)
    assert 0 < result.low <= result.mean <= result.high
    assert paired_bootstrap(better, worse, samples=2000) == result  # fixed seed
    same = paired_bootstrap(better, better, samples=500)
    assert same.low == same.high == same.mean == 0.0
    with pytest.raises(ValueError):
        paired_bootstrap([1.0], [1.0, 2.0])
