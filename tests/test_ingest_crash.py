"""Crash safety: a real ingest process killed with SIGKILL leaves a consistent store, and re-running
the same ingest converges to exactly the content of an uninterrupted ingest."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from trialatlas.store import SqliteStore
from trialatlas.store.postgres import PostgresStore

pytestmark = pytest.mark.slow


def _ingest_command(db: Path, inputs: list[Path]) -> list[str]:
    return [
        sys.executable,
        "-m",
        "trialatlas",
        "ingest",
        "--db",
        str(db),
        "--batch-size",
        "100",
        # The stored content alone is compared; derived data's own kill safety is tests/test_derived.py's.
        "--no-derive",
        *map(str, inputs),
    ]


def _stored(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
            return int(conn.execute("select count(*) from trials").fetchone()[0])
    except sqlite3.Error:
        return 0


def _digest(db: Path) -> str:
    store = SqliteStore(db)
    try:
        assert store.integrity_check() == []
        return store.content_digest()
    finally:
        store.close()


def _kill_at_depths(
    command: list[str], stored: Callable[[], int], thresholds: tuple[int, ...], check: Callable[[], None]
) -> int:
    """Run ``command`` once per threshold and SIGKILL it once ``stored()`` reaches it; ``check`` the store
    after each kill. Returns how many runs were killed (not finished first)."""
    kills = 0
    for threshold in thresholds:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while process.poll() is None and stored() < threshold and time.monotonic() < deadline:
            time.sleep(0.02)
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            kills += 1
        process.wait()
        check()
    return kills


def test_kill_minus_nine_midway_then_rerun_converges(shared_data: Path, tmp_path: Path) -> None:
    inputs = [
        shared_data / "ctgov_api_v2_samples" / "ctgov_api_v2_studies.jsonl.gz",
        shared_data / "ctgov_legacy_xml_2023" / "ctgov_legacy_xml_feb2023.tar.gz",
    ]
    reference = tmp_path / "reference.db"
    subprocess.run(_ingest_command(reference, inputs), check=True, capture_output=True)
    expected = _digest(reference)

    crashed = tmp_path / "crashed.db"

    def consistent() -> None:
        # Whatever moment the kill hit, the file is a consistent store.
        store = SqliteStore(crashed)
        try:
            assert store.integrity_check() == []
            assert store.count() >= 0
        finally:
            store.close()

    # Kill at three different depths into the ingest: early, middle, late.
    kills = _kill_at_depths(
        _ingest_command(crashed, inputs), lambda: _stored(crashed), (300, 2500, 5500), consistent
    )
    assert kills >= 2, "the ingest finished before it could be killed; the test proved nothing"
    rerun = subprocess.run(_ingest_command(crashed, inputs), capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    assert _digest(crashed) == expected


def _stored_pg(url: str) -> int:
    try:
        with PostgresStore(url) as store:
            return store.count()
    except Exception:  # the schema may not exist yet, or be mid-creation: nothing stored
        return 0


def test_kill_minus_nine_into_postgresql_then_rerun_converges(
    shared_data: Path, tmp_path: Path, pg_url: str
) -> None:
    # The same kill safety on the server backend: every batch is one transaction, so a killed ingest
    # leaves the database consistent, and the rerun stores what an uninterrupted ingest stores.
    inputs = [shared_data / "ctgov_api_v2_samples" / "ctgov_api_v2_studies.jsonl.gz"]
    reference = tmp_path / "reference.db"
    subprocess.run(_ingest_command(reference, inputs), check=True, capture_output=True)
    expected = _digest(reference)
    command = _ingest_command(Path("DB"), inputs)
    command[command.index("DB")] = pg_url

    def consistent() -> None:
        with PostgresStore(pg_url) as store:
            assert store.integrity_check() == []

    kills = _kill_at_depths(command, lambda: _stored_pg(pg_url), (100, 400), consistent)
    assert kills >= 1, "the ingest finished before it could be killed; the test proved nothing"
    rerun = subprocess.run(command, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    with PostgresStore(pg_url) as store:
        assert store.integrity_check() == []
        assert store.content_digest() == expected
