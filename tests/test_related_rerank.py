"""Related trials as a reranker over full-text candidates: nothing BM25 finds is lost, the text index is
patched exactly, reasons name no common words, and the index is current after an ingest."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from trialatlas.model import Trial
from trialatlas.related import index_for, related_trials
from trialatlas.related.baseline import build_text_index
from trialatlas.related.features import lexical_text, title_text, words
from trialatlas.related.index import RelatedIndex, index_path, load_index, store_sequence
from trialatlas.related.query import Query
from trialatlas.related.similarity import (
    COMMON_SHARE,
    LEADER_PLACE,
    LEXICAL_POOL,
    QUOTED_BONUS,
    RERANK,
    TELLING_SHARE,
    _keep_lexical_leader,
    lexical_trust,
    query_of_rows,
    rerank_signals,
    score,
    structured_score,
    top_rows,
)
from trialatlas.services.ingest import ingest
from trialatlas.sources.reading import read_paths
from trialatlas.store import SqliteStore, TrialStore


@pytest.fixture(scope="module")
def v2_trials(v2_jsonl: Path) -> list[Trial]:
    return [r for r in read_paths([v2_jsonl]) if isinstance(r, Trial)]


@pytest.fixture(scope="module")
def store_path(sample_db: Path) -> Path:
    """The target trials and the API v2 sample (conftest's ``sample_db``), read only here."""
    return sample_db


@pytest.fixture
def store(store_path: Path) -> Iterator[TrialStore]:
    with SqliteStore(store_path) as opened:
        yield opened


def test_patched_text_index_equals_a_fresh_build(v2_trials: list[Trial]) -> None:
    texts = {t.key: lexical_text(t) for t in v2_trials[:300]}
    keys = list(texts)
    first, later = keys[:200], keys[200:]
    gone = set(first[::7])
    base = build_text_index((k, texts[k]) for k in first)
    keep = np.asarray([k not in gone for k in first], dtype=np.bool_)
    updated = base.patched(keep, later, [texts[k] for k in later])
    expected_keys = [k for k in first if k not in gone] + later
    fresh = build_text_index((k, texts[k]) for k in expected_keys)
    assert updated.keys == fresh.keys
    query = texts[later[3]]
    # The vocabulary of the patched index has another order; the figures are the same.
    assert np.allclose(updated.bm25(query), fresh.bm25(query))
    assert np.allclose(updated.tfidf(query), fresh.tfidf(query))
    assert np.allclose(updated.tfidf_norms, fresh.tfidf_norms)
    # Scoring chosen trials from their own words gives the same figures as the postings do.
    rows = np.asarray([0, 5, 42, len(expected_keys) - 1], dtype=np.int64)
    title = v2_trials[203].brief_title or ""
    bm25, tfidf, title_bm25 = updated.score_rows(query, rows, also=title)
    assert np.allclose(bm25, updated.bm25(query)[rows])
    assert np.allclose(tfidf, updated.tfidf(query)[rows])
    assert np.allclose(title_bm25, updated.bm25(title)[rows])
    assert bm25[-1] > 0 and title_bm25[-1] > 0


def _own_lookups(store: TrialStore) -> Iterator[tuple[RelatedIndex, int, Trial, Query]]:
    """Two seed trials and two of the store's own, each looked up by its own words: (index, its row,
    the trial, its query)."""
    index = index_for(store)
    for key in ("NCT00371319", "NCT04048161", index.keys[100], index.keys[500]):
        trial = store.get(key)
        assert trial is not None
        row = index.row_of(key)
        assert row is not None
        query = query_of_rows(index, [row], text=lexical_text(trial), title=title_text(trial))
        yield index, row, trial, query


def test_no_bm25_candidate_is_lost(store: TrialStore) -> None:
    for index, row, trial, query in _own_lookups(store):
        scored = score(index, query)
        bm25 = index.lexical.bm25(lexical_text(trial), COMMON_SHARE)
        bm25[row] = 0.0
        found = np.flatnonzero(bm25 > 0)
        best = found[np.argsort(-bm25[found], kind="stable")][: LEXICAL_POOL - 1]
        assert scored.eligible[best].all()
        assert not scored.eligible[row]
        assert np.all((scored.total >= 0) & (scored.total <= 1.0 + 1e-9))


def test_the_rerank_signals_are_what_score_mixes(store: TrialStore) -> None:
    """bench/related_cv.py re-mixes ``rerank_signals`` offline: mixed with the shipped weights they give
    ``score``'s totals for every candidate (the lexical leader's place aside)."""
    for index, _row, _trial, query in _own_lookups(store):
        scored = score(index, query)
        signals = rerank_signals(index, query, structured_score(index, query))
        assert np.array_equal(signals.candidates, np.flatnonzero(scored.eligible))
        mixed = np.zeros(signals.candidates.size)
        weights = 0.0
        trust = lexical_trust(index.size)
        for name, values in signals.values.items():
            if values is None:
                continue
            assert values.shape == signals.candidates.shape
            best = float(values.max())
            weight = RERANK[name] * (1.0 if name in ("structured", "who") else trust)
            mixed += weight * (values / best if best > 0 else values)
            weights += weight
        total = mixed / weights * signals.gate
        assert signals.quoted is not None
        total = (total + QUOTED_BONUS * signals.quoted) / (1 + QUOTED_BONUS)
        leader_moved = ~np.isclose(total, scored.total[signals.candidates])
        assert leader_moved.sum() <= 1
        assert np.all((signals.gate > 0) & (signals.gate <= 1))


def test_reasons_name_only_uncommon_words(store: TrialStore) -> None:
    index = index_for(store)
    family = index.families["text"]
    document_frequency = np.bincount(family.indices, minlength=len(family.vocab))
    named = 0
    for key in ("NCT00371319", "NCT04048161", "NCT03580291", index.keys[50], index.keys[400]):
        for result in related_trials(store, key, 10):
            for reason in result.reasons:
                if not reason.startswith("shared terms: "):
                    continue
                for term in reason.removeprefix("shared terms: ").split(", "):
                    named += 1
                    assert document_frequency[family.ids[term]] <= max(TELLING_SHARE * index.size, 1.0)
    assert named > 0


def test_ingest_keeps_the_index_current(target_trials: Path, v2_jsonl: Path, tmp_path: Path) -> None:
    with SqliteStore(tmp_path / "kept.db") as store:
        assert ingest([target_trials], store).ok
        path = index_path(store)
        assert path is not None and path.is_file()
        # A later ingest catches the saved index up by itself: the next lookup has nothing to do.
        assert ingest([v2_jsonl], store).ok
        saved = load_index(path)
        assert saved is not None
        assert saved.size == store.count()
        assert saved.marker["seq"] == store_sequence(store)
        assert saved.lexical.size == store.count()
    with SqliteStore(tmp_path / "none.db") as store:
        # Without the derived-data step (a bench timing the writes alone) nothing is built.
        assert ingest([target_trials], store, derive=False).ok
        path = index_path(store)
        assert path is not None and not path.exists()


def test_a_query_text_is_read_once_and_never_mistaken_for_another() -> None:
    texts = {
        "A": "voclosporin in lupus nephritis, open-label extension",
        "B": "tacrolimus and mycophenolate in nephrotic syndrome",
        "C": "voclosporin dose ranging in lupus nephritis",
    }
    index = build_text_index(texts.items())
    first, second = texts["A"], texts["B"]
    rows = np.arange(index.size, dtype=np.int64)
    # The same text twice in a row (candidates, then their scores) is read once...
    assert index.rough_bm25(first) is not None
    assert index._query(first) is index._query(first)
    # ...and another text in between is read afresh each time, with its own figures.
    for text in (first, second, first):
        fresh = build_text_index(texts.items())
        assert np.allclose(index.score_rows(text, rows)[0], fresh.score_rows(text, rows)[0])
        assert np.allclose(index.bm25(text), fresh.bm25(text))
    assert index.score_rows(first, rows)[0][2] > 0 and index.score_rows(second, rows)[0][2] == 0


def test_registry_link_boilerplate_is_no_shared_term() -> None:
    # NIMH's records end "For more information, please follow this link": unrelated trials shared "please".
    kept = words("For more information, please follow this link to the depression study site")
    assert "please" not in kept
    assert "depression" in kept


def test_the_lexical_leader_keeps_a_place_in_the_top_ten() -> None:
    # 30 candidates (rows 100-129); row 120 has the best words but the conditions pushed it to 25th.
    candidates = np.arange(100, 130, dtype=np.int64)
    total = np.zeros(200)
    total[candidates] = np.linspace(0.9, 0.3, candidates.size)
    lexical = np.linspace(0.5, 0.2, candidates.size)
    lexical[20] = 0.95
    before = total.copy()
    _keep_lexical_leader(total, candidates, lexical)
    tenth = np.sort(before[candidates])[::-1][LEADER_PLACE - 1]
    assert before[120] < tenth < total[120] < np.sort(before[candidates])[::-1][LEADER_PLACE - 2]
    changed = np.flatnonzero(total != before)
    assert changed.tolist() == [120]
    # A leader already within the top ten keeps its score.
    lexical[20], lexical[3] = 0.1, 0.99
    again = total.copy()
    _keep_lexical_leader(again, candidates, lexical)
    assert np.array_equal(again, total)


def test_the_best_words_are_never_ranked_out_of_the_top_ten(store: TrialStore) -> None:
    index = index_for(store)
    # Without the guarantee some of these lookups rank their lexical leader out of the top ten.
    for key in index.keys[::4]:
        trial = store.get(key)
        row = index.row_of(key)
        assert trial is not None and row is not None
        query = query_of_rows(index, [row], text=lexical_text(trial), title=title_text(trial))
        scored = score(index, query)
        lex = np.where(scored.eligible, np.nan_to_num(scored.components["lex"], nan=-1.0), -1.0)
        assert int(np.argmax(lex)) in top_rows(scored, 10)
