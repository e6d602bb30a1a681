"""Unwrapping containers into blobs: directories, zip and tar archives, gzip / xz / bz2 files.

Everything streams: archive members are opened one at a time, never extracted to disk or memory.
"""

from __future__ import annotations

import bz2
import gzip
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


_COMPRESSORS: dict[str, Callable[[IO[bytes]], IO[bytes]]] = {
    ".gz": _gunzip,
    ".xz": lambda f: lzma.LZMAFile(f),  # noqa: SIM115
    ".bz2": lambda f: bz2.BZ2File(f),
}
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
    opener = lambda: open(root, "rb")  # noqa: E731, SIM115
    yield from _unwrap(Blob(name=str(root), open=opener, size=root.stat().st_size))


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
    return Blob(name=blob.name[: -len(suffix)], open=lambda: decompress(blob.open()))


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
            yield from _unwrap(Blob.from_bytes(location, data))


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
            yield from _unwrap(Blob.from_bytes(location, data))
