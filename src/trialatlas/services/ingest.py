"""Ingest: read any mix of inputs and merge every record into a store, in atomic batches.

Bad records never stop an ingest: each is reported with its file and reason, and the good records
around it still land. Batches are transactions, so a crash or ``kill -9`` leaves the store as it was
after the last whole batch, and re-running the ingest converges to the same content.

Reading can run in worker processes (``workers`` > 1): this process unwraps containers into blobs
and hands them out in small tasks, ``workers - 1`` reader processes read and map them, and their
records come back here in input order, so a parallel ingest writes exactly what a serial one does.
From two readers on (``PREPARE_FROM_WORKERS``), a reader also prepares each trial for the store
(:func:`~trialatlas.store.planner.prepare_trial`: key, ids, row columns, encoded JSON, hashes,
compression), so this process only plans by ids (the stored keys and ids a batch touches are looked
up in a few set queries) and runs the SQL; a trial is decoded here only when it merges with another.
Writing prepared rows costs this process a seventh of what reading costs a reader, so by default
(:func:`default_workers`) there is a reader per core and this process shares the cores with them.
Queues are bounded (about a batch of records in hand at each reader, and as many ready to come back),
so memory stays flat whatever the input size, and readers exit as soon as this process does, even on
``kill -9``.
"""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing
import os
import pickle
import queue
import signal
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.context import SpawnProcess
from typing import Any

from trialatlas.collector import collector_tuned, release_free_heap, tune_worker
from trialatlas.errors import ReadError, StoreError
from trialatlas.model import Trial
from trialatlas.services.derived import Progress, bring_up_to_date
from trialatlas.sources.base import Blob, ReadResult, RecordError
from trialatlas.sources.containers import iter_blobs
from trialatlas.sources.pages.knowledge import PageKnowledge, default_knowledge, using_knowledge
from trialatlas.sources.reading import read_blob, read_paths
from trialatlas.store.base import TrialStore, UpsertSummary
from trialatlas.store.planner import PreparedTrial, prepare_trial, source_warnings

DEFAULT_BATCH_SIZE = 500
# Readers prepare rows for the writer from this many workers (two readers) on. With one reader
# beside the writer the reader is the bottleneck, and the work splits best with the writer
# validating, encoding and compressing (measured on the shared sample, 2 cores: 376 records/s
# against 246 prepared; CPU per record 1.04 ms writer + 1.85 ms reader, against 0.30 + 2.41). With
# more readers the writer would be the bottleneck: prepared rows cap it near 3,300 records/s a core,
# against 960 unprepared.
PREPARE_FROM_WORKERS = 3
# By default a reader per core, and the writer beside them: with prepared rows the writer needs about
# a seventh of a reader's CPU (0.33 against 2.2 ms a record on the shared sample), so it shares the
# cores rather than keeping one to itself. On 2 cores that is 2 readers and the writer, against 1 reader
# beside the writer, which then idles 40 % of its core (measured: see docs/scaling.md).
MAX_DEFAULT_WORKERS = 5

# A task is a run of consecutive blobs, up to this many bytes or blobs: big enough that the
# per-message cost (pickling, a pipe round trip) is small against reading, small enough that
# tasks spread evenly over workers.
TASK_BYTES = 1 << 20
TASK_BLOBS = 64
# Tasks handed to each worker and not yet received back. Writing a batch (500 trials, ~0.2 s) keeps
# this process from taking results or handing out tasks; a worker reads ~350 records meanwhile, so
# it needs that much work in hand or it sits idle. More only adds memory (a task holds at most
# ``TASK_BYTES`` of input).
TASKS_PER_WORKER = 8
# Results a worker sends in one message: a long blob (a JSONL of 100,000 studies) streams back in
# messages of this many records.
RESULTS_PER_MESSAGE = 32
# Messages a worker may have ready and not yet taken (what it reads while this process writes a
# batch); then it waits. With ``RESULTS_PER_MESSAGE``, about a batch of trials.
MESSAGES_AHEAD = 16


def default_workers() -> int:
    """The ``workers`` the CLI uses by default: a reader per CPU this process may run on and the writer
    (at most ``MAX_DEFAULT_WORKERS`` in all); 1, everything in this process, on one CPU."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return 1 if cpus <= 1 else min(cpus + 1, MAX_DEFAULT_WORKERS)


@dataclass
class IngestReport:
    """What an ingest did: counts, every record that failed with its location and reason, and every
    value of a record kept that could not be read (the record lands without it)."""

    read: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RecordError] = field(default_factory=list)
    seconds: float = 0.0
    warned: int = 0
    warnings: list[RecordError] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return len(self.errors)

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, object]:
        return {
            "read": self.read,
            "new": self.new,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "failed": self.failed,
            "seconds": round(self.seconds, 3),
            "errors": [{"location": e.location, "reason": e.reason} for e in self.errors],
            "warned": self.warned,
            "warnings": [{"location": w.location, "reason": w.reason} for w in self.warnings],
        }


def ingest(
    paths: Iterable[str | os.PathLike[str]],
    store: TrialStore,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    reader: str | None = None,
    on_progress: Callable[[IngestReport], None] | None = None,
    workers: int = 1,
    derive: bool = True,
    on_derived: Progress | None = None,
) -> IngestReport:
    """Read every record under ``paths`` (auto-detected format, or ``reader``) into ``store``.

    ``workers`` > 1 reads in ``workers - 1`` reader processes while this one writes (see
    :func:`read_blobs`); 1 does everything here, and lends registry pages the store's names
    (:func:`store_page_knowledge`; reader processes use the shared archive's). With ``derive`` (the
    default), every index derived from the store is brought up to date before returning
    (:func:`~trialatlas.services.derived.bring_up_to_date`; ``on_derived`` hears its progress), so
    that the first search, related lookup or match after an ingest only reads.
    """
    if workers <= 1:
        # Registry pages read here segment their flattened tables with the names the store knows.
        with using_knowledge(lambda: store_page_knowledge(store)):
            report = ingest_results(
                read_paths(paths, reader), store, batch_size=batch_size, on_progress=on_progress
            )
    else:
        items = itertools.chain.from_iterable(iter_blobs(path) for path in paths)
        results: Generator[ReadResult | PreparedTrial, None, None]
        if workers >= PREPARE_FROM_WORKERS:
            compression: int | None = getattr(store, "compression", None)
            results = prepare_blobs(items, reader, workers=workers, compression=compression)
        else:
            results = read_blobs(items, reader, workers=workers)
        with contextlib.closing(results):
            report = ingest_results(results, store, batch_size=batch_size, on_progress=on_progress)
    if derive:
        bring_up_to_date(store, on_progress=on_derived)
    return report


def store_page_knowledge(store: TrialStore) -> PageKnowledge:
    """The names the store's records hold (sponsors, collaborators, interventions, arm labels), for the
    page reader; an empty store lends the shared archive's names instead (see
    :mod:`trialatlas.sources.pages.knowledge`). Built once per ingest, the first time a page needs it."""
    knowledge = PageKnowledge.from_trials(store.iter_trials())
    return knowledge if knowledge else default_knowledge()


def ingest_results(
    results: Iterable[ReadResult | PreparedTrial],
    store: TrialStore,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_progress: Callable[[IngestReport], None] | None = None,
) -> IngestReport:
    """Write already-read records (trials, prepared or not, and read errors, as readers yield them)
    into ``store``."""
    report = IngestReport()
    started = time.perf_counter()
    batch: list[Trial | PreparedTrial] = []

    def flush() -> None:
        if not batch:
            return
        for summary in _upsert_salvaging(store, batch, report.errors):
            report.new += summary.new
            report.updated += summary.updated
            report.unchanged += summary.unchanged
        batch.clear()
        # The batch's buffers are freed now; without this the writer's RSS grows with the trials
        # (see trialatlas.collector).
        release_free_heap()
        if on_progress is not None:
            on_progress(report)

    with collector_tuned():
        for result in results:
            if isinstance(result, RecordError):
                report.errors.append(result)
                continue
            report.read += 1
            warned = result.warnings if isinstance(result, PreparedTrial) else source_warnings(result)
            if warned:
                report.warned += 1
                report.warnings.extend(RecordError(location, warning) for location, warning in warned)
            # A prepared trial has its key: readers prepare only those.
            if isinstance(result, Trial) and not (
                result.nct_id or result.registry_ids or result.org_study_id
            ):
                location = result.sources[-1].location if result.sources else "(unknown source)"
                report.errors.append(RecordError(location, "record without a registry id or org study id"))
                continue
            batch.append(result)
            if len(batch) >= batch_size:
                flush()
        flush()
    report.seconds = time.perf_counter() - started
    return report


def _upsert_salvaging(
    store: TrialStore, batch: list[Trial | PreparedTrial], errors: list[RecordError]
) -> list[UpsertSummary]:
    """Write ``batch`` in one transaction; when that fails, write its trials one at a time, so the
    one record the store refuses is reported and the others land.

    When every trial fails alone too, the fault is the store's, not a record's: the batch's error
    is raised.
    """
    try:
        return [store.upsert_batch(batch)]
    except StoreError as batch_error:
        if len(batch) == 1:
            errors.append(RecordError(_where(batch[0]), f"the store refused it: {batch_error}"))
            return []
        summaries: list[UpsertSummary] = []
        refused: list[RecordError] = []
        for trial in batch:
            try:
                summaries.append(store.upsert_batch([trial]))
            except StoreError as exc:
                refused.append(RecordError(_where(trial), f"the store refused it: {exc}"))
        if not summaries:
            raise batch_error from None
        errors.extend(refused)
        return summaries


def _where(trial: Trial | PreparedTrial) -> str:
    if isinstance(trial, PreparedTrial):
        return trial.location
    return trial.sources[-1].location if trial.sources else (trial.nct_id or trial.org_study_id or "?")


# --- reading in worker processes ----------------------------------------------------------------


def read_blobs(
    items: Iterable[Blob | RecordError], reader_name: str | None = None, *, workers: int = 1
) -> Generator[ReadResult, None, None]:
    """The records of ``items`` (blobs, and errors passed through), in order.

    With ``workers`` > 1 the blobs are read in ``workers - 1`` reader processes (this process, the
    ``workers``-th, takes their records and has the store to write), started with ``spawn``:
    a script that calls this must guard its entry point with ``if __name__ == "__main__":``. A blob
    that cannot be pickled (``Blob.from_bytes`` makes one: its opener is a lambda; use
    :func:`trialatlas.sources.containers.memory_blob`) is read in this process, still in order.
    Close the iterator if you stop early (``contextlib.closing``): that ends the workers.
    """
    if workers <= 1:
        for item in items:
            if isinstance(item, RecordError):
                yield item
            else:
                yield from read_blob(item, reader_name)
        return
    with contextlib.closing(_Pipeline(items, reader_name, workers - 1).results()) as results:
        for result in results:
            assert not isinstance(result, PreparedTrial)  # only asked of prepare_blobs
            yield result


def prepare_blobs(
    items: Iterable[Blob | RecordError],
    reader_name: str | None = None,
    *,
    workers: int,
    compression: int | None = None,
) -> Generator[ReadResult | PreparedTrial, None, None]:
    """:func:`read_blobs` in ``workers - 1`` reader processes (``workers`` > 1), each trial prepared for
    the writer where it was read (:func:`~trialatlas.store.planner.prepare_trial`, compressed at
    ``compression``). A trial read in this process, or without a key, comes as read."""
    if workers <= 1:
        raise ValueError("prepare_blobs reads in worker processes: workers must be at least 2")
    pipeline = _Pipeline(items, reader_name, workers - 1, prepare=True, compression=compression)
    yield from pipeline.results()


@dataclass
class _Task:
    """Consecutive blobs, pickled, for one worker."""

    blobs: list[bytes]
    first: str
    size: int = 0


_Unit = RecordError | Blob | _Task


def _units(items: Iterable[Blob | RecordError]) -> Iterator[_Unit]:
    """``items`` grouped into tasks; errors and blobs that cannot be pickled stay single, in order."""
    task: _Task | None = None
    for item in items:
        if isinstance(item, Blob):
            try:
                pickled = pickle.dumps(item, protocol=pickle.HIGHEST_PROTOCOL)
            except (pickle.PicklingError, AttributeError, TypeError):
                pickled = None
            if pickled is not None:
                if task is None:
                    task = _Task([], item.name)
                task.blobs.append(pickled)
                # A blob read from a stream (a decompressed file) is taken to be big: it gets a
                # worker of its own rather than holding back the blobs after it.
                task.size += TASK_BYTES if item.size is None else item.size
                if task.size >= TASK_BYTES or len(task.blobs) >= TASK_BLOBS:
                    yield task
                    task = None
                continue
        if task is not None:
            yield task
            task = None
        yield item
    if task is not None:
        yield task


# Message kinds a worker sends: some results of the task, its last results, or its failure.
_MORE, _DONE, _FAILED = 0, 1, 2


class _Worker:
    """One reader process, the pipe it takes tasks from and the pipe it sends results on."""

    def __init__(self, context: multiprocessing.context.SpawnContext, preparation: _Preparation) -> None:
        task_reader, self.tasks = context.Pipe(duplex=False)
        self.results, result_writer = context.Pipe(duplex=False)
        self.process: SpawnProcess = context.Process(
            target=_serve, args=(task_reader, result_writer, preparation), daemon=True
        )
        self.process.start()
        # The child holds its own ends. Ours would keep the pipes open after it exits: this process
        # would then wait forever for results from a dead worker instead of reading end-of-file.
        task_reader.close()
        result_writer.close()
        # Tasks go out from a thread: a send blocks until the worker takes the task, which it does
        # only between tasks, and this thread must keep reading results meanwhile (or both wait).
        self.outbox: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self.sender = threading.Thread(target=_send_tasks, args=(self.tasks, self.outbox), daemon=True)
        self.sender.start()
        self.queued = 0  # tasks handed out and not yet fully received

    def give(self, task: _Task) -> None:
        self.outbox.put(pickle.dumps(task.blobs, protocol=pickle.HIGHEST_PROTOCOL))
        self.queued += 1

    def close(self) -> None:
        # Closing the results pipe ends a worker still sending; end-of-file on tasks ends an idle one.
        self.outbox.put(None)
        self.results.close()
        self.sender.join(timeout=5)
        self.tasks.close()
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(timeout=5)

    def died(self, task: _Task) -> ReadError:
        self.process.join(timeout=5)
        code = self.process.exitcode
        return ReadError(task.first, f"the reader process stopped (exit code {code}) while reading this")


def _send_tasks(tasks: Connection, outbox: queue.SimpleQueue[bytes | None]) -> None:
    # A worker that died takes nothing more; that is reported when its results are due.
    with contextlib.suppress(OSError):
        while (payload := outbox.get()) is not None:
            tasks.send_bytes(payload)


@dataclass(frozen=True)
class _Preparation:
    """What a worker makes of the records it reads: which reader, and whether (and at what
    compression level) it prepares trials for the writer."""

    reader_name: str | None
    prepare: bool = False
    compression: int | None = None


class _Pipeline:
    def __init__(
        self,
        items: Iterable[Blob | RecordError],
        reader_name: str | None,
        readers: int,
        *,
        prepare: bool = False,
        compression: int | None = None,
    ) -> None:
        self.units = _units(items)
        self.reader_name = reader_name
        self.preparation = _Preparation(reader_name, prepare, compression)
        self.size = readers
        self.context = multiprocessing.get_context("spawn")
        self.workers: list[_Worker] = []
        # Every unit handed out or held back, in input order, with the worker reading it.
        self.order: deque[tuple[_Unit, _Worker | None]] = deque()
        self.exhausted = False

    def results(self) -> Generator[ReadResult | PreparedTrial, None, None]:
        try:
            # A lone small task (one file, a few records) is read here: starting a process for it
            # would cost more than reading it.
            first = next(self.units, None)
            second = next(self.units, None) if first is not None else None
            if isinstance(first, _Task) and second is None and first.size < TASK_BYTES:
                self.exhausted = True
                for pickled in first.blobs:
                    yield from read_blob(pickle.loads(pickled), self.reader_name)
                return
            self.units = itertools.chain([u for u in (first, second) if u is not None], self.units)
            self._fill()
            while self.order:
                unit, worker = self.order.popleft()
                if isinstance(unit, RecordError):
                    yield unit
                elif isinstance(unit, Blob):
                    yield from read_blob(unit, self.reader_name)
                else:
                    assert worker is not None
                    yield from self._receive(unit, worker)
                self._fill()
        finally:
            for worker in self.workers:
                worker.close()

    def _fill(self) -> None:
        """Hand out units until every worker has its backlog (or the input is all handed out)."""
        limit = self.size * TASKS_PER_WORKER
        while not self.exhausted and len(self.order) < 4 * limit:
            if sum(w.queued for w in self.workers) >= limit:
                return
            unit = next(self.units, None)
            if unit is None:
                self.exhausted = True
                return
            worker = None
            if isinstance(unit, _Task):
                worker = self._worker_for()
                worker.give(unit)
            self.order.append((unit, worker))

    def _worker_for(self) -> _Worker:
        idle = min(self.workers, key=lambda w: w.queued, default=None)
        if (idle is None or idle.queued > 0) and len(self.workers) < self.size:
            idle = _Worker(self.context, self.preparation)
            self.workers.append(idle)
        assert idle is not None
        return idle

    def _receive(self, task: _Task, worker: _Worker) -> Iterator[ReadResult | PreparedTrial]:
        """The results of ``task`` as its worker streams them."""
        while True:
            try:
                message = worker.results.recv_bytes()
            except (EOFError, OSError):
                # The process was killed or crashed (out of memory, a fault in a parser): what it
                # sent stands, the rest of this task is one error, and its other tasks go to a new one.
                yield RecordError(task.first, self._replace(worker, task))
                return
            kind, items, failure = pickle.loads(message)
            for item in items:
                yield Trial.model_validate(item) if isinstance(item, dict) else item
            if kind == _DONE:
                worker.queued -= 1
                return
            if kind == _FAILED:
                worker.queued -= 1
                raise _unpickled_failure(failure)
            # More to come: meanwhile, keep the other workers busy.
            self._fill()

    def _replace(self, dead: _Worker, task: _Task) -> str:
        """Start a worker in place of ``dead``, hand it the tasks ``dead`` still held; the reason."""
        reason = dead.died(task).reason
        dead.close()
        self.workers.remove(dead)
        replacement: _Worker | None = None
        for position, (unit, owner) in enumerate(self.order):
            if owner is dead and isinstance(unit, _Task):
                if replacement is None:
                    replacement = _Worker(self.context, self.preparation)
                    self.workers.append(replacement)
                replacement.give(unit)
                self.order[position] = (unit, replacement)
        files = len(task.blobs)
        return f"{reason}; what it had not yet sent of the {files} files read from here on is lost"


def _unpickled_failure(failure: tuple[bytes | None, str]) -> BaseException:
    pickled, text = failure
    if pickled is not None:
        with contextlib.suppress(Exception):
            error = pickle.loads(pickled)
            if isinstance(error, BaseException):
                return error
    return RuntimeError(f"a reader process failed:\n{text}")


# --- the worker process -------------------------------------------------------------------------


def _serve(tasks: Connection, results: Connection, preparation: _Preparation) -> None:
    """A worker: read each task's blobs and send back their records until the tasks pipe closes."""
    # Ctrl-C reaches the whole process group; the parent decides, and closing the pipes ends us.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Imported modules live as long as the process: keep the collector from walking them.
    tune_worker()
    # Results go out from a thread, so reading goes on while the parent is busy writing a batch
    # (a pipe holds only a few records); the bounded queue is how far ahead it may get.
    outbox: queue.Queue[bytes | None] = queue.Queue(maxsize=MESSAGES_AHEAD)
    sender = threading.Thread(target=_send_results, args=(results, outbox), daemon=True)
    sender.start()
    # End-of-file on tasks: the parent is done with us, or dead (the kernel closes its pipe ends
    # when it dies, even by kill -9); a broken results pipe ends us in the sender.
    with contextlib.suppress(OSError, EOFError):
        while True:
            blobs = [pickle.loads(pickled) for pickled in pickle.loads(tasks.recv_bytes())]
            _read_task(blobs, preparation, outbox)
    outbox.put(None)
    sender.join()


def _send_results(results: Connection, outbox: queue.Queue[bytes | None]) -> None:
    try:
        while (payload := outbox.get()) is not None:
            results.send_bytes(payload)
    except OSError:
        # The parent stopped listening or died: whatever this process was reading, nobody wants it.
        os._exit(0)


def _read_task(blobs: list[Blob], preparation: _Preparation, results: queue.Queue[bytes | None]) -> None:
    read = _portable_results(blobs, preparation)
    out: list[Any] = []
    while True:
        try:
            item = next(read, None)
        except Exception as exc:  # a reader bug: the parent re-raises it, as a serial read would
            _send(results, _FAILED, out, _pickled_failure(exc))
            return
        if item is None:
            _send(results, _DONE, out)
            return
        out.append(item)
        if len(out) >= RESULTS_PER_MESSAGE:
            _send(results, _MORE, out)
            out = []


def _portable_results(blobs: list[Blob], preparation: _Preparation) -> Iterator[Any]:
    for blob in blobs:
        for result in read_blob(blob, preparation.reader_name):
            if not isinstance(result, Trial):
                yield result
                continue
            if preparation.prepare:
                try:
                    prepared = prepare_trial(result, preparation.compression)
                except Exception:  # no key, or a value the store would refuse
                    # Sent as read: the writer reports it as it would the same record read there.
                    prepared = None
                if prepared is not None:
                    yield prepared
                    continue
            # JSON-mode dicts without defaults: the cheapest form to pickle here and to validate
            # back into the same trial in the parent (measured against model_dump_json and
            # pickling the model itself).
            yield result.model_dump(mode="json", exclude_defaults=True)


def _send(
    results: queue.Queue[bytes | None],
    kind: int,
    items: list[Any],
    failure: tuple[bytes | None, str] | None = None,
) -> None:
    results.put(pickle.dumps((kind, items, failure), protocol=pickle.HIGHEST_PROTOCOL))


def _pickled_failure(exc: Exception) -> tuple[bytes | None, str]:
    text = "".join(traceback.format_exception(exc))
    try:
        return pickle.dumps(exc, protocol=pickle.HIGHEST_PROTOCOL), text
    except Exception:  # an exception that does not pickle still reaches the parent, as text
        return None, text
