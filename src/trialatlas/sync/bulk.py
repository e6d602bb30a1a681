"""Bootstrapping a store from the bulk download, ``ctg-studies.json.zip`` (one study per member), or
from the same studies as JSON lines or API pages.

Studies are filed under their API URL, exactly as :func:`trialatlas.sync.service.sync` files them,
so the incremental runs that follow replace the bulk record of a study rather than adding another.
The newest "last update posted" date in the file becomes the start of the next incremental run.
"""

from __future__ import annotations

import datetime as dt
import gzip
import os
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from trialatlas.errors import SyncError
from trialatlas.services.ingest import ingest_results
from trialatlas.sources.base import ReadResult, RecordError
from trialatlas.store.base import TrialStore
from trialatlas.sync.client import API_BASE
from trialatlas.sync.service import SyncReport, read_study
from trialatlas.sync.state import SyncState, state_path_for


def _studies_in(document: Any) -> list[Any]:
    if isinstance(document, dict) and isinstance(document.get("studies"), list):
        return list(document["studies"])
    if isinstance(document, list):
        return document
    return [document]


def iter_bulk_studies(path: str | os.PathLike[str]) -> Iterator[Any | RecordError]:
    """Every study object in a bulk zip, a JSON lines file (``.gz`` too), or a JSON page or array."""
    name = os.fspath(path)
    if zipfile.is_zipfile(name):
        with zipfile.ZipFile(name) as archive:
            for member in archive.infolist():
                if member.is_dir() or not member.filename.lower().endswith(".json"):
                    continue
                try:
                    document = orjson.loads(archive.read(member))
                except (orjson.JSONDecodeError, zipfile.BadZipFile, OSError) as exc:
                    yield RecordError(f"{name}/{member.filename}", f"unreadable: {exc}")
                    continue
                yield from _studies_in(document)
        return
    opener = gzip.open if name.endswith(".gz") else open
    with opener(name, "rb") as stream:
        head = stream.read(1)
        stream.seek(0)
        if name.removesuffix(".gz").endswith((".jsonl", ".ndjson")) or head not in (b"{", b"["):
            for number, line in enumerate(stream, start=1):
                if not line.strip():
                    continue
                try:
                    yield orjson.loads(line)
                except orjson.JSONDecodeError as exc:
                    yield RecordError(f"{name}#line {number}", f"malformed JSON: {exc}")
            return
        try:
            document = orjson.loads(stream.read())
        except orjson.JSONDecodeError as exc:
            yield RecordError(name, f"malformed JSON: {exc}")
            return
        yield from _studies_in(document)


def _last_update(study: Any) -> str | None:
    if not isinstance(study, dict):
        return None
    status = (study.get("protocolSection") or {}).get("statusModule") or {}
    date = (status.get("lastUpdatePostDateStruct") or {}).get("date")
    return date if isinstance(date, str) and len(date) == 10 else None


def bootstrap(
    store: TrialStore,
    path: str | os.PathLike[str],
    *,
    api_base: str = API_BASE,
    batch_size: int = 500,
    state_path: Path | None = None,
) -> SyncReport:
    """Merge every study of a bulk file into ``store``; the next ``sync`` of every study starts from
    the newest update in it."""
    if not Path(path).is_file():
        raise SyncError(f"{path}: no such bulk file")
    started = time.perf_counter()
    newest: list[str] = []

    def results() -> Iterator[ReadResult]:
        for study in iter_bulk_studies(path):
            if isinstance(study, RecordError):
                yield study
                continue
            date = _last_update(study)
            if date and (not newest or date > newest[0]):
                newest[:] = [date]
            yield read_study(api_base, study)

    ingested = ingest_results(results(), store, batch_size=batch_size)
    report = SyncReport(None, None, complete=True, studies=ingested.read + ingested.failed)
    report.new, report.updated, report.unchanged = ingested.new, ingested.updated, ingested.unchanged
    report.errors = ingested.errors
    if newest:
        state = SyncState(state_path if state_path is not None else state_path_for(store))
        entry = state.entry(None)
        as_of = dt.datetime.combine(dt.date.fromisoformat(newest[0]), dt.time(), dt.UTC)
        if entry.get("last_complete_start", "") < as_of.isoformat():
            entry["last_complete_start"] = as_of.isoformat(timespec="seconds")
            state.save()
    report.seconds = time.perf_counter() - started
    return report
