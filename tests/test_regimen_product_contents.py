"""Issue #20, regroutes: a product's route and schedule reach the doses of the components listed after it;
a diagnostic challenge's amount is no dose (R81); a falling hyphen pair of a marketed combination's strengths
is its components' two doses (R80). Texts written for this test, labelled by the spec before the parser ran
on them (none is drawn from a labelled set)."""

from __future__ import annotations

import pytest

from regimen_sets import flat

Row = tuple[object, ...]


def _of(rows: list[Row], drug: str) -> list[Row]:
    return [row for row in rows if row[0] == drug]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            # The form of the product (tablet -> oral) and its schedule are every component's.
            "2 tablets twice daily of Combivir, containing zidovudine 300 mg and lamivudine 150 mg",
            {
                "zidovudine": [("zidovudine", 300, 300, "mg", "dose", "BID", "oral")],
                "lamivudine": [("lamivudine", 150, 150, "mg", "dose", "BID", "oral")],
            },
        ),
    ],
)
def test_product_route_reaches_its_contents(text: str, expected: dict[str, list[Row]]) -> None:
    rows = flat(text)
    for drug, wanted in expected.items():
        assert _of(rows, drug) == wanted, rows


def test_a_route_said_before_the_product_reaches_its_last_content() -> None:
    rows = flat(
        "One intramuscular injection of a 2 mL mixture containing ketorolac 30 mg and orphenadrine 60 mg"
    )
    # "One ... injection" is a single administration: once (the spec: "one oral dose").
    assert [row for row in rows if row[3] == "mg"] == [
        ("ketorolac", 30, 30, "mg", "dose", "once", "im"),
        ("orphenadrine", 60, 60, "mg", "dose", "once", "im"),
    ]


@pytest.mark.xfail(
    strict=True, reason="found and left: the mixture's own volume is read as its first content's dose"
)
def test_the_mixtures_volume_is_no_contents_dose() -> None:
    rows = flat(
        "One intramuscular injection of a 2 mL mixture containing ketorolac 30 mg and orphenadrine 60 mg"
    )
    assert all(row[3] != "mL" for row in rows), rows


def test_two_drugs_not_in_one_product_keep_their_own_routes() -> None:
    # No contents word: the oral route of the first drug says nothing of the infused second one.
    rows = flat(
        "Capecitabine 1000 mg/m2 orally twice daily and oxaliplatin 130 mg/m2 by intravenous infusion"
    )
    assert [row[6] for row in rows] == ["oral", "iv"]


@pytest.mark.parametrize(
    ("text", "drugs"),
    [
        (
            "At baseline and week 12 a 75 g oral glucose tolerance test will be performed. Patients receive "
            "metformin 500 mg twice daily.",
            ["metformin"],
        ),
        ("Subjects take sitagliptin 100 mg 30 minutes before a 75 g glucose load.", ["sitagliptin"]),
        (
            "Every six months, 75g OGTT, HbA1c and lipids will be measured; empagliflozin 10 mg daily.",
            ["empagliflozin"],
        ),
    ],
)
@pytest.mark.xfail(
    strict=True, reason="left: the cue cost a labelled held-out dose (aggregate), so it was reverted"
)
def test_a_diagnostic_challenge_is_no_dose(text: str, drugs: list[str]) -> None:
    rows = flat(text)
    assert [row[0] for row in rows] == drugs, rows
    assert all(row[1] != 75 for row in rows)


def test_glucose_given_as_the_arm_is_still_a_dose() -> None:
    # No test named after the amount: the glucose drink is the arm's own intervention.
    rows = flat("Participants drink 75 g glucose dissolved in 300 mL water once in the morning")
    assert [(row[1], row[3]) for row in rows if row[1] == 75] == [(75, "g")], rows


def test_a_marketed_combinations_falling_pair_is_two_doses() -> None:
    rows = flat("875-125 mg twice daily for 7 days")
    assert [(row[1], row[2], row[3], row[5]) for row in rows] == [
        (875, 875, "mg", "BID"),
        (125, 125, "mg", "BID"),
    ]


@pytest.mark.parametrize("text", ["500-1000 mg twice daily", "1000-500 mg/m2 on day 1"])
def test_other_pairs_stay_ranges(text: str) -> None:
    # A rising pair is a range; a falling pair no combination is sold in is read as before (one amount).
    rows = flat(text)
    assert len(rows) == 1 and (rows[0][1], rows[0][2]) == (500, 1000), rows


def test_a_route_right_after_a_name_without_a_dose_is_that_drugs() -> None:
    # Written for this test: each route word follows one drug's name in a sentence that doses neither drug.
    rows = flat(
        "Patients are randomised to either tacrolimus p.o. or basiliximab i.v. during the first week. "
        "Tacrolimus is started at 0.1 mg/kg/day; basiliximab 20 mg is given on days 0 and 4."
    )
    assert {row[0]: row[6] for row in rows} == {"tacrolimus": "oral", "basiliximab": "iv"}, rows
