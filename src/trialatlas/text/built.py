"""Vocabularies built from the packaged data, kept built in the cache folder between processes.

The drug and condition vocabularies take seconds to build from their JSON files (hundreds of
thousands of names split into words, keyed and indexed) and a fraction of that to load once built;
a fresh process (a CLI command, a server worker, an ingest's reader) that reads a patient note or a
trial's criteria needs them at once. So each is built once and kept in the cache folder
(``trialatlas.config.cache_dir``, as the parsed unit definitions are), keyed by a digest of
trialatlas' own source and data files and of the versions of the packages the vocabularies read:
whatever changes them makes another key, and a stale file is never read.

The cache holds only what the program derives from its own files, never trial or patient data, and
is written by this program alone (pickle, as pint's own cache is); any problem with it means the
vocabulary is built as if there were none.
"""

from __future__ import annotations

import gc
import hashlib
import importlib.metadata
import os
import pickle
import time
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

from trialatlas.config import cache_dir

T = TypeVar("T")

# The packages whose data the vocabularies read (their versions enter the key).
_PACKAGES = ("drug-named-entity-recognition", "simple-icd-10-cm")
_SUFFIXES = (".py", ".json", ".txt", ".tsv", ".csv")


@cache
def source_digest() -> str:
    """A digest of every source and data file of trialatlas (name, size, modification time) and of
    the versions of the packages its vocabularies read: what a built vocabulary depends on."""
    digest = hashlib.sha256()
    root = Path(__file__).resolve().parent.parent
    for path in sorted(root.rglob("*")):
        if path.suffix in _SUFFIXES and "__pycache__" not in path.parts and path.is_file():
            # Size and modification time stand for the content: reading every file would cost a
            # fresh process a third of a second, and an edited file changes both.
            status = path.stat()
            digest.update(f"{path.relative_to(root)} {status.st_size} {status.st_mtime_ns}".encode())
    for package in _PACKAGES:
        try:
            digest.update(f"{package}=={importlib.metadata.version(package)}".encode())
        except importlib.metadata.PackageNotFoundError:
            digest.update(f"{package} missing".encode())
    return digest.hexdigest()[:20]


# Another installation (a second checkout, a newer version beside an older one) may share the cache
# folder and use a file built from other sources: deleting it would make that installation rebuild
# it mid-request, and each would then delete the other's. So a file of other sources is deleted only
# once nobody has read or written it for a week, and a partial file only once its writer is surely gone.
_UNUSED_FOR = 7 * 24 * 3600.0
_PARTIAL_FOR = 3600.0


def _prune(folder: Path, name: str) -> None:
    """Delete this vocabulary's files no installation has used for a week, and partial files left
    by a writer that died an hour or more ago."""
    now = time.time()
    for pattern, age in ((f"{name}-*.pickle", _UNUSED_FOR), (f"{name}-*.tmp", _PARTIAL_FOR)):
        for old in folder.glob(pattern):
            try:
                status = old.stat()
                if now - max(status.st_mtime, status.st_atime) > age:
                    old.unlink(missing_ok=True)
            except OSError:
                continue


def _mark_used(path: Path) -> None:
    """Record a read in the file's modification time (access times are often not kept), at most
    once a day, so pruning by age spares the files some installation still reads."""
    try:
        if time.time() - path.stat().st_mtime > 24 * 3600.0:
            os.utime(path)
    except OSError:
        pass


def _load(handle: BinaryIO) -> Any:
    """The pickled value, read with the cyclic garbage collector paused: a vocabulary is hundreds of
    thousands of new containers, and each few hundred of them would otherwise start a collection
    that walks them all again (a third of the load's time), though none of them is garbage."""
    paused = gc.isenabled()
    gc.disable()
    try:
        return pickle.load(handle)
    finally:
        if paused:
            gc.enable()


def built(name: str, build: Callable[[], T]) -> T:
    """``build()``, loaded from the cache folder when this program built it before from the same
    files, else built and kept there."""
    folder = cache_dir()
    if folder is None:
        return build()
    path = folder / "built" / f"{name}-{source_digest()}.pickle"
    try:
        with path.open("rb") as handle:
            value: T = _load(handle)
        _mark_used(path)
        return value
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
        pass
    value = build()
    partial = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _prune(path.parent, name)
        with partial.open("wb") as handle:
            pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
        partial.replace(path)
    except (OSError, pickle.PicklingError, TypeError, AttributeError):
        partial.unlink(missing_ok=True)
    return value


__all__ = ["built", "source_digest"]
