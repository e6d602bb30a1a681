"""Readings the hard description sets called for, each written as registry texts phrase it: frequency
words kept as data (frequency_words.json), dotted abbreviations split by a space ("p. o."), a
combination's strengths written with their units and a decimal comma ("4g/0,5g"), a route word the text
negates, and a route abbreviation the text expands itself ("intraarticular (IA)")."""

from __future__ import annotations

from typing import Any

import pytest

from trialatlas.eval.regimens import export_text
from trialatlas.extract.regimen.lexicon import find_frequencies, find_routes
from trialatlas.extract.regimen.parse import normalise_text


def _items(text: str) -> list[dict[str, Any]]:
    return list(export_text(text)["items"])


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("tri-weekly cisplatin 75 mg/m2", "Q3W"),
        ("6 mg/kg once Q2W until progression", "Q2W"),
        ("given 4 times (one infusion per week with 375 mg/m2)", "QW"),
        ("two injections a week", "BIW"),
        ("three infusions per week", "TIW"),
        ("two doses per day", "BID"),
        ("one dose a month", "QM"),
        ("at reduced intervals of 4 weeks", "Q4W"),
        ("given at 3-week intervals", "Q3W"),
    ],
)
def test_frequency_words_beyond_the_patterns(text: str, code: str) -> None:
    assert [span[2] for span in find_frequencies(text)] == [code]


def test_a_count_a_period_does_not_list_names_no_frequency() -> None:
    """Four injections a week is no listed code; it is not read as weekly or four times a day."""
    assert [span[2] for span in find_frequencies("four injections a week")] == []


def test_a_range_of_intervals_stays_unread() -> None:
    assert all(span[2] != "Q2W" for span in find_frequencies("at intervals of 2-3 weeks"))


def test_split_dotted_abbreviations_are_joined() -> None:
    assert (
        normalise_text("MP i. v. or CsA p. o. b. i. d. (i. e. , daily)")
        == "MP i.v. or CsA p.o. b.i.d. (i.e. , daily)"
    )
    # A sentence's end and a name's initial are left as written.
    assert normalise_text("in group A. Then Dr. J. Smith") == "in group A. Then Dr. J. Smith"


def test_routes_written_with_the_dumps_spaces_are_read() -> None:
    items = _items("prednisone 30 mg/m2/day p. o. and methylprednisolone 30 mg/kg i. v.")
    assert {item["drug"]: item["route"] for item in items} == {
        "prednisone": "oral",
        "methylprednisolone": "iv",
    }


def test_a_combination_written_with_units_and_decimal_commas_is_split() -> None:
    items = _items("piperacillin/tazobactam 4g/0,5g every eight hours")
    assert sorted((i["drug"], i["amount_low"], i["unit"], i["frequency"]) for i in items) == [
        ("piperacillin", 4, "g", "TID"),
        ("tazobactam", 0.5, "g", "TID"),
    ]


def test_a_concentration_written_as_one_word_is_not_a_pair() -> None:
    assert all(
        item["amount_low"] != 5 for item in _items("paracetamol 20mg/5mL syrup, 10 mL three times a day")
    )


def test_a_route_the_text_negates_is_not_read() -> None:
    assert (
        find_routes("repeated negative aspirations, meant to confirm absence of intravascular injection")
        == []
    )
    assert [span[2] for span in find_routes("to avoid intravenous injection, 25 mL given")] == []


def test_the_texts_own_expansion_of_a_route_abbreviation_wins() -> None:
    text = (
        "one intraarticular (IA) injection of etanercept 12.5mg. The IA injection is given every two weeks."
    )
    assert {span[2] for span in find_routes(text)} == {"intra-articular"}
    # Without the expansion the abbreviation table's reading stands.
    assert {span[2] for span in find_routes("etanercept 12.5 mg IA")} == {"intra-arterial"}


def test_a_shortened_interval_is_the_new_frequency_not_a_dose_step() -> None:
    items = _items("will receive IV infliximab 5 mg/kg at reduced intervals of 4 weeks starting at Week 10.")
    assert [item["frequency"] for item in items] == ["Q4W"]
    # A dose that changes weekly is still a step, not a frequency.
    assert [item["frequency"] for item in _items("40 mg, doubled weekly")] == [None]


@pytest.mark.parametrize(
    ("schedule", "code"),
    [
        ("on Days 1, 3, and 5 of each week", "QOD"),
        ("on days 1-5 of each week", "QD"),
        ("on days 1 and 4 of each week", None),
        ("on day 1 of each week", "QW"),
        ("weekly", "QW"),
    ],
)
def test_the_week_of_a_day_list_is_its_cycle(schedule: str, code: str | None) -> None:
    assert [item["frequency"] for item in _items(f"Drug X 6 mg orally {schedule}.")] == [code]


def test_a_route_before_another_drugs_dose_is_that_drugs() -> None:
    text = "ketorolac (0.5 mg/kg) every 6 hours or an IV dose of morphine sulfate (0.1 mg/kg) every 4 hours"
    assert {item["drug"]: item["route"] for item in _items(text)} == {
        "ketorolac": None,
        "morphine sulfate": "iv",
    }
