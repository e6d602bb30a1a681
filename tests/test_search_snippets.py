"""Snippets of the shown hits: a later column is only skipped when it cannot beat the best one so far
(its possible marks are counted), so the chosen column and its marks stay those of trying them all."""

from __future__ import annotations

from pathlib import Path

from trialatlas.model import Trial
from trialatlas.search import SearchIndex
from trialatlas.search.engine import COLUMNS, _cannot_beat, snippets, translate
from trialatlas.search.query import WEIGHTS
from trialatlas.store import SqliteStore


def _columns(**texts: str) -> list[str]:
    return [texts.get(column, "") for column in COLUMNS]


def test_a_column_is_skipped_only_when_its_words_cannot_beat_the_best() -> None:
    marked = ("lupu", "nephrit")
    assert _cannot_beat("lupus only here", marked, (2, 2, 0))
    assert not _cannot_beat("lupus and nephritis and lupus", marked, (2, 2, 0))  # 3 possible marks
    assert not _cannot_beat("lupus nephritis", marked, (1, 3, 0))  # 2 distinct words possible
    assert not _cannot_beat("sjögren lupus", marked, (2, 2, 0))  # accents fold: never judged


def test_the_best_column_wins_whether_or_not_later_ones_are_tried(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "atlas.db")
    # tantivy marks only words the index holds.
    store.upsert_batch(
        [Trial(nct_id="NCT90000021", brief_title="Lupus nephritis", brief_summary="Lupus nephritis")]
    )
    index = SearchIndex.for_store(store)
    index.rebuild(store)
    query, terms = translate('"lupus" AND "nephritis" NOT "rituximab"', WEIGHTS)
    with index.reading() as conn:
        searcher = index.searcher(conn)
        title, later = "title", "summary"
        # The later column holds both words more often: it is tried and chosen.
        richer = {1: _columns(**{title: "Lupus trial", later: "lupus nephritis; lupus and nephritis"})}
        made = snippets(searcher, query, terms, richer, 24)[1]
        assert made.count("\x02") == 3 and "nephritis" in made
        # The title already holds both words once; the later column only one: the title stays.
        poorer = {2: _columns(**{title: "Lupus nephritis trial", later: "lupus, then lupus"})}
        assert snippets(searcher, query, terms, poorer, 24)[2] == "\x02Lupus nephritis\x03 trial"
