"""Signals sister studies share that no earlier round measured (thirteenth round, room relsig), judged
by cross-validation inside the TUNING half of the cross-mention pairs with ``bench/related_cv.py``'s
lookups (the sealed half is never opened here).

* **Rare phrases** (``phrase:...``): the word bigrams and trigrams (the index's stemmed content words,
  within one field) of every trial's own text, counted over the store; a query and a candidate score
  by the phrases both hold that from 2 to ``T`` trials hold, each by its idf (BM25 over phrases with
  a binary term frequency), optionally only phrases every word of which is common on its own (a
  programme's or cohort's name made of ordinary words, which unigram BM25 weighs little).
* **The relation the query states** (``relation:...``): where the query's text says it continues
  another study (cue patterns as data: ``related_relation_cues.json``), a candidate registered before
  it (a lower NCT number), optionally sharing a drug with it.
* **References and outcomes**: how many tuning trials have any (counts only).
* **The candidate pool**: which partners never enter it, and whether a second query (the title alone,
  the rare phrases alone, the best K of each) brings them in, and what it does to the ranking.

Each signal is divided by its best value among a query's candidates and added to today's ranking as a
lexical signal (``added_mix``) or as a bonus over the gated score (``added_bonus``); its weight is chosen
in each fold on the other folds (best training recall@10, then MRR@10, then the smaller weight), beside
the shipped ranking and BM25 on the same pairs, with a paired bootstrap over query trials.

Usage: python bench/related_signals.py --scratch /path/to/store.db --cache /path/cv.pickle
(see docs/related.md, thirteenth round)
"""

from __future__ import annotations

import argparse
import itertools
import pickle
import re
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
from related_cv import (
    SHIPPED,
    Lookup,
    Pairs,
    choose,
    cross_validate,
    figures,
    fold_of,
    load,
    lookup,
    mrr,
    pair_ranks,
    query_bootstrap,
    recall,
)
from trialatlas.related import index_for, similarity
from trialatlas.related.features import lexical_text, words
from trialatlas.related.index import RelatedIndex
from trialatlas.related.service import _trial_query
from trialatlas.store import SqliteStore

CUES = Path(__file__).with_name("related_relation_cues.json")
# Word ids are below 2**21, so a trigram's key (a * V + b) * V + c fits in 63 bits.
V = 1 << 21
# The relation signals: name -> whether the candidate must also share a drug with the query.
RELATIONS = {"relation: cue and registered before": False, "relation: cue, before, shared drug": True}
MIX = (0.0, 0.1, 0.25, 0.5, 1.0)
BONUS = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0)


@dataclass
class Phrases:
    """Every trial's rare phrases (keys of bigrams and trigrams, 2 <= trials <= the widest ``T``) by row,
    their trial counts, and which are made of words each common on its own."""

    trials: int
    rows: list[np.ndarray]  # per index row: sorted unique keys
    order: np.ndarray  # 3 for a trigram, 2 for a bigram, per key of ``keys``
    keys: np.ndarray  # sorted
    df: np.ndarray
    common_words: np.ndarray  # per key: every word is in more than COMMON of the trials


def phrase_keys(text: str, vocab: dict[str, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The bigram and trigram keys of ``text`` (each field apart), and its word ids (from 1)."""
    bi: list[int] = []
    tri: list[int] = []
    ids_all: list[int] = []
    for part in text.split(" ; "):
        ids = [vocab.setdefault(w, len(vocab) + 1) for w in words(part)]
        ids_all += ids
        bi += [a * V + b for a, b in itertools.pairwise(ids)]
        tri += [(a * V + b) * V + c for a, b, c in zip(ids, ids[1:], ids[2:], strict=False)]
    return (
        np.unique(np.asarray(bi, dtype=np.uint64)),
        np.unique(np.asarray(tri, dtype=np.uint64)),
        np.unique(np.asarray(ids_all, dtype=np.uint64)),
    )


def build_phrases(store: SqliteStore, index: RelatedIndex, widest: int, common: float) -> Phrases:
    vocab: dict[str, int] = {}
    per_row: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = [
        (np.zeros(0, np.uint64),) * 3 for _ in range(index.size)
    ]
    for trial in store.iter_trials():
        row = index.row_of(trial.key)
        if row is not None:
            per_row[row] = phrase_keys(lexical_text(trial), vocab)
    assert len(vocab) < V - 1
    n = index.size
    word_keys, word_df = np.unique(np.concatenate([w for _, _, w in per_row]), return_counts=True)
    common_word = np.zeros(len(vocab) + 1, dtype=bool)
    common_word[word_keys.astype(np.int64)] = word_df > common * n
    out_keys, out_df, out_order = [], [], []
    for order, position in ((2, 0), (3, 1)):
        keys, df = np.unique(np.concatenate([r[position] for r in per_row]), return_counts=True)
        keep = (df >= 2) & (df <= widest)
        out_keys.append(keys[keep])
        out_df.append(df[keep])
        out_order.append(np.full(int(keep.sum()), order))
    keys = np.concatenate(out_keys)
    sort = np.argsort(keys)
    keys, df, orders = keys[sort], np.concatenate(out_df)[sort], np.concatenate(out_order)[sort]
    # The words of each key, to tell phrases of common words.
    first = np.where(orders == 3, keys // np.uint64(V * V), keys // np.uint64(V))
    last = keys % np.uint64(V)
    middle = np.where(orders == 3, (keys // np.uint64(V)) % np.uint64(V), last)
    common_words = (
        common_word[first.astype(np.int64)]
        & common_word[middle.astype(np.int64)]
        & common_word[last.astype(np.int64)]
    )
    # Each row's rare phrases, in one pass (every trigram's key is above every bigram's: ids start at 1).
    lengths = np.array([r[0].size + r[1].size for r in per_row])
    every = np.concatenate([np.concatenate(r[:2]) for r in per_row])
    at = np.minimum(np.searchsorted(keys, every), max(keys.size - 1, 0))
    hit = keys[at] == every if keys.size else np.zeros(every.size, dtype=bool)
    counts = np.bincount(np.repeat(np.arange(n), lengths)[hit], minlength=n)
    rows = np.split(every[hit], np.cumsum(counts)[:-1])
    return Phrases(n, rows, orders, keys, df, common_words)


@dataclass(frozen=True)
class PhraseVariant:
    most: int  # trials a phrase is in, at most
    orders: tuple[int, ...]  # 2, 3 or both
    common_only: bool  # only phrases every word of which is common on its own

    @property
    def name(self) -> str:
        grams = "+".join({2: "bigrams", 3: "trigrams"}[o] for o in self.orders)
        return f"phrase: {grams}, <= {self.most} trials" + (", common words only" if self.common_only else "")


def phrase_weights(
    phrases: Phrases, keys: np.ndarray, variant: PhraseVariant
) -> tuple[np.ndarray, np.ndarray]:
    """The keys of ``keys`` the variant counts, and each one's idf."""
    at = np.searchsorted(phrases.keys, keys)
    df = phrases.df[at]
    ok = (df <= variant.most) & np.isin(phrases.order[at], variant.orders)
    if variant.common_only:
        ok &= phrases.common_words[at]
    return keys[ok], np.log(phrases.trials / df[ok])


def phrase_signal(phrases: Phrases, query_row: int, rows: np.ndarray, variant: PhraseVariant) -> np.ndarray:
    mine, idf = phrase_weights(phrases, phrases.rows[query_row], variant)
    out = np.zeros(rows.size)
    if mine.size == 0:
        return out
    for i, row in enumerate(rows.tolist()):
        shared = np.isin(mine, phrases.rows[row], assume_unique=True)
        out[i] = float(idf[shared].sum())
    return out


class Postings:
    """Rows by rare phrase, to rank the whole store by a query's phrases (a second candidate query)."""

    def __init__(self, phrases: Phrases) -> None:
        lengths = np.array([r.size for r in phrases.rows])
        keys = np.concatenate(phrases.rows)
        rows = np.repeat(np.arange(len(phrases.rows)), lengths)
        order = np.argsort(keys, kind="stable")
        self.keys, self.rows = keys[order], rows[order]

    def scores(self, keys: np.ndarray, idf: np.ndarray, n: int) -> np.ndarray:
        out = np.zeros(n)
        lo = np.searchsorted(self.keys, keys, side="left")
        hi = np.searchsorted(self.keys, keys, side="right")
        for a, b, w in zip(lo.tolist(), hi.tolist(), idf.tolist(), strict=True):
            out[self.rows[a:b]] += w
        return out


def relation_cue(text: str, patterns: list[re.Pattern[str]]) -> bool:
    return any(p.search(text) for p in patterns)


def nct_number(key: str) -> int:
    digits = re.sub(r"\D", "", key)
    return int(digits) if digits else 0


def scaled(values: np.ndarray) -> np.ndarray:
    best = float(values.max()) if values.size else 0.0
    return values / best if best > 0 else values


def measure(
    pairs: Pairs, found: dict[str, Lookup], plain: np.ndarray, folds: list[int], added: dict[str, np.ndarray]
) -> dict[str, Any]:
    """Today's ranking with the added signal, its weight chosen in each fold, beside today's and BM25."""
    for q, values in added.items():
        found[q].added = scaled(values)
    shipped = pair_ranks(pairs, found, [SHIPPED])[0]
    out: dict[str, Any] = {}
    for label, settings in (
        ("as a lexical signal", [replace(SHIPPED, added_mix=w) for w in MIX]),
        ("as a bonus over the gated score", [replace(SHIPPED, added_bonus=w) for w in BONUS]),
    ):
        table = pair_ranks(pairs, found, settings)
        weights = np.array([s.added_mix + s.added_bonus for s in settings])
        held, chosen = cross_validate(pairs, table, weights, folds)
        per_weight = {
            f"{w:g}": figures(table[i]) | {"+/- vs shipped": plus_minus(table[i], shipped)}
            for i, w in enumerate(weights.tolist())
        }
        out[label] = {
            "cross-validated": figures(held),
            "vs shipped (recall@10)": query_bootstrap(pairs.queries, recall(held), recall(shipped)),
            "vs shipped (MRR@10)": query_bootstrap(pairs.queries, mrr(held), mrr(shipped)),
            "vs BM25 (recall@10)": query_bootstrap(pairs.queries, recall(held), recall(plain)),
            "+/- vs shipped": plus_minus(held, shipped),
            "weights chosen across folds": sorted(float(weights[c]) for c in chosen),
            "in-sample, per weight": per_weight,
        }
    for f in found.values():
        f.added = None
    return out


def reverse_check(
    forward: Pairs,
    found: dict[str, Lookup],
    added: dict[str, np.ndarray],
    backward: Pairs,
    found_back: dict[str, Lookup],
    plain_back: np.ndarray,
    added_back: dict[str, np.ndarray],
) -> dict[str, Any]:
    """The tuning pairs reversed (the partner as the query), the weight chosen on all forward pairs."""
    everything = np.ones(len(forward.queries), dtype=bool)
    out: dict[str, Any] = {}
    for label, settings in (
        ("as a lexical signal", [replace(SHIPPED, added_mix=w) for w in MIX]),
        ("as a bonus over the gated score", [replace(SHIPPED, added_bonus=w) for w in BONUS]),
    ):
        for q, values in added.items():
            found[q].added = scaled(values)
        weights = np.array([s.added_mix + s.added_bonus for s in settings])
        pick = choose(pair_ranks(forward, found, settings), everything, weights)
        for q, values in added_back.items():
            found_back[q].added = scaled(values)
        ranks = pair_ranks(backward, found_back, [settings[pick], SHIPPED])
        out[label] = {
            "weight": float(weights[pick]),
            **figures(ranks[0]),
            "shipped": figures(ranks[1]),
            "bm25": figures(plain_back),
            "+/- vs shipped": plus_minus(ranks[0], ranks[1]),
        }
    for f in [*found.values(), *found_back.values()]:
        f.added = None
    return out


def plus_minus(a: np.ndarray, b: np.ndarray) -> list[int]:
    return [int(((recall(a) > 0) & (recall(b) == 0)).sum()), int(((recall(a) == 0) & (recall(b) > 0)).sum())]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--scratch", type=Path, required=True)
    parser.add_argument("--cache", type=Path, required=True, help="bench/related_cv.py's lookups")
    parser.add_argument("--folds", type=int, default=10)
    parser.add_argument("--seed", default="relcv")
    parser.add_argument("--phrases", type=Path, help="keep the store's rare phrases here and reuse them")
    parser.add_argument("--pool", type=int, nargs="*", default=[20, 50], help="second-query sizes")
    args = parser.parse_args(argv)
    data, lookups = load(args.scratch, args.cache)
    forward: Pairs = data["forward"]["pairs"]
    fold = {q: fold_of(q, args.folds, args.seed) for q in set(forward.queries)}
    forward.fold = np.array([fold[q] for q in forward.queries])
    folds = sorted(set(fold.values()))
    found: dict[str, Lookup] = lookups["forward"]
    plain = data["forward"]["bm25"]
    shipped = pair_ranks(forward, found, [SHIPPED])[0]
    report: dict[str, Any] = {
        "pairs": len(forward.queries),
        "queries": len(found),
        "shipped": figures(shipped),
        "bm25": figures(plain),
        "shipped vs BM25": query_bootstrap(forward.queries, recall(shipped), recall(plain)),
    }
    cues = [re.compile(p, re.IGNORECASE) for p in orjson.loads(CUES.read_bytes())["patterns"]]
    started = time.perf_counter()
    with SqliteStore(args.scratch) as store:
        index = index_for(store)
        keys = list(index.keys)
        if args.phrases is not None and args.phrases.is_file():
            with args.phrases.open("rb") as handle:
                phrases = pickle.load(handle)
        else:
            phrases = build_phrases(store, index, widest=1000, common=0.005)
            if args.phrases is not None:
                with args.phrases.open("wb") as handle:
                    pickle.dump(phrases, handle)
        report["phrases"] = {
            "seconds": round(time.perf_counter() - started, 1),
            "rare phrases (2..1000 trials)": int(phrases.keys.size),
            "of common words": int(phrases.common_words.sum()),
        }
        texts: dict[str, str] = {}
        titles: dict[str, str] = {}
        refs: dict[str, int] = {}
        outcomes: dict[str, int] = {}
        for q in sorted({*forward.queries, *forward.answers}):
            trial = store.get(q)
            assert trial is not None
            texts[q] = lexical_text(trial)
            titles[q] = _trial_query(index, trial).title
            refs[q] = len(trial.references)
            outcomes[q] = len(trial.outcomes)
        report["references and outcomes (tuning pairs)"] = {
            "query trials with references": sum(refs[q] > 0 for q in set(forward.queries)),
            "partners with references": sum(refs[a] > 0 for a in set(forward.answers)),
            "pairs with both": sum(
                refs[q] > 0 and refs[a] > 0 for q, a in zip(forward.queries, forward.answers, strict=True)
            ),
            "query trials with outcomes": sum(outcomes[q] > 0 for q in set(forward.queries)),
            "pairs with outcomes on both sides": sum(
                outcomes[q] > 0 and outcomes[a] > 0
                for q, a in zip(forward.queries, forward.answers, strict=True)
            ),
        }
        variants = [
            PhraseVariant(most, orders, common_only)
            for most in (20, 100, 1000)
            for orders in ((2,), (3,), (2, 3))
            for common_only in (False, True)
        ]
        cued = {q for q in {*forward.queries, *forward.answers} if relation_cue(texts[q], cues)}
        report["relation cues"] = {
            "query trials with a cue": len(cued & set(forward.queries)),
            "pairs whose query has a cue": sum(q in cued for q in forward.queries),
            "of them, partner registered before the query": sum(
                q in cued and nct_number(a) < nct_number(q)
                for q, a in zip(forward.queries, forward.answers, strict=True)
            ),
            "pairs, partner registered before the query (any)": sum(
                nct_number(a) < nct_number(q) for q, a in zip(forward.queries, forward.answers, strict=True)
            ),
            "partners with a cue (queries of the reverse direction)": len(cued & set(forward.answers)),
        }

        def values_of(name: str, chosen: dict[str, Lookup]) -> dict[str, np.ndarray]:
            """The named signal's raw value for every candidate of every query of ``chosen``."""
            if name in RELATIONS:
                out = {}
                for q, f in chosen.items():
                    earlier = np.array([nct_number(keys[r]) < nct_number(q) for r in f.rows.tolist()], float)
                    if RELATIONS[name]:
                        earlier *= f.extra["drug"] > 0
                    out[q] = earlier if q in cued else np.zeros(f.rows.size)
                return out
            variant = by_name[name]
            return {q: phrase_signal(phrases, index.row_of(q), f.rows, variant) for q, f in chosen.items()}

        by_name = {v.name: v for v in variants}
        report["signals"] = {}
        backward: Pairs = data["reverse"]["pairs"]
        for name in [*by_name, *RELATIONS]:
            entry = measure(forward, found, plain, folds, values_of(name, found))
            entry["reverse (weight chosen on all forward pairs)"] = reverse_check(
                forward,
                found,
                values_of(name, found),
                backward,
                lookups["reverse"],
                data["reverse"]["bm25"],
                values_of(name, lookups["reverse"]),
            )
            report["signals"][name] = entry
        report["pool"] = pool(store, index, phrases, forward, found, titles, args.pool, plain)
    print(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode())


def pool(
    store: SqliteStore,
    index: RelatedIndex,
    phrases: Phrases,
    pairs: Pairs,
    found: dict[str, Lookup],
    titles: dict[str, str],
    sizes: list[int],
    plain: np.ndarray,
) -> dict[str, Any]:
    """Partners that never enter the candidates, and what a second query's best K brings in."""
    postings = Postings(phrases)
    variant = PhraseVariant(1000, (2, 3), False)
    outside = [
        (q, a)
        for q, a in zip(pairs.queries, pairs.answers, strict=True)
        if found[q].answers[a] < 0 or not np.isin(found[q].answers[a], found[q].rows)
    ]
    report: dict[str, Any] = {"partners never candidates": len(outside)}
    second: dict[str, dict[str, np.ndarray]] = {"title alone (BM25)": {}, "rare phrases alone": {}}
    for q in found:
        row = index.row_of(q)
        assert row is not None
        title = (
            index.lexical.rough_bm25(titles[q], similarity.COMMON_SHARE)
            if titles[q].strip()
            else np.zeros(index.size)
        )
        title[row] = 0.0
        second["title alone (BM25)"][q] = title
        mine, idf = phrase_weights(phrases, phrases.rows[row], variant)
        values = postings.scores(mine, idf, index.size)
        values[row] = 0.0
        second["rare phrases alone"][q] = values
    for label, by_query in second.items():
        for k in sizes:
            brought, added = 0, []
            must: dict[str, np.ndarray] = {}
            for q, f in found.items():
                values = by_query[q]
                best = np.argsort(-values, kind="stable")[:k]
                best = best[values[best] > 0]
                new = np.setdiff1d(best, f.rows)
                added.append(new.size)
                must[q] = new
            for q, a in outside:
                r = found[q].answers[a]
                brought += int(r >= 0 and np.isin(r, must[q]))
            report[f"{label}, best {k}"] = {
                "partners brought in": brought,
                "new candidates per query (median / max)": [int(np.median(added)), int(max(added))],
                **rerank_with(store, index, pairs, found, must, plain),
            }
    return report


def rerank_with(
    store: SqliteStore,
    index: RelatedIndex,
    pairs: Pairs,
    found: dict[str, Lookup],
    must: dict[str, np.ndarray],
    plain: np.ndarray,
) -> dict[str, Any]:
    """Today's ranking over the candidates and ``must`` (the service's own signals), beside today's."""
    widened = {}
    for q, f in found.items():
        widened[q] = lookup(index, store, q, list(f.answers), must=must[q].tolist())
    ranks = pair_ranks(pairs, widened, [SHIPPED])[0]
    shipped = pair_ranks(pairs, found, [SHIPPED])[0]
    return {
        "shipped with them": figures(ranks),
        "+/- vs shipped": plus_minus(ranks, shipped),
        "vs BM25": query_bootstrap(pairs.queries, recall(ranks), recall(plain)),
    }


if __name__ == "__main__":
    main()
