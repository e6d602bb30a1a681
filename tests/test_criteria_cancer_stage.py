"""Cancers named by their organ, a stage the note states apart from the cancer's name, and class lists
written with a serial comma ("class III, IV, or V")."""

from __future__ import annotations

from trialatlas.extract.criteria.qualifiers import find_classes
from trialatlas.extract.criteria.vocab import broader_concepts
from trialatlas.match.patient import profile_from_note
from verdict_support import status_of


def test_a_cancer_named_by_its_organ_is_that_organs_cancer_and_a_cancer() -> None:
    conditions = profile_from_note("Man, 66. Biopsy showed adenocarcinoma of the pancreas.").conditions
    concepts = {c.concept for c in conditions if c.present}
    assert "pancreatic_cancer" in concepts
    assert "cancer" in broader_concepts("pancreatic_cancer")
    serous = profile_from_note("Woman, 59, with low-grade serous ovarian carcinoma.").conditions
    assert {c.concept for c in serous} == {"ovarian_cancer"}


def test_one_organs_cancer_does_not_meet_anothers() -> None:
    note = "Woman, 59, with ovarian carcinoma on carboplatin."
    assert status_of("Fallopian tube carcinoma", note) != "met"
    assert status_of("Breast cancer", note) != "met"
    assert status_of("Any malignancy", note, kind="exclusion") == "excluded"


def test_a_stage_said_in_a_later_sentence_is_the_named_cancers() -> None:
    criterion = "Histologically confirmed stage III or IV breast cancer"
    early = "Woman, 55, with carcinoma of the right breast. The tumor is 2 cm, node negative (stage IIA)."
    late = "Woman, 61, with invasive lobular breast carcinoma. Staging CT found bone metastases (stage IV)."
    assert status_of(criterion, early) == "not met"
    assert status_of(criterion, late) == "met"


def test_no_stage_stays_unknown() -> None:
    note = "Woman, 55, with carcinoma of the right breast. She is otherwise well."
    assert status_of("Stage III or IV breast cancer", note) == "unknown"


def test_a_serial_comma_list_keeps_its_last_item() -> None:
    assert find_classes("ISN/RPS class III, IV, or V")[0].values == ("3", "4", "5")
    assert find_classes("stage II, III, and/or IV")[0].values == ("2", "3", "4")
    note = "Woman, 31, with biopsy-proven lupus nephritis class V, newly diagnosed."
    assert status_of("Lupus nephritis ISN/RPS class III, IV, or V", note) == "met"
