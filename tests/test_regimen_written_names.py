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


def test_a_short_form_of_a_name_the_text_writes_is_that_drug() -> None:
    # "IGlar" shortens the insulin glargine the text names (the start of each word in turn); a word of
    # prose that starts the same way is no short form.
    assert named("Patients switch to insulin glargine. IGlar 10 units once daily at bedtime") == [
        ("insulin glargine", 10)
    ]
    assert named("Inside the clinic, insulin glargine 10 units daily") == [("insulin glargine", 10)]


def test_a_drug_named_as_the_day_a_dose_starts_is_not_its_drug() -> None:
    text = "Cyclosporine 5 mg/kg/day. Methotrexate starting on the first day of cyclosporine at 15 mg/m2"
    assert named(text) == [("cyclosporine", 5), ("methotrexate", 15)]
    # Right against its own dose the drug after "day 1 of" is the one dosed.
    assert named("Methotrexate on day 1 of cyclosporine 15 mg/m2") == [("cyclosporine", 15)]


def test_what_a_dose_is_diluted_in_is_not_its_drug() -> None:
    for text in (
        "75 mg/m2 will be diluted in 250 mL 0.9% normal saline and administered intravenously over 1 hour",
        "500 mg will be diluted in 200 ml of 5% dextrose and infused over 2 hours",
    ):
        assert named(text) == [(None, named(text)[0][1])]
    assert named("Sodium chloride 2 g tablets three times daily")[0][0] == "sodium chloride"


def test_a_brand_filed_under_a_salt_takes_the_generic_the_text_writes() -> None:
    assert named("Pirbuterol 200 mcg (Maxair 200 mcg) two inhalations four times daily") == [
        ("pirbuterol", 200)
    ]
    assert named("Penicillin V 500 mg (Beepen-VK 500 mg) four times daily") == [("penicillin v", 500)]
    # A salt the text writes stays.
    written = "Daunomycin (daunorubicin hydrochloride) 25 mg/m2 IV"
    assert named(written) == [("daunorubicin hydrochloride", 25)]
