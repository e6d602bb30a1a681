"""The one in-memory BM25 (trialatlas.text.bm25)."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

from trialatlas.text.bm25 import K1, B, Bm25, CorpusStats, bm25_idf, term_counts

DOCS = {
    "a": Counter({"lupus": 3, "nephritis": 2, "tacrolimus": 1}),
    "b": Counter({"lupus": 1, "arthritis": 4}),
    "c": Counter({"asthma": 2, "children": 2, "inhaled": 1}),
    "d": Counter(),
}


def by_hand(query: dict[str, float], key: str, stats: CorpusStats) -> float:
    counts = DOCS[key]
    length = sum(counts.values())
    total = 0.0
    for term, weight in query.items():
        tf = counts.get(term, 0)
        df = stats.frequency.get(term, 0)
        idf = math.log(1 + (stats.total - df + 0.5) / (df + 0.5))
        total += weight * idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * length / stats.average))
    return total


def test_scores_follow_the_okapi_formula() -> None:
    index = Bm25(DOCS)
    stats = CorpusStats.of(DOCS.values())
    assert stats.total == 4 and stats.average == pytest.approx(16 / 4)
    query = {"lupus": 2.0, "nephritis": 1.0, "unknown": 5.0}
    scores = index.score(query, DOCS)
    for key in DOCS:
        assert scores[key] == pytest.approx(by_hand(query, key, stats))
    assert scores["a"] > scores["b"] > 0 == scores["c"] == scores["d"]
    assert list(index.scores(query)) == [scores[key] for key in index.keys]
    # Kept as postings only (a whole store's worth), the same numbers come out.
    streamed = Bm25.indexed(iter(DOCS.items()))
    assert streamed.stats.total == 4 and streamed.stats.average == stats.average
    assert streamed.score(query, ["c", "a", "zzz", "b"]) == {k: scores[k] for k in ("c", "a", "b")}


def test_statistics_may_come_from_a_larger_collection() -> None:
    big = CorpusStats(total=1000, frequency={"lupus": 10, "arthritis": 900}, average=6.0)
    index = Bm25({k: DOCS[k] for k in ("a", "b")}, stats=big)
    scores = index.score({"lupus": 1.0, "arthritis": 1.0}, ["b", "a", "zzz"])
    assert set(scores) == {"a", "b"}
    assert index.idf("lupus") > index.idf("arthritis") > 0
    # A term counted in more documents than the statistics hold never weighs negatively.
    assert bm25_idf(10, 50) > 0


def test_queries_and_statistics_round_trip() -> None:
    assert term_counts(["a", "b", "a"]) == {"a": 2.0, "b": 1.0}
    stats = CorpusStats.of(DOCS.values())
    again = CorpusStats.from_dict(stats.as_dict())
    assert again.total == stats.total and dict(again.frequency) == dict(stats.frequency)
    assert Bm25({}).score({"x": 1.0}, ["a"]) == {}


def test_rough_scores_are_the_scores_to_float32_rounding() -> None:
    index = Bm25.indexed(iter(DOCS.items()))
    for query in (
        {"lupus": 2.0, "nephritis": 1.0, "unknown": 5.0},
        {"asthma": 1.0, "arthritis": 3.0},
        {"zzz": 1.0},
    ):
        exact = index.scores(query)
        rough = index.rough_scores(query)
        assert rough.dtype == exact.dtype and rough.shape == exact.shape
        assert np.allclose(rough, exact, rtol=1e-6, atol=0.0)
        # What shares no word scores 0 exactly, so a candidate cut never picks it.
        assert np.array_equal(rough == 0, exact == 0)
