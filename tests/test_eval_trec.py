"""The one TREC scoring every evaluation shares (eval.trec.score_systems): search's and matching's."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import orjson
import pytest

import trialatlas
from trialatlas.eval.trec import Ranker, Topic, score_systems, write_runs

TOPICS = [Topic("t1", "first patient"), Topic("t2", "second patient"), Topic("t3", "nothing relevant")]
JUDGMENTS = {
    "t1": {"A": 2, "B": 0, "C": 1, "Z": 2},  # Z is judged but not held
    "t2": {"A": 0, "B": 1},
    "t3": {"A": 0, "C": 0},
}
HELD = {"A", "B", "C"}
SYSTEM_ROW = re.compile(r"^\W*(trialatlas|bm25)\W+[01]\.\d{4}\W+[01]\.\d{4}\W*$")


def _fixed(order: Sequence[str]) -> Ranker:
    def rank(topic: Topic, keys: Sequence[str]) -> Mapping[str, float]:
        return {key: float(len(order) - order.index(key)) for key in keys if key in order}

    return rank


def test_every_system_ranks_the_same_held_candidates_and_is_scored_on_them() -> None:
    report = score_systems(
        TOPICS, JUDGMENTS, HELD, {"good": _fixed(["A", "C", "B"]), "none": _fixed([])}, relevant_grade=2
    )
    assert (report.topics, report.topics_scored, report.judged_trials, report.held_trials) == (3, 2, 4, 3)
    good, none = report.systems["good"], report.systems["none"]
    # Unheld Z is never ranked; t3 (nothing above 0) is ranked but not scored.
    assert {key for _, key, _, _ in good.run} == HELD
    assert [key for topic, key, _, _ in none.run if topic == "t1"] == ["A", "B", "C"]  # ties: key order
    assert set(good.per_topic) == {"t1", "t2"}
    assert good.per_topic["t1"][1] == pytest.approx(0.1)  # one grade-2 trial in the top 10
    assert good.per_topic["t2"][1] == 0.0  # B is graded 1: not counted at grade 2
    assert good.ndcg_at_10 == pytest.approx(sum(n for n, _ in good.per_topic.values()) / 2)
    assert good.ndcg_at_10 > none.ndcg_at_10


def test_the_relevant_grade_decides_what_precision_counts() -> None:
    eligible = score_systems(TOPICS, JUDGMENTS, HELD, {"s": _fixed(["A", "C", "B"])}, relevant_grade=2)
    relevant = score_systems(TOPICS, JUDGMENTS, HELD, {"s": _fixed(["A", "C", "B"])}, relevant_grade=1)
    assert eligible.systems["s"].per_topic["t1"][1] == pytest.approx(0.1)
    assert relevant.systems["s"].per_topic["t1"][1] == pytest.approx(0.2)
    assert relevant.systems["s"].ndcg_at_10 == eligible.systems["s"].ndcg_at_10


def test_the_paired_difference_and_the_runs(tmp_path: Path) -> None:
    report = score_systems(
        TOPICS,
        JUDGMENTS,
        HELD,
        {"trialatlas": _fixed(["A", "C", "B"]), "bm25": _fixed(["B", "C", "A"])},
        relevant_grade=1,
    )
    difference = report.difference()
    assert difference is not None and difference.queries == 2
    ours, theirs = report.systems["trialatlas"], report.systems["bm25"]
    assert difference.mean == pytest.approx(ours.ndcg_at_10 - theirs.ndcg_at_10)
    figures = report.as_dict()
    assert "held_trials_with_criteria" not in figures and figures["ndcg@10 trialatlas - bm25"]
    paths = write_runs(report, lambda name: tmp_path / "runs" / f"{name}.run")
    lines = paths[0].read_text().splitlines()
    assert len(lines) == len(ours.run) and lines[0].split()[1] == "Q0" and lines[0].endswith(" trialatlas")


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "120"}
    env.pop("TRIALATLAS_DB", None)
    return subprocess.run(
        [sys.executable, "-m", "trialatlas", *args], capture_output=True, text=True, env=env
    )


def test_both_commands_show_one_table_and_the_paired_difference(target_trials: Path, tmp_path: Path) -> None:
    db = tmp_path / "atlas.db"
    store = trialatlas.open_store(str(db))
    try:
        trialatlas.ingest([target_trials], store)
    finally:
        store.close()
    folder = tmp_path / "trec"
    (folder / "qrels").mkdir(parents=True)
    topics = [
        {"_id": "trec-20211", "text": "A 9-year-old boy with steroid-dependent nephrotic syndrome."},
        {"_id": "trec-20212", "text": "Woman with lupus nephritis class IV on mycophenolate mofetil."},
    ]
    (folder / "queries.jsonl").write_bytes(b"\n".join(orjson.dumps(t) for t in topics) + b"\n")
    qrels = ["query-id\tcorpus-id\tscore", "trec-20211\tNCT04048161\t2", "trec-20211\tNCT00371319\t0"]
    qrels += ["trec-20212\tNCT00371319\t2", "trec-20212\tNCT04048161\t0"]
    (folder / "qrels" / "test.tsv").write_text("\n".join(qrels) + "\n", encoding="utf-8")
    searched = _cli("search-eval", "--db", str(db), "--data", str(folder), "--out", str(tmp_path / "runs"))
    matched = _cli(
        "eval",
        "trec",
        "--db",
        str(db),
        "--topics",
        str(folder / "queries.jsonl"),
        "--qrels",
        str(folder / "qrels" / "test.tsv"),
    )
    for done, precision in ((searched, "P@10"), (matched, "P@10 (eligible)")):
        assert done.returncode == 0, done.stderr
        header = next(line for line in done.stdout.splitlines() if "NDCG@10" in line and "system" in line)
        assert precision in header
        assert "NDCG@10 trialatlas - bm25:" in done.stdout and "paired bootstrap" in done.stdout
        # One row per system: its name, NDCG@10 and P@10 with four decimals (table borders aside).
        rows = [line for line in done.stdout.splitlines() if SYSTEM_ROW.match(line)]
        assert sorted(SYSTEM_ROW.match(row)[1] for row in rows) == ["bm25", "trialatlas"]  # type: ignore[index]
