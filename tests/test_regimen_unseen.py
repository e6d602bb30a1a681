"""Drug naming and frequency rules of specs/regimen-items.md on sentences written for these tests (not
taken from the labelled sets): brands the curated list lacks, spaced development codes, lone named
days beside other daily doses, relative-day runs and intervals outside the spec's list."""

from __future__ import annotations

from typing import Any

from trialatlas.extract.regimen.batch import export_text


def _items(text: str) -> list[dict[str, Any]]:
    return list(export_text(text)["items"])


def test_a_brand_known_only_to_the_packaged_vocabulary_maps_to_its_generic() -> None:
    items = _items("Geodon 40 mg twice daily with food")
    assert [(i["drug"], i["amount_low"], i["frequency"]) for i in items] == [("ziprasidone", 40, "BID")]


def test_a_salt_after_a_packaged_generic_is_kept_as_written() -> None:
    items = _items("Rosiglitazone maleate 4 mg once daily")
    assert items[0]["drug"] == "rosiglitazone maleate"


def test_a_capitalised_code_with_a_spaced_number_is_one_drug_as_written() -> None:
    items = _items("Patients receive 4 mg/kg of ABCD 7721 intravenously every week.")
    assert [(i["drug"], i["amount_low"], i["route"]) for i in items] == [("abcd 7721", 4, "iv")]


def test_a_number_with_a_unit_after_an_abbreviation_is_a_dose_not_a_code() -> None:
    items = _items("MMF 1000 mg twice daily")
    assert [(i["drug"], i["amount_low"]) for i in items] == [("mycophenolate mofetil", 1000)]


def test_a_lone_named_day_is_once_although_another_dose_of_the_text_is_daily() -> None:
    text = "Prednisone 60 mg daily by mouth. Rituximab 375 mg/m2 by vein on Day -9."
    by_drug = {i["drug"]: i["frequency"] for i in _items(text)}
    assert by_drug == {"prednisone": "QD", "rituximab": "once"}


def test_a_named_day_in_a_repeating_cycle_is_not_once() -> None:
    text = "Docetaxel 75 mg/m2 IV on day 1. Cycles repeat every 35 days."
    assert [i["frequency"] for i in _items(text)] != ["once"]


def test_the_end_of_a_negative_day_run_is_not_a_listed_dose() -> None:
    items = _items("Fludarabine 10 mg/m2 by vein on Days -7 to -4, 40 mg/m2 by vein on Days -6 to -3.")
    assert sorted(i["amount_low"] for i in items) == [10, 40]
    assert {i["frequency"] for i in items} == {"QD"}


def test_relative_days_with_plus_signs_evenly_spaced_give_their_interval() -> None:
    items = _items("Alemtuzumab 0.3 mg/kg IV on days -1, +1, +3 and +5.")
    assert [i["frequency"] for i in items] == ["QOD"]


def test_an_interval_outside_the_spec_list_is_null_not_rounded() -> None:
    items = _items("Bevacizumab 2.5 mg intravitreal every 12 weeks")
    assert [i["frequency"] for i in items] == [None]
