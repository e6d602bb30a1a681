"""Unwrapping containers into blobs: directories, zip and tar archives, gzip / xz / bz2 files.

Everything streams: archive members are opened one at a time, never extracted to disk or memory.
Every blob made here can be pickled (its opener is a ``functools.partial`` of module-level
functions, never a lambda), so a blob can be handed to a reader process as it is.
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
from pathlib import Path
from typing import IO

from trialatlas.sources.base import Blob, RecordError


def _gunzip(stream: IO[bytes]) -> IO[bytes]:
    return gzip.GzipFile(fileobj=stream)  # type: ignore[return-value]


def _unxz(stream: IO[bytes]) -> IO[bytes]:
    return lzma.LZMAFile(stream)


def _unbz2(stream: IO[bytes]) -> IO[bytes]:
    return bz2.BZ2File(stream)


_COMPRESSORS: dict[str, Callable[[IO[bytes]], IO[bytes]]] = {".gz": _gunzip, ".xz": _unxz, ".bz2": _unbz2}
_SKIPPED_NAMES = {".DS_Store", "SOURCE.md", "README.md", "provenance.tsv"}


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
    yield from _unwrap(Blob(name=str(root), open=opener, size=root.stat().st_size))


def memory_blob(name: str, data: bytes) -> Blob:
    """A blob of bytes in memory, like ``Blob.from_bytes`` but one that can be pickled."""
    return Blob(name=name, open=functools.partial(io.BytesIO, data), size=len(data))


def _unwrap(blob: Blob) -> Iterator[Blob | RecordError]:
    lower = blob.name.lower()
    try:
        if lower.endswith((".tar", ".tar.gz", ".tgz", ".tar.xz", ".tar.bz2")):
            yield from _tar_members(blob)
            return
        if lower.endswith(".zip"):
            yield from _zip_members(blob)
            return
        for suffix, decompress in _COMPRESSORS.items():
            if lower.endswith(suffix):
                yield from _unwrap(_decompressed(blob, suffix, decompress))
                return
    except (OSError, EOFError, zipfile.BadZipFile, tarfile.TarError, lzma.LZMAError) as exc:
        yield RecordError(blob.name, f"broken archive: {exc}")
        return
    yield blob


def _decompressed(blob: Blob, suffix: str, decompress: Callable[[IO[bytes]], IO[bytes]]) -> Blob:
    opener = functools.partial(_open_decompressed, decompress, blob.open)
    return Blob(name=blob.name[: -len(suffix)], open=opener)


def _open_decompressed(
    decompress: Callable[[IO[bytes]], IO[bytes]], open_inner: Callable[[], IO[bytes]]
) -> IO[bytes]:
    return decompress(open_inner())


def _open_file(path: Path) -> IO[bytes]:
    return open(path, "rb")  # the blob's caller closes it


def _zip_members(blob: Blob) -> Iterator[Blob | RecordError]:
    with blob.open() as handle, zipfile.ZipFile(handle) as archive:
        for info in sorted(archive.infolist(), key=lambda i: i.filename):
            if info.is_dir() or Path(info.filename).name.startswith("."):
                continue
            location = f"{blob.name}!{info.filename}"
            try:
                data = archive.read(info)
            except (OSError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
                yield RecordError(location, f"broken zip member: {exc}")
                continue
            yield from _unwrap(memory_blob(location, data))


def _tar_members(blob: Blob) -> Iterator[Blob | RecordError]:
    with blob.open() as handle, tarfile.open(fileobj=handle, mode="r|*") as archive:
        for member in archive:
            if not member.isfile() or Path(member.name).name.startswith("."):
                continue
            location = f"{blob.name}!{member.name}"
            extracted = archive.extractfile(member)
            if extracted is None:
                continue
            try:
                data = extracted.read()
            except (OSError, EOFError, tarfile.TarError) as exc:
                yield RecordError(location, f"broken tar member: {exc}")
                return
            yield from _unwrap(memory_blob(location, data))
