"""Sync against a real HTTP server on 127.0.0.1 that plays ClinicalTrials.gov API v2: the shared v2
studies served in ``pageToken`` pages, with 429s, 5xx, a broken page and a dropped connection
scripted per page; interrupted runs resumed; incremental runs keeping history; the bulk bootstrap.

Only the network edge is stood in for: the client, the sync service and the store are the real ones.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import gzip
import random
import re
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson
import pytest

from trialatlas.store import SqliteStore, TrialStore, diff_trials
from trialatlas.sync import CtgovApi, RetryPolicy, SyncError, bootstrap, sync
from trialatlas.sync.client import HttpResponse, TransportError, UrllibClient
from trialatlas.sync.state import SyncState

PAGE = 100
_RANGE = re.compile(r"AREA\[LastUpdatePostDate\]RANGE\[([0-9-]+),MAX\]")


@dataclass
class RecordedApi:
    """The API's state: its studies, faults to play per page (one per request, in order), a request log."""

    studies: list[dict[str, Any]]
    faults: dict[int, list[str]] = field(default_factory=dict)
    log: list[dict[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def matching(self, params: dict[str, str]) -> list[dict[str, Any]]:
        found = self.studies
        if term := params.get("query.term"):
            needle = term.lower()
            found = [s for s in found if needle in orjson.dumps(s["protocolSection"]).decode().lower()]
        if advanced := params.get("filter.advanced"):
            match = _RANGE.fullmatch(advanced)
            assert match, advanced
            found = [s for s in found if _last_update(s) >= match.group(1)]
        return found

    def publish(self, study: dict[str, Any]) -> None:
        nct = _nct(study)
        with self.lock:
            self.studies = [study if _nct(s) == nct else s for s in self.studies]


def _nct(study: dict[str, Any]) -> str:
    return str(study["protocolSection"]["identificationModule"]["nctId"])


def _last_update(study: dict[str, Any]) -> str:
    status = study["protocolSection"].get("statusModule") or {}
    return str((status.get("lastUpdatePostDateStruct") or {}).get("date", ""))


def _token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset={offset}".encode()).decode()


def _offset(token: str) -> int | None:
    try:
        text = base64.urlsafe_b64decode(token.encode()).decode()
    except ValueError:
        return None
    return int(text.removeprefix("offset=")) if text.startswith("offset=") else None


class _Handler(BaseHTTPRequestHandler):
    api: RecordedApi

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        params = {name: values[-1] for name, values in parse_qs(parts.query).items()}
        if parts.path != "/api/v2/studies":
            self._send(404, b'{"error": "not found"}')
            return
        offset = 0
        if "pageToken" in params:
            found = _offset(params["pageToken"])
            if found is None:
                with self.api.lock:
                    self.api.log.append({**params, "page": "?", "fault": "400"})
                self._send(400, b"Invalid pageToken")
                return
            offset = found
        size = int(params.get("pageSize", "10"))
        page = offset // size
        with self.api.lock:
            faults = self.api.faults.get(page, [])
            fault = faults.pop(0) if faults else "ok"
            self.api.log.append({**params, "page": str(page), "fault": fault})
            studies = self.api.matching(params)
        if fault == "drop":
            self.close_connection = True  # no answer at all: the client sees the connection go
            return
        if fault in {"429", "500", "503"}:
            self._send(int(fault), b"busy", {"Retry-After": "0"} if fault == "429" else None)
            return
        chunk = studies[offset : offset + size]
        body: dict[str, Any] = {"studies": chunk}
        if offset + size < len(studies):
            body["nextPageToken"] = _token(offset + size)
        if "countTotal" in params:
            body["totalCount"] = len(studies)
        data = orjson.dumps(body)
        if fault == "broken":
            data = data[: len(data) // 2]  # a page cut short, sent as if whole
        self._send(200, data)


@pytest.fixture(scope="session")
def shared_studies(v2_jsonl: Path) -> list[dict[str, Any]]:
    with gzip.open(v2_jsonl) as stream:
        studies = [orjson.loads(line) for line in stream if line.strip()]
    return sorted(studies, key=_nct)


@pytest.fixture
def server(shared_studies: list[dict[str, Any]]) -> Iterator[tuple[RecordedApi, str]]:
    api = RecordedApi(copy.deepcopy(shared_studies))
    handler = type("Handler", (_Handler,), {"api": api})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield api, f"http://127.0.0.1:{httpd.server_address[1]}/api/v2"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


@dataclass
class Sleeps:
    """Stands in for time.sleep: records what the client asked to wait, without waiting."""

    asked: list[float] = field(default_factory=list)

    def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)


def client(base: str, sleeps: Sleeps | None = None, attempts: int = 4) -> CtgovApi:
    policy = RetryPolicy(attempts=attempts, base=0.5, cap=8.0, min_interval=0.0)
    return CtgovApi(
        UrllibClient(), base, retry=policy, timeout=10, sleep=sleeps or Sleeps(), rng=random.Random(7)
    )


@pytest.fixture
def atlas(tmp_path: Path) -> Iterator[SqliteStore]:
    store = SqliteStore(tmp_path / "atlas.db")
    yield store
    store.close()


def test_full_sync_rides_out_429s_5xx_a_broken_page_and_a_dropped_connection(
    server: tuple[RecordedApi, str], atlas: SqliteStore, shared_studies: list[dict[str, Any]]
) -> None:
    recorded, base = server
    recorded.faults = {0: ["429", "429"], 2: ["broken"], 4: ["drop"], 6: ["503", "500"]}
    sleeps = Sleeps()
    report = sync(atlas, client(base, sleeps), page_size=PAGE)
    assert report.complete and not report.resumed
    assert report.pages == 9 and report.studies == len(shared_studies) == 809
    assert report.total_count == 809
    assert (report.new, report.updated, report.failed) == (809, 0, 0)
    assert report.retries == 6 and report.requests == 9 + 6
    assert atlas.count() == 809 and atlas.keys() == sorted(_nct(s) for s in shared_studies)
    assert atlas.integrity_check(deep=False) == []
    assert [entry["fault"] for entry in recorded.log if entry["page"] == "4"] == ["drop", "ok"]
    # Every retry waited, within the back-off bounds (full jitter under base * 2**attempt).
    assert len(sleeps.asked) == 6 and all(0 <= s <= 8.0 for s in sleeps.asked)
    trial = atlas.get("NCT04048161") or atlas.get(_nct(shared_studies[0]))
    assert trial is not None and trial.sources[0].location.startswith(f"{base}/studies/NCT")
    # A second full run finds nothing new.
    again = sync(atlas, client(base), page_size=PAGE, full=True)
    assert (again.new, again.updated, again.unchanged) == (0, 0, 809)


def test_an_interrupted_sync_resumes_where_it_stopped(
    server: tuple[RecordedApi, str], atlas: SqliteStore
) -> None:
    recorded, base = server
    recorded.faults = {3: ["503"] * 4}  # more failures than attempts: the run stops at page 3
    with pytest.raises(SyncError, match="gave up after 4 attempts; last: HTTP 503"):
        sync(atlas, client(base), page_size=PAGE)
    assert atlas.count() == 3 * PAGE  # pages 0-2 landed; nothing of page 3
    assert atlas.integrity_check() == []
    state = SyncState(Path(atlas.location + ".sync.json"))
    run = state.entry(None)["run"]
    assert run["pages"] == 3 and run["page_token"] == _token(3 * PAGE)
    recorded.log.clear()
    # Stopped again on purpose after two pages, then finished: each call starts where the last ended.
    first = sync(atlas, client(base), page_size=PAGE, max_pages=2)
    assert first.resumed and not first.complete and first.pages == 2
    assert [entry["page"] for entry in recorded.log] == ["3", "4"]
    assert recorded.log[0]["pageToken"] == _token(3 * PAGE)
    rest = sync(atlas, client(base), page_size=PAGE)
    assert rest.resumed and rest.complete and rest.pages == 4
    assert [entry["page"] for entry in recorded.log] == [str(page) for page in range(3, 9)]
    assert atlas.count() == 809
    assert "run" not in SyncState(Path(atlas.location + ".sync.json")).entry(None)


def test_an_expired_page_token_starts_the_run_over(
    server: tuple[RecordedApi, str], atlas: SqliteStore
) -> None:
    recorded, base = server
    state = SyncState(Path(atlas.location + ".sync.json"))
    state.entry("tacrolimus")["run"] = {
        "since": None,
        "started_at": "2026-01-01T00:00:00+00:00",
        "page_token": "expired!",
        "pages": 5,
        "studies": 500,
    }
    state.save()
    report = sync(atlas, client(base), query="tacrolimus", page_size=PAGE)
    assert report.resumed and report.complete
    assert [entry.get("pageToken") for entry in recorded.log] == ["expired!", None]
    assert report.studies == len(recorded.matching({"query.term": "tacrolimus"})) == atlas.count() > 0


def _new_version(study: dict[str, Any], posted: str) -> dict[str, Any]:
    changed = copy.deepcopy(study)
    protocol = changed["protocolSection"]
    status = protocol.setdefault("statusModule", {})
    status["overallStatus"] = "COMPLETED" if status.get("overallStatus") != "COMPLETED" else "TERMINATED"
    status["lastUpdatePostDateStruct"] = {"date": posted, "type": "ACTUAL"}
    design = protocol.setdefault("designModule", {})
    count = (design.get("enrollmentInfo") or {}).get("count") or 0
    design["enrollmentInfo"] = {"count": count + 25, "type": "ACTUAL"}
    places = protocol.setdefault("contactsLocationsModule", {}).setdefault("locations", [])
    places.append(
        {"facility": "West China Hospital", "city": "Chengdu", "state": "Shichuan", "country": "China"}
    )
    eligibility = protocol.setdefault("eligibilityModule", {})
    eligibility["eligibilityCriteria"] = (eligibility.get("eligibilityCriteria") or "") + "\n* Signed consent"
    return changed


def test_incremental_sync_fetches_only_what_changed_and_keeps_every_version(
    server: tuple[RecordedApi, str], atlas: SqliteStore, tmp_path: Path
) -> None:
    recorded, base = server
    assert sync(atlas, client(base), page_size=PAGE).complete
    today = dt.datetime.now(dt.UTC).date().isoformat()
    chosen = [recorded.studies[index] for index in (5, 250, 700)]
    for study in chosen:
        recorded.publish(_new_version(study, today))
    recorded.log.clear()
    report = sync(atlas, client(base), page_size=PAGE)
    since = (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).date().isoformat()
    assert report.since is not None and report.since <= since
    assert recorded.log[0]["filter.advanced"] == f"AREA[LastUpdatePostDate]RANGE[{report.since},MAX]"
    assert (report.studies, report.updated, report.new) == (3, 3, 0)
    for study in chosen:
        nct = _nct(study)
        history = atlas.versions(nct)
        assert len(history) == 2
        changes = diff_trials(history[0].trial, history[1].trial)
        fields = {(change.aspect.value, change.field) for change in changes}
        assert ("status", "overall status") in fields and ("enrollment", "enrollment") in fields
        assert ("sites", "West China Hospital (Chengdu, Shichuan, China)") in fields
        assert ("criteria", "criterion") in fields
        # The newer record replaced the older one's raw text: one source, the API's.
        assert [source_id for source_id, _ in atlas.raw_records(nct)] == [
            f"ctgov-v2:{base}/studies/{nct}#{nct}"
        ]
    # The command line shows the same history and diff.
    nct = _nct(chosen[0])
    shown = _cli("history", nct, "--db", atlas.location)
    assert "2 versions" in shown and today in shown
    diffed = _cli("diff", nct, "--db", atlas.location)
    assert "West China Hospital" in diffed and "Signed consent" in diffed and "overall status" in diffed
    as_json = orjson.loads(_cli("diff", nct, "--db", atlas.location, "--from", "2000-01-01", "--json"))
    assert as_json["from"] is None or as_json["from"]["number"] == 1
    assert any(change["field"] == "enrollment" for change in as_json["changes"])


def _cli(*args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "trialatlas", *args],
        capture_output=True,
        text=True,
        env={"COLUMNS": "120", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_sync_command_runs_against_the_server(server: tuple[RecordedApi, str], tmp_path: Path) -> None:
    recorded, base = server
    recorded.faults = {0: ["429"]}
    db = tmp_path / "cli.db"
    out = _cli(
        "sync", "--db", str(db), "--base-url", base, "--query", "nephrotic", "--page-size", "5", "--json"
    )
    summary = orjson.loads(out)
    expected = len(recorded.matching({"query.term": "nephrotic"}))
    assert summary["complete"] and summary["new"] == expected > 0 and summary["retries"] == 1


def test_bulk_bootstrap_then_sync_replaces_rather_than_adds(
    server: tuple[RecordedApi, str], shared_studies: list[dict[str, Any]], tmp_path: Path
) -> None:
    recorded, base = server
    bulk = tmp_path / "ctg-studies.json.zip"
    with zipfile.ZipFile(bulk, "w", zipfile.ZIP_DEFLATED) as archive:
        for study in shared_studies[:300]:
            archive.writestr(f"ctg-studies/{_nct(study)}.json", orjson.dumps(study))
        archive.writestr("ctg-studies/broken.json", b"{not json")
    with SqliteStore(tmp_path / "bulk.db") as store:
        report = bootstrap(store, bulk, api_base=base)
        assert (report.new, report.failed) == (300, 1)
        newest = max(_last_update(s) for s in shared_studies[:300])
        state = SyncState(Path(store.location + ".sync.json")).entry(None)
        assert state["last_complete_start"].startswith(newest)
        # An incremental run after the bootstrap asks from the bulk file's newest date on (a day's overlap).
        recorded.log.clear()
        incremental = sync(store, client(base), page_size=PAGE)
        day_before = (dt.date.fromisoformat(newest) - dt.timedelta(days=1)).isoformat()
        wanted = f"AREA[LastUpdatePostDate]RANGE[{day_before},MAX]"
        assert recorded.log[0]["filter.advanced"] == wanted
        assert incremental.studies == len(recorded.matching({"filter.advanced": wanted})) > 0
        # The same studies from the API are the same records: nothing changes, nothing doubles.
        before = store.count()
        again = sync(store, client(base), page_size=PAGE, full=True)
        assert (again.new, again.updated, again.unchanged) == (809 - before, 0, before)
        assert all(len(store.raw_records(_nct(s))) == 1 for s in shared_studies[:300])


def test_http_client_answers_every_status_and_raises_without_an_answer(
    server: tuple[RecordedApi, str],
) -> None:
    _, base = server
    http = UrllibClient()
    missing = http.get(f"{base}/nothing-here", {}, 5)
    assert isinstance(missing, HttpResponse) and missing.status == 404 and b"not found" in missing.body
    with pytest.raises(TransportError):
        http.get("http://127.0.0.1:9/api/v2/studies", {}, 2)  # the discard port: nothing listens
    api = client(base, attempts=2)
    with pytest.raises(SyncError, match="HTTP 400"):
        api.studies_page(page_token="garbage")


def test_backoff_grows_with_full_jitter_and_honours_retry_after() -> None:
    policy = RetryPolicy(base=1.0, cap=30.0)
    rng = random.Random(1)
    for attempt in range(8):
        delays = [policy.delay(attempt, rng, None) for _ in range(200)]
        bound = min(30.0, 2.0**attempt)
        assert all(0 <= d <= bound for d in delays)
        assert max(delays) > bound * 0.8  # jitter spreads over the whole range
    assert 5.0 <= policy.delay(0, rng, 5.0) <= 5.25
    assert policy.delay(0, rng, 999.0) == 30.0


def test_sync_into_any_backend(
    server: tuple[RecordedApi, str], any_store: TrialStore, tmp_path: Path
) -> None:
    _, base = server
    report = sync(any_store, client(base), query="lupus", page_size=PAGE, state_path=tmp_path / "state.json")
    assert report.complete and report.new == any_store.count() > 0
    assert any_store.integrity_check() == []
