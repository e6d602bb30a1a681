"""The ingest fault suite: hostile inputs of every kind never crash an ingest, never cost the good
records beside them, stay within bounded memory, and each gets a clear error naming where it is.

Inputs come from the seeded generator in ``hostile_inputs`` (built from the shared records at run
time); the regression tests below pin each defect the hardening audit found.
"""

from __future__ import annotations

import gzip
import io
import json
import lzma
import os
import subprocess
import sys
import tarfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import orjson
import psutil
import pytest

from hostile_inputs import OPAQUE_REASON, TEST_LIMITS, Generator, Samples
from trialatlas.errors import StoreError
from trialatlas.model import Trial
from trialatlas.services.ingest import ingest, ingest_results
from trialatlas.sources.base import RecordError
from trialatlas.sources.pages import read_page
from trialatlas.sources.reading import read_path
from trialatlas.store import open_store
from trialatlas.store.base import UpsertSummary
from trialatlas.store.memory import MemoryStore

# Peak resident memory an ingest of a hostile batch may add (the bombs expand to 8 MiB each and
# must be refused at 4 MiB; one read whole would show up as hundreds of MB).
RSS_BOUND = 300 << 20


@pytest.fixture(scope="module")
def samples(shared_data: Path) -> Samples:
    return Samples.load(shared_data)


@pytest.fixture
def test_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in TEST_LIMITS.items():
        monkeypatch.setenv(name, value)


@contextmanager
def peak_rss() -> Iterator[list[int]]:
    """Samples this process's RSS every 5 ms; yields ``[start, peak]`` (filled in on exit)."""
    process = psutil.Process()
    start = process.memory_info().rss
    result = [start, start]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            result[1] = max(result[1], process.memory_info().rss)
            done.wait(0.005)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield result
    finally:
        done.set()
        sampler.join()


def _check_batch(generator: Generator, tmp_path: Path, hostile: int, good: int, workers: int) -> int:
    batch = generator.batch(hostile=hostile, good=good)
    written = batch.write(tmp_path / "batch")
    store = open_store(str(tmp_path / "atlas.db"))
    try:
        with peak_rss() as rss:
            report = ingest([tmp_path / "batch"], store, workers=workers)
        stored = {nct for nct in batch.good_ids if store.get(nct) is not None}
    finally:
        store.close()
    assert stored == batch.good_ids, f"good records lost: {sorted(batch.good_ids - stored)}"
    assert rss[1] - rss[0] < RSS_BOUND, f"peak RSS grew by {(rss[1] - rss[0]) >> 20} MiB"
    by_input: dict[str, list[RecordError]] = {path: [] for path in written}
    for error in report.errors:
        owner = next((path for path in written if error.location.startswith(path)), None)
        assert owner is not None, f"an error names no input: {error}"
        by_input[owner].append(error)
        assert error.reason.strip() and not OPAQUE_REASON.search(error.reason), f"unclear: {error}"
    for path, item in written.items():
        if item.must_fail:
            assert by_input[path], f"{item.kind} input read without an error: {path}"
        if item.kind == "good":
            assert not by_input[path], f"a good record failed: {by_input[path]}"
    return len(written)


@pytest.mark.timeout(600)
def test_hostile_batches_never_cost_good_records(samples: Samples, tmp_path: Path, test_limits: None) -> None:
    tried = 0
    for seed in (11, 12):
        tried += _check_batch(
            Generator(samples, seed), tmp_path / f"seed{seed}", hostile=260, good=30, workers=1
        )
    assert tried >= 500 + 60


@pytest.mark.timeout(300)
def test_hostile_batch_in_reader_processes(samples: Samples, tmp_path: Path, test_limits: None) -> None:
    _check_batch(Generator(samples, 21), tmp_path, hostile=60, good=20, workers=3)


# --- the audit's defects, one test each ---------------------------------------------------------


def _good_study(samples: Samples, index: int = 0) -> tuple[str, bytes]:
    study = samples.studies[index]
    return study["protocolSection"]["identificationModule"]["nctId"], json.dumps(study).encode()


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, COLUMNS="200")
    env.pop("TRIALATLAS_DB", None)
    return subprocess.run(
        [sys.executable, "-m", "trialatlas", *args], capture_output=True, text=True, env=env
    )


@pytest.mark.parametrize("suffix", [".xml.xz", ".xml.gz", ".tgz"])
def test_a_corrupt_compressed_file_costs_only_itself(samples: Samples, tmp_path: Path, suffix: str) -> None:
    nct, study = _good_study(samples)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "good.json").write_bytes(study)
    packed = {".xml.xz": lzma.compress, ".xml.gz": gzip.compress}.get(suffix, gzip.compress)(samples.xml[0])
    corrupt = tmp_path / "in" / f"corrupt{suffix}"
    corrupt.write_bytes(packed[:30] + b"\x00garbage" * 8)
    db = str(tmp_path / "atlas.db")
    kept = _cli("ingest", "--db", db, "--json", "--workers", "1", "--keep-going", str(tmp_path / "in"))
    assert kept.returncode == 0, kept.stderr
    summary = orjson.loads(kept.stdout)
    assert summary["new"] == 1 and summary["failed"] >= 1
    assert all(e["location"].startswith(str(corrupt)) for e in summary["errors"])  # suffix included
    strict = _cli("ingest", "--db", db, "--json", "--workers", "1", str(tmp_path / "in"))
    assert strict.returncode == 1 and "Traceback" not in strict.stderr
    assert orjson.loads(strict.stdout)["unchanged"] == 1
    assert open_store(db).get(nct) is not None


@pytest.mark.parametrize("section", ["abc", 7, [1], None, True])
def test_protocol_section_not_an_object(section: object) -> None:
    from trialatlas.sources.base import Blob
    from trialatlas.sources.reading import read_blob

    [result] = read_blob(Blob.from_bytes("s.json", json.dumps({"protocolSection": section}).encode()))
    assert isinstance(result, RecordError) and "protocolSection" in result.reason


def test_a_module_of_the_wrong_type_is_named(samples: Samples) -> None:
    from trialatlas.sources.base import Blob
    from trialatlas.sources.reading import read_blob

    study = json.loads(json.dumps(samples.studies[0]))
    study["protocolSection"]["statusModule"] = "RECRUITING"
    [result] = read_blob(Blob.from_bytes("s.json", json.dumps(study).encode()))
    assert isinstance(result, RecordError)
    assert result.field == "protocolSection.statusModule" and "wrong JSON type" in result.reason


@pytest.mark.parametrize("shape", ["array", "page"])
def test_deep_json_inside_an_array_is_one_error(samples: Samples, shape: str) -> None:
    from trialatlas.sources.base import Blob
    from trialatlas.sources.reading import read_blob

    nct, study = _good_study(samples)
    deep = b"[" * 1000 + b"]" * 1000
    data = (
        b"[" + study + b", " + deep + b"]"
        if shape == "array"
        else b'{"studies": [' + study + b", " + deep + b"]}"
    )
    results = list(read_blob(Blob.from_bytes("deep.json", data)))
    assert [r.nct_id for r in results if isinstance(r, Trial)] == [nct]
    [error] = [r for r in results if isinstance(r, RecordError)]
    assert error.location == "deep.json#study 2"
    assert any(words in error.reason for words in ("nested too deeply", "depth", "not an object"))


def test_deeply_nested_page_is_read_not_called_empty(samples: Samples) -> None:
    depth = 100_000
    body = samples.pages[0].replace(b"\n", b"<br>\n")
    page = b"<html><body>" + b"<div>" * depth + body + b"</div>" * depth + b"</body></html>"
    result = read_page(page, "deep.html")
    assert isinstance(result, Trial), str(result)
    assert result.nct_id is not None and result.nct_id.encode() in samples.pages[0]


def test_page_reading_is_linear_in_size(samples: Samples) -> None:
    seed = samples.pages[0]
    body = seed.split(b"\n", 3)[3]

    def seconds(size: int) -> float:
        data = (seed + body * (size // len(body) + 2))[:size]
        best = float("inf")
        for _ in range(2):  # the better of two runs: a busy machine slows one, rarely both
            started = time.perf_counter()
            read_page(data, "big.txt")
            best = min(best, time.perf_counter() - started)
        return best

    small, large = seconds(250_000), seconds(1_000_000)
    # Four times the size: linear is ~4x, the quadratic matcher this replaces was ~16x.
    assert large < 8 * small + 0.5, (small, large)


def test_a_huge_enrollment_fails_its_record_not_the_batch(samples: Samples, tmp_path: Path) -> None:
    xml = samples.xml[0]
    start, end = xml.index(b"<enrollment"), xml.index(b"</enrollment>")
    huge = xml[:start] + b"<enrollment>" + b"9" * 20 + xml[end:]
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "huge.xml").write_bytes(huge)
    ids = []
    for index in range(1, 4):
        nct, study = _good_study(samples, index)
        (inputs / f"good{index}.json").write_bytes(study)
        ids.append(nct)
    store = open_store(str(tmp_path / "atlas.db"))
    try:
        report = ingest([inputs], store, batch_size=500)
        assert all(store.get(nct) is not None for nct in ids)
    finally:
        store.close()
    [error] = report.errors
    assert error.location.startswith(str(inputs / "huge.xml")) and error.field == "design.enrollment.count"


class _RefusingStore(MemoryStore):
    """A store whose writes fail whenever one given trial is in the batch (as SQL does on a value it
    cannot hold)."""

    def __init__(self, refused: str) -> None:
        super().__init__()
        self.refused = refused

    def upsert_batch(self, trials: Sequence[Trial]) -> UpsertSummary:
        if any(trial.nct_id == self.refused for trial in trials):
            raise StoreError("Python int too large to convert to SQLite INTEGER")
        return super().upsert_batch(trials)


def test_a_batch_the_store_refuses_is_retried_record_by_record(samples: Samples) -> None:
    from trialatlas.sources.base import Blob
    from trialatlas.sources.reading import read_blob

    trials = [
        result
        for index in range(6)
        for result in read_blob(Blob.from_bytes(f"s{index}.json", _good_study(samples, index)[1]))
    ]
    assert all(isinstance(t, Trial) for t in trials)
    refused = trials[2].nct_id
    assert refused is not None
    store = _RefusingStore(refused)
    report = ingest_results(trials, store, batch_size=500)
    assert report.new == 5 and [e.location.split("#")[0] for e in report.errors] == ["s2.json"]
    assert store.get(refused) is None and all(
        store.get(t.nct_id or "") is not None for t in trials if t is not trials[2]
    )


def test_archive_members_that_hide_escape_or_link_are_reported(samples: Samples, tmp_path: Path) -> None:
    nct, study = _good_study(samples)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name in ("ok/good.json", ".hidden.json", "a\\b.json", "../up.json", "/abs.json"):
            info = tarfile.TarInfo(name)
            info.size = len(study)
            archive.addfile(info, io.BytesIO(study))
        link = tarfile.TarInfo("link.json")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        archive.addfile(link)
    path = tmp_path / "a.tgz"
    path.write_bytes(buffer.getvalue())
    results = list(read_path(path))
    assert [r.nct_id for r in results if isinstance(r, Trial)] == [nct]
    skipped = sorted(r.location.split("!", 1)[1] for r in results if isinstance(r, RecordError))
    assert skipped == sorted([".hidden.json", "a\\b.json", "../up.json", "/abs.json", "link.json"])


def test_a_decompression_bomb_is_refused_within_bounded_memory(tmp_path: Path) -> None:
    # 1 GiB of spaces in a ~1 MB gzip: with the default bounds (64 MiB a record, 200x past 64 MiB),
    # refused after at most 200 MiB streamed, never read whole.
    path = tmp_path / "bomb.json.gz"
    with gzip.open(path, "wb", compresslevel=9) as stream:
        stream.write(b'{"protocolSection": ')
        chunk = b" " * (1 << 20)
        for _ in range(1024):
            stream.write(chunk)
        stream.write(b"{}}")
    assert path.stat().st_size < 2 << 20
    with peak_rss() as rss:
        results = list(read_path(path))
    [error] = results
    assert isinstance(error, RecordError) and error.location == str(path) and "limit" in error.reason
    assert rss[1] - rss[0] < 200 << 20, f"peak RSS grew by {(rss[1] - rss[0]) >> 20} MiB"
