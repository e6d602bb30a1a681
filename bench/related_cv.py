"""What the related ranking's tuning is worth on pairs it was not tuned on: cross-validation by query
trial inside the TUNING half of the cross-mention pairs (the sealed half is never opened here).

Every weight, threshold and switch of the ranking (``related/similarity.py``: RERANK, GATE_FLOOR,
QUOTED_BONUS, LEADER_PLACE) was chosen over ten rounds on the same 106 tuning pairs. This harness
computes, once, for every tuning query trial of a scratch store made by ``trialatlas eval related
--scratch PATH``, the whole candidate union the service draws from (the lexical and structured pools,
about 250 trials) with every signal's raw value (``similarity.rerank_signals``), checks that re-mixing
them with the shipped settings reproduces the service's top 10 for every query, and then re-ranks
offline:

* ``shipped``: today's settings as they are (chosen on all 106 pairs: an in-sample figure there);
* ``reselected``: every setting chosen again on the training folds of each split (a grid around
  today's values; best training recall@10, then MRR@10, then the setting nearest today's), scored on
  the held-out queries — the honest estimate of the ranking's tuning on new pairs;
* simpler rankings (fewer signals, BM25 or TF-IDF plus one structured signal, the lexical signals
  alone) chosen the same way, and a conditional logit (softmax over a query's candidates, L2 penalty
  chosen by an inner cross-validation on the training folds) on the same features;

each beside plain BM25 (``related/baseline.py`` over titles, summaries and descriptions, as ``eval
related`` runs it) on the same folds, with a paired bootstrap over query trials, the per-fold spread
and which choices are stable across folds. The reverse direction (the partner as the query, the
query trial its answer) of the tuning pairs is scored with the settings chosen on all forward pairs.

``--secondary`` runs the seed lists and TrialSim with today's settings and with others (RERANK weights,
``floor`` for GATE_FLOOR). ``--sealed-reverse`` prints, as aggregates only, the shipped ranking and
BM25 on the sealed half's pairs in the reverse direction (run once, at the end of a round).

Usage: python bench/related_cv.py --scratch /path/to/store.db [--folds 10] [--cache PATH]
       python bench/related_cv.py --scratch /path/to/store.db --sealed-reverse
       python bench/related_cv.py --scratch /path/to/store.db --secondary "structured=0;floor=1"
(see docs/related.md, twelfth round)
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import pickle
import statistics
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from trialatlas.config import shared_data_dir
from trialatlas.eval.crossmention import SEALED, TUNING, Benchmark
from trialatlas.eval.related import TRIALSIM_PAIRS, seed_checks
from trialatlas.eval.trialsim import evaluate, read_pairs
from trialatlas.related import index_for, similarity
from trialatlas.related.baseline import TextBaseline, build_baseline, trial_text
from trialatlas.related.index import RelatedIndex
from trialatlas.related.service import _trial_query, related_trials
from trialatlas.store import SqliteStore

TOP = 10
SIGNALS = ("tfidf", "bm25", "title", "passages", "structured")
LEXICAL = ("tfidf", "bm25", "title", "passages")
# The structured components a learner may read besides the mixed signals.
EXTRA = ("cond", "drug", "text", "design", "pop")


@dataclass
class Lookup:
    """One query trial's candidates (rows, ascending, as ``score`` keeps them) and their raw signals."""

    query: str
    rows: np.ndarray
    scaled: dict[str, np.ndarray | None]  # each signal divided by its best among the candidates
    closeness: np.ndarray  # the conditions gate's closeness (cond cosine / GATE_FULL, at most 1)
    gated: np.ndarray  # whether the gate applies (both name conditions)
    quoted: np.ndarray | None
    extra: dict[str, np.ndarray]  # structured components (NaN -> 0)
    answers: dict[str, int]  # relevant key -> its row (-1 when not indexed)
    # A signal measured beside today's (bench/related_signals.py), per candidate in [0, 1]: None for none.
    added: np.ndarray | None = None


def lookup(
    index: RelatedIndex, store: SqliteStore, key: str, answers: Sequence[str], must: Sequence[int] = ()
) -> Lookup:
    trial = store.get(key)
    assert trial is not None
    query = _trial_query(index, trial)
    structured = similarity.structured_score(index, query, must=must)
    found = similarity.rerank_signals(index, query, structured, must=must)
    scaled: dict[str, np.ndarray | None] = {}
    for name in SIGNALS:
        values = found.values[name]
        if values is None:
            scaled[name] = None
            continue
        best = float(values.max()) if values.size else 0.0
        scaled[name] = values / best if best > 0 else values
    rows = found.candidates
    cond = structured.components.get("cond")
    query_has_cond = query.vectors.get("cond", (np.zeros(0),))[0].size > 0
    if cond is None or not query_has_cond:
        closeness, gated = np.zeros(rows.size), np.zeros(rows.size, dtype=bool)
    else:
        closeness = np.minimum(np.nan_to_num(cond[rows]) / similarity.GATE_FULL, 1.0)
        gated = index.families["cond"].has()[rows]
    gate = np.where(gated, similarity.GATE_FLOOR + (1 - similarity.GATE_FLOOR) * closeness, 1.0)
    assert np.allclose(gate, found.gate), f"{key}: the gate is not reproduced"
    extra = {
        name: np.nan_to_num(structured.components[name][rows])
        if name in structured.components
        else np.zeros(rows.size)
        for name in EXTRA
    }
    answer_rows = {a: (row if (row := index.row_of(a)) is not None else -1) for a in answers}
    return Lookup(key, rows, scaled, closeness, gated, found.quoted, extra, answer_rows)


# --- the ranking, re-mixed offline for many settings at once ------------------------------------------


@dataclass(frozen=True)
class Setting:
    tfidf: float = 1.0
    bm25: float = 0.5
    title: float = 0.25
    passages: float = 0.15
    structured: float = 0.25
    floor: float = 0.8  # the conditions gate's floor (1: no gate)
    quoted: float = 0.5  # the quoted-title bonus (0: none)
    leader: int = 10  # the lexical leader's place (0: not kept)
    # The added signal (Lookup.added): a weight among the lexical signals, and a bonus over the gated
    # score like the quoted title's (0: not used; bench/related_signals.py).
    added_mix: float = 0.0
    added_bonus: float = 0.0

    def weight(self, name: str) -> float:
        value: float = getattr(self, name)
        return value


SHIPPED = Setting(
    tfidf=similarity.RERANK["tfidf"],
    bm25=similarity.RERANK["bm25"],
    title=similarity.RERANK["title"],
    passages=similarity.RERANK["passages"],
    structured=similarity.RERANK["structured"],
    floor=similarity.GATE_FLOOR,
    quoted=similarity.QUOTED_BONUS,
    leader=similarity.LEADER_PLACE,
)


def ranks(found: Lookup, settings: Sequence[Setting]) -> np.ndarray:
    """For each setting (rows) and each answer (columns), the answer's rank (1-based; 0: not a candidate)."""
    n = found.rows.size
    count = len(settings)
    mixed = np.zeros((count, n))
    weights = np.zeros((count, 1))
    lexical = np.zeros((count, n))
    for name in SIGNALS:
        values = found.scaled[name]
        if values is None:
            continue
        w = np.array([[s.weight(name)] for s in settings])
        mixed += w * values
        weights += w
        if name in LEXICAL:
            lexical += w * values
    if found.added is not None:
        w = np.array([[s.added_mix] for s in settings])
        mixed += w * found.added
        weights += w
        lexical += w * found.added
    floor = np.array([[s.floor] for s in settings])
    gate = np.where(found.gated, floor + (1 - floor) * found.closeness, 1.0)
    total = mixed / np.where(weights > 0, weights, 1.0) * gate
    if found.quoted is not None:
        bonus = np.array([[s.quoted] for s in settings])
        total = (total + bonus * found.quoted) / (1.0 + bonus)
    if found.added is not None:
        bonus = np.array([[s.added_bonus] for s in settings])
        total = (total + bonus * found.added) / (1.0 + bonus)
    places = np.array([s.leader for s in settings])
    if n > 0:
        leader = np.argmax(lexical, axis=1)
        for place in set(places.tolist()) - {0}:
            if n <= place:
                continue
            chosen = np.flatnonzero(places == place)
            part = np.partition(total[chosen], n - place, axis=1)[:, n - place]
            lead = leader[chosen]
            low = total[chosen, lead] < part
            total[chosen[low], lead[low]] = np.nextafter(part[low], np.inf)
    out = np.zeros((count, len(found.answers)), dtype=np.int64)
    for column, row in enumerate(found.answers.values()):
        where = np.flatnonzero(found.rows == row)
        if where.size == 0:
            continue
        mine = total[:, where[0]][:, None]
        above = (total > mine) | ((total == mine) & (found.rows < row))
        out[:, column] = above.sum(axis=1) + 1
    return out


def top_keys(found: Lookup, setting: Setting, keys: Sequence[str]) -> list[str]:
    """The setting's top 10 as keys (for the check against the service)."""
    probe = Lookup(
        found.query,
        found.rows,
        found.scaled,
        found.closeness,
        found.gated,
        found.quoted,
        found.extra,
        {keys[int(r)]: int(r) for r in found.rows},
    )
    placed = ranks(probe, [setting])[0]
    order = np.argsort(placed, kind="stable")
    return [keys[int(found.rows[i])] for i in order[:TOP]]


# --- scoring ----------------------------------------------------------------------------------------


@dataclass
class Pairs:
    """The pairs (query, answer) in a fixed order, with each pair's query and fold."""

    queries: list[str]
    answers: list[str]
    fold: np.ndarray

    def of(self, folds: set[int] | None, held: bool) -> np.ndarray:
        if folds is None:
            return np.ones(len(self.queries), dtype=bool)
        inside = np.isin(self.fold, sorted(folds))
        return inside if held else ~inside


def fold_of(query: str, folds: int, seed: str) -> int:
    return int(hashlib.sha256(f"{seed}:{query}".encode()).hexdigest()[:8], 16) % folds


def recall(rank: np.ndarray) -> np.ndarray:
    return ((rank > 0) & (rank <= TOP)).astype(float)


def mrr(rank: np.ndarray) -> np.ndarray:
    return np.where((rank > 0) & (rank <= TOP), 1.0 / np.maximum(rank, 1), 0.0)


def pair_ranks(pairs: Pairs, found: dict[str, Lookup], settings: Sequence[Setting]) -> np.ndarray:
    """Ranks of every pair's answer under every setting: (settings, pairs)."""
    out = np.zeros((len(settings), len(pairs.queries)), dtype=np.int64)
    by_query: dict[str, list[int]] = {}
    for i, q in enumerate(pairs.queries):
        by_query.setdefault(q, []).append(i)
    for q, positions in by_query.items():
        placed = ranks(found[q], settings)
        columns = list(found[q].answers)
        for i in positions:
            out[:, i] = placed[:, columns.index(pairs.answers[i])]
    return out


def choose(table: np.ndarray, train: np.ndarray, distance: np.ndarray, use_mrr: bool = True) -> int:
    """The setting with the best training recall@10, then MRR@10 (unless not ``use_mrr``), then the
    nearest today's."""
    r = recall(table[:, train]).sum(axis=1)
    m = mrr(table[:, train]).sum(axis=1) if use_mrr else np.zeros(table.shape[0])
    return int(np.lexsort((distance, -m, -r))[0])


def cross_validate(
    pairs: Pairs, table: np.ndarray, distance: np.ndarray, folds: list[int], use_mrr: bool = True
) -> tuple[np.ndarray, list[int]]:
    """Held-out ranks of every pair (each fold's choice made on the others), and each fold's choice."""
    held = np.zeros(table.shape[1], dtype=np.int64)
    chosen = []
    for fold in folds:
        test = pairs.of({fold}, held=True)
        pick = choose(table, ~test, distance, use_mrr)
        chosen.append(pick)
        held[test] = table[pick, test]
    return held, chosen


def query_bootstrap(
    queries: Sequence[str], a: np.ndarray, b: np.ndarray, samples: int = 10_000, seed: int = 0
) -> dict[str, float]:
    """Mean per-pair difference a - b and its 95% interval, resampling query trials (their pairs together)."""
    ids = sorted(set(queries))
    index = {q: i for i, q in enumerate(ids)}
    cluster = np.array([index[q] for q in queries])
    diff_sum = np.bincount(cluster, weights=a - b, minlength=len(ids))
    size = np.bincount(cluster, minlength=len(ids)).astype(float)
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(ids), size=(samples, len(ids)))
    means = diff_sum[draws].sum(axis=1) / size[draws].sum(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return {
        "difference": round(float((a - b).mean()), 4),
        "ci_low": round(float(low), 4),
        "ci_high": round(float(high), 4),
    }


# --- the learner ------------------------------------------------------------------------------------


def features(found: Lookup) -> np.ndarray:
    """Per candidate: the five scaled signals, the gate's closeness and whether it applies, the quoted
    title, and the structured components."""
    zeros = np.zeros(found.rows.size)
    columns = [v if (v := found.scaled[name]) is not None else zeros for name in SIGNALS]
    columns += [found.closeness * found.gated, found.gated.astype(float)]
    columns.append(found.quoted if found.quoted is not None else zeros)
    columns += [found.extra[name] for name in EXTRA]
    return np.column_stack(columns).astype(float)


@dataclass
class Stacked:
    """Every candidate of some queries in one matrix, each query a segment (for the softmax)."""

    x: np.ndarray
    positive: np.ndarray
    starts: np.ndarray
    segment: np.ndarray


def stacked(found: dict[str, Lookup], queries: Sequence[str]) -> Stacked:
    xs, positives, sizes = [], [], []
    for q in queries:
        f = found[q]
        positive = np.isin(f.rows, list(f.answers.values()))
        if not positive.any() or f.rows.size == 0:
            continue
        xs.append(features(f))
        positives.append(positive)
        sizes.append(f.rows.size)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    segment = np.repeat(np.arange(len(sizes)), sizes)
    return Stacked(np.vstack(xs), np.concatenate(positives), starts, segment)


def fit_logit(data: Stacked, penalty: float, steps: int = 400, rate: float = 1.0) -> np.ndarray:
    """A conditional logit (softmax over each query's candidates, its answers the positives) with an L2
    ``penalty``, fitted by gradient descent (features are in [0, 1], so a fixed step does)."""
    weights = np.zeros(data.x.shape[1])
    npos = np.bincount(data.segment, weights=data.positive.astype(float))
    count = float(npos.sum())
    target = data.x[data.positive].sum(axis=0)
    for _ in range(steps):
        z = data.x @ weights
        z = z - np.maximum.reduceat(z, data.starts)[data.segment]
        e = np.exp(z)
        p = e / np.add.reduceat(e, data.starts)[data.segment]
        expected = data.x.T @ (p * npos[data.segment])
        gradient = -(target - expected) / count + penalty * weights
        weights -= rate * gradient
    return weights


def logit_ranks(found: Lookup, weights: np.ndarray) -> dict[str, int]:
    z = features(found) @ weights
    out: dict[str, int] = {}
    for key, row in found.answers.items():
        where = np.flatnonzero(found.rows == row)
        out[key] = 0
        if where.size:
            mine = z[where[0]]
            out[key] = int(((z > mine) | ((z == mine) & (found.rows < row))).sum()) + 1
    return out


PENALTIES = (0.001, 0.01, 0.1, 1.0)


def learner(
    found: dict[str, Lookup], train: Sequence[str], inner: int, seed: str
) -> tuple[np.ndarray, float]:
    """A logit fitted on ``train``, its penalty chosen by an inner ``inner``-fold CV over those queries."""
    best: tuple[float, float] = (-1.0, -1.0)
    chosen = PENALTIES[0]
    for penalty in PENALTIES:
        hits = [0.0, 0.0]
        for part in range(inner):
            fit_on = [q for q in train if fold_of(q, inner, seed + "/inner") != part]
            held = [q for q in train if fold_of(q, inner, seed + "/inner") == part]
            w = fit_logit(stacked(found, fit_on), penalty)
            for q in held:
                r = np.array(list(logit_ranks(found[q], w).values()))
                hits[0] += float(recall(r).sum())
                hits[1] += float(mrr(r).sum())
        if (hits[0], hits[1]) > best:
            best, chosen = (hits[0], hits[1]), penalty
    return fit_logit(stacked(found, train), chosen), chosen


# --- grids ------------------------------------------------------------------------------------------

AXES: dict[str, tuple[float, ...]] = {
    "bm25": (0.0, 0.25, 0.5, 1.0),
    "title": (0.0, 0.25, 0.5),
    "passages": (0.0, 0.15, 0.3),
    "structured": (0.0, 0.1, 0.25, 0.5),
    "floor": (0.7, 0.8, 0.9, 1.0),
    "quoted": (0.0, 0.25, 0.5, 1.0),
    "leader": (0, 10),
}
# Families chosen by recall@10 alone, ties to the setting nearest today's (not by MRR@10 first).
RECALL_ONLY = "reselected by recall@10 only, ties to today's ("
NONE = {
    "bm25": 0.0,
    "title": 0.0,
    "passages": 0.0,
    "structured": 0.0,
    "floor": 1.0,
    "quoted": 0.0,
    "leader": 0,
}


def grid(base: dict[str, Any], axes: dict[str, Sequence[Any]]) -> list[Setting]:
    names = list(axes)
    return [
        Setting(**{**base, **dict(zip(names, values, strict=True))})
        for values in itertools.product(*axes.values())
    ]


def families() -> dict[str, list[Setting]]:
    """Each ranking family: its settings (one: fixed; several: chosen on the training folds)."""
    shipped = {k: SHIPPED.weight(k) for k in ("tfidf", *AXES)}
    tfidf_only = {"tfidf": 1.0, **NONE}
    bm25_only = {**tfidf_only, "tfidf": 0.0, "bm25": 1.0}
    lexical = {"bm25": AXES["bm25"], "title": AXES["title"], "passages": AXES["passages"]}
    out: dict[str, list[Setting]] = {
        "shipped": [SHIPPED],
        "reselected (whole grid, 4,608 settings)": grid(shipped, AXES),
        f"{RECALL_ONLY}whole grid)": grid(shipped, AXES),
        "TF-IDF alone": [Setting(**tfidf_only)],
        "BM25 alone (the rerank's)": [Setting(**bm25_only)],
        "lexical signals only (weights chosen)": grid(tfidf_only, lexical),
        "lexical + quoted title (chosen)": grid(tfidf_only, {**lexical, "quoted": AXES["quoted"]}),
        "TF-IDF + structured (weight chosen)": grid(tfidf_only, {"structured": (0.0, 0.1, 0.25, 0.5, 1.0)}),
        "BM25 + structured (weight chosen)": grid(bm25_only, {"structured": (0.0, 0.1, 0.25, 0.5, 1.0)}),
        "TF-IDF + conditions gate (floor chosen)": grid(tfidf_only, {"floor": AXES["floor"]}),
        "BM25 + conditions gate (floor chosen)": grid(bm25_only, {"floor": AXES["floor"]}),
    }
    for name in AXES:
        out[f"shipped, {name} alone re-chosen"] = grid(shipped, {name: AXES[name]})
    for name in AXES:
        out[f"shipped without {name}"] = [Setting(**{**shipped, name: NONE[name]})]
    return out


def distance(settings: Sequence[Setting]) -> np.ndarray:
    """How far each setting is from today's (for ties: the nearest is chosen)."""
    out = np.zeros(len(settings))
    for name in ("tfidf", *AXES):
        span = max(max(AXES.get(name, (1.0,))) - min(AXES.get(name, (0.0,))), 1e-9)
        out += np.array([abs(s.weight(name) - SHIPPED.weight(name)) / span for s in settings])
    return out


# --- the run ----------------------------------------------------------------------------------------


def bm25_ranks(baseline: TextBaseline, store: SqliteStore, pairs: Pairs) -> np.ndarray:
    """Plain BM25's rank of each pair's answer (0: not in its top 10), as ``eval related`` ranks."""
    rows = {key: row for row, key in enumerate(baseline.keys)}
    lists: dict[str, list[str]] = {}
    for q in sorted(set(pairs.queries)):
        trial = store.get(q)
        assert trial is not None
        values = baseline.bm25(trial_text(trial))
        if (row := rows.get(trial.key)) is not None:
            values[row] = -np.inf
        lists[q] = [baseline.keys[int(i)] for i in np.argsort(-values, kind="stable")[:TOP] if values[i] > 0]
    return np.array(
        [
            lists[q].index(a) + 1 if a in lists[q] else 0
            for q, a in zip(pairs.queries, pairs.answers, strict=True)
        ]
    )


def figures(rank: np.ndarray) -> dict[str, float]:
    return {"recall@10": round(float(recall(rank).mean()), 3), "MRR@10": round(float(mrr(rank).mean()), 3)}


def describe(setting: Setting) -> str:
    return ", ".join(f"{k} {setting.weight(k):g}" for k in ("tfidf", *AXES))


def run_cv(
    pairs: Pairs, found: dict[str, Lookup], plain: np.ndarray, folds: list[int], seed: str, learn: bool
) -> dict[str, Any]:
    """Every family cross-validated over ``folds``, beside BM25 and the shipped ranking on the same pairs."""
    report: dict[str, Any] = {}
    held: dict[str, np.ndarray] = {}
    per_fold: dict[str, list[float]] = {}
    for label, settings in families().items():
        use_mrr = not label.startswith(RECALL_ONLY)
        table = pair_ranks(pairs, found, settings)
        ranks_held, chosen = cross_validate(pairs, table, distance(settings), folds, use_mrr)
        held[label] = ranks_held
        entry: dict[str, Any] = {"settings": len(settings), **figures(ranks_held)}
        if len(settings) > 1:
            in_sample = choose(table, np.ones(table.shape[1], dtype=bool), distance(settings), use_mrr)
            entry["in-sample best"] = {**figures(table[in_sample]), "setting": describe(settings[in_sample])}
            values = {
                name: dict(Counter(settings[c].weight(name) for c in chosen))
                for name in ("tfidf", *AXES)
                if len({settings[c].weight(name) for c in chosen}) > 1
                or len({s.weight(name) for s in settings}) > 1
            }
            entry["chosen across folds"] = {k: {f"{v:g}": n for v, n in c.items()} for k, c in values.items()}
        report[label] = entry
    if learn:
        ranks_held = np.zeros(len(pairs.queries), dtype=np.int64)
        penalties = []
        for fold in folds:
            test = pairs.of({fold}, held=True)
            train = sorted({q for q, t in zip(pairs.queries, test, strict=True) if not t})
            w, penalty = learner(found, train, 5, seed)
            penalties.append(penalty)
            for i in np.flatnonzero(test):
                ranks_held[i] = logit_ranks(found[pairs.queries[i]], w)[pairs.answers[i]]
        held["conditional logit (L2 chosen by inner 5-fold CV)"] = ranks_held
        names = [*SIGNALS, "gate closeness", "gated", "quoted", *EXTRA]
        all_w, _ = learner(found, sorted(set(pairs.queries)), 5, seed)
        report["conditional logit (L2 chosen by inner 5-fold CV)"] = {
            **figures(ranks_held),
            "penalties chosen": dict(Counter(f"{p:g}" for p in penalties)),
            "weights fitted on all pairs": {n: round(float(v), 2) for n, v in zip(names, all_w, strict=True)},
        }
    shipped = held["shipped"]
    for label, ranks_held in held.items():
        entry = report[label]
        entry["vs BM25 (bootstrap over queries)"] = query_bootstrap(
            pairs.queries, recall(ranks_held), recall(plain)
        )
        entry["vs BM25 pairs +/-"] = [
            int(((recall(ranks_held) > 0) & (recall(plain) == 0)).sum()),
            int(((recall(ranks_held) == 0) & (recall(plain) > 0)).sum()),
        ]
        if label != "shipped":
            entry["vs shipped (bootstrap over queries)"] = query_bootstrap(
                pairs.queries, recall(ranks_held), recall(shipped)
            )
            entry["vs shipped MRR@10"] = query_bootstrap(pairs.queries, mrr(ranks_held), mrr(shipped))
        fold_recall = [float(recall(ranks_held[pairs.of({f}, held=True)]).mean()) for f in folds]
        fold_gap = [
            float((recall(ranks_held) - recall(plain))[pairs.of({f}, held=True)].mean()) for f in folds
        ]
        per_fold[label] = fold_recall
        if len(folds) <= 20:
            entry["per fold recall@10"] = [round(v, 2) for v in fold_recall]
            entry["per fold gap to BM25: min / median / max"] = [
                round(min(fold_gap), 3),
                round(statistics.median(fold_gap), 3),
                round(max(fold_gap), 3),
            ]
    return {
        "folds": len(folds),
        "pairs": len(pairs.queries),
        "queries": len(set(pairs.queries)),
        "bm25": figures(plain),
        "bm25 per fold recall@10": [
            round(float(recall(plain[pairs.of({f}, held=True)]).mean()), 2) for f in folds
        ]
        if len(folds) <= 20
        else None,
        "rankings": report,
    }


def read_benchmark(scratch: Path) -> Benchmark:
    """The pairs ``trialatlas eval related --scratch`` saved beside its scratch store."""
    return Benchmark.from_json(orjson.loads(scratch.with_name(scratch.name + ".pairs.json").read_bytes()))


def load(scratch: Path, cache: Path | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Per-pair ranks of the plain baseline and the lookups of every tuning query, both directions."""
    if cache is not None and cache.is_file():
        with cache.open("rb") as handle:
            saved: tuple[dict[str, Any], dict[str, Any]] = pickle.load(handle)
            return saved
    benchmark = read_benchmark(scratch)
    forward = [(p.query, p.partner) for p in benchmark.pairs if p.split == TUNING]
    reverse = [(p, q) for q, p in forward]
    data: dict[str, Any] = {}
    lookups: dict[str, Any] = {}
    with SqliteStore(scratch) as store:
        index = index_for(store)
        started = time.perf_counter()
        baseline = build_baseline(store.iter_trials())
        data["baseline_seconds"] = round(time.perf_counter() - started, 1)
        keys = list(index.keys)
        for direction, chosen in (("forward", forward), ("reverse", reverse)):
            answers: dict[str, list[str]] = {}
            for q, a in chosen:
                answers.setdefault(q, []).append(a)
            found = {q: lookup(index, store, q, answers[q]) for q in sorted(answers)}
            mismatched = []
            for q, f in found.items():
                service = [r.nct_id for r in related_trials(store, q, TOP, index=index)]
                if service != top_keys(f, SHIPPED, keys):
                    mismatched.append(q)
            pairs = Pairs(
                [q for q, _ in chosen], [a for _, a in chosen], np.zeros(len(chosen), dtype=np.int64)
            )
            data[direction] = {
                "pairs": pairs,
                "bm25": bm25_ranks(baseline, store, pairs),
                "mismatched": mismatched,
                "candidates": [f.rows.size for f in found.values()],
            }
            lookups[direction] = found
    if cache is not None:
        with cache.open("wb") as handle:
            pickle.dump((data, lookups), handle)
    return data, lookups


def sealed_reverse(scratch: Path) -> dict[str, Any]:
    """The shipped ranking and BM25 on the sealed half's pairs in the reverse direction: aggregates only."""
    benchmark = read_benchmark(scratch)
    chosen = [(p.partner, p.query) for p in benchmark.pairs if p.split == SEALED]
    pairs = Pairs([q for q, _ in chosen], [a for _, a in chosen], np.zeros(len(chosen), dtype=np.int64))
    with SqliteStore(scratch) as store:
        index = index_for(store)
        baseline = build_baseline(store.iter_trials())
        plain = bm25_ranks(baseline, store, pairs)
        lists = {
            q: [r.nct_id for r in related_trials(store, q, TOP, index=index)] for q in set(pairs.queries)
        }
    ours = np.array(
        [
            lists[q].index(a) + 1 if a in lists[q] else 0
            for q, a in zip(pairs.queries, pairs.answers, strict=True)
        ]
    )
    return {
        "sealed half, reverse direction (partner as the query)": {
            "pairs": len(chosen),
            "queries": len(set(pairs.queries)),
            "trialatlas": figures(ours),
            "bm25": figures(plain),
            "recall@10 gap (bootstrap over queries)": query_bootstrap(
                pairs.queries, recall(ours), recall(plain)
            ),
        }
    }


def secondary(scratch: Path, overrides: list[dict[str, float]]) -> dict[str, Any]:
    """Seed lists and TrialSim (``eval related``'s secondary checks, not sealed) for the shipped settings
    and for each of ``overrides`` (RERANK weights or GATE_FLOOR), BM25 beside them in the same run."""
    benchmark = read_benchmark(scratch)
    out: dict[str, Any] = {}
    with SqliteStore(scratch) as store:
        index = index_for(store)
        baseline = build_baseline(store.iter_trials())
        trialsim = read_pairs(shared_data_dir() / TRIALSIM_PAIRS)
        rerank, floor = dict(similarity.RERANK), similarity.GATE_FLOOR
        for change in [{}, *overrides]:
            for name, value in change.items():
                if name == "floor":
                    similarity.GATE_FLOOR = value
                else:
                    similarity.RERANK[name] = value
            seeds = seed_checks(store, benchmark.listed, index, baseline)
            sim = evaluate(store, trialsim, index=index, baseline=baseline).as_dict()
            out[str(change) if change else "shipped"] = {
                "seed lists in top 10 (trialatlas / bm25 / listed held)": [
                    sum(s.found["trialatlas"] for s in seeds),
                    sum(s.found["bm25"] for s in seeds),
                    sum(s.listed_held for s in seeds),
                ],
                "trialsim": sim["metrics"],
            }
            similarity.RERANK.update(rerank)
            similarity.GATE_FLOOR = floor
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--scratch", type=Path, required=True)
    parser.add_argument(
        "--folds", type=int, default=10, help="k folds by a hash of the query id (0: one query a fold)"
    )
    parser.add_argument("--seed", default="relcv")
    parser.add_argument("--cache", type=Path, help="keep the lookups here and reuse them")
    parser.add_argument("--no-learner", action="store_true")
    parser.add_argument(
        "--secondary", help="seed lists and TrialSim with overrides: structured=0,floor=1;structured=0"
    )
    parser.add_argument(
        "--sealed-reverse", action="store_true", help="aggregates of the sealed half, reversed"
    )
    args = parser.parse_args(argv)
    if args.secondary:
        overrides = [
            {k: float(v) for k, v in (part.split("=") for part in group.split(","))}
            for group in args.secondary.split(";")
        ]
        print(orjson.dumps(secondary(args.scratch, overrides), option=orjson.OPT_INDENT_2).decode())
        return
    if args.sealed_reverse:
        print(orjson.dumps(sealed_reverse(args.scratch), option=orjson.OPT_INDENT_2).decode())
        return
    data, lookups = load(args.scratch, args.cache)
    forward: Pairs = data["forward"]["pairs"]
    queries = sorted(set(forward.queries))
    if args.folds > 0:
        fold = {q: fold_of(q, args.folds, args.seed) for q in queries}
    else:
        fold = {q: i for i, q in enumerate(queries)}
    forward.fold = np.array([fold[q] for q in forward.queries])
    folds = sorted(set(fold.values()))
    found = lookups["forward"]
    report: dict[str, Any] = {
        "reproduced": {
            d: {"queries": len(lookups[d]), "top 10 differing from the service": data[d]["mismatched"]}
            for d in ("forward", "reverse")
        },
        "candidates per query (median / max)": [
            int(statistics.median(data["forward"]["candidates"])),
            int(max(data["forward"]["candidates"])),
        ],
        "cv": run_cv(forward, found, data["forward"]["bm25"], folds, args.seed, not args.no_learner),
    }
    # The reverse direction: settings chosen on all forward pairs, scored on the reversed ones.
    backward: Pairs = data["reverse"]["pairs"]
    plain = data["reverse"]["bm25"]
    reverse: dict[str, Any] = {"pairs": len(backward.queries), "bm25": figures(plain)}
    everything = np.ones(len(forward.queries), dtype=bool)
    for label, settings in families().items():
        use_mrr = not label.startswith(RECALL_ONLY)
        pick = choose(pair_ranks(forward, found, settings), everything, distance(settings), use_mrr)
        ranks_back = pair_ranks(backward, lookups["reverse"], [settings[pick]])[0]
        reverse[label] = {
            **figures(ranks_back),
            "setting": describe(settings[pick]),
            "vs BM25": query_bootstrap(backward.queries, recall(ranks_back), recall(plain)),
        }
    report["reverse (tuning pairs, settings chosen on all forward pairs)"] = reverse
    print(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode())


if __name__ == "__main__":
    main()
