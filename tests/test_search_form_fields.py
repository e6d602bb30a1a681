"""Search as ClinicalTrials.gov users search: separate Condition, Intervention and Other terms fields,
each a query limited to its part of the record, read alike by the core, the REST API, the CLI and
the page; and the page's status choice (the blank form starts with recruiting and not yet
recruiting, an address without a status means every status, one click widens to all)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import orjson
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from trialatlas.api import create_app
from trialatlas.cli import app as cli_app
from trialatlas.errors import QueryError
from trialatlas.model import Intervention, OverallStatus, StatusInfo, Trial
from trialatlas.services.atlas import Atlas
from trialatlas.services.derived import READS, bring_up_to_date
from trialatlas.store import open_store


def _trial(nct: str, condition: str, drug: str, summary: str, status: OverallStatus) -> Trial:
    return Trial(
        nct_id=nct,
        brief_title=f"A study in {condition} ({nct})",
        brief_summary=summary,
        status=StatusInfo(overall_status=status),
        conditions=[condition],
        interventions=[Intervention(name=drug)],
    )


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where the trials are: an SQLite file, or a PostgreSQL database (field prefixes are each
    engine's own: FTS5 columns, or PostgreSQL's per-field vectors)."""
    path = str(tmp_path / "atlas.db") if request.param == "sqlite" else request.getfixturevalue("pg_url")
    store = open_store(path)
    store.upsert_batch(
        [
            _trial(
                "NCT00000110",
                "Lupus Nephritis",
                "Rituximab",
                "Kidney inflammation.",
                OverallStatus.RECRUITING,
            ),
            # Lupus only in its summary, rituximab as its drug.
            _trial(
                "NCT00000120",
                "Rheumatoid Arthritis",
                "Rituximab",
                "People with a history of lupus are excluded.",
                OverallStatus.COMPLETED,
            ),
            _trial(
                "NCT00000130",
                "Lupus Nephritis",
                "Mycophenolate Mofetil",
                "Induction therapy.",
                OverallStatus.NOT_YET_RECRUITING,
            ),
        ]
    )
    # What a write command does after writing: on PostgreSQL a search only reads the index.
    bring_up_to_date(store, parts=READS["search"])
    store.close()
    return path


@pytest.fixture()
def atlas(db: str) -> Iterator[Atlas]:
    with Atlas(open_store(db)) as service:
        yield service


@pytest.fixture()
def client(db: str) -> Iterator[TestClient]:
    with TestClient(create_app(db, warm=False)) as test_client:
        yield test_client


def keys(results: object) -> set[str]:
    return {hit.trial.key for hit in results.hits}  # type: ignore[attr-defined]


def test_condition_field_searches_the_conditions_only(atlas: Atlas) -> None:
    assert keys(atlas.search({"q": "lupus"})) == {"NCT00000110", "NCT00000120", "NCT00000130"}
    assert keys(atlas.search({"cond": "lupus"})) == {"NCT00000110", "NCT00000130"}
    # The same as the field prefix typed in the query.
    assert keys(atlas.search({"q": "cond:lupus"})) == keys(atlas.search({"cond": "lupus"}))


def test_fields_combine_with_each_other_and_with_the_query(atlas: Atlas) -> None:
    assert keys(atlas.search({"cond": "lupus", "intr": "rituximab"})) == {"NCT00000110"}
    assert keys(atlas.search({"intr": "rituximab"})) == {"NCT00000110", "NCT00000120"}
    assert keys(atlas.search({"intr": "rituximab", "term": "lupus"})) == {"NCT00000110", "NCT00000120"}
    assert keys(atlas.search({"q": "kidney", "intr": "rituximab"})) == {"NCT00000110"}
    # Each field is a query of its own: OR and phrases work inside it.
    assert keys(atlas.search({"intr": "rituximab OR mycophenolate", "cond": '"lupus nephritis"'})) == {
        "NCT00000110",
        "NCT00000130",
    }
    # A status word typed in the Condition box is searched, never read as a filter.
    assert atlas.search({"cond": "lupus recruiting"}).total == 0


def test_a_malformed_field_is_refused_naming_the_field(atlas: Atlas) -> None:
    with pytest.raises(QueryError, match=r"^Condition: unbalanced parenthesis"):
        atlas.search({"cond": "(lupus"})
    with pytest.raises(QueryError, match="Intervention: field prefixes cannot be nested"):
        atlas.search({"intr": "title:lupus"})


def test_api_and_cli_read_the_same_fields(db: str, client: TestClient) -> None:
    answer = client.get("/api/trials", params={"cond": "lupus", "intr": "rituximab"})
    assert answer.status_code == 200, answer.text
    document = answer.json()
    assert [hit["trial"]["key"] for hit in document["hits"]] == ["NCT00000110"]
    assert document["filters"]["cond"] == "lupus" and document["filters"]["intr"] == "rituximab"
    shown = CliRunner().invoke(
        cli_app, ["search", "--db", str(db), "--cond", "lupus", "--intr", "rituximab", "--json"]
    )
    assert shown.exit_code == 0, shown.output
    assert orjson.loads(shown.stdout)["hits"] == document["hits"]
    refused = client.get("/api/trials", params={"cond": "(lupus"})
    assert refused.status_code == 400 and "Condition" in refused.text


def _checked_status(html: str) -> str:
    found = re.search(r'<input type="radio" name="status" value="([^"]*)" checked>', html)
    assert found is not None, "no status chosen on the form"
    return found.group(1)


def test_blank_form_starts_with_recruiting_and_not_yet_recruiting(client: TestClient) -> None:
    home = client.get("/")
    assert home.status_code == 200
    for name, text in (
        ("cond", "Condition or disease"),
        ("intr", "Intervention or treatment"),
        ("term", "Other terms"),
    ):
        assert f'<label for="{name}">{text}</label>' in home.text
        assert f'id="{name}" name="{name}"' in home.text
    assert _checked_status(home.text) == "RECRUITING,NOT_YET_RECRUITING"
    # The form as a browser sends it: every field, the status as the radio's value.
    sent = client.get(
        "/",
        params={"q": "", "cond": "lupus", "intr": "", "term": "", "status": "RECRUITING,NOT_YET_RECRUITING"},
    )
    assert sent.history and sent.history[0].status_code == 303  # to the tidy address
    assert parse_qsl(urlsplit(str(sent.url)).query) == [
        ("status", "RECRUITING"),
        ("status", "NOT_YET_RECRUITING"),
        ("cond", "lupus"),
    ]
    assert "NCT00000110" in sent.text and "NCT00000130" in sent.text
    assert _checked_status(sent.text) == "RECRUITING,NOT_YET_RECRUITING"
    # One click to every status: the link drops the status and keeps the rest.
    link = re.search(r'<a id="all-statuses" href="([^"]+)"', sent.text)
    assert link is not None and link.group(1).replace("&amp;", "&") == "/?cond=lupus"
    everything = client.get("/?cond=lupus")
    assert _checked_status(everything.text) == ""
    assert re.search(r'id="total">2<', everything.text)


def test_an_address_without_status_means_every_status_everywhere(client: TestClient) -> None:
    page = client.get("/", params={"intr": "rituximab"})
    api = client.get("/api/trials", params={"intr": "rituximab"}).json()
    assert api["total"] == 2 and re.search(r'id="total">2<', page.text)
    assert "NCT00000120" in page.text  # the completed one
    narrowed = client.get("/", params={"intr": "rituximab", "status": "completed"})
    assert _checked_status(narrowed.text) == "completed"
    assert re.search(r'id="total">1<', narrowed.text)


def test_field_values_are_escaped_on_the_page(client: TestClient) -> None:
    hostile = '"><script>alert(1)</script>'
    html = client.get("/", params={"term": hostile}).text
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html


def test_a_refused_field_keeps_the_form_as_sent(client: TestClient) -> None:
    page = client.get("/", params={"cond": "(lupus", "status": ["RECRUITING", "NOT_YET_RECRUITING"]})
    assert page.status_code == 400
    assert "Condition: unbalanced parenthesis" in page.text
    assert 'value="(lupus"' in page.text
    assert _checked_status(page.text) == "RECRUITING,NOT_YET_RECRUITING"
