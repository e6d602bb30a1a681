"""The issue's cases through the `regimen` command: the span stated ("Total duration: 1 year"),
alternatives as alternatives, a taper target closing its drug's line, and registry text shown as text."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from trialatlas.cli import app
from trialatlas.model import Arm, Trial
from trialatlas.sources import read_path
from trialatlas.store import open_store


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory, target_trials: Path) -> Path:
    path = tmp_path_factory.mktemp("regimen") / "t.db"
    store = open_store(str(path))
    trials = [t for t in read_path(target_trials) if isinstance(t, Trial)]
    hostile = Trial(
        nct_id="NCT09999990",
        brief_title="[red]markup[/red] trial",
        arms=[
            Arm(label="[bold]A[/bold]", description="[link=x]drug[/link] 5 mg daily; [blink]B[/blink] or C")
        ],
    )
    store.upsert_batch([*trials, hostile])
    store.close()
    return path


def test_nct04048161_span_alternatives_and_taper(db: Path) -> None:
    result = CliRunner().invoke(app, ["regimen", "NCT04048161", "--db", str(db)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    out = result.output
    assert "w0–52" in out  # "Total duration : 1 year", not an open phase
    steroid = [cell for line in out.splitlines() for cell in line.split("│") if "steroid:" in cell]
    # One line per arm: the two doses as alternatives, the taper target at the end, never a third dose.
    assert len(steroid) == 2
    assert all(" or 0.5–0.75 mg/kg/day QD" in cell and "→ taper to 5" in cell for cell in steroid)


def test_registry_text_is_shown_as_written(db: Path) -> None:
    result = CliRunner().invoke(app, ["regimen", "NCT09999990", "--db", str(db)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "[red]markup[/red]" in result.output and "[bold]A[/bold]" in result.output


def test_trial_page_shows_unread_dosing_as_written(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from trialatlas.api.app import create_app

    path = tmp_path / "page.db"
    store = open_store(str(path))
    text = "Tacrolimus at the standard dose <b>adjusted</b>. Prednisone 10 mg daily."
    store.upsert_batch(
        [Trial(nct_id="NCT09999992", brief_title="t", arms=[Arm(label="A", description=text)])]
    )
    store.close()
    html = TestClient(create_app(str(path))).get("/trials/NCT09999992").text
    section = html[html.index('id="regimen"') :]
    assert "Not read as doses (1)" in section
    assert "Tacrolimus at the standard dose &lt;b&gt;adjusted&lt;/b&gt;." in section
    assert "<b>adjusted</b>" not in section
