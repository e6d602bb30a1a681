"""The WHO ICTRP export readers: CSV with and without its header, XML, field mapping, bad rows, the
shared sample of 17 registries, and ICTRP rows merging with the same trial's other records."""

from __future__ import annotations

import lzma
from pathlib import Path

import orjson
import pytest

from trialatlas.model import (
    Allocation,
    InterventionModel,
    InterventionType,
    Masking,
    OutcomeKind,
    OverallStatus,
    Phase,
    PrimaryPurpose,
    Sex,
    SourceFormat,
    StandardAge,
    StudyType,
    Trial,
)
from trialatlas.model.registries import identify
from trialatlas.sources import RecordError, detect_reader, read_path
from trialatlas.sources.base import Blob
from trialatlas.sources.ictrp import country
from trialatlas.sources.ictrp_fields import FIELDS, ictrp_age, ictrp_date, ictrp_phases
from trialatlas.store import MemoryStore

FIXTURES = Path(__file__).parent / "fixtures" / "ictrp"
ReadResults = list[Trial | RecordError]


def _trials(results: ReadResults) -> dict[str, Trial]:
    return {r.key: r for r in results if isinstance(r, Trial)}


def _errors(results: ReadResults) -> list[RecordError]:
    return [r for r in results if isinstance(r, RecordError)]


@pytest.fixture(scope="module")
def header_rows() -> ReadResults:
    return list(read_path(FIXTURES / "ictrp_header.csv"))


@pytest.fixture(scope="module")
def sample(shared_data: Path) -> ReadResults:
    return list(read_path(shared_data / "ictrp_export" / "ictrp_export_sample.csv"))


def test_every_form_is_detected_as_its_reader() -> None:
    for name, reader in (
        ("ictrp_header.csv", "ictrp-csv"),
        ("ictrp_no_header.csv", "ictrp-csv"),
        ("ictrp_export.xml", "ictrp-xml"),
    ):
        data = (FIXTURES / name).read_bytes()
        found, confidence = detect_reader(Blob.from_bytes(name, data))
        assert found is not None and found.name == reader and confidence >= 0.8, name


def test_header_headerless_and_xml_forms_read_to_the_same_trials(header_rows: ReadResults) -> None:
    """One row in three forms: the trials differ only in where they were read from."""

    def content(results: ReadResults) -> dict[str, str]:
        return {
            key: trial.model_dump_json(exclude={"sources", "field_sources"})
            for key, trial in _trials(results).items()
        }

    with_header = content(header_rows)
    for name in ("ictrp_no_header.csv", "ictrp_export.xml"):
        other = content(list(read_path(FIXTURES / name)))
        assert other, name
        assert other == {key: with_header[key] for key in other}, name


def test_ctgov_row_fields(header_rows: ReadResults) -> None:
    trial = _trials(header_rows)["NCT09000002"]
    assert trial.nct_id == "NCT09000002" and trial.registry_ids == [] and trial.is_partial
    assert trial.brief_title == "Widgetmab for Imaginary Arthritis"
    assert trial.status.overall_status is OverallStatus.RECRUITING
    # Day first in ICTRP's slashed dates; registries' own spellings elsewhere.
    assert trial.status.study_first_submit_date == "2020-02-05"
    assert trial.status.start_date is not None and trial.status.start_date.date == "2020-03-01"
    design = trial.design
    assert design.study_type is StudyType.INTERVENTIONAL
    assert design.phases == [Phase.PHASE2, Phase.PHASE3]
    assert (design.allocation, design.intervention_model, design.primary_purpose, design.masking) == (
        Allocation.RANDOMIZED, InterventionModel.PARALLEL, PrimaryPurpose.TREATMENT, Masking.DOUBLE,
    )  # fmt: skip
    assert design.enrollment is not None and design.enrollment.count == 120
    assert [(i.type, i.name) for i in trial.interventions] == [
        (InterventionType.DRUG, "Widgetmab"), (InterventionType.DRUG, "Placebo"),
    ]  # fmt: skip
    # The CT.gov textblock: hard wraps joined, both lists out of the one field.
    assert trial.eligibility.inclusion == ["Diagnosis of imaginary arthritis for at least six months",
                                           "Age 18 years or older"]  # fmt: skip
    assert trial.eligibility.exclusion == ["Pregnancy"]
    assert trial.eligibility.minimum_age is not None and trial.eligibility.minimum_age.years == 18
    assert trial.eligibility.maximum_age is None and trial.eligibility.sex is Sex.ALL
    assert [(o.kind, o.measure) for o in trial.outcomes] == [
        (OutcomeKind.PRIMARY, "Joint score change"), (OutcomeKind.PRIMARY, "Pain score"),
        (OutcomeKind.SECONDARY, "Adverse events"),
    ]  # fmt: skip
    assert trial.lead_sponsor is not None and trial.lead_sponsor.name == "Example University"
    assert [c.name for c in trial.collaborators] == ["Widget Pharma"]
    assert trial.countries == ["Germany", "United States"]
    # The contact the row lists twice is one contact.
    assert [(c.name, c.email) for c in trial.central_contacts] == [("Ada Example, MD", "ada@example.org")]
    # The EudraCT number and the EU CTR child record are one identity link (same trial).
    linked = [identify(s.id) for s in trial.secondary_ids]
    assert [x.id for x in linked if x] == ["EUCTR2020-000123-45"]
    source = trial.sources[0]
    assert (source.format, source.registry, source.registry_id) == (
        SourceFormat.ICTRP_CSV,
        "ctgov",
        "NCT09000002",
    )
    assert source.url == "https://clinicaltrials.gov/show/NCT09000002"


def test_chictr_row_fields(header_rows: ReadResults) -> None:
    trial = _trials(header_rows)["ChiCTR2000000001"]
    assert trial.nct_id is None and trial.registry_ids == ["ChiCTR2000000001"]
    assert trial.status.overall_status is OverallStatus.NOT_YET_RECRUITING
    # Group sizes add up to the target size; bare ages are years.
    assert trial.design.enrollment is not None and trial.design.enrollment.count == 120
    assert trial.eligibility.maximum_age is not None and trial.eligibility.maximum_age.years == 70
    # ChiCTR's "0" phase says nothing the model can hold: unknown, and said so.
    assert trial.design.phases == []
    assert any(w.startswith("phase:") for w in trial.sources[0].warnings)
    assert trial.eligibility.inclusion == [
        "Diagnosed imaginary arthritis",
        "aged 18 to 70 years",
        "signed consent.",
    ]
    assert [(i.name, i.arm_labels) for i in trial.interventions] == [
        ("Widgetmab 100mg", ["treatment group"]), ("placebo", ["control group"]),
    ]  # fmt: skip
    assert "Ethics_Status" in trial.sources[0].unread_fields


def test_euctr_row_fields(header_rows: ReadResults) -> None:
    trial = _trials(header_rows)["EUCTR2020-000123-45"]
    assert trial.sources[0].registry_id == "EUCTR2020-000123-45-DE"
    assert trial.design.phases == [Phase.PHASE2, Phase.PHASE3]
    assert (trial.design.allocation, trial.design.masking, trial.design.intervention_model) == (
        Allocation.RANDOMIZED, Masking.DOUBLE, InterventionModel.PARALLEL,
    )  # fmt: skip
    # Recruitment "may be ongoing or finished": unknown rather than guessed.
    assert trial.status.overall_status is None
    assert trial.conditions == ["Imaginary arthritis"]
    assert trial.keywords == ["Diseases [C] - Musculoskeletal Diseases [C05]"]
    assert [(i.name, i.other_names) for i in trial.interventions] == [
        ("widgetmab", ["WDG-1"]),
        ("Placebo", []),
    ]
    # The protocol's age-range answers are age groups, not criteria; wrapped lines are joined.
    assert trial.eligibility.std_ages == [StandardAge.ADULT, StandardAge.OLDER_ADULT]
    # All three age questions answered, no one under 18: the trial's minimum age is 18.
    assert trial.eligibility.minimum_age is not None and trial.eligibility.minimum_age.years == 18
    assert trial.eligibility.maximum_age is None
    assert trial.eligibility.inclusion == ["Adults with imaginary arthritis of at least six months duration.",
                                           "Written consent."]  # fmt: skip
    assert [(o.measure, o.time_frame) for o in trial.outcomes] == [
        ("Change in joint score", "Week 12"), ("Pain score", "Week 24"),
    ]  # fmt: skip
    assert trial.eligibility.sex is Sex.ALL


def test_bad_rows_are_reported_and_the_rest_lands(header_rows: ReadResults) -> None:
    errors = _errors(header_rows)
    assert [str(e) for e in errors] == [
        f"{FIXTURES / 'ictrp_header.csv'}#row 4: row has 2 fields, expected 62",
        f"{FIXTURES / 'ictrp_header.csv'}#row 5: TrialID: unknown registry id 'XYZ-000001'",
    ]
    trials = _trials(header_rows)
    assert len(trials) == 4
    partial = trials["ACTRN12620000000002"]
    warnings = partial.sources[0].warnings
    assert any(w.startswith("Date_enrollement: unreadable date") for w in warnings)
    assert any(w.startswith("Date_registration: unreadable date") for w in warnings)
    assert any(w.startswith("Agemin: strict age bound") for w in warnings)
    assert any("eligibility criteria unknown" in w for w in warnings)
    assert partial.status.start_date is None and partial.eligibility.minimum_age is None
    assert partial.status.overall_status is None  # "Not Recruiting" may mean finished or not


def test_value_readers() -> None:
    assert ictrp_date("14/03/2019") == "2019-03-14"
    assert ictrp_date("May 17, 2019") == "2019-05-17"
    assert ictrp_date("11-02-2019") == "2019-02-11"
    assert ictrp_date("2019/08/01") == "2019-08-01"
    assert ictrp_date("Jan  9 2020 12:00AM") == "2020-01-09"
    assert ictrp_date("1900-01-01") is None  # the export's "no date"
    assert ictrp_date("32/13/2020") is None
    for text, years in (
        ("18 Years", 18),
        ("18Y", 18),
        ("19(Year)", 19),
        (">= 20age old", 20),
        ("6 Months", 0.5),
    ):
        age, problem = ictrp_age(text, bound="min")
        assert problem is None and age is not None and age.years == years, text
    assert ictrp_age("No limit", bound="max") == (None, None)
    assert ictrp_age("<= 79age old", bound="max")[0] is not None
    assert ictrp_age("< 80age old", bound="max") == (None, "strict age bound")
    assert ictrp_phases("2-3") == ([Phase.PHASE2, Phase.PHASE3], True)
    assert ictrp_phases("IIIb") == ([Phase.PHASE3], True)
    assert ictrp_phases("Bioequivalence") == ([], False)
    # WHO's parenthesised country names as ClinicalTrials.gov's (and ISO's) short names.
    assert country("Iran (Islamic Republic of)") == "Iran, Islamic Republic of"
    assert country("Korea, Republic of") == "Korea, Republic of"


def test_headerless_row_count_mismatch_is_one_error() -> None:
    row = ["ISRCTN12345678", "NULL", "A title", "A title", "https://www.isrctn.com/ISRCTN12345678"]
    data = (",".join(row) + "\r\n").encode()
    results = list(read_path_bytes("short.csv", data))
    assert len(results) == 1 and isinstance(results[0], RecordError)
    assert f"expected {len(FIELDS)}" in results[0].reason


def read_path_bytes(name: str, data: bytes) -> ReadResults:
    from trialatlas.sources.reading import read_blob

    return list(read_blob(Blob.from_bytes(name, data)))


def test_rows_naming_the_same_trial_are_one_trial(header_rows: ReadResults) -> None:
    """The ChiCTR and EU CTR rows name the NCT trial: stored, the three are one trial under its NCT id."""
    store = MemoryStore()
    store.upsert_batch([r for r in header_rows if isinstance(r, Trial)])
    assert store.keys() == ["ACTRN12620000000002", "NCT09000002"]
    trial = store.get("NCT09000002")
    assert trial is not None
    assert trial.registry_ids == ["ChiCTR2000000001", "EUCTR2020-000123-45"]
    assert trial.registries == ["chictr", "ctgov", "euctr"]
    assert {s.registry for s in trial.sources} == {"ctgov", "chictr", "euctr"}
    # Found by every registry's id, in any spelling.
    for text in ("ChiCTR2000000001", "EUCTR2020-000123-45-DE", "2020-000123-45", "EudraCT 2020-000123-45"):
        found = store.get(text)
        assert found is not None and found.key == "NCT09000002", text


def test_the_shared_sample_of_17_registries(sample: ReadResults) -> None:
    assert _errors(sample) == []
    trials = [r for r in sample if isinstance(r, Trial)]
    assert len(trials) == 252
    assert sum(t.nct_id is not None for t in trials) == 122
    assert {t.sources[0].registry for t in trials} >= {
        "ctgov", "euctr", "chictr", "ctri", "jprn", "irct", "anzctr", "cris", "tctr", "isrctn", "pactr",
        "drks", "repec", "rebec",
    }  # fmt: skip
    assert all(t.title and t.sources[0].url for t in trials)
    # Most fields come through; what does not is said per row, never silently dropped.
    with_status = sum(t.status.overall_status is not None for t in trials)
    unknown_status = sum(
        any(w.startswith("Recruitment_status") for w in t.sources[0].warnings) for t in trials
    )
    # (Two rows say "NA": no status given, so neither read nor reported.)
    assert with_status >= 190 and with_status + unknown_status == 250
    assert sum(bool(t.eligibility.inclusion) for t in trials) >= 240
    assert sum(t.eligibility.minimum_age is not None for t in trials) >= 150
    # 13 non-NCT rows name an NCT id (SOURCE.md): each is an identity link.
    naming_nct = [
        t for t in trials if t.nct_id is None and any(s.id.upper().startswith("NCT") for s in t.secondary_ids)
    ]
    assert len(naming_nct) >= 13


@pytest.mark.slow
def test_ictrp_rows_merge_with_their_ctgov_records(
    shared_data: Path, sample: ReadResults, tmp_path: Path
) -> None:
    """The NCT trials among the ICTRP rows and their ClinicalTrials.gov description records are one trial."""
    nct_rows = {t.nct_id: t for t in sample if isinstance(t, Trial) and t.nct_id}
    dump = shared_data / "ctgov_trial_descriptions_100k"
    lines = []
    for path in sorted(dump.glob("*.jsonl.xz")):
        with lzma.open(path, "rb") as stream:
            for line in stream:
                head = line[:40]
                if (
                    any(nct.encode() in head for nct in nct_rows)
                    and orjson.loads(line).get("nct_id") in nct_rows
                ):
                    lines.append(line)
    assert len(lines) >= 15
    subset = tmp_path / "descriptions.jsonl"
    subset.write_bytes(b"".join(lines))
    descriptions = [r for r in read_path(subset) if isinstance(r, Trial)]
    store = MemoryStore()
    store.upsert_batch(list(nct_rows.values()))
    store.upsert_batch(descriptions)
    for record in descriptions:
        trial = store.get(record.key)
        assert trial is not None and trial.key == record.nct_id
        assert {s.format for s in trial.sources} == {SourceFormat.ICTRP_CSV, SourceFormat.DESCRIPTIONS_JSONL}
        # A field only one record has comes from it: the dump's summary beside the row's design.
        assert trial.brief_summary == record.brief_summary and trial.design.study_type is not None
    assert store.count() == len(nct_rows)


def _xml_trial(title: str, refreshed: str) -> bytes:
    return (
        "<Trials_downloaded_from_ICTRP><Trial><internal_number>7</internal_number>"
        f"<TrialID>TCTR20200101001</TrialID><Last_Refreshed_on>{refreshed}</Last_Refreshed_on>"
        f"<public_title>{title}</public_title><url>https://example.org/t</url>"
        "</Trial></Trials_downloaded_from_ICTRP>"
    ).encode()


def test_a_newer_refresh_of_a_row_wins() -> None:
    """Rows carry when WHO refreshed them: the newer export's title wins whatever the reading order."""
    newer = read_path_bytes("new.xml", _xml_trial("Newer title", "12 March 2021"))
    older = read_path_bytes("old.xml", _xml_trial("Older title", "1 February 2020"))
    first = newer[0]
    assert isinstance(first, Trial) and first.sources[0].record_date is not None
    assert first.sources[0].record_date.isoformat() == "2021-03-12"
    assert "internal_number" in first.sources[0].unread_fields
    store = MemoryStore()
    store.upsert_batch([t for t in newer if isinstance(t, Trial)])
    store.upsert_batch([t for t in older if isinstance(t, Trial)])
    trial = store.get("TCTR20200101001")
    assert trial is not None and trial.brief_title == "Newer title" and len(trial.sources) == 2


def test_the_portal_spellings_of_fields_are_read() -> None:
    """The search portal's XML names some fields its own way (web_address, Inclusion_agemin, Condition)."""
    data = (
        b"<Trials_downloaded_from_ICTRP><Trial><TrialID>ISRCTN12345678</TrialID><Acronym>PORTAL</Acronym>"
        b"<Public_title>Portal title</Public_title><web_address>https://www.isrctn.com/ISRCTN12345678</web_address>"
        b"<Inclusion_agemin>18 Years</Inclusion_agemin><Inclusion_gender>Female</Inclusion_gender>"
        b"<Condition>Imaginary arthritis;Imaginary gout</Condition><Secondary_ID>NCT09000002</Secondary_ID>"
        b"</Trial></Trials_downloaded_from_ICTRP>"
    )
    [trial] = read_path_bytes("portal.xml", data)
    assert isinstance(trial, Trial)
    assert (trial.acronym, trial.brief_title) == ("PORTAL", "Portal title")
    assert trial.sources[0].url == "https://www.isrctn.com/ISRCTN12345678"
    assert trial.eligibility.minimum_age is not None and trial.eligibility.sex is Sex.FEMALE
    assert trial.conditions == ["Imaginary arthritis", "Imaginary gout"]
    assert [s.id for s in trial.secondary_ids] == ["NCT09000002"]
    assert trial.sources[0].unread_fields == []


def test_a_broken_xml_export_keeps_the_trials_before_the_break() -> None:
    data = (
        (FIXTURES / "ictrp_export.xml")
        .read_bytes()
        .replace(b"</Trials_downloaded_from_ICTRP>", b"<Trial><Tri")
    )
    results = read_path_bytes("broken.xml", data)
    assert [r.key for r in results if isinstance(r, Trial)] == [
        "NCT09000002", "ChiCTR2000000001", "EUCTR2020-000123-45",
    ]  # fmt: skip
    errors = _errors(results)
    assert len(errors) == 1 and errors[0].location == "broken.xml#trial 4"
    assert errors[0].reason.startswith("malformed XML")
