"""Snippets of the shown hits: a later column is only skipped when it cannot beat the best one so far
(its possible marks are counted), a column is only cut where no fragment can hold a mark, and the
fragment picked without tantivy's generator (stemming only the words that may match) is the one
tantivy picks, so the chosen column, its fragment and its marks stay those of tantivy reading every
column whole."""

from __future__ import annotations

import random
import re
import zlib
from pathlib import Path

import orjson
import pytest

from trialatlas.model import Trial
from trialatlas.search import SearchIndex
from trialatlas.search.engine import COLUMNS, translate
from trialatlas.search.query import WEIGHTS, fts_string
from trialatlas.search.snippets import _cannot_beat, _separators_only, _stretch, snippets
from trialatlas.services.ingest import ingest
from trialatlas.store import SqliteStore


def _columns(**texts: str) -> list[str]:
    return [texts.get(column, "") for column in COLUMNS]


def test_a_column_is_skipped_only_when_its_words_cannot_beat_the_best() -> None:
    marked = ("lupu", "nephrit")
    assert _cannot_beat("lupus only here", marked, (2, 2, 0))
    assert not _cannot_beat("lupus and nephritis and lupus", marked, (2, 2, 0))  # 3 possible marks
    assert not _cannot_beat("lupus nephritis", marked, (1, 3, 0))  # 2 distinct words possible
    assert not _cannot_beat("sjögren lupus", marked, (2, 2, 0))  # accents fold: never judged


def test_a_column_is_read_from_the_fragment_of_its_first_mark_to_that_of_its_last() -> None:
    marked = ("lupu", "nephrit")
    text = "word " * 100 + "lupus " + "word " * 60 + "nephritis " + "tail " * 80
    begin, end = _stretch(text, marked, 168)
    # Fragments start at whole words: the one holding "lupus" starts at or before it, within reach.
    assert text[begin - 1] == " " and begin <= text.index("lupus") < begin + 168
    assert text[end - 1] == " " and text[end : end + 4] == "tail"
    assert end <= text.index("nephritis") + 168 < end + len("tail ")
    assert _stretch("prelupus only", marked, 168) == (0, 0)  # no word can be marked
    assert _stretch("lupus", marked, 168) == (0, len("lupus"))
    whole = "sjögren lupus " + "x " * 200
    assert _stretch(whole, marked, 168) == (0, len(whole))  # accents fold: read whole


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


def test_only_texts_whose_words_are_ascii_are_read_without_tantivy() -> None:
    assert _separators_only("age ≥ 18 years – adults, 37.5 °C, “informed” consent®")
    assert not _separators_only("Sjögren syndrome")  # a folded letter: tantivy reads it
    assert not _separators_only("dose 5 mg/m²")  # a superscript digit is part of a word
    assert not _separators_only("Ⓐ circled")  # a symbol Unicode counts as a letter


def test_the_fragment_picked_without_tantivy_is_tantivys(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "atlas.db")
    summaries = [
        "Lupus nephritis in adults ≥ 18 years – a study of lupus",
        "Studies of renal lupus; nephritic flares",
        "Rituximab for membranous nephropathy",
    ]
    store.upsert_batch(
        [
            Trial(nct_id=f"NCT9000003{n}", brief_title=f"Trial {n}", brief_summary=summary)
            for n, summary in enumerate(summaries)
        ]
    )
    index = SearchIndex.for_store(store)
    index.rebuild(store)
    filler = "word " * 40
    texts = {
        # Ties (one mark a fragment, the rarer term later): tantivy's weights decide, then the first.
        1: _columns(summary=f"{filler}lupus {filler}rituximab {filler}nephritis {filler}"),
        # Separators that are not ASCII, a first word longer than a fragment, a mark at the very end.
        2: _columns(summary="Nephrotic" + "x" * 200 + " patients ≥ 18 – with “lupus” and studies"),
        # Words that start like a term without being it, and a negated term tantivy still marks.
        3: _columns(summary=f"lupine luposa {filler}studied study's studying lupus", title="Trial 3"),
    }
    expressions = ['"lupus" OR "rituximab" OR "nephritis"', '"study" AND "lupus"', '"lupus" NOT "study"']
    with index.reading() as conn:
        searcher = index.searcher(conn)
        for expression in expressions:
            query, terms = translate(expression, WEIGHTS)
            ours = snippets(searcher, query, terms, texts, 24)
            assert ours == snippets(searcher, query, terms, texts, 24, own=False, prune=False), expression
            assert any("\x02" in text for text in ours.values())
    store.close()


def _reference_queries(trials: list[Trial], count: int) -> list[str]:
    """Queries of words the trials hold: conditions, interventions, pairs, phrases and NOT."""
    rng = random.Random(15)
    conditions = [c for t in trials for c in t.conditions if 3 <= len(c) <= 40]
    drugs = [i.name for t in trials for i in t.interventions if 3 <= len(i.name) <= 30]
    words = [w for c in conditions for w in re.findall(r"[A-Za-z]{4,}", c)]
    made: list[str] = []
    while len(made) < count:
        kind = rng.randrange(5)
        condition = fts_string(rng.choice(conditions))
        if kind == 0:
            made.append(condition)
        elif kind == 1:
            made.append(fts_string(rng.choice(drugs)))
        elif kind == 2:
            made.append(f"{fts_string(rng.choice(words))} AND {fts_string(rng.choice(words))}")
        elif kind == 3:
            made.append(f"{condition} OR {fts_string(rng.choice(drugs))}")
        else:
            made.append(f"{fts_string(rng.choice(words))} NOT {fts_string(rng.choice(words))}")
    return made


@pytest.mark.slow
def test_pruned_snippets_are_those_of_trying_every_column(v2_jsonl: Path, tmp_path: Path) -> None:
    """Over the API v2 sample's trials, every shown hit's snippet is the same whether the columns
    that cannot win are skipped or all are cut, and whether fragments are picked by tantivy or not."""
    store = SqliteStore(tmp_path / "atlas.db")
    ingest([v2_jsonl], store)
    index = SearchIndex.for_store(store)
    index.rebuild(store)
    trials = list(store.iter_trials())
    compared = 0
    with index.reading() as conn:
        searcher = index.searcher(conn)
        texts = {
            int(number): orjson.loads(zlib.decompress(blob))
            for number, blob in conn.execute("SELECT doc, text FROM search_text")
        }
        for expression in _reference_queries(trials, 120):
            query, terms = translate(expression, WEIGHTS)
            shown = {n: texts[n] for n in index.score(expression, None, WEIGHTS) if n in texts}
            shown = dict(list(shown.items())[:30])
            pruned = snippets(searcher, query, terms, shown, 24)
            reference = snippets(searcher, query, terms, shown, 24, own=False, prune=False)
            assert pruned == reference, expression
            assert snippets(searcher, query, terms, shown, 24, own=False) == reference, expression
            compared += sum(1 for text in pruned.values() if "\x02" in text)
    store.close()
    assert compared > 500  # the comparison covered many marked snippets
