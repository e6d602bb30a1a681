"""The words' engine under the search index (tantivy): the FTS5 expressions the query compiler writes
mean the same there, pages walk every match exactly once even through runs of equal scores, snippets
mark what matched, and a rebuild or sync leaves one usable index (a build that died is never read)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from trialatlas.errors import QueryError
from trialatlas.model import Trial
from trialatlas.search import SearchIndex, iter_search, search
from trialatlas.search.engine import Terms, translate
from trialatlas.search.index import ENGINE_SUFFIX
from trialatlas.search.query import WEIGHTS
from trialatlas.search.snippets import _marked, snippet
from trialatlas.store import SqliteStore

TRIALS = [
    ("NCT90000001", "Tacrolimus in lupus nephritis", "Children with nephrotic syndrome receive tacrolimus."),
    ("NCT90000002", "Rituximab for membranous nephropathy", "Adults with membranous nephropathy."),
    ("NCT90000003", "Steroid tapering in lupus", "Lupus patients taper prednisone; no nephritis."),
    ("NCT90000004", "Nephrology registry", "A registry of kidney disease, including lupus nephritis."),
    ("NCT90000005", "Belimumab in systemic lupus", "Belimumab add-on for systemic lupus erythematosus."),
]


def _store(path: Path, rows: list[tuple[str, str, str]]) -> SqliteStore:
    store = SqliteStore(path)
    store.upsert_batch(
        [Trial(nct_id=nct, brief_title=title, brief_summary=text) for nct, title, text in rows]
    )
    return store


def _keys(store: SqliteStore, query: str, **options: object) -> set[str]:
    return {hit.trial.nct_id or "" for hit in iter_search(store, query, expand=False, **options)}


def test_expressions_mean_what_fts5_meant(tmp_path: Path) -> None:
    store = _store(tmp_path / "atlas.db", TRIALS)
    index = SearchIndex.for_store(store)
    index.rebuild(store)
    cases = {
        '"lupus nephritis"': {"NCT90000001", "NCT90000004"},  # a phrase, in any column
        '"nephritis" NOT "tacrolimus"': {"NCT90000003", "NCT90000004"},
        '("belimumab" OR "rituximab") AND "lupus"': {"NCT90000005"},
        '"nephr" *': {"NCT90000001", "NCT90000002", "NCT90000003", "NCT90000004"},  # a prefix, unstemmed
        '{title} : ("lupus")': {"NCT90000001", "NCT90000003", "NCT90000005"},
        '"tapers"': {"NCT90000003"},  # stems meet: tapers / taper / tapering
        '"lupus" "registry"': {"NCT90000004"},  # juxtaposition is AND
    }
    with index.reading() as conn:
        searcher = index.searcher(conn)
        numbers = {n: k for k, n in index.docs_of([row[0] for row in TRIALS]).items()}
        for expression, expected in cases.items():
            found = index.score(expression, None, WEIGHTS)
            assert {numbers[n] for n in found} == expected, expression
            query, _ = translate(expression, WEIGHTS)
            assert searcher.search(query, 10, count=True).count == len(expected), expression
    for broken in ['"lupus', '"lupus" AND', '("lupus"', "lupus", '{nowhere} : "lupus"']:
        with pytest.raises(QueryError):
            translate(broken, WEIGHTS)


def test_the_title_weighs_more_than_the_summary(tmp_path: Path) -> None:
    store = _store(tmp_path / "atlas.db", TRIALS)
    results = search(store, "belimumab OR nephrotic", expand=False, facets=False)
    assert [hit.trial.nct_id for hit in results.hits] == ["NCT90000005", "NCT90000001"]
    assert results.hits[0].score > results.hits[1].score > 0
    # Snippets come from the shown trials' stored texts, the matched word marked (and escaped).
    assert "<mark>Belimumab</mark>" in results.hits[0].snippet
    assert "<mark>nephrotic</mark>" in results.hits[1].snippet
    prefixed = search(store, "tacrol*", expand=False, facets=False)
    assert [hit.trial.nct_id for hit in prefixed.hits] == ["NCT90000001"]
    assert "<mark>tacrolimus</mark>" in prefixed.hits[0].snippet.lower()


def test_pages_through_equal_scores_meet_exactly(tmp_path: Path) -> None:
    # Sixty trials with the same words score the same: the engine's own order among them is not the
    # doc number's, so every page must still follow (score, doc) for the cursors to meet.
    rows = [(f"NCT91{n:06d}", f"Study {n}", "Same words about anemia in every one.") for n in range(60)]
    rows += [(f"NCT92{n:06d}", f"Anemia study {n}", "Anemia anemia twice.") for n in range(5)]
    store = _store(tmp_path / "atlas.db", rows)
    seen = [hit.trial.nct_id for hit in iter_search(store, "anemia", expand=False, limit=7)]
    assert len(seen) == len(set(seen)) == 65
    first = search(store, "anemia", expand=False, limit=7, facets=False)
    assert first.total == 65
    assert [hit.trial.nct_id for hit in first.hits] == seen[:7]
    assert set(seen[:5]) == {row[0] for row in rows[60:]}  # the better ones first
    # Named trials with words: the engine ranks only those (a restriction that adds no score).
    named = search(store, "anemia NCT91000020 NCT92000003 NCT91000010", expand=False, facets=False)
    assert [hit.trial.nct_id for hit in named.hits] == ["NCT92000003", "NCT91000010", "NCT91000020"]


def test_snippets_mark_the_matched_words_of_the_shown_text() -> None:
    _, terms = translate('("nephrotic" OR "lupus") NOT "rituximab"', WEIGHTS)
    assert terms.words == {"nephrot", "lupus"}  # the excluded word is not marked
    text = "Intro " * 40 + "Children with Nephrotic syndrome and lupus receive tacrolimus. " + "Tail " * 40
    made = snippet(["", text], terms, 12)
    assert "\x02Nephrotic\x03" in made and "\x02lupus\x03" in made
    assert made.startswith("…") and made.endswith("…")
    assert snippet(["nothing here"], Terms({"lupus"}), 12) == ""
    # tantivy counts bytes: text after accented letters is marked where it is.
    accented = "Sjögren’s syndrome — naïve patients with lupus nephritis, étude"
    at = accented.encode().index(b"lupus")
    made = _marked(accented, 0, len(accented.encode()), [(at, at + 5)])
    assert made == "Sjögren’s syndrome — naïve patients with \x02lupus\x03 nephritis, étude"
    both = [(at, at + 5), (at + 6, at + 15)]
    made = _marked(accented, 0, len(accented.encode()), both)
    assert "with \x02lupus nephritis\x03, étude" in made
    _, prefixed = translate('"nephr" *', WEIGHTS)
    assert snippet(["nephrology and nephritis"], prefixed, 12) == "\x02nephrology\x03 and \x02nephritis\x03"


def test_a_build_that_died_is_never_read_and_is_removed(tmp_path: Path) -> None:
    store = _store(tmp_path / "atlas.db", TRIALS)
    index = SearchIndex.for_store(store)
    index.rebuild(store)
    live = index.build_id
    root = Path(store.location + ENGINE_SUFFIX)
    dead = root / "deadbeefdeadbeef"
    dead.mkdir()
    (dead / "meta.json").write_text("{ half written")
    assert search(store, "lupus", expand=False).total == 4  # the live build answers
    index.rebuild(store)
    assert not dead.exists()
    assert index.build_id != live and (root / index.build_id / "meta.json").exists()
    assert search(store, "lupus", expand=False).total == 4


def test_a_sync_moves_the_words_with_the_trial(tmp_path: Path) -> None:
    store = _store(tmp_path / "atlas.db", TRIALS)
    assert _keys(store, "belimumab") == {"NCT90000005"}
    changed = Trial(
        nct_id="NCT90000005", brief_title="Anifrolumab in lupus", brief_summary="Anifrolumab add-on."
    )
    store.upsert_batch([changed])
    store.upsert_batch([Trial(nct_id="NCT90000006", brief_title="Belimumab again", brief_summary="")])
    assert _keys(store, "belimumab") == {"NCT90000006"}
    assert _keys(store, "anifrolumab") == {"NCT90000005"}
    assert search(store, "lupus", expand=False).total == 4


def test_a_build_indexes_its_tables_once_their_rows_are_in(tmp_path: Path) -> None:
    """The secondary indexes a build creates after its rows match the layout's, and hold the same
    rows as indexes kept current row by row (a sync's)."""
    store = _store(tmp_path / "atlas.db", TRIALS)
    index = SearchIndex.for_store(store)
    index.rebuild(store)
    store.upsert_batch([Trial(nct_id="NCT90000007", brief_title="Voclosporin (VCS) in lupus nephritis")])
    assert search(store, "voclosporin", expand=False).total == 1  # a sync writes through the indexes
    with index.reading() as conn:
        names = {
            str(name).split("_", 2)[2]: str(table)
            for name, table in conn.execute(
                "SELECT name, tbl_name FROM sqlite_master WHERE type = 'index' AND name LIKE 'search%'"
            )
        }
        assert names == {
            "facets_fv": "search_facets",
            "learned_key": "search_learned",
            "learned_doc": "search_learned",
            "drugs_generic": "search_drugs",
        }
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        # The look-up of learned terms reads the covering index alone.
        plan = " ".join(
            str(row[-1])
            for row in conn.execute(
                "EXPLAIN QUERY PLAN SELECT key, kind, alt, count(*) FROM search_learned"
                " WHERE key IN ('vcs') GROUP BY key, kind, alt"
            )
        )
        assert "COVERING INDEX" in plan
    assert index.learned(["vcs"])["vcs"][0][1] == "voclosporin"


_REBUILD = """
import sys
from trialatlas.search import SearchIndex
from trialatlas.store import SqliteStore
store = SqliteStore(sys.argv[1])
SearchIndex.for_store(store).rebuild(store)
"""


@pytest.mark.slow
def test_a_rebuild_killed_midway_leaves_the_live_index_in_use(tmp_path: Path) -> None:
    rows = [(f"NCT93{n:06d}", f"Trial {n} of anemia", "Iron and anemia. " * 200) for n in range(6000)]
    store = _store(tmp_path / "atlas.db", rows)
    index = SearchIndex.for_store(store)
    index.rebuild(store)
    live = index.build_id
    root = Path(store.location + ENGINE_SUFFIX)
    process = subprocess.Popen([sys.executable, "-c", _REBUILD, store.location])
    try:
        deadline = time.monotonic() + 120
        # Killed once its own folder holds written words, before it could swap them in.
        while time.monotonic() < deadline and process.poll() is None:
            staged = [folder for folder in root.iterdir() if folder.name != live]
            if staged and any(path.suffix in {".idx", ".pos"} for path in staged[0].iterdir()):
                break
            time.sleep(0.01)
        assert process.poll() is None, "the rebuild finished before it could be killed"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert index.build_id == live
    assert search(store, "anemia", expand=False, facets=False).total == 6000
    index.rebuild(store)  # the dead build's folder goes; the new one is used
    assert sorted(folder.name for folder in root.iterdir()) == sorted({live, index.build_id})
    assert search(store, "iron", expand=False, facets=False).total == 6000
