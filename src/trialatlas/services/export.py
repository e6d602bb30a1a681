"""Export and convert: trials from the store (or straight from inputs) written in a chosen format.

The writers and readers load when a function runs, so :class:`ExportFormat` (an option type of the
command line) costs nothing to import.
"""

from __future__ import annotations

import io
import itertools
import os
import re
import sys
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trialatlas.errors import NotFoundError

if TYPE_CHECKING:
    from trialatlas.model import Trial
    from trialatlas.sources.base import RecordError
    from trialatlas.store.base import TrialStore


class ExportFormat(StrEnum):
    CTGOV_JSON = "ctgov-json"
    JSONL = "jsonl"
    CSV = "csv"


def select_trials(store: TrialStore, keys: Sequence[str] | None) -> Iterator[Trial]:
    """The asked trials in the asked order (every trial, in key order, when ``keys`` is None)."""
    if keys is None:
        yield from store.iter_trials()
        return
    for key in keys:
        trial = store.get(key)
        if trial is None:
            raise NotFoundError(f"no trial {key} in the store")
        yield trial


def write_trials(trials: Iterable[Trial], fmt: ExportFormat, out: str | os.PathLike[str] | None) -> int:
    """Write trials to ``out``: a file, or for ctgov-json a directory of ``<NCT or registry id>.json``;
    None: stdout."""
    from trialatlas.export.tables import write_csv, write_jsonl

    if fmt is ExportFormat.CTGOV_JSON:
        return _write_ctgov(trials, out)
    if fmt is ExportFormat.JSONL:
        if out is None:
            return write_jsonl(trials, sys.stdout.buffer)
        with open(out, "wb") as handle:
            return write_jsonl(trials, handle)
    if out is None:
        return write_csv(trials, sys.stdout)
    with open(out, "w", encoding="utf-8", newline="") as text:
        return write_csv(trials, text)


def _write_ctgov(trials: Iterable[Trial], out: str | os.PathLike[str] | None) -> int:
    import orjson

    from trialatlas.export.ctgov_v2 import trial_to_study

    count = 0
    if out is None:
        # Several studies to one stream: an API-style page, so the output reads back as it is.
        stream = sys.stdout.buffer
        stream.write(b'{"studies":[')
        for trial in trials:
            stream.write((b"," if count else b"") + orjson.dumps(trial_to_study(trial)))
            count += 1
        stream.write(b"]}\n")
        return count
    directory = Path(out)
    directory.mkdir(parents=True, exist_ok=True)
    for trial in trials:
        # A trial of another registry has no NCT id: its file is named by its registry id ("/" → "_").
        name = trial.nct_id or re.sub(r"[^A-Za-z0-9._-]", "_", trial.key)
        target = directory / f"{name}.json"
        temporary = target.with_suffix(".json.tmp")
        temporary.write_bytes(orjson.dumps(trial_to_study(trial), option=orjson.OPT_INDENT_2))
        os.replace(temporary, target)
        count += 1
    return count


# Trials read from the store per batch while a download streams: memory stays bounded by this.
_DOWNLOAD_BATCH = 200
MEDIA_TYPES: dict[ExportFormat, str] = {
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.JSONL: "application/x-ndjson",
    ExportFormat.CTGOV_JSON: "application/zip",
}
SUFFIXES: dict[ExportFormat, str] = {
    ExportFormat.CSV: "csv",
    ExportFormat.JSONL: "jsonl",
    ExportFormat.CTGOV_JSON: "zip",
}


class _Sink(io.RawIOBase):
    """A write-only stream whose bytes are taken out as they come (zipfile writes to it unseekably)."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.chunks.append(bytes(data))
        return len(data)

    def drain(self) -> bytes:
        out = b"".join(self.chunks)
        self.chunks.clear()
        return out


def stream_trials(store: TrialStore, keys: Iterable[str], fmt: ExportFormat) -> Iterator[bytes]:
    """The trials ``keys`` names, in that order, as the bytes of a download, batch after batch, so
    that a result of any size streams: CSV in the site's columns, JSON lines, or a zip of one
    ClinicalTrials.gov-style study per trial."""
    import orjson

    from trialatlas.export.ctgov_v2 import trial_to_study
    from trialatlas.export.tables import write_csv, write_jsonl

    sink = _Sink()
    archive = zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED) if fmt is ExportFormat.CTGOV_JSON else None
    header = True
    ordered = iter(keys)
    while batch := list(itertools.islice(ordered, _DOWNLOAD_BATCH)):
        trials = store.get_many(batch)
        if fmt is ExportFormat.CSV:
            rows = io.StringIO()
            write_csv(trials, rows)
            # One header line: each later batch's own is dropped (the header holds no line break).
            sink.write((rows.getvalue() if header else rows.getvalue().split("\n", 1)[1]).encode())
            header = False
        elif fmt is ExportFormat.JSONL:
            write_jsonl(trials, sink)  # type: ignore[arg-type]
        elif archive is not None:
            for trial in trials:
                name = trial.nct_id or re.sub(r"[^A-Za-z0-9._-]", "_", trial.key)
                archive.writestr(
                    f"{name}.json", orjson.dumps(trial_to_study(trial), option=orjson.OPT_INDENT_2)
                )
        yield sink.drain()
    if fmt is ExportFormat.CSV and header:
        rows = io.StringIO()
        write_csv([], rows)
        sink.write(rows.getvalue().encode())
    if archive is not None:
        archive.close()
    yield sink.drain()


def read_merged(paths: Iterable[str | os.PathLike[str]]) -> tuple[list[Trial], list[RecordError]]:
    """Every trial read from ``paths``, records of the same trial merged, without touching a store."""
    from trialatlas.model.merge import merge_trials
    from trialatlas.sources.base import RecordError
    from trialatlas.sources.reading import read_paths

    merged: dict[str, Trial] = {}
    errors: list[RecordError] = []
    for result in read_paths(paths):
        if isinstance(result, RecordError):
            errors.append(result)
            continue
        try:
            key = result.key
        except ValueError as exc:
            errors.append(RecordError(result.sources[-1].location if result.sources else "?", str(exc)))
            continue
        merged[key] = merge_trials(merged[key], result) if key in merged else result
    return list(merged.values()), errors
