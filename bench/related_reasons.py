"""The words related-trial reasons name as "shared terms", against hand labels (issue #19).

``--draw N --seed S`` picks N trials of a store by a fixed seed (full records, whose reasons carry
shared terms; even-numbered NCT trials only, as odd-numbered ones are held back for scoring) and
prints, for each, the "shared terms" its ten related trials' reasons name today: the material a
person labels *before* the code changes (``tests/fixtures/related_reason_terms.json``).

Without ``--draw`` it reads that fixture and prints, per half (tuning: even positions, sealed: odd),
how many of the labelled filler words the reasons still name and how many accepted words they keep,
and a digest of the ten related trials of every fixture trial in rank order (the ranking must not
change when only the reasons' words do). ``--items`` lists the tuning half's words (never the sealed).

Usage: python bench/related_reasons.py --db STORE [--draw 30 --seed 19] [--items]
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
from pathlib import Path

import orjson

from trialatlas.related import index_for, related_trials
from trialatlas.store import SqliteStore

FIXTURE = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "related_reason_terms.json"
PREFIX = "shared terms: "


def shown_terms(reasons: list[str]) -> list[str]:
    return [t for r in reasons if r.startswith(PREFIX) for t in r[len(PREFIX) :].split(", ")]


def lookup(store: SqliteStore, nct: str) -> tuple[list[str], set[str]]:
    results = related_trials(store, nct, top=10)
    return [r.nct_id for r in results], {t for r in results for t in shown_terms(r.reasons)}


def draw(store: SqliteStore, count: int, seed: int) -> None:
    index = index_for(store)
    full = ~index.scalars.partial
    # Label sets use even-numbered trials only; odd-numbered ones are held back for scoring.
    rows = [
        row
        for row in range(index.size)
        if full[row] and index.keys[row].startswith("NCT") and int(index.keys[row][-1]) % 2 == 0
    ]
    rng = random.Random(seed)
    rng.shuffle(rows)
    picked = 0
    for row in rows:
        nct = index.keys[row]
        _, terms = lookup(store, nct)
        if not terms:
            continue
        print(orjson.dumps({"nct": nct, "title": index.titles[row], "terms": sorted(terms)}).decode())
        picked += 1
        if picked == count:
            break


def score(store: SqliteStore, items: bool) -> None:
    fixture = orjson.loads(FIXTURE.read_bytes())
    halves: dict[str, dict[str, int]] = {}
    digest = hashlib.sha256()
    for position, trial in enumerate(fixture["trials"]):
        half = "tuning" if position % 2 == 0 else "sealed"
        ranked, terms = lookup(store, trial["nct"])
        digest.update(orjson.dumps([trial["nct"], ranked]))
        empty = {"trials": 0, "filler": 0, "filler_shown": 0, "accepted": 0, "kept": 0, "new_words": 0}
        tally = halves.setdefault(half, empty)
        tally["trials"] += 1
        filler, accepted = set(trial["filler"]), set(trial["accepted"])
        tally["filler"] += len(filler)
        tally["filler_shown"] += len(filler & terms)
        tally["accepted"] += len(accepted)
        tally["kept"] += len(accepted & terms)
        tally["new_words"] += len(terms - filler - accepted)
        if items and half == "tuning":
            print(
                trial["nct"],
                "filler shown:",
                sorted(filler & terms),
                "accepted lost:",
                sorted(accepted - terms),
                "unlabelled:",
                sorted(terms - filler - accepted),
                file=sys.stderr,
            )
    print(orjson.dumps({"halves": halves, "ranking_digest": digest.hexdigest()[:16]}).decode())


def main() -> None:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument("--db", required=True)
    parser.add_argument("--draw", type=int, default=0)
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--items", action="store_true")
    args = parser.parse_args()
    with SqliteStore(args.db) as store:
        if args.draw:
            draw(store, args.draw, args.seed)
        else:
            score(store, args.items)


if __name__ == "__main__":
    main()
