"""The trial page of a trial held by several registries: each registration linked to its official
record page (built from the id), untrusted record URLs never linked."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from trialatlas.api.app import create_app
from trialatlas.services.ingest import ingest
from trialatlas.sources.ictrp_fields import FIELDS
from trialatlas.store import SqliteStore

FIXTURES = Path(__file__).parent / "fixtures" / "ictrp"


@pytest.fixture(scope="module")
def client(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    folder = tmp_path_factory.mktemp("registrations")
    # A row whose registry URL is a script: the page must never link it.
    out = io.StringIO()
    row = dict.fromkeys(FIELDS, "NULL")
    row.update(TrialID="TCTR20200101001", public_title="<b>Hostile</b> title", url="javascript:alert(1)")
    csv.writer(out).writerows([FIELDS, [row[f] for f in FIELDS]])
    (folder / "hostile.csv").write_text(out.getvalue())
    db = folder / "atlas.db"
    with SqliteStore(db) as store:
        euctr = shared_data / "eu_isrctn_ctrdata" / "euctr"
        ingest([FIXTURES / "ictrp_header.csv", euctr, folder / "hostile.csv"], store)
    with TestClient(create_app(str(db), warm=False)) as test_client:
        yield test_client


def test_every_registration_links_its_official_record(client: TestClient) -> None:
    html = client.get("/trials/NCT09000002").text
    section = html[html.index('id="registrations"') : html.index('id="identifiers"')]
    assert '<a href="https://clinicaltrials.gov/study/NCT09000002"' in section
    assert '<a href="https://trialsearch.who.int/Trial2.aspx?TrialID=ChiCTR2000000001"' in section
    assert '<a href="https://www.clinicaltrialsregister.eu/ctr-search/trial/2020-000123-45/DE"' in section
    # Found by any registry's id.
    assert client.get("/trials/ChiCTR2000000001").status_code == 200
    eu = client.get("/trials/2016-004489-24-DE").text
    assert "EUCTR2016-004489-24-DE" in eu and "NCT03461406" in eu


def test_untrusted_record_urls_are_not_links(client: TestClient) -> None:
    html = client.get("/trials/TCTR20200101001").text
    assert "javascript:" not in html
    assert "<b>Hostile</b>" not in html and "&lt;b&gt;Hostile&lt;/b&gt;" in html
    section = html[html.index('id="registrations"') :]
    assert '<a href="https://trialsearch.who.int/Trial2.aspx?TrialID=TCTR20200101001"' in section
