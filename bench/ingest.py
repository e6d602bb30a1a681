"""Ingest benchmark: trialatlas ingest against the raw parse-only rate of the same bytes, then at scale.

Prints one JSON document:
- ``sample``: all legacy XML records and all API v2 studies of the shared data ingested into a fresh
  SQLite store: records/s, peak RSS, store size;
- ``raw_parse``: the peer limit measured in the same run: lxml parsing each XML record and orjson each
  v2 line from memory, without building the model (records/s); and the ratio of ours to it;
- ``scale``: the same records replicated with rewritten NCT ids up to ``--scale`` trials, streamed
  (nothing written to disk but the store), with throughput and RSS at each quarter, to show they
  stay flat.

Usage: python bench/ingest.py [--scale 200000] [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import os
import re
import resource
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import psutil
from lxml import etree

from trialatlas.config import shared_data_dir
from trialatlas.services.ingest import ingest, ingest_results
from trialatlas.sources.base import Blob, ReadResult
from trialatlas.sources.reading import read_blob
from trialatlas.store import SqliteStore

NCT_IN_XML = re.compile(rb"NCT\d{8}")


def load_records(data: Path) -> tuple[list[bytes], list[bytes]]:
    xml_records: list[bytes] = []
    with tarfile.open(data / "ctgov_legacy_xml_2023" / "ctgov_legacy_xml_feb2023.tar.gz") as archive:
        for member in archive:
            if member.isfile() and member.name.endswith(".xml"):
                handle = archive.extractfile(member)
                assert handle is not None
                xml_records.append(handle.read())
    with gzip.open(data / "ctgov_api_v2_samples" / "ctgov_api_v2_studies.jsonl.gz") as lines:
        v2_records = [line.rstrip(b"\n") for line in lines if line.strip()]
    return xml_records, v2_records


def raw_parse_rate(xml_records: list[bytes], v2_records: list[bytes]) -> float:
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    started = time.perf_counter()
    for record in xml_records:
        etree.fromstring(record, parser)
    for line in v2_records:
        orjson.loads(line)
    return (len(xml_records) + len(v2_records)) / (time.perf_counter() - started)


def rss_mb() -> float:
    return round(psutil.Process().memory_info().rss / 2**20, 1)


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def sample_run(data: Path, workdir: Path) -> dict[str, object]:
    db = workdir / "sample.db"
    store = SqliteStore(db)
    inputs = [
        data / "ctgov_legacy_xml_2023" / "ctgov_legacy_xml_feb2023.tar.gz",
        data / "ctgov_api_v2_samples" / "ctgov_api_v2_studies.jsonl.gz",
    ]
    started = time.perf_counter()
    report = ingest(inputs, store)
    seconds = time.perf_counter() - started
    store.close()
    return {
        "records": report.read,
        "failed": report.failed,
        "seconds": round(seconds, 2),
        "records_per_s": round(report.read / seconds, 1),
        "peak_rss_mb": peak_rss_mb(),
        "store_mb": round(_size(db) / 2**20, 1),
    }


def _size(db: Path) -> int:
    return sum(p.stat().st_size for p in db.parent.glob(db.name + "*"))


def replicated(xml_records: list[bytes], v2_records: list[bytes], total: int) -> Iterator[ReadResult]:
    """Records of the sample with NCT ids rewritten into a fresh range, read through the real readers."""
    pool = [("x", r) for r in xml_records] + [("j", r) for r in v2_records]
    for index, (kind, record) in zip(range(total), itertools.cycle(pool), strict=False):
        new_id = f"NCT9{index:07d}".encode()
        rewritten = NCT_IN_XML.sub(new_id, record)
        name = f"replica-{index}.xml" if kind == "x" else f"replica-{index}.jsonl"
        yield from read_blob(Blob.from_bytes(name, rewritten))


def scale_run(
    xml_records: list[bytes], v2_records: list[bytes], total: int, workdir: Path
) -> dict[str, object]:
    db = workdir / "scale.db"
    store = SqliteStore(db)
    checkpoints: list[dict[str, object]] = []
    quarter = max(total // 4, 1)
    last = {"time": time.perf_counter(), "read": 0}
    started = last["time"]

    def on_progress(report: object) -> None:
        read = getattr(report, "read", 0)
        if read - int(last["read"]) >= quarter or read == total:
            now = time.perf_counter()
            checkpoints.append(
                {
                    "trials": read,
                    "records_per_s": round((read - int(last["read"])) / (now - float(last["time"])), 1),
                    "rss_mb": rss_mb(),
                    "store_mb": round(_size(db) / 2**20, 1),
                }
            )
            last["time"], last["read"] = now, read

    report = ingest_results(replicated(xml_records, v2_records, total), store, on_progress=on_progress)
    seconds = time.perf_counter() - started
    count = store.count()
    store.close()
    return {
        "trials": count,
        "failed": report.failed,
        "seconds": round(seconds, 1),
        "records_per_s": round(report.read / seconds, 1),
        "checkpoints": checkpoints,
        "store_mb": round(_size(db) / 2**20, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=shared_data_dir())
    parser.add_argument("--scale", type=int, default=200_000, help="trials in the scale run (0 to skip)")
    args = parser.parse_args()
    xml_records, v2_records = load_records(args.data)
    with tempfile.TemporaryDirectory(prefix="trialatlas-bench-") as tmp:
        workdir = Path(tmp)
        ours = sample_run(args.data, workdir)
        peer = raw_parse_rate(xml_records, v2_records)
        result: dict[str, object] = {
            "benchmark": "ingest",
            "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
            "sample": ours,
            "raw_parse": {
                "engine": "lxml.etree.fromstring + orjson.loads, from memory, no model",
                "records_per_s": round(peer, 1),
            },
            "ratio_to_raw_parse": round(float(ours["records_per_s"]) / peer, 3),  # type: ignore[arg-type]
        }
        if args.scale:
            result["scale"] = scale_run(xml_records, v2_records, args.scale, workdir)
    sys.stdout.write(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode() + "\n")


if __name__ == "__main__":
    main()
