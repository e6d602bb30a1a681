"""`trialatlas search` and `trialatlas search-eval` as users run them, and the TREC scoring."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from trialatlas.eval.search import load_qrels, load_topics, ndcg_at, precision_at, run_trec
from trialatlas.services.ingest import ingest
from trialatlas.store import MemoryStore


def run(*args: str) -> subprocess.CompletedProcess[str]:
    import os

    env = {**os.environ, "COLUMNS": "100"}
    env.pop("TRIALATLAS_DB", None)
    return subprocess.run(
        [sys.executable, "-m", "trialatlas", *args], capture_output=True, text=True, env=env
    )


@pytest.fixture(scope="module")
def db(target_trials: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "atlas.db"
    assert run("ingest", "--db", str(path), str(target_trials)).returncode == 0
    return path


def test_search_json_lists_ranked_hits_with_facets(db: Path) -> None:
    result = run("search", "MMF TAC lupus nephritis", "--db", str(db), "--json")
    assert result.returncode == 0, result.stderr
    data = orjson.loads(result.stdout)
    keys = [hit["trial"]["key"] for hit in data["hits"]]
    assert keys and data["total"] == len(keys)
    assert all(a["score"] >= b["score"] for a, b in zip(data["hits"], data["hits"][1:], strict=False))
    assert "status" in data["facets"] and any("<mark>" in hit["snippet"] for hit in data["hits"])
    assert any(note["typed"] == "TAC" and "tacrolimus" in note["added"] for note in data["expansions"])


def test_search_filters_and_table(db: Path) -> None:
    table = run("search", "nephrotic", "--db", str(db), "--age", "12", "--sex", "female", "--facets")
    assert table.returncode == 0, table.stderr
    assert "NCT04048161" in table.stdout and "age_group" in table.stdout
    adults = run("search", "", "--db", str(db), "--age", "40", "--json")
    keys = {hit["trial"]["key"] for hit in orjson.loads(adults.stdout)["hits"]}
    assert "NCT04048161" not in keys  # a trial for ages 2 to 18


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_search_saves_every_hit(db: Path, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"hits.{fmt}"
    result = run("search", "", "--db", str(db), "--format", fmt, "--out", str(out), "--limit", "2")
    assert result.returncode == 0, result.stderr
    if fmt == "csv":
        with out.open(encoding="utf-8") as stream:
            rows = list(csv.DictReader(stream))
        assert len(rows) == 5 and rows[0]["key"].startswith("NCT")
    else:
        lines = out.read_text(encoding="utf-8").splitlines()
        assert len(lines) == 5 and orjson.loads(lines[0])["trial"]["key"].startswith("NCT")


@pytest.mark.parametrize(("query", "words"), [('"lupus', "unbalanced quote"), ("NOT lupus", "bare NOT")])
def test_malformed_query_is_a_message_not_a_traceback(db: Path, query: str, words: str) -> None:
    result = run("search", query, "--db", str(db))
    assert result.returncode == 2
    assert (
        words in result.stderr and "Traceback" not in result.stderr and "sqlite" not in result.stderr.lower()
    )


def test_trec_scoring_on_a_small_collection(target_trials: Path, tmp_path: Path) -> None:
    folder = tmp_path / "trec"
    (folder / "qrels").mkdir(parents=True)
    topics = [
        {
            "_id": "trec-20211",
            "text": "A 9-year-old boy with steroid-dependent nephrotic syndrome on tacrolimus.",
        },
        {"_id": "trec-20212", "text": "Woman with lupus nephritis class IV on mycophenolate mofetil (MMF)."},
    ]
    (folder / "queries.jsonl").write_bytes(b"\n".join(orjson.dumps(t) for t in topics) + b"\n")
    qrels = [
        ("trec-20211", "NCT04048161", 2),
        ("trec-20211", "NCT00371319", 0),
        ("trec-20211", "NCT09999999", 2),  # not held: left out
        ("trec-20212", "NCT00371319", 2),
        ("trec-20212", "NCT04048161", 0),
    ]
    lines = ["query-id\tcorpus-id\tscore", *(f"{q}\t{d}\t{s}" for q, d, s in qrels)]
    (folder / "qrels" / "test.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert [t.id for t in load_topics(folder)] == ["1", "2"]
    assert load_qrels(folder)["1"]["NCT04048161"] == 2

    store = MemoryStore()
    ingest([target_trials], store)
    report = run_trec(store, folder, out_dir=tmp_path / "runs")
    assert report.topics_scored == 2 and report.held_trials == 2
    for score in report.systems.values():
        assert score.ndcg_at_10 == pytest.approx(1.0) and score.p_at_10 == pytest.approx(0.1)
        assert set(score.per_topic) == {"1", "2"}
    # Both systems are perfect on both topics: no difference, and a CI that says so.
    assert report.as_dict()["ndcg@10 trialatlas - bm25"] == {
        "difference": 0.0,
        "ci_low": 0.0,
        "ci_high": 0.0,
        "confidence": 0.95,
        "queries": 2,
    }
    run_lines = (tmp_path / "runs" / "trialatlas.run").read_text().splitlines()
    assert run_lines[0].split() == ["1", "Q0", "NCT04048161", "1", run_lines[0].split()[4], "trialatlas"]
    assert len(run_lines) == 4


def test_ndcg_and_precision() -> None:
    judged = {"a": 2, "b": 1, "c": 0}
    assert ndcg_at(["a", "b", "c"], judged) == pytest.approx(1.0)
    assert ndcg_at(["c", "b", "a"], judged) < ndcg_at(["b", "a", "c"], judged) < 1.0
    assert precision_at(["a", "c", "b"], judged, k=2) == 0.5
