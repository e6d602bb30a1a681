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


def test_jsonl_export_of_trials_with_results_reads_back(v2_jsonl: Path, tmp_path: Path) -> None:
    """A trial with results makes a first line longer than the bytes a reader sniffs: the export was
    then taken for the descriptions dump (its lines also hold "nct_id" and "brief_summary") and read
    back as title-less partial trials with every other field unread."""
    import gzip

    with gzip.open(v2_jsonl) as handle:
        studies = [orjson.loads(line) for line in handle]
    with_results = [s for s in studies if s.get("resultsSection")][:5]
    assert len(with_results) == 5
    source = tmp_path / "with_results.jsonl"
    source.write_bytes(b"".join(orjson.dumps(s) + b"\n" for s in with_results))
    first, second = tmp_path / "first.db", tmp_path / "second.db"
    _run("ingest", "--db", str(first), str(source))
    exported = tmp_path / "trials.jsonl"
    _run("export", "--db", str(first), "--all", "--format", "jsonl", "--out", str(exported))
    assert len(exported.read_bytes().split(b"\n", 1)[0]) > 8192
    back = orjson.loads(_run("ingest", "--db", str(second), "--json", str(exported)).stdout)
    assert back["failed"] == 0 and back["new"] == 5, back
    before, after = _trials(first), _trials(second)
    differing = [key for key in before if before[key] != after.get(key)]
    assert not differing, differing[:3]
