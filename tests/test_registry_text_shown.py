"""Registry text as a person reads it: ClinicalTrials.gov API v2 writes its free text as markdown, with
backslash escapes ("titer \\>= 1:80", "\\[OCS\\]", "\\<= 400 mg"). The registry's own page renders them
away; trialatlas showed them as written in `show`, `criteria`, `match --details` and the web pages.

The stored text and the API documents keep the source's text as given (provenance); what is shown to a
person has the escapes undone. The records are the shared sample's own, chosen by what they hold.
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

import trialatlas
from trialatlas.api import create_app
from trialatlas.cli import app

# A markdown escape before the punctuation criteria are written with.
ESCAPE = re.compile(r"\\[<>\[\]*_~^]")


def _escaped_records(v2_jsonl: Path, count: int = 3) -> list[dict[str, object]]:
    chosen: list[dict[str, object]] = []
    with gzip.open(v2_jsonl, "rt", encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            criteria = record["protocolSection"].get("eligibilityModule", {}).get("eligibilityCriteria", "")
            if ESCAPE.search(criteria or ""):
                chosen.append(record)
                if len(chosen) == count:
                    break
    return chosen


@pytest.fixture(scope="module")
def escaped(tmp_path_factory: pytest.TempPathFactory, v2_jsonl: Path) -> tuple[Path, list[str]]:
    records = _escaped_records(v2_jsonl)
    assert len(records) == 3
    folder = tmp_path_factory.mktemp("escaped")
    source = folder / "escaped.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    db = folder / "atlas.db"
    store = trialatlas.open_store(str(db))
    try:
        report = trialatlas.ingest([source], store)
    finally:
        store.close()
    assert report.new == 3 and report.failed == 0
    ids = [r["protocolSection"]["identificationModule"]["nctId"] for r in records]  # type: ignore[index]
    return db, ids


def _run(*args: str) -> str:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    return result.output


def test_show_and_criteria_print_the_text_without_markdown_escapes(escaped: tuple[Path, list[str]]) -> None:
    db, ids = escaped
    for nct in ids:
        for command in ("show", "criteria"):
            output = _run(command, nct, "--db", str(db))
            assert nct in output or command == "criteria"
            assert not ESCAPE.search(output), (command, nct, ESCAPE.findall(output)[:5])
    # The escaped comparisons are still there, unescaped.
    assert any(re.search(r"[<>]=?\s*\d", _run("criteria", nct, "--db", str(db))) for nct in ids)


def test_the_api_keeps_the_source_text_and_the_page_shows_it_unescaped(
    escaped: tuple[Path, list[str]],
) -> None:
    db, ids = escaped
    with TestClient(create_app(str(db), warm=False)) as client:
        for nct in ids:
            document = client.get(f"/api/trials/{nct}").json()
            assert ESCAPE.search(document["eligibility"]["criteria_text"])
            page = client.get(f"/trials/{nct}")
            assert page.status_code == 200
            eligibility = page.text[page.text.index('id="eligibility"') :]
            eligibility = eligibility[: eligibility.index("</section>")]
            # Escaped for HTML ("&lt;"), never shown with the markdown backslash ("\&lt;").
            assert not re.search(r"\\(&lt;|&gt;|\[|\]|\*|_|~|\^)", eligibility), nct
            assert re.search(r"(&lt;|&gt;|≤|≥)=?\s*\d", eligibility) or "[" in eligibility
