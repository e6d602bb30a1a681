"""The cyclic collector tuned for bulk work: during it and in worker processes, as before after it."""

from __future__ import annotations

import gc
import multiprocessing

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
