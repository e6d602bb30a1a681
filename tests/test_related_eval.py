"""TrialSim over the real pairs: the evaluation runs, writes its run file, and is not worse than BM25.

The store holds the description-dump records of every TrialSim id the dump has, plus every tenth
other record, so that idf is computed over a realistic corpus while the test stays quick.
"""

from __future__ import annotations

import lzma
from pathlib import Path

import pytest

from trialatlas.eval.trialsim import evaluate, read_pairs, write_run
from trialatlas.services.ingest import ingest
from trialatlas.store import SqliteStore

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pairs_path(shared_data: Path) -> Path:
    return shared_data / "trialsim_similarity" / "trialsim_pairs.tsv"


@pytest.fixture(scope="module")
def eval_store(tmp_path_factory: pytest.TempPathFactory, shared_data: Path, pairs_path: Path) -> Path:
    wanted = {p.target for p in read_pairs(pairs_path)} | {p.candidate for p in read_pairs(pairs_path)}
    folder = tmp_path_factory.mktemp("trialsim")
    dump = folder / "descriptions.jsonl"
    with dump.open("w", encoding="utf-8") as out:
        number = 0
        for part in sorted((shared_data / "ctgov_trial_descriptions_100k").glob("*.jsonl.xz")):
            with lzma.open(part, "rt", encoding="utf-8") as lines:
                for line in lines:
                    number += 1
                    nct = line[12:23]  # '{"nct_id": "NCT…"' — cheap, and checked below
                    if nct in wanted or number % 10 == 0:
                        out.write(line)
    path = folder / "trialsim.db"
    with SqliteStore(path) as store:
        report = ingest([dump], store)
        assert report.ok and report.read > 5000
        assert store.get("NCT02112175") is None or store.count() > 5000
    return path


def test_trialsim_beats_or_equals_bm25(eval_store: Path, pairs_path: Path, tmp_path: Path) -> None:
    pairs = read_pairs(pairs_path)
    with SqliteStore(eval_store) as store:
        report = evaluate(store, pairs)
    assert report.targets == len({p.target for p in pairs})
    assert report.targets_held >= 20
    assert report.targets_scored >= 10
    ours, bm25 = report.metrics["trialatlas"], report.metrics["bm25"]
    assert ours.p_at_5 >= bm25.p_at_5
    assert ours.ndcg_at_10 >= bm25.ndcg_at_10
    assert 0.0 < ours.p_at_1 <= 1.0

    run = tmp_path / "trialsim.run"
    lines = write_run(report, run)
    assert lines == report.candidates_held
    rows = [line.split() for line in run.read_text().splitlines()]
    assert all(len(row) == 6 and row[1] == "Q0" and row[5] == "trialatlas" for row in rows)
    by_target: dict[str, list[float]] = {}
    for target, _, _, rank, value, _ in rows:
        by_target.setdefault(target, []).append(float(value))
        assert int(rank) == len(by_target[target])
    assert all(values == sorted(values, reverse=True) for values in by_target.values())
