"""The ClinicalTrials.gov CSV export readers: both layouts on the shared exports, and bad input."""

from __future__ import annotations

import collections
import csv
import gzip
import io
import json
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from trialatlas.model import (
    Age,
    AgencyClass,
    AgeUnit,
    Allocation,
    InterventionModel,
    InterventionType,
    Masking,
    ObservationalModel,
    OutcomeKind,
    OverallStatus,
    Phase,
    PrimaryPurpose,
    SecondaryIdType,
    Sex,
    SourceFormat,
    StandardAge,
    StudyType,
    TimePerspective,
    Trial,
    WhoMasked,
)
from trialatlas.model.merge import merge_trials
from trialatlas.sources import RecordError, base, detect_reader, get_reader, read_path
from trialatlas.sources.base import Blob
from trialatlas.sources.ctgov_csv import parse_location, split_outcome
from trialatlas.sources.reading import read_blob

ReadResults = list[Trial | RecordError]


def _split(results: ReadResults) -> tuple[dict[str, Trial], list[RecordError]]:
    trials = {r.nct_id: r for r in results if isinstance(r, Trial) and r.nct_id}
    return trials, [r for r in results if isinstance(r, RecordError)]


@pytest.fixture(scope="module")
def legacy(shared_data: Path) -> ReadResults:
    return list(read_path(shared_data / "ctgov_legacy_xml_2023" / "ctgov_search_results_legacy_export.csv"))


@pytest.fixture(scope="module")
def covid(shared_data: Path) -> ReadResults:
    path = shared_data / "ctgov_legacy_xml_2023" / "covid19_search_results_export_2020.csv.gz"
    return list(read_path(path))


@pytest.fixture(scope="module")
def hypertension(shared_data: Path) -> ReadResults:
    return list(
        read_path(shared_data / "ctgov_api_v2_samples" / "csv_export" / "ctg-studies_hypertension_172.csv")
    )


@pytest.fixture(scope="module")
def urology(shared_data: Path) -> ReadResults:
    return list(
        read_path(shared_data / "ctgov_api_v2_samples" / "csv_export" / "ctg-studies_urology_635.csv")
    )


# --- the shared exports, read whole ------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "count", "source_format"),
    [
        ("legacy", 100, SourceFormat.CTGOV_CSV_LEGACY),
        ("covid", 3169, SourceFormat.CTGOV_CSV_LEGACY),
        ("hypertension", 172, SourceFormat.CTGOV_CSV),
        ("urology", 635, SourceFormat.CTGOV_CSV),
    ],
)
def test_every_row_of_the_shared_exports_lands(
    name: str, count: int, source_format: SourceFormat, request: pytest.FixtureRequest
) -> None:
    results: ReadResults = request.getfixturevalue(name)
    trials, errors = _split(results)
    assert errors == []
    assert len(results) == count
    assert len(trials) == count  # one trial per NCT number, none lost to a duplicate
    for trial in trials.values():
        assert trial.is_partial
        (source,) = trial.sources
        assert source.partial
        assert source.format is source_format
        assert source.id.startswith(f"{source_format.value}:") and source.id.endswith(f"#{trial.nct_id}")
        assert source.raw is not None and json.loads(source.raw)["NCT Number"] == trial.nct_id
        assert source.record_date is not None
        # Fields no CSV export carries stay empty.
        assert trial.eligibility.criteria_text is None and trial.arms == [] and trial.official_title is None


def test_legacy_row_numbers_are_the_export_ranks(legacy: ReadResults) -> None:
    for trial in legacy:
        assert isinstance(trial, Trial)
        rank = json.loads(trial.sources[0].raw or "{}")["Rank"]
        assert trial.sources[0].location.endswith(f"#row {rank}")
        assert trial.sources[0].unread_fields == ["Rank"]


def test_legacy_export_row(legacy: ReadResults) -> None:
    trials, _ = _split(legacy)
    trial = trials["NCT05712642"]
    assert trial.brief_title == "A Dosing Study of Intravitreal Bevacizumab for Retinopathy of Prematurity"
    assert trial.status.overall_status is OverallStatus.COMPLETED
    assert trial.design.phases == [Phase.PHASE3]
    assert trial.design.study_type is StudyType.INTERVENTIONAL
    assert trial.design.enrollment is not None and trial.design.enrollment.count == 19
    assert trial.design.allocation is Allocation.RANDOMIZED
    assert trial.design.intervention_model is InterventionModel.PARALLEL
    assert trial.design.masking is Masking.DOUBLE
    assert trial.design.who_masked == [WhoMasked.PARTICIPANT, WhoMasked.INVESTIGATOR]
    assert trial.design.primary_purpose is PrimaryPurpose.TREATMENT
    # "28 Weeks to 40 Weeks   (Child)"
    eligibility = trial.eligibility
    assert eligibility.sex is Sex.ALL
    assert eligibility.minimum_age == Age(value=28, unit=AgeUnit.WEEKS)
    assert eligibility.maximum_age == Age(value=40, unit=AgeUnit.WEEKS)
    assert eligibility.maximum_age.years == pytest.approx(40 * 7 / 365.25, abs=1e-6)
    assert eligibility.std_ages == [StandardAge.CHILD]
    assert trial.conditions == ["Retinopathy of Prematurity"]
    drug = (InterventionType.DRUG, "Intravitreal Bevacizumab")
    assert [(i.type, i.name) for i in trial.interventions] == [drug]
    measures = [o.measure for o in trial.outcomes]
    assert measures[2] == "Occurrence of any adverse events from intravitreal-injection"
    # the old export does not say which measures are primary: the kind stays unknown, not guessed
    assert {o.kind for o in trial.outcomes} == {None}
    lead = trial.lead_sponsor
    assert lead is not None and (lead.name, lead.agency_class) == ("Cairo University", AgencyClass.OTHER)
    assert [s.id for s in trial.secondary_ids] == ["MD-108-2019"]
    (location,) = trial.locations
    assert (location.facility, location.city, location.state, location.country) == (
        "Faculty of Medicine Cairo University",
        "Cairo",
        None,
        "Egypt",
    )
    assert trial.status.start_date is not None and trial.status.start_date.date == "2020-02-01"
    assert trial.status.completion_date is not None and trial.status.completion_date.date == "2021-01-28"
    assert trial.status.results_first_post_date is None
    assert trial.has_results is False
    assert str(trial.sources[0].record_date) == "2023-02-03"


def test_legacy_export_collaborators_documents_and_female_ages(legacy: ReadResults) -> None:
    trials, _ = _split(legacy)
    trial = trials["NCT05712629"]
    assert trial.eligibility.sex is Sex.FEMALE
    assert trial.eligibility.minimum_age is not None and trial.eligibility.minimum_age.years == 18
    assert trial.eligibility.maximum_age is not None and trial.eligibility.maximum_age.years == 45
    assert trial.design.phases == [Phase.NA]
    assert trial.conditions == ["Weight, Birth", "Weight, Body"]
    assert [i.type for i in trial.interventions] == [InterventionType.OTHER, InterventionType.OTHER]
    assert [c.name for c in trial.collaborators] == [
        "National Institute of Health Research and Development, Ministry of Health Republic of Indonesia"
    ]
    assert trial.locations[0].state == "West Sumatera" and trial.locations[0].country == "Indonesia"
    (document,) = trial.provided_documents
    assert document.type_abbrev == "Prot" and document.has_protocol and not document.has_sap
    assert document.url == "https://ClinicalTrials.gov/ProvidedDocs/29/NCT05712629/Prot_000.pdf"


def test_covid_export_rows(covid: ReadResults) -> None:
    trials, _ = _split(covid)
    first = trials["NCT04395482"]
    assert first.acronym == "TAC-COVID19"
    assert first.status.overall_status is OverallStatus.RECRUITING
    assert first.design.study_type is StudyType.OBSERVATIONAL
    assert first.design.phases == []
    assert first.design.observational_model is ObservationalModel.COHORT
    assert first.design.time_perspective is TimePerspective.RETROSPECTIVE
    # "18 Years and older \xa0 (Adult, Older Adult)": a non-breaking space before the groups.
    assert first.eligibility.minimum_age is not None and first.eligibility.minimum_age.years == 18
    assert first.eligibility.maximum_age is None
    assert first.eligibility.std_ages == [StandardAge.ADULT, StandardAge.OLDER_ADULT]
    assert len(first.locations) == 8
    assert (first.locations[0].city, first.locations[0].country) == ("Bergamo", "Italy")
    assert first.status.completion_date is not None and first.status.completion_date.date == "2020-10-15"

    neonatal = trials["NCT04386109"]  # "up to 29 Days (Child)"
    assert neonatal.eligibility.minimum_age is None
    assert neonatal.eligibility.maximum_age == Age(value=29, unit=AgeUnit.DAYS)

    with_results = trials["NCT04410159"]
    assert with_results.has_results is True
    assert [(i.type, i.name) for i in with_results.interventions] == [
        (InterventionType.DRUG, "Povidone-Iodine"),
        (InterventionType.DRUG, "Essential oils"),
        (InterventionType.OTHER, "Tap water"),
    ]
    assert with_results.collaborators[0].agency_class is AgencyClass.OTHER  # "Funded Bys" is only "Other"

    expanded = trials["NCT04372368"]
    assert expanded.design.study_type is StudyType.EXPANDED_ACCESS
    assert expanded.status.overall_status is OverallStatus.AVAILABLE
    assert "Study Type: expanded access kinds" in expanded.sources[0].unread_fields

    korea = trials["NCT04347915"]
    assert (korea.locations[0].city, korea.locations[0].country) == ("Seoul", "Korea, Republic of")
    assert korea.lead_sponsor is not None and korea.lead_sponsor.agency_class is AgencyClass.INDUSTRY

    mixed = trials["NCT04373460"]  # Funded Bys "Other|U.S. Fed|NIH": only the lead's class is known
    assert mixed.lead_sponsor is not None and mixed.lead_sponsor.agency_class is AgencyClass.OTHER
    assert len(mixed.collaborators) == 4 and {c.agency_class for c in mixed.collaborators} == {None}


def test_covid_export_totals(covid: ReadResults) -> None:
    trials, _ = _split(covid)
    statuses = collections.Counter(t.status.overall_status for t in trials.values())
    assert statuses[OverallStatus.RECRUITING] == 1636
    assert statuses[OverallStatus.NOT_YET_RECRUITING] == 872
    assert statuses[OverallStatus.ACTIVE_NOT_RECRUITING] == 177
    assert None not in statuses
    types = collections.Counter(t.design.study_type for t in trials.values())
    assert types[StudyType.INTERVENTIONAL] == 1792
    assert types[StudyType.OBSERVATIONAL] == 1353
    assert types[StudyType.EXPANDED_ACCESS] == 24  # "Expanded Access:Intermediate-size Population" etc.
    assert sum(t.has_results is True for t in trials.values()) == 5
    assert sum(t.design.phases == [Phase.PHASE2, Phase.PHASE3] for t in trials.values()) == 128
    # Every age cell of the export is understood.
    assert not [w for t in trials.values() for w in t.sources[0].warnings if w.startswith("Age")]


def test_current_export_row(hypertension: ReadResults) -> None:
    trials, _ = _split(hypertension)
    trial = trials["NCT03555344"]
    assert trial.brief_title == "Effect of Mantra on Hypertensive Patients"
    assert (trial.brief_summary or "").startswith("Mantras are specialized energized")
    assert trial.status.overall_status is OverallStatus.COMPLETED
    assert trial.design.phases == [Phase.NA]
    assert trial.design.enrollment is not None and trial.design.enrollment.count == 96
    assert trial.design.primary_purpose is PrimaryPurpose.SUPPORTIVE_CARE  # "... | Primary Purpose: ..."
    assert trial.design.masking is Masking.NONE
    assert trial.eligibility.sex is Sex.ALL
    assert trial.eligibility.std_ages == [StandardAge.ADULT]
    assert trial.eligibility.minimum_age is None  # the current export gives age groups only
    assert trial.conditions == ["High Blood Pressure"]
    assert [(i.type, i.name) for i in trial.interventions] == [(InterventionType.OTHER, "Mantra Chikitsa")]
    assert [(o.kind, o.measure) for o in trial.outcomes] == [
        (OutcomeKind.PRIMARY, "Systolic Blood Pressure"),
        (OutcomeKind.PRIMARY, "Diastolic Blood Pressure"),
        (OutcomeKind.SECONDARY, "Supine heart rate (HR)"),
    ]
    assert trial.lead_sponsor is not None and trial.lead_sponsor.name == "NMP Medical Research Institute"
    assert [c.name for c in trial.collaborators] == [
        "Warwick Research Services",
        "Swamigal Trust for Vedic Science, India",
    ]
    (location,) = trial.locations
    assert (location.facility, location.city, location.state, location.zip, location.country) == (
        "NMP Medical Research Institute",
        "Jaipur",
        "Rajasthan",
        "302019",
        "India",
    )
    assert str(trial.sources[0].record_date) == "2018-07-17"
    assert trial.sources[0].layout == "30 columns"


def test_current_export_results_ids_and_documents(hypertension: ReadResults) -> None:
    trials, _ = _split(hypertension)
    trial = trials["NCT01112306"]
    assert trial.has_results is True
    assert trial.status.results_first_post_date is not None
    assert trial.status.results_first_post_date.date == "2022-09-19"
    assert [(s.id, s.type) for s in trial.secondary_ids] == [
        ("AC-065A303", None),
        ("2009-014992-31", SecondaryIdType.EUDRACT_NUMBER),
    ]
    assert [(d.type_abbrev, d.has_protocol, d.has_sap) for d in trial.provided_documents] == [
        ("Prot", True, False),
        ("SAP", False, True),
    ]
    # Sites without a facility: "Mobile, Alabama, United States".
    assert (trial.locations[0].facility, trial.locations[0].city, trial.locations[0].state) == (
        None,
        "Mobile",
        "Alabama",
    )
    assert sum(t.has_results is True for t in trials.values()) == 38
    statuses = collections.Counter(t.status.overall_status for t in trials.values())
    assert statuses[OverallStatus.COMPLETED] == 110


def test_current_export_without_brief_summary_column(urology: ReadResults) -> None:
    trials, _ = _split(urology)
    trial = trials["NCT06600893"]
    assert trial.sources[0].layout == "29 columns"
    assert trial.brief_summary is None
    assert trial.eligibility.sex is Sex.MALE
    assert trial.design.intervention_model is InterventionModel.CROSSOVER
    assert trial.design.who_masked == [WhoMasked.PARTICIPANT, WhoMasked.OUTCOMES_ASSESSOR]
    assert [i.type for i in trial.interventions] == [InterventionType.DEVICE, InterventionType.DEVICE]
    assert [o.kind for o in trial.outcomes].count(OutcomeKind.OTHER) == 1
    assert trial.locations[0].state == "California" and trial.locations[0].zip == "92120"

    outcome = trials["NCT05043896"].outcomes[0]
    assert outcome.measure == "Erectile Hardness Score (EHS)"
    assert outcome.description is not None and outcome.description.startswith("Developed in 1998")
    assert outcome.time_frame == "4 weeks"

    assert sum(t.eligibility.sex is Sex.MALE for t in trials.values()) == 601
    assert sum(t.design.phases == [Phase.PHASE1, Phase.PHASE2] for t in trials.values()) == 16


# --- heuristics, measured against structured API v2 records --------------------------------------


def _v2_protocols(v2_jsonl: Path) -> Iterator[dict[str, dict[str, list[dict[str, str]]]]]:
    with gzip.open(v2_jsonl) as handle:
        for line in handle:
            yield orjson.loads(line)["protocolSection"]


def test_location_split_matches_structured_records(v2_jsonl: Path) -> None:
    keys = ("facility", "city", "state", "zip", "country")
    exact = total = 0
    for protocol in _v2_protocols(v2_jsonl):
        for site in protocol.get("contactsLocationsModule", {}).get("locations", []):
            # The current export writes a site as its non-empty parts joined by ", ".
            parsed = parse_location(", ".join(site[k] for k in keys if site.get(k)))
            exact += all(getattr(parsed, k) == (site.get(k) or None) for k in keys)
            total += 1
    assert total > 5000
    assert exact / total >= 0.97


def test_outcome_split_matches_structured_records(v2_jsonl: Path) -> None:
    exact = measure_right = total = 0
    for protocol in _v2_protocols(v2_jsonl):
        module = protocol.get("outcomesModule", {})
        for outcome in [o for key in ("primaryOutcomes", "secondaryOutcomes") for o in module.get(key, [])]:
            truth = (outcome["measure"], outcome.get("description") or None, outcome.get("timeFrame") or None)
            parsed = split_outcome(", ".join(part for part in truth if part))
            exact += parsed == truth
            measure_right += parsed[0] == truth[0]
            total += 1
    assert total > 5000
    assert exact / total >= 0.82
    assert measure_right / total >= 0.94


# --- detection ----------------------------------------------------------------------------------

_LEGACY_HEADER = (
    b'"Rank","NCT Number","Title","Acronym","Status","Study Results","Conditions","Interventions",'
    b'"Outcome Measures","Sponsor/Collaborators","Gender","Age","Phases","Enrollment","Funded Bys"\n'
)
_CURRENT_HEADER = b"NCT Number,Study Title,Study URL,Study Status,Sex,Age,Phases,Sponsor,Funder Type\n"


def test_sniffing_tells_the_layouts_apart(v2_jsonl: Path) -> None:
    legacy, current = get_reader("ctgov-csv-legacy"), get_reader("ctgov-csv")
    assert legacy.sniff(_LEGACY_HEADER, "x.csv") >= 0.9 > current.sniff(_LEGACY_HEADER, "x.csv")
    assert current.sniff(_CURRENT_HEADER, "x.csv") >= 0.9 > legacy.sniff(_CURRENT_HEADER, "x.csv")
    bom = b"\xef\xbb\xbf" + _CURRENT_HEADER.replace(b"\n", b"\r\n")
    assert current.sniff(bom, "x.csv") >= 0.9
    # Only the shared columns: some reader takes it, with low confidence.
    found, confidence = detect_reader(Blob.from_bytes("x.csv", b"NCT Number,Conditions\nNCT00000102,Flu\n"))
    assert found is current and confidence < 0.5
    for other in (b"id,name\n1,2\n", b'{"nct_id": "NCT00000102"}\n', b"Title,Status\nA,B\n"):
        assert legacy.sniff(other, "x.csv") == current.sniff(other, "x.csv") == 0.0
    with gzip.open(v2_jsonl) as handle:
        head = handle.read(8192)
    assert legacy.sniff(head, "x.jsonl") == current.sniff(head, "x.jsonl") == 0.0


# --- generated exports: layout variations and bad rows --------------------------------------------


def _read(name: str, data: bytes, reader: str | None = None) -> tuple[dict[str, Trial], list[RecordError]]:
    return _split(list(read_blob(Blob.from_bytes(name, data), reader)))


def test_columns_are_mapped_by_name_in_any_order_with_bom_and_crlf() -> None:
    data = (
        "\ufeffSex,Study Status,Phases,Enrollment,NCT Number,Age,Locations\r\n"
        'FEMALE,RECRUITING,PHASE2|PHASE3,"1,200",NCT01234567,"CHILD, ADULT","Clinic, Lyon, 69003, France"\r\n'
        "MALE,COMPLETED,,,nct07654321,OLDER_ADULT,\r\n"
    ).encode()
    trials, errors = _read("export.csv", data)
    assert errors == []
    trial = trials["NCT01234567"]
    assert trial.eligibility.sex is Sex.FEMALE
    assert trial.status.overall_status is OverallStatus.RECRUITING
    assert trial.design.phases == [Phase.PHASE2, Phase.PHASE3]
    assert trial.design.enrollment is not None and trial.design.enrollment.count == 1200
    assert trial.eligibility.std_ages == [StandardAge.CHILD, StandardAge.ADULT]
    site = trial.locations[0]
    assert (site.facility, site.city, site.zip, site.country) == ("Clinic", "Lyon", "69003", "France")
    assert trials["NCT07654321"].eligibility.sex is Sex.MALE  # the NCT number is upper-cased
    assert trial.sources[0].format is SourceFormat.CTGOV_CSV


def test_bad_rows_are_reported_with_file_and_row_and_good_rows_land() -> None:
    data = (
        b"NCT Number,Study Title,Study Status,Sex\n"
        b"NCT00000001,Good one,COMPLETED,ALL\n"
        b",No number,COMPLETED,ALL\n"
        b"garbage\n"
        b"NCT123,Short number,COMPLETED,ALL\n"
        b"NCT00000002,Bad byte \xe9t\xe9,COMPLETED,ALL\n"
        b"NCT00000003,Too,many,fields,here\n"
        b"\n"
        b"NCT00000004,Good two,WEIRD_STATUS,FEMALE\n"
        b'NCT00000005,"an unclosed quote swallows the rest,COMPLETED,ALL\n'
    )
    trials, errors = _read("bad.csv", data)
    assert sorted(trials) == ["NCT00000001", "NCT00000004"]
    assert [e.location for e in errors] == [f"bad.csv#row {n}" for n in (2, 3, 4, 5, 6, 8)]
    reasons = [e.reason for e in errors]
    assert reasons[0] == "no NCT number"
    assert "fields" in reasons[1] and "fields" in reasons[4] and "fields" in reasons[5]
    assert "invalid NCT number" in reasons[2]
    assert "UTF-8" in reasons[3] and "0xE9" in reasons[3]
    good = trials["NCT00000004"]
    assert good.sources[0].location == "bad.csv#row 7"
    assert good.status.overall_status is None
    assert good.sources[0].warnings == ["Status: unrecognised value 'WEIRD_STATUS'"]


@pytest.fixture
def small_field_limit(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    before = csv.field_size_limit()
    monkeypatch.setattr(base, "FIELD_SIZE_LIMIT", 100)
    csv.field_size_limit(100)
    yield 100
    csv.field_size_limit(before)


def test_an_oversized_field_costs_one_row(small_field_limit: int) -> None:
    data = b"NCT Number,Study Title\nNCT00000001," + b"x" * (small_field_limit + 1) + b"\nNCT00000002,Fine\n"
    trials, errors = _read("big.csv", data)
    assert list(trials) == ["NCT00000002"]
    assert [(e.location, "field larger than field limit" in e.reason) for e in errors] == [
        ("big.csv#row 1", True)
    ]


def test_repeated_columns_keep_the_first() -> None:
    trials, errors = _read("dup.csv", b"NCT Number,Sex,Sex\nNCT00000001,FEMALE,MALE\n")
    assert errors == [] and trials["NCT00000001"].eligibility.sex is Sex.FEMALE


def test_a_csv_without_nct_column_is_one_error_when_forced() -> None:
    trials, errors = _read("other.csv", b"id,name\n1,x\n", reader="ctgov-csv")
    assert trials == {}
    assert [(e.location, "NCT Number" in e.reason) for e in errors] == [("other.csv", True)]


def test_partial_csv_fields_never_overwrite_a_full_record() -> None:
    full = Trial(nct_id="NCT01234567", brief_title="Full title")
    trials, _ = _read("x.csv", b"NCT Number,Study Title,Enrollment\nNCT01234567,CSV title,40\n")
    merged = merge_trials(full, trials["NCT01234567"])
    assert merged.brief_title == "Full title"  # a full record's field beats a partial one
    assert merged.design.enrollment is not None and merged.design.enrollment.count == 40  # a gap is filled


class _GeneratedCsv(io.RawIOBase):
    """A large export produced on the fly, so memory use measures the reader and not the data."""

    def __init__(self, rows: int) -> None:
        header = "NCT Number,Study Title,Brief Summary,Locations\r\n"
        summary = "A long summary, with commas. " * 30
        body = (f'NCT{n:08d},Title {n},"{summary}","Site, City, State, 12345, US"\r\n' for n in range(rows))
        self._chunks = _chain(header, body)
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._pending = chunk.encode()
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


def _chain(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest


def _peak_bytes_reading(rows: int) -> int:
    blob = Blob(name="big.csv", open=lambda: io.BufferedReader(_GeneratedCsv(rows)))
    tracemalloc.start()
    try:
        count = sum(isinstance(result, Trial) for result in read_blob(blob, "ctgov-csv"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == rows
    return peak


def test_memory_stays_flat_however_long_the_file() -> None:
    small, large = _peak_bytes_reading(200), _peak_bytes_reading(4000)  # ~0.2 MB vs ~4 MB of CSV
    assert large < small * 1.5 + 256 * 1024
