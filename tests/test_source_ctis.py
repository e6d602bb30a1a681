"""EU CTIS records: fields from both API shapes in the shared data, products with doses, identity links."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trialatlas.extract.regimen.drugs import lookup
from trialatlas.model import DateType, OverallStatus, Phase, Sex, SourceFormat, StandardAge, Trial
from trialatlas.sources import RecordError, detect_reader, read_path
from trialatlas.sources.base import Blob
from trialatlas.sources.reading import read_blob
from trialatlas.store import MemoryStore


@pytest.fixture(scope="module")
def ctis_dir(shared_data: Path) -> Path:
    return shared_data / "eu_isrctn_ctrdata" / "ctis"


@pytest.fixture(scope="module")
def trials(ctis_dir: Path) -> dict[str, Trial]:
    results = list(read_path(ctis_dir))
    assert not [r for r in results if isinstance(r, RecordError)]
    return {r.key: r for r in results if isinstance(r, Trial)}


def test_detected_and_keyed_by_ct_number(ctis_dir: Path, trials: dict[str, Trial]) -> None:
    for path in sorted(ctis_dir.glob("*.json")):
        found, confidence = detect_reader(Blob.from_bytes(path.name, path.read_bytes()))
        assert found is not None and found.name == "ctis-json" and confidence >= 0.9, path.name
    assert sorted(trials) == [
        "2022-500244-37-00",
        "2023-505613-24-00",
        "2023-508143-51-01",
        "2024-510663-34-00",
    ]
    source = trials["2023-508143-51-01"].sources[0]
    assert (source.format, source.registry, source.registry_id) == (
        SourceFormat.CTIS_JSON, "ctis", "2023-508143-51-01",
    )  # fmt: skip
    assert source.url is not None and source.url.endswith("EUCT=2023-508143-51-01")
    assert source.record_date is not None and source.record_date.isoformat() == "2024-05-06"


def test_fields(trials: dict[str, Trial]) -> None:
    trial = trials["2023-508143-51-01"]
    assert trial.brief_title is not None and trial.brief_title.startswith("Pulmonary function and sleep")
    assert trial.status.overall_status is OverallStatus.NOT_YET_RECRUITING
    assert trial.design.phases == [Phase.PHASE4]
    assert trial.status.start_date is not None and trial.status.start_date.type is DateType.ESTIMATED
    assert trial.eligibility.std_ages == [StandardAge.ADULT, StandardAge.OLDER_ADULT]
    assert trial.eligibility.sex is Sex.ALL
    assert trial.conditions == ["Spinal cord Injury"]
    assert trial.countries == ["Netherlands"]
    assert trial.lead_sponsor is not None and trial.lead_sponsor.name == "Roessingh Centrum Voor Revalidatie"
    assert trial.eligibility.inclusion and trial.eligibility.exclusion
    assert trial.outcomes and trial.outcomes[0].measure.startswith("The primary endpoint")
    covid = trials["2022-500244-37-00"]
    assert covid.design.phases == [Phase.PHASE2]
    assert "COVID-19" in covid.conditions
    # The list form of trialCountries ("Belgium:4") reads too.
    assert any(len(t.countries) > 1 for t in trials.values())


def test_products_with_doses_and_routes(trials: dict[str, Trial]) -> None:
    baclofen = trials["2023-508143-51-01"].interventions[0]
    assert baclofen.name == "baclofen" and lookup(baclofen.name) is not None
    assert baclofen.description is not None
    assert (
        "Maximum daily dose: 200 µg" in baclofen.description and "INTRATRACHEAL USE" in baclofen.description
    )
    names = [i.name for i in trials["2022-500244-37-00"].interventions]
    assert "pamapimod" in names and "Pamapimod Placebo" in names


def test_eudract_number_links_the_eu_ctr_trial(trials: dict[str, Trial]) -> None:
    trial = trials["2023-508143-51-01"]
    assert [s.id for s in trial.secondary_ids] == ["2021-004994-30"]
    store = MemoryStore()
    store.upsert_batch([trial])
    for text in ("2023-508143-51-01", "2021-004994-30", "EUCTR2021-004994-30-NL"):
        found = store.get(text)
        assert found is not None and found.key == "2023-508143-51-01", text


def test_a_record_without_a_ct_number_is_one_error() -> None:
    data = json.dumps({"ctrname": "CTIS", "title": "No number", "ctNumber": "12345"}).encode()
    results = list(read_blob(Blob.from_bytes("bad.json", data)))
    assert len(results) == 1 and isinstance(results[0], RecordError)
    assert "ctNumber" in results[0].reason


def test_a_document_cut_short_is_one_error_not_one_per_line(ctis_dir: Path) -> None:
    # Room audit2: a pretty-printed CTIS record cut off in the middle (a copy that stopped) was read
    # as JSON lines, 139 errors "not JSON" for its 139 lines; it is one error naming the file and
    # where the document breaks.
    whole = (ctis_dir / "2024-510663-34-00.json").read_bytes()
    assert whole.count(b"\n") > 100  # a document over many lines, as ctrdata writes them
    results = list(read_blob(Blob.from_bytes("cut.json", whole[: len(whole) // 10])))
    assert len(results) == 1 and isinstance(results[0], RecordError)
    assert results[0].location == "cut.json"
    assert "not JSON" in results[0].reason and "line" in results[0].reason
