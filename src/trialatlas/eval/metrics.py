"""The one set of ranking measures every evaluation reports (search, matching, related trials).

A ranking is a sequence of keys, best first; judgments map keys to graded labels (0 not relevant;
TREC's 1 excluded and 2 eligible, TrialSim's 1 similar). Keys without a judgment count as 0.

- :func:`ndcg_at`: NDCG@k with the grades as gains (trec_eval's linear gain) and a log2(rank + 1)
  discount, the ideal ranking taken from every judged key; 0 when nothing is relevant;
- :func:`precision_at`, :func:`recall_at`, :func:`mrr_at`: with relevance meaning a grade of at least
  ``grade``;
- :func:`paired_bootstrap`: the mean difference between two systems scored on the same queries, with a
  percentile confidence interval from resampling the queries (fixed seed: the same data gives the same
  interval).
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


def _gain(judgments: Mapping[str, int], key: str) -> int:
    return max(judgments.get(key, 0), 0)


def ndcg_at(ranking: Sequence[str], judgments: Mapping[str, int], k: int = 10) -> float:
    """NDCG@k with the grades as gains and a log2(rank + 1) discount; 0 when nothing is relevant."""
    dcg = sum(_gain(judgments, key) / math.log2(rank + 2) for rank, key in enumerate(ranking[:k]))
    ideal = sorted((max(grade, 0) for grade in judgments.values()), reverse=True)[:k]
    idcg = sum(gain / math.log2(rank + 2) for rank, gain in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def precision_at(ranking: Sequence[str], judgments: Mapping[str, int], k: int = 10, grade: int = 2) -> float:
    """The share of the first ``k`` places taken by keys judged ``grade`` or better."""
    return sum(1 for key in ranking[:k] if judgments.get(key, 0) >= grade) / k


def recall_at(ranking: Sequence[str], judgments: Mapping[str, int], k: int = 10, grade: int = 1) -> float:
    """The share of the keys judged ``grade`` or better found in the first ``k`` places; 0 when none is."""
    relevant = {key for key, value in judgments.items() if value >= grade}
    if not relevant:
        return 0.0
    return len(relevant.intersection(ranking[:k])) / len(relevant)


def mrr_at(ranking: Sequence[str], judgments: Mapping[str, int], k: int = 10, grade: int = 1) -> float:
    """The reciprocal rank of the first key judged ``grade`` or better within the first ``k``; else 0."""
    for rank, key in enumerate(ranking[:k], start=1):
        if judgments.get(key, 0) >= grade:
            return 1.0 / rank
    return 0.0


@dataclass(frozen=True)
class PairedDifference:
    """Mean of ``a - b`` over paired queries, with its bootstrap confidence interval."""

    mean: float
    low: float
    high: float
    confidence: float
    queries: int

    def as_dict(self) -> dict[str, float | int]:
        return {
            "difference": round(self.mean, 4),
            "ci_low": round(self.low, 4),
            "ci_high": round(self.high, 4),
            "confidence": self.confidence,
            "queries": self.queries,
        }


def paired_bootstrap(
    a: Sequence[float],
    b: Sequence[float],
    *,
    samples: int = 10_000,
    confidence: float = 0.95,
    seed: int = 0,
) -> PairedDifference:
    """The mean per-query difference ``a - b`` and a percentile bootstrap interval over the queries."""
    if len(a) != len(b):
        raise ValueError(f"paired scores differ in length: {len(a)} and {len(b)}")
    if samples < 1:
        raise ValueError(f"the bootstrap needs at least one sample, not {samples}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie between 0 and 1, not {confidence}")
    differences = [x - y for x, y in zip(a, b, strict=True)]
    n = len(differences)
    if n == 0:
        return PairedDifference(0.0, 0.0, 0.0, confidence, 0)
    mean = sum(differences) / n
    rng = random.Random(seed)
    means = sorted(sum(rng.choices(differences, k=n)) / n for _ in range(samples))
    tail = (1 - confidence) / 2
    low = means[min(math.floor(tail * samples), samples - 1)]
    high = means[max(min(math.ceil((1 - tail) * samples) - 1, samples - 1), 0)]
    return PairedDifference(mean, low, high, confidence, n)


__all__ = ["PairedDifference", "mrr_at", "ndcg_at", "paired_bootstrap", "precision_at", "recall_at"]
