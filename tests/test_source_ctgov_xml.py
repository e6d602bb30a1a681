"""The ClinicalTrials.gov legacy XML reader: real records, every element, textblocks, and bad input."""

from __future__ import annotations

import collections
import datetime as dt
import gzip
import os
import time
import zipfile
from collections.abc import Iterable
from pathlib import Path

import psutil  # type: ignore[import-untyped]  # dev dependency without stubs
import pytest

from trialatlas.model import (
    AgencyClass,
    AgeUnit,
    Allocation,
    ArmGroupType,
    BioSpecRetention,
    ContactRole,
    DateType,
    InterventionModel,
    InterventionType,
    IpdInfoType,
    IpdSharing,
    Masking,
    ObservationalModel,
    OfficialRole,
    OutcomeKind,
    OverallStatus,
    Phase,
    PrimaryPurpose,
    ReferenceType,
    ResponsiblePartyType,
    SamplingMethod,
    Sex,
    SourceFormat,
    StandardAge,
    StudyType,
    TimePerspective,
    Trial,
    WhoMasked,
)
from trialatlas.sources import detect_reader, read_path
from trialatlas.sources.base import Blob, ReadResult, RecordError
from trialatlas.sources.ctgov_xml import LegacyXmlReader
from trialatlas.sources.textblocks import reflow_textblock, split_criteria

READER = LegacyXmlReader()


def read_bytes(data: bytes, name: str = "fixture.xml") -> list[ReadResult]:
    return list(READER.read(Blob.from_bytes(name, data)))


def trials_of(results: Iterable[ReadResult]) -> list[Trial]:
    return [r for r in results if isinstance(r, Trial)]


def errors_of(results: Iterable[ReadResult]) -> list[RecordError]:
    return [r for r in results if isinstance(r, RecordError)]


def record(nct_id: str | None = "NCT00000001", title: str = "A title", body: str = "") -> str:
    ids = f"<nct_id>{nct_id}</nct_id>" if nct_id is not None else ""
    return (
        f"<clinical_study>\n  <id_info><org_study_id>ORG-1</org_study_id>{ids}</id_info>\n"
        f"  <brief_title>{title}</brief_title>\n{body}</clinical_study>\n"
    )


def wrapper(*records: str, root: str = "search_results", prolog: str = "") -> bytes:
    text = f'<?xml version="1.0" encoding="UTF-8"?>\n{prolog}<{root}>\n' + "".join(records) + f"</{root}>\n"
    return text.encode("utf-8", "surrogateescape")  # lone surrogates become the raw bytes they stand for


def criteria(text: str) -> tuple[list[str], list[str]]:
    return split_criteria(text, hard_wrapped=True)


# --- the target record --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def stamp(target_trials: Path) -> Trial:
    [trial] = list(read_path(target_trials / "NCT04048161.xml"))
    assert isinstance(trial, Trial)
    return trial


def test_target_record_identity_and_design(stamp: Trial) -> None:
    assert stamp.nct_id == "NCT04048161"
    assert stamp.org_study_id == "STAMP"
    assert stamp.acronym == "STAMP"
    assert (
        stamp.brief_title
        == "Study of Tacrolimus vs Mycophenolate Mofetil in Pediatric Patients With Nephrotic Syndrome"
    )
    assert stamp.official_title is not None and stamp.official_title.endswith(
        "a Randomized, Multicenter, Open-label, Parallel-arm Study"
    )
    assert stamp.design.phases == [Phase.PHASE4]
    assert stamp.design.study_type is StudyType.INTERVENTIONAL
    assert stamp.design.allocation is Allocation.RANDOMIZED
    assert stamp.design.intervention_model is InterventionModel.PARALLEL
    assert stamp.design.primary_purpose is PrimaryPurpose.TREATMENT
    assert stamp.design.masking is Masking.NONE and stamp.design.who_masked == []
    assert stamp.design.enrollment is not None
    assert (stamp.design.enrollment.count, stamp.design.enrollment.type) == (270, DateType.ESTIMATED)
    assert stamp.conditions == ["Nephrotic Syndrome in Children"]
    assert stamp.keywords[-1] == "Mycophenolate mofetil" and len(stamp.keywords) == 5
    assert [m.term for m in stamp.condition_mesh] == ["Nephrotic Syndrome", "Nephrosis", "Syndrome"]
    assert [m.term for m in stamp.intervention_mesh] == ["Mycophenolic Acid", "Tacrolimus"]
    assert stamp.has_results is False


def test_target_record_status_dates(stamp: Trial) -> None:
    status = stamp.status
    assert status.overall_status is OverallStatus.RECRUITING
    assert status.start_date is not None
    assert (status.start_date.date, status.start_date.type) == ("2019-11-12", DateType.ACTUAL)
    assert status.primary_completion_date is not None and status.primary_completion_date.date == "2022-09-30"
    assert status.completion_date is not None and status.completion_date.type is DateType.ESTIMATED
    assert status.status_verified_date == "2020-07"
    assert status.study_first_submit_date == "2019-07-30"
    assert status.study_first_submit_qc_date == "2019-08-06"
    assert status.study_first_post_date is not None and status.study_first_post_date.date == "2019-08-07"
    assert status.last_update_submit_date == "2020-07-20"
    assert status.last_update_post_date is not None
    assert (status.last_update_post_date.date, status.last_update_post_date.type) == (
        "2020-07-22",
        DateType.ACTUAL,
    )
    assert status.has_expanded_access is False


def test_target_record_arms_and_interventions(stamp: Trial) -> None:
    # The July-2020 record calls both arms Experimental (the later v2 record differs).
    assert [(a.label, a.type) for a in stamp.arms] == [
        ("Tacrolimus(Group A)", ArmGroupType.EXPERIMENTAL),
        ("Mycophenolate Mofetil(Group B)", ArmGroupType.EXPERIMENTAL),
    ]
    assert [a.intervention_names for a in stamp.arms] == [
        ["Drug: Tacrolimus"],
        ["Drug: Mycophenolate Mofetil"],
    ]
    tacrolimus = stamp.interventions[0]
    assert (tacrolimus.type, tacrolimus.name) == (InterventionType.DRUG, "Tacrolimus")
    assert tacrolimus.other_names == ["Tacrolimus capsules（CYONSE®）"]
    assert tacrolimus.arm_labels == ["Tacrolimus(Group A)"]
    assert tacrolimus.description is not None and "trough" not in tacrolimus.description
    assert "is < 5ng/ml" in tacrolimus.description  # &lt; decoded


def test_target_record_eligibility(stamp: Trial) -> None:
    e = stamp.eligibility
    assert e.minimum_age is not None and e.maximum_age is not None
    assert (e.minimum_age.value, e.minimum_age.unit, e.minimum_age.text) == (2, AgeUnit.YEARS, "2 Years")
    assert e.maximum_age.text == "18 Years"
    assert e.sex is Sex.ALL
    assert e.healthy_volunteers is False
    assert e.std_ages == [StandardAge.CHILD, StandardAge.ADULT]
    assert len(e.inclusion) == 5 and len(e.exclusion) == 13
    assert e.inclusion[0] == "Sensitive but frequent relapses or steroids dependence nephrotic syndrome"
    # A criterion hard-wrapped over two lines comes out whole, on one line.
    assert e.inclusion[3] == (
        "Morning urine protein <1+ or urine protein-creatinine ratio <0.2g/g (<20 mg/mmol) for 3 consecutive "
        "days and above when in enroll"
    )
    assert e.exclusion[0] == "steroids-resistant nephrotic syndrome"
    assert e.exclusion[-1] == "Those who was not suitable for participating this study judged by investigator"
    assert e.criteria_text is not None
    assert e.criteria_text.startswith(
        "Inclusion Criteria:\n\n* Sensitive but frequent relapses or steroids dependence nephrotic syndrome\n"
        "* Age: 2"
    )
    assert "\n\nExclusion Criteria:\n\n* steroids-resistant nephrotic syndrome\n" in e.criteria_text
    assert "  " not in e.criteria_text.replace("\n", "")


def test_target_record_people_and_places(stamp: Trial) -> None:
    assert stamp.lead_sponsor is not None
    assert stamp.lead_sponsor.name == "The Children's Hospital of Zhejiang University School of Medicine"
    assert stamp.lead_sponsor.agency_class is AgencyClass.OTHER
    assert (
        len(stamp.collaborators) == 7
        and stamp.collaborators[-1].name == "Second Xiangya Hospital of Central South University"
    )
    assert stamp.organization is not None and stamp.organization.agency_class is AgencyClass.OTHER
    assert [(o.name, o.role) for o in stamp.officials] == [("Jianhua Mao, MD", OfficialRole.STUDY_CHAIR)]
    [contact] = stamp.central_contacts
    assert (contact.name, contact.role, contact.phone, contact.email) == (
        "Jianhua Mao, MD",
        ContactRole.CONTACT,
        "0571-87061007",
        "maojh88@126.com",
    )
    assert stamp.responsible_party is not None
    assert stamp.responsible_party.type is ResponsiblePartyType.PRINCIPAL_INVESTIGATOR
    assert stamp.responsible_party.investigator_full_name == "Mao Jianhua"
    # The file lists nine sites (all in China): two not yet recruiting, seven recruiting.
    assert len(stamp.locations) == 9
    assert stamp.countries == ["China"]
    assert collections.Counter(loc.status for loc in stamp.locations) == {
        OverallStatus.RECRUITING: 7,
        OverallStatus.NOT_YET_RECRUITING: 2,
    }
    first, last = stamp.locations[0], stamp.locations[-1]
    assert (first.facility, first.city, first.state, first.zip) == (
        "Peking University First Hospital",
        "Beijing",
        "Beijing",
        "100032",
    )
    assert [(c.name, c.role) for c in last.contacts] == [
        ("Jianhua Mao, MD", ContactRole.CONTACT),
        ("Jianhua Mao, MD", ContactRole.PRINCIPAL_INVESTIGATOR),
        ("Jingjing Wang", ContactRole.SUB_INVESTIGATOR),
    ]


def test_target_record_references_outcomes_and_sharing(stamp: Trial) -> None:
    assert len(stamp.references) == 12
    assert all(r.type is ReferenceType.RESULT and r.pmid for r in stamp.references)
    assert (stamp.references[0].pmid, stamp.references[0].doi) == ("23343906", "10.1159/000346256")
    assert stamp.references[10].doi == "10.1681/ASN.2012121200"
    assert stamp.references[1].doi is None
    assert [o.kind for o in stamp.outcomes].count(OutcomeKind.SECONDARY) == 8
    assert stamp.outcomes[0].measure == "1-year relapse-free survival rate"
    assert stamp.outcomes[0].time_frame == "1-year period after randomization"
    assert stamp.oversight is not None and stamp.oversight.is_fda_regulated_drug is False
    assert stamp.oversight.has_dmc is None
    assert stamp.ipd_sharing is not None and stamp.ipd_sharing.ipd_sharing is IpdSharing.NO
    assert stamp.brief_summary is not None and "\n" not in stamp.brief_summary
    assert stamp.brief_summary.startswith(
        "Primary nephrotic syndrome accounts for approximately 90% of the total number"
    )


def test_target_record_provenance(stamp: Trial, target_trials: Path) -> None:
    [source] = stamp.sources
    path = str(target_trials / "NCT04048161.xml")
    assert source.id == f"ctgov-xml:{path}#NCT04048161"
    assert (source.format, source.location) == (SourceFormat.CTGOV_XML, path)
    assert source.record_date == dt.date(2020, 7, 22)
    assert source.raw == (target_trials / "NCT04048161.xml").read_text(encoding="utf-8")
    assert source.warnings == []
    assert source.unread_fields == ["last_update_submitted_qc"]
    assert stamp.field_sources["eligibility.criteria_text"] == source.id  # stamped by read_path


def test_all_target_trials_read_cleanly(target_trials: Path) -> None:
    results = list(read_path(target_trials))
    assert errors_of(results) == []
    by_id = {t.nct_id or "": t for t in trials_of(results)}
    assert sorted(by_id) == ["NCT00371319", "NCT00876616", "NCT03200002", "NCT03580291", "NCT04048161"]
    msc = by_id["NCT03580291"]
    assert msc.design.masking is Masking.DOUBLE
    assert msc.design.who_masked == [WhoMasked.PARTICIPANT, WhoMasked.INVESTIGATOR]
    assert [a.type for a in msc.arms] == [ArmGroupType.EXPERIMENTAL, ArmGroupType.ACTIVE_COMPARATOR]
    assert msc.arms[0].intervention_names == [
        "Other: Mesenchymal stem cells",
        "Drug: Placebo of Mycophenolate Mofetil",
    ]
    # Nested numbered lists: a parent ending in ":" heads its children.
    multitarget = by_id["NCT00876616"].eligibility
    assert "History of present illness: drug or drinking abuse" in multitarget.exclusion
    assert "History of present illness:" not in multitarget.exclusion
    assert multitarget.exclusion[-1] == "Patient who participate of any other investigational drug study."
    assert len(multitarget.inclusion) == 8


# --- the whole 2023 sample ------------------------------------------------------------------------


@pytest.mark.slow
def test_whole_legacy_tarball(shared_data: Path) -> None:
    path = shared_data / "ctgov_legacy_xml_2023" / "ctgov_legacy_xml_feb2023.tar.gz"
    count = 0
    ids: set[str] = set()
    types: collections.Counter[StudyType | None] = collections.Counter()
    unread: collections.Counter[str] = collections.Counter()
    with_results = with_criteria = registries = 0
    warnings: list[str] = []
    for result in read_path(path):
        assert not isinstance(result, RecordError), str(result)
        count += 1
        assert result.nct_id is not None
        ids.add(result.nct_id)
        types[result.design.study_type] += 1
        with_results += bool(result.has_results)
        with_criteria += bool(result.eligibility.inclusion or result.eligibility.exclusion)
        registries += bool(result.design.patient_registry)
        [source] = result.sources
        assert source.location.startswith(f"{path}!NCT00") and source.record_date is not None
        unread.update(source.unread_fields)
        warnings += source.warnings
        if count % 500 == 0:  # the dicts the reader builds must be exactly what the model holds
            assert Trial.model_validate(result.model_dump()) == result
    assert count == len(ids) == 6786
    assert types == {
        StudyType.INTERVENTIONAL: 5366,
        StudyType.OBSERVATIONAL: 1417,
        StudyType.EXPANDED_ACCESS: 3,
    }
    assert registries == 2
    assert with_results == 440
    assert with_criteria >= 6700
    assert warnings == []  # every legacy spelling in the sample is a known one
    assert set(unread) <= {
        "last_update_submitted_qc", "results_first_submitted_qc", "removed_countries", "pending_results",
        "disposition_first_posted", "disposition_first_submitted", "disposition_first_submitted_qc",
    }  # fmt: skip


# --- every element, legacy spellings ------------------------------------------------------------

FULL_RECORD = """<clinical_study>
  <!-- This xml conforms to an XML Schema at: https://clinicaltrials.gov/ct2/html/images/info/public.xsd -->
  <required_header><download_date>processed</download_date></required_header>
  <id_info>
    <org_study_id>ORG-7</org_study_id>
    <secondary_id>R01 AB 123</secondary_id>
    <secondary_id>2010-001234-56</secondary_id>
    <nct_id>NCT01234567</nct_id>
    <nct_alias>NCT00999999</nct_alias>
  </id_info>
  <brief_title>Every element</brief_title>
  <acronym>EVERY</acronym>
  <official_title>A study that has every element</official_title>
  <sponsors>
    <lead_sponsor>
      <agency>National Heart Institute</agency><agency_class>U.S. Fed</agency_class>
    </lead_sponsor>
    <collaborator><agency>Pharma Inc</agency><agency_class>Industry</agency_class></collaborator>
    <collaborator><agency>NIAID</agency><agency_class>NIH</agency_class></collaborator>
    <collaborator><agency>Dr. Smith</agency><agency_class>Individual</agency_class></collaborator>
    <collaborator><agency>A University</agency><agency_class>Other</agency_class></collaborator>
  </sponsors>
  <source>National Heart Institute</source>
  <oversight_info>
    <has_dmc>Yes</has_dmc><is_fda_regulated_drug>Yes</is_fda_regulated_drug>
    <is_fda_regulated_device>No</is_fda_regulated_device><is_unapproved_device>No</is_unapproved_device>
    <is_ppsd>No</is_ppsd><is_us_export>Yes</is_us_export>
  </oversight_info>
  <brief_summary>
    <textblock>
      First paragraph.

      Second paragraph.
    </textblock>
  </brief_summary>
  <detailed_description><textblock>Details.</textblock></detailed_description>
  <overall_status>Unknown status</overall_status>
  <last_known_status>Active, not recruiting</last_known_status>
  <why_stopped>Funding ended</why_stopped>
  <start_date type="Anticipated">March 2011</start_date>
  <completion_date>June 30, 2014</completion_date>
  <primary_completion_date type="Actual">2013-12</primary_completion_date>
  <phase>Phase 1/Phase 2</phase>
  <study_type>Observational [Patient Registry]</study_type>
  <has_expanded_access>Yes</has_expanded_access>
  <study_design_info>
    <allocation>Non-Randomized</allocation>
    <intervention_model>Crossover Assignment</intervention_model>
    <intervention_model_description>Two periods</intervention_model_description>
    <primary_purpose>Educational/Counseling/Training</primary_purpose>
    <masking>Triple (Participant, Care Provider, Outcomes Assessor)</masking>
    <masking_description>Sealed envelopes</masking_description>
    <observational_model>Case-Control</observational_model>
    <time_perspective>Cross-Sectional</time_perspective>
  </study_design_info>
  <target_duration>5 Years</target_duration>
  <primary_outcome>
    <measure>Death</measure><time_frame>1 year</time_frame><description>Any cause</description>
  </primary_outcome>
  <secondary_outcome><measure>Stroke</measure></secondary_outcome>
  <other_outcome><measure>Cost</measure><time_frame>2 years</time_frame></other_outcome>
  <number_of_arms>3</number_of_arms>
  <enrollment type="Actual">42</enrollment>
  <condition>Heart Failure</condition>
  <condition>Stroke</condition>
  <arm_group><arm_group_label>Active  arm</arm_group_label><arm_group_type>Active Comparator</arm_group_type>
    <description>Gets drug</description></arm_group>
  <arm_group>
    <arm_group_label>Placebo</arm_group_label><arm_group_type>Placebo Comparator</arm_group_type>
  </arm_group>
  <arm_group>
    <arm_group_label>Control</arm_group_label><arm_group_type>No Intervention</arm_group_type>
  </arm_group>
  <intervention>
    <intervention_type>Dietary Supplement</intervention_type>
    <intervention_name>Vitamin D</intervention_name>
    <description>Daily</description>
    <arm_group_label>Active arm</arm_group_label>
    <arm_group_label>Placebo</arm_group_label>
    <other_name>Cholecalciferol</other_name>
    <other_name>D3</other_name>
  </intervention>
  <intervention><intervention_type>Drug</intervention_type><intervention_name>Sugar pill</intervention_name>
    <arm_group_label>placebo</arm_group_label></intervention>
  <biospec_retention>Samples With DNA</biospec_retention>
  <biospec_descr><textblock>Blood</textblock></biospec_descr>
  <eligibility>
    <study_pop><textblock>Adults in one city</textblock></study_pop>
    <sampling_method>Non-Probability Sample</sampling_method>
    <criteria><textblock>
        Inclusion Criteria:

          -  Adult
      </textblock></criteria>
    <gender>Both</gender>
    <gender_based>Yes</gender_based>
    <gender_description>Self-reported</gender_description>
    <minimum_age>6 Months</minimum_age>
    <maximum_age>N/A</maximum_age>
    <healthy_volunteers>Accepts Healthy Volunteers</healthy_volunteers>
  </eligibility>
  <overall_official><last_name>Ann Lee, MD</last_name><role>Principal Investigator</role>
    <affiliation>Big Hospital</affiliation></overall_official>
  <overall_contact><last_name>Bob Roe</last_name><phone>555-0100</phone><phone_ext>12</phone_ext>
    <email>bob@example.org</email></overall_contact>
  <overall_contact_backup><last_name>Cy Poe</last_name><email>cy@example.org</email></overall_contact_backup>
  <location>
    <facility><name>Big Hospital</name>
      <address>
        <city>Boston</city><state>Massachusetts</state><zip>02115</zip><country>United States</country>
      </address>
    </facility>
    <status>Recruiting</status>
    <contact><first_name>Dee</first_name><last_name>Doe</last_name><degrees>RN</degrees></contact>
    <contact_backup><last_name>Eve Ames</last_name></contact_backup>
    <investigator><last_name>Ann Lee, MD</last_name><role>Principal Investigator</role></investigator>
  </location>
  <location_countries><country>United States</country></location_countries>
  <removed_countries><country>Canada</country></removed_countries>
  <link><url>https://example.org/study</url><description>Study site</description></link>
  <reference>
    <citation>Roe B. A paper. J Med. 2010;1:2. doi: 10.1000/xyz123.</citation><PMID>111</PMID>
  </reference>
  <results_reference><citation>Lee A. Results. Lancet. 2015.</citation><PMID>222</PMID></results_reference>
  <verification_date>May 2016</verification_date>
  <study_first_submitted>January 5, 2011</study_first_submitted>
  <study_first_submitted_qc>January 6, 2011</study_first_submitted_qc>
  <study_first_posted type="Estimate">January 7, 2011</study_first_posted>
  <results_first_submitted>February 1, 2015</results_first_submitted>
  <results_first_posted type="Actual">March 2, 2015</results_first_posted>
  <last_update_submitted>May 1, 2016</last_update_submitted>
  <last_update_posted type="Estimate">May 3, 2016</last_update_posted>
  <responsible_party>
    <name_title>Ann Lee</name_title><organization>Big Hospital</organization>
  </responsible_party>
  <keyword>heart</keyword>
  <condition_browse><mesh_term>Heart Failure</mesh_term></condition_browse>
  <intervention_browse>
    <mesh_term>Vitamin D</mesh_term><mesh_term>Cholecalciferol</mesh_term>
  </intervention_browse>
  <patient_data>
    <sharing_ipd>Yes</sharing_ipd><ipd_description>All of it</ipd_description>
    <ipd_info_type>Study Protocol</ipd_info_type>
    <ipd_info_type>Statistical Analysis Plan (SAP)</ipd_info_type>
    <ipd_time_frame>After publication</ipd_time_frame><ipd_access_criteria>Ask</ipd_access_criteria>
    <ipd_url>https://example.org/ipd</ipd_url>
  </patient_data>
  <study_docs><study_doc><doc_id>D1</doc_id><doc_type>Study Protocol</doc_type><doc_url>https://example.org/p</doc_url>
    <doc_comment>v2</doc_comment></study_doc></study_docs>
  <provided_document_section><provided_document>
    <document_type>Study Protocol and Statistical Analysis Plan</document_type>
    <document_has_protocol>Yes</document_has_protocol><document_has_icf>No</document_has_icf>
    <document_has_sap>Yes</document_has_sap><document_date>December 11, 2018</document_date>
    <document_url>https://ClinicalTrials.gov/ProvidedDocs/67/NCT01234567/Prot_SAP_000.pdf</document_url>
  </provided_document></provided_document_section>
  <pending_results><submitted>June 2016</submitted></pending_results>
  <clinical_results><baseline/></clinical_results>
</clinical_study>
"""


@pytest.fixture(scope="module")
def full() -> Trial:
    [trial] = read_bytes(FULL_RECORD.encode(), "full.xml")
    assert isinstance(trial, Trial)
    return trial


def test_ids_titles_and_sponsor_classes(full: Trial) -> None:
    assert (full.nct_id, full.org_study_id, full.acronym) == ("NCT01234567", "ORG-7", "EVERY")
    assert [s.id for s in full.secondary_ids] == ["R01 AB 123", "2010-001234-56"]
    assert full.nct_id_aliases == ["NCT00999999"]
    assert full.official_title == "A study that has every element"
    assert full.lead_sponsor is not None and full.lead_sponsor.agency_class is AgencyClass.FED
    assert [c.agency_class for c in full.collaborators] == [
        AgencyClass.INDUSTRY, AgencyClass.NIH, AgencyClass.INDIV, AgencyClass.OTHER
    ]  # fmt: skip
    assert full.organization is not None
    assert (full.organization.name, full.organization.agency_class) == (
        "National Heart Institute",
        AgencyClass.FED,
    )
    oversight = full.oversight
    assert oversight is not None
    assert (oversight.has_dmc, oversight.is_fda_regulated_drug, oversight.is_us_export) == (True, True, True)
    assert (oversight.is_fda_regulated_device, oversight.is_unapproved_device, oversight.is_ppsd) == (
        False, False, False
    )  # fmt: skip
    assert full.brief_summary == "First paragraph.\n\nSecond paragraph."
    assert full.detailed_description == "Details."


def test_status_and_dates(full: Trial) -> None:
    s = full.status
    assert (s.overall_status, s.last_known_status) == (
        OverallStatus.UNKNOWN,
        OverallStatus.ACTIVE_NOT_RECRUITING,
    )
    assert s.why_stopped == "Funding ended"
    assert s.start_date is not None and (s.start_date.date, s.start_date.type) == (
        "2011-03",
        DateType.ESTIMATED,
    )
    assert s.completion_date is not None and (s.completion_date.date, s.completion_date.type) == (
        "2014-06-30",
        None,
    )
    assert s.primary_completion_date is not None and s.primary_completion_date.date == "2013-12"
    assert s.study_first_post_date is not None and s.study_first_post_date.type is DateType.ESTIMATED
    assert s.results_first_submit_date == "2015-02-01"
    assert s.results_first_post_date is not None and s.results_first_post_date.date == "2015-03-02"
    assert s.status_verified_date == "2016-05"
    assert s.has_expanded_access is True
    assert full.sources[0].record_date == dt.date(2016, 5, 3)
    assert full.has_results is True


def test_design_spellings(full: Trial) -> None:
    d = full.design
    assert d.phases == [Phase.PHASE1, Phase.PHASE2]
    assert (d.study_type, d.patient_registry) == (StudyType.OBSERVATIONAL, True)
    assert d.allocation is Allocation.NON_RANDOMIZED
    assert d.intervention_model is InterventionModel.CROSSOVER
    assert d.intervention_model_description == "Two periods"
    assert d.primary_purpose is PrimaryPurpose.OTHER
    assert d.masking is Masking.TRIPLE
    assert d.who_masked == [WhoMasked.PARTICIPANT, WhoMasked.CARE_PROVIDER, WhoMasked.OUTCOMES_ASSESSOR]
    assert d.masking_description == "Sealed envelopes"
    assert (d.observational_model, d.time_perspective) == (
        ObservationalModel.CASE_CONTROL,
        TimePerspective.CROSS_SECTIONAL,
    )
    assert d.target_duration == "5 Years"
    assert (d.bio_spec_retention, d.bio_spec_description) == (BioSpecRetention.SAMPLES_WITH_DNA, "Blood")
    assert d.enrollment is not None and (d.enrollment.count, d.enrollment.type) == (42, DateType.ACTUAL)


def test_arms_interventions_and_outcomes(full: Trial) -> None:
    assert [a.type for a in full.arms] == [
        ArmGroupType.ACTIVE_COMPARATOR, ArmGroupType.PLACEBO_COMPARATOR, ArmGroupType.NO_INTERVENTION
    ]  # fmt: skip
    # Labels match across spacing and case, and v2 spells the names "<type display>: <name>".
    assert [a.intervention_names for a in full.arms] == [
        ["Dietary Supplement: Vitamin D"],
        ["Dietary Supplement: Vitamin D", "Drug: Sugar pill"],
        [],
    ]
    vitamin = full.interventions[0]
    assert vitamin.type is InterventionType.DIETARY_SUPPLEMENT
    assert (vitamin.other_names, vitamin.arm_labels) == (["Cholecalciferol", "D3"], ["Active arm", "Placebo"])
    assert [(o.kind, o.measure) for o in full.outcomes] == [
        (OutcomeKind.PRIMARY, "Death"), (OutcomeKind.SECONDARY, "Stroke"), (OutcomeKind.OTHER, "Cost")
    ]  # fmt: skip
    assert (full.outcomes[0].description, full.outcomes[0].time_frame) == ("Any cause", "1 year")


def test_eligibility_spellings(full: Trial) -> None:
    e = full.eligibility
    assert e.sex is Sex.ALL  # legacy "Both"
    assert (e.gender_based, e.gender_description) == (True, "Self-reported")
    assert e.minimum_age is not None and (e.minimum_age.value, e.minimum_age.unit) == (6, AgeUnit.MONTHS)
    assert e.maximum_age is None  # "N/A"
    assert e.healthy_volunteers is True
    assert e.std_ages == [StandardAge.CHILD, StandardAge.ADULT, StandardAge.OLDER_ADULT]
    assert (e.study_population, e.sampling_method) == (
        "Adults in one city",
        SamplingMethod.NON_PROBABILITY_SAMPLE,
    )
    assert (e.inclusion, e.exclusion) == (["Adult"], [])


def test_contacts_locations_and_documents(full: Trial) -> None:
    assert [(o.name, o.role, o.affiliation) for o in full.officials] == [
        ("Ann Lee, MD", OfficialRole.PRINCIPAL_INVESTIGATOR, "Big Hospital")
    ]
    assert [(c.name, c.role, c.phone_ext) for c in full.central_contacts] == [
        ("Bob Roe", ContactRole.CONTACT, "12"), ("Cy Poe", ContactRole.CONTACT, None)
    ]  # fmt: skip
    [site] = full.locations
    assert (site.facility, site.city, site.state, site.zip, site.country, site.status) == (
        "Big Hospital", "Boston", "Massachusetts", "02115", "United States", OverallStatus.RECRUITING
    )  # fmt: skip
    assert [(c.name, c.role) for c in site.contacts] == [
        ("Dee Doe, RN", ContactRole.CONTACT),
        ("Eve Ames", ContactRole.CONTACT),
        ("Ann Lee, MD", ContactRole.PRINCIPAL_INVESTIGATOR),
    ]
    assert [(r.type, r.pmid, r.doi) for r in full.references] == [
        (ReferenceType.BACKGROUND, "111", "10.1000/xyz123"), (ReferenceType.RESULT, "222", None)
    ]  # fmt: skip
    assert [(link.url, link.label) for link in full.see_also_links] == [
        ("https://example.org/study", "Study site")
    ]
    assert full.responsible_party is not None
    assert (full.responsible_party.old_name_title, full.responsible_party.old_organization) == (
        "Ann Lee",
        "Big Hospital",
    )
    [doc] = full.provided_documents
    assert (doc.type_abbrev, doc.label, doc.has_protocol, doc.has_sap, doc.has_icf) == (
        "Prot_SAP", "Study Protocol and Statistical Analysis Plan", True, True, False
    )  # fmt: skip
    assert (doc.date, doc.filename) == ("2018-12-11", "Prot_SAP_000.pdf")
    [ipd] = full.available_ipds
    assert (ipd.id, ipd.type, ipd.url, ipd.comment) == ("D1", "Study Protocol", "https://example.org/p", "v2")
    sharing = full.ipd_sharing
    assert sharing is not None and sharing.ipd_sharing is IpdSharing.YES
    assert sharing.info_types == [IpdInfoType.STUDY_PROTOCOL, IpdInfoType.SAP]
    assert (sharing.time_frame, sharing.access_criteria, sharing.url) == (
        "After publication",
        "Ask",
        "https://example.org/ipd",
    )
    assert [m.term for m in full.intervention_mesh] == ["Vitamin D", "Cholecalciferol"]


def test_unmapped_elements_and_unknown_spellings_are_reported(full: Trial) -> None:
    assert full.sources[0].unread_fields == ["pending_results", "removed_countries"]
    assert full.sources[0].warnings == []
    odd = record(body="<overall_status>Sort of going</overall_status><start_date>Someday</start_date>\n")
    [trial] = read_bytes(odd.encode())
    assert isinstance(trial, Trial)
    assert trial.status.overall_status is None and trial.status.start_date is None
    assert trial.sources[0].warnings == [
        "overall_status: unknown value 'Sort of going'",
        "start_date: unreadable date 'Someday'",
    ]


# --- textblocks and criteria ----------------------------------------------------------------------


def test_reflow_dedents_joins_wraps_and_keeps_list_lines() -> None:
    text = (
        "\n      This study tests the effectiveness of different treatments for the three most commonly\n"
        "      diagnosed lumbar spine conditions.\n\n"
        "      Second paragraph.\n\n"
        "        -  first item\n\n"
        "        -  second item that wraps onto a hanging line\n"
        "           continued here\n"
    )
    assert reflow_textblock(text) == (
        "This study tests the effectiveness of different treatments for the three most commonly diagnosed "
        "lumbar spine conditions.\n\nSecond paragraph.\n\n* first item\n* second item that wraps onto a "
        "hanging line continued here"
    )


def test_reflow_treats_a_marker_after_a_full_line_as_a_wrap() -> None:
    # A real line (NCT00000801): "1." did not fit on it, so the break before it is a wrap.
    full_line = (
        "      G-CSF. Cyclophosphamide, doxorubicin, and vincristine are administered intravenously on day"
    )
    assert len(full_line) + len(" 1.") == 100
    text = f"{full_line}\n      1. Dexamethasone is administered on day 1.\n"
    assert reflow_textblock(text) == full_line.strip() + " 1. Dexamethasone is administered on day 1."
    # After a short line the same marker starts a list item.
    assert (
        reflow_textblock("Criteria:\n1. Dexamethasone\n2) Other") == "Criteria:\n\n1. Dexamethasone\n2) Other"
    )


def test_reflow_keeps_nesting_and_crlf() -> None:
    text = "Main:\r\n\r\n  -  parent:\r\n\r\n       -  child one\r\n\r\n       -  child two\r\n\r\n"
    text += "  -  sibling\r\n"
    assert reflow_textblock(text) == "Main:\n\n* parent:\n  * child one\n  * child two\n* sibling"


def test_criteria_headings_in_any_case_and_inline() -> None:
    inclusion, exclusion = criteria(
        "INCLUSION CRITERIA:\n\n- Age 18 or more\n\nkey exclusion criteria\n\n* Pregnancy\n\n"
        "Inclusion Criteria: signed consent\n\nExclusion criteria for healthy volunteers: smoking"
    )
    assert inclusion == ["Age 18 or more", "signed consent"]
    # The heading's qualifier says whom its criterion is for: smoking excludes healthy volunteers only.
    assert exclusion == ["Pregnancy", "For healthy volunteers: smoking"]


def test_criteria_markers_and_wrapped_items() -> None:
    inclusion, exclusion = criteria(
        "Inclusion Criteria:\n"
        "  - dash item\n  * star item\n  • dot item\n  1. numbered\n  2) parenthesised\n  a. lettered\n"
        "  - long item that was\n    hard-wrapped here\n"
        "Exclusion Criteria:\n  (1) first\n  (2) second\n"
    )
    assert inclusion == [
        "dash item", "star item", "dot item", "numbered", "parenthesised", "lettered",
        "long item that was hard-wrapped here",
    ]  # fmt: skip
    assert exclusion == ["first", "second"]


def test_criteria_topics_and_polarity_subheadings() -> None:
    inclusion, exclusion = criteria(
        "DISEASE CHARACTERISTICS:\n\n  -  Small cell lung cancer\n\nPATIENT CHARACTERISTICS:\n\nAge:\n\n"
        "  -  18 and over\n\nPatients with the following are excluded:\n\n  -  Active infection\n\n"
        "Other active diseases, such as:\n\nNote:\n\nAny stage allowed\n"
    )
    assert inclusion == [
        "DISEASE CHARACTERISTICS: Small cell lung cancer",
        "Age: 18 and over",
        "Note: Any stage allowed",
    ]
    assert exclusion == ["Age: Active infection"]


def test_criteria_nested_items_under_a_colon_parent_are_prefixed() -> None:
    inclusion, exclusion = criteria(
        "Exclusion Criteria:\n\n  1. Prior illness:\n\n       1. hepatitis B\n\n       2. tuberculosis\n\n"
        "  2. Diabetes\n\n       1. with sub-note\n"
    )
    assert inclusion == []
    assert exclusion == [
        "Prior illness: hepatitis B",
        "Prior illness: tuberculosis",
        "Diabetes",
        "with sub-note",
    ]


def test_criteria_without_headings_count_as_inclusion() -> None:
    assert criteria("Patients must be 18.\n\nPatients must consent.") == (
        ["Patients must be 18.", "Patients must consent."],
        [],
    )
    assert criteria("") == ([], [])


# --- sniffing, containers, wrappers ---------------------------------------------------------------


def test_sniff_is_sure_of_clinical_study_only() -> None:
    assert READER.sniff(b'<?xml version="1.0"?>\n<clinical_study>', "x.xml") >= 0.9
    assert READER.sniff(b"\xef\xbb\xbf<search_results><clinical_study>", "x.xml") >= 0.9
    assert READER.sniff(b"<rss><channel/></rss>", "feed.xml") < 0.3
    assert READER.sniff(b'{"protocolSection": {}}', "x.json") == 0.0
    reader, confidence = detect_reader(Blob.from_bytes("a.xml", record().encode()))
    assert reader is not None and reader.name == "ctgov-xml" and confidence >= 0.9


def test_wrapper_with_several_records(tmp_path: Path) -> None:
    path = tmp_path / "search.xml"
    path.write_bytes(wrapper(record("NCT00000001"), record("NCT00000002", "Second"), record("NCT00000003")))
    results = list(read_path(path))
    assert errors_of(results) == []
    trials = trials_of(results)
    assert [t.nct_id for t in trials] == ["NCT00000001", "NCT00000002", "NCT00000003"]
    assert trials[1].sources[0].id == f"ctgov-xml:{path}#NCT00000002"
    raw = trials[1].sources[0].raw
    assert (
        raw is not None and raw.startswith("<clinical_study>") and "<brief_title>Second</brief_title>" in raw
    )
    assert "NCT00000001" not in raw and "search_results" not in raw
    other = read_bytes(wrapper(record("NCT00000004"), root="clinical_studies"))
    assert [t.nct_id for t in trials_of(other)] == ["NCT00000004"]


def test_zip_member_location(tmp_path: Path) -> None:
    archive = tmp_path / "batch.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("NCT0000xxxx/NCT00000007.xml", record("NCT00000007"))
    [trial] = list(read_path(archive))
    assert isinstance(trial, Trial)
    assert trial.sources[0].location == f"{archive}!NCT0000xxxx/NCT00000007.xml"
    assert trial.sources[0].id.endswith("batch.zip!NCT0000xxxx/NCT00000007.xml#NCT00000007")


@pytest.mark.slow
def test_large_wrapper_streams_in_flat_memory(tmp_path: Path) -> None:
    padding = "word " * 800  # ~4 KB of text a record
    body = f"<detailed_description><textblock>{padding}</textblock></detailed_description>\n"
    path = tmp_path / "big.xml"
    with open(path, "wb") as out:
        out.write(b"<search_results>\n")
        for index in range(20_000):
            out.write(record(f"NCT{index:08d}", body=body).encode())
        out.write(b"</search_results>\n")
    assert path.stat().st_size > 80_000_000
    process = psutil.Process(os.getpid())
    before = process.memory_info().rss
    peak = before
    count = 0
    for result in read_path(path):
        assert isinstance(result, Trial)
        count += 1
        if count % 1000 == 0:
            peak = max(peak, process.memory_info().rss)
    assert count == 20_000
    # The tree of an 80 MB file would take several times that; streamed, the reader stays small.
    assert peak - before < 60_000_000


# --- bad input --------------------------------------------------------------------------------------


def test_malformed_xml_reports_the_line() -> None:
    data = record(body="  <overall_status>Recruiting</overall_stat>\n").encode()
    [error] = read_bytes(data, "bad.xml")
    assert isinstance(error, RecordError)
    assert error.location == "bad.xml"
    assert error.reason.startswith("malformed XML at line 4:") and "mismatch" in error.reason
    assert "\n" not in error.reason


def test_truncated_file() -> None:
    data = record().encode()[:-25]
    [error] = read_bytes(data, "cut.xml")
    assert isinstance(error, RecordError) and error.reason.startswith("malformed XML at line")


def test_malformed_record_in_a_wrapper_costs_only_that_record() -> None:
    data = wrapper(record("NCT00000001"), record("NCT00000002", "x</brief_titl>"), record("NCT00000003"))
    results = read_bytes(data, "batch.xml")
    assert [t.nct_id for t in trials_of(results)] == ["NCT00000001", "NCT00000003"]
    [error] = errors_of(results)
    assert error.location == "batch.xml#record 2"
    assert error.reason.startswith("malformed XML at line 9:")  # record 2's <brief_title> line


def test_compressed_wrapper_resumes_after_a_bad_record(tmp_path: Path) -> None:
    path = tmp_path / "batch.xml.gz"
    data = wrapper(record("NCT00000001"), record("NCT00000002", "<b>bold</i>"), record("NCT00000003"))
    path.write_bytes(gzip.compress(data))
    results = list(read_path(path))
    assert [t.nct_id for t in trials_of(results)] == ["NCT00000001", "NCT00000003"]
    # Errors and sources name the file as it is on disk, suffix included.
    assert [e.location for e in errors_of(results)] == [f"{tmp_path / 'batch.xml.gz'}#record 2"]
    assert trials_of(results)[1].sources[0].location == str(tmp_path / "batch.xml.gz")


def test_truncated_wrapper_keeps_the_records_before_the_cut() -> None:
    data = wrapper(record("NCT00000001"), record("NCT00000002"))[:-60]
    results = read_bytes(data, "cut.xml")
    assert [t.nct_id for t in trials_of(results)] == ["NCT00000001"]
    assert [e.location for e in errors_of(results)] == ["cut.xml#record 2"]


def test_bad_utf8_bytes() -> None:
    data = record(title="caf\udcc3(").encode("utf-8", "surrogateescape")
    [error] = read_bytes(data, "latin.xml")
    assert isinstance(error, RecordError) and "not valid UTF-8" in error.reason
    wrapped = wrapper(record("NCT00000001"), record("NCT00000002", "caf\udcc3("), record("NCT00000003"))
    results = read_bytes(wrapped)
    assert [t.nct_id for t in trials_of(results)] == ["NCT00000001", "NCT00000003"]
    assert "not valid UTF-8" in errors_of(results)[0].reason


@pytest.fixture()
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text("TOP-SECRET-7f3a9c")
    return path


def test_external_entity_is_never_expanded(secret_file: Path) -> None:
    prolog = f'<!DOCTYPE search_results [<!ENTITY xxe SYSTEM "file://{secret_file}">]>\n'
    data = wrapper(
        record("NCT00000001"), record("NCT00000002", "&xxe;"), record("NCT00000003"), prolog=prolog
    )
    results = read_bytes(data, "xxe.xml")
    assert [t.nct_id for t in trials_of(results)] == ["NCT00000001", "NCT00000003"]
    [error] = errors_of(results)
    assert error.location == "xxe.xml#NCT00000002" and "&xxe;" in error.reason
    everything = repr(results) + "".join(t.model_dump_json() for t in trials_of(results))
    assert "TOP-SECRET" not in everything
    single = '<!DOCTYPE clinical_study [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n' + record(title="&xxe;")
    results = read_bytes(single.encode())
    assert len(errors_of(results)) == 1 and "root:" not in repr(results)


def test_external_dtd_and_parameter_entities_are_not_loaded(secret_file: Path) -> None:
    for prolog in (
        f'<!DOCTYPE clinical_study SYSTEM "file://{secret_file}">\n',
        f'<!DOCTYPE clinical_study [<!ENTITY % x SYSTEM "file://{secret_file}"> %x;]>\n',
    ):
        results = read_bytes((prolog + record()).encode())
        assert [t.nct_id for t in trials_of(results)] == ["NCT00000001"]
        assert "TOP-SECRET" not in repr(results) + trials_of(results)[0].model_dump_json()


def test_billion_laughs_finishes_fast_in_little_memory() -> None:
    entities = ['<!ENTITY lol "lol">'] + [
        f'<!ENTITY lol{i} "{(f"&lol{i - 1};" if i > 1 else "&lol;") * 10}">' for i in range(1, 10)
    ]
    prolog = "<!DOCTYPE search_results [\n" + "\n".join(entities) + "\n]>\n"
    data = wrapper(
        record("NCT00000001"), record("NCT00000002", "&lol9;"), record("NCT00000003"), prolog=prolog
    )
    process = psutil.Process(os.getpid())
    before = process.memory_info().rss
    started = time.perf_counter()
    results = read_bytes(data, "lol.xml")
    assert time.perf_counter() - started < 2.0
    assert process.memory_info().rss - before < 50_000_000
    assert [t.nct_id for t in trials_of(results)] == ["NCT00000001", "NCT00000003"]
    [error] = errors_of(results)
    assert error.location == "lol.xml#record 2" and "lollol" not in repr(results)
    single = read_bytes(
        (prolog.replace("search_results", "clinical_study") + record(title="&lol9;")).encode()
    )
    assert len(errors_of(single)) == 1 and trials_of(single) == []


def test_record_without_nct_id() -> None:
    data = wrapper(record(None), record("NCT00000002"))
    results = read_bytes(data, "batch.xml")
    assert [t.nct_id for t in trials_of(results)] == ["NCT00000002"]
    assert errors_of(results) == [RecordError("batch.xml#record 1", "record without an NCT id")]


def test_invalid_nct_id() -> None:
    [error] = read_bytes(record("NCT123").encode(), "odd.xml")
    assert isinstance(error, RecordError)
    assert (error.location, error.reason) == (
        "odd.xml#record 1",
        "invalid NCT id 'NCT123' (expected NCT + 8 digits)",
    )


def test_xml_that_is_not_a_clinical_study(tmp_path: Path) -> None:
    data = b'<?xml version="1.0"?>\n<catalog><book id="1"/></catalog>\n'
    [error] = read_bytes(data, "books.xml")
    assert isinstance(error, RecordError) and error.reason.startswith("not a ClinicalTrials.gov record")
    [empty] = read_bytes(wrapper(), "empty.xml")
    assert isinstance(empty, RecordError) and "<search_results> holds no <clinical_study>" in empty.reason
    path = tmp_path / "books.xml"
    path.write_bytes(data)
    [via_path] = list(read_path(path))
    assert isinstance(via_path, RecordError) and via_path.location == str(path)
