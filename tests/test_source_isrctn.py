"""ISRCTN records: fields, single and repeated XML elements, identity links to EU CTR and CT.gov."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trialatlas.model import (
    Allocation,
    DateType,
    InterventionType,
    OutcomeKind,
    OverallStatus,
    Phase,
    PrimaryPurpose,
    SecondaryIdType,
    Sex,
    SourceFormat,
    StandardAge,
    StudyType,
    Trial,
)
from trialatlas.sources import RecordError, detect_reader, read_path
from trialatlas.sources.base import Blob
from trialatlas.sources.reading import read_blob


@pytest.fixture(scope="module")
def isrctn_dir(shared_data: Path) -> Path:
    return shared_data / "eu_isrctn_ctrdata" / "isrctn"


@pytest.fixture(scope="module")
def trials(isrctn_dir: Path) -> dict[str, Trial]:
    results = list(read_path(isrctn_dir))
    assert not [r for r in results if isinstance(r, RecordError)]
    return {r.key: r for r in results if isinstance(r, Trial)}


def test_detected_and_keyed_by_isrctn(isrctn_dir: Path, trials: dict[str, Trial]) -> None:
    for path in sorted(isrctn_dir.glob("*.json")):
        found, confidence = detect_reader(Blob.from_bytes(path.name, path.read_bytes()))
        assert found is not None and found.name == "isrctn-json" and confidence >= 0.9, path.name
    assert len(trials) == 9 and all(key.startswith("ISRCTN") and len(key) == 14 for key in trials)
    source = trials["ISRCTN96912679"].sources[0]
    assert (source.format, source.registry, source.url) == (
        SourceFormat.ISRCTN_JSON, "isrctn", "https://www.isrctn.com/ISRCTN96912679",
    )  # fmt: skip


def test_fields(trials: dict[str, Trial]) -> None:
    trial = trials["ISRCTN96912679"]
    assert trial.acronym == "TOAST" and trial.brief_title is not None
    assert trial.design.study_type is StudyType.INTERVENTIONAL
    assert trial.design.allocation is Allocation.RANDOMIZED
    assert trial.design.primary_purpose is PrimaryPurpose.TREATMENT
    assert trial.design.phases == [Phase.PHASE3]
    assert trial.design.enrollment is not None and trial.design.enrollment.count == 211
    assert trial.design.enrollment.type is DateType.ESTIMATED
    assert trial.eligibility.sex is Sex.ALL and trial.eligibility.std_ages == [StandardAge.CHILD]
    assert trial.eligibility.inclusion and trial.eligibility.exclusion
    assert [i.name for i in trial.interventions] == ["Omeprazole", "esomeprazole"]
    assert all(i.type is InterventionType.DRUG for i in trial.interventions)
    # A numbered secondary outcome list is one outcome per item.
    secondary = [o for o in trial.outcomes if o.kind is OutcomeKind.SECONDARY]
    assert len(secondary) > 1 and not secondary[0].measure.startswith("1.")
    # Several trial centres (a repeated element) and a single one both read.
    assert len(trial.locations) > 1 and trial.locations[0].facility == "University Hospital Southampton"
    assert all(t.locations for t in trials.values())


def test_ages_status_and_links(trials: dict[str, Trial]) -> None:
    with_limits = [t for t in trials.values() if t.eligibility.maximum_age is not None]
    assert with_limits and all(t.eligibility.maximum_age.years < 1 for t in with_limits)  # type: ignore[union-attr]
    stopped = [t for t in trials.values() if t.status.overall_status is OverallStatus.TERMINATED]
    assert stopped and all(t.status.why_stopped for t in stopped)
    elfin = trials["ISRCTN88261002"]
    assert [(s.id, s.type) for s in elfin.secondary_ids] == [
        ("2012-004260-22", SecondaryIdType.EUDRACT_NUMBER)
    ]
    assert elfin.org_study_id == "ELFIN01"
    linked_nct = [t for t in trials.values() if any(s.id.startswith("NCT") for s in t.secondary_ids)]
    assert linked_nct, "an externalRefs NCT number is an identity link"


def test_a_record_with_a_bad_number_is_one_error() -> None:
    data = json.dumps({"ctrname": "ISRCTN", "isrctn": "12", "trialDescription": {}}).encode()
    results = list(read_blob(Blob.from_bytes("bad.json", data)))
    assert len(results) == 1 and isinstance(results[0], RecordError)
    assert "isrctn" in results[0].reason


def test_ages_a_record_does_not_state_are_not_stated_not_unlimited(trials: dict[str, Trial]) -> None:
    """An ISRCTN record without ``lowerAgeLimit``/``upperAgeLimit`` says nothing about a limit: shown as
    "not stated", where a ClinicalTrials.gov record without one (its "N/A") has none."""
    from trialatlas.cli.show import render_trial
    from trialatlas.model import Age, AgeUnit, SourceRecord

    silent = trials["ISRCTN96912679"]
    assert silent.eligibility.minimum_age is None and silent.eligibility.maximum_age is None
    assert (silent.age_limit_text("minimum"), silent.age_limit_text("maximum")) == (
        "not stated",
        "not stated",
    )
    bounded = trials["ISRCTN17473621"]
    assert (bounded.age_limit_text("minimum"), bounded.age_limit_text("maximum")) == ("2 Days", "14 Days")
    ctgov = Trial(
        nct_id="NCT01234568", sources=[SourceRecord(id="x", format=SourceFormat.CTGOV_XML, location="x")]
    )
    ctgov.eligibility.maximum_age = Age(value=65, unit=AgeUnit.YEARS)
    ctgov.field_sources["eligibility"] = "x"
    assert (ctgov.age_limit_text("minimum"), ctgov.age_limit_text("maximum")) == ("no limit", "65 Years")
    shown = " ".join(str(getattr(r, "renderable", r)) for r in render_trial(silent))
    assert "no limit" not in shown.lower()


def test_a_value_that_cannot_be_read_is_a_warning_not_dropped_in_silence(isrctn_dir: Path) -> None:
    # Room audit2: "recruitmentStart": "2011-13-45…" and "targetEnrolment": "-5" left the start date
    # and the enrolment out with no word, where ICTRP rows and API v2 studies say which field and value
    # could not be read (the source record's warnings); the record itself still lands.
    document = json.loads((isrctn_dir / "20343063.json").read_text(encoding="utf-8"))
    document["participants"]["recruitmentStart"] = "2011-13-45T00:00:00.000Z"
    document["participants"]["targetEnrolment"] = "-5"
    results = list(read_blob(Blob.from_bytes("edited.json", json.dumps(document).encode())))
    assert len(results) == 1 and isinstance(results[0], Trial)
    trial = results[0]
    assert trial.status.start_date is None and trial.design.enrollment is None
    warnings = trial.sources[0].warnings
    assert any(w.startswith("participants.recruitmentStart: ") and "2011-13-45" in w for w in warnings)
    assert any(w.startswith("participants.targetEnrolment: ") and "'-5'" in w for w in warnings)


def test_a_record_read_whole_has_no_warnings(trials: dict[str, Trial]) -> None:
    assert trials and all(not trial.sources[0].warnings for trial in trials.values())
