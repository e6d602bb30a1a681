"""The ClinicalTrials.gov API v2 JSON reader: every input shape, the mapping, and bad input."""

from __future__ import annotations

import gzip
import io
import json
import zipfile
from pathlib import Path

import orjson
import pytest

from trialatlas.model import (
    ArmGroupType,
    InterventionType,
    OverallStatus,
    Phase,
    SourceFormat,
    Trial,
)
from trialatlas.sources import RecordError, read_path


def _studies(v2_jsonl: Path, count: int) -> list[dict[str, object]]:
    with gzip.open(v2_jsonl) as handle:
        return [orjson.loads(next(handle)) for _ in range(count)]


def _trials(results: list[Trial | RecordError]) -> list[Trial]:
    return [r for r in results if isinstance(r, Trial)]


def _errors(results: list[Trial | RecordError]) -> list[RecordError]:
    return [r for r in results if isinstance(r, RecordError)]


def test_reads_all_809_studies_from_jsonl_gz(v2_jsonl: Path) -> None:
    results = list(read_path(v2_jsonl))
    trials = _trials(results)
    assert _errors(results) == []
    assert len(trials) == 809
    assert len({t.nct_id for t in trials}) == 809
    recruiting = sum(t.status.overall_status is OverallStatus.RECRUITING for t in trials)
    assert recruiting == 247  # the count SOURCE.md gives for the sample


def test_mapping_of_one_study(v2_jsonl: Path) -> None:
    study = _studies(v2_jsonl, 1)[0]
    protocol = study["protocolSection"]
    assert isinstance(protocol, dict)
    trial = _trials(list(read_path_bytes("one.json", orjson.dumps(study))))[0]
    ident = protocol["identificationModule"]
    assert trial.nct_id == ident["nctId"]
    assert trial.brief_title == ident["briefTitle"]
    assert trial.org_study_id == ident["orgStudyIdInfo"]["id"]
    assert [s.id for s in trial.secondary_ids] == [s["id"] for s in ident.get("secondaryIdInfos", [])]
    source = trial.sources[0]
    assert source.format is SourceFormat.CTGOV_V2_JSON
    assert source.raw is not None and json.loads(source.raw)["protocolSection"] == protocol
    assert source.record_date is not None
    # provenance: every filled field is attributed to the one source record
    assert trial.field_sources and set(trial.field_sources.values()) == {source.id}
    assert "brief_title" in trial.field_sources


def test_enums_ages_and_lists_are_typed(v2_jsonl: Path) -> None:
    trials = _trials(list(read_path(v2_jsonl)))
    with_arms = [t for t in trials if t.arms and t.arms[0].type]
    assert with_arms and all(isinstance(t.arms[0].type, ArmGroupType) for t in with_arms)
    drugs = [i for t in trials for i in t.interventions if i.type is InterventionType.DRUG]
    assert len(drugs) > 100
    phased = [t for t in trials if Phase.PHASE3 in t.design.phases]
    assert phased
    adults = [t for t in trials if t.eligibility.minimum_age and t.eligibility.minimum_age.years == 18]
    assert len(adults) > 300
    split = [t for t in trials if t.eligibility.inclusion and t.eligibility.exclusion]
    assert len(split) > 700, "criteria text should split into inclusion and exclusion lists"


def read_path_bytes(name: str, data: bytes, tmp: Path | None = None) -> list[Trial | RecordError]:
    from trialatlas.sources.base import Blob
    from trialatlas.sources.reading import read_blob

    return list(read_blob(Blob.from_bytes(name, data)))


def test_page_array_single_and_zip_shapes(v2_jsonl: Path, tmp_path: Path) -> None:
    studies = _studies(v2_jsonl, 5)
    ids = [s["protocolSection"]["identificationModule"]["nctId"] for s in studies]  # type: ignore[index]
    page = tmp_path / "page.json"
    page.write_bytes(orjson.dumps({"studies": studies, "nextPageToken": "abc"}))
    array = tmp_path / "ctg-studies.json"
    array.write_bytes(orjson.dumps(studies, option=orjson.OPT_INDENT_2))
    single = tmp_path / "one.json"
    single.write_bytes(orjson.dumps(studies[0]))
    bulk = tmp_path / "ctg-studies.json.zip"
    with zipfile.ZipFile(bulk, "w") as archive:
        for study, nct in zip(studies, ids, strict=True):
            archive.writestr(f"{nct}.json", orjson.dumps(study))
    for path, expected in ((page, ids), (array, ids), (single, ids[:1]), (bulk, sorted(ids))):
        results = list(read_path(path))
        assert _errors(results) == [], path
        assert [t.nct_id for t in _trials(results)] == expected, path


def test_large_array_streams_element_by_element(v2_jsonl: Path, tmp_path: Path) -> None:
    studies = _studies(v2_jsonl, 40)
    array = tmp_path / "big.json"
    # More than one read chunk (1 MiB), so element boundaries fall across chunk edges.
    array.write_bytes(orjson.dumps(studies * 3))
    assert array.stat().st_size > 1 << 20
    results = list(read_path(array))
    assert _errors(results) == []
    assert len(_trials(results)) == 120


def test_bad_lines_are_reported_and_good_ones_land(v2_jsonl: Path, tmp_path: Path) -> None:
    good = _studies(v2_jsonl, 3)
    no_id = json.loads(json.dumps(good[0]))
    del no_id["protocolSection"]["identificationModule"]["nctId"]
    lines = [
        orjson.dumps(good[0]),
        b'{"protocolSection": {"identificationModule": {"nctId": "NCT0000',  # truncated
        orjson.dumps(no_id),
        b'{"protocolSection": {"identificationModule": {"nctId": "\xff\xfe"}}}',  # bad UTF-8
        orjson.dumps(good[1]),
        orjson.dumps({"protocolSection": {"identificationModule": {"nctId": "NOT-AN-ID"}}}),
        orjson.dumps(good[2]),
    ]
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    results = list(read_path(path))
    assert len(_trials(results)) == 3
    errors = _errors(results)
    assert [e.location for e in errors] == [f"{path}#line {n}" for n in (2, 3, 4, 6)]
    reasons = [e.reason for e in errors]
    assert reasons[0].startswith("malformed JSON")
    assert reasons[1] == "record without an NCT id"
    assert reasons[2].startswith("malformed JSON")
    assert "malformed NCT id" in reasons[3]


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("empty.json", b"", "empty file"),
        ("blank.json", b"   \n\n", "empty file"),
        ("binary.bin", bytes(range(256)) * 4, "binary data"),
        ("notes.txt", b"just some words about nothing in particular\n", "no reader recognises"),
        ("other.json", b'{"hello": "world"}', "no reader recognises"),
    ],
)
def test_unreadable_blobs_get_one_clear_error(name: str, data: bytes, reason: str) -> None:
    results = read_path_bytes(name, data)
    assert len(results) == 1
    error = results[0]
    assert isinstance(error, RecordError)
    assert error.location == name
    assert reason in error.reason


def test_truncated_single_study_is_reported(v2_jsonl: Path, tmp_path: Path) -> None:
    data = orjson.dumps(_studies(v2_jsonl, 1)[0])
    results = read_path_bytes("cut.json", data[: len(data) // 2])
    assert len(results) == 1 and isinstance(results[0], RecordError)
    assert "malformed JSON" in results[0].reason


def test_zip_with_a_broken_member_keeps_the_good_ones(v2_jsonl: Path, tmp_path: Path) -> None:
    studies = _studies(v2_jsonl, 2)
    archive_path = tmp_path / "ctg-studies.json.zip"
    with zipfile.ZipFile(archive_path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.json", orjson.dumps(studies[0]))
        archive.writestr("b.json", orjson.dumps(studies[1]))
    raw = bytearray(archive_path.read_bytes())
    # Corrupt the compressed bytes of the second member, leaving the directory intact.
    with zipfile.ZipFile(io.BytesIO(bytes(raw))) as archive:
        info = archive.getinfo("b.json")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    for offset in range(start + 5, start + 25):
        raw[offset] ^= 0xFF
    archive_path.write_bytes(bytes(raw))
    results = list(read_path(archive_path))
    assert [t.nct_id for t in _trials(results)] == [
        studies[0]["protocolSection"]["identificationModule"]["nctId"]  # type: ignore[index]
    ]
    errors = _errors(results)
    assert len(errors) == 1 and errors[0].location.endswith("!b.json")
