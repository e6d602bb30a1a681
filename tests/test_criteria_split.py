"""Splitting eligibility text into single criteria with kinds, nesting and source spans."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from trialatlas.config import shared_data_dir
from trialatlas.extract.criteria import criteria_from_lists, split_criteria, trial_criteria
from trialatlas.text.criteria import criteria_lists


def _criteria_text(nct: str) -> str:
    path = shared_data_dir() / "ctgov_target_trials" / f"{nct}.xml"
    text = etree.parse(str(path)).findtext(".//eligibility/criteria/textblock")
    assert text
    return text


def _spans_point_back(text: str) -> None:
    for criterion in split_criteria(text):
        start, end = criterion.source_span(0, len(criterion.text))
        assert " ".join(text[start:end].split()) == criterion.text


def test_bulleted_trial_splits_into_its_criteria() -> None:
    text = _criteria_text("NCT04048161")
    criteria = split_criteria(text)
    kinds = [c.kind for c in criteria]
    assert kinds.count("inclusion") == 5
    assert kinds.count("exclusion") == 13
    assert criteria[1].text == "Age: 2 to 18 years old"
    assert criteria[-1].text.startswith("Those who was not suitable")
    _spans_point_back(text)


def test_nested_numbered_lists_keep_their_parent_as_context() -> None:
    text = _criteria_text("NCT00876616")
    criteria = split_criteria(text)
    header = next(c for c in criteria if c.text == "History of present illness:")
    assert header.is_header and header.kind == "exclusion"
    children = [c for c in criteria if c.parent == header.index]
    assert len(children) == 4
    assert all(c.context == "History of present illness:" and c.depth == 1 for c in children)
    assert children[-1].text.startswith("malnutrition (BMI <18.5kg/m2)")
    _spans_point_back(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Inclusion Criteria: - Age 2 to 18 years old - Normal renal function "
            "Exclusion Criteria: - Leukopenia"
            " - Pregnancy",
            [
                ("inclusion", "Age 2 to 18 years old"),
                ("inclusion", "Normal renal function"),
                ("exclusion", "Leukopenia"),
                ("exclusion", "Pregnancy"),
            ],
        ),
        (
            "Inclusion criteria: 1. Age 18-65 years 2. Diagnosis of SLE "
            "Exclusion criteria: 1. Pregnant 2. HIV positive",
            [
                ("inclusion", "Age 18-65 years"),
                ("inclusion", "Diagnosis of SLE"),
                ("exclusion", "Pregnant"),
                ("exclusion", "HIV positive"),
            ],
        ),
        (
            "Age: 2 to 18 years oldNormal renal functionWritten informed consent",
            [
                ("inclusion", "Age: 2 to 18 years old"),
                ("inclusion", "Normal renal function"),
                ("inclusion", "Written informed consent"),
            ],
        ),
        (
            "Exclusion Criteria:\nPregnancy\nKnown HIV infection\nParticipation in another trial",
            [
                ("exclusion", "Pregnancy"),
                ("exclusion", "Known HIV infection"),
                ("exclusion", "Participation in another trial"),
            ],
        ),
    ],
)
def test_run_together_and_unmarked_criteria(text: str, expected: list[tuple[str, str]]) -> None:
    assert [(c.kind, c.text) for c in split_criteria(text)] == expected
    _spans_point_back(text)


def test_wrapped_lines_continue_their_item() -> None:
    text = (
        "Inclusion Criteria:\n\n  -  Morning urine protein <1+ or urine protein-creatinine ratio <0.2g/g"
        " for\n"
        "     3 consecutive days\n  -  No rituximab"
    )
    criteria = split_criteria(text)
    assert [c.text for c in criteria] == [
        "Morning urine protein <1+ or urine protein-creatinine ratio <0.2g/g for 3 consecutive days",
        "No rituximab",
    ]


def test_lists_from_a_reader_keep_their_kind() -> None:
    criteria = criteria_from_lists(
        ["Age >= 18", "Exclusion criteria of the parent study apply"], ["Pregnancy"]
    )
    assert [(c.kind, c.source) for c in criteria] == [
        ("inclusion", "inclusion[0]"),
        ("inclusion", "inclusion[1]"),
        ("exclusion", "exclusion[0]"),
    ]
    assert trial_criteria(None, ["Age >= 18"], [])[0].text == "Age >= 18"


def test_empty_text_has_no_criteria(tmp_path: Path) -> None:
    assert split_criteria(None) == []
    assert split_criteria("   \n ") == []


def test_a_qualified_section_heading_starts_its_section_only_at_a_line_start() -> None:
    text = (
        "Inclusion Criteria for patients:\n\n* Age 18 or more\n\n"
        "Exclusion criteria for healthy volunteers: smoking\n\n"
        "Patients meeting the inclusion criteria of study A: enrolment allowed"
    )
    assert [(c.kind, c.text) for c in split_criteria(text)] == [
        ("inclusion", "Age 18 or more"),
        ("exclusion", "smoking"),
        # Inside a sentence the same words are no heading: the line stays one exclusion criterion.
        ("exclusion", "Patients meeting the inclusion criteria of study A: enrolment allowed"),
    ]
    _spans_point_back(text)


def test_lists_follow_the_split_with_topics_and_lead_ins_in_front() -> None:
    text = (
        "Inclusion Criteria:\n\nAge:\n\n* 18 and over\n\nConcurrent Medication:\n\nAllowed:\n\n"
        "* Stable antiretroviral therapy\n\n"
        "Exclusion Criteria:\n\nPrior Medication:\n\n* Patients with any of the following:\n"
        "  * Prior chemotherapy\n  * Prior radiotherapy"
    )
    inclusion, exclusion = criteria_lists(text)
    assert inclusion == ["Age: 18 and over", "Concurrent Medication: Stable antiretroviral therapy"]
    assert exclusion == [
        "Prior Medication: Patients with any of the following: Prior chemotherapy",
        "Prior Medication: Patients with any of the following: Prior radiotherapy",
    ]
    # The lists hold exactly the non-heading criteria matching judges, on the same sides.
    judged = [c for c in split_criteria(text) if not c.is_header and not c.text.endswith(":")]
    assert [c.kind for c in judged] == ["inclusion"] * len(inclusion) + ["exclusion"] * len(exclusion)
