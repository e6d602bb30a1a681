"""The PostgreSQL search engine's own parts: the compiled query read back and written as ``tsquery``
conditions (user text only ever a bound parameter), and the query language's meaning on a real
database — the same cases ``test_search_query.py`` runs in FTS5.

The suites that take a store (``test_search_execute.py``, ``test_search_shared.py``,
``test_search_form_fields.py``) run on both engines."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from test_store import make_trial
from trialatlas.errors import QueryError
from trialatlas.model import Intervention, Trial
from trialatlas.search import SearchIndex, search
from trialatlas.search.postgres_query import Field, Op, Term, parse_match, translate
from trialatlas.search.query import compile_query
from trialatlas.search.synonyms import Expander
from trialatlas.store.postgres import PostgresStore


def _trial(number: int, **fields: object) -> Trial:
    return make_trial(f"NCT{number:08d}", **fields)


@pytest.fixture
def pg(pg_url: str) -> Iterator[PostgresStore]:
    with PostgresStore(pg_url) as store:
        yield store


def _keys(store: PostgresStore, query: str, **options: object) -> set[str]:
    return {hit.trial.key for hit in search(store, query, limit=100, facets=False, **options).hits}  # type: ignore[arg-type]


def test_compiled_queries_read_back_as_trees() -> None:
    match = compile_query('lupus NOT "pediatric onset" intr:rituxi*', None).match
    assert match is not None
    tree = parse_match(match)
    # The compiler writes "(lupus AND intr:rituxi*) NOT "pediatric onset"": NOT takes the excluded phrase.
    assert isinstance(tree, Op) and tree.op == "NOT" and tree.children[1] == Term("pediatric onset")
    assert isinstance(tree.children[0], Op) and tree.children[0].op == "AND"
    terms = []

    def walk(node: object) -> None:
        if isinstance(node, Term):
            terms.append(node)
        elif isinstance(node, Field):
            assert node.column == "interventions"
            walk(node.child)
        elif isinstance(node, Op):
            for child in node.children:
                walk(child)

    walk(tree)
    assert (
        Term("lupus") in terms and Term("pediatric onset") in terms and Term("rituxi", prefix=True) in terms
    )
    for broken in ('"unclosed', '("a"', '"a" AND', '{nofield} : "a"', "DROP TABLE"):
        with pytest.raises(QueryError):
            parse_match(broken)


def test_user_text_is_a_parameter_never_sql() -> None:
    hostile = "x'); DROP TABLE search_docs; --"
    compiled = compile_query(f'"{hostile}" tail*', None)
    assert compiled.match is not None
    translated = translate(compiled.match, "english")
    for piece in (translated.where, translated.rank):
        assert "DROP" not in piece.text and "x'" not in piece.text
        assert piece.text.count("%s") == len(piece.params)
    assert any("DROP TABLE" in str(value) for value in translated.where.params)


def test_hostile_phrases_and_fts_syntax_typed_as_words_are_plain_text(pg: PostgresStore) -> None:
    pg.upsert_batch(
        [
            _trial(1, brief_title="x or 1 1 drop table f near a b col y tail"),
            _trial(2, brief_title="near the column of the trial"),
            _trial(3, brief_title="something else"),
        ]
    )
    hostile = 'x" OR 1=1; DROP TABLE f; -- NEAR(a b) col:y *'
    assert _keys(pg, f'"{hostile.replace(chr(34), "")}" tail') == {"NCT00000001"}
    assert _keys(pg, "NEAR") == {"NCT00000001", "NCT00000002"}  # the word, in both titles
    for query in ("NEAR(column trial)", "column - trial", "the + of column"):
        assert _keys(pg, query) == {"NCT00000002"}, query
    assert SearchIndex.for_store(pg).doc_count() == 3


def test_and_or_not_phrases_prefixes_and_fields(pg: PostgresStore) -> None:
    pg.upsert_batch(
        [
            _trial(1, brief_title="lupus nephritis adults"),
            _trial(2, brief_title="lupus nephritis pediatric"),
            _trial(3, brief_title="membranous nephropathy"),
            _trial(4, brief_title="rituximab in lupus"),
            _trial(5, brief_title="lupus study", interventions=[Intervention(name="Rituximab")]),
        ]
    )
    options = {"expand": False, "interpret_words": False}
    assert _keys(pg, "lupus nephritis", **options) == {"NCT00000001", "NCT00000002"}
    assert _keys(pg, "lupus nephritis NOT pediatric", **options) == {"NCT00000001"}
    assert _keys(pg, "pediatric OR membranous", **options) == {"NCT00000002", "NCT00000003"}
    assert _keys(pg, '"nephritis adults"', **options) == {"NCT00000001"}
    assert _keys(pg, '"adults nephritis"', **options) == set()  # a phrase keeps its order
    assert _keys(pg, "nephr*", **options) == {"NCT00000001", "NCT00000002", "NCT00000003"}
    assert _keys(pg, "intr:rituximab", **options) == {"NCT00000005"}
    assert _keys(pg, "rituximab", **options) == {"NCT00000004", "NCT00000005"}
    assert _keys(pg, "title:rituximab OR cond:nephropathy", **options) == {"NCT00000004"}


def test_titles_rank_first_and_typed_words_above_their_expansions(pg: PostgresStore) -> None:
    pg.upsert_batch(
        [
            _trial(1, brief_title="Kidney outcomes", brief_summary="Adults with lupus nephritis."),
            _trial(2, brief_title="Lupus nephritis and tacrolimus"),
            _trial(3, brief_title="Induction", brief_summary="MMF given daily."),
            _trial(4, brief_title="Induction", brief_summary="Mycophenolate mofetil given daily."),
        ]
    )
    ranked = search(pg, "lupus nephritis", facets=False).hits
    assert [hit.trial.key for hit in ranked] == ["NCT00000002", "NCT00000001"]
    assert ranked[0].score > ranked[1].score > 0
    compiled = compile_query("MMF", Expander(None))
    assert compiled.match is not None and '"mycophenolate mofetil"' in compiled.match
    expanded = search(pg, "MMF", facets=False).hits
    assert [hit.trial.key for hit in expanded] == ["NCT00000003", "NCT00000004"]
    assert expanded[0].score > expanded[1].score


def test_snippets_mark_the_matched_words_and_escape_the_text(pg: PostgresStore) -> None:
    pg.upsert_batch(
        [_trial(1, brief_title="<b>Tacrolimus</b> in lupus", brief_summary="Low-dose tacrolimus.")]
    )
    hit = search(pg, "tacrolimus", facets=False).hits[0]
    assert "<mark>" in hit.snippet and "<b>" not in hit.snippet
    assert any(marked and text.lower() == "tacrolimus" for text, marked in hit.snippet_parts())
    brief = search(pg, "", facets=False).hits[0]
    assert "Low-dose tacrolimus." in brief.snippet and "<mark>" not in brief.snippet
