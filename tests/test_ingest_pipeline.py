"""Ingest as a pipeline: reader processes prepare each trial for the store (key, ids, row, encoded JSON,
hashes, compression) and the writer plans by ids and writes what they prepared.

A prepared trial must land exactly as the same trial read in the writer would: the same content
digest, the same history, the same report, whether it is new, merges into a stored trial, is merged
into by a later record of its batch, or is re-read unchanged.
"""

from __future__ import annotations

import copy
import gzip
import itertools
from pathlib import Path
from typing import Any

import orjson
import pytest

from trialatlas.model import Trial
from trialatlas.services.ingest import IngestReport, ingest, prepare_blobs
from trialatlas.sources import read_path
from trialatlas.sources.base import RecordError
from trialatlas.sources.containers import iter_blobs
from trialatlas.store import MemoryStore, SqliteStore
from trialatlas.store.base import TrialStore, encode_trial
from trialatlas.store.planner import PreparedTrial, prepare_trial
from trialatlas.store.postgres import PostgresStore


def _studies(v2_jsonl: Path, count: int) -> list[dict[str, Any]]:
    with gzip.open(v2_jsonl) as lines:
        return [orjson.loads(line) for line in itertools.islice(lines, count)]


def _revised(study: dict[str, Any], status: str = "TERMINATED") -> dict[str, Any]:
    """The same study as a later version of the registry shows it: new status, later update date."""
    revised = copy.deepcopy(study)
    module = revised["protocolSection"]["statusModule"]
    module["overallStatus"] = status
    module["lastUpdatePostDateStruct"] = {"date": "2031-01-15", "type": "ACTUAL"}
    module["lastUpdateSubmitDate"] = "2031-01-10"
    return revised


def _jsonl(path: Path, studies: list[dict[str, Any]]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(study) + b"\n" for study in studies))
    return path


@pytest.fixture(scope="module")
def merging_inputs(
    tmp_path_factory: pytest.TempPathFactory, shared_data: Path, v2_jsonl: Path, target_trials: Path
) -> list[Path]:
    """Inputs whose records merge every way a batch can: a later line of a file revises a study an
    earlier line of the same batch brought in; a later file revises studies stored by earlier batches;
    other registries' records and broken records sit between them."""
    folder = tmp_path_factory.mktemp("pipeline-inputs")
    studies = _studies(v2_jsonl, 120)
    first = _jsonl(
        folder / "first.jsonl",
        [*studies[:60], *(_revised(study) for study in studies[:8]), *studies[60:90]],
    )
    later = _jsonl(
        folder / "later.jsonl",
        [_revised(study, "COMPLETED") for study in studies[30:70]] + studies[90:120],
    )
    broken = folder / "broken.xml"
    whole = (target_trials / "NCT00371319.xml").read_bytes()
    broken.write_bytes(whole[: len(whole) // 2])
    return [
        first,
        shared_data / "ctgov_format_fixtures" / "ctgov_format_fixtures.tar.gz",
        broken,
        shared_data / "ictrp_export" / "ictrp_export_sample.csv",
        target_trials,
        later,
    ]


def _errors(report: IngestReport) -> list[tuple[str, str, str | None]]:
    return [(error.location, error.reason, error.field) for error in report.errors]


def _counts(report: IngestReport) -> tuple[int, int, int, int]:
    return report.read, report.new, report.updated, report.unchanged


def _histories(store: TrialStore) -> dict[str, list[bytes]]:
    """Every version of each trial that has more than one."""
    histories: dict[str, list[bytes]] = {}
    for key in list(store.keys()):
        versions = store.versions(key)
        if len(versions) > 1:
            histories[key] = [encode_trial(version.trial) for version in versions]
    return histories


@pytest.mark.slow
def test_parallel_ingest_stores_what_a_serial_one_does(merging_inputs: list[Path], tmp_path: Path) -> None:
    stores = {workers: SqliteStore(tmp_path / f"workers-{workers}.db") for workers in (1, 3)}
    try:
        reports = {
            workers: [ingest(merging_inputs, store, workers=workers, batch_size=25) for _ in range(2)]
            for workers, store in stores.items()
        }
        serial, parallel = stores[1], stores[3]
        first, again = reports[1]
        # The inputs do what they are for: merges within and across batches, bad records, re-reads.
        assert first.updated >= 40 and first.new > 400
        assert any("broken.xml" in location for location, _, _ in _errors(first))
        assert again.unchanged > 400 and again.new == 0
        for serial_report, parallel_report in zip(reports[1], reports[3], strict=True):
            assert _counts(parallel_report) == _counts(serial_report)
            assert _errors(parallel_report) == _errors(serial_report)
        assert serial.integrity_check() == [] and parallel.integrity_check() == []
        assert parallel.content_digest() == serial.content_digest()
        assert parallel.stats() == serial.stats()
        histories = _histories(serial)
        assert len(histories) >= 40
        assert _histories(parallel) == histories
    finally:
        for store in stores.values():
            store.close()


def test_readers_hand_the_writer_prepared_trials(merging_inputs: list[Path]) -> None:
    items = itertools.chain.from_iterable(iter_blobs(path) for path in merging_inputs[:3])
    results = list(prepare_blobs(items, workers=2, compression=1))
    prepared = [result for result in results if isinstance(result, PreparedTrial)]
    assert len(prepared) > 200
    assert not [result for result in results if isinstance(result, Trial)]
    assert any(isinstance(result, RecordError) for result in results)
    # Compressed at the level asked, ready to be written as they are.
    assert {trial.row.packed[0] for trial in prepared if trial.row.packed} == {1}
    assert all(raw[3] is not None for trial in prepared for raw in trial.raws)


@pytest.fixture(scope="module")
def read_trials(merging_inputs: list[Path]) -> list[Trial]:
    return [
        result
        for path in merging_inputs
        for result in read_path(path)
        if isinstance(result, Trial) and (result.nct_id or result.registry_ids or result.org_study_id)
    ]


def test_a_prepared_trial_decodes_back_to_the_trial(read_trials: list[Trial]) -> None:
    for trial in read_trials[::7]:
        prepared = prepare_trial(trial, 1)
        assert prepared.key == trial.key
        assert prepared.trial().model_dump_json() == trial.model_dump_json()
        assert prepared.location == trial.sources[-1].location


@pytest.mark.parametrize("backend", ["memory", "sqlite-level-1", "sqlite-level-6", "postgres"])
def test_prepared_and_plain_trials_store_the_same(
    backend: str, read_trials: list[Trial], tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    def open_store(name: str) -> TrialStore:
        if backend == "memory":
            return MemoryStore()
        if backend == "postgres":
            # Digests do not depend on the backend: the plain trials go to memory.
            return PostgresStore(request.getfixturevalue("pg_url")) if name == "prepared" else MemoryStore()
        return SqliteStore(tmp_path / f"{name}.db", compression=int(backend.rsplit("-", 1)[1]))

    plain, prepared = open_store("plain"), open_store("prepared")
    try:
        # Prepared at level 1 whatever the store's level: a store at another level compresses again.
        # Batches of 40 put revisions in the batch of the study they revise, and in later ones.
        summaries = []
        for start in range(0, len(read_trials), 40):
            batch = read_trials[start : start + 40]
            summaries.append(
                (
                    plain.upsert_batch(batch),
                    prepared.upsert_batch([prepare_trial(trial, 1) for trial in batch]),
                )
            )
        assert sum(mine.updated for _, mine in summaries) >= 40
        for theirs, mine in summaries:
            assert (mine.new, mine.updated, mine.unchanged, mine.outcomes, mine.renamed) == (
                theirs.new,
                theirs.updated,
                theirs.unchanged,
                theirs.outcomes,
                theirs.renamed,
            )
        assert prepared.integrity_check() == []
        assert prepared.content_digest() == plain.content_digest()
        assert _histories(prepared) == _histories(plain)
        # Re-read unchanged, prepared: recognised as such, nothing written.
        again = prepared.upsert_batch([prepare_trial(trial, 1) for trial in read_trials[:50]])
        assert again.new == again.updated == 0 and again.unchanged > 0
        assert prepared.content_digest() == plain.content_digest()
    finally:
        plain.close()
        prepared.close()


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_records_kept_with_values_not_read_are_counted_and_named(
    shared_data: Path, tmp_path: Path, workers: int
) -> None:
    # Room audit2: an API v2 study with overallStatus "RECRUITNG" or an ISRCTN record with the start
    # date "2011-13-45" landed with the value left out and the ingest said nothing ("failed 0", no line):
    # the warning was only in the stored source record. The report now counts such records and names
    # each warning with its record's location, serial or parallel, prepared or plain.
    folder = tmp_path / "in"
    folder.mkdir()
    isrctn = shared_data / "eu_isrctn_ctrdata" / "isrctn"
    good = orjson.loads((isrctn / "61070850.json").read_bytes())
    bad = orjson.loads((isrctn / "20343063.json").read_bytes())
    bad["participants"]["recruitmentStart"] = "2011-13-45T00:00:00.000Z"
    (folder / "good.json").write_bytes(orjson.dumps(good))
    (folder / "bad.json").write_bytes(orjson.dumps(bad))
    report = ingest([folder], MemoryStore(), workers=workers, derive=False)
    assert report.read == 2 and report.failed == 0 and report.new == 2
    assert report.warned == 1
    assert [(w.location, w.reason) for w in report.warnings] == [
        (
            str(folder / "bad.json"),
            "participants.recruitmentStart: unreadable date '2011-13-45T00:00:00.000Z'",
        )
    ]
    shown = report.as_dict()
    assert shown["warned"] == 1 and shown["warnings"] == [
        {"location": str(folder / "bad.json"), "reason": report.warnings[0].reason}
    ]
