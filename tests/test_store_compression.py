"""The store's zlib streams (store/compression.py): made by ISA-L, read by any zlib, and stores written
with the standard library's zlib still read as before, with the same content digest."""

from __future__ import annotations

import sqlite3
import zlib
from pathlib import Path

import pytest

from trialatlas.services.ingest import ingest
from trialatlas.store import SqliteStore
from trialatlas.store.base import encode_trial
from trialatlas.store.compression import CompressionError, compress, decompress


@pytest.fixture(scope="module")
def texts(target_trials: Path) -> list[bytes]:
    return [path.read_bytes() for path in sorted(target_trials.rglob("*.xml"))]


@pytest.mark.parametrize("level", [0, 1, 2, 3, 6, 9])
def test_streams_are_zlib_both_ways(texts: list[bytes], level: int) -> None:
    for text in texts:
        assert zlib.decompress(compress(text, level)) == text
        assert decompress(zlib.compress(text, level)) == text


def test_level_one_compresses_real_records(texts: list[bytes]) -> None:
    whole = b"".join(texts)
    assert len(compress(whole, 1)) < len(whole) / 2


def test_a_damaged_stream_raises_the_compression_error(texts: list[bytes]) -> None:
    stream = compress(texts[0], 1)
    with pytest.raises(CompressionError):
        decompress(stream[: len(stream) // 2] + b"\x00" * 16)


def test_a_store_written_by_standard_zlib_reads_the_same(target_trials: Path, tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    with SqliteStore(db) as store:
        ingest([target_trials], store, derive=False)
        digest = store.content_digest()
        keys = store.keys()
        trials = {key: store.get(key) for key in keys}
    assert trials
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT key, data FROM trials").fetchall()
        # What the store wrote is a zlib stream of the encoded trial.
        for key, data in rows:
            trial = trials[key]
            assert trial is not None
            assert zlib.decompress(data) == encode_trial(trial)
        # The same content as the standard library writes it (as a store made before ISA-L did).
        conn.executemany(
            "UPDATE trials SET data = ? WHERE key = ?",
            [(zlib.compress(zlib.decompress(data), 6), key) for key, data in rows],
        )
        raws = conn.execute("SELECT rowid, raw FROM raw_records WHERE raw IS NOT NULL").fetchall()
        assert raws
        conn.executemany(
            "UPDATE raw_records SET raw = ? WHERE rowid = ?",
            [(zlib.compress(zlib.decompress(raw), 6), rowid) for rowid, raw in raws],
        )
    with SqliteStore(db) as store:
        assert store.content_digest() == digest
        assert {key: store.get(key) for key in keys} == trials
        assert store.integrity_check() == []
