"""The words related-trial reasons name as "shared terms", against hand labels (issue #19).

``--draw N --seed S`` picks N trials of a store by a fixed seed (full records, whose reasons carry
shared terms; even-numbered NCT trials only, as odd-numbered ones are held back for scoring) and
prints, for each, the "shared terms" its ten related trials' reasons name today: the material a
person labels *before* the code changes (``tests/fixtures/related_reason_terms.json``).

Without ``--draw`` it reads that fixture and prints, per set (round 11's ``trials``, round 14's) and
half (tuning: even positions, sealed: odd), how many of the labelled filler words (and passage reasons,
round 14) the reasons still show and how many accepted ones they keep,
and a digest of the ten related trials of every fixture trial in rank order (the ranking must not
change when only the reasons' words do). ``--items`` lists the tuning half's words (never the sealed).

``--others K`` with ``--draw`` takes K of the trials from other registries, in turn by registry, and
prints the passage reasons too, with the longest passage each pair shares (round 14's draw).

Usage: python bench/related_reasons.py --db STORE [--draw 30 --seed 19 [--others 8]] [--items]
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import random
import sys
from pathlib import Path

import orjson

from trialatlas.related import index_for, related_trials
from trialatlas.related.features import passage_texts
from trialatlas.related.index import RelatedIndex
from trialatlas.store import SqliteStore

FIXTURE = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "related_reason_terms.json"
PREFIX = "shared terms: "
PASSAGE = "same passages word for word"
COUNTS = (
    "trials",
    "filler",
    "filler_shown",
    "accepted",
    "kept",
    "new_words",
    "passage_filler",
    "passage_filler_shown",
    "passage_accepted",
    "passage_kept",
)


def shown_terms(reasons: list[str]) -> list[str]:
    return [t for r in reasons if r.startswith(PREFIX) for t in r[len(PREFIX) :].split(", ")]


def lookup(store: SqliteStore, nct: str) -> tuple[list[str], set[str]]:
    ranked, terms, _ = lookup_all(store, nct)
    return ranked, terms


def lookup_all(store: SqliteStore, nct: str) -> tuple[list[str], set[str], set[str]]:
    """The ten related trials in rank order, the shared terms shown and the trials a passage reason is
    shown for."""
    results = related_trials(store, nct, top=10)
    terms = {t for r in results for t in shown_terms(r.reasons)}
    passages = {r.nct_id for r in results if any(reason.startswith(PASSAGE) for reason in r.reasons)}
    return [r.nct_id for r in results], terms, passages


def even_numbered(key: str) -> bool:
    """Label sets use even-numbered trials only (any registry: the id's last digit); odd-numbered ones are
    held back for scoring."""
    return key[-1].isdigit() and int(key[-1]) % 2 == 0


def draw_registries(store: SqliteStore, count: int, others: int, seed: int) -> None:
    """Like :func:`draw`, with ``others`` of the ``count`` trials from registries other than
    ClinicalTrials.gov (ISRCTN, CTIS / EU CTR, ICTRP rows, full or partial), and for each the related
    trials a passage reason is shown for, with the longest passage the two descriptions share (for the
    labeller)."""
    index = index_for(store)
    full = ~index.scalars.partial
    rows = [
        row
        for row in range(index.size)
        if even_numbered(index.keys[row]) and (full[row] or not index.keys[row].startswith("NCT"))
    ]
    random.Random(seed).shuffle(rows)
    # Other registries taken in turn (ISRCTN, EU CTR, CTIS, each ICTRP source), so each present is drawn.
    by_registry: dict[str, list[int]] = {}
    for row in rows:
        key = index.keys[row]
        by_registry.setdefault("NCT" if key.startswith("NCT") else registry_of(key), []).append(row)
    nct_rows = by_registry.pop("NCT", [])
    queues = [by_registry[name] for name in sorted(by_registry)]
    picked_others = 0
    while picked_others < others and any(queues):
        for queue in queues:
            while queue and picked_others < others:
                if show_drawn(store, index, queue.pop(0)):
                    picked_others += 1
                    break
    picked = 0
    for row in nct_rows:
        if picked == count - others:
            break
        picked += show_drawn(store, index, row)


def registry_of(key: str) -> str:
    """The registry an id belongs to, as its leading letters ("ISRCTN", "EUCTR", "IRCT"; CTIS numbers:
    "CTIS")."""
    letters = "".join(itertools.takewhile(str.isalpha, key))
    return letters or "CTIS"


def show_drawn(store: SqliteStore, index: RelatedIndex, row: int) -> bool:
    """Print a drawn trial's shown terms and passage reasons, if it has any."""
    from difflib import SequenceMatcher

    key = index.keys[row]
    _, terms, passages = lookup_all(store, key)
    if not terms and not passages:
        return False
    query = store.get(key)
    shown = {}
    for other in sorted(passages):
        trial = store.get(other)
        if query is None or trial is None:
            continue
        first, second = passage_texts(query), passage_texts(trial)
        best = ""
        for field in set(first) & set(second):
            a, b = first[field], second[field]
            match = SequenceMatcher(None, a, b, autojunk=False).find_longest_match(0, len(a), 0, len(b))
            if match.size > len(best):
                best = f"[{field}] " + a[match.a : match.a + min(match.size, 300)]
        shown[other] = best
    line = {"nct": key, "title": index.titles[row], "terms": sorted(terms), "passages": shown}
    print(orjson.dumps(line).decode())
    return True


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
    sets = {"round11": fixture["trials"], "round14": fixture["round14"]["trials"]}
    halves: dict[str, dict[str, int]] = {}
    digest = hashlib.sha256()
    for name, trials in sets.items():
        for position, trial in enumerate(trials):
            half = f"{name} " + ("tuning" if position % 2 == 0 else "sealed")
            ranked, terms, passages = lookup_all(store, trial["nct"])
            digest.update(orjson.dumps([trial["nct"], ranked]))
            tally = halves.setdefault(half, dict.fromkeys(COUNTS, 0))
            tally["trials"] += 1
            filler, accepted = set(trial["filler"]), set(trial["accepted"])
            tally["filler"] += len(filler)
            tally["filler_shown"] += len(filler & terms)
            tally["accepted"] += len(accepted)
            tally["kept"] += len(accepted & terms)
            tally["new_words"] += len(terms - filler - accepted)
            copied_filler = set(trial.get("passages_filler", []))
            copied_accepted = set(trial.get("passages_accepted", []))
            tally["passage_filler"] += len(copied_filler)
            tally["passage_filler_shown"] += len(copied_filler & passages)
            tally["passage_accepted"] += len(copied_accepted)
            tally["passage_kept"] += len(copied_accepted & passages)
            if items and half.endswith("tuning"):
                print(
                    trial["nct"],
                    "filler shown:",
                    sorted(filler & terms),
                    "accepted lost:",
                    sorted(accepted - terms),
                    "unlabelled:",
                    sorted(terms - filler - accepted),
                    "passage filler shown:",
                    sorted(copied_filler & passages),
                    "passage accepted lost:",
                    sorted(copied_accepted - passages),
                    file=sys.stderr,
                )
    print(orjson.dumps({"halves": halves, "ranking_digest": digest.hexdigest()[:16]}).decode())


def main() -> None:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument("--db", required=True)
    parser.add_argument("--draw", type=int, default=0)
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--others", type=int, default=0, help="trials of other registries in a draw")
    parser.add_argument("--items", action="store_true")
    args = parser.parse_args()
    with SqliteStore(args.db) as store:
        if args.draw and args.others:
            draw_registries(store, args.draw, args.others, args.seed)
        elif args.draw:
            draw(store, args.draw, args.seed)
        else:
            score(store, args.items)


if __name__ == "__main__":
    main()
