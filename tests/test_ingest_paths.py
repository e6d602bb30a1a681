"""A record's identity does not depend on how its path was typed: the same file ingested by a
relative path, an absolute one or ``./name`` is one record, and a store written when source ids
held the path as typed converges instead of gaining a second copy."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from trialatlas.model import Trial
from trialatlas.sources.reading import read_path
from trialatlas.store import open_store
from trialatlas.store.memory import MemoryStore


def _run(cwd: Path, *args: str) -> dict[str, object]:
    env = dict(os.environ)
    env.pop("TRIALATLAS_DB", None)
    result = subprocess.run(
        [sys.executable, "-m", "trialatlas", *args], capture_output=True, text=True, env=env, cwd=cwd
    )
    assert result.returncode == 0, result.stderr
    document: dict[str, object] = orjson.loads(result.stdout)
    return document


def _raw_ids(db: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(db) as conn:
        return sorted(conn.execute("SELECT trial_key, source_id FROM raw_records").fetchall())


def _copy(target_trials: Path, into: Path) -> list[str]:
    (into / "in").mkdir(parents=True)
    names = sorted(p.name for p in target_trials.glob("NCT*.xml"))[:3]
    for name in names:
        shutil.copy(target_trials / name, into / "in" / name)
    return names


def test_one_record_whatever_the_path(target_trials: Path, tmp_path: Path) -> None:
    names = _copy(target_trials, tmp_path)
    db = str(tmp_path / "atlas.db")
    first = _run(tmp_path, "ingest", "--db", db, "--json", "in")
    assert first["new"] == len(names)
    before = _raw_ids(Path(db))
    assert len(before) == len(names)
    for typed in (str(tmp_path / "in"), "./in", "in/", *(f"in/../in/{name}" for name in names)):
        again = _run(tmp_path, "ingest", "--db", db, "--json", typed)
        assert again["new"] == 0 and again["updated"] == 0, (typed, again)
        assert _raw_ids(Path(db)) == before, typed
    # From another working directory, the same file by its relative path.
    (tmp_path / "elsewhere").mkdir()
    _run(tmp_path / "elsewhere", "ingest", "--db", db, "--json", "../in")
    assert _raw_ids(Path(db)) == before


def _typed_the_old_way(trials: list[Trial]) -> list[Trial]:
    """``trials`` with the source ids the old code wrote: the path as typed (``in/NCT….xml``)."""
    for trial in trials:
        for source in trial.sources:
            head, _, tail = source.id.partition(":")
            source.id = f"{head}:in/{tail.rsplit('/', 1)[-1]}"
        trial.field_sources = dict.fromkeys(trial.field_sources, trial.sources[-1].id)
    return trials


@pytest.mark.parametrize("backend", ["sqlite", "memory"])
def test_each_backend_adopts_old_ids(target_trials: Path, tmp_path: Path, backend: str) -> None:
    _copy(target_trials, tmp_path)
    old = _typed_the_old_way([t for t in read_path(tmp_path / "in") if isinstance(t, Trial)])
    store = MemoryStore() if backend == "memory" else open_store(str(tmp_path / "b.db"))
    try:
        store.upsert_batch(old)
        fresh = [t for t in read_path(tmp_path / "in") if isinstance(t, Trial)]
        summary = store.upsert_batch(fresh)
        assert summary.unchanged == len(fresh) and summary.new == summary.updated == 0
        for trial in fresh:
            held = store.raw_records(trial.key)
            assert [source_id for source_id, _ in held] == [trial.sources[0].id]
            assert held[0][1] == trial.sources[0].raw
            assert [s.id for s in store.get(trial.key).sources] == [trial.sources[0].id]  # type: ignore[union-attr]
        # Adopted once: the next re-read is a plain re-read.
        assert (
            store.upsert_batch([t for t in read_path(tmp_path / "in") if isinstance(t, Trial)]).unchanged == 3
        )
    finally:
        store.close()


def test_a_store_written_with_typed_paths_converges(target_trials: Path, tmp_path: Path) -> None:
    names = _copy(target_trials, tmp_path)
    db = tmp_path / "old.db"
    # What the old code wrote: source ids holding the path as typed ("in/NCT….xml").
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        trials = [t for t in read_path("in") if not isinstance(t, Exception)]
    finally:
        os.chdir(cwd)
    _typed_the_old_way(trials)
    store = open_store(str(db))
    try:
        store.upsert_batch(trials)
    finally:
        store.close()
    old = _raw_ids(db)
    assert len(old) == len(names) and all(":in/" in source for _, source in old)
    again = _run(tmp_path, "ingest", "--db", str(db), "--json", str(tmp_path / "in"))
    assert again["new"] == 0 and again["updated"] == 0, again
    after = _raw_ids(db)
    assert [key for key, _ in after] == [key for key, _ in old]  # one record each, none lost
    shown = _run(tmp_path, "show", "--db", str(db), "--json", names[0].removesuffix(".xml"))
    assert len(shown["sources"]) == 1  # type: ignore[arg-type]
