"""The expansions' look-ups kept per term: least recently used out first, dropped with the index's
generation, and a search with them warm finds, ranks and marks exactly what a cold one does."""

from __future__ import annotations

from pathlib import Path

from trialatlas.model import Trial
from trialatlas.search import SearchIndex, search
from trialatlas.search.engine import translate
from trialatlas.search.memo import MISSING, LookupMemo
from trialatlas.search.query import WEIGHTS
from trialatlas.store import SqliteStore

TRIALS = [
    ("NCT90000011", "Mycophenolate mofetil (MMF) in lupus nephritis", "MMF and tacrolimus (TAC) for LN."),
    ("NCT90000012", "Tacrolimus (TAC) in membranous nephropathy", "FK506 for adults with nephropathy."),
    ("NCT90000013", "Cellcept for systemic lupus erythematosus (SLE)", "SLE patients take cellcept."),
    ("NCT90000014", "Rituximab in children", "Nephrotic syndrome in children; no lupus."),
]


def test_the_memo_drops_the_least_recently_used_and_every_answer_of_an_old_generation() -> None:
    memo = LookupMemo(2)
    memo.put("g1", "a", ())  # a falsy answer is an answer, not a miss
    memo.put("g1", "b", 2)
    assert memo.get("g1", "a") == ()  # "a" is now the most recently used
    memo.put("g1", "c", 3)
    assert memo.get("g1", "b") is MISSING
    assert memo.get("g1", "a") == () and memo.get("g1", "c") == 3
    assert memo.get("g2", "a") is MISSING  # another generation never sees these answers
    memo.put("g2", "d", 4)
    assert memo.get("g1", "c") is MISSING and len(memo) == 1


def test_warm_lookups_change_no_result(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "atlas.db")
    store.upsert_batch([Trial(nct_id=n, brief_title=t, brief_summary=s) for n, t, s in TRIALS])
    index = SearchIndex.for_store(store)
    index.rebuild(store)
    queries = ["MMF TAC", "SLE", "mycophenolate mofetil", "FK506 nephropathy", "lupus NOT rituximab"]

    def run() -> list[tuple[list[tuple[str, float, str]], int]]:
        found = []
        for text in queries:
            results = search(store, text, index=index, synced=True)
            hits = [(hit.trial.nct_id or "", hit.score, hit.snippet) for hit in results.hits]
            found.append((hits, results.total))
        return found

    index.clear_cache()
    cold = run()
    assert len(index._lookups) > 0  # the expansions looked terms up, and kept them
    index.clear_cache(lookups=False)
    assert run() == cold
    assert any(total for _, total in cold)
    # A change of the index (a new generation) is never answered from the old look-ups.
    before = dict(((kind, alt), n) for kind, alt, n in index.learned(["mmf"]).get("mmf", []))
    store.upsert_batch([Trial(nct_id="NCT90000016", brief_title="Mycophenolate mofetil (MMF) in LN")])
    index.sync(store)
    after = dict(((kind, alt), n) for kind, alt, n in index.learned(["mmf"]).get("mmf", []))
    pair = ("abbr", "mycophenolate mofetil")
    assert after[pair] == before[pair] + 1


def test_a_translation_is_shared_only_between_equal_texts_and_weights() -> None:
    first, _ = translate('"lupus" AND "nephritis"', WEIGHTS)
    assert translate('"lupus" AND "nephritis"', WEIGHTS)[0] is first
    heavier = {**WEIGHTS, "title": WEIGHTS.get("title", 1.0) * 2}
    assert translate('"lupus" AND "nephritis"', heavier)[0] is not first
