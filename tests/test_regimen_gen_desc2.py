"""The second hard description set.

tests/fixtures/regimens_gen_desc2.jsonl holds 40 passages (``NCT…:desc:S-E``) of the descriptions dump,
drawn as the first description set was (`bench/regimen_sample.py --desc2`, seed 20261412) from trials whose
NCT number is a multiple of 4, none of which has a text in any set labelled before it, and labelled by
specs/regimen-items.md and docs/regimen-labelling.md (R75-R79) before the parser ran on them. Measured when
it was labelled (main's parser, the unseen figure): strict F1 0.431, paired 0.902, regex baseline strict
0.000 and paired 0.821. The set is split by a stable hash of the id: half A was tuned on, half B was scored
only in aggregate (0.408 before, 0.408 after). After the round's fixes the whole set scores 0.510 strict;
the floors sit a little under it.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from regimen_sets import assert_apart_and_labels_only, assert_scores_hold, every_set, label_ids, set_path
from trialatlas.eval.regimens import compare_with_baseline, load_labelled

DESC2_SET = set_path("gen_desc2")

STRICT_F1_FLOOR = 0.58
PAIRED_F1_FLOOR = 0.87


def half(text_id: str) -> str:
    """The half a passage is in: A (tuned on) or B (scored in aggregate only), by a hash that no code
    change and no other set moves."""
    return "A" if hashlib.sha256(text_id.encode()).digest()[0] % 2 == 0 else "B"


def test_desc2_set_is_apart_from_every_other_set_and_holds_labels_only() -> None:
    assert_apart_and_labels_only(DESC2_SET, at_least=40)


def test_desc2_set_draws_one_passage_per_trial_divisible_by_four_and_shares_no_trial() -> None:
    ids = label_ids(DESC2_SET)
    own = {text_id.split(":", 1)[0] for text_id in ids}
    assert len(own) == len(ids)
    assert all(int(nct[3:]) % 4 == 0 for nct in own)
    for name in every_set():
        if name != "gen_desc2":
            assert not own & {text_id.split(":", 1)[0] for text_id in label_ids(set_path(name))}, name


def test_the_halves_split_the_set_evenly() -> None:
    halves = [half(text_id) for text_id in label_ids(DESC2_SET)]
    assert halves.count("A") == halves.count("B") == 20


@pytest.fixture(scope="module")
def scores() -> dict[str, Any]:
    return compare_with_baseline(load_labelled(DESC2_SET))


def test_desc2_set_scores_hold_over_the_baseline(scores: dict[str, Any]) -> None:
    assert_scores_hold(scores, strict=STRICT_F1_FLOOR, paired=PAIRED_F1_FLOOR, over_baseline=0.4)
