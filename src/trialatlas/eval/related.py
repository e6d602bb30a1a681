"""``trialatlas eval related``: related trials against plain BM25 on the cross-mention pairs (tuning
and sealed halves), the seed pages' listed related trials, and the TrialSim development labels.

The benchmark is built from the shared data (or a store given instead) into a scratch store whose
texts have every NCT number stripped (:mod:`trialatlas.eval.crossmention`). The scratch store can be
kept (``scratch=``) and is then reused with the pairs saved beside it (``<scratch>.pairs.json``).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import orjson

from trialatlas.config import shared_data_dir
from trialatlas.errors import TrialAtlasError
from trialatlas.eval.crossmention import (
    TOP,
    Benchmark,
    CrossMentionReport,
    evaluate_cross_mentions,
    scratch_copy,
)
from trialatlas.eval.trialsim import EvalReport, evaluate, read_pairs
from trialatlas.model import Trial
from trialatlas.related.baseline import TextBaseline, build_baseline, trial_text
from trialatlas.related.index import RelatedIndex, index_for
from trialatlas.related.service import related_trials
from trialatlas.sources.reading import read_paths
from trialatlas.store import SqliteStore
from trialatlas.store.base import TrialStore

# The shared records with full texts: the description dump, legacy XML, API v2, the target trials.
SHARED_INPUTS: tuple[str, ...] = (
    "ctgov_trial_descriptions_100k",
    "ctgov_legacy_xml_2023/ctgov_legacy_xml_feb2023.tar.gz",
    "ctgov_api_v2_samples/ctgov_api_v2_studies.jsonl.gz",
    "ctgov_target_trials",
)
TRIALSIM_PAIRS = "trialsim_similarity/trialsim_pairs.tsv"


def shared_inputs(data: Path | None = None) -> list[Path]:
    """The shared inputs the benchmark reads, the seed pages included."""
    data = data if data is not None else shared_data_dir()
    return [data / name for name in SHARED_INPUTS] + sorted((data.parent / "seeds").glob("*.txt"))


def read_trials(paths: Iterable[Path]) -> Iterator[Trial]:
    for result in read_paths(paths):
        if isinstance(result, Trial):
            yield result


@dataclass
class SeedCheck:
    """How many of the trials a page lists (and the store holds) each system puts in its top 10."""

    target: str
    listed_held: int
    found: dict[str, int]

    def as_dict(self) -> dict[str, object]:
        return {"target": self.target, "listed_held": self.listed_held, "in_top_10": self.found}


@dataclass
class RelatedEvaluation:
    cross: CrossMentionReport
    seeds: list[SeedCheck]
    trialsim: EvalReport | None

    def as_dict(self) -> dict[str, object]:
        return {
            "cross_mentions": self.cross.as_dict(),
            "seed_lists": [seed.as_dict() for seed in self.seeds],
            "trialsim": self.trialsim.as_dict() if self.trialsim is not None else None,
        }


def seed_checks(
    store: TrialStore, listed: dict[str, list[str]], index: RelatedIndex, baseline: TextBaseline
) -> list[SeedCheck]:
    """For each trial with listed relations held in the store: listed trials in each system's top 10."""
    stored = set(store.keys())
    rows = {key: row for row, key in enumerate(baseline.keys)}
    checks: list[SeedCheck] = []
    for target, ids in listed.items():
        held = set(ids) & stored - {target}
        trial = store.get(target)
        if not held or trial is None:
            continue
        ours = {r.nct_id for r in related_trials(store, target, TOP, index=index)}
        values = baseline.bm25(trial_text(trial))
        if (row := rows.get(trial.key)) is not None:
            values[row] = -np.inf
        plain = {baseline.keys[int(i)] for i in np.argsort(-values, kind="stable")[:TOP]}
        checks.append(
            SeedCheck(target, len(held), {"trialatlas": len(ours & held), "bm25": len(plain & held)})
        )
    return checks


def _benchmark_path(scratch: Path) -> Path:
    return scratch.with_name(scratch.name + ".pairs.json")


def prepare(
    scratch: Path, trials: Callable[[], Iterable[Trial]], on_stage: Callable[[str], None] | None = None
) -> Benchmark:
    """The scratch store at ``scratch`` and its benchmark: reused when both exist, else made."""
    saved = _benchmark_path(scratch)
    if scratch.is_file() and saved.is_file():
        return Benchmark.from_json(orjson.loads(saved.read_bytes()))
    if scratch.exists():
        raise TrialAtlasError(f"{scratch} exists but was not made by this evaluation (no {saved.name})")
    if on_stage:
        on_stage("scratch store with every NCT number stripped")
    with SqliteStore(scratch) as store:
        benchmark = scratch_copy(trials(), store)
    saved.write_bytes(orjson.dumps(benchmark.as_json()))
    return benchmark


def evaluate_related(
    trials: Callable[[], Iterable[Trial]],
    *,
    scratch: Path | None = None,
    trialsim_pairs: Path | None = None,
    on_stage: Callable[[str], None] | None = None,
) -> RelatedEvaluation:
    """The whole evaluation; ``trials`` gives the records to copy (the shared data by default)."""
    with tempfile.TemporaryDirectory(prefix="trialatlas-eval-related-") as folder:
        path = scratch if scratch is not None else Path(folder) / "scratch.db"
        benchmark = prepare(path, trials, on_stage)
        with SqliteStore(path) as store:
            if on_stage:
                on_stage("related-trials index")
            index = index_for(store)
            if on_stage:
                on_stage("BM25 baseline over the same texts")
            baseline = build_baseline(store.iter_trials())
            cross = evaluate_cross_mentions(
                store, benchmark.pairs, index=index, baseline=baseline, on_stage=on_stage
            )
            if on_stage:
                on_stage("seed pages' listed trials")
            seeds = seed_checks(store, benchmark.listed, index, baseline)
            trialsim = None
            if trialsim_pairs is not None and trialsim_pairs.is_file():
                if on_stage:
                    on_stage("TrialSim")
                trialsim = evaluate(store, read_pairs(trialsim_pairs), index=index, baseline=baseline)
    return RelatedEvaluation(cross, seeds, trialsim)
