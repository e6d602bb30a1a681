"""The text engine under the search index: tantivy over each trial's searchable texts.

FTS5 BM25-scores every match of a query before it can keep the best ones; tantivy retrieves the top
k with block-max pruning (it skips blocks of postings whose best possible score cannot enter the
page) and counts the matches exactly beside it. The rest of the index (filter arrays, facets,
summaries, learned terms) stays in SQLite: only the words live here.

One tantivy document per indexed trial: its doc number (``doc``, the key of every SQLite table of the
index and of the numpy arrays; indexed to restrict a query to given docs, a fast field to read it off a
hit without touching stored documents), its key (``key``, raw, to delete it on a change) and the texts
of :data:`~trialatlas.search.query.COLUMNS`, one field each, analysed as FTS5 did (words of letters
and digits, lower-cased, accents folded, English stemming).

Queries arrive as the FTS5 expressions :mod:`~trialatlas.search.query` compiles (every term a quoted
string, ``AND`` / ``OR`` / ``NOT``, parentheses, ``"pre" *`` prefixes, ``{column} :`` limits): that is
the seam every caller already speaks, so it is parsed here once more, strictly (anything else is a
:class:`~trialatlas.errors.QueryError`), into tantivy's query objects: a term or phrase searches every
column (or the named ones) with the column's weight as a boost, and the scores of the columns add up,
as FTS5's weighted BM25 adds the columns' weighted counts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path

import numpy as np
import numpy.typing as npt
import tantivy

from trialatlas.errors import QueryError
from trialatlas.search.query import COLUMNS

ANALYZER = "atlas"
DOC, KEY = "doc", "key"
# The writer's memory: tantivy writes a segment each time a thread's share fills.
BUILD_HEAP = 256_000_000
SYNC_HEAP = 32_000_000

Docs = npt.NDArray[np.int64]
Scores = npt.NDArray[np.float64]


@cache
def analyzer() -> tantivy.TextAnalyzer:
    """Words as FTS5's ``porter unicode61 remove_diacritics 2`` cut them, then English stems."""
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .filter(tantivy.Filter.stemmer("english"))
        .build()
    )


@cache
def _surface() -> tantivy.TextAnalyzer:
    """Words without stemming: what a prefix (``nephr*``) is compared with, as FTS5 does not stem it."""
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .build()
    )


@cache
def schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_unsigned_field(DOC, indexed=True, fast=True)
    builder.add_text_field(KEY, tokenizer_name="raw", index_option="basic")
    for column in COLUMNS:
        builder.add_text_field(column, tokenizer_name=ANALYZER, index_option="position")
    return builder.build()


class Engine:
    """One tantivy index: on disk in ``directory``, else in memory."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory
        if directory is not None:
            directory.mkdir(parents=True, exist_ok=True)
        self.index = tantivy.Index(schema(), path=None if directory is None else str(directory))
        self.index.register_tokenizer(ANALYZER, analyzer())
        self.generation = ""

    def searcher(self, generation: str) -> tantivy.Searcher:
        """A searcher of the last commit; reloaded once per generation of the index (a commit of
        another process is seen only after a reload)."""
        if generation != self.generation:
            self.index.reload()
            self.generation = generation
        return self.index.searcher()

    def writer(self, heap: int, threads: int = 1) -> tantivy.IndexWriter:
        return self.index.writer(heap_size=heap, num_threads=threads)

    def size_bytes(self) -> int:
        if self.directory is None:
            return 0
        return sum(path.stat().st_size for path in self.directory.rglob("*") if path.is_file())


def add(writer: tantivy.IndexWriter, number: int, key: str, texts: Sequence[str]) -> None:
    document = tantivy.Document()
    document.add_unsigned(DOC, number)
    document.add_text(KEY, key)
    for column, text in zip(COLUMNS, texts, strict=True):
        if text:
            document.add_text(column, text)
    writer.add_document(document)


def delete(writer: tantivy.IndexWriter, keys: Sequence[str]) -> None:
    for key in keys:
        writer.delete_documents_by_term(KEY, key)


# --- retrieval -------------------------------------------------------------------------------------

# Matches listed in one pass with their count; a query matching more is listed a second time. Room
# for 8,192 hits cost less than a separate count at 25k trials (measured, bench/search.py queries).
_LISTED = 8192


def top(
    searcher: tantivy.Searcher, query: tantivy.Query, limit: int, *, count: bool = False
) -> tuple[Docs, Scores, int]:
    """The best ``limit`` matches (doc numbers and scores, negated: lower is better, as FTS5's bm25()
    ranks), ranked by score then doc number, and the number of matches when ``count``."""
    result = searcher.search(query, max(1, limit), count=count)
    hits = result.hits
    docs = np.array(searcher.fast_field_values(DOC, [address for _, address in hits]), dtype=np.int64)
    scores = -np.fromiter((score for score, _ in hits), np.float64, len(hits))
    order = np.lexsort((docs, scores))
    return docs[order], scores[order], _count(result) if count else len(hits)


def matching(searcher: tantivy.Searcher, query: tantivy.Query) -> Docs:
    """Every match's doc number, ascending, unscored (tantivy orders them by the fast field).

    One pass lists and counts the matches when they fit in :data:`_LISTED` (most queries); a query
    matching more is listed again, asked for exactly its count: the collector sets room aside for as
    many hits as it is asked for, in every segment, which cost ten times the listing itself when
    asked for every doc of the index, and a count first cost as much as the listing."""
    room = max(1, min(_LISTED, searcher.num_docs))
    result = searcher.search(query, room, count=True, order_by_field=DOC, order=tantivy.Order.Asc)
    size = _count(result)
    if size > room:
        result = searcher.search(query, size, count=False, order_by_field=DOC, order=tantivy.Order.Asc)
    hits = result.hits
    return np.fromiter((value for value, _ in hits), np.int64, len(hits))


def count(searcher: tantivy.Searcher, query: tantivy.Query) -> int:
    """The number of matches; ordered by the doc number fast field, so that no match is scored."""
    return _count(searcher.search(query, 1, count=True, order_by_field=DOC, order=tantivy.Order.Asc))


def _count(result: tantivy.SearchResult) -> int:
    # The binding's stubs leave the count out.
    return int(getattr(result, "count", 0) or 0)


def restricted(query: tantivy.Query, docs: Sequence[int]) -> tantivy.Query:
    """``query`` over the given docs only (the restriction adds nothing to the scores)."""
    allowed = tantivy.Query.const_score_query(tantivy.Query.term_set_query(schema(), DOC, list(docs)), 0.0)
    return tantivy.Query.boolean_query([(tantivy.Occur.Must, query), (tantivy.Occur.Must, allowed)])


# --- the FTS5 expression ---------------------------------------------------------------------------

_TOKEN = re.compile(r'\s*(?:(")|(\()|(\))|(\{[^}]*\})|(:)|(\*)|(AND|OR|NOT)(?=[\s()"]|$)|(\S))')


@dataclass
class Terms:
    """The stems a query looks for (not under NOT), and its prefixes: what snippets mark."""

    words: set[str] = field(default_factory=set)
    prefixes: set[str] = field(default_factory=set)
    # The stems under NOT: never marked by :func:`snippet`, but counted where tantivy might mark them.
    excluded: set[str] = field(default_factory=set)
    # Per column, the stems its term and phrase queries hold, negated ones too (not a prefix's last
    # word): what tantivy's snippet generator marks in that column.
    columns: dict[str, set[str]] = field(default_factory=dict)

    def matches(self, stem: str) -> bool:
        return stem in self.words or any(stem.startswith(prefix) for prefix in self.prefixes)


@dataclass
class _Lexed:
    kind: str
    text: str


def _lex(expression: str) -> list[_Lexed]:
    items: list[_Lexed] = []
    at = 0
    while at < len(expression):
        if expression[at:].strip() == "":
            break
        found = _TOKEN.match(expression, at)
        if found is None or found.group(8) is not None:
            raise QueryError(f"the search could not be run (unexpected text at {at + 1}); simplify the query")
        if found.group(1):
            end, parts = found.end(), []
            while True:
                close = expression.find('"', end)
                if close < 0:
                    raise QueryError("the search could not be run (an unclosed quote); simplify the query")
                parts.append(expression[end:close])
                if expression.startswith('"', close + 1):  # a doubled quote is a literal one
                    parts.append('"')
                    end = close + 2
                    continue
                at = close + 1
                break
            items.append(_Lexed("string", "".join(parts)))
            continue
        kinds = ("", "", "(", ")", "columns", ":", "*", "op")
        kind = next(kinds[i] for i in range(2, 8) if found.group(i) is not None)
        text = found.group(next(i for i in range(2, 8) if found.group(i) is not None))
        items.append(_Lexed(kind, text))
        at = found.end()
    return items


class _Translator:
    """FTS5's grammar (NOT binds tightest, then AND, then OR; juxtaposition is AND) into tantivy."""

    def __init__(self, items: list[_Lexed], weights: Mapping[str, float]) -> None:
        self.items = items
        self.at = 0
        self.weights = weights
        self.terms = Terms()
        self.negated = 0

    def _peek(self) -> _Lexed | None:
        return self.items[self.at] if self.at < len(self.items) else None

    def _is_op(self, name: str) -> bool:
        item = self._peek()
        return item is not None and item.kind == "op" and item.text == name

    def run(self) -> tantivy.Query:
        query = self._or(list(COLUMNS))
        if self._peek() is not None:
            raise QueryError("the search could not be run (unexpected text); simplify the query")
        return query

    def _or(self, columns: list[str]) -> tantivy.Query:
        parts = [self._and(columns)]
        while self._is_op("OR"):
            self.at += 1
            parts.append(self._and(columns))
        if len(parts) == 1:
            return parts[0]
        return tantivy.Query.boolean_query([(tantivy.Occur.Should, part) for part in parts])

    def _and(self, columns: list[str]) -> tantivy.Query:
        parts = [self._not(columns)]
        while True:
            item = self._peek()
            if self._is_op("AND"):
                self.at += 1
            elif item is None or item.kind in {")", "op"}:
                break
            parts.append(self._not(columns))
        if len(parts) == 1:
            return parts[0]
        return tantivy.Query.boolean_query([(tantivy.Occur.Must, part) for part in parts])

    def _not(self, columns: list[str]) -> tantivy.Query:
        query = self._primary(columns)
        excluded: list[tantivy.Query] = []
        while self._is_op("NOT"):
            self.at += 1
            self.negated += 1
            excluded.append(self._primary(columns))
            self.negated -= 1
        if not excluded:
            return query
        return tantivy.Query.boolean_query(
            [(tantivy.Occur.Must, query), *((tantivy.Occur.MustNot, part) for part in excluded)]
        )

    def _take(self, kind: str) -> _Lexed:
        item = self._peek()
        if item is None or item.kind != kind:
            raise QueryError("the search could not be run (a malformed expression); simplify the query")
        self.at += 1
        return item

    def _primary(self, columns: list[str]) -> tantivy.Query:
        item = self._peek()
        if item is None:
            raise QueryError("the search could not be run (the expression ends early); simplify the query")
        if item.kind == "(":
            self.at += 1
            query = self._or(columns)
            self._take(")")
            return query
        if item.kind == "columns":
            self.at += 1
            self._take(":")
            named = item.text[1:-1].split()
            unknown = [name for name in named if name not in COLUMNS]
            if unknown or not named:
                raise QueryError(f"the search could not be run (unknown column {' '.join(unknown)})")
            return self._primary(named)
        text = self._take("string").text
        prefix = self._peek() is not None and self._peek().kind == "*"  # type: ignore[union-attr]
        if prefix:
            self.at += 1
        return self._leaf(text, prefix, columns)

    def _leaf(self, text: str, prefix: bool, columns: list[str]) -> tantivy.Query:
        stems = analyzer().analyze(text)
        if not stems:
            return tantivy.Query.empty_query()
        last = _surface().analyze(text)[-1] if prefix else ""
        if not self.negated:
            if prefix:
                self.terms.words.update(stems[:-1])
                self.terms.prefixes.add(last)
            else:
                self.terms.words.update(stems)
        else:
            self.terms.excluded.update(stems)
        built = schema()
        alternatives: list[tantivy.Query] = []
        # A regex (a one-word prefix) holds no term; a phrase prefix holds its words but the last.
        held = stems[:-1] if prefix else stems
        for column in columns:
            self.terms.columns.setdefault(column, set()).update(held)
            if prefix and len(stems) == 1:
                query = tantivy.Query.regex_query(built, column, re.escape(last) + ".*")
            elif prefix:
                query = tantivy.Query.phrase_prefix_query(built, column, [*stems[:-1], last])
            elif len(stems) == 1:
                query = tantivy.Query.term_query(built, column, stems[0])
            else:
                query = tantivy.Query.phrase_query(built, column, list[str | tuple[int, str]](stems))
            weight = float(self.weights.get(column, 1.0))
            alternatives.append(query if weight == 1.0 else tantivy.Query.boost_query(query, weight))
        if len(alternatives) == 1:
            return alternatives[0]
        return tantivy.Query.boolean_query([(tantivy.Occur.Should, query) for query in alternatives])


def translate(expression: str, weights: Mapping[str, float]) -> tuple[tantivy.Query, Terms]:
    """The tantivy query of an FTS5 expression, and the terms it looks for (shared: read only)."""
    return _translated(expression, tuple(sorted((str(k), float(v)) for k, v in weights.items())))


# A search translates its expression for the page and again for its snippets, and a server sees the
# same queries again; the translation depends on the text and the weights only (not on the index).
@lru_cache(maxsize=1024)
def _translated(expression: str, weights: tuple[tuple[str, float], ...]) -> tuple[tantivy.Query, Terms]:
    translator = _Translator(_lex(expression), dict(weights))
    return translator.run(), translator.terms


__all__ = [
    "ANALYZER",
    "Engine",
    "Terms",
    "add",
    "analyzer",
    "count",
    "delete",
    "matching",
    "restricted",
    "schema",
    "top",
    "translate",
]
