"""Ingest speed work: merging without copies, and reading in worker processes.

A parallel read must be a serial read done elsewhere: the same records and errors in the same order,
with the input read ahead only a bounded amount, reader bugs raised as they would be, and workers
that never outlive the process that started them.
"""

from __future__ import annotations

import copy
import itertools
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

import psutil
import pytest

from trialatlas.model import Age, AgeUnit, Design, Eligibility, SourceFormat, SourceRecord, Trial
from trialatlas.model.merge import merge_trials, stamp_provenance
from trialatlas.services import ingest as ingest_module
from trialatlas.services.ingest import default_workers, ingest, read_blobs
from trialatlas.sources import read_path
from trialatlas.sources.base import Blob, ReadResult, RecordError
from trialatlas.sources.containers import iter_blobs, memory_blob
from trialatlas.store import SqliteStore


def _dumped(results: Iterable[ReadResult]) -> list[str]:
    return [
        r.model_dump_json() if isinstance(r, Trial) else f"error {r.location}: {r.reason}" for r in results
    ]


# --- merge_trials(copy=False) -------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_trials(shared_data: Path, v2_jsonl: Path, target_trials: Path) -> list[Trial]:
    """Full and partial records of several formats, newer and older, with overlapping fields."""
    trials: list[Trial] = []
    for path, count in (
        (v2_jsonl, 12),
        (target_trials, 5),
        (shared_data / "ctgov_legacy_xml_2023" / "ctgov_search_results_legacy_export.csv", 6),
        (shared_data / "ctgov_api_v2_samples" / "csv_export", 6),
        (shared_data / "ctgov_trial_descriptions_100k", 6),
    ):
        trials.extend(r for r in itertools.islice(read_path(path), count) if isinstance(r, Trial))
    assert len(trials) == 35
    assert {t.is_partial for t in trials} == {True, False}
    return trials


def test_merge_without_copies_gives_the_same_trial(real_trials: list[Trial]) -> None:
    taken_from_both = 0
    for existing, incoming in itertools.permutations(real_trials[::2], 2):
        before = (existing.model_dump_json(), incoming.model_dump_json())
        copied = merge_trials(existing, incoming)
        # The default leaves both inputs as they were and shares no model with ``existing``.
        assert (existing.model_dump_json(), incoming.model_dump_json()) == before
        assert copied.status is not existing.status and copied.design is not existing.design

        own_existing, own_incoming = copy.deepcopy(existing), copy.deepcopy(incoming)
        in_place = merge_trials(own_existing, own_incoming, copy=False)
        assert in_place is own_existing
        assert in_place == copied
        assert in_place.model_dump_json() == copied.model_dump_json()
        assert own_incoming.model_dump_json() == before[1]  # only ``existing`` is updated
        if len(set(copied.field_sources.values())) > 1:
            taken_from_both += 1
    # The pairs exercise the rules: many merges keep fields of both records.
    assert taken_from_both > 50


def test_merge_chains_without_copies(real_trials: list[Trial]) -> None:
    copied = real_trials[0]
    in_place = copy.deepcopy(real_trials[0])
    for incoming in real_trials[1:]:
        copied = merge_trials(copied, incoming)
        in_place = merge_trials(in_place, copy.deepcopy(incoming), copy=False)
    assert in_place.model_dump_json() == copied.model_dump_json()
    assert len(in_place.sources) == len(real_trials)


def test_stamp_attributes_exactly_the_filled_fields(real_trials: list[Trial]) -> None:
    record = SourceRecord(id="s", format=SourceFormat.CTGOV_XML, location="x")
    edge = Trial(
        nct_id="NCT00000001",
        brief_title="",  # empty text is no content
        design=Design(),  # a sub-model with nothing in it is no content
        eligibility=Eligibility(minimum_age=Age(value=18, unit=AgeUnit.YEARS)),  # a nested model is
        has_results=False,  # a false flag is content
        sources=[record],
    )
    for trial in [*real_trials, edge]:
        stamped = stamp_provenance(trial.model_copy(deep=True))
        # Keys name a field, or a sub-field of one ("status.start_date"), in the model's order.
        fields = list(dict.fromkeys(key.split(".")[0] for key in stamped.field_sources))
        assert fields == trial.filled_fields()
        assert set(stamped.field_sources.values()) <= {trial.sources[-1].id}
    assert {key.split(".")[0] for key in stamp_provenance(edge).field_sources} == {
        "eligibility",
        "has_results",
    }


# --- reading in workers -------------------------------------------------------------------------


def _explode() -> IO[bytes]:
    raise RuntimeError("reader bug")


def _die() -> IO[bytes]:
    os._exit(3)


def _mixed_items(shared_data: Path, v2_jsonl: Path, target_trials: Path) -> Iterator[Blob | RecordError]:
    small = (target_trials / "NCT00371319.xml").read_bytes()
    yield from iter_blobs(shared_data / "ctgov_format_fixtures" / "ctgov_format_fixtures.tar.gz")
    yield from iter_blobs(target_trials / "no-such-file.xml")
    yield Blob.from_bytes("inline.xml", small)  # cannot be pickled: read in the parent, in order
    yield memory_blob("broken.xml", small[: len(small) // 2])
    yield from iter_blobs(v2_jsonl)  # one blob of 809 studies, streamed back in many messages
    yield from iter_blobs(target_trials)


def test_workers_read_what_a_serial_read_does(shared_data: Path, v2_jsonl: Path, target_trials: Path) -> None:
    serial = _dumped(read_blobs(_mixed_items(shared_data, v2_jsonl, target_trials)))
    # Two readers: records of blobs read side by side still come back in input order.
    parallel = _dumped(read_blobs(_mixed_items(shared_data, v2_jsonl, target_trials), workers=3))
    assert len(serial) > 900
    errors = [line for line in serial if line.startswith("error ")]
    assert any("no such file" in e for e in errors) and any("broken.xml" in e for e in errors)
    assert parallel == serial


def test_read_ahead_is_bounded(target_trials: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ingest_module, "TASKS_PER_WORKER", 2)  # a bound well below the input
    data = (target_trials / "NCT00371319.xml").read_bytes()
    total = 1200
    pulled = 0

    def items() -> Iterator[Blob]:
        nonlocal pulled
        for index in range(total):
            pulled += 1
            yield memory_blob(f"copy-{index}.xml", data)

    workers = 3  # two reader processes
    # Tasks handed out, a task being grouped, and the one-unit look-ahead of the first task.
    bound = ((workers - 1) * ingest_module.TASKS_PER_WORKER + 2) * ingest_module.TASK_BLOBS
    received = 0
    most_ahead = 0
    for result in read_blobs(items(), workers=workers):
        assert isinstance(result, Trial) and result.sources[0].location == f"copy-{received}.xml"
        received += 1
        most_ahead = max(most_ahead, pulled - received)
    assert received == total
    assert 0 < most_ahead <= bound < total


def _copies(target_trials: Path, count: int, prefix: str) -> list[Blob]:
    data = (target_trials / "NCT00371319.xml").read_bytes()
    return [memory_blob(f"{prefix}-{i}.xml", data) for i in range(count)]


@pytest.mark.parametrize("workers", [1, 2])
def test_a_reader_bug_is_raised_after_the_records_before_it(target_trials: Path, workers: int) -> None:
    # More than one task's worth, so that the bad blob is read in a worker, not in this process.
    before = _copies(target_trials, ingest_module.TASK_BLOBS + 5, "before")
    after = _copies(target_trials, 5, "after")
    seen: list[ReadResult] = []
    with pytest.raises(RuntimeError, match="reader bug"):
        seen.extend(read_blobs([*before, Blob("bad.xml", _explode), *after], workers=workers))
    assert [r.sources[0].location for r in seen if isinstance(r, Trial)] == [b.name for b in before]


def test_a_worker_that_dies_is_reported_and_reading_goes_on(target_trials: Path) -> None:
    before = _copies(target_trials, ingest_module.TASK_BLOBS + 5, "before")
    after = _copies(target_trials, ingest_module.TASK_BLOBS + 5, "after")
    results = list(read_blobs([*before, Blob("fatal.xml", _die), *after], workers=2))
    [error] = [r for r in results if isinstance(r, RecordError)]
    assert "exit code 3" in error.reason
    read = [r.sources[0].location for r in results if isinstance(r, Trial)]
    # The tasks before the dead one, and those after it (read by a new worker), all land.
    assert read[: ingest_module.TASK_BLOBS // 2] == [b.name for b in before[: ingest_module.TASK_BLOBS // 2]]
    assert read[-1] == after[-1].name and len(set(read)) == len(read)


def test_a_lone_small_input_starts_no_worker(target_trials: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[object] = []
    monkeypatch.setattr(ingest_module._Worker, "__init__", lambda *args: started.append(args))
    results = list(read_blobs(iter_blobs(target_trials), workers=4))
    assert len(results) == 5 and started == []


def test_default_workers_is_bounded() -> None:
    assert 1 <= default_workers() <= ingest_module.MAX_DEFAULT_WORKERS


@pytest.mark.parametrize(("cpus", "workers"), [(1, 1), (2, 3), (4, 5), (16, 5)])
def test_default_workers_puts_a_preparing_reader_on_each_core(
    cpus: int, workers: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: set(range(cpus)), raising=False)
    assert default_workers() == workers
    # From two cores on, the readers prepare rows, so the writer needs little of a core.
    assert workers == 1 or workers >= ingest_module.PREPARE_FROM_WORKERS


@pytest.mark.slow
def test_parallel_ingest_writes_the_same_store(
    shared_data: Path, v2_jsonl: Path, target_trials: Path, tmp_path: Path
) -> None:
    inputs = [shared_data / "ctgov_format_fixtures", v2_jsonl, target_trials]
    digests = []
    for workers in (1, 2):
        store = SqliteStore(tmp_path / f"w{workers}.db")
        try:
            first = ingest(inputs, store, workers=workers)
            again = ingest(inputs, store, workers=workers)
            digests.append(store.content_digest())
        finally:
            store.close()
        assert first.new > 900 and first.failed == 3
        assert (again.new, again.updated, again.unchanged) == (0, 0, first.new + first.updated)
    assert digests[0] == digests[1]


@pytest.mark.slow
def test_cli_workers_option(v2_jsonl: Path, target_trials: Path, tmp_path: Path) -> None:
    digests = []
    for workers in ("1", "2"):
        db = tmp_path / f"cli{workers}.db"
        command = [sys.executable, "-m", "trialatlas", "ingest", "--db", str(db), "--workers", workers]
        subprocess.run([*command, str(v2_jsonl), str(target_trials)], check=True, capture_output=True)
        store = SqliteStore(db)
        try:
            assert store.count() == 814
            digests.append(store.content_digest())
        finally:
            store.close()
    assert digests[0] == digests[1]


_KILLED_INGEST = """
import sys
from trialatlas.services.ingest import ingest
from trialatlas.store import SqliteStore
ingest([sys.argv[1]], SqliteStore(sys.argv[2]), workers=3)  # two reader processes
"""


@pytest.mark.slow
def test_workers_die_with_a_killed_parent(shared_data: Path, tmp_path: Path) -> None:
    tarball = shared_data / "ctgov_legacy_xml_2023" / "ctgov_legacy_xml_feb2023.tar.gz"
    command = [sys.executable, "-c", _KILLED_INGEST, str(tarball), str(tmp_path / "killed.db")]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    parent = psutil.Process(process.pid)
    deadline = time.monotonic() + 60
    workers: list[psutil.Process] = []
    while time.monotonic() < deadline and len(workers) < 2 and process.poll() is None:
        workers = [c for c in parent.children() if "spawn_main" in " ".join(c.cmdline())]
        time.sleep(0.05)
    assert len(workers) == 2, "the ingest never started its workers"
    time.sleep(1.0)  # let them get busy reading
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    deadline = time.monotonic() + 10
    while (running := [w for w in workers if _running(w)]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert running == []


def _running(process: psutil.Process) -> bool:
    # A worker that exited stays a zombie until something reaps it: dead all the same.
    try:
        return bool(process.status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False
