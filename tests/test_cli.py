"""The command line, run as users run it: a real process, a real SQLite file, the shared records."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import orjson


def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "trialatlas", *args], capture_output=True, text=True, env=_env()
    )
    if check and result.returncode != 0:
        raise AssertionError(f"trialatlas {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def _env() -> dict[str, str]:
    import os

    env = dict(os.environ)
    env["COLUMNS"] = "80"
    env.pop("TRIALATLAS_DB", None)
    return env


def test_ingest_show_stats_export(target_trials: Path, tmp_path: Path) -> None:
    db = tmp_path / "atlas.db"
    result = run("ingest", "--db", str(db), "--json", str(target_trials))
    summary = orjson.loads(result.stdout)
    assert summary["read"] == 5 and summary["new"] == 5 and summary["failed"] == 0

    again = orjson.loads(run("ingest", "--db", str(db), "--json", str(target_trials)).stdout)
    assert again["unchanged"] == 5 and again["new"] == 0 and again["updated"] == 0

    shown = run("show", "--db", str(db), "NCT04048161").stdout
    assert "Tacrolimus" in shown and "Mycophenolate" in shown
    sites = (target_trials / "NCT04048161.xml").read_text(encoding="utf-8").count("<location>")
    assert sites == 9  # the July-2020 record; later versions (seed page 001) list 12
    assert f"Locations ({sites} sites)" in shown
    assert shown.count("[EXPERIMENTAL]") == 2  # the 2020 record calls both arms experimental
    assert max(len(line) for line in shown.splitlines()) <= 80
    # the sections come in the order the registry pages use
    order = [
        "Snapshot",
        "Brief summary",
        "Study design",
        "Study groups",
        "Eligibility",
        "Sponsors",
        "Locations",
        "References",
    ]
    positions = [shown.index(title) for title in order]
    assert positions == sorted(positions)

    stats = orjson.loads(run("stats", "--db", str(db), "--json").stdout)
    assert stats["trials"] == 5
    assert sum(stats["by_status"].values()) == 5

    out = tmp_path / "export"
    run("export", "--db", str(db), "--all", "--format", "ctgov-json", "--out", str(out))
    assert sorted(p.name for p in out.iterdir()) == sorted(
        f"{p.stem}.json" for p in target_trials.glob("NCT*.xml")
    )
    study = orjson.loads((out / "NCT04048161.json").read_bytes())
    assert len(study["protocolSection"]["contactsLocationsModule"]["locations"]) == sites

    table = tmp_path / "trials.csv"
    run("export", "--db", str(db), "NCT04048161", "NCT03580291", "--format", "csv", "--out", str(table))
    rows = list(csv.DictReader(table.open(encoding="utf-8")))
    assert [r["NCT Number"] for r in rows] == ["NCT04048161", "NCT03580291"]
    assert rows[0]["Phases"] == "PHASE4"


def test_exit_codes_and_error_report(target_trials: Path, tmp_path: Path) -> None:
    db = tmp_path / "atlas.db"
    bad = tmp_path / "broken.xml"
    bad.write_text("<clinical_study><id_info><nct_id>NCT01234567</nct_id></id_info>", encoding="utf-8")
    empty = tmp_path / "empty.json"
    empty.write_bytes(b"")
    failed = run("ingest", "--db", str(db), str(target_trials), str(bad), str(empty), check=False)
    assert failed.returncode == 1
    assert f"{bad}" in failed.stderr and f"{empty}: empty file" in failed.stderr
    assert run("stats", "--db", str(db), "--json").stdout.count('"trials":5') == 1  # good records landed

    partial = run("ingest", "--db", str(db), "--keep-going", str(bad), check=False)
    assert partial.returncode == 0

    missing = run("show", "--db", str(db), "NCT99999999", check=False)
    assert missing.returncode == 1 and "no trial NCT99999999" in missing.stderr


def test_convert_writes_without_a_store(target_trials: Path, tmp_path: Path) -> None:
    out = tmp_path / "converted"
    run("convert", str(target_trials / "NCT04048161.xml"), "--to", "ctgov-json", "--out", str(out))
    study = orjson.loads((out / "NCT04048161.json").read_bytes())
    assert study["protocolSection"]["identificationModule"]["nctId"] == "NCT04048161"
    assert not list(tmp_path.glob("*.db"))


def test_other_registries_ingest_show_and_count(shared_data: Path, tmp_path: Path) -> None:
    """EU CTR, CTIS and ISRCTN trials read like ClinicalTrials.gov ones; stats counts by registry."""
    db = tmp_path / "atlas.db"
    eu = shared_data / "eu_isrctn_ctrdata"
    summary = orjson.loads(
        run(
            "ingest", "--db", str(db), "--json", str(eu / "euctr"), str(eu / "ctis"), str(eu / "isrctn")
        ).stdout
    )
    assert summary["read"] == 17 and summary["new"] == 17 and summary["failed"] == 0
    for trial_id, registry, expected in (
        ("2016-004489-24-DE", "EU Clinical Trials Register", "FS Grifols"),
        ("2023-508143-51-01", "EU CTIS", "baclofen"),
        ("ISRCTN96912679", "ISRCTN", "Omeprazole"),
    ):
        shown = run("show", "--db", str(db), trial_id).stdout
        for title in ("Snapshot", "Study groups", "Eligibility", "Inclusion criteria", "Registrations"):
            assert title in shown, (trial_id, title)
        assert registry in shown and expected in shown, trial_id
    provenance = run("show", "--db", str(db), "--sources", "ISRCTN96912679").stdout
    table = provenance[provenance.index("Registry") :]
    assert "isrctn-json" in table and "ISRCTN" in table
    stats = orjson.loads(run("stats", "--db", str(db), "--json").stdout)
    assert stats["by_registry"] == {"ISRCTN": 9, "EU CTIS": 4, "EU Clinical Trials Register": 4}


def test_a_count_of_one_site_is_singular() -> None:
    # Room audit2: `show NCT00203242` headed its one location "Locations (1 sites)".
    from rich.console import Console

    from trialatlas.cli.show import render_trial
    from trialatlas.model import Location, Trial

    def heading(sites: int) -> str:
        trial = Trial(
            nct_id="NCT00000001",
            brief_title="A trial",
            locations=[Location(facility=f"Site {n}", country="France") for n in range(sites)],
        )
        console = Console(width=80, record=True, file=io.StringIO())
        for part in render_trial(trial):
            console.print(part)
        return next(line for line in console.export_text().splitlines() if "Locations" in line)

    assert "Locations (1 site)" in heading(1)
    assert "Locations (2 sites)" in heading(2)


def test_catch_up_progress_when_asked(target_trials: Path, tmp_path: Path) -> None:
    db = str(tmp_path / "behind.db")
    run("ingest", "--db", db, "--json", "--no-derive", str(target_trials))
    # Not a terminal, not asked: stderr stays clean for scripts.
    quiet = run("search", "--db", db, "--json", "tacrolimus")
    assert "updating" not in quiet.stderr
    run("ingest", "--db", db, "--json", "--no-derive", str(target_trials / "NCT04048161.xml"))
    # Asked (TRIALATLAS_PROGRESS=1): one plain line per step of the catch-up, on stderr only.
    env = {**_env(), "TRIALATLAS_PROGRESS": "1"}
    asked = subprocess.run(
        [sys.executable, "-m", "trialatlas", "ingest", "--db", db, "--json", str(target_trials)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    assert orjson.loads(asked.stdout)["read"] == 5
    lines = asked.stderr.splitlines()
    assert any(line.startswith("updating the search index") for line in lines), asked.stderr
    assert "\x1b[" not in asked.stderr  # plain lines, no terminal control codes
