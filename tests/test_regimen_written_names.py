"""Which drug a dose is of, read from the text alone: abbreviations in capitals, a specific generic in
brackets after its family's name, and a per-site amount before "dose of"."""

from __future__ import annotations

from trialatlas.extract.regimen.batch import export_text


def named(text: str) -> list[tuple[str | None, float]]:
    return [(item["drug"], item["amount_low"]) for item in export_text(text)["items"]]


def test_an_abbreviation_with_a_digit_is_read_in_capitals_too() -> None:
    text = "1 tablet twice a day, including NVP 200 mg, 3TC 150 mg and D4T 30mg"
    assert ("stavudine", 30) in named(text)
    assert ("lamivudine", 30) not in named(text)


def test_a_generic_in_brackets_after_its_familys_name_is_the_drug() -> None:
    assert named("2,000 IU per day of vitamin D (cholecalciferol)") == [("cholecalciferol", 2000)]
    assert named("2,000 IU per day of vitamin D") == [("vitamin d", 2000)]


def test_a_per_site_amount_before_dose_of_is_of_the_drug_named_after() -> None:
    assert named("one time 150 μg/disc dose of KTP-001 by intradiscal injection") == [("ktp-001", 150)]


def test_two_names_joined_by_a_slash_take_their_strengths_in_order() -> None:
    text = "40 mg simvastatin tablet or ezetimibe/simvastatin (10 mg/40 mg) in single tablet taken once daily"
    assert named(text) == [("simvastatin", 40), ("ezetimibe", 10)]
    assert named("ezetimibe/simvastatin 10 mg daily") == [("simvastatin", 10)]
