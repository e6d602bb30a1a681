"""TREC-style evaluation of patient-to-trial matching: metrics, judgments, run files, the CLI."""

from __future__ import annotations

import json
import math
import re
from collections import defaultdict
from pathlib import Path

import pytest
from typer.testing import CliRunner

from trialatlas.cli import (
    app,
    commands,  # noqa: F401  (registers the commands)
)
from trialatlas.eval.matching import (
    Topic,
    TrecEvaluation,
    build_collection,
    evaluate,
    evaluate_trec,
    held_trials,
    load_qrels,
    load_topics,
    ndcg_at,
    precision_at,
    rank_matcher,
)
from trialatlas.match.matcher import rank
from trialatlas.match.patient import profile_from_note
from trialatlas.match.relevance import RelevanceStats, TrialTerms
from trialatlas.model import Trial
from trialatlas.sources import read_paths
from trialatlas.store import TrialStore, open_store

RUN_LINE = re.compile(
    r"^(?P<topic>\S+) Q0 (?P<trial>NCT\d{8}) (?P<rank>\d+) (?P<score>-?\d+\.\d{6}) (?P<tag>\S+)$"
)


def test_ndcg_and_precision_on_a_hand_worked_case() -> None:
    judgments = {"A": 2, "B": 1, "C": 0, "D": 2}
    ranking = ["C", "A", "B", "D"]
    # DCG = 0/log2(2) + 2/log2(3) + 1/log2(4) + 2/log2(5); ideal order 2, 2, 1, 0.
    dcg = 2 / math.log2(3) + 1 / 2 + 2 / math.log2(5)
    ideal = 2 + 2 / math.log2(3) + 1 / 2
    assert ndcg_at(ranking, judgments) == pytest.approx(dcg / ideal)
    assert ndcg_at(ranking, judgments) == pytest.approx(0.6973, abs=1e-4)
    assert ndcg_at(["A", "D", "B", "C"], judgments) == pytest.approx(1.0)
    # Only the first k places count, and the ideal is cut at k too.
    assert ndcg_at(["C", "A"], judgments, k=1) == 0.0
    assert ndcg_at(["A"], judgments, k=1) == pytest.approx(1.0)
    # P@10 counts eligible (grade 2) trials over ten places; excluded (1) ones do not count.
    assert precision_at(ranking, judgments) == pytest.approx(0.2)
    assert precision_at(ranking, judgments, k=2) == pytest.approx(0.5)
    assert precision_at(["B"], judgments, k=1) == 0.0
    assert ndcg_at(["X"], {"X": 0}) == 0.0


def test_judgments_and_topics_files(tmp_path: Path) -> None:
    qrels = tmp_path / "qrels.tsv"
    qrels.write_text(
        "query-id\tcorpus-id\tscore\nt1\tNCT00000001\t2\nt1\tNCT00000002\t0\nt2\tNCT00000003\t1\n"
    )
    assert load_qrels(qrels) == {"t1": {"NCT00000001": 2, "NCT00000002": 0}, "t2": {"NCT00000003": 1}}
    trec = tmp_path / "qrels.txt"
    trec.write_text("1 0 NCT00000001 2\n1 0 NCT00000002 1\n")
    assert load_qrels(trec) == {"1": {"NCT00000001": 2, "NCT00000002": 1}}
    bad = tmp_path / "bad.tsv"
    bad.write_text("t1\tNCT00000001\t2\nt1\tNCT00000002\n")
    with pytest.raises(ValueError, match=r"bad\.tsv:2"):
        load_qrels(bad)
    topics = tmp_path / "queries.jsonl"
    topics.write_text('{"_id": "t1", "text": "A 60-year-old man."}\n\n{"_id": "t2", "text": "A girl."}\n')
    assert load_topics(topics) == [Topic("t1", "A 60-year-old man."), Topic("t2", "A girl.")]
    topics.write_text('{"id": "t1"}\n')
    with pytest.raises(ValueError, match="_id and text"):
        load_topics(topics)


@pytest.fixture(scope="module")
def small_store(tarball_store: TrialStore) -> TrialStore:
    """The shared API v2 samples and legacy XML tarball (conftest's store): the judged trials that
    overlap them."""
    return tarball_store


@pytest.fixture(scope="module")
def sigir(shared_data: Path) -> Path:
    return shared_data / "trialgpt_benchmarks" / "sigir"


def _read_run(path: Path) -> dict[str, list[tuple[str, int, float, str]]]:
    runs: dict[str, list[tuple[str, int, float, str]]] = defaultdict(list)
    for line in path.read_text().splitlines():
        match = RUN_LINE.match(line)
        assert match, line
        runs[match["topic"]].append((match["trial"], int(match["rank"]), float(match["score"]), match["tag"]))
    return runs


def test_run_files_rank_every_held_judged_trial_once(
    small_store: TrialStore, sigir: Path, tmp_path: Path
) -> None:
    run = tmp_path / "out" / "sigir.run"
    report = evaluate_trec(small_store, sigir / "queries.jsonl", sigir / "qrels" / "test.tsv", run)
    qrels = load_qrels(sigir / "qrels" / "test.tsv")
    held = {t.key for t in held_trials(small_store, (k for j in qrels.values() for k in j))}
    assert report.held_trials == len(held) > 50  # the overlap of the judged trials with the small store
    assert report.held_with_criteria == report.held_trials  # XML and API v2 records carry criteria
    for path, tag in ((run, "trialatlas"), (tmp_path / "out" / "sigir.bm25.run", "bm25")):
        runs = _read_run(path)
        assert runs, path
        for topic, rows in runs.items():
            wanted = {key for key in qrels[topic] if key in held}
            assert sorted(key for key, _, _, _ in rows) == sorted(wanted)
            assert [rank for _, rank, _, _ in rows] == list(range(1, len(rows) + 1))
            scores = [score for _, _, score, _ in rows]
            assert scores == sorted(scores, reverse=True)
            assert {row_tag for _, _, _, row_tag in rows} == {tag}


def test_reported_metrics_are_those_of_the_run(small_store: TrialStore, sigir: Path, tmp_path: Path) -> None:
    run = tmp_path / "sigir.run"
    report = evaluate_trec(small_store, sigir / "queries.jsonl", sigir / "qrels" / "test.tsv", run)
    qrels = load_qrels(sigir / "qrels" / "test.tsv")
    for name, path in (("trialatlas", run), ("bm25", tmp_path / "sigir.bm25.run")):
        ndcg, precision = [], []
        for topic, rows in _read_run(path).items():
            judged = {key: qrels[topic][key] for key, _, _, _ in rows}
            if any(grade > 0 for grade in judged.values()):
                ranking = [key for key, _, _, _ in rows]
                ndcg.append(ndcg_at(ranking, judged))
                precision.append(precision_at(ranking, judged))
        result = report.systems[name]
        assert len(ndcg) == report.topics_scored == len(result.per_topic)
        assert result.ndcg_at_10 == pytest.approx(sum(ndcg) / len(ndcg))
        assert result.p_at_10 == pytest.approx(sum(precision) / len(precision))
        assert 0.0 < result.ndcg_at_10 <= 1.0


def test_an_ineligible_trial_falls_below_an_equally_relevant_one(target_trials: Path) -> None:
    trials = [t for t in read_paths([target_trials / "NCT04048161.xml"]) if isinstance(t, Trial)]
    assert len(trials) == 1
    # Same trial text twice: only the verdict can separate them (an adult cannot join a 2-18 trial).
    child = Topic("child", "A 10-year-old boy with frequently relapsing nephrotic syndrome.")
    adult = Topic("adult", "A 45-year-old man with frequently relapsing nephrotic syndrome.")
    judgments = {"child": {"NCT04048161": 2}, "adult": {"NCT04048161": 1}}
    report: TrecEvaluation = evaluate([child, adult], judgments, trials)
    scores = {topic: score for topic, _, _, score in report.systems["trialatlas"].run}
    assert scores["adult"] < scores["child"]
    bm25 = {topic: score for topic, _, _, score in report.systems["bm25"].run}
    assert bm25["adult"] == pytest.approx(bm25["child"], rel=0.2)


def test_cli_eval_trec(small_store: TrialStore, sigir: Path, tmp_path: Path) -> None:
    db = tmp_path / "cli.db"
    store = open_store(str(db))
    store.upsert_batch(
        small_store.get_many(
            sorted({k for j in load_qrels(sigir / "qrels" / "test.tsv").values() for k in j})
        )
    )
    store.close()
    run = tmp_path / "cli.run"
    args = ["eval", "trec", "--db", str(db), "--topics", str(sigir / "queries.jsonl")]
    args += ["--qrels", str(sigir / "qrels" / "test.tsv"), "--run", str(run), "--json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert set(figures["systems"]) == {"trialatlas", "bm25"}
    assert 0.0 < figures["systems"]["trialatlas"]["ndcg@10"] <= 1.0
    assert run.is_file() and (tmp_path / "cli.bm25.run").is_file()
    missing = CliRunner().invoke(
        app, ["eval", "trec", "--db", str(db), "--topics", "nope.jsonl", "--qrels", "x"]
    )
    assert missing.exit_code == 2


def test_match_ranks_by_the_evaluated_ranker(target_trials: Path) -> None:
    """``trialatlas match`` scores a trial as ``eval trec`` does (relevance × verdict factor; the
    matcher reports relevance on a 0-1 scale, half the evaluation's 0-2)."""
    trials = [t for t in read_paths([target_trials / "NCT04048161.xml"]) if isinstance(t, Trial)]
    collection = build_collection(trials)
    stats = RelevanceStats.of(TrialTerms.of(t) for t in trials)
    for text in (
        "A 10-year-old boy with frequently relapsing nephrotic syndrome.",
        "A 45-year-old man with frequently relapsing nephrotic syndrome.",
    ):
        evaluated = rank_matcher(collection, Topic("t", text), ["NCT04048161"])["NCT04048161"]
        matched = rank(profile_from_note(text, "t"), trials, stats, top=1)
        assert matched and matched[0].score == pytest.approx(evaluated / 2)
