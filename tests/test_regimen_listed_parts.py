"""Which product a dose is of, read from the parts of the trial's own intervention names and from the noun
phrase right after the dose (labelling rules R144-R146, docs/regimen-labelling.md, room regdrug3).

- R144: a listed name that lists several ("peptide 12, nyx [31-39], LLGPQRT") gives each; a name that ends
  in a dose level, arm or form word ("Zentrafix High Dose", "JK500 cell injection") gives the name without
  them, once however many levels list it; a listed name joined by a slash to other words ("nyx [31-39]/
  keyhole conjugate") is part of a longer name the list does not give, and is not read.
- R145: a noun phrase its kind heads, right after a dose ("150 mcg mumps peptide"), names that dose as
  written, not the name written before it, which was the dose before's.
- R146: a participle describing the product may stand between a dose and the name after it ("1 mL thawed
  QRT-9 cells").
- R147: a short name in capitals that a listed name defines in brackets after itself ("Lithium Carbonate
  (LC)") is that name's generic where the trial's texts write it, though it has fewer than three letters.
Each test reads the same words without the intervention list (or without the phrase), so that the mechanism,
not a vocabulary entry, is what names the dose.
"""

from __future__ import annotations

from trialatlas.extract.regimen.batch import export_text
from trialatlas.extract.regimen.context import as_context, trial_context, without_tail


def read(text: str, interventions: list[list[str]] | None = None) -> list[tuple[object, ...]]:
    items = export_text(text, interventions=interventions or ())["items"]
    return [(i["drug"], i["amount_low"], i["unit"]) for i in items]


LEVELS = [["Zentrafix High Dose"], ["Zentrafix Low Dose"], ["Sham Control"]]


def test_a_dose_levels_name_gives_the_product_once_for_every_level() -> None:
    text = "Group receiving zentrafix / study candidate 450 mg in two divided doses for eight weeks"
    assert read(text) == [(None, 450, "mg")]
    assert read(text, LEVELS) == [("zentrafix", 450, "mg")]
    assert without_tail("Zentrafix High Dose") == "Zentrafix"
    assert without_tail("JK500 cell injection") == "JK500"
    assert without_tail("Zentrafix") is None


def test_the_kind_a_level_name_was_shortened_by_is_not_added_back() -> None:
    text = "High Dose - 2 mL of the thawed QRT-9 cells"
    listed = [["QRT-9 High Dose"], ["QRT-9 Low Dose"]]
    assert read(text, listed) == [("qrt-9", 2, "mL")]


def test_each_name_a_listed_name_lists_is_read_and_a_bracket_is_not_split() -> None:
    listed = [["Vaccine A", "peptide 12, nyx [31-39], LLGPQRT"]]
    text = "250 mcg peptide nyx [31-39] given under the skin of the thigh"
    assert read(text) == [(None, 250, "mcg")]
    assert read(text, listed) == [("nyx [31-39]", 250, "mcg")]
    bracketed = [["Loaded cells (sc, q2wk x 4)"], ["Zorblat"]]
    names = [entry.pattern for entry in trial_context(as_context(bracketed)).names]
    assert not any("q2wk" in pattern and "Loaded" not in pattern for pattern in names)


def test_a_listed_name_joined_by_a_slash_is_part_of_a_longer_name_and_not_read() -> None:
    listed = [["Vaccine A", "peptide 12, nyx [31-39], LLGPQRT"]]
    text = "300 mcg nyx [31-39]/keyhole carrier conjugate, plus 1 mL adjuvant emulsion"
    assert all(drug != "nyx [31-39]" for drug, _, _ in read(text, listed))


def test_a_kind_phrase_after_a_dose_names_it_rather_than_the_name_before() -> None:
    listed = [["Zorblat-5 peptide", "Zorblat-5"]]
    text = "200 mcg Zorblat-5, 150 mcg mumps peptide, plus 100 mcg QS-21"
    read_items = read(text, listed)
    assert ("mumps peptide", 150, "mcg") in read_items
    assert all(not (amount == 150 and drug != "mumps peptide") for drug, amount, _ in read_items)


def test_a_kind_phrase_holding_a_route_or_a_participle_names_nothing() -> None:
    text = "Zorblat-5 200 mcg, then 150 mcg oral vaccine"
    assert ("oral vaccine", 150, "mcg") not in read(text, [["Zorblat-5"]])
    text = "Zorblat-5 200 mcg, then 150 mcg matching vaccine"
    assert ("matching vaccine", 150, "mcg") not in read(text, [["Zorblat-5"]])


def test_a_participle_may_stand_between_a_dose_and_its_product() -> None:
    listed = [["QRT-9 Low Dose"], ["QRT-9 High Dose"], ["glycerol"]]
    text = "A volume of 2 mL glycerol and 1 mL thawed QRT-9 cells"
    assert read(text, listed) == [("glycerol", 2, "mL"), ("qrt-9", 1, "mL")]


def test_a_two_letter_name_a_listed_name_defines_in_brackets_is_its_generic() -> None:
    listed = [["Lithium Carbonate (LC)", "Lithium tablets"], ["Quetiapine (QTP)"]]
    text = "Quetiapine 50 mg at night, or\nLC tablets 300 mg orally twice per day"
    generic = read("Lithium Carbonate 300 mg")[0][0]
    assert generic is not None
    assert read(text)[-1][0] != generic
    items = read(text, listed)
    assert items[0] == ("quetiapine", 50, "mg")
    assert items[-1] == (generic, 300, "mg")
    # A two-letter word listed on its own, not defined in brackets after the generic's name, names nothing.
    assert read(text, [["Lithium Carbonate", "LC"], ["Quetiapine"]])[-1][0] != generic
