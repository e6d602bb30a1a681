"""One process rebuilding the search index while a server searches the same store: no error, no
corrupt index, exact counts throughout; a server never takes its cached arrays as current after
another process rebuilt; and one slow search holds up no other."""

from __future__ import annotations

import contextlib
import os
import random
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest
import tantivy

from trialatlas.errors import QueryCostError
from trialatlas.model import Trial
from trialatlas.search.index import ENGINE_SUFFIX
from trialatlas.services.atlas import Atlas
from trialatlas.services.ingest import ingest
from trialatlas.store import open_store

SOURCE = ("ctgov_api_v2_samples", "ctgov_api_v2_studies.jsonl.gz")


def _source(shared_data: Path) -> Path:
    return shared_data.joinpath(*SOURCE)


def _ingested(shared_data: Path, path: Path) -> Path:
    store = open_store(str(path))
    try:
        ingest([_source(shared_data)], store)
    finally:
        store.close()
    return path


def _store_counts(db: Path) -> dict[str, object]:
    """What the store itself holds: the truth every search answer is checked against."""
    store = open_store(str(db))
    try:
        statuses: Counter[str] = Counter()
        enrollments: dict[str, int | None] = {}
        for trial in store.iter_trials():
            status, enrollment = trial.status.overall_status, trial.design.enrollment
            statuses[status.value if status else ""] += 1
            enrollments[trial.key] = enrollment.count if enrollment else None
        return {"total": store.count(), "statuses": statuses, "enrollments": enrollments}
    finally:
        store.close()


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trialatlas", *args],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "COLUMNS": "200"},
        check=False,
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def serve() -> Iterator[object]:
    """Starts ``trialatlas serve`` on a database in its own process; stops it after the test."""
    started: list[subprocess.Popen[bytes]] = []

    def start(db: Path) -> str:
        port = _free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "trialatlas", "serve", "--db", str(db), "--port", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        started.append(process)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
            try:
                if httpx.get(url + "/api/health", timeout=5).status_code == 200:
                    return url
            except httpx.HTTPError:
                time.sleep(0.2)
        raise AssertionError("the server did not start")

    yield start
    for process in started:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def _index_is_sound(db: Path) -> None:
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        left = conn.execute("SELECT name FROM sqlite_master WHERE name LIKE 'search_next_%'").fetchall()
        assert not left, left
        store_total = conn.execute("SELECT count(*) FROM search_docs").fetchone()[0]
        numbers = {row[0] for row in conn.execute("SELECT doc FROM search_docs")}
        (build,) = conn.execute("SELECT value FROM search_meta WHERE name = 'build'").fetchone()
    finally:
        conn.close()
    # The live words hold each trial of the tables once, under its doc number; at most the build
    # before the live one is left beside it (a process may still be opening it).
    words = tantivy.Index.open(str(Path(str(db) + ENGINE_SUFFIX) / build))
    searcher = words.searcher()
    assert searcher.num_docs == store_total
    hits = searcher.search(tantivy.Query.all_query(), store_total + 1, order_by_field="doc").hits
    assert {value for value, _ in hits} == numbers
    assert len(list(Path(str(db) + ENGINE_SUFFIX).iterdir())) <= 2
    store = open_store(str(db))
    try:
        assert store_total == store.count()
    finally:
        store.close()


def test_rebuilding_in_another_process_while_a_server_searches(
    shared_data: Path, tmp_path: Path, serve: object
) -> None:
    db = _ingested(shared_data, tmp_path / "atlas.db")
    truth = _store_counts(db)
    statuses: Counter[str] = truth["statuses"]  # type: ignore[assignment]
    assert statuses["RECRUITING"] > 0 and statuses["COMPLETED"] > 0
    url = serve(db)  # type: ignore[operator]

    answers: list[tuple[str, int, int]] = []
    problems: list[str] = []
    stop = threading.Event()

    def searching() -> None:
        with httpx.Client(base_url=url, timeout=60) as client:
            while not stop.is_set():
                for name, params in (
                    ("RECRUITING", {"status": "RECRUITING", "limit": 5, "facets": "none"}),
                    ("COMPLETED", {"status": "COMPLETED", "limit": 5, "facets": "status"}),
                    ("all", {"limit": 5}),
                    ("cancer", {"q": "cancer", "limit": 5}),
                ):
                    response = client.get("/api/trials", params=params)
                    if response.status_code != 200:
                        problems.append(f"{name}: {response.status_code} {response.text[:200]}")
                        continue
                    answers.append((name, response.json()["total"], len(response.json()["hits"])))

    thread = threading.Thread(target=searching)
    thread.start()
    try:
        for _ in range(3):
            done = _cli("search", "--db", str(db), "--rebuild", "--limit", "1", "cancer")
            assert done.returncode == 0, done.stderr[-2000:]
            assert "indexed" in done.stderr
    finally:
        stop.set()
        thread.join(timeout=120)
    assert not problems, problems[:5]
    during = Counter(name for name, _, _ in answers)
    assert min(during.values()) >= 5, during  # the searches really ran beside the rebuilds
    expected = {
        "RECRUITING": statuses["RECRUITING"],
        "COMPLETED": statuses["COMPLETED"],
        "all": truth["total"],
    }
    wrong = [(name, total) for name, total, _ in answers if name in expected and total != expected[name]]
    assert not wrong, (expected, wrong[:10])
    cancer = {total for name, total, _ in answers if name == "cancer"}
    assert len(cancer) == 1, cancer  # the same answer before, during and after every rebuild
    _index_is_sound(db)
    # And a fresh process reads the same counts from the rebuilt index.
    done = _cli("search", "--db", str(db), "--status", "RECRUITING", "--json", "--limit", "1")
    assert done.returncode == 0, done.stderr[-2000:]
    assert orjson.loads(done.stdout)["total"] == statuses["RECRUITING"]


def test_a_server_never_takes_its_arrays_as_current_after_another_process_rebuilt(
    shared_data: Path, tmp_path: Path, serve: object
) -> None:
    db = _ingested(shared_data, tmp_path / "atlas.db")
    store = open_store(str(db))
    try:
        held_back = [trial.key for trial in store.iter_trials()][::8][:100]
        store.delete(held_back)
    finally:
        store.close()
    url = serve(db)  # type: ignore[operator]
    with httpx.Client(base_url=url, timeout=60) as client:
        # The server builds its index and reads its filter and sort arrays.
        client.get("/api/trials", params={"status": "COMPLETED", "limit": 5})
        before_total = client.get("/api/trials", params={"limit": 1}).json()["total"]
        client.get("/api/trials", params={"sort": "enrollment", "limit": 5})
        assert client.get("/api/trials", params={"q": f"id:{held_back[0]}"}).json()["total"] == 0
        # Another process brings the held-back trials back and rebuilds the index from scratch.
        for args in (
            ("ingest", "--db", str(db), str(_source(shared_data))),
            ("search", "--db", str(db), "--rebuild", "--limit", "1", "cancer"),
        ):
            done = _cli(*args)
            assert done.returncode == 0, done.stderr[-2000:]
        truth = _store_counts(db)
        statuses: Counter[str] = truth["statuses"]  # type: ignore[assignment]
        enrollments: dict[str, int | None] = truth["enrollments"]  # type: ignore[assignment]
        assert truth["total"] == before_total + len(held_back)

        completed = client.get("/api/trials", params={"status": "COMPLETED", "limit": 100}).json()
        assert completed["total"] == statuses["COMPLETED"]
        assert {hit["trial"]["status"] for hit in completed["hits"]} == {"COMPLETED"}
        assert client.get("/api/trials", params={"limit": 1}).json()["total"] == truth["total"]

        by_size = client.get("/api/trials", params={"sort": "enrollment", "limit": 100}).json()["hits"]
        sizes = [hit["trial"]["enrollment"] for hit in by_size]
        assert [enrollments[hit["trial"]["key"]] for hit in by_size] == sizes
        present = [size for size in sizes if size is not None]
        assert present == sorted(present, reverse=True) and len(present) > 10

        for key in held_back[:10]:
            found = client.get("/api/trials", params={"q": f"id:{key}"}).json()
            assert [hit["trial"]["key"] for hit in found["hits"]] == [key]


# Phrases every trial holds many times over: each reads every position list of every trial (a top-k
# engine prunes plain words, not phrases).
SLOW_QUERY = " OR ".join(
    f'"{first} {second}"'
    for first, second in [
        *(("a", "the"), ("the", "of"), ("of", "a"), ("a", "a"), ("the", "the"), ("of", "of")),
        *(("study", "a"), ("a", "study"), ("drug", "the"), ("the", "drug"), ("dose", "of")),
        *(("of", "dose"), ("trial", "a")),
    ]
)
_WORDS = [
    *("study", "drug", "patients", "treatment", "dose", "safety", "efficacy", "phase"),
    *("trial", "heart", "blood", "kidney", "liver", "a", "the", "of"),
]


def _wordy_store(path: Path, count: int = 4000, words: int = 1200) -> None:
    rng = random.Random(16)
    store = open_store(str(path))
    try:
        batch: list[Trial] = []
        for number in range(count):
            summary, description = (" ".join(rng.choice(_WORDS) for _ in range(words)) for _ in range(2))
            nct = f"NCT{10_000_000 + number:08d}"
            batch.append(
                Trial(
                    nct_id=nct,
                    brief_title=f"Trial {number}",
                    brief_summary=summary,
                    detailed_description=description,
                )
            )
            if len(batch) == 500:
                store.upsert_batch(batch)
                batch.clear()
        store.upsert_batch(batch)
    finally:
        store.close()


def test_a_slow_search_holds_up_no_other(tmp_path: Path) -> None:
    _wordy_store(tmp_path / "wordy.db")
    with Atlas(open_store(str(tmp_path / "wordy.db"))) as atlas:
        atlas.search({"q": "kidney", "limit": 5})  # the index is built and its arrays read

        def quick(number: int) -> float:
            # Each a new question (no cached answer): a word and a filter the slow one does not ask.
            started = time.perf_counter()
            results = atlas.search({"q": f"trial {number}", "limit": 5, "sort": "enrollment"})
            assert results.total >= 1
            return time.perf_counter() - started

        alone = sorted(quick(number) for number in range(5))[2]
        slow: dict[str, float] = {}

        def run_slow() -> None:
            started = time.perf_counter()
            with contextlib.suppress(QueryCostError):  # stopped at its time budget: slow enough
                atlas.search({"q": SLOW_QUERY, "limit": 5})
            slow["seconds"] = time.perf_counter() - started

        thread = threading.Thread(target=run_slow)
        thread.start()
        time.sleep(0.1)
        beside: list[float] = []
        number = 100
        while thread.is_alive():
            beside.append(quick(number))
            number += 1
        thread.join()
    # It really was slow (on an idle box tantivy answers it in ~0.15-0.3 s: the floor is 10 quick ones).
    assert slow["seconds"] > max(0.1, 10 * alone), (alone, slow)
    # Searches ran while it did, nearly every one about as fast as alone (not waiting for it to
    # finish). One may still meet the slow search at a step they share: a clean run once saw a
    # single search of hundreds wait 1.3 s of the slow one's 2.5 s (left open, in the notes).
    assert len(beside) >= 3, (beside, slow)
    bound = max(5 * alone, slow["seconds"] / 3)
    fast = [seconds for seconds in beside[:-1] if seconds < bound]
    assert len(fast) >= 0.9 * len(beside[:-1]), (alone, beside, slow)
