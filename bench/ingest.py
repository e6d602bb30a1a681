"""Ingest benchmark: trialatlas ingest against the raw parse-only rate of the same bytes, then at scale.

Prints one JSON document:
- ``sample``: all legacy XML records and all API v2 studies of the shared data ingested into a fresh
  SQLite store, read in this process (``serial``) and in worker processes (``parallel``, ``workers``
  of them, each trial prepared for the store where it is read), and, as the plain baseline in the
  same run, in worker processes that hand back unprepared trials for this process to validate,
  encode and compress (``parallel_unprepared``, the pipeline before readers prepared rows):
  records/s by the wall clock, CPU seconds of the ingesting process and of its workers (the writer's
  share per record), peak RSS of each, store size, content digest (equal in every mode), and the rate
  the run's CPU per record allows with a free core per process (``free_core``) and on this machine's
  cores alone (``machine_cores``: 2 readers and the writer on 2 cores share them);
  and, apart (``derived``, unless ``--no-derive``), the time and CPU of bringing the derived parts
  (search, related trials, criteria rules, statistics) up to date after it, as ``ingest`` does;
- ``raw_parse``: the peer limit measured in the same run: lxml parsing each XML record and orjson each
  v2 line from memory, without building the model (records/s, one core, by the wall clock and per CPU
  second); and the ratios of ours to it (``cpu_ratio_to_raw_parse``: its CPU per record over ours);
- ``scale``: the same records replicated with rewritten NCT ids up to ``--scale`` trials, streamed
  (nothing written to disk but the store), with throughput and RSS at each quarter, to show they
  stay flat, serial and parallel (``rss_growth_mb``: from the first quarter to the last; run two
  ``--scale`` sizes to compare peaks).

Every ingest runs in a fresh process, so its peak RSS is its own, not the benchmark's (the scale run's
process also holds the sample records it replicates: ``baseline_rss_mb`` is its RSS before ingesting).
The machine may be shared: ``load_average`` is printed, and CPU seconds say what the work cost however
busy the machine was. Usage: python bench/ingest.py [--scale 200000] [--workers N] [--data DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import itertools
import os
import re
import resource
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import orjson
import psutil
from lxml import etree

from trialatlas.config import shared_data_dir
from trialatlas.model import Trial
from trialatlas.services.derived import bring_up_to_date
from trialatlas.services.ingest import (
    IngestReport,
    default_workers,
    ingest,
    ingest_results,
    prepare_blobs,
    read_blobs,
)
from trialatlas.sources.base import Blob
from trialatlas.sources.containers import iter_blobs, memory_blob
from trialatlas.store import SqliteStore, UpsertSummary
from trialatlas.store.planner import PreparedTrial
from trialatlas.text.registry_ids import NCT_IN_BYTES

V2_LINES_PER_FILE = 100


def sample_inputs(data: Path) -> list[Path]:
    return [
        data / "ctgov_legacy_xml_2023" / "ctgov_legacy_xml_feb2023.tar.gz",
        data / "ctgov_api_v2_samples" / "ctgov_api_v2_studies.jsonl.gz",
    ]


def load_records(data: Path) -> tuple[list[bytes], list[bytes]]:
    xml_path, v2_path = sample_inputs(data)
    xml_records: list[bytes] = []
    with tarfile.open(xml_path) as archive:
        for member in archive:
            if member.isfile() and member.name.endswith(".xml"):
                handle = archive.extractfile(member)
                assert handle is not None
                xml_records.append(handle.read())
    with gzip.open(v2_path) as lines:
        v2_records = [line.rstrip(b"\n") for line in lines if line.strip()]
    return xml_records, v2_records


def raw_parse_rates(
    xml_records: list[bytes], v2_records: list[bytes], rounds: int = 3
) -> tuple[float, float]:
    """Records/s of the best of ``rounds`` passes by the wall clock (the parse is short: a busy machine
    skews one pass), and records per CPU second (on a loaded machine the wall clock halves the peer;
    its CPU time does not move)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    best = best_cpu = float("inf")
    for _ in range(rounds):
        started, cpu = time.perf_counter(), time.process_time()
        for record in xml_records:
            etree.fromstring(record, parser)
        for line in v2_records:
            orjson.loads(line)
        best = min(best, time.perf_counter() - started)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    records = len(xml_records) + len(v2_records)
    return records / best, records / best_cpu


def _mb(size: float) -> float:
    return round(size / 2**20, 1)


def _size(db: Path) -> int:
    return sum(p.stat().st_size for p in db.parent.glob(db.name + "*"))


def _workers() -> list[psutil.Process]:
    return [child for child in psutil.Process().children() if "spawn_main" in " ".join(child.cmdline())]


def _live_cpu() -> float:
    """CPU seconds of this process and its running workers (rusage counts only children waited for)."""
    total = float(sum(psutil.Process().cpu_times()[:2]))
    for worker in _workers():
        with contextlib.suppress(psutil.NoSuchProcess):
            total += sum(worker.cpu_times()[:2])
    return total


def _cpu() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


# --- one ingest, in a process of its own ------------------------------------------------------------


def sample_run(
    data: Path, workdir: Path, workers: int, unprepared: bool = False, derive: bool = True
) -> dict[str, object]:
    db = workdir / f"sample-{workers}{'-unprepared' if unprepared else ''}.db"
    store = SqliteStore(db)
    cpu_before = _cpu()
    started = time.perf_counter()
    if unprepared:
        items = itertools.chain.from_iterable(iter_blobs(path) for path in sample_inputs(data))
        with contextlib.closing(read_blobs(items, workers=workers)) as results:
            report = ingest_results(results, store)
    else:
        report = ingest(sample_inputs(data), store, workers=workers, derive=False)
    seconds = time.perf_counter() - started
    cpu_after = _cpu()
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024 if workers > 1 else 0
    # The derived parts (search, related, criteria rules, statistics) that ``ingest`` brings up to
    # date before it returns, timed apart: the records/s above are the reading and writing alone.
    derived: dict[str, object] | None = None
    if derive and not unprepared:
        derive_started = time.perf_counter()
        parts = bring_up_to_date(store).as_dict()
        cpu_derived = _cpu()
        derived = {
            "seconds": round(time.perf_counter() - derive_started, 2),
            "cpu_s": round(sum(cpu_derived) - sum(cpu_after), 2),
            "parts": parts,
        }
    digest = store.content_digest()
    store.close()
    return {
        "workers": workers,
        "records": report.read,
        "failed": report.failed,
        "seconds": round(seconds, 2),
        "records_per_s": round(report.read / seconds, 1),
        "cpu_s": round(cpu_after[0] - cpu_before[0], 2),
        "cpu_ms_per_record": round((cpu_after[0] - cpu_before[0]) * 1000 / max(report.read, 1), 3),
        "workers_cpu_s": round(cpu_after[1] - cpu_before[1], 2),
        "workers_cpu_ms_per_record": round((cpu_after[1] - cpu_before[1]) * 1000 / max(report.read, 1), 3),
        "peak_rss_mb": _mb(own),
        "worker_peak_rss_mb": _mb(children),
        "store_mb": _mb(_size(db)),
        "content_digest": digest,
        "derived": derived,
    }


# Org study ids and secondary ids, in both formats: a replica gets its own (suffixed with its index), or
# every replica of a record would share them with the others, each a candidate for bridging, and the
# store's id lookups would grow with the number of copies, which no real registry's trials do. Every
# secondary id of an API v2 study, not only the first: a registry id shared by every copy (36 ids of
# 29 studies in the sample, 10 of them EU CTR/CTIS or jRCT numbers) made the writer decode every
# earlier copy of its study for each new one, a cost and a peak of memory growing with the run.
_ORG_IDS = re.compile(
    rb'(<org_study_id>|<secondary_id>|"orgStudyIdInfo": \{"id": ")([^<"]*)(</org_study_id>|</secondary_id>|")'
)
_V2_SECONDARY_IDS = re.compile(rb'"secondaryIdInfos": \[[^\]]*\]')
_V2_ID = re.compile(rb'("id": ")([^"]*)(")')


def _own_ids(record: bytes, index: int) -> bytes:
    """``record`` with its org and secondary ids made replica ``index``'s own (see ``_ORG_IDS``)."""
    suffixed = rb"\g<1>\g<2>-r%d\g<3>" % index
    record = _ORG_IDS.sub(suffixed, record)
    return _V2_SECONDARY_IDS.sub(lambda ids: _V2_ID.sub(suffixed, ids.group(0)), record)


def replicated(xml_records: list[bytes], v2_records: list[bytes], total: int) -> Iterator[Blob]:
    """Records of the sample with NCT ids rewritten into a fresh range (and org and secondary ids made the
    replica's own, see ``_ORG_IDS``), as blobs for the real readers.

    As in the sample, each XML record is a file of its own and v2 studies come as JSONL files of many
    lines (``V2_LINES_PER_FILE``): a file is sniffed once, whatever it holds.
    """
    pool = [("x", r) for r in xml_records] + [("j", r) for r in v2_records]
    lines: list[bytes] = []
    first = 0
    for index, (kind, record) in zip(range(total), itertools.cycle(pool), strict=False):
        rewritten = _own_ids(NCT_IN_BYTES.sub(f"NCT9{index:07d}".encode(), record), index)
        if kind == "j":
            first = first if lines else index
            lines.append(rewritten)
            if len(lines) < V2_LINES_PER_FILE:
                continue
        if lines:
            yield memory_blob(f"replica-{first}.jsonl", b"\n".join(lines) + b"\n")
            lines = []
        if kind == "x":
            yield memory_blob(f"replica-{index}.xml", rewritten)
    if lines:
        yield memory_blob(f"replica-{first}.jsonl", b"\n".join(lines) + b"\n")


def scale_run(data: Path, workdir: Path, workers: int, total: int) -> dict[str, object]:
    xml_records, v2_records = load_records(data)
    db = workdir / f"scale-{workers}.db"
    store = SqliteStore(db)
    checkpoints: list[dict[str, object]] = []
    quarter = max(total // 4, 1)
    baseline = psutil.Process().memory_info().rss
    # CPU time spent writing (in the store), to tell a slowdown of the writer from one of the readers.
    writing = [0.0]
    upsert_batch = store.upsert_batch

    def timed_upsert(trials: Sequence[Trial | PreparedTrial]) -> UpsertSummary:
        started = time.thread_time()
        try:
            return upsert_batch(trials)
        finally:
            writing[0] += time.thread_time() - started

    store.upsert_batch = timed_upsert  # type: ignore[method-assign]
    started = time.perf_counter()
    last = {"time": started, "read": 0, "cpu": _live_cpu(), "writing": 0.0}

    def on_progress(report: IngestReport) -> None:
        read = report.read
        if read - int(last["read"]) >= quarter or read == total:
            now, cpu = time.perf_counter(), _live_cpu()
            done = read - int(last["read"])
            checkpoints.append(
                {
                    "trials": read,
                    "records_per_s": round(done / (now - float(last["time"])), 1),
                    "cpu_ms_per_record": round((cpu - float(last["cpu"])) * 1000 / done, 3),
                    "store_cpu_ms_per_record": round((writing[0] - float(last["writing"])) * 1000 / done, 3),
                    "rss_mb": _mb(psutil.Process().memory_info().rss),
                    "workers_rss_mb": _mb(sum(w.memory_info().rss for w in _workers())),
                    "store_mb": _mb(_size(db)),
                }
            )
            last.update(time=now, read=read, cpu=cpu, writing=writing[0])

    blobs = replicated(xml_records, v2_records, total)
    if workers > 1:
        results = prepare_blobs(blobs, workers=workers, compression=store.compression)
    else:
        results = read_blobs(blobs)
    with contextlib.closing(results):
        report = ingest_results(results, store, on_progress=on_progress)
    seconds = time.perf_counter() - started
    count = store.count()
    store.close()
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024 if workers > 1 else 0
    rss = [float(str(c["rss_mb"])) + float(str(c["workers_rss_mb"])) for c in checkpoints]
    return {
        "workers": workers,
        "trials": count,
        "failed": report.failed,
        "seconds": round(seconds, 1),
        "records_per_s": round(report.read / seconds, 1),
        "baseline_rss_mb": _mb(baseline),
        "peak_rss_mb": _mb(own),
        "worker_peak_rss_mb": _mb(children),
        "rss_growth_mb": round(rss[-1] - rss[0], 1) if rss else None,
        "checkpoints": checkpoints,
        "store_mb": _mb(_size(db)),
    }


def _sizes(text: str) -> list[int]:
    """``--scale``'s sizes, 0 (or nothing) for none."""
    return [int(size) for size in str(text).split(",") if size.strip() and int(size) > 0]


def _in_child(args: list[str]) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter (``--child``) and return its JSON."""
    done = subprocess.run(
        [sys.executable, __file__, "--child", *args], check=True, capture_output=True, text=True
    )
    result: dict[str, Any] = orjson.loads(done.stdout)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=shared_data_dir())
    parser.add_argument(
        "--scale",
        default="200000",
        help="trials in the scale run, or sizes to compare peaks and rates: 100000,250000 (0 to skip)",
    )
    parser.add_argument("--workers", type=int, default=default_workers(), help="for the parallel runs")
    parser.add_argument("--scale-serial", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--child", choices=["sample", "scale"], help=argparse.SUPPRESS)
    parser.add_argument("--unprepared", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--baseline",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also ingest the sample in parallel without preparing rows in the readers",
    )
    parser.add_argument(
        "--derive",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="after each sample ingest, bring the derived parts up to date and time that apart",
    )
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child == "sample":
        out = sample_run(args.data, args.workdir, args.workers, args.unprepared, args.derive)
    elif args.child == "scale":
        out = scale_run(args.data, args.workdir, args.workers, _sizes(args.scale)[0])
    else:
        out = _compare(args)
    sys.stdout.write(orjson.dumps(out, option=orjson.OPT_INDENT_2).decode() + "\n")


def _compare(args: argparse.Namespace) -> dict[str, object]:
    parallel = max(args.workers, 2)
    common = ["--data", str(args.data), "--derive" if args.derive else "--no-derive"]
    with tempfile.TemporaryDirectory(prefix="trialatlas-bench-") as tmp:
        result: dict[str, Any] = {
            "benchmark": "ingest",
            "machine": {
                "cpus": os.cpu_count(),
                "python": sys.version.split()[0],
                "load_average": [round(x, 2) for x in os.getloadavg()],
            },
            "workers": parallel,
        }
        # The peer runs between our runs, in the same conditions (the machine may be shared), and
        # its best is kept: the ratio is never flattered by a slow peer measurement.
        xml_records, v2_records = load_records(args.data)
        rates = [raw_parse_rates(xml_records, v2_records)]
        sample: dict[str, dict[str, Any]] = {}
        modes: list[tuple[str, int, list[str]]] = [("serial", 1, []), ("parallel", parallel, [])]
        if args.baseline:
            modes.append(("parallel_unprepared", parallel, ["--unprepared"]))
        for mode, n, extra in modes:
            sample[mode] = _in_child(["sample", "--workdir", tmp, "--workers", str(n), *extra, *common])
            rates.append(raw_parse_rates(xml_records, v2_records))
        del xml_records, v2_records
        peers = [wall for wall, _ in rates]
        peer = max(peers)
        # The peer's CPU per record, to set against ours (CPU seconds do not depend on the load).
        peer_cpu = max(cpu for _, cpu in rates)
        result["same_content"] = len({run["content_digest"] for run in sample.values()}) == 1
        for mode, n, _ in modes:
            run = sample[mode]
            # What the run sustains with a free core for each process: its busiest process's CPU time
            # bounds it (with readers sharing the input evenly). The wall clock shows it only on an
            # otherwise idle machine.
            busiest = max(float(run["cpu_s"]), float(run["workers_cpu_s"]) / max(n - 1, 1))
            run["free_core_records_per_s"] = round(float(run["records"]) / busiest, 1)
            # What this machine's cores sustain when they run nothing else: all the run's CPU over as
            # many cores as it has processes, at most the machine's (readers beside the writer share).
            cores = min(n, os.cpu_count() or 1)
            total_cpu = float(run["cpu_s"]) + float(run["workers_cpu_s"])
            run["machine_cores_records_per_s"] = round(float(run["records"]) * cores / total_cpu, 1)
        result["sample"] = sample
        result["raw_parse"] = {
            "engine": "lxml.etree.fromstring + orjson.loads, from memory, no model, one core",
            "records_per_s": round(peer, 1),
            "measurements": [round(x, 1) for x in peers],
            "records_per_cpu_s": round(peer_cpu, 1),
        }
        # Ours by CPU time against the peer's by CPU time: load-independent.
        result["cpu_ratio_to_raw_parse"] = {
            mode: round(
                float(run["machine_cores_records_per_s"])
                / min(int(run["workers"]), os.cpu_count() or 1)
                / peer_cpu,
                3,
            )
            for mode, run in sample.items()
        }
        result["ratio_to_raw_parse"] = {
            mode: round(float(run["records_per_s"]) / peer, 3) for mode, run in sample.items()
        }
        result["free_core_ratio_to_raw_parse"] = {
            mode: round(float(run["free_core_records_per_s"]) / peer, 3) for mode, run in sample.items()
        }
        result["machine_cores_ratio_to_raw_parse"] = {
            mode: round(float(run["machine_cores_records_per_s"]) / peer, 3) for mode, run in sample.items()
        }
        sizes = _sizes(args.scale)
        scale_modes = [("parallel", parallel)] + ([("serial", 1)] if args.scale_serial else [])
        by_size: dict[str, dict[str, Any]] = {}
        for size in sizes:
            by_size[str(size)] = {
                mode: _in_child(
                    ["scale", "--workdir", tmp, "--workers", str(n), "--scale", str(size), *common]
                )
                for mode, n in scale_modes
            }
        if sizes:
            result["scale"] = by_size[str(sizes[0])]
        if len(sizes) > 1:
            # Flat memory: the peaks and rates at each size side by side (each run in a fresh process).
            result["scale_sizes"] = by_size
            result["flatness"] = {
                mode: {
                    size: {
                        "peak_rss_mb": runs[mode]["peak_rss_mb"],
                        "worker_peak_rss_mb": runs[mode]["worker_peak_rss_mb"],
                        "records_per_s": runs[mode]["records_per_s"],
                        "last_quarter_cpu_ms_per_record": runs[mode]["checkpoints"][-1]["cpu_ms_per_record"]
                        if runs[mode]["checkpoints"]
                        else None,
                    }
                    for size, runs in by_size.items()
                }
                for mode, _ in scale_modes
            }
        result["machine"]["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    return result


if __name__ == "__main__":
    main()
