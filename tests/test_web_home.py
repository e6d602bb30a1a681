"""The home page (the search page before any search) opens with recently updated trials open to
enrolment, as ClinicalTrials.gov does, instead of the oldest registrations."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from test_search_near import db  # noqa: F401  (the fixture: a small store)
from trialatlas.api import create_app


def test_home_page_opens_with_recently_updated_open_trials(db: Path) -> None:  # noqa: F811
    client = TestClient(create_app(str(db), warm=False))
    home = client.get("/")
    assert home.status_code == 200
    assert "Recently updated, recruiting or about to" in home.text
    section = home.text.split('class="recent"', 1)[1].split("</section>", 1)[0]
    # The completed trial is not among them; the recruiting ones are.
    assert "NCT00000020" not in section and "NCT00000010" in section
    assert 'class="recent"' not in client.get("/", params={"q": "asthma"}).text
