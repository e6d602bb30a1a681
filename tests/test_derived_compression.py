"""The search index's texts and the stored criteria rules are zlib streams written by ISA-L, as the
store's trials are (store/compression.py): any zlib reads them, and an index or rules table written
with the standard library's zlib (before the change) reads back the same snippets, briefs and rules."""

from __future__ import annotations

import sqlite3
import zlib
from pathlib import Path

import orjson

from trialatlas.match.stored_rules import CriteriaRules
from trialatlas.search import SearchIndex, search
from trialatlas.search.document import SNIPPET_SOURCE_CHARS
from trialatlas.search.engine import COLUMNS
from trialatlas.services.ingest import ingest
from trialatlas.store import SqliteStore

QUERIES = ["lupus nephritis", "mycophenolate", "tacrolimus OR cyclophosphamide", "renal biopsy", ""]


def _rewrite_with_standard_zlib(db: Path, table: str, key: str, column: str) -> int:
    with sqlite3.connect(db) as conn:
        rows = conn.execute(f"SELECT {key}, {column} FROM {table} WHERE {column} IS NOT NULL").fetchall()
        conn.executemany(
            f"UPDATE {table} SET {column} = ? WHERE {key} = ?",
            [(zlib.compress(zlib.decompress(blob), 6), name) for name, blob in rows],
        )
    return len(rows)


def _snippets(store: SqliteStore, index: SearchIndex) -> dict[str, dict[str, str]]:
    """Per query, each hit's snippet (the briefs where nothing matched, e.g. for no words)."""
    found: dict[str, dict[str, str]] = {}
    for query in QUERIES:
        results = search(store, query, index=index, synced=True, facets=False)
        found[query] = {hit.trial.key: hit.snippet for hit in results.hits}
    return found


def test_index_texts_and_rules_read_the_same_whichever_zlib_wrote_them(
    target_trials: Path, tmp_path: Path
) -> None:
    db = tmp_path / "atlas.db"
    with SqliteStore(db) as store:
        assert ingest([target_trials], store).ok  # the derived parts are made at ingest
        trials = list(store.iter_trials())
        index = SearchIndex.for_store(store)
        docs = sorted(index.docs_of([trial.key for trial in trials]).values())
        snippets = _snippets(store, index)
        briefs = index.briefs(docs)
        rules = CriteriaRules.for_store(store).rules_of(trials)
    assert len(docs) == len(trials) == 5
    assert any("<mark>" in text for found in snippets.values() for text in found.values())
    assert len(rules) == 5 and all(rules.values())

    with sqlite3.connect(db) as conn:
        for (blob,) in conn.execute("SELECT text FROM search_text"):
            texts = orjson.loads(zlib.decompress(blob))  # a zlib stream, whoever reads it
            assert len(texts) == len(COLUMNS)
            assert all(len(text) <= SNIPPET_SOURCE_CHARS for text in texts)
    assert _rewrite_with_standard_zlib(db, "search_text", "doc", "text") == 5
    assert _rewrite_with_standard_zlib(db, "derived_criteria", "key", "rules") == 5

    with SqliteStore(db) as store:
        index = SearchIndex.for_store(store)
        assert _snippets(store, index) == snippets
        assert index.briefs(docs) == briefs
        assert CriteriaRules.for_store(store).rules_of(list(store.iter_trials())) == rules
