"""Unwrapping containers into blobs: directories, zip and tar archives, gzip / xz / bz2 files.

Everything streams: archive members are opened one at a time, never extracted to disk. Every blob
made here can be pickled (its opener is a ``functools.partial`` of module-level functions, never a
lambda), so a blob can be handed to a reader process as it is.

Containers are untrusted too. A blob keeps its real name (``x.jsonl.gz``, ``a.tgz!NCT…/x.xml``), so
an error names the file as it is on disk. A broken archive or compressed stream is one error, and
the blobs before it stand. Members that could only be meant to escape or to hide (names starting
with ``.``, holding ``\\`` or ``..``, absolute, links, devices) are reported and skipped. What a
member may expand to is bounded (:class:`~trialatlas.sources.base.ReadLimits`): per member, per
archive, and a decompression ratio for zip members, so a small bomb is refused, not read.
"""

from __future__ import annotations

import bz2
import functools
import gzip
import io
import lzma
import os
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath
from typing import IO, Any

from trialatlas.errors import ReadLimitError
from trialatlas.sources.base import (
    RATIO_FLOOR,
    Blob,
    RecordError,
    read_limits,
    read_whole,
)


def _gunzip(stream: IO[bytes]) -> IO[bytes]:
    return gzip.GzipFile(fileobj=stream)  # type: ignore[return-value]


def _unxz(stream: IO[bytes]) -> IO[bytes]:
    return lzma.LZMAFile(stream)


def _unbz2(stream: IO[bytes]) -> IO[bytes]:
    return bz2.BZ2File(stream)


_COMPRESSORS: dict[str, Callable[[IO[bytes]], IO[bytes]]] = {".gz": _gunzip, ".xz": _unxz, ".bz2": _unbz2}
# Archives in archives, compressed files in them: past this depth a blob is reported, not opened
# (real inputs nest two or three deep; a hostile one could nest until the stack runs out).
MAX_NESTING = 8
_SKIPPED_NAMES = {".DS_Store", "SOURCE.md", "README.md", "provenance.tsv"}
# What a broken archive or compressed stream raises while it is read.
STREAM_ERRORS = (OSError, EOFError, zipfile.BadZipFile, tarfile.TarError, lzma.LZMAError, zlib.error)


def iter_blobs(path: str | os.PathLike[str]) -> Iterator[Blob | RecordError]:
    """Every readable blob under ``path`` (a file, a directory tree or an archive), in a stable order."""
    root = Path(path)
    if not root.exists():
        yield RecordError(str(root), "no such file or directory")
        return
    if root.is_dir():
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            for filename in sorted(filenames):
                if filename.startswith(".") or filename in _SKIPPED_NAMES:
                    continue
                yield from iter_blobs(Path(dirpath) / filename)
        return
    # The blob's opener hands out a fresh stream each call; its caller closes it.
    opener = functools.partial(_open_file, root)
    absolute = os.path.abspath(root)
    blob = Blob(name=str(root), open=opener, size=root.stat().st_size, source_name=absolute)
    yield from _unwrap(blob)


def memory_blob(name: str, data: bytes, source_name: str | None = None) -> Blob:
    """A blob of bytes in memory, like ``Blob.from_bytes`` but one that can be pickled."""
    return Blob(name=name, open=functools.partial(io.BytesIO, data), size=len(data), source_name=source_name)


def _member_source_name(blob: Blob, member: str) -> str | None:
    return None if blob.source_name is None else f"{blob.source_name}!{member}"


def _unwrap(blob: Blob, judged: str | None = None, depth: int = 0) -> Iterator[Blob | RecordError]:
    # ``judged``: the name the container kind is judged by (the blob's own, less the compression
    # suffixes already unwrapped); ``depth``: how many containers hold this one.
    lower = (blob.name if judged is None else judged).rsplit("!", 1)[-1].lower()
    is_container = lower.endswith((".tar", ".tgz", ".zip", *_COMPRESSORS))
    if is_container and depth >= MAX_NESTING:
        yield RecordError(blob.name, f"containers nested more than {MAX_NESTING} deep: skipped")
        return
    try:
        if lower.endswith((".tar", ".tar.gz", ".tgz", ".tar.xz", ".tar.bz2")):
            yield from _tar_members(blob, depth)
            return
        if lower.endswith(".zip"):
            yield from _zip_members(blob, depth)
            return
        for suffix, decompress in _COMPRESSORS.items():
            if lower.endswith(suffix):
                yield from _unwrap(_decompressed(blob, decompress), lower[: -len(suffix)], depth + 1)
                return
    except ReadLimitError as exc:
        yield RecordError(blob.name, str(exc))
        return
    except STREAM_ERRORS as exc:
        yield RecordError(blob.name, f"broken archive or compressed stream: {_first_line(exc)}")
        return
    yield blob


def _decompressed(blob: Blob, decompress: Callable[[IO[bytes]], IO[bytes]]) -> Blob:
    limit = read_limits().stream_limit(blob.size)
    opener = functools.partial(_open_decompressed, decompress, blob.open, limit)
    # The name stays the file's own, so errors name it as it is; readers judge the format by
    # ``format_name`` (the name without its compression suffixes).
    return Blob(name=blob.name, open=opener, source_name=blob.source_name)


def _open_decompressed(
    decompress: Callable[[IO[bytes]], IO[bytes]], open_inner: Callable[[], IO[bytes]], limit: int
) -> IO[bytes]:
    return io.BufferedReader(BoundedStream(decompress(open_inner()), limit), _BUFFER)


_BUFFER = 1 << 16


def _open_file(path: Path) -> IO[bytes]:
    return open(path, "rb")  # the blob's caller closes it


class BoundedStream(io.RawIOBase):
    """A read-only raw stream that raises :class:`ReadLimitError` once more than ``limit`` bytes came
    out of it: a decompressed stream can never expand past its bound, whoever reads it."""

    def __init__(self, inner: IO[bytes], limit: int) -> None:
        super().__init__()
        self._inner = inner
        self._limit = limit
        self._count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._inner.read(len(buffer))
        self._count += len(data)
        if self._count > self._limit:
            raise ReadLimitError(_expanded_past(self._limit))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            super().close()


def _expanded_past(limit: int) -> str:
    return f"expands past its {limit:,}-byte limit (a decompression bomb?): the rest refused"


def unsafe_member_name(name: str) -> str | None:
    """Why an archive member's name is refused, or ``None`` for an ordinary relative name."""
    if "\\" in name:
        return "its name holds a backslash"
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return "its name is an absolute path"
    parts = PurePosixPath(name).parts
    if ".." in parts:
        return "its name climbs out of the archive (..)"
    if any(part.startswith(".") and part != "." for part in parts):
        return "its name is hidden (starts with '.')"
    if "\x00" in name or any(ord(char) < 32 for char in name):
        return "its name holds control characters"
    return None


def _zip_members(blob: Blob, depth: int) -> Iterator[Blob | RecordError]:
    limits = read_limits()
    total = 0
    with blob.open() as handle, zipfile.ZipFile(handle) as archive:
        for info in sorted(archive.infolist(), key=lambda i: i.filename):
            if info.is_dir():
                continue
            location = f"{blob.name}!{info.filename}"
            refused = unsafe_member_name(info.filename)
            if refused is None and (info.external_attr >> 16) & 0o170000 == 0o120000:
                refused = "it is a symbolic link"
            if refused is None and info.file_size > limits.member_bytes:
                refused = f"it expands to {info.file_size:,} bytes, past the per-member limit"
            if (
                refused is None
                and info.file_size > RATIO_FLOOR
                and info.file_size > limits.expansion_ratio * max(info.compress_size, 1)
            ):
                refused = f"it expands {info.file_size // max(info.compress_size, 1):,} times (a bomb)"
            if refused is not None:
                yield RecordError(location, f"archive member skipped: {refused}")
                continue
            try:
                # Streamed through a bound: the sizes in a zip's directory may lie.
                room = min(limits.member_bytes, limits.archive_bytes - total)
                with archive.open(info) as member:
                    data = read_whole(member, room, "member")
            except ReadLimitError as exc:
                yield RecordError(location, f"archive member skipped: {exc}")
                if total >= limits.archive_bytes - limits.member_bytes:
                    yield RecordError(blob.name, "archive expands past its total limit: the rest skipped")
                    return
                continue
            except (*STREAM_ERRORS, NotImplementedError, RuntimeError) as exc:
                yield RecordError(location, f"broken zip member: {_first_line(exc)}")
                continue
            total += len(data)
            member_name = _member_source_name(blob, info.filename)
            yield from _unwrap(memory_blob(location, data, member_name), None, depth + 1)


_TAR_COMPRESSION = {".tgz": ".gz", ".tar.gz": ".gz", ".tar.xz": ".xz", ".tar.bz2": ".bz2"}


def _tar_members(blob: Blob, depth: int) -> Iterator[Blob | RecordError]:
    limits = read_limits()
    total = 0
    lower = blob.name.rsplit("!", 1)[-1].lower()
    suffix = next((c for end, c in _TAR_COMPRESSION.items() if lower.endswith(end)), None)
    # Decompressed by the same streams as any compressed file (tarfile's own gzip reader takes a
    # stream cut off before its end marker for a whole one).
    opener = (
        blob.open
        if suffix is None
        else functools.partial(
            _open_decompressed, _COMPRESSORS[suffix], blob.open, limits.stream_limit(blob.size)
        )
    )
    with opener() as handle, tarfile.open(fileobj=handle, mode="r|") as archive:
        for member in archive:
            if member.isdir():
                continue
            location = f"{blob.name}!{member.name}"
            refused = unsafe_member_name(member.name)
            if refused is None and not member.isfile():
                refused = "it is a link or a special file, not a regular file"
            if refused is None and member.size > limits.member_bytes:
                refused = f"it holds {member.size:,} bytes, past the per-member limit"
            if refused is None and total + member.size > limits.archive_bytes:
                yield RecordError(blob.name, "archive expands past its total limit: the rest skipped")
                return
            if refused is not None:
                yield RecordError(location, f"archive member skipped: {refused}")
                continue
            extracted = archive.extractfile(member)
            if extracted is None:
                continue
            try:
                data = extracted.read()
            except (*STREAM_ERRORS, ReadLimitError) as exc:
                yield RecordError(location, f"broken tar member: {_first_line(exc)}")
                return
            total += len(data)
            member_name = _member_source_name(blob, member.name)
            yield from _unwrap(memory_blob(location, data, member_name), None, depth + 1)
        # A compressed tarball cut after its last member still lists whole members: reading on to
        # the compressed stream's end is what tells a cut-off file from a whole one.
        for _ in range(_TRAILER_CHUNKS):
            if not handle.read(_BUFFER):
                return
        yield RecordError(blob.name, "broken archive: data past the end of the tar archive")


# How much an archive may hold after its end marker (padding) before that is reported.
_TRAILER_CHUNKS = 16


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
