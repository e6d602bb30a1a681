"""Reading any input path: unwrap containers, detect each blob's format, and stream its records."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator

from trialatlas.model.merge import stamp_provenance
from trialatlas.model.trial import Trial
from trialatlas.sources.base import (
    Blob,
    ReadResult,
    RecordError,
    detect_reader,
    error_from_exception,
    get_reader,
)
from trialatlas.sources.containers import STREAM_ERRORS, iter_blobs

# What reading a broken or over-long stream raises (ValueError covers the size bounds).
READ_ERRORS = (*STREAM_ERRORS, ValueError)

# A reader must be at least this sure before it is handed a blob; below it the blob is reported.
MIN_CONFIDENCE = 0.3


def read_blob(blob: Blob, reader_name: str | None = None) -> Iterator[ReadResult]:
    """The records of one blob, by the named reader or the one detection picks."""
    try:
        head = blob.head()
    except READ_ERRORS as exc:
        yield RecordError(blob.name, f"cannot be read: {_first_line(exc)}")
        return
    if not head.strip():
        yield RecordError(blob.name, "empty file")
        return
    if reader_name is not None:
        reader = get_reader(reader_name)
    else:
        found, confidence = detect_reader(blob, head)
        if found is None or confidence < MIN_CONFIDENCE:
            yield RecordError(blob.name, _describe_unknown(head))
            return
        reader = found
    try:
        for result in reader.read(blob):
            if isinstance(result, Trial) and not result.field_sources:
                result = stamp_provenance(_named(result, blob))
            yield result
    except READ_ERRORS as exc:
        # A reader stops on a stream error (truncated archive member, bad compression, a size
        # bound): the records it already yielded stand, and the rest of the blob is one error.
        yield RecordError(blob.name, f"stopped reading: {_first_line(exc)}")
    except Exception as exc:
        # Whatever else a hostile blob provokes in a reader (deep nesting, a value no mapper
        # expected) costs this blob's remaining records, never the ingest: reported, not raised.
        yield error_from_exception(blob.name, exc)


def _named(trial: Trial, blob: Blob) -> Trial:
    """``trial`` with its records' ids and locations built on the blob's resolved name, not the name
    as typed (messages about the blob keep the name as typed)."""
    if blob.source_name is None or blob.source_name == blob.name:
        return trial
    typed = f":{blob.name}"
    for source in trial.sources:
        head, found, tail = source.id.partition(typed)
        if found and ":" not in head:
            source.id = f"{head}:{blob.source_name}{tail}"
        if source.location.startswith(blob.name):
            source.location = blob.source_name + source.location[len(blob.name) :]
    return trial


def read_path(path: str | os.PathLike[str], reader_name: str | None = None) -> Iterator[ReadResult]:
    """Every record under ``path``: a file, a directory tree, or an archive of any supported format."""
    for item in iter_blobs(path):
        if isinstance(item, RecordError):
            yield item
        else:
            yield from read_blob(item, reader_name)


def read_paths(
    paths: Iterable[str | os.PathLike[str]], reader_name: str | None = None
) -> Iterator[ReadResult]:
    for path in paths:
        yield from read_path(path, reader_name)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _describe_unknown(head: bytes) -> str:
    if b"\x00" in head[:1024]:
        return "not a trial record: binary data"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A cut-off multi-byte character at the end of the sample is not an encoding error.
        if exc.start < len(head) - 4:
            return f"not a trial record: not UTF-8 text (byte {exc.start})"
    return "not a trial record: no reader recognises this format"
