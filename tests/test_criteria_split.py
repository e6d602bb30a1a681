"""Splitting eligibility text into single criteria with kinds, nesting and source spans."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from lxml import etree

from trialatlas.config import shared_data_dir
from trialatlas.extract.criteria import criteria_from_lists, split_criteria, trial_criteria
from trialatlas.text.criteria import criteria_lists, heading_polarity


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


def _split(text: str) -> list[tuple[str, str]]:
    _spans_point_back(text)
    return [(c.kind, c.text) for c in split_criteria(text)]


def test_a_dash_inside_an_item_is_punctuation_unless_the_item_opened_with_one() -> None:
    assert _split("* Performance status - ECOG 0-1\n* Life expectancy - More than 3 months") == [
        ("inclusion", "Performance status - ECOG 0-1"),
        ("inclusion", "Life expectancy - More than 3 months"),
    ]
    # A dose table after short labels, a cross reference in parentheses, sub-items flattened into a sentence.
    for item in (
        "* Valproic acid - if ALT >= 6X ULN, decrease dose by 50%; Sorafenib - if Child Pugh C, reduce",
        "* Active infection needing excluded medications (see Exclusion - Concurrent Medications).",
        "* Ovarian cancer refractory to paclitaxel - Epithelial ovarian cancer - Fallopian tube cancer",
        "* Unrelated donor with no more than 1 HLA-A or -B antigen mismatch",
    ):
        assert _split(item) == [("inclusion", item[2:])]
    assert _split("- Age 2 to 18 years old - Normal renal function") == [
        ("inclusion", "Age 2 to 18 years old"),
        ("inclusion", "Normal renal function"),
    ]


def test_a_registrants_doubled_number_is_dropped() -> None:
    text = "Inclusion Criteria:\n\n1. 1. Patients with relapsed AML.\n2. 2. Performance status of 2 or less"
    assert _split(text) == [
        ("inclusion", "Patients with relapsed AML."),
        ("inclusion", "Performance status of 2 or less"),
    ]


def test_unmarked_lines_after_a_side_lead_in_go_to_its_side_until_its_list_ends() -> None:
    text = (
        "Exclusion Criteria\n\nPrior Medication:\n\nExcluded:\n\n* Prior thymopentin.\n\n"
        "Required:\n\n* Prior AZT for at least 6 months.\n\n"
        # After the lead-in's own bulleted list, a paragraph is the section's again.
        "Significant active alcohol or drug abuse.\n\n"
        "Allowed:\n\nStable antiretroviral therapy;\n\nPCP prophylaxis.\n\n"
        # The item ending the ';' list was the last of the lead-in's.
        "Active hepatitis."
    )
    assert [pair for pair in _split(text) if not pair[1].endswith(":")] == [
        ("exclusion", "Prior thymopentin."),
        ("inclusion", "Prior AZT for at least 6 months."),
        ("exclusion", "Significant active alcohol or drug abuse."),
        ("inclusion", "Stable antiretroviral therapy;"),
        ("inclusion", "PCP prophylaxis."),
        ("exclusion", "Active hepatitis."),
    ]
    inclusion, exclusion = criteria_lists(text)
    assert inclusion == [
        "Prior Medication: Prior AZT for at least 6 months.",
        "Prior Medication: Stable antiretroviral therapy;",
        "Prior Medication: PCP prophylaxis.",
    ]
    assert exclusion[1:] == [
        "Prior Medication: Significant active alcohol or drug abuse.",
        "Prior Medication: Active hepatitis.",
    ]


def test_a_lead_in_naming_a_population_keeps_its_items_side() -> None:
    text = (
        "DISEASE CHARACTERISTICS:\n\n* Diagnosis of acute lymphoblastic leukemia\n"
        "* Ineligible for allogeneic transplantation:\n  * No suitable allogeneic donor OR\n"
        "  * Ineligible for preparative regimen including total-body irradiation\n"
        "* Patients with any of the following are not eligible for this study:\n  * Active CNS leukemia"
    )
    kinds = {c.text: c.kind for c in split_criteria(text)}
    assert kinds["No suitable allogeneic donor OR"] == "inclusion"
    assert kinds["Ineligible for preparative regimen including total-body irradiation"] == "inclusion"
    assert kinds["Active CNS leukemia"] == "exclusion"
    inclusion, _ = criteria_lists(text)
    assert (
        "DISEASE CHARACTERISTICS: Ineligible for allogeneic transplantation: No suitable allogeneic donor OR"
        in (inclusion)
    )


@pytest.mark.parametrize(
    "heading",
    [
        "* INCLUSION CRITERIA",
        "* INCLUSION CRITERIA:",
        "PARTICIPANT INCLUSION CRITERIA:",
        "Key Inclusion Criteria:",
    ],
)
def test_a_heading_after_a_marker_or_a_label_starts_its_section(heading: str) -> None:
    text = f"{heading}\n\nAge 18 or over\n\nPARTICIPANT EXCLUSIONS:\n\nPregnancy"
    assert _split(text) == [("inclusion", "Age 18 or over"), ("exclusion", "Pregnancy")]


def test_header_words_inside_a_sentence_start_no_section() -> None:
    text = (
        "Inclusion Criteria:\n\nPatients must meet all of the following eligibility criteria:\n\n"
        "Age 18 or over\n\nExclusion Criteria:\n\nConditions for Patient Eligibility: on dialysis\n\n"
        "Imaging is not done in patients that have the following exclusion criteria:\n\n* Claustrophobia"
    )
    assert [kind for kind, _ in _split(text)] == ["inclusion"] * 2 + ["exclusion"] * 3
    assert criteria_lists(text) == (
        ["Age 18 or over"],
        ["Conditions for Patient Eligibility: on dialysis", "Claustrophobia"],
    )


def test_a_paragraph_after_a_lead_ins_list_is_no_item_of_it() -> None:
    text = (
        "INCLUSION CRITERIA:\n\n1. Ages 4 - 18 years\n2. Fulfill criteria for the PANDAS subgroup:\n"
        "  1. Presence of OCD\n  2. Prepubertal symptom onset\n\n"
        "Children will not be randomized until their symptoms are in remission."
    )
    criteria = split_criteria(text)
    assert criteria[-1].text.startswith("Children will not") and criteria[-1].parent is None
    assert (
        criteria_lists(text)[0][-1]
        == "Children will not be randomized until their symptoms are in remission."
    )


def test_inline_numbers_split_only_a_list() -> None:
    assert _split("* Patients with MDS in IPSS risk group intermediate (1 or 2) or high.") == [
        ("inclusion", "Patients with MDS in IPSS risk group intermediate (1 or 2) or high.")
    ]
    # Alternatives, and an enumeration inside a sentence, stay one criterion.
    for text in (
        "Patients with myelofibrosis, including those 1) treated and relapsed; or 2) newly diagnosed",
        "The diagnosis is supported by characteristic 1) clinical features and 2) histologic changes.",
    ):
        assert _split(text) == [("inclusion", text)]
    assert _split(
        "Normal organ function as defined below: 1) Bilirubin < 1.5 x ULN; 2) Creatinine < 1.5 x ULN"
    ) == [
        ("inclusion", "Normal organ function as defined below:"),
        ("inclusion", "Bilirubin < 1.5 x ULN;"),
        ("inclusion", "Creatinine < 1.5 x ULN"),
    ]


def test_names_and_glued_markers_are_no_run_together_sentences() -> None:
    assert _split("* Mycophenolate mofetil (CellCept) within 4 weeks") == [
        ("inclusion", "Mycophenolate mofetil (CellCept) within 4 weeks")
    ]
    assert _split("ii.For Relatives of Probands") == [("inclusion", "ii.For Relatives of Probands")]


def test_list_topics_reach_as_far_as_they_were_written() -> None:
    text = (
        "DISEASE CHARACTERISTICS: - Acute myelogenous leukemia in remission - Chronic myeloid leukemia\n\n"
        "PATIENT CHARACTERISTICS: Age 18 to 55 Karnofsky 70-100%\n\n"
        "Women 18 to 42 years old who meet the following requirements were candidates for the study: "
        "1) at least four months of amenorrhea, and 2) elevated gonadotropins\n\n"
        "--Disease Characteristics-- Idiopathic trigeminal neuralgia"
    )
    lead = "Women 18 to 42 years old who meet the following requirements were candidates for the study:"
    assert criteria_lists(text)[0] == [
        "DISEASE CHARACTERISTICS: Acute myelogenous leukemia in remission",
        "DISEASE CHARACTERISTICS: Chronic myeloid leukemia",
        "PATIENT CHARACTERISTICS: Age 18 to 55 Karnofsky 70-100%",
        f"{lead} at least four months of amenorrhea, and",
        f"{lead} elevated gonadotropins",
        "Disease Characteristics: Idiopathic trigeminal neuralgia",
    ]


@pytest.mark.parametrize(
    ("lead_in", "side"),
    [
        ("Patients with any of the following are not eligible for this study:", "exclusion"),
        (
            "Patients presenting with the following are only eligible for continuation therapy and may not "
            "receive upfront window therapy:",
            "",
        ),
        (
            "Patients at intermediate risk as determined by any of the following (NOTE: a tumor found "
            "on biopsy only will not alter T stage):",
            "",
        ),
        (
            "Any patient with a psychiatric diagnosis will be excluded. Laboratory data obtained first:",
            "",
        ),
        ("Patient or household contacts must not have any of the following:", "exclusion"),
    ],
)
def test_only_a_lead_ins_own_last_sentence_says_its_side(lead_in: str, side: str) -> None:
    assert heading_polarity(lead_in) == side
    text = f"Inclusion Criteria:\n\n* {lead_in}\n  * Item under it"
    assert split_criteria(text)[-1].kind == (side or "inclusion")


@pytest.mark.parametrize(
    ("heading", "kinds"),
    [
        ("INCLUSION/EXCLUSION CRITERIA:", ["inclusion", "exclusion"]),
        ("INCLUSION CRITIERIA:", ["inclusion", "exclusion"]),
        ("Exclusion criteria include the following:", ["exclusion", "exclusion"]),
    ],
)
def test_headings_as_registrants_wrote_them(heading: str, kinds: list[str]) -> None:
    text = f"{heading}\n\nAdults aged 50 to 80\n\nExclusion Criteria:\n\nPregnancy"
    assert _split(text) == list(zip(kinds, ["Adults aged 50 to 80", "Pregnancy"], strict=True))


def test_a_numbered_paragraph_starts_a_lead_ins_last_sentence() -> None:
    lead_in = (
        "Prior Treatment: 2.1 Patients intolerant of hydroxyurea are not eligible. 2.3 Patients must have "
        "failed interferon, as defined below (any one of the following):"
    )
    assert heading_polarity(lead_in) == "inclusion"


def test_a_range_of_numbers_is_no_list_marker() -> None:
    assert _split("2.-9. (at least one yes)") == [("inclusion", "2.-9. (at least one yes)")]


def test_the_rest_of_a_dash_headings_line_names_its_group() -> None:
    text = (
        "Inclusion Criteria - Fanconi Cases\n\nAdult HIV-1 infected subjects\n\n"
        "Exclusion Criteria - Controls\n\nSubstance abuse\n\nInclusion Criteria:\n\nAge 18 or over"
    )
    assert criteria_lists(text) == (
        ["Fanconi Cases: Adult HIV-1 infected subjects", "Age 18 or over"],
        ["Controls: Substance abuse"],
    )


def test_a_flattened_list_after_a_long_lead_in_stays_one_criterion() -> None:
    item = (
        "DISEASE CHARACTERISTICS: Histologically confirmed cancer Must meet one of the following criteria: "
        "- Failed at least 1 regimen - Refractory to standard therapy No known brain metastases"
    )
    assert _split(item) == [("inclusion", item)]


def test_a_condition_named_requirement_or_non_permitted_says_no_side() -> None:
    assert (
        heading_polarity("Requirement of concomitant treatment with a non-permitted medication:")
        == "exclusion"
    )
    assert heading_polarity("Requirement of concomitant physiotherapy:") == ""
    assert heading_polarity("Requirements:") == "inclusion"


def test_a_heading_naming_a_group_heads_its_sections_list_lines() -> None:
    text = (
        "Inclusion criteria for Step 1:\n\n* HIV infected\n\n"
        "Exclusion criteria for developmental stuttering only include:\n\n* Left-handedness\n\n"
        "DONOR EXCLUSION CRITERIA:\n\n* Pregnancy\n\n"
        "CRITERIA FOR INCLUSION:\n\n* Age 18 to 70\n\n"
        "MRI Exclusions: cardiac pacemaker; aneurysm clip\n\nPatients taking sildenafil"
    )
    assert criteria_lists(text) == (
        ["For Step 1: HIV infected", "Age 18 to 70"],
        [
            "For developmental stuttering only: Left-handedness",
            "DONOR: Pregnancy",
            # A heading with its criterion on its line names the group of that line only.
            "MRI: cardiac pacemaker; aneurysm clip",
            "Patients taking sildenafil",
        ],
    )


def test_excluded_from_another_study_names_a_population() -> None:
    lead_in = "Were excluded from LEVP2005-1 for any of the following reasons:"
    assert heading_polarity(lead_in) == ""
    assert heading_polarity("Patients will be excluded from the study if they have:") == "exclusion"


def test_a_headings_qualifier_stays_on_its_line() -> None:
    text = (
        "EXCLUSION CRITERIA\n\nFor treatment with interferon:\n\n1. Congestive heart failure\n\n"
        "For treatment with octreotide:\n\n1. Presence of cholelithiases"
    )
    assert criteria_lists(text)[1] == [
        "For treatment with interferon: Congestive heart failure",
        "For treatment with octreotide: Presence of cholelithiases",
    ]


def test_a_sentence_with_items_under_it_leads_them() -> None:
    text = (
        "--Prior/Concurrent Therapy--\n\n"
        "No requirement for the following agents, unless for periodic paralysis:\n\n"
        "* Diuretics\n* Steroids\n\n"
        "Required:\n\n* Treatment with one of the following protease inhibitors:\n\n"
        "indinavir or ritonavir.\n\n* Treatment with the same inhibitors for 12 weeks.\n\n"
        "Patients must have a disease that is assessable, defined by: 1) Pancytopenia 2) Splenomegaly"
    )
    topic = "Prior/Concurrent Therapy:"
    lead = f"{topic} No requirement for the following agents, unless for periodic paralysis:"
    assessable = f"{topic} Patients must have a disease that is assessable, defined by:"
    assert criteria_lists(text)[0] == [
        f"{lead} Diuretics",
        f"{lead} Steroids",
        f"{topic} Treatment with one of the following protease inhibitors: indinavir or ritonavir.",
        f"{topic} Treatment with the same inhibitors for 12 weeks.",
        f"{assessable} Pancytopenia",
        f"{assessable} Splenomegaly",
    ]
    # In an exclusion section the items of "Required:" are required, down to the items of its items.
    excluded = "Exclusion Criteria:\n\nRequired:\n\n* Treatment with one of:\n\nindinavir.\n\n* Stable dose."
    assert criteria_lists(excluded) == (
        ["Treatment with one of: indinavir.", "Stable dose."],
        [],
    )


def test_the_clause_after_a_semicolon_introduces_the_items() -> None:
    lead_in = (
        "Female patients should not be breastfeeding (within 72 hours); or female patients must have "
        "evidence of non-childbearing potential by fulfilling one of the following criteria:"
    )
    assert heading_polarity(lead_in) == "inclusion"


def test_a_lower_case_line_after_a_short_one_is_the_next_criterion() -> None:
    text = "Inclusion Criteria:\nDiagnosed imaginary arthritis\naged 18 to 70 years\nsigned consent."
    assert criteria_lists(text)[0] == [
        "Diagnosed imaginary arthritis",
        "aged 18 to 70 years",
        "signed consent.",
    ]
    wrapped = "Patients with AIDS related complex, defined by a weight loss\nin excess of 15 lbs."
    assert criteria_lists(wrapped)[0] == [
        "Patients with AIDS related complex, defined by a weight loss in excess of 15 lbs."
    ]


def test_an_item_left_empty_hands_its_children_to_its_parent() -> None:
    # "Inclusion Criteria:-": the dash is an item with no text, and the numbered line under it its child.
    # Filed under the next criterion, that child was its own parent and listing the criteria never ended.
    text = (
        "Inclusion Criteria:-\n\n        (1) Women aged 18-40 years. (2) oligomenorrhea\n\n"
        "Exclusion Criteria:\n\n  - Pregnancy"
    )
    criteria = split_criteria(text)
    assert [c.text for c in criteria][-1] == "Pregnancy"
    assert all(c.parent is None or c.parent < c.index for c in criteria)
    inclusion, exclusion = criteria_lists(text)
    assert inclusion and inclusion[0].startswith("Women aged 18-40 years.")
    assert exclusion == ["Pregnancy"]


def test_headers_are_found_where_the_full_pattern_finds_them() -> None:
    # The header search tries the pattern only where a side word or its qualifier begins: on every
    # eligibility text and summary of the shared records it finds exactly what a scan of every
    # position finds.
    import tarfile

    from trialatlas.text.criteria import _HEADER, _header_matches

    path = shared_data_dir() / "ctgov_legacy_xml_2023" / "ctgov_legacy_xml_feb2023.tar.gz"
    texts: list[str] = [
        "Key Inclusion Criteria: a",
        "main  exclusion criteria:\n- b",
        "x.Non-inclusion criteria: c",
        "SPECIFIC\tEligibility: d",
        "monkey inclusion: e",
        "Inclusion/Exclusion Criteria:\n1. f",
    ]
    with tarfile.open(path) as archive:
        for member in itertools.islice((m for m in archive if m.name.endswith(".xml")), 1500):
            handle = archive.extractfile(member)
            assert handle is not None
            root = etree.fromstring(handle.read())
            texts += [
                t
                for tag in ("eligibility/criteria/textblock", "brief_summary/textblock")
                if (t := root.findtext(tag))
            ]
    found = 0
    for text in texts:
        expected = [m.span() for m in _HEADER.finditer(text)]
        assert [m.span() for m in _header_matches(text)] == expected, text[:200]
        found += len(expected)
    assert found > 1000
