"""The cyclic collector tuned for bulk work: during it and in worker processes, as before after it."""

from __future__ import annotations

import gc
import multiprocessing
import subprocess
import sys

import pytest

from trialatlas.collector import GC_THRESHOLD, collector_tuned, tune_worker
from trialatlas.model import Trial
from trialatlas.store import MemoryStore


def test_collector_runs_less_often_during_bulk_work_then_as_before() -> None:
    before = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        with collector_tuned():
            assert gc.get_threshold() == (GC_THRESHOLD, 10, 10)
        assert gc.get_threshold() == (700, 10, 10)
    finally:
        gc.set_threshold(*before)


def test_collector_is_restored_when_the_work_fails() -> None:
    before = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        try:
            with collector_tuned():
                raise KeyError("midway")
        except KeyError:
            pass
        assert gc.get_threshold() == (700, 10, 10)
    finally:
        gc.set_threshold(*before)


def test_a_higher_threshold_is_kept() -> None:
    before = gc.get_threshold()
    try:
        gc.set_threshold(GC_THRESHOLD * 3, 10, 10)
        with collector_tuned():
            assert gc.get_threshold()[0] == GC_THRESHOLD * 3
    finally:
        gc.set_threshold(*before)


def _worker_state(queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    frozen_before = gc.get_freeze_count()
    tune_worker()
    queue.put((frozen_before, gc.get_freeze_count(), gc.get_threshold()[0]))


def test_a_worker_freezes_what_it_imported_and_collects_less_often() -> None:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_worker_state, args=(queue,))
    process.start()
    frozen_before, frozen_after, threshold = queue.get(timeout=120)
    process.join(timeout=60)
    assert frozen_after > frozen_before
    assert threshold == GC_THRESHOLD


def test_the_writer_releases_the_heap_after_every_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    from trialatlas.services import ingest as ingest_module

    calls: list[int] = []
    flushed: list[int] = []
    monkeypatch.setattr(ingest_module, "release_free_heap", lambda: calls.append(1) or True)
    trials = [Trial(nct_id=f"NCT{index:08d}", brief_title=f"Trial {index}") for index in range(7)]
    report = ingest_module.ingest_results(
        trials, MemoryStore(), batch_size=3, on_progress=lambda r: flushed.append(r.read)
    )
    assert report.new == 7
    assert len(calls) == len(flushed) == 3  # batches of 3, 3 and 1


# Run in a fresh interpreter: how glibc places buffers depends on the allocation history before them.
_FRAGMENTED_HEAP = """
import ctypes

from trialatlas.collector import release_free_heap


def anonymous_rss_kb():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("RssAnon:"))


libc = ctypes.CDLL(None)
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
# As in the writer: megabyte buffers from the heap (glibc raises its mmap threshold once such a buffer
# is freed), each followed by one that lives on. Freed, they leave holes the heap keeps; only a trim
# returns their pages. Both thresholds are set rather than left to the interpreter's history.
libc.mallopt(-3, 32 << 20)  # M_MMAP_THRESHOLD
libc.mallopt(-1, 1 << 30)  # M_TRIM_THRESHOLD: free() alone never shrinks the heap's top
buffers, pinned = [], []
for _ in range(40):
    buffers.append(libc.malloc(1 << 20))
    ctypes.memset(buffers[-1], 1, 1 << 20)
    pinned.append(libc.malloc(20_000))
    ctypes.memset(pinned[-1], 1, 20_000)
for buffer in buffers:
    libc.free(buffer)
before = anonymous_rss_kb()
trimmed = release_free_heap()
print(trimmed, before, anonymous_rss_kb(), len(pinned))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim")
def test_free_heap_pages_go_back_to_the_system() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _FRAGMENTED_HEAP], check=True, capture_output=True, text=True
    )
    trimmed, before, after, pinned = done.stdout.split()
    assert trimmed == "True"
    assert pinned == "40"
    # Of the ~40 MB the buffers held, most goes back to the system.
    assert int(before) - int(after) > 20_000, (before, after)
