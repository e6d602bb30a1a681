"""The query language: what parses, what is refused with which message, and that user text can never
reach SQL or act as FTS5 syntax."""

from __future__ import annotations

import sqlite3

import pytest

from trialatlas.errors import QueryError
from trialatlas.search.query import (
    COLUMNS,
    FIELDS,
    TYPED_WEIGHT,
    IdRef,
    Not,
    Phrase,
    Word,
    compile_query,
    parse,
)
from trialatlas.search.synonyms import Expander


def _fts(rows: list[tuple[str, ...]]) -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    conn.execute(f"CREATE VIRTUAL TABLE f USING fts5({', '.join(COLUMNS)}, tokenize='porter unicode61')")
    conn.executemany(f"INSERT INTO f VALUES ({', '.join('?' * len(COLUMNS))})", rows)
    return conn


def _row(**texts: str) -> tuple[str, ...]:
    return tuple(texts.get(column, "") for column in COLUMNS)


def test_parse_words_phrases_operators_and_fields() -> None:
    tree = parse('lupus "membranous nephropathy" NOT pediatric cond:(sle OR lupus) id:NCT04048161')
    kinds = [type(child).__name__ for child in tree.children]
    assert kinds == ["Word", "Phrase", "Not", "Group", "IdRef"]
    assert tree.children[1] == Phrase("membranous nephropathy")
    negated = tree.children[2]
    assert isinstance(negated, Not) and negated.child == Word("pediatric")
    fielded = tree.children[3]
    assert all(isinstance(c, Word) and c.field == "cond" for c in fielded.children)  # type: ignore[union-attr]
    assert tree.children[4] == IdRef("NCT04048161")


def test_bare_nct_id_is_an_id_and_lower_case_operators_are_words() -> None:
    tree = parse("nct04048161 not yet recruiting or and")
    assert tree.children[0] == IdRef("NCT04048161")
    assert [c.text for c in tree.children[1:]] == ["not", "yet", "recruiting", "or", "and"]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ('"lupus nephritis', "unbalanced quote"),
        ("NOT lupus", "bare NOT"),
        ("lupus NOT", "must be followed"),
        ("lupus AND", "both sides"),
        ("OR lupus", "both sides"),
        ("(lupus", "never closed"),
        ("lupus)", "has no '('"),
        ("cond:", "needs a word"),
        ("colour:blue", "unknown field"),
        ("lupus^2", "not supported"),
        ("{title}: lupus", "field prefix"),
        ("lu*pus", "can only end a word"),
        ("a*", "at least 2"),
        ("&&& ---", "nothing to search for"),
        ("lupus OR NOT sle", "NOT cannot be an alternative"),
        ("()", "empty parentheses"),
        ("cond:title:lupus", "cannot be nested"),
        ("id:(a b)", "one id"),
    ],
)
def test_malformed_queries_get_clear_messages(query: str, message: str) -> None:
    with pytest.raises(QueryError, match=message.replace("(", r"\(").replace("^", r"\^")):
        compile_query(query, None)


def test_every_term_is_a_quoted_fts5_string() -> None:
    hostile = 'x" OR 1=1; DROP TABLE f; -- NEAR(a b) col:y *'
    compiled = compile_query(f'"{hostile.replace(chr(34), "")}" tail', None)
    assert compiled.match is not None
    conn = _fts([_row(title="x or 1 1 drop table f near a b col y tail")])
    # The whole hostile text is one phrase: it runs, finds the row holding those words, and drops nothing.
    assert conn.execute("SELECT count(*) FROM f WHERE f MATCH ?", (compiled.match,)).fetchone()[0] == 1
    assert conn.execute("SELECT count(*) FROM f").fetchone()[0] == 1


def test_fts5_keywords_and_punctuation_typed_as_words_are_plain_text() -> None:
    conn = _fts([_row(title="near the column of the trial"), _row(title="something else")])
    for query in ("NEAR", "NEAR(column trial)", "column - trial", "the + of", "column:trial"):
        if query == "column:trial":
            with pytest.raises(QueryError, match="unknown field"):
                compile_query(query, None)
            continue
        compiled = compile_query(query, None)
        assert compiled.match is not None
        found = conn.execute("SELECT rowid FROM f WHERE f MATCH ?", (compiled.match,)).fetchall()
        assert found == [(1,)], query


def test_field_prefix_limits_the_column() -> None:
    conn = _fts([_row(title="rituximab in lupus"), _row(interventions="rituximab", title="lupus study")])
    compiled = compile_query("intr:rituximab", None)
    assert compiled.match is not None
    rows = conn.execute("SELECT rowid FROM f WHERE f MATCH ?", (compiled.match,)).fetchall()
    assert rows == [(2,)]
    assert FIELDS["cond"] == "conditions"


def test_and_or_not_semantics_run_in_fts5() -> None:
    conn = _fts(
        [
            _row(title="lupus nephritis adults"),
            _row(title="lupus nephritis pediatric"),
            _row(title="membranous nephropathy"),
        ]
    )

    def hits(query: str) -> set[int]:
        compiled = compile_query(query, None)
        assert compiled.match is not None
        return {r[0] for r in conn.execute("SELECT rowid FROM f WHERE f MATCH ?", (compiled.match,))}

    assert hits("lupus nephritis") == {1, 2}
    assert hits("lupus NOT pediatric") == {1}
    assert hits("pediatric OR membranous") == {2, 3}
    assert hits('"nephritis adults"') == {1}
    assert hits("nephr*") == {1, 2, 3}


def test_typed_terms_weigh_more_than_expansions() -> None:
    compiled = compile_query("MMF lupus", Expander(None))
    assert compiled.match is not None
    # Typed terms are repeated TYPED_WEIGHT times (bm25 sums phrases), expansions appear once.
    assert compiled.match.count('"MMF"') == TYPED_WEIGHT
    assert compiled.match.count('"mycophenolate mofetil"') == 1
    conn = _fts([_row(summary="MMF given daily"), _row(summary="mycophenolate mofetil given daily")])
    match = compile_query("MMF", Expander(None)).match
    scores = dict(conn.execute("SELECT rowid, bm25(f) FROM f WHERE f MATCH ?", (match,)))
    assert set(scores) == {1, 2}
    assert scores[1] < scores[2]  # bm25 is negative: the typed word ranks first


def test_any_mode_ors_the_words() -> None:
    compiled = compile_query("lupus membranous", None, mode="any")
    assert compiled.match is not None and " OR " in compiled.match and " AND " not in compiled.match


def test_stopwords_are_dropped_unless_nothing_else_is_left() -> None:
    compiled = compile_query("nephrotic syndrome in children", None)
    assert compiled.match is not None and '"in"' not in compiled.match
    only = compile_query("the of", None)
    assert only.match is not None and '"the"' in only.match
