"""What only the PostgreSQL store shows: agreement with the other backends under random identity
mixes, copies between backends, several writers at once, its derived blobs, its schema guard and its
migrations.

The protocol tests of tests/test_store.py run on PostgreSQL too (the ``store`` fixture)."""

from __future__ import annotations

import datetime as dt
import itertools
import random
import subprocess
import sys
import threading
import time
from pathlib import Path

import orjson
import psycopg
import pytest

from test_store import NCT1, NCT2, NCT3, make_trial, random_batch, rich_trial
from trialatlas.errors import StoreError
from trialatlas.services.derived import bring_up_to_date
from trialatlas.store import MemoryStore, SqliteStore, TrialStore, copy_store, open_store
from trialatlas.store.postgres import PostgresStore, redact


@pytest.mark.parametrize("seed", range(3))
def test_random_identity_mixes_keep_postgres_equal_to_memory(pg_url: str, seed: int) -> None:
    rng = random.Random(seed)
    with PostgresStore(pg_url) as pg, MemoryStore() as memory:
        for _ in range(25):
            batch = random_batch(rng, rng.randrange(1, 30))
            assert pg.upsert_batch(batch) == memory.upsert_batch(batch)
            assert pg.content_digest() == memory.content_digest()
        assert pg.integrity_check() == []
        assert pg.keys() == memory.keys()
        assert pg.changes_since(0)[1] and sorted(pg.changes_since(0)[1]) == sorted(memory.changes_since(0)[1])


def _history_batches() -> list[list[object]]:
    return [
        [rich_trial(), make_trial(NCT2, raw=None), make_trial(None, org="LOCAL-1")],
        [make_trial(NCT1, source="b", date=dt.date(2022, 1, 1), acronym="B"), make_trial(NCT3, org="x-9")],
        [make_trial(None, org="X-9", source="page", conditions=["Flu"])],
        [make_trial(NCT1, source="c", date=dt.date(2023, 1, 1), acronym="C")],
    ]


def test_copy_moves_everything_between_every_backend(pg_url: str, tmp_path: Path) -> None:
    original = SqliteStore(tmp_path / "original.db")
    for batch in _history_batches():
        original.upsert_batch(batch)  # type: ignore[arg-type]
    # An ORG trial the planner would bridge into NCT3 if it were merged again rather than copied.
    original.upsert_batch([make_trial(NCT2, org="SHARED"), make_trial("NCT00000004", org="SHARED")])
    original.upsert_batch([make_trial(None, org="SHARED", source="page:shared")])
    keys = original.keys()
    assert "ORG:SHARED" in keys
    expected_versions = {key: original.versions(key) for key in keys}
    assert len(expected_versions[NCT1]) == 3

    pg = PostgresStore(pg_url)
    memory = MemoryStore()
    back = SqliteStore(tmp_path / "back.db")
    chain: list[TrialStore] = [original, pg, memory, back]
    for source, target in itertools.pairwise(chain):
        report = copy_store(source, target, batch_size=2)
        assert report.trials == original.count()
        assert report.versions == sum(len(v) - 1 for v in expected_versions.values()) >= 4
        assert target.content_digest() == original.content_digest() == report.digest
        assert target.integrity_check() == []
        assert target.keys() == original.keys()
        for key, versions in expected_versions.items():
            copied = target.versions(key)
            assert [(v.number, v.stored_at, v.replaced_at) for v in copied] == [
                (v.number, v.stored_at, v.replaced_at) for v in versions
            ]
            assert [v.trial for v in copied] == [v.trial for v in versions]
        assert sorted(target.changes_since(0)[1]) == sorted(original.keys())
    # The copy keeps merging like the original: a new record lands the same way in both.
    later = make_trial(NCT1, source="d", date=dt.date(2024, 1, 1), acronym="D")
    assert pg.upsert_batch([later]) == original.upsert_batch([later])
    assert pg.content_digest() == original.content_digest()
    with pytest.raises(StoreError, match="not empty"):
        copy_store(original, pg)
    for store in chain:
        store.close()


def test_import_refuses_keys_already_stored(pg_url: str) -> None:
    with PostgresStore(pg_url) as pg, MemoryStore() as memory:
        memory.upsert_batch([make_trial(NCT1), make_trial(NCT2)])
        pg.upsert_batch([make_trial(NCT2, brief_title="Kept")])
        digest = pg.content_digest()
        with pytest.raises(StoreError, match="already stored"):
            pg.import_trials(list(memory.export_trials()))
        assert pg.content_digest() == digest


def test_concurrent_writers_are_serialised_and_lose_nothing(pg_url: str) -> None:
    PostgresStore(pg_url).close()  # create the tables before the race
    errors: list[BaseException] = []

    def writer(offset: int) -> None:
        try:
            with PostgresStore(pg_url) as own:
                for round_number in range(6):
                    # Both writers touch the shared trials every round, each with its own records
                    # and content of its own (a new version each time, whichever writer goes next).
                    shared = [
                        make_trial(
                            f"NCT{n:08d}",
                            source=f"w{offset}-{n}-{round_number}",
                            acronym=f"W{offset}-{round_number}",
                        )
                        for n in range(1, 6)
                    ]
                    own_trials = [make_trial(f"NCT{offset * 100 + round_number:08d}")]
                    own.upsert_batch(shared + own_trials)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(offset,)) for offset in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    with PostgresStore(pg_url) as pg:
        assert pg.integrity_check() == []
        assert pg.count() == 5 + 12
        trial = pg.get("NCT00000003")
        # Every record of both writers was merged, none lost to a race.
        assert trial is not None and len(trial.sources) == 2 * 6
        # Whatever turns the writers took, the merged trial is what the merge order gives: the
        # highest-ranked record (all else equal, the greatest source id) names the acronym. A write
        # that changes nothing makes no version, so how many there are depends on the turns taken.
        assert trial.acronym == "W2-5"
        assert 1 <= len(pg.versions("NCT00000003")) <= 12
        newest, changed = pg.changes_since(0)
        assert len(changed) == 17 and newest >= 17


def test_readers_do_not_wait_for_a_writer(pg_url: str) -> None:
    with PostgresStore(pg_url) as reader, PostgresStore(pg_url) as writer:
        writer.upsert_batch([make_trial(NCT1, brief_title="Before")])
        held = threading.Event()
        release = threading.Event()

        def hold_the_write_lock() -> None:
            with psycopg.connect(pg_url) as conn, conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (0x7472_6961_6C61,))
                held.set()
                release.wait(30)

        holder = threading.Thread(target=hold_the_write_lock)
        holder.start()
        assert held.wait(10)
        started = time.monotonic()
        found = reader.get(NCT1)
        assert found is not None and found.brief_title == "Before"
        assert time.monotonic() - started < 2
        done = threading.Event()

        def write() -> None:
            writer.upsert_batch([make_trial(NCT1, date=dt.date(2021, 1, 1), brief_title="After")])
            done.set()

        blocked = threading.Thread(target=write)
        blocked.start()
        assert not done.wait(0.5), "a second writer must wait for the lock"
        release.set()
        holder.join(10)
        assert done.wait(10)
        blocked.join(10)
        after = reader.get(NCT1)
        assert after is not None and after.brief_title == "After"


def _old_layout(url: str) -> None:
    """A database as schema 1 left it: the store's tables, plus the search vector on every trial."""
    with PostgresStore(url) as pg:
        pg.upsert_batch(
            [
                make_trial(NCT1, brief_title="Tacrolimus in lupus nephritis"),
                make_trial(NCT2, brief_title="Asthma"),
            ]
        )
        digest = pg.content_digest()
    with psycopg.connect(url, autocommit=True) as conn:
        for table in ("derived_blobs", "derived_meta", "derived_criteria"):
            conn.execute(f"DROP TABLE {table}")
        conn.execute("ALTER TABLE trials ADD COLUMN search TSVECTOR")
        conn.execute("UPDATE trials SET search = to_tsvector('english', coalesce(title, ''))")
        conn.execute("ALTER TABLE trials ALTER COLUMN search SET NOT NULL")
        conn.execute("CREATE INDEX trials_search ON trials USING GIN (search)")
        conn.execute("UPDATE trialatlas_meta SET value = '1' WHERE name = 'schema_version'")
    _digests[url] = digest


_digests: dict[str, str] = {}


def _columns(url: str) -> list[str]:
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'trials' ORDER BY 1"
        ).fetchall()
    return [str(name) for (name,) in rows]


def test_an_older_store_is_migrated_once_with_progress(pg_url: str, caplog: pytest.LogCaptureFixture) -> None:
    _old_layout(pg_url)
    assert "search" in _columns(pg_url)
    with caplog.at_level("WARNING", logger="trialatlas.store.postgres"), PostgresStore(pg_url) as pg:
        assert pg.migrated == [1] and pg.schema_version == 2
        # Written again after the migration: the insert no longer names the dropped column.
        pg.upsert_batch([make_trial(NCT3, brief_title="Mycophenolate")])
        pg.write_derived("probe", "1", b"x" * 10)
        assert pg.read_derived("probe") == ("1", b"x" * 10)
    steps = [record.getMessage() for record in caplog.records]
    assert any("step 1 of 1 (schema 1 to 2)" in line for line in steps), steps
    assert any("step 1 done" in line for line in steps), steps
    assert "search" not in _columns(pg_url)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        assert conn.execute("SELECT to_regclass('trials_search')").fetchone() == (None,)
    # Opened again (any process): nothing left to migrate, the content as it was.
    caplog.clear()
    with caplog.at_level("WARNING", logger="trialatlas.store.postgres"), PostgresStore(pg_url) as pg:
        assert pg.migrated == [] and pg.schema_version == 2
        assert sorted(pg.keys()) == [NCT1, NCT2, NCT3]
        pg.delete([NCT3])
        assert pg.content_digest() == _digests[pg_url]
    assert not caplog.records


def test_two_processes_opening_an_older_store_at_once_migrate_it_once(pg_url: str) -> None:
    _old_layout(pg_url)
    stores: list[PostgresStore] = []
    errors: list[BaseException] = []

    def open_one() -> None:
        try:
            stores.append(PostgresStore(pg_url))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors
    assert sorted(len(store.migrated) for store in stores) == [0, 0, 1]
    for store in stores:
        store.close()


def test_derived_blobs_are_replaced_whole(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import trialatlas.store.postgres as module

    monkeypatch.setattr(module, "BLOB_PART", 7)  # parts, as a blob of gigabytes is kept
    with PostgresStore(pg_url) as pg:
        assert pg.read_derived("index") is None and pg.derived_stamp("index") is None
        big = bytes(range(256)) * 3
        pg.write_derived("index", '{"seq": 1}', big)
        assert pg.read_derived("index") == ('{"seq": 1}', big)
        pg.write_derived("index", '{"seq": 2}', b"short")
        assert pg.read_derived("index") == ('{"seq": 2}', b"short")
        assert pg.derived_stamp("index") == '{"seq": 2}'
        pg.write_derived("empty", "0", b"")
        assert pg.read_derived("empty") == ("0", b"")


def test_schema_guard_and_urls(pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE trials (x int)")
    with pytest.raises(StoreError, match="not a trialatlas store"):
        PostgresStore(pg_url)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("DROP TABLE trials")
    with PostgresStore(pg_url) as pg:
        assert pg.schema_version == 2
        pg.upsert_batch([make_trial(NCT1)])
        assert pg.file_size() > 0
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("UPDATE trialatlas_meta SET value = '99' WHERE name = 'schema_version'")
    with pytest.raises(StoreError, match="newer than this trialatlas"):
        PostgresStore(pg_url)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("UPDATE trialatlas_meta SET value = '2' WHERE name = 'schema_version'")
    via_driver = open_store(pg_url.replace("postgresql://", "postgresql+psycopg://"))
    assert isinstance(via_driver, PostgresStore) and via_driver.keys() == [NCT1]
    via_driver.close()
    assert (
        redact("postgresql://ann:secret@db.example:5432/atlas")
        == "postgresql://ann:***@db.example:5432/atlas"
    )


def test_copy_command_moves_a_file_store_to_postgres(pg_url: str, tmp_path: Path) -> None:
    source = tmp_path / "team.db"
    with SqliteStore(source) as store:
        for batch in _history_batches():
            store.upsert_batch(batch)  # type: ignore[arg-type]
        digest = store.content_digest()
        stored = store.keys()
        older = sum(len(store.versions(key)) - 1 for key in stored)
        assert older >= 3
    run = subprocess.run(
        [sys.executable, "-m", "trialatlas", "copy", str(source), pg_url, "--json"],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    assert orjson.loads(run.stdout) == {"trials": 4, "versions": older, "digest": digest}
    with PostgresStore(pg_url) as pg:
        assert pg.content_digest() == digest and len(pg.versions(NCT1)) == 3
    again = subprocess.run(
        [sys.executable, "-m", "trialatlas", "copy", str(source), pg_url], capture_output=True, text=True
    )
    assert again.returncode == 1 and "not empty" in again.stderr


def test_server_processes_on_one_database_accept_each_others_cursors(pg_url: str) -> None:
    """The cursor secret is a row of the database, not a key of one process: a page asked of one
    server continues on another; a store elsewhere still refuses it."""
    from fastapi.testclient import TestClient

    from trialatlas.api import create_app

    with PostgresStore(pg_url) as pg:
        pg.upsert_batch(
            [make_trial(nct, brief_title=f"Lupus nephritis trial {nct}") for nct in (NCT1, NCT2, NCT3)]
        )
        # What every write command does after writing (a search on PostgreSQL only reads the index).
        bring_up_to_date(pg, parts=("search",))
    params = {"q": "lupus", "limit": 1, "facets": "none"}
    first_app, second_app = create_app(pg_url, warm=False), create_app(pg_url, warm=False)
    with TestClient(first_app) as first, TestClient(second_app) as second:
        page = first.get("/api/trials", params=params).json()
        assert page["next_cursor"]
        seen = [hit["trial"]["key"] for hit in page["hits"]]
        cursor = page["next_cursor"]
        while cursor:
            answer = second.get("/api/trials", params={**params, "cursor": cursor})
            assert answer.status_code == 200, answer.text
            seen += [hit["trial"]["key"] for hit in answer.json()["hits"]]
            cursor = answer.json()["next_cursor"]
        assert sorted(seen) == sorted([NCT1, NCT2, NCT3])
    with PostgresStore(pg_url) as pg:
        secret = pg.shared_secret("cursor")
        assert len(secret) >= 32 and pg.shared_secret("cursor") == secret
    with TestClient(create_app("memory://", warm=False)) as other:
        refused = other.get("/api/trials", params={**params, "cursor": page["next_cursor"]})
        assert refused.status_code == 400 and "cursor" in refused.json()["detail"]
