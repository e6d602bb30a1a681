"""The frequency predictor set.

tests/fixtures/regimens_gen_freq.jsonl holds 40 arm and intervention texts of even-numbered trials (any
even last digit) that no other labelled set holds (`bench/regimen_sample.py --freq`, seed 20261310, texts of
at most 900 characters drawn toward the ways a schedule is written: divided doses, continuous infusions,
single doses, days of a cycle, runs of days, q-intervals, "every N", BID/TID and weekly/monthly, plus 6 texts
with no dose), labelled by specs/regimen-items.md before the parser ran on them: a fresh check of the
frequency field on text nobody tuned it on.
"""

from __future__ import annotations

from regimen_sets import assert_apart_and_labels_only, set_path

FREQ_SET = set_path("gen_freq")


def test_freq_set_is_apart_from_every_other_set_and_holds_labels_only() -> None:
    assert_apart_and_labels_only(FREQ_SET, at_least=40)
