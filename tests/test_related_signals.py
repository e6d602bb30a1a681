"""The thirteenth round's harness (``bench/related_signals.py``): a new signal is added to the CV harness's
re-mixed ranking (``bench/related_cv.py``) without changing it at weight 0, lifts the candidates it
favours when weighted, phrases are read within one field, and the relation cues are data."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import orjson

sys.path.insert(0, str(Path(__file__).parents[1] / "bench"))
from related_cv import SHIPPED, Lookup, ranks
from related_signals import CUES, V, phrase_keys, relation_cue


def _lookup(n: int, seed: int) -> Lookup:
    rng = np.random.default_rng(seed)
    rows = np.arange(n, dtype=np.int64)
    scaled: dict[str, np.ndarray | None] = {
        name: rng.random(n) for name in ("tfidf", "bm25", "title", "passages", "structured")
    }
    return Lookup(
        "q",
        rows,
        scaled,
        closeness=rng.random(n),
        gated=rng.random(n) > 0.5,
        quoted=np.zeros(n),
        extra={},
        answers={str(r): int(r) for r in rows},
    )


def test_an_added_signal_at_weight_zero_changes_no_rank() -> None:
    from dataclasses import replace

    for seed in range(5):
        found = _lookup(40, seed)
        before = ranks(found, [SHIPPED])[0]
        found.added = np.random.default_rng(seed + 100).random(40)
        after = ranks(found, [replace(SHIPPED, added_mix=0.0, added_bonus=0.0)])[0]
        assert np.array_equal(before, after)


def test_an_added_signal_lifts_the_candidate_it_favours() -> None:
    from dataclasses import replace

    found = _lookup(40, 7)
    before = ranks(found, [SHIPPED])[0]
    low = int(np.argmax(before))  # the candidate ranked last
    found.added = np.zeros(40)
    found.added[low] = 1.0
    mixed, bonus = ranks(found, [replace(SHIPPED, added_mix=1.0), replace(SHIPPED, added_bonus=1.0)])
    assert mixed[low] < before[low] and bonus[low] < before[low]
    assert bonus[low] == 1  # a bonus of 1 over scores in [0, 1] puts it first


def test_phrases_are_read_within_one_field() -> None:
    vocab: dict[str, int] = {}
    bigrams, trigrams, words = phrase_keys("good schools programme ; children behaviour", vocab)
    ids = [vocab[w] for w in ("good", "school", "programme", "children", "behaviour")]
    expected_bigrams = {ids[0] * V + ids[1], ids[1] * V + ids[2], ids[3] * V + ids[4]}
    assert set(bigrams.tolist()) == expected_bigrams
    assert set(trigrams.tolist()) == {(ids[0] * V + ids[1]) * V + ids[2]}
    assert words.size == len(vocab) == 5


def test_the_relation_cues_are_data_and_read_continuations() -> None:
    patterns = [re.compile(p, re.IGNORECASE) for p in orjson.loads(CUES.read_bytes())["patterns"]]
    assert patterns
    continuing = (
        "Patients who have completed the 52-week double-blind study may enter.",
        "An open-label extension of the core study.",
        "Subjects previously enrolled in Protocol AI452009.",
    )
    for text in continuing:
        assert relation_cue(text, patterns), text
    assert not relation_cue("A randomised trial of aspirin after stroke.", patterns)
