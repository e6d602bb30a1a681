"""A real server for the API, page and browser tests: uvicorn on a free loopback port, over a store
ingested from the shared data (read in place, never copied) plus one hostile trial.

The store is built once per run (conftest's ``web_db``, shared by pytest-xdist's workers); each test
process starts one server over it (``shared_server``), whichever test file asks first, stopped when the
interpreter exits.
"""

from __future__ import annotations

import atexit
import functools
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn

from trialatlas.api import create_app
from trialatlas.config import shared_data_dir
from trialatlas.model import (
    Arm,
    Eligibility,
    Intervention,
    Link,
    Location,
    Outcome,
    Reference,
    Sponsor,
    Trial,
)
from trialatlas.model.results import Results
from trialatlas.services.derived import bring_up_to_date
from trialatlas.services.ingest import ingest
from trialatlas.store import open_store

HOSTILE_NCT = "NCT99999901"
SCRIPT = '<script>window.__xss = 1; alert("xss")</script>'
IMG = '"><img src=x onerror="window.__xss=2">'
MARKDOWN = "**bold** [click me](javascript:window.__xss=3) <a href=javascript:alert(1)>a</a>"


def hostile_trial() -> Trial:
    """Registry text is untrusted: every field a page shows carries markup that must stay text."""
    return Trial(
        nct_id=HOSTILE_NCT,
        brief_title=f"Hostile {SCRIPT} title {IMG} {MARKDOWN}",
        official_title=f"Official {IMG}",
        acronym="<b>ACR</b>",
        brief_summary=f"Summary with lupus {SCRIPT} and {MARKDOWN}",
        detailed_description=f"Description {IMG}",
        conditions=[f"Lupus {IMG}", "<svg onload=window.__xss=4>"],
        keywords=[SCRIPT],
        arms=[
            Arm(
                label=f"Arm {SCRIPT}",
                description="tacrolimus 0.1 mg/kg/day for 12 weeks <img src=x onerror=alert(5)>",
            )
        ],
        interventions=[
            Intervention(name=f"tacrolimus {IMG}", description="0.1 mg/kg/day", arm_labels=[f"Arm {SCRIPT}"])
        ],
        eligibility=Eligibility(
            inclusion=[f"Age 18 years or older {SCRIPT}", f"Serum creatinine < 1.5 mg/dL {IMG}"],
            exclusion=[f"Pregnancy {MARKDOWN}"],
        ),
        outcomes=[Outcome(measure=f"Remission {SCRIPT}", time_frame=IMG)],
        lead_sponsor=Sponsor(name=f"Sponsor {IMG}"),
        locations=[Location(facility=f"Hospital {SCRIPT}", city="<i>City</i>", country=f"Atlantis {IMG}")],
        references=[
            Reference(citation=f"Citation {SCRIPT}", pmid='12345"><script>', doi="javascript:alert(6)")
        ],
        see_also_links=[Link(url="javascript:window.__xss=7", label=f"Link {IMG}")],
        has_results=True,
        results=hostile_results(),
    )


def hostile_results() -> Results:
    """Results whose every shown string carries markup (group titles reach the SVG charts too)."""
    groups = [{"id": "G1", "title": f"Group {SCRIPT}"}, {"id": "G2", "title": f"Placebo {IMG}"}]
    values = [{"groupId": "G1", "value": "12.5", "spread": "2.0"}, {"groupId": "G2", "value": IMG}]
    return Results.model_validate(
        {
            "participantFlow": {
                "groups": groups,
                "periods": [
                    {
                        "title": f"Period {SCRIPT}",
                        "milestones": [
                            {"type": "STARTED", "achievements": [{"groupId": "G1", "numSubjects": "10"}]}
                        ],
                        "dropWithdraws": [
                            {"type": f"Reason {IMG}", "reasons": [{"groupId": "G1", "numSubjects": "1"}]}
                        ],
                    }
                ],
            },
            "baseline": {
                "groups": groups,
                "measures": [
                    {"title": f"Age {SCRIPT}", "classes": [{"categories": [{"measurements": values}]}]}
                ],
            },
            "outcomeMeasures": [
                {
                    "type": "PRIMARY",
                    "title": f"Outcome {SCRIPT}",
                    "paramType": "MEAN",
                    "dispersionType": "STANDARD_DEVIATION",
                    "unitOfMeasure": IMG,
                    "groups": groups,
                    "classes": [{"categories": [{"title": MARKDOWN, "measurements": values}]}],
                    "analyses": [
                        {
                            "groupIds": ["G1", "G2"],
                            "statisticalMethod": SCRIPT,
                            "pValue": IMG,
                            "paramType": IMG,
                        }
                    ],
                }
            ],
            "adverseEvents": {
                "eventGroups": [
                    {"id": "E1", "title": f"Arm {SCRIPT}", "seriousNumAffected": 1, "seriousNumAtRisk": 10}
                ],
                "seriousEvents": [
                    {
                        "term": f"Event {SCRIPT}",
                        "organSystem": IMG,
                        "stats": [{"groupId": "E1", "numAffected": 1, "numAtRisk": 10}],
                    }
                ],
            },
            "limitations": f"Limits {SCRIPT}",
            "pointOfContact": {"title": IMG, "email": "x@example.org"},
        }
    )


@dataclass
class LiveServer:
    url: str
    db: Path
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def build_store(db: Path) -> None:
    data = shared_data_dir()
    inputs = [
        data / "ctgov_api_v2_samples" / "ctgov_api_v2_studies.jsonl.gz",
        data / "ctgov_target_trials",
    ]
    store = open_store(str(db))
    try:
        report = ingest([str(p) for p in inputs], store)
        assert report.new > 800, report.as_dict()
        store.upsert_batch([hostile_trial()])
        # Derived parts current before any server opens the file (servers then only read it).
        bring_up_to_date(store)
    finally:
        store.close()


@contextmanager
def running(db: Path, *, ingest_token: str | None = None, match_workers: int = 0) -> Iterator[LiveServer]:
    server = start(db, ingest_token=ingest_token, match_workers=match_workers)
    try:
        yield server
    finally:
        server.stop()


def start(db: Path, *, ingest_token: str | None = None, match_workers: int = 0) -> LiveServer:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    app = create_app(str(db), ingest_token=ingest_token, match_workers=match_workers)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    return LiveServer(f"http://127.0.0.1:{port}", db, server, thread)


@functools.cache
def shared_server(db: Path) -> LiveServer:
    """One server per test process over ``db`` (conftest's ``web_db``)."""
    server = start(db)
    atexit.register(server.stop)
    return server


@contextmanager
def serve_command(db: str, *options: str) -> Iterator[tuple[subprocess.Popen[str], httpx.Client]]:
    """A ``trialatlas serve`` command in a process of its own on a free port (``options`` added),
    once it answers its health check, and a client to it; stopped after."""
    command = [sys.executable, "-m", "trialatlas", "serve", "--db", db, "--port", "0", *options]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        found = re.search(r"at (http://127\.0\.0\.1:\d+/)", line)
        assert found, line
        with httpx.Client(base_url=found.group(1), timeout=120) as http:
            deadline = time.monotonic() + 120
            while True:
                try:
                    http.get("/api/health").raise_for_status()
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline, "the server did not answer"
                    time.sleep(0.2)
            yield process, http
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise AssertionError("the server did not stop when asked (SIGTERM)") from None
