"""One request must not stall or corrupt the others: signed cursors, security headers on every
response (500s included) with the connection kept open after them, the page route rejecting what
the API rejects, and a cost bound per query (terms, and a time budget in the store)."""

from __future__ import annotations

import base64
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest
import uvicorn
from fastapi import FastAPI

from trialatlas.api import create_app
from trialatlas.errors import QueryCostError, QueryError
from trialatlas.search import search
from trialatlas.services.ingest import ingest
from trialatlas.store import open_store

SECURITY_HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy", "X-Frame-Options")


@pytest.fixture(scope="module")
def db(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("server") / "atlas.db"
    store = open_store(str(path))
    try:
        ingest([shared_data / "ctgov_api_v2_samples" / "ctgov_api_v2_studies.jsonl.gz"], store)
    finally:
        store.close()
    return path


@pytest.fixture(scope="module")
def server(db: Path) -> Iterator[str]:
    app = create_app(str(db), warm=False)
    _add_failing_route(app)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="critical", timeout_keep_alive=30)
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not instance.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        instance.should_exit = True
        thread.join(timeout=10)


def _add_failing_route(app: FastAPI) -> None:
    @app.get("/api/test-failure", include_in_schema=False)
    def failure() -> None:
        raise RuntimeError("a bug in a route")


def test_a_500_carries_the_security_headers_and_keeps_the_connection(server: str) -> None:
    host, port = server.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=60) as conn:
        stream = conn.makefile("rb")
        for path, status in (("/api/test-failure", 500), ("/openapi.json", 200), ("/api/test-failure", 500)):
            conn.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
            head = _read_head(stream)
            assert head[0].split()[1] == str(status).encode(), head[0]
            headers = {k.decode().lower(): v for k, v in (line.split(b": ", 1) for line in head[1:])}
            assert all(name.lower() in headers for name in SECURITY_HEADERS), headers
            assert headers.get("connection") != b"close"
            stream.read(int(headers["content-length"]))
            if status == 500:
                assert b"a bug in a route" not in head[0]


def _read_head(stream: object) -> list[bytes]:
    lines: list[bytes] = []
    while True:
        line = stream.readline()  # type: ignore[attr-defined]
        assert line, "the server closed the connection"
        if line in (b"\r\n", b"\n"):
            return lines
        lines.append(line.rstrip(b"\r\n"))


def test_cursors_are_signed(server: str, db: Path, tmp_path: Path) -> None:
    with httpx.Client(base_url=server, timeout=30) as client:
        first = client.get("/api/trials", params={"q": "cancer", "limit": 2}).json()
        cursor = first["next_cursor"]
        assert cursor and "." in cursor
        assert (
            client.get("/api/trials", params={"q": "cancer", "limit": 2, "cursor": cursor}).status_code == 200
        )
        payload, _, mac = cursor.partition(".")
        # An unsigned cursor of the old kind, a forged position, a changed signature: each a 400
        # with the headers, never a 500.
        forged = base64.urlsafe_b64encode(orjson.dumps({"f": "x", "p": ["a", {"b": 1}]})).decode()
        altered = _b64_edit(payload)
        for bad in (payload, forged, f"{altered}.{mac}", f"{payload}.{mac[::-1]}", "!!!.???", "." * 200):
            response = client.get("/api/trials", params={"q": "cancer", "limit": 2, "cursor": bad})
            assert response.status_code == 400, (bad, response.text)
            assert "cursor" in response.json()["detail"]
            assert all(name in response.headers for name in SECURITY_HEADERS)
    # Another store signs with its own secret: a cursor of this one is refused there.
    other = open_store(str(tmp_path / "other.db"))
    try:
        with pytest.raises(QueryError, match="cursor"):
            search(other, "cancer", cursor=cursor, limit=2)
    finally:
        other.close()


def _b64_edit(payload: str) -> str:
    raw = bytearray(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    raw[-3] = ord("9") if raw[-3] != ord("9") else ord("8")
    return base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")


@pytest.mark.parametrize("q", ["a " * 250, "cancer " * 80, "x" * 600])
def test_the_page_rejects_what_the_api_rejects(server: str, q: str) -> None:
    with httpx.Client(base_url=server, timeout=60) as client:
        api = client.get("/api/trials", params={"q": q})
        page = client.get("/", params={"q": q})
    assert api.status_code == 422, api.text[:300]
    assert page.status_code == 400, page.text[:300]
    assert all(name in page.headers for name in SECURITY_HEADERS)


def test_a_query_past_its_time_budget_is_stopped(db: Path) -> None:
    store = open_store(str(db))
    try:
        query = " OR ".join(["cancer", "trial", "study", "patients", "treatment", "disease"])
        search(store, query, limit=5)  # the index is built; the bound is on the query alone
        started = time.perf_counter()
        with pytest.raises(QueryCostError, match="budget"):
            search(store, query, limit=5, budget_s=1e-6, sort="enrollment")
        assert time.perf_counter() - started < 5
        assert search(store, query, limit=5, budget_s=30).total > 0
    finally:
        store.close()
