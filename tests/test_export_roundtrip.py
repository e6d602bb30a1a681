"""Export -> ingest round trip: the atlas's own JSON lines export (the model) reads back into a fresh
store as the same trials with the same fields and the same provenance."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson

from trialatlas.store import open_store


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "TRIALATLAS_DB"}
    result = subprocess.run(
        [sys.executable, "-m", "trialatlas", *args], capture_output=True, text=True, env=env
    )
    assert result.returncode == 0, result.stderr
    return result


def _trials(db: Path) -> dict[str, dict[str, object]]:
    store = open_store(str(db))
    try:
        documents = {}
        for trial in store.iter_trials():
            document = trial.model_dump(mode="json")
            for source in document["sources"]:
                source.pop("raw", None)  # the export leaves raw records out
            documents[trial.key] = document
        return documents
    finally:
        store.close()


def test_jsonl_export_reads_back(shared_data: Path, target_trials: Path, tmp_path: Path) -> None:
    eu = shared_data / "eu_isrctn_ctrdata"
    first, second = tmp_path / "first.db", tmp_path / "second.db"
    inputs = [str(target_trials), str(eu / "euctr"), str(eu / "ctis"), str(eu / "isrctn")]
    read = orjson.loads(_run("ingest", "--db", str(first), "--json", *inputs).stdout)
    exported = tmp_path / "trials.jsonl"
    _run("export", "--db", str(first), "--all", "--format", "jsonl", "--out", str(exported))
    back = orjson.loads(_run("ingest", "--db", str(second), "--json", str(exported)).stdout)
    assert back["failed"] == 0 and back["new"] == read["new"], back
    before, after = _trials(first), _trials(second)
    assert sorted(after) == sorted(before)
    differing = [key for key in before if before[key] != after[key]]
    assert not differing, differing[:3]
    # Trials with no NCT id are among them, and ingesting the export again changes nothing.
    assert any(not document.get("nct_id") for document in before.values())
    again = orjson.loads(_run("ingest", "--db", str(second), "--json", str(exported)).stdout)
    assert again["new"] == 0 and again["updated"] == 0, again
