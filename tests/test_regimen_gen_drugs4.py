"""The fourth drug predictor set.

tests/fixtures/regimens_gen_drugs4.jsonl holds 40 arm and intervention texts of even-numbered trials that no
other labelled set holds (`bench/regimen_sample.py --drugs4`, seed 20261300, texts of at most 900 characters,
drawn toward development codes, biologics and vaccines, brand names, combination products and texts dosing
several drugs, plus 6 with no dose), labelled by specs/regimen-items.md before the parser ran on them: a fresh
check of the drug field on text nobody tuned it on.
"""

from __future__ import annotations

from regimen_sets import assert_apart_and_labels_only, set_path

DRUGS4_SET = set_path("gen_drugs4")


def test_drugs4_set_is_apart_from_every_other_set_and_holds_labels_only() -> None:
    assert_apart_and_labels_only(DRUGS4_SET, at_least=40)
