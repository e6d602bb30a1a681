"""The schedule grammar's reading of days (spec: a run of consecutive days → QD; one named day of a schedule
that does not repeat → once; uneven lists → null), written as conditioning tables and regimen sections phrase
them. Each text is written for this test, not taken from a labelled set."""

from __future__ import annotations

from regimen_sets import flat


def _frequencies(text: str) -> list[object]:
    return [row[5] for row in flat(text)]


def test_signed_day_runs_of_a_conditioning_table_are_daily() -> None:
    text = "Conditioning: Bu 3.2 mg/kg -7 to -5, Cy 60 mg/kg -3 to -2, MTX 15 mg/m2 +1d."
    assert _frequencies(text) == ["QD", "QD", "once"]


def test_a_signed_run_needs_its_sign_and_is_not_a_range_of_amounts() -> None:
    # "5-7 mg" is a range of amounts; "10 mg 2-4 weeks" names no days.
    assert _frequencies("Drug X 5-7 mg/kg then 10 mg 2-4 weeks later") == [None, None]


def test_an_uneven_signed_list_after_a_dose_is_its_own_not_the_day_before() -> None:
    text = "GVHD prophylaxis: methotrexate 15 mg/m2 +1d, 10 mg/m2 +3,+6,+11, tacrolimus 0.03 mg/kg/d from -1d"
    assert _frequencies(text)[:2] == ["once", None]


def test_a_dose_with_days_of_its_own_does_not_take_the_named_day_before_it() -> None:
    assert _frequencies("Methotrexate 15 mg/m2 day 1, 10 mg/m2 days 3, 6 and 11 IV") == ["once", None]


def test_a_route_written_after_two_doses_of_one_drug_applies_to_both() -> None:
    assert [row[6] for row in flat("15 mg/m2 day 1, 10 mg/m2 day 3, 6 and 11 by IV")] == ["iv", "iv"]


def test_a_named_day_right_after_a_dose_is_its_own_not_the_list_that_follows() -> None:
    text = "Transplant: melphalan 140 mg/m2 IV D-5; TBI 150 cGy D-4, -3, -2, -1; cells D0"
    assert _frequencies(text) == ["once"]


def test_a_section_with_a_heading_of_its_own_keeps_its_own_schedule() -> None:
    # The first section repeats every 4 weeks; the second, under its own heading, is given once.
    sections = "Induction (q 4 weeks): drug A 10 mg/m2 IV D1-4\nConsolidation: drug B 20 mg/m2 IV D1"
    assert _frequencies(sections) == ["QD", "once"]
    # Without headings the repeat applies to the whole text: a named day is then not a single dose.
    assert _frequencies("drug A 10 mg/m2 IV D1-4 q 4 weeks\ndrug B 20 mg/m2 IV D1") == ["QD", None]


def test_one_named_day_of_a_cycle_takes_the_cycle_length_the_text_states_elsewhere() -> None:
    text = "Drug A 175 mg/m2 IV on day 1 of each cycle. Drug B 130 mg/m2 on day 1 of each 21-day cycle."
    assert _frequencies(text) == ["Q3W", "Q3W"]
    assert _frequencies("Drug A 25 mg/m2 IV on day 1. Repeat treatment every 28 days.") == ["Q4W"]
    # Two cycle lengths: which one is meant is not stated, so nothing is guessed.
    two = "Drug A 175 mg/m2 on day 1 of each cycle. Drug B 5 mg daily in 21-day cycles, then 28-day cycles."
    assert _frequencies(two)[0] is None


def test_a_transplant_day_is_not_a_day_of_the_cycles_named_elsewhere() -> None:
    text = "Five 28-day cycles. Then etoposide 60 mg/kg on day -4, melphalan 140 mg/m2 on day -2."
    assert len(_frequencies(text)) == 2 and "Q4W" not in _frequencies(text)


def test_vitamin_d3_is_not_day_three() -> None:
    text = "Metformin 500 mg OD + Vitamin D3 (1000 IU) + Vitamin K2 (90 mcg)"
    assert "once" not in _frequencies(text)
    assert _frequencies("Drug A 8 mg/m2 PO D3") == ["once"]


def test_a_schedule_after_the_brackets_of_the_last_dose_of_a_run_is_the_runs() -> None:
    text = "Metformin 500 mg tablets + Vitamin D3 ( 1000 IU ) + Vitamin K2 ( 90 mcg) once daily for 6 months"
    assert _frequencies(text) == ["QD", "QD", "QD"]
    # Inside the last dose's brackets the schedule stays that dose's.
    assert _frequencies("Drug A 25 mg/m2 + drug B 60 mg/kg + drug C (720,000 IU/kg q8h)")[:2] == [None, None]


def test_a_dose_with_a_day_of_its_own_keeps_it_when_the_next_drug_states_a_frequency() -> None:
    text = "Drug A 75 mg/m2 IV day 1, drug B 1000 mg/m2 orally twice daily day 2-15 for 4 cycles"
    assert _frequencies(text) == [None, "BID"]
    # Without days of its own the earlier dose shares the schedule written once after the run.
    assert _frequencies("Drug A 10 mg/day and drug B 20 mg given once daily") == ["QD", "QD"]


def test_single_administration_words_may_be_split_by_commas() -> None:
    assert _frequencies("single, intravenous infusion of 1 gm ceftriaxone over 30 minutes") == ["once"]


def test_load_said_for_a_loading_dose_is_given_once() -> None:
    assert _frequencies("infusion 4 mg/kg load week 1; 2 mg/kg weekly thereafter for 12 weeks") == [
        "once",
        "QW",
    ]


def test_a_repeat_stated_outside_every_headed_section_applies_to_all_of_them() -> None:
    text = "All drugs repeat every 28 days.\nCisplatin: 75 mg/m2 IV day 1\nEtoposide: 100 mg/m2 IV days 1-3"
    assert _frequencies(text)[0] != "once"
