"""The cache of built vocabularies is shared safely: a file built by another installation (other
sources, so another key) is kept while it is in use, a long-unused one and a dead writer's partial
file are pruned, and a fresh build is read back instead of built again."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from trialatlas.text import built as built_module


def test_another_installations_file_survives_and_stale_files_go(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRIALATLAS_CACHE", str(tmp_path))
    folder = tmp_path / "built"
    folder.mkdir()
    in_use = folder / "demo-otherinstall.pickle"
    in_use.write_bytes(b"another installation's vocabulary")
    unused = folder / "demo-longgone.pickle"
    unused.write_bytes(b"old")
    dead_partial = folder / "demo-x.pickle.123.tmp"
    dead_partial.write_bytes(b"half")
    long_ago = time.time() - 30 * 24 * 3600
    for path in (unused, dead_partial):
        os.utime(path, (long_ago, long_ago))

    calls: list[int] = []

    def build() -> dict[str, int]:
        calls.append(1)
        return {"words": 3}

    assert built_module.built("demo", build) == {"words": 3}
    assert in_use.exists(), "a file another installation uses was deleted"
    assert not unused.exists() and not dead_partial.exists()
    assert list(folder.glob("demo-*.tmp")) == []
    assert built_module.built("demo", build) == {"words": 3}
    assert calls == [1], "the kept file was not read back"


def test_no_cache_folder_builds_every_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRIALATLAS_CACHE", "")
    calls: list[int] = []
    built_module.built("demo", lambda: calls.append(1))
    built_module.built("demo", lambda: calls.append(1))
    assert calls == [1, 1]


def test_a_kept_value_loads_back_and_leaves_the_collector_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The load pauses the garbage collector; whatever the caller had set must be restored.
    import gc

    monkeypatch.setenv("TRIALATLAS_CACHE", str(tmp_path))
    calls: list[int] = []

    def build() -> dict[str, list[int]]:
        calls.append(1)
        return {"words": list(range(1000))}

    first = built_module.built("gc-probe", build)
    assert gc.isenabled()
    again = built_module.built("gc-probe", build)  # read from the kept file
    assert again == first and len(calls) == 1
    assert gc.isenabled()
    gc.disable()
    try:
        assert built_module.built("gc-probe", build) == first
        assert not gc.isenabled()
    finally:
        gc.enable()
