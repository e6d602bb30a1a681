"""TrialSim: how well related trials agree with experts, beside a plain text baseline.

The pairs file (``trialsim_pairs.tsv``: ``query_index, target_trial, candidate_rank, candidate_trial,
label``) gives, per target trial, ten candidates labelled 1 (similar) or 0 by experts. For each target
the store holds, its candidates that the store holds are reranked by the related-trials similarity and
by BM25 and TF-IDF over the same text; P@1, P@5 and NDCG@10 are averaged over targets that have at
least one similar candidate held (others carry no signal: every ranking scores 0 on them).
"""

from __future__ import annotations

import csv
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from trialatlas.errors import TrialAtlasError
from trialatlas.eval.metrics import ndcg_at, precision_at
from trialatlas.related.baseline import TextBaseline, build_baseline, trial_text
from trialatlas.related.features import lexical_text, title_text
from trialatlas.related.index import F64, RelatedIndex, index_for
from trialatlas.related.similarity import query_of_rows, score
from trialatlas.store.base import TrialStore

SYSTEMS: tuple[str, ...] = ("trialatlas", "bm25", "tfidf")


@dataclass(frozen=True)
class Pair:
    target: str
    candidate: str
    label: int


def read_pairs(path: str | Path) -> list[Pair]:
    pairs: list[Pair] = []
    try:
        with Path(path).open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                pairs.append(
                    Pair(row["target_trial"].strip(), row["candidate_trial"].strip(), int(row["label"]))
                )
    except (OSError, KeyError, ValueError) as exc:
        raise TrialAtlasError(f"{path}: not a TrialSim pairs file: {exc}") from exc
    return pairs


@dataclass
class Metrics:
    p_at_1: float = 0.0
    p_at_5: float = 0.0
    ndcg_at_10: float = 0.0

    def as_dict(self) -> dict[str, float]:
        return {
            "P@1": round(self.p_at_1, 4),
            "P@5": round(self.p_at_5, 4),
            "NDCG@10": round(self.ndcg_at_10, 4),
        }


@dataclass
class EvalReport:
    targets: int = 0
    targets_held: int = 0
    targets_scored: int = 0
    candidates_held: int = 0
    metrics: dict[str, Metrics] = field(default_factory=dict)
    rankings: dict[str, dict[str, list[tuple[str, float]]]] = field(default_factory=dict)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, object]:
        return {
            "targets": self.targets,
            "targets_held": self.targets_held,
            "targets_scored": self.targets_scored,
            "candidates_held": self.candidates_held,
            "metrics": {name: m.as_dict() for name, m in self.metrics.items()},
            "seconds": round(self.seconds, 2),
        }


def _rank(candidates: list[str], values: dict[str, float]) -> list[tuple[str, float]]:
    # Ties go by NCT id, never by the pairs file's own candidate order.
    return sorted(((c, values[c]) for c in candidates), key=lambda item: (-item[1], item[0]))


def evaluate(
    store: TrialStore,
    pairs: Sequence[Pair],
    *,
    index: RelatedIndex | None = None,
    baseline: TextBaseline | None = None,
    on_stage: Callable[[str], None] | None = None,
) -> EvalReport:
    started = time.perf_counter()
    if on_stage:
        on_stage("related-trials index")
    index = index if index is not None else index_for(store)
    if on_stage:
        on_stage("text baseline")
    baseline = baseline if baseline is not None else build_baseline(store.iter_trials())
    baseline_rows = {key: row for row, key in enumerate(baseline.keys)}
    by_target: dict[str, list[Pair]] = {}
    for pair in pairs:
        by_target.setdefault(pair.target, []).append(pair)
    report = EvalReport(targets=len(by_target))
    totals = {name: Metrics() for name in SYSTEMS}
    targets = {t.key: t for t in store.get_many(list(by_target))}
    texts = {key: trial_text(t) for key, t in targets.items()}
    for target, rows in by_target.items():
        target_row = index.row_of(target)
        if target_row is None or target not in texts:
            continue
        held = [p for p in rows if index.row_of(p.candidate) is not None and p.candidate in baseline_rows]
        if not held:
            continue
        report.targets_held += 1
        report.candidates_held += len(held)
        labels = {p.candidate: p.label for p in held}
        candidates = sorted(labels)
        candidate_rows = [row for c in candidates if (row := index.row_of(c)) is not None]
        query = query_of_rows(
            index, [target_row], text=lexical_text(targets[target]), title=title_text(targets[target])
        )
        ours = score(index, query, must=candidate_rows).total
        bm25 = baseline.bm25(texts[target])
        tfidf = baseline.tfidf(texts[target])
        per_system: dict[str, F64] = {"trialatlas": ours, "bm25": bm25, "tfidf": tfidf}
        rankings: dict[str, list[tuple[str, float]]] = {}
        for name, values in per_system.items():
            rows_of = index.row_of if name == "trialatlas" else baseline_rows.get
            picked = {c: float(values[row]) for c in candidates if (row := rows_of(c)) is not None}
            rankings[name] = _rank(candidates, picked)
        report.rankings[target] = rankings
        if not any(labels.values()):
            continue
        report.targets_scored += 1
        for name, ranking in rankings.items():
            ranked = [c for c, _ in ranking]
            totals[name].p_at_1 += precision_at(ranked, labels, 1, grade=1)
            totals[name].p_at_5 += precision_at(ranked, labels, 5, grade=1)
            totals[name].ndcg_at_10 += ndcg_at(ranked, labels, 10)
    scored = max(report.targets_scored, 1)
    report.metrics = {
        name: Metrics(m.p_at_1 / scored, m.p_at_5 / scored, m.ndcg_at_10 / scored)
        for name, m in totals.items()
    }
    report.seconds = time.perf_counter() - started
    return report


def write_run(report: EvalReport, path: str | Path, system: str = "trialatlas") -> int:
    """A TREC run file, ``target Q0 candidate rank score tag``; how many lines it wrote."""
    lines: list[str] = []
    for target in sorted(report.rankings):
        for rank, (candidate, value) in enumerate(report.rankings[target][system], start=1):
            lines.append(f"{target} Q0 {candidate} {rank} {value:.6f} {system}")
    Path(path).write_text("\n".join(lines) + ("\n" if lines else ""), encoding="utf-8")
    return len(lines)
