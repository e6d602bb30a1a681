"""Downloads of a search's results: CSV in the site's columns, JSON lines and a zip of
ClinicalTrials.gov-style studies, streamed from the API (the page links to it) for any result size."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import orjson
import pytest
from fastapi.testclient import TestClient

from trialatlas.api import create_app
from trialatlas.export.tables import CSV_COLUMNS
from trialatlas.model import OverallStatus, StatusInfo, Trial
from trialatlas.store import SqliteStore

TRIALS = 5200


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    db: Path = tmp_path_factory.mktemp("download") / "atlas.db"
    store = SqliteStore(db)
    statuses = [OverallStatus.RECRUITING, OverallStatus.COMPLETED]
    store.upsert_batch(
        [
            Trial(
                nct_id=f"NCT{number:08d}",
                brief_title=f"Generated trial {number} of {'asthma' if number % 3 else 'gout'}",
                conditions=["asthma" if number % 3 else "gout"],
                status=StatusInfo(overall_status=statuses[number % 2]),
            )
            for number in range(1, TRIALS + 1)
        ]
    )
    store.close()
    return TestClient(create_app(str(db), warm=False))


def test_csv_streams_every_hit_in_the_sites_columns(client: TestClient) -> None:
    with client.stream("GET", "/api/download", params={"format": "csv", "q": "asthma"}) as answer:
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/csv")
        assert "attachment" in answer.headers["content-disposition"]
        chunks = list(answer.iter_bytes())
    rows = list(csv.DictReader(io.StringIO(b"".join(chunks).decode())))
    expected = sum(1 for number in range(1, TRIALS + 1) if number % 3)
    assert expected >= 3400 and len(rows) == expected
    assert list(rows[0]) == list(CSV_COLUMNS)
    assert len({row["NCT Number"] for row in rows}) == expected
    assert all("asthma" in row["Conditions"] for row in rows)


def test_jsonl_and_zip_hold_the_filtered_trials(client: TestClient) -> None:
    answer = client.get("/api/download", params={"format": "jsonl", "status": "RECRUITING"})
    assert answer.status_code == 200
    lines = answer.content.splitlines()
    assert len(lines) == TRIALS // 2
    assert all(orjson.loads(line)["status"]["overall_status"] == "RECRUITING" for line in lines[:50])
    packed = client.get("/api/download", params={"format": "ctgov-json", "q": "gout", "limit": 5})
    assert packed.status_code == 200 and packed.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(packed.content)) as archive:
        names = archive.namelist()
        assert len(names) == TRIALS // 3  # the page size does not cut a download
        study = orjson.loads(archive.read(names[0]))
        assert study["protocolSection"]["identificationModule"]["nctId"] == names[0].removesuffix(".json")


def test_a_malformed_search_or_format_is_refused_before_streaming(client: TestClient) -> None:
    assert client.get("/api/download", params={"format": "xlsx"}).status_code == 422
    assert client.get("/api/download", params={"format": "csv", "q": "(asthma"}).status_code in {400, 422}
