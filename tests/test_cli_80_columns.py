"""The CLI a person reads in an 80-column terminal: ``dose`` and ``criteria`` fit, cut no drug name or
criterion, print no ``key=value`` rule dumps; every command's ``--help`` names each option in full."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from trialatlas.cli import app

TARGET = "NCT04048161"


def run(*args: str) -> str:
    env = dict(os.environ, COLUMNS="80")
    env.pop("TRIALATLAS_DB", None)
    done = subprocess.run(
        [sys.executable, "-m", "trialatlas", *args], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def db(target_trials: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("cli80") / "atlas.db"
    run("ingest", "--db", str(path), str(target_trials))
    return str(path)


def _fits(text: str, *, uncut: bool = True) -> None:
    widths = [len(line.rstrip()) for line in text.splitlines()]
    assert widths and max(widths) <= 80
    if uncut:
        assert "…" not in text  # nothing cut to fit


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_dose_fits_and_names_every_drug_whole(db: str) -> None:
    shown = run("dose", TARGET, "--db", db, "--weight", "20", "--height", "115")
    _fits(shown)
    rows = json.loads(run("dose", TARGET, "--db", db, "--weight", "20", "--height", "115", "--json"))["rows"]
    flat = _flat(shown)
    for row in rows:
        assert row["arm"] in flat
        if row["dose"]["drug"]:
            assert row["dose"]["drug"] in flat
        assert _flat(row["dose"]["stated"]) in flat
        if row["dose"]["per_day"]:
            assert f"per day: {row['dose']['per_day']['low']:g}" in flat


def test_criteria_fit_with_whole_texts_and_readable_rules(db: str) -> None:
    shown = run("criteria", TARGET, "--db", db)
    _fits(shown)
    parsed = json.loads(run("criteria", TARGET, "--db", db, "--json"))
    flat = _flat(shown)
    for criterion in parsed:
        assert _flat(criterion["text"]) in flat  # wrapped, never cut
    assert not re.search(r"\b[a-z_]+=[^=\s]", shown), "a raw key=value rule dump"
    assert "age 2–18 years" in flat
    assert "not: has taken tacrolimus, mycophenolate mofetil" in flat


def _commands(group: Any, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    """Every command and subcommand (typer's own click groups are told by their ``commands``)."""
    found: list[tuple[tuple[str, ...], Any]] = []
    for name, command in sorted(group.commands.items()):
        path = (*prefix, name)
        found.append((path, command))
        if hasattr(command, "commands"):
            found.extend(_commands(command, path))
    return found


def test_every_help_names_its_options_in_full() -> None:
    commands = _commands(typer.main.get_command(app))
    assert len(commands) > 15
    runner = CliRunner()
    for path, command in commands:
        result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "80", "TERMINAL_WIDTH": "80"})
        assert result.exit_code == 0, (path, result.output)
        _fits(result.output, uncut=False)  # a help text may itself say "…"; its option names may not be cut
        for param in command.params:
            for option in (*param.opts, *param.secondary_opts):
                if option.startswith("--"):
                    assert option in result.output, (path, option)


def test_show_sources_names_the_record_not_the_server_path(db: str, target_trials: Path) -> None:
    shown = run("show", TARGET, "--db", db, "--sources")
    _fits(shown)
    sources = shown[shown.index("Registry") :]
    flat = _flat(re.sub(r"[│┃┏┓┗┛┡┩└┘┌┐├┤┬┴┼╇╈━─]", " ", sources))
    assert "ClinicalTrials.gov" in flat and TARGET in flat  # the registry and the record's id there
    assert f"{TARGET}.xml" in flat and "ctgov-xml" in flat and "2020-07-22" in flat
    assert str(target_trials.parent) not in shown  # the file's name, never the server's directories
    assert "eligibility.criteria_text" in flat  # which record gave each field


def test_near_takes_the_place_as_argument_or_option(db: str) -> None:
    as_argument = json.loads(run("near", "Hangzhou, China", "--db", db, "--json"))
    as_option = json.loads(run("near", "--location", "Hangzhou, China", "--db", db, "--json"))
    assert as_argument == as_option and as_argument["trials"]
    _fits(run("near", "Hangzhou, China", "--db", db))
    env = dict(os.environ, COLUMNS="80")
    for args in ([], ["Hangzhou, China", "--location", "Paris, France"]):
        done = subprocess.run(
            [sys.executable, "-m", "trialatlas", "near", *args, "--db", db],
            capture_output=True,
            text=True,
            env=env,
        )
        assert done.returncode == 2 and done.stderr.startswith("error: "), args


NOTE = "8 year old boy with steroid dependent nephrotic syndrome, eGFR 95"


def test_match_is_a_compact_list_with_details_on_request(db: str) -> None:
    answer = json.loads(run("match", NOTE, "--db", db, "--top", "5", "--json"))
    compact = run("match", NOTE, "--db", db, "--top", "5")
    detailed = run("match", NOTE, "--db", db, "--top", "5", "--details")
    for text in (compact, detailed):
        _fits(text)
    flat, flat_details = _flat(compact), _flat(detailed)
    for trial in answer["trials"]:
        assert f"{trial['rank']}. {trial['nct_id']}" in flat
        assert _flat(trial["title"]) in flat  # wrapped, not cut
        for criterion in trial["criteria"]:
            assert _flat(criterion["text"]) in flat_details
        for reason in trial["reasons"]:
            assert _flat(reason) in flat_details
    assert any(t["criteria"] for t in answer["trials"])
    assert len(compact.splitlines()) < len(detailed.splitlines())
