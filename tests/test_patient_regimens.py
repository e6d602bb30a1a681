"""Chemotherapy regimens a note names by acronym ("progressed after FOLFOX", "six cycles of R-CHOP")
are medicines made of their component drugs (``text/regimens.json``), so criteria about a component
or its class are judged on them. Acronyms that also abbreviate something else (a ventricular assist
device, a wound VAC) count only beside a word of chemotherapy; a planned or declined regimen is not
taken. Criterion-side companions: the chemotherapy classes (anthracyclines, platinum agents,
camptothecins), a liposomal formulation named apart from its drug, a gap since a treatment ("at least
2 weeks since prior vincristine") and a negated list that goes on after its bracketed examples."""

from __future__ import annotations

from trialatlas.extract.criteria.drugs import drug_classes, find_drugs, find_regimens, same_drug
from trialatlas.match.patient import profile_from_note
from verdict_support import parsed_criterion, status_of


def _taken(note: str) -> dict[str, tuple[bool, list[str]]]:
    return {m.name: (m.present, m.drugs) for m in profile_from_note(note).medications}


def test_a_regimen_is_read_as_its_drugs() -> None:
    taken = _taken("Woman of 58 with colon cancer who progressed on mFOLFOX6 and then on FOLFIRI.")
    assert taken["mFOLFOX6"] == (True, ["fluorouracil", "leucovorin", "oxaliplatin"])
    assert "irinotecan" in taken["FOLFIRI"][1]
    chop = _taken("Man of 51 in relapse after six cycles of R-CHOP-21.")["R-CHOP-21"]
    assert set(chop[1]) == {"rituximab", "cyclophosphamide", "doxorubicin", "vincristine", "prednisone"}


def test_an_acronym_that_abbreviates_something_else_needs_a_word_of_chemotherapy() -> None:
    assert find_regimens("He has a left ventricular assist device (VAD), and no prior chemotherapy.") == []
    assert find_regimens("Sacral ulcer dressed with a wound VAC.") == []
    assert find_regimens("TC 220 mg/dL, LDL 140 mg/dL.") == []
    assert [r.text for r in find_regimens("She received four cycles of VAD chemotherapy.")] == ["VAD"]
    assert [r.text for r in find_regimens("dose-dense AC followed by weekly paclitaxel")] == ["AC"]
    # Only as written: a lower-case word is never a regimen.
    assert find_regimens("He chops wood; ice on the knee.") == []


def test_a_planned_or_declined_regimen_is_not_taken() -> None:
    assert _taken("Hodgkin lymphoma; ABVD is planned to start next week.") == {}
    assert _taken("She declined FOLFIRINOX and has had no chemotherapy.")["FOLFIRINOX"][0] is False


def test_criteria_about_a_component_or_its_class() -> None:
    assert status_of("No prior oxaliplatin", "Man of 58 who received adjuvant FOLFOX in 2019.") == "not met"
    assert status_of("No prior anthracycline", "Man of 59 with lymphoma after R-CHOP.") == "not met"
    assert status_of("Prior platinum-based chemotherapy", "Man of 70 who received CAPOX.") == "met"
    assert (
        status_of("Treatment with rituximab within the last two years.", "Finished R-CVP.", kind="exclusion")
        == "excluded"
    )
    assert status_of("No prior doxorubicin", "Woman of 50 declined FOLFIRINOX.") != "not met"
    # A regimen without the drug leaves the criterion as silent as before.
    assert status_of("No prior irinotecan", "Man of 55 treated with FOLFOX.") == "unknown"


def test_chemotherapy_classes() -> None:
    assert "anthracycline" in drug_classes("epirubicin")
    assert "platinum_agent" in drug_classes("carboplatin")
    assert "camptothecin" in drug_classes("topotecan")
    assert "taxane" in drug_classes("docetaxel")
    assert [m.drug_class for m in find_drugs("no prior anthracyclines")] == ["anthracycline"]


def test_a_liposomal_formulation_is_named_apart_from_its_drug() -> None:
    [liposomal] = find_drugs("doxorubicin HCl liposome")
    assert liposomal.drug == "liposomal doxorubicin"
    # A criterion naming the formulation does not mean the conventional drug; one naming the drug
    # covers the formulation.
    assert not same_drug("liposomal doxorubicin", "doxorubicin")
    assert same_drug("doxorubicin", "liposomal doxorubicin")
    note = "Man of 67 with relapsed lymphoma previously treated with R-CHOP only."
    assert status_of("No prior gemcitabine, vinorelbine, or doxorubicin HCl liposome", note) != "not met"


def test_a_gap_since_a_treatment_is_not_met_by_the_treatment_alone() -> None:
    note = "Boy of 8 whose last course of VAC chemotherapy was given three days ago."
    # Never met by the treatment alone; the note dates the last course (vincristine with it) three days
    # back, inside the two weeks, since regimens' ends are dated like drugs' ("was given … ago").
    assert status_of("At least 2 weeks since prior vincristine", note) == "not met"
    assert (
        status_of("At least 4 weeks since prior chemotherapy", "Woman on FOLFOX until 10 days ago.")
        == "unknown"
    )


def test_a_negated_list_goes_on_after_its_bracketed_examples() -> None:
    criterion = (
        "No prior topotecan or any other topoisomerase I inhibitor (e.g., irinotecan) or etoposide "
        "for any prior malignancy"
    )
    # Etoposide is denied like the rest of the list, so a patient who had it does not meet it.
    assert status_of(criterion, "Man of 30 previously treated with etoposide for testicular cancer.") != "met"
    parsed = parsed_criterion(criterion)
    assert all(rule.negated for rule in parsed.rules if rule.kind == "medication")
