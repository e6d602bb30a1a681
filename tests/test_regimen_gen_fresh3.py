"""The third fresh arm-text set, and the drug and route mechanisms of the round that drew it.

tests/fixtures/regimens_gen_fresh3.jsonl holds 40 arm and intervention texts of trials whose NCT number is
2 mod 4 that no other labelled set holds (`bench/regimen_sample.py --fresh3`, seed 20261420: the strata of
`stratum()`, texts of at most 1,500 characters, shares in the sealed set's proportions; only 24 texts with a
dose were left, so it holds 8 per-m² texts, 15 easy ones and 17 distractors), labelled by
specs/regimen-items.md before the parser ran on them. Measured before any fix: strict F1 0.742, paired 0.968,
drug F1 0.684, route F1 1.000 (regex baseline strict 0.000); after the round's fixes (made on the other
tuning sets' errors) the same, 0.742 read with or without the intervention lists (0.730 before without);
0.984 after the drug-naming round (hu14.18-IL2 kept as written, R83; Tocopherol not filed under vitamin
e, R85).
The floors sit a little under, so that a regression fails.
"""

from __future__ import annotations

from typing import Any

import pytest

from regimen_sets import assert_apart_and_labels_only, assert_scores_hold, flat, set_path
from trialatlas.eval.regimens import compare_with_baseline, load_labelled
from trialatlas.extract.regimen.drugs import find_mentions

FRESH3_SET = set_path("gen_fresh3")

STRICT_F1_FLOOR = 0.95
PAIRED_F1_FLOOR = 0.95
ROUTE_F1_FLOOR = 0.97
FREQUENCY_F1_FLOOR = 0.95


def test_fresh3_set_is_apart_from_every_other_set_and_holds_labels_only() -> None:
    assert_apart_and_labels_only(FRESH3_SET, at_least=40)


def test_fresh3_set_is_of_trials_two_mod_four() -> None:
    """Its trials leave 2 mod 4, so that the description passages drawn with it (remainder 0) share none."""
    rows = load_labelled(FRESH3_SET)
    assert all(int(str(row["id"]).split(":")[0][3:]) % 4 == 2 for row in rows)


@pytest.fixture(scope="module")
def scores() -> dict[str, Any]:
    return compare_with_baseline(load_labelled(FRESH3_SET))


def test_fresh3_set_scores_hold_over_the_baseline(scores: dict[str, Any]) -> None:
    assert_scores_hold(scores, strict=STRICT_F1_FLOOR, paired=PAIRED_F1_FLOOR, over_baseline=0.4)
    assert scores["parser"]["fields"]["route"]["f1"] >= ROUTE_F1_FLOOR
    assert scores["parser"]["fields"]["frequency"]["f1"] >= FREQUENCY_F1_FLOOR


@pytest.mark.parametrize(
    ("text", "first", "second"),
    [
        (
            "lisinopril 10 mg, QD, PO, Lantus 20 U at bedtime",
            ("lisinopril", "oral"),
            ("insulin glargine", None),
        ),
        (
            "Aspirin 100 mg daily, oral; heparin 5000 units twice daily",
            ("aspirin", "oral"),
            ("heparin", None),
        ),
    ],
)
def test_a_route_word_before_a_comma_closes_the_statement_before_it(
    text: str, first: tuple[str, str], second: tuple[str, str | None]
) -> None:
    """A route word followed by a comma and the next drug's name ends the previous drug's statement: it
    is that drug's route, not the next drug's (the spec: a route stated for a drug)."""
    rows = flat(text)
    assert [(row[0], row[6]) for row in rows] == [first, second]


def test_a_route_word_right_before_a_name_is_still_that_drugs() -> None:
    assert [(row[0], row[6]) for row in flat("oral MMF 1 g twice daily")] == [
        ("mycophenolate mofetil", "oral")
    ]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Ciprofloxacin 500 mg every 12 hours or Levofloxacin500 mg daily", "levofloxacin"),
        ("Metformin850mg twice daily", "metformin"),
    ],
)
def test_a_known_name_written_against_its_amount_names_the_dose(text: str, name: str) -> None:
    assert flat(text)[-1][0] == name


def test_a_known_abbreviation_glued_to_a_numbered_name_is_part_of_that_name() -> None:
    """ "hu14.18-IL2" names one product (as written, R83), not interleukin-2; a prefix with no digit
    ("HD-MTX") only qualifies the drug."""
    names = [m.info.name for m in find_mentions("ab12.3-IL2 fusion protein 4 mg/m2 and HD-MTX 5 g/m2")]
    assert names == ["ab12.3-il2", "methotrexate"]
    assert [m.info.name for m in find_mentions("IL2 on day 1-IL2")] == ["aldesleukin", "aldesleukin"]


def test_a_route_or_form_of_an_earlier_part_of_a_plus_list_is_not_the_next_parts() -> None:
    """ "A 10 mg oral tablets + B (2000 IU)": the route and the form are said of A; a route heading the
    whole list is every part's."""
    rows = flat("Sitagliptin 100 mg oral tablets + Folic acid (5 mg) once daily")
    assert [(row[0], row[6]) for row in rows] == [("sitagliptin", "oral"), ("folic acid", None)]
    rows = flat("Oral: metformin 500 mg + glipizide 5 mg daily")
    assert [row[6] for row in rows] == ["oral", "oral"]


def test_a_route_word_before_another_drugs_name_is_that_drugs() -> None:
    """ "subcutaneous (SQ) interleukin-2 ... fludarabine 25 mg/m2": the route is said of interleukin-2."""
    rows = flat("Subcutaneous (SQ) filgrastim then fludarabine 25 mg/m2 daily")
    assert [(row[0], row[6]) for row in rows] == [("fludarabine", None)]
    rows = flat("Subcutaneous (SQ) filgrastim 5 mcg/kg daily and fludarabine 25 mg/m2 daily")
    assert [(row[0], row[6]) for row in rows] == [("filgrastim", "sc"), ("fludarabine", None)]


@pytest.mark.parametrize(
    ("text", "drugs"),
    [
        (
            "TMP-SMX: 160 mg trimethoprim and 800 mg sulfamethoxazole every 12 hours",
            ["trimethoprim", "sulfamethoxazole"],
        ),
        ("Aspirin 100 mg clopidogrel 75 mg daily", ["aspirin", "clopidogrel"]),
    ],
)
def test_a_combination_heading_gives_its_components_their_doses(text: str, drugs: list[str]) -> None:
    """A fixed combination named before a colon heads its components' doses, each named against its
    dose; a single drug named before a dose keeps it."""
    assert [row[0] for row in flat(text)] == drugs


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Sertraline HCl 50 mg daily", "sertraline hydrochloride"),
        ("36 mg of methylphenidate HCL extended-release tablets", "methylphenidate hydrochloride"),
        ("doxorubicin hydrochloride 60 mg/m2", "doxorubicin hydrochloride"),
    ],
)
def test_an_abbreviated_salt_is_written_out(text: str, name: str) -> None:
    """The spec keeps the salt as written; R73 writes its abbreviation out."""
    assert flat(text)[0][0] == name


def test_a_class_defined_by_its_written_out_name_keeps_its_short_name() -> None:
    """ "Granulocyte macrophage-colony stimulating factor (GM-CSF) (250 mcg/m^2": the spec names a class
    as written (R56: gm-csf), not as the one drug the vocabulary files the long name under."""
    text = "Granulocyte macrophage-colony stimulating factor (GM-CSF) (250 mcg/m^2 subcutaneous on days 1-4)"
    assert [row[0] for row in flat(text)] == ["gm-csf"]
    assert [row[0] for row in flat("sargramostim (Leukine) 250 mcg/m2 daily")] == ["sargramostim"]


def test_the_number_of_a_code_written_with_a_space_is_no_dose() -> None:
    """ "KSP 0243 tablets will be orally administered": the number is the code's (the text states no dose),
    with or without the trial's intervention list; a dose after such a code is still read."""
    assert flat("Under double-blinding, XYZ 0243 tablets will be orally administered.") == []
    assert [row[:3] for row in flat("ISIS 2503 1 mg/kg/h continuous")] == [("isis 2503", 1, 1)]
