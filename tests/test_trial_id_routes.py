"""Trial ids with "/" (CTRI/2020/01/022345) open at /trials/{id} on the pages and in the API."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from trialatlas.api import create_app
from trialatlas.config import shared_data_dir
from trialatlas.model import Trial
from trialatlas.sources import read_path
from trialatlas.store import SqliteStore

ICTRP = shared_data_dir() / "ictrp_export" / "ictrp_export_sample.csv"


@pytest.fixture(scope="module")
def ctri(tmp_path_factory: pytest.TempPathFactory) -> tuple[TestClient, Trial]:
    """A store of the ICTRP sample's trials; its CTRI trial (an id with "/")."""
    trials = [r for r in read_path(ICTRP) if isinstance(r, Trial)]
    ctri = next(t for t in trials if t.key.startswith("CTRI/"))
    db = Path(tmp_path_factory.mktemp("ids")) / "atlas.db"
    store = SqliteStore(db)
    store.upsert_batch(trials)
    store.close()
    return TestClient(create_app(str(db), warm=False)), ctri


def test_a_ctri_trial_opens_on_its_page_and_in_the_api(ctri: tuple[TestClient, Trial]) -> None:
    client, trial = ctri
    assert "/" in trial.key
    page = client.get(f"/trials/{trial.key}")
    assert page.status_code == 200, page.text[:300]
    assert trial.key in page.text and (trial.brief_title or "")[:40] in page.text
    answer = client.get(f"/api/trials/{trial.key}")
    assert answer.status_code == 200, answer.text[:300]
    assert answer.json()["registry_ids"] == [trial.key]


def test_words_after_a_slashed_id_still_name_the_sub_resource(ctri: tuple[TestClient, Trial]) -> None:
    client, trial = ctri
    related = client.get(f"/api/trials/{trial.key}/related")
    assert related.status_code == 200, related.text[:300]
    assert related.json()["target"] == trial.key
    # An id that is not in the store is a 404, with or without "/" in it.
    assert client.get("/api/trials/CTRI/2099/01/000001").status_code == 404
    assert client.get("/trials/CTRI/2099/01/000001").status_code == 404
