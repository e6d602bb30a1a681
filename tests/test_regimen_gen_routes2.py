"""The second route predictor set and the route and basis rules it prompted.

tests/fixtures/regimens_gen_routes2.jsonl holds 40 arm and intervention texts of even-numbered trials (any
even last digit) that no set labelled before it holds (`bench/regimen_sample.py --routes2`, seed 20261310,
texts of at most 900 characters drawn toward topical, eye, nasal and inhaled products, injections,
infusions, a route stated in another sentence than the dose, and dose forms, with 6 distractors), labelled
by specs/regimen-items.md before the parser ran on them: a fresh check of the route field. Measured when
it was labelled: strict F1 0.750, paired 0.958, route F1 0.943 (P 0.932 / R 0.954), basis F1 0.917; after
this round's rules 0.771 / 0.958 / 0.955 (0.933 / 0.977) / 0.938. The floors sit a little under the latter,
so that a regression fails.
"""

from __future__ import annotations

from typing import Any

import pytest

from regimen_sets import Row, assert_apart_and_labels_only, assert_scores_hold, flat, set_path
from trialatlas.eval.regimens import compare_with_baseline, load_labelled

ROUTES2_SET = set_path("gen_routes2")

STRICT_F1_FLOOR = 0.74
PAIRED_F1_FLOOR = 0.93
ROUTE_F1_FLOOR = 0.94
ROUTE_PRECISION_FLOOR = 0.92
BASIS_F1_FLOOR = 0.92


def test_second_route_set_is_apart_from_every_other_set_and_holds_labels_only() -> None:
    # Drawn at the same time as the other two predictor sets of its round, from the same exclusions: they
    # share texts, each labelled apart (a check of the labels' agreement, not a leak).
    assert_apart_and_labels_only(ROUTES2_SET, at_least=40, sharing=("gen_freq", "gen_drugs4"))


@pytest.fixture(scope="module")
def scores() -> dict[str, Any]:
    return compare_with_baseline(load_labelled(ROUTES2_SET))


def test_second_route_set_scores_hold_over_the_baseline(scores: dict[str, Any]) -> None:
    assert_scores_hold(scores, strict=STRICT_F1_FLOOR, paired=PAIRED_F1_FLOOR, over_baseline=0.4)
    fields = scores["parser"]["fields"]
    assert fields["route"]["f1"] >= ROUTE_F1_FLOOR
    assert fields["route"]["precision"] >= ROUTE_PRECISION_FLOOR
    assert fields["basis"]["f1"] >= BASIS_F1_FLOOR


@pytest.mark.parametrize(
    ("text", "route"),
    [
        # Other registries' languages (route_words.json).
        ("metamizol 2 g endovenoso cada 8 horas", "iv"),
        ("paracetamol 1 g par voie orale", "oral"),
        ("enoxaparina 40 mg sottocute", "sc"),
        # Abbreviations right after a dose.
        ("methotrexate 12 mg IT on day 1", "intrathecal"),
        ("ranibizumab 0.5 mg IVT monthly", "intravitreal"),
        ("morphine 10 mg SL every 4 hours", "sublingual"),
        ("diclofenac 100 mg PR once daily", "rectal"),
        ("furosemide 40 mg IVP once", "iv"),
        # Dose forms that imply the oral route.
        ("omega-3 1 g softgels twice daily", "oral"),
        ("aspirin 81 mg caplet daily", "oral"),
    ],
)
def test_route_words_kept_as_data_give_the_route(text: str, route: str) -> None:
    assert [row[6] for row in flat(text)] == [route]


@pytest.mark.parametrize(
    "text",
    [
        # The same capitals away from a dose are no route: an information-technology team, a partial response.
        "IT staff record 20 mg doses of aspirin daily",
        "Aspirin 20 mg daily; PR was seen in 3 patients",
    ],
)
def test_abbreviations_away_from_a_dose_are_no_route(text: str) -> None:
    assert [row[6] for row in flat(text)] == [None]


def test_per_with_the_slash_written_out_is_the_basis() -> None:
    # "1000 mg per (/) square meter (m^2)": a registry's results wording of mg/m2.
    rows: list[Row] = flat("gemcitabine, 1000 mg per (/) square meter (m^2), intravenously (IV), on Day 1")
    assert [(row[0], row[1], row[3], row[4], row[6]) for row in rows] == [
        ("gemcitabine", 1000, "mg", "m2", "iv")
    ]


def test_route_of_the_one_drug_a_sentence_names_reaches_the_unnamed_doses() -> None:
    # The spec: a route stated for a drug applies to all its doses; the doses name no drug, the sentence
    # without a dose names one (and a placebo given no dose).
    text = (
        "Subjects will receive a single administration of either 6x10^6 cells or a placebo injection. "
        "Each subject will receive six intramuscular injections of either CELZ-201-DDT or placebo."
    )
    assert [row[6] for row in flat(text)] == ["im"]
    # Two drugs named there: which one the doses are of is not said, so no route.
    two = (
        "Subjects will receive a single administration of 6x10^6 cells. "
        "Each subject will receive intramuscular injections of CELZ-201-DDT and bupivacaine."
    )
    assert [row[6] for row in flat(two)] == [None]


def test_a_route_said_of_every_drug_reaches_each_dosed_drug() -> None:
    # "Both drugs": a sentence with no dose that names no drug but refers to all of them.
    text = "Metformin 500 mg and glipizide 5 mg daily. Both drugs are given orally."
    assert [(row[0], row[6]) for row in flat(text)] == [("metformin", "oral"), ("glipizide", "oral")]
    # Without such words the route of a dose-less sentence is nobody's in a text dosing two drugs.
    alone = "Metformin 500 mg and glipizide 5 mg daily. Treatment is given orally for a year."
    assert [row[6] for row in flat(alone)] == [None, None]


def test_a_route_after_a_run_skips_a_dose_with_its_own_schedule() -> None:
    own = "cyclophosphamide 60mg/kg/d x 2 days, and fludarabine 25mg/m^2 intravenously daily x 5 days"
    assert [(row[0], row[6]) for row in flat(own)] == [("cyclophosphamide", None), ("fludarabine", "iv")]
    shared = "Patients receive cisplatin 75 mg/m2 and docetaxel 75 mg/m2 IV on day 1 every 3 weeks."
    assert [(row[0], row[6]) for row in flat(shared)] == [("cisplatin", "iv"), ("docetaxel", "iv")]


@pytest.mark.parametrize(
    ("text", "basis", "route"),
    [
        # A route between the amount and its period: the period is still the basis, the route still read.
        ("40mg p.o./ day until documented progression", "day", "oral"),
        ("Placebo 2 tablets orally per day", "day", "oral"),
        # The CJK square-metre sign of Chinese registries.
        ("fludarabine 25mg/㎡/day day -6 to -2", "m2/day", None),
        # "The daily dose of X is": the day's amount.
        ("The daily dose of lapatinib is 1250 mg to be taken each day", "day", None),
        # Not a route: the "sq" of "mg/sq m".
        ("11mg/sq m IV infusion over 5 min q day for 5 days", "m2", "iv"),
    ],
)
def test_basis_read_past_a_route_or_a_unit_sign(text: str, basis: str, route: str | None) -> None:
    assert [(row[4], row[6]) for row in flat(text)] == [(basis, route)]


@pytest.mark.parametrize(
    "text",
    [
        # A form before square brackets holding the components.
        "TMP-SMX 1 DS tablet [TMP-SMX DS = 160 mg trimethoprim and 800 mg sulfamethoxazole] every 12 hours",
        # The route given to the product named right before the brackets.
        "Patients take oral Malarone (atovaquone 250 mg and proguanil 100 mg) once daily",
    ],
)
def test_a_products_route_or_form_reaches_each_component_in_its_brackets(text: str) -> None:
    assert [row[6] for row in flat(text)] == ["oral", "oral"]


def test_a_form_in_a_sentence_with_no_dose_implies_the_route_of_the_drug_it_names() -> None:
    text = (
        "Ziprasidone 40 mg/day for 6 weeks. "
        "Participants were not told whether they received sugar pills or Geodon."
    )
    assert [(row[0], row[6]) for row in flat(text)] == [("ziprasidone", "oral")]
    # No form, no route; and a sentence naming another drug says nothing of this one's.
    assert [
        row[6] for row in flat("Ziprasidone 40 mg/day for 6 weeks. Participants were told about the study.")
    ] == [None]
    assert [row[6] for row in flat("Aspirin 100 mg daily. Capsules of heparin are given.")] == [None]
    # A form in a sentence that does not name the dosed drug is not its.
    premedication = "Rituximab 375 mg/m2 weekly for 4 weeks. Patients also receive premedication tablets."
    assert [row[6] for row in flat(premedication)] == [None]
