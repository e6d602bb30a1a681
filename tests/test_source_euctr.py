"""EU Clinical Trials Register protocol records: fields, member-state records as one trial, identity links."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trialatlas.extract.regimen.drugs import lookup
from trialatlas.model import (
    AgencyClass,
    Allocation,
    InterventionModel,
    InterventionType,
    Masking,
    OutcomeKind,
    OverallStatus,
    Phase,
    SourceFormat,
    SourceRecord,
    StandardAge,
    Trial,
)
from trialatlas.model.merge import stamp_provenance
from trialatlas.model.registries import registrations
from trialatlas.model.values import age_limits_of_groups
from trialatlas.sources import RecordError, detect_reader, read_path
from trialatlas.sources.base import Blob
from trialatlas.sources.euctr import build_trial
from trialatlas.store import MemoryStore


@pytest.fixture(scope="module")
def euctr_dir(shared_data: Path) -> Path:
    return shared_data / "eu_isrctn_ctrdata" / "euctr"


@pytest.fixture(scope="module")
def trials(euctr_dir: Path) -> dict[str, Trial]:
    results = list(read_path(euctr_dir))
    assert not [r for r in results if isinstance(r, RecordError)]
    return {r.key: r for r in results if isinstance(r, Trial)}


def test_detected_and_keyed_by_eudract_number(euctr_dir: Path, trials: dict[str, Trial]) -> None:
    path = euctr_dir / "2016-004489-24-DE.json"
    found, confidence = detect_reader(Blob.from_bytes(path.name, path.read_bytes()))
    assert found is not None and found.name == "euctr-json" and confidence >= 0.9
    assert sorted(trials) == [
        "EUCTR2013-000615-24", "EUCTR2016-004489-24", "EUCTR2019-002663-10", "EUCTR2022-000099-20",
    ]  # fmt: skip
    source = trials["EUCTR2016-004489-24"].sources[0]
    assert (source.format, source.registry, source.registry_id) == (
        SourceFormat.EUCTR_JSON, "euctr", "EUCTR2016-004489-24-DE",
    )  # fmt: skip
    assert source.url == "https://www.clinicaltrialsregister.eu/ctr-search/trial/2016-004489-24/DE"


def test_protocol_fields(trials: dict[str, Trial]) -> None:
    trial = trials["EUCTR2016-004489-24"]
    assert trial.org_study_id == "IG1405"
    assert trial.official_title is not None and trial.official_title.startswith("A Prospective, Randomised")
    assert trial.status.overall_status is OverallStatus.COMPLETED
    assert trial.status.completion_date is not None and trial.status.completion_date.date == "2022-05-20"
    design = trial.design
    assert design.phases == [Phase.PHASE3]
    assert (design.allocation, design.masking, design.intervention_model) == (
        Allocation.RANDOMIZED, Masking.SINGLE, InterventionModel.PARALLEL,
    )  # fmt: skip
    assert design.enrollment is not None and design.enrollment.count == 172
    assert trial.lead_sponsor is not None and trial.lead_sponsor.agency_class is AgencyClass.INDUSTRY
    assert trial.eligibility.std_ages == [StandardAge.CHILD]
    # Children only (the protocol answers no for adults and the elderly): no one of 18 or older.
    assert trial.eligibility.minimum_age is None
    assert trial.eligibility.maximum_age is not None and trial.eligibility.maximum_age.years == 17
    # Inline-numbered criteria come out one by one.
    assert "Is less than 18 years of age." in trial.eligibility.inclusion
    assert len(trial.eligibility.exclusion) >= 10
    assert [o.kind for o in trial.outcomes] == [OutcomeKind.PRIMARY, OutcomeKind.SECONDARY]
    assert trial.outcomes[0].time_frame == "T4: 4 minutes after start of treatment application"
    # Planned sites: country names run together are split by known names.
    assert "United Kingdom" in trial.countries and "United States" in trial.countries
    assert trial.has_results is True


def test_products_with_doses_and_routes(trials: dict[str, Trial]) -> None:
    sealant = trials["EUCTR2016-004489-24"].interventions
    # A product of two substances is named by the product, its substances listed, not made synonyms.
    assert [(i.type, i.name) for i in sealant] == [(InterventionType.DRUG, "FS Grifols"),
                                                   (InterventionType.DRUG, "Evicel")]  # fmt: skip
    assert sealant[0].description is not None
    assert (
        "Human Fibrinogen 80 mg/ml" in sealant[0].description and "Epilesional use" in sealant[0].description
    )
    single = trials["EUCTR2019-002663-10"].interventions
    assert single[0].name == "Nusinersen" and "Spinraza" in single[0].other_names
    assert single[0].description is not None and "Intrathecal use" in single[0].description
    # The names go through the regimen parser's drug normalisation like any registry's.
    for trial_key in ("EUCTR2019-002663-10", "EUCTR2022-000099-20"):
        names = [i.name for i in trials[trial_key].interventions]
        assert any(lookup(name) is not None for name in names), names


def test_identity_links(trials: dict[str, Trial]) -> None:
    trial = trials["EUCTR2016-004489-24"]
    # The results' US NCT identifier links the ClinicalTrials.gov record of the same trial.
    assert "NCT03461406" in [s.id for s in trial.secondary_ids]
    nct_record = Trial(
        nct_id="NCT03461406",
        brief_title="Fibrin sealant in paediatric surgery",
        sources=[
            SourceRecord(id="ctgov-v2:NCT03461406", format=SourceFormat.CTGOV_V2_JSON, location="x.json")
        ],
    )
    store = MemoryStore()
    store.upsert_batch([trial])
    summary = store.upsert_batch([stamp_provenance(nct_record)])
    assert summary.renamed == {"EUCTR2016-004489-24": "NCT03461406"}
    merged = store.get("2016-004489-24")
    assert merged is not None and merged.key == "NCT03461406"
    assert merged.registries == ["ctgov", "euctr"]
    # Each field keeps its registry record as provenance.
    by_id = {s.id: s for s in merged.sources}
    assert by_id[merged.field_sources["official_title"]].registry == "euctr"


def test_member_state_records_are_one_trial(euctr_dir: Path, tmp_path: Path) -> None:
    """The same protocol in two member states: one trial, both records kept, both pages linked."""
    document = json.loads((euctr_dir / "2016-004489-24-DE.json").read_text())
    document["a1_member_state_concerned"] = "Spain - AEMPS"
    (tmp_path / "2016-004489-24-ES.json").write_text(json.dumps(document))
    (tmp_path / "2016-004489-24-DE.json").write_bytes((euctr_dir / "2016-004489-24-DE.json").read_bytes())
    store = MemoryStore()
    store.upsert_batch([r for r in read_path(tmp_path) if isinstance(r, Trial)])
    assert store.keys() == ["EUCTR2016-004489-24"]
    trial = store.get("EUCTR2016-004489-24-ES")
    assert trial is not None and len(trial.sources) == 2
    own = [r for r in registrations(trial) if r.own]
    assert [r.id for r in own] == ["EUCTR2016-004489-24-DE", "EUCTR2016-004489-24-ES"]
    assert [r.url for r in own] == [
        "https://www.clinicaltrialsregister.eu/ctr-search/trial/2016-004489-24/DE",
        "https://www.clinicaltrialsregister.eu/ctr-search/trial/2016-004489-24/ES",
    ]


def test_a_record_without_a_eudract_number_is_one_error() -> None:
    data = json.dumps({"ctrname": "EUCTR", "a3_full_title_of_the_trial": "No number"}).encode()
    results = list(read_path_bytes("bad.json", data))
    assert len(results) == 1 and isinstance(results[0], RecordError)
    assert "a2_eudract_number" in results[0].reason


def read_path_bytes(name: str, data: bytes) -> list[Trial | RecordError]:
    from trialatlas.sources.reading import read_blob

    return list(read_blob(Blob.from_bytes(name, data)))


def test_age_limits_follow_from_all_three_age_answers_only() -> None:
    child, adult, older = StandardAge.CHILD, StandardAge.ADULT, StandardAge.OLDER_ADULT
    cases = {
        (child,): (None, 17),
        (adult,): (18, 64),
        (older,): (65, None),
        (child, adult): (None, 64),
        (adult, older): (18, None),
        (child, adult, older): (None, None),
        (): (None, None),
    }
    for groups, expected in cases.items():
        low, high = age_limits_of_groups(list(groups))
        assert (low.years if low else None, high.years if high else None) == expected, groups
    # A record that leaves one age question unanswered bounds nothing.
    document = {"a2_eudract_number": "2020-000001-01", "f11_trial_has_subjects_under_18": "Yes",
                "f12_adults_1864_years": "No"}  # fmt: skip
    trial = build_trial(document, None)
    assert trial.eligibility.std_ages == [child]
    assert trial.eligibility.minimum_age is None and trial.eligibility.maximum_age is None
