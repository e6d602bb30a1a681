"""Serving from several stateless processes: two ``trialatlas serve`` commands (one of them with two
worker processes) over one PostgreSQL database, where a write through one shows in the searches of
the other, and how the match processes are shared out among the server processes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psutil
import pytest

from trialatlas.cli.serve import match_workers_per_server
from trialatlas.services.ingest import ingest
from trialatlas.store import SqliteStore
from trialatlas.store.postgres import PostgresStore
from web_support import serve_command

TOKEN = "s3cret-token"
NEW = "NCT03580291"


@contextmanager
def serving(db: str, *options: str) -> Iterator[httpx.Client]:
    """A ``trialatlas serve`` process of its own on a free port, and a client to it."""
    with serve_command(db, *options) as (_, http):
        yield http


def _found(http: httpx.Client, query: str) -> tuple[int, list[str]]:
    answer = http.get("/api/trials", params={"q": query, "limit": 50, "facets": "none"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    return int(body["total"]), [hit["trial"]["key"] for hit in body["hits"]]


def test_a_write_through_one_server_is_searched_by_another(pg_url: str, target_trials: Path) -> None:
    already = sorted(path for path in target_trials.glob("*.xml") if path.stem != NEW)
    with PostgresStore(pg_url) as store:
        assert ingest([str(path) for path in already], store).new == len(already)
    new_file = target_trials / f"{NEW}.xml"
    with (
        serving(pg_url, "--workers", "1", "--match-workers", "0", "--ingest-token", TOKEN) as writer,
        serving(pg_url, "--workers", "2", "--match-workers", "0") as reader,
    ):
        before, keys = _found(reader, "mesenchymal")
        assert NEW not in keys
        assert reader.get(f"/api/trials/{NEW}").status_code == 404
        done = writer.post(
            "/api/ingest",
            files={"files": (new_file.name, new_file.read_bytes(), "application/xml")},
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        assert done.status_code == 200, done.text
        assert done.json()["new"] == 1
        # Each request may reach either worker process of the reader: every one must see the write.
        for _ in range(6):
            total, keys = _found(reader, "mesenchymal")
            assert total == before + 1 and NEW in keys
            assert reader.get(f"/api/trials/{NEW}").json()["nct_id"] == NEW
        # A facet count and a filter are answered by the database too.
        stats = reader.get("/api/facets").json()
        assert stats["total"] == len(already) + 1
        total, keys = _found(writer, "mesenchymal")
        assert total == before + 1 and NEW in keys


@pytest.mark.parametrize(
    ("total", "servers", "each"), [(2, 1, 2), (2, 2, 1), (8, 2, 4), (1, 4, 1), (0, 3, 0), (5, 2, 2)]
)
def test_match_processes_are_the_cores_shared_out(total: int, servers: int, each: int) -> None:
    assert match_workers_per_server(total, servers) == each
    assert total == 0 or servers * each <= max(total, servers)


def test_match_workers_end_with_a_killed_server(tmp_path: Path, target_trials: Path) -> None:
    db = tmp_path / "atlas.db"
    with SqliteStore(db) as store:
        ingest([str(target_trials)], store)
    with serve_command(str(db), "--workers", "1", "--match-workers", "2") as (process, http):
        answer = http.post("/api/match", json={"note": "A 45-year-old woman with lupus nephritis.", "top": 2})
        assert answer.status_code == 200, answer.text
        workers = psutil.Process(process.pid).children(recursive=True)
        assert workers
        process.kill()  # no shutdown: the workers must notice on their own
        process.wait(timeout=30)
        _gone, alive = psutil.wait_procs(workers, timeout=20)
        assert not alive, [worker.pid for worker in alive]
