"""Selecting the best rows of a large store for related trials: the sampled threshold picks the same
rows as partitioning every eligible row, and falls back to that wherever the threshold cannot."""

from __future__ import annotations

import numpy as np
import pytest

from trialatlas.related.similarity import SAMPLE_STEP, _best


def _exhaustive(values: np.ndarray, eligible: np.ndarray, count: int) -> set[int]:
    rows = np.flatnonzero(eligible)
    return {int(r) for r in rows[np.argsort(-values[rows], kind="stable")[:count]]}


@pytest.mark.parametrize("count", [1, 150, 2000])
@pytest.mark.parametrize("share", [1.0, 0.5, 0.01])
def test_the_best_rows_are_those_of_a_full_partition(count: int, share: float) -> None:
    generator = np.random.default_rng(count)
    n = 100_000
    values = generator.random(n)
    # Most of a store shares no word with a query: zeros, never chosen.
    values[generator.random(n) > share] = 0.0
    eligible = values > 0
    chosen = _best(values, eligible, count)
    assert len(chosen) == min(count, int(eligible.sum()))
    assert set(chosen.tolist()) == _exhaustive(values, eligible, count)


def test_a_sample_richer_than_the_rest_falls_back_to_a_full_partition() -> None:
    n = 50_000
    count = 2000
    generator = np.random.default_rng(3)
    values = generator.random(n) * 0.5
    # The sampled rows hold the highest values: too few rows reach the sample's threshold, and the
    # selection must read every row rather than return fewer than asked for.
    values[::SAMPLE_STEP] = np.linspace(1.0, 2.0, values[::SAMPLE_STEP].size)
    eligible = np.ones(n, dtype=np.bool_)
    sample_threshold = np.sort(values[::SAMPLE_STEP])[-(2 * count // SAMPLE_STEP)]
    assert int((values >= sample_threshold).sum()) < count
    chosen = _best(values, eligible, count)
    assert len(chosen) == count
    assert set(chosen.tolist()) == _exhaustive(values, eligible, count)


def test_ineligible_rows_are_never_chosen_however_high() -> None:
    n = 40_000
    values = np.arange(n, dtype=np.float64)
    eligible = np.arange(n) % 3 == 0
    chosen = _best(values, eligible, 100)
    assert eligible[chosen].all()
    assert set(chosen.tolist()) == _exhaustive(values, eligible, 100)
