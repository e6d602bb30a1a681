"""A count of administrations given as a range or alternative, or a range of intervals, names no listed
frequency: null (R4, R60), never the larger or the smaller count; the item itself and its basis stay.
Each text is written for this test, not taken from a labelled set."""

from __future__ import annotations

import pytest

from regimen_sets import flat
from trialatlas.extract.regimen.dose import patient_dose
from trialatlas.extract.regimen.parse import parse_regimen


def _frequencies(text: str) -> list[object]:
    return [row[5] for row in flat(text)]


@pytest.mark.parametrize(
    "text",
    [
        "Ibuprofen 400 mg orally 2-3 times a day for 10 days",
        "Interferon 3 MIU subcutaneously 2 or 3 times per week",
        "Nitroglycerin ointment 15 mg applied once or twice daily",
        "Mesalamine 1 g by mouth three to four times/day",
        "Oxycodone 5 mg orally every 4-6 hours",
        "Ondansetron 8 mg IV q6-8h",
        "Zoledronic acid 4 mg IV every 3 to 4 weeks",
        "Goserelin 10.8 mg subcutaneously every 8 or 12 weeks",
    ],
)
def test_a_range_of_counts_or_intervals_has_no_listed_frequency(text: str) -> None:
    rows = flat(text)
    assert len(rows) == 1
    assert rows[0][5] is None


def test_the_range_leaves_the_item_and_its_basis_as_they_are() -> None:
    ranged = flat("Mesalamine 1 g by mouth 3-4 times a day")
    single = flat("Mesalamine 1 g by mouth 4 times a day")
    assert [row[:5] + row[6:] for row in ranged] == [row[:5] + row[6:] for row in single]
    assert [row[5] for row in single] == ["QID"]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Ibuprofen 400 mg orally 3 times a day", "TID"),
        ("Nitroglycerin ointment 15 mg applied twice daily", "BID"),
        ("Interferon 3 MIU subcutaneously 3 times per week", "TIW"),
        ("Oxycodone 5 mg orally every 4 hours", "Q4H"),
        ("Zoledronic acid 4 mg IV every 4 weeks", "Q4W"),
    ],
)
def test_a_single_count_or_interval_keeps_its_frequency(text: str, code: str) -> None:
    assert _frequencies(text) == [code]


def test_a_range_of_amounts_or_of_days_is_not_a_range_of_counts() -> None:
    # "1-2 mg" is a range of amounts and "days 1-5" a run of days: neither says how often.
    assert _frequencies("Lorazepam 1-2 mg orally 3 times a day") == ["TID"]
    assert _frequencies("Cytarabine 100 mg/m2 IV days 1-7 daily") == ["QD"]


def test_the_dose_calculator_gives_no_daily_amount_for_a_range_of_counts() -> None:
    # A clinician is told why the daily amount is missing, never shown the larger count's total.
    ranged = patient_dose(parse_regimen("Mesalamine 1 g by mouth 3-4 times a day").items[0], 70)
    single = patient_dose(parse_regimen("Mesalamine 1 g by mouth 4 times a day").items[0], 70)
    assert ranged.per_day is None and single.per_day is not None
    assert any("range" in note for note in ranged.notes)
