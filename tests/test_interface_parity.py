"""One question, one answer: the CLI's ``--json`` and the REST API give the same document (search,
trial, match, near, related, regimen and dose).

Both run over the same real SQLite file ingested from the shared records; the CLI as users run it
(a real process), the API as the real FastAPI app. Only ``took_ms`` (a clock reading) may differ.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import typer
from fastapi.testclient import TestClient

from trialatlas.api import create_app
from trialatlas.cli import app as cli_app
from trialatlas.services.models import FILTER_FIELDS, SearchRequest

TARGET = "NCT04048161"
NOTE = (
    "A 9-year-old boy with steroid-dependent nephrotic syndrome, relapsing twice a year on prednisone. "
    "eGFR 100 mL/min/1.73m2. No hepatitis B or C."
)


def cli(*args: str) -> Any:
    env = {**os.environ, "COLUMNS": "100"}
    env.pop("TRIALATLAS_DB", None)
    result = subprocess.run(
        [sys.executable, "-m", "trialatlas", *args], capture_output=True, text=True, env=env, check=False
    )
    assert result.returncode == 0, result.stderr
    return orjson.loads(result.stdout)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory, v2_jsonl: Path, target_trials: Path) -> Path:
    path = tmp_path_factory.mktemp("parity") / "atlas.db"
    summary = cli("ingest", "--db", str(path), "--json", "--workers", "1", str(v2_jsonl), str(target_trials))
    assert summary["new"] > 800 and summary["failed"] == 0
    return path


@pytest.fixture(scope="module")
def api(db: Path) -> Iterator[TestClient]:
    with TestClient(create_app(str(db), warm=False)) as client:
        yield client


def _without_clock(document: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in document.items() if name != "took_ms"}


def test_search_is_one_document(db: Path, api: TestClient) -> None:
    params = {"q": "lupus nephritis", "phase": ["2", "3"], "age_group": "ADULT", "facet": "start_year:2019"}
    answer = api.get("/api/trials", params=params)
    assert answer.status_code == 200, answer.text
    shown = cli(
        "search", "lupus nephritis", "--db", str(db), "--phase", "2", "--phase", "3",
        "--age-group", "ADULT", "--facet", "start_year:2019", "--json",
    )  # fmt: skip
    assert _without_clock(shown) == _without_clock(answer.json())
    assert shown["filters"]["age_group"] == ["ADULT"]  # the CLI reads every filter the API reads
    browse = api.get("/api/trials", params={"status": "recruiting", "limit": 5}).json()
    assert browse["hits"]
    plain = cli("search", "--db", str(db), "--status", "recruiting", "--limit", "5", "--json")
    assert _without_clock(plain) == _without_clock(browse)


def test_trial_is_one_document(db: Path, api: TestClient) -> None:
    answer = api.get(f"/api/trials/{TARGET}")
    assert answer.status_code == 200
    shown = cli("show", TARGET, "--db", str(db), "--json")
    assert shown == answer.json()
    assert shown["nct_id"] == TARGET and shown["acronym"] == "STAMP"


def test_match_is_one_document(db: Path, api: TestClient) -> None:
    answer = api.post("/api/match", json={"note": NOTE, "top": 5})
    assert answer.status_code == 200, answer.text
    shown = cli("match", NOTE, "--db", str(db), "--top", "5", "--json")
    assert shown == answer.json()
    assert shown["trials"] and {"nct_id", "verdict", "criteria", "reasons"} <= set(shown["trials"][0])
    assert TARGET in [trial["nct_id"] for trial in shown["trials"]]


def test_near_is_one_document(db: Path, api: TestClient) -> None:
    answer = api.get("/api/near", params={"location": "Beijing, China", "radius_km": 50, "limit": 10})
    assert answer.status_code == 200, answer.text
    shown = cli("near", "Beijing, China", "--db", str(db), "--radius", "50", "--limit", "10", "--json")
    assert shown == answer.json()
    assert shown["trials"] and all(trial["distance_km"] <= 50 for trial in shown["trials"])


def test_related_is_one_document(db: Path, api: TestClient) -> None:
    answer = api.get(f"/api/trials/{TARGET}/related", params={"top": 4})
    assert answer.status_code == 200, answer.text
    shown = cli("related", TARGET, "--db", str(db), "--top", "4", "--json")
    assert shown == answer.json()
    assert shown["target"] == TARGET and len(shown["computed"]) == 4
    assert {"rank", "nct_id", "score", "reasons"} <= set(shown["computed"][0])


def test_regimen_and_dose_are_one_document(db: Path, api: TestClient) -> None:
    timeline = api.get(f"/api/trials/{TARGET}/regimen").json()
    assert cli("regimen", TARGET, "--db", str(db), "--json") == timeline
    assert timeline["arms"]
    doses = api.get(f"/api/trials/{TARGET}/dose", params={"weight": 20, "height": 115}).json()
    assert cli("dose", TARGET, "--db", str(db), "--weight", "20", "--height", "115", "--json") == doses
    assert doses["rows"]


def test_the_cli_search_has_every_filter_of_the_one_definition() -> None:
    """A filter added to search.filters.FilterFields must get a CLI option too, or this fails."""
    command = typer.main.get_command(cli_app).commands["search"]  # type: ignore[attr-defined]
    options = {param.name for param in command.params}
    assert FILTER_FIELDS | {"facet", "sort", "cursor", "limit", "expand"} <= options
    assert options - {"query", "db", "ascending", "facets", "as_json", "fmt", "out", "rebuild"} <= set(
        SearchRequest.model_fields
    )
