"""The five saved registry pages (layouts A, B, C) read into the trial model, field by field."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from page_renderer import page_as_html
from trialatlas.config import shared_data_dir
from trialatlas.model import (
    AgencyClass,
    Allocation,
    ArmGroupType,
    ContactRole,
    DateType,
    InterventionModel,
    InterventionType,
    Masking,
    OfficialRole,
    OutcomeKind,
    OverallStatus,
    Phase,
    PrimaryPurpose,
    ReferenceType,
    ResponsiblePartyType,
    Sex,
    SourceFormat,
    StudyType,
    Trial,
)
from trialatlas.model.merge import merge_trials
from trialatlas.sources import read_path
from trialatlas.sources.base import Blob, RecordError
from trialatlas.sources.pages import READER, read_page

SEEDS = shared_data_dir().parent / "seeds"


def _seed(prefix: str) -> Path:
    matches = sorted(SEEDS.glob(f"{prefix}_*.txt"))
    assert len(matches) == 1, f"seed {prefix} not found in {SEEDS}"
    return matches[0]


def _read(prefix: str) -> Trial:
    path = _seed(prefix)
    result = read_page(path.read_bytes(), str(path))
    assert isinstance(result, Trial), result
    return result


@pytest.fixture(scope="module")
def seed000() -> Trial:
    return _read("000")


@pytest.fixture(scope="module")
def seed001() -> Trial:
    return _read("001")


@pytest.fixture(scope="module")
def seed002() -> Trial:
    return _read("002")


@pytest.fixture(scope="module")
def seed003() -> Trial:
    return _read("003")


@pytest.fixture(scope="module")
def seed004() -> Trial:
    return _read("004")


@pytest.mark.parametrize(
    ("prefix", "layout", "nct_id"),
    [
        ("000", "A", "NCT05916781"),
        ("001", "A", "NCT04048161"),
        ("002", "B", "NCT03580291"),
        ("003", "A", "NCT05863936"),
        ("004", "C", "NCT05789017"),
    ],
)
def test_every_seed_is_detected_and_carries_its_source(prefix: str, layout: str, nct_id: str) -> None:
    path = _seed(prefix)
    data = path.read_bytes()
    assert READER.sniff(data[:8192], path.name) >= 0.9
    trial = _read(prefix)
    assert trial.nct_id == nct_id
    assert not trial.is_partial
    (source,) = trial.sources
    assert source.format is SourceFormat.REGISTRY_PAGE
    assert source.layout == layout
    assert source.confidence is not None and source.confidence >= 0.9
    assert not source.partial
    assert source.raw == data.decode("utf-8")
    assert source.unread_fields == []
    assert source.location == str(path)


def test_seeds_read_through_read_path_with_provenance() -> None:
    results = list(read_path(SEEDS, reader_name="registry-page"))
    trials = [r for r in results if isinstance(r, Trial)]
    assert len(trials) == 5
    for trial in trials:
        assert set(trial.field_sources.values()) == {trial.sources[0].id}
        assert "locations" in trial.field_sources


def test_seed000_bare_values_are_read_by_their_shape(seed000: Trial) -> None:
    trial = seed000
    assert trial.brief_title == (
        "Effectiveness of Mycophenolate Mofetil Combined With Tacrolimus for Steroid Tapering in Systemic "
        "Lupus Erythematosus"
    )
    assert trial.status.overall_status is OverallStatus.RECRUITING
    assert trial.design.phases == [Phase.PHASE4]
    assert trial.design.enrollment is not None and trial.design.enrollment.count == 220
    assert trial.design.study_type is StudyType.INTERVENTIONAL
    assert trial.status.start_date is not None and trial.status.start_date.date == "2023-07-01"
    assert trial.status.completion_date is not None and trial.status.completion_date.date == "2026-07-31"
    design = trial.design
    assert (design.allocation, design.intervention_model, design.primary_purpose, design.masking) == (
        Allocation.RANDOMIZED,
        InterventionModel.PARALLEL,
        PrimaryPurpose.TREATMENT,
        Masking.NONE,
    )
    assert [arm.label for arm in trial.arms] == ["steroid tapering group", "steroid maintenance group"]
    # "0\~6th month" on the page: the markdown escape comes out as the plain character.
    assert trial.arms[0].description is not None
    assert trial.arms[0].description.startswith("0~6th month: mycophenolate mofetil (1g/d)")
    assert [i.name for i in trial.interventions] == ["Mycophenolate Mofetil", "Tacrolimus", "Glucocorticoid"]
    for item in trial.interventions:
        assert item.arm_labels == ["steroid tapering group", "steroid maintenance group"]
        assert item.description is not None and item.description.count("\n") == 1
    elig = trial.eligibility
    assert elig.minimum_age is not None and elig.minimum_age.years == 18
    assert elig.maximum_age is not None and elig.maximum_age.years == 65
    assert (elig.sex, elig.healthy_volunteers) == (Sex.ALL, False)
    assert len(elig.inclusion) == 2 and len(elig.exclusion) == 6
    assert elig.exclusion[-1].startswith("The researcher considers any condition")
    sponsors = [trial.lead_sponsor, *trial.collaborators]
    assert {s.name for s in sponsors if s} == {
        "Peking Union Medical College Hospital",
        "Chinese SLE Treatment And Research Group",
    }
    assert any("sponsor roles" in w for w in trial.sources[0].warnings)
    # The registry record names the SLE research group the lead sponsor: this layout lists the lead last.
    assert trial.lead_sponsor is not None
    assert trial.lead_sponsor.name == "Chinese SLE Treatment And Research Group"
    assert [c.name for c in trial.collaborators] == ["Peking Union Medical College Hospital"]
    (official,) = trial.officials
    assert (official.name, official.role, official.affiliation) == (
        "Mengtao Li, MD",
        OfficialRole.STUDY_CHAIR,
        "Peking Union Medical College Hospital",
    )
    (site,) = trial.locations
    assert (site.facility, site.city, site.state, site.country) == (
        "Peking Union Medical College Hospital",
        "Beijing",
        None,
        "China",
    )
    assert len(trial.references) == 13
    assert all(r.doi and r.pmid is None for r in trial.references)
    assert trial.references[0].doi == "10.1136/bmjopen-2019-031850"
    assert trial.org_study_id == "CSTAR008"
    assert [r.nct_id for r in trial.related_trials] == [
        "NCT00404794",
        "NCT00876616",
        "NCT01203709",
        "NCT00371319",
        "NCT01580865",
    ]
    assert trial.related_trials[0].title is not None
    assert trial.related_trials[0].title.startswith("A Study to Compare Mycophenolate Mofetil")
    assert trial.sources[0].record_date == dt.date(2024, 7, 9)
    assert trial.has_results is False


def test_seed001_labelled_page(seed001: Trial) -> None:
    trial = seed001
    assert trial.status.overall_status is OverallStatus.COMPLETED
    assert trial.design.enrollment is not None and trial.design.enrollment.count == 270
    assert trial.conditions == ["Nephrotic Syndrome in Children"]
    assert [(a.label, a.type) for a in trial.arms] == [
        ("Tacrolimus(Group A)", ArmGroupType.EXPERIMENTAL),
        ("Mycophenolate Mofetil(Group B)", ArmGroupType.ACTIVE_COMPARATOR),
    ]
    assert trial.arms[0].intervention_names == ["Drug: Tacrolimus"]
    tacrolimus, mmf = trial.interventions
    assert (tacrolimus.name, tacrolimus.type, tacrolimus.arm_labels) == (
        "Tacrolimus",
        InterventionType.DRUG,
        ["Tacrolimus(Group A)"],
    )
    assert tacrolimus.other_names == ["Tacrolimus capsules(CYONSE®)"]
    assert mmf.other_names == ["Mycophenolate Mofetil Dispersible tablets(CYCOPIN®)"]
    assert tacrolimus.description is not None and "tacrolimus is < 5ng/ml" in tacrolimus.description
    assert mmf.description is not None and "20~30mg/kg/day" in mmf.description
    elig = trial.eligibility
    assert elig.minimum_age is not None and elig.minimum_age.years == 2
    assert elig.maximum_age is not None and elig.maximum_age.years == 18
    assert len(elig.inclusion) == 5 and len(elig.exclusion) == 13
    assert "Leukopenia (White Blood Cells ≤ 3.0 * 10^9 / L)" in elig.exclusion
    assert trial.lead_sponsor is not None
    assert trial.lead_sponsor.name == "The Children's Hospital of Zhejiang University School of Medicine"
    assert len(trial.collaborators) == 11
    assert trial.collaborators[-1].agency_class is AgencyClass.OTHER_GOV
    party = trial.responsible_party
    assert party is not None
    assert (party.type, party.investigator_full_name, party.investigator_title) == (
        ResponsiblePartyType.PRINCIPAL_INVESTIGATOR,
        "Mao Jianhua",
        "Chief Physician",
    )
    assert len(trial.locations) == 12
    assert all(loc.country == "China" and loc.city and loc.facility for loc in trial.locations)
    assert trial.locations[-1].city == "Hangzhou" and trial.locations[-1].state == "Zhejiang"
    assert len(trial.references) == 14
    assert all(r.pmid and r.pmid.isdigit() for r in trial.references)
    assert [r.type for r in trial.references].count(ReferenceType.DERIVED) == 2
    assert trial.references[0].pmid == "23343906"
    assert [d.label for d in trial.provided_documents] == ["Study Protocol", "Statistical Analysis Plan"]
    assert trial.provided_documents[0].has_protocol and trial.provided_documents[1].has_sap
    assert trial.org_study_id == "STAMP"
    (related,) = trial.related_trials
    assert (related.nct_id, related.status, related.title) == (
        "NCT04036799",
        OverallStatus.ACTIVE_NOT_RECRUITING,
        "PRecIsion Medicine in CardiomyopathY",
    )
    assert trial.sources[0].record_date == dt.date(2023, 10, 17)


def test_seed002_layout_b_tables(seed002: Trial) -> None:
    trial = seed002
    assert trial.org_study_id == "2017001"
    assert trial.status.overall_status is OverallStatus.NOT_YET_RECRUITING
    assert trial.design.phases == [Phase.PHASE2]
    assert trial.design.enrollment is not None and trial.design.enrollment.count == 230
    assert trial.status.start_date is not None and trial.status.start_date.date == "2018-08-01"
    completion = trial.status.completion_date
    assert completion is not None and (completion.date, completion.type) == ("2021-06-01", DateType.ESTIMATED)
    assert trial.status.status_verified_date == "2018-07"
    assert trial.organization is not None
    assert (
        trial.organization.name
        == "The Affiliated Nanjing Drum Tower Hospital of Nanjing University Medical School"
    )
    (contact,) = trial.central_contacts
    assert (contact.name, contact.phone, contact.email, contact.role) == (
        "Lingyun Sun, Ph.D M.D.",
        "+86(025)83106666",
        "lingyunsun@nju.edu.cn",
        ContactRole.CONTACT,
    )
    assert trial.brief_summary is not None and trial.brief_summary.startswith("Lupus nephritis (LN) is one")
    assert (
        trial.detailed_description is not None
        and "Mesenchymal stem cells (MSCs)" in trial.detailed_description
    )
    elig = trial.eligibility
    assert (elig.sex, elig.healthy_volunteers) == (Sex.ALL, False)
    assert elig.minimum_age is not None and elig.maximum_age is not None
    assert (elig.minimum_age.years, elig.maximum_age.years) == (18, 60)
    assert len(elig.inclusion) == 7 and len(elig.exclusion) == 12
    assert [(i.type, i.name) for i in trial.interventions] == [
        (InterventionType.OTHER, "Mesenchymal stem cells"),
        (InterventionType.DRUG, "Mycophenolate Mofetil"),
        (InterventionType.OTHER, "Placebo of Mesenchymal stem cells"),
        (InterventionType.DRUG, "Placebo of Mycophenolate Mofetil"),
    ]
    assert trial.interventions[1].description == "This group receive oral MMF of 2.0 g / d."
    (site,) = trial.locations
    assert (site.facility, site.city, site.state, site.country) == (
        "The Affiliated Drum Tower Hospital of Nanjing University Medical School",
        "Nanjing",
        "Jiangsu",
        "China",
    )
    assert trial.lead_sponsor is not None and trial.lead_sponsor.name == "Lingyun Sun"
    kinds = [o.kind for o in trial.outcomes]
    assert kinds.count(OutcomeKind.PRIMARY) == 1 and kinds.count(OutcomeKind.SECONDARY) == 17
    primary = trial.outcomes[0]
    assert (primary.measure, primary.description, primary.time_frame) == (
        "Total remission rate",
        "Complete remission rate (CR) and partial remission rate (PR)",
        "weeks 24",
    )
    assert (trial.outcomes[2].measure, trial.outcomes[2].description, trial.outcomes[2].time_frame) == (
        "Levels of 24-hour urinary protein",
        None,
        "Baseline, weeks 4, 8, 12, 16, 20, 24",
    )
    assert trial.outcomes[-1].measure.endswith("as assessed by CTCAE v4.0")
    assert trial.outcomes[-1].time_frame == "Baseline to weeks 24"
    assert len(trial.related_trials) == 20
    by_id = {r.nct_id: r for r in trial.related_trials}
    assert by_id["NCT00368264"].status is OverallStatus.TERMINATED
    assert by_id["NCT00368264"].phases == [Phase.PHASE2, Phase.PHASE3]
    assert by_id["NCT00094380"].phases == [Phase.PHASE1, Phase.PHASE2]
    assert by_id["NCT00298506"].phases == [Phase.NA]
    assert by_id["NCT00569101"].status is OverallStatus.ACTIVE_NOT_RECRUITING
    assert by_id["NCT02936375"].title == "The Iguratimod Effect on Lupus Nephritis (IGeLU)"


def test_seed003_contacts_other_names_and_related_phases(seed003: Trial) -> None:
    trial = seed003
    assert trial.status.overall_status is OverallStatus.UNKNOWN
    assert trial.design.phases == [Phase.PHASE3]
    assert (trial.design.allocation, trial.design.intervention_model) == (
        Allocation.NA,
        InterventionModel.SINGLE_GROUP,
    )
    (arm,) = trial.arms
    assert (arm.label, arm.type) == ("Belimumab and multi-target therapy group", ArmGroupType.OTHER)
    assert len(arm.intervention_names) == 3
    assert [i.other_names for i in trial.interventions] == [
        ["Methylprednisolone pulse therapy"],
        ["Beliumab induction therapy"],
        ["Multi-target immunosuppressive therapy"],
    ]
    assert (
        trial.interventions[2].description
        == "1. Mycophenolate Mofetil, oral, 1.0-1.5g per day;\n2. Tacrolimus, oral, 2-4mg per day."
    )
    assert trial.eligibility.minimum_age is not None and trial.eligibility.minimum_age.years == 14
    assert "SLE-DAI>10 points" in trial.eligibility.inclusion[0]
    (site,) = trial.locations
    assert site.status is OverallStatus.RECRUITING
    assert [(c.name, c.phone) for c in site.contacts] == [("Jiong Zhang, PhD", "86-13951883235")]
    (contact,) = trial.central_contacts
    assert (contact.name, contact.role, contact.phone) == (
        "Jiong Zhang, PhD",
        ContactRole.CONTACT,
        "86-25-80862860",
    )
    assert trial.officials[0].role is OfficialRole.PRINCIPAL_INVESTIGATOR
    assert [(r.nct_id, r.status, r.phases) for r in trial.related_trials] == [
        ("NCT04893161", OverallStatus.NOT_YET_RECRUITING, [Phase.PHASE4]),
        ("NCT01705977", OverallStatus.COMPLETED, [Phase.PHASE4]),
        ("NCT03543839", OverallStatus.RECRUITING, [Phase.PHASE4]),
    ]
    assert trial.references == []


def test_seed004_layout_c(seed004: Trial) -> None:
    trial = seed004
    assert trial.brief_title == "Treatment Strategies for IgG4-RD Patients With Internal Organ Involvement"
    assert trial.conditions == ["Autoimmune Diseases"]
    assert (
        trial.lead_sponsor is not None and trial.lead_sponsor.name == "Peking Union Medical College Hospital"
    )
    assert trial.status.overall_status is OverallStatus.RECRUITING
    assert trial.eligibility.sex is Sex.ALL
    assert trial.design.enrollment is not None and trial.design.enrollment.count == 60
    assert trial.design.study_type is StudyType.INTERVENTIONAL
    assert trial.design.intervention_model is InterventionModel.PARALLEL
    assert trial.brief_summary is not None and trial.brief_summary.startswith("This study has been designed")
    assert [arm.label for arm in trial.arms] == ["Group I", "Group II"]
    assert trial.arms[0].description is not None and "low dose mycophenolate" in trial.arms[0].description
    assert trial.arms[1].description is not None and "leflunomide (20 mg/day)" in trial.arms[1].description
    assert {i.name: i.arm_labels for i in trial.interventions} == {
        "Prednisone and Mycophenolate Mofetil": ["Group I", "Group II"],
        "Mycophenolate Mofetil": ["Group I"],
        "Leflunomide": ["Group II"],
    }
    primary = [o for o in trial.outcomes if o.kind is OutcomeKind.PRIMARY]
    assert len(primary) == 1
    assert primary[0].measure == "The difference of relapse rate of IgG4-RD between two groups in 18 months."
    assert primary[0].time_frame == "18 months"
    assert primary[0].description is not None and primary[0].description.startswith(
        "The definition of relapse"
    )
    secondary = [o for o in trial.outcomes if o.kind is OutcomeKind.SECONDARY]
    assert [o.measure for o in secondary] == [
        "The difference of the time at baseline to first relapse between two groups.",
        "Side effects",
        "Response rate to the treatment of the two groups.",
    ]
    assert secondary[1].description == "Any side effects caused by treatments for IgG4-RD."
    assert all(o.time_frame == "18 months" for o in secondary)
    assert len(trial.eligibility.inclusion) == 2 and len(trial.eligibility.exclusion) == 6
    assert trial.eligibility.exclusion[3] == "Active infection: HIV, HCV, HBV, TB"
    (site,) = trial.locations
    assert (site.facility, site.city, site.country) == (
        "Peking Union Medical College Hospital",
        "Beijing",
        "China",
    )


def _content(trial: Trial) -> dict[str, object]:
    return trial.model_dump(mode="json", exclude={"sources", "field_sources"})


@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
def test_html_and_windows_line_ends_give_the_same_trial(prefix: str) -> None:
    text = _seed(prefix).read_text(encoding="utf-8")
    plain = _read(prefix)
    crlf = read_page(text.replace("\n", "\r\n").encode("utf-8"), "page.txt")
    as_html = read_page(page_as_html(text).encode("utf-8"), "page.html")
    as_bom_html = read_page(page_as_html(text).replace("\n", "\r\n").encode("utf-8-sig"), "page.htm")
    for other in (crlf, as_html, as_bom_html):
        assert isinstance(other, Trial), other
        assert _content(other) == _content(plain)
        assert other.sources[0].layout == plain.sources[0].layout


def test_a_page_saved_in_a_windows_code_page_is_decoded() -> None:
    text = _seed("002").read_text(encoding="utf-8")
    saved = read_page(text.replace("\n", "\r\n").encode("cp1252"), "page.txt")
    assert isinstance(saved, Trial)
    assert _content(saved) == _content(_read("002"))
    assert saved.sources[0].raw is not None and "Clinical Trial Details — Status" in saved.sources[0].raw


def test_html_sniff_claims_a_page_whose_head_is_all_scripts() -> None:
    body = _seed("001").read_text(encoding="utf-8")
    padding = "<script>" + "var x = 1;\n" * 2000 + "</script>"
    page = f"<html><head>{padding}</head><body><pre>{body}</pre></body></html>".encode()
    assert READER.sniff(page[:8192], "page.html") > 0.3
    result = next(iter(READER.read(Blob.from_bytes("page.html", page))))
    assert isinstance(result, Trial) and result.nct_id == "NCT04048161"


def test_merge_with_the_xml_record_keeps_both_sources(seed001: Trial, target_trials: Path) -> None:
    (xml_trial,) = [r for r in read_path(target_trials / "NCT04048161.xml") if not isinstance(r, RecordError)]
    assert isinstance(xml_trial, Trial)
    merged = merge_trials(xml_trial, seed001)
    formats = {s.format for s in merged.sources}
    assert formats == {SourceFormat.CTGOV_XML, SourceFormat.REGISTRY_PAGE}
    page_id = seed001.sources[0].id
    xml_id = xml_trial.sources[0].id
    # The page is newer (2023) than the XML snapshot (2020): what it shows wins…
    assert merged.field_sources["locations"] == page_id and len(merged.locations) == 12
    assert merged.field_sources["status.overall_status"] == page_id
    assert merged.status.overall_status is OverallStatus.COMPLETED
    # …sub-field by sub-field: the page shows no first-posted date, so the XML's stays, and says so.
    assert seed001.status.study_first_post_date is None
    assert merged.status.study_first_post_date == xml_trial.status.study_first_post_date is not None
    assert merged.field_sources["status.study_first_post_date"] == xml_id
    assert merged.field_sources["eligibility.criteria_text"] == page_id
    assert merged.eligibility.inclusion == seed001.eligibility.inclusion
    assert merged.field_sources["references"] == page_id and len(merged.references) == 14
    # …and what only the XML record has stays, attributed to it.
    assert merged.field_sources["outcomes"] == xml_id and len(merged.outcomes) == len(xml_trial.outcomes) > 0
    assert merged.field_sources["official_title"] == xml_id
    assert merged.official_title == xml_trial.official_title
    assert set(merged.field_sources.values()) == {page_id, xml_id}
    assert merged.record_date == dt.date(2023, 10, 17)
