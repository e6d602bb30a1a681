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
        for column in columns:
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


# --- snippets --------------------------------------------------------------------------------------

# Characters per word of a snippet, on average: tantivy's fragments are measured in characters.
_WORD_CHARS = 7


def snippets(
    searcher: tantivy.Searcher,
    query: tantivy.Query,
    terms: Terms,
    texts: Mapping[int, Sequence[str]],
    tokens: int,
    *,
    prune: bool = True,
) -> dict[int, str]:
    """Per doc, its best fragment of about ``tokens`` words (the most distinct matched words, then
    the most matches, then the earliest column), matched words between \\x02 and \\x03, '…' where
    text is cut; tantivy cuts and marks the fragments, from the given texts of the shown docs only.
    Prefixes are not marked by tantivy: a doc with no other match is marked by :func:`snippet`.

    Cutting a column's fragments is most of a search's time (tantivy stems every word of the text
    it is given), so a column is skipped when its words cannot beat the best fragment so far, and
    tantivy reads only the stretch of a column from the fragment of its first possible mark to the
    end of the fragment of its last (``prune=False`` reads every column that may match, whole: the
    same snippets, slower)."""
    generators: dict[str, tantivy.SnippetGenerator] = {}
    found: dict[int, str] = {}
    # A column holding none of these (lower-cased) cannot match: tantivy is not asked about it.
    starts = _starts(terms.words) | terms.prefixes
    # Every word tantivy may mark (negated ones too): what bounds a column's score from above.
    marked = tuple(_starts(terms.words | terms.excluded) | terms.prefixes)
    width = tokens * _WORD_CHARS
    for number, columns in texts.items():
        best: tuple[tuple[int, int, int], str, int, int, list[tuple[int, int]]] | None = None
        for rank, (column, text) in enumerate(zip(COLUMNS, columns, strict=True)):
            lowered = text.lower()
            if not text or not any(start in lowered for start in starts):
                continue
            if prune and best is not None and _cannot_beat(lowered, marked, best[0]):
                continue
            generator = generators.get(column)
            if generator is None:
                generator = tantivy.SnippetGenerator.create(searcher, query, schema(), column)
                generator.set_max_num_chars(width)
                generators[column] = generator
            # A text of a few fragments is read whole: cutting it would save less than finding where.
            cut = prune and len(text) > _WHOLE_FRAGMENTS * width
            begin, end = _stretch(lowered, marked, width) if cut else (0, len(text))
            if end <= begin:
                continue  # no word of it can be marked
            document = tantivy.Document()
            document.add_text(column, text[begin:end])
            made = generator.snippet_from_doc(document)
            spans = [(part.start, part.end) for part in made.highlighted()]
            if not spans:
                continue
            fragment = made.fragment().encode()  # tantivy's offsets are bytes
            score = (len({fragment[a:b].lower() for a, b in spans}), len(spans), -rank)
            if best is None or score > best[0]:
                chosen = made.fragment_range()
                # Offsets in the stretch: bytes of ASCII text (only such text is cut), so characters.
                best = (score, text, begin + chosen.start, begin + chosen.end, spans)
        if best is not None:
            _, text, start, end, spans = best
            found[number] = _marked(text, start, end, spans)
        elif terms.prefixes:
            found[number] = snippet(columns, terms, tokens)
    return found


def _cannot_beat(lowered: str, marked: tuple[str, ...], best: tuple[int, int, int]) -> bool:
    """Whether a later column (``lowered``) cannot score above ``best``: each mark is a word that
    starts with one of ``marked`` (a stem less its last letter, or a prefix), so the times these
    occur bound its marks and its distinct marked words; the earlier column wins a tie. Only ASCII
    text is judged (folded accents escape the bound)."""
    if not marked or not lowered.isascii():
        return False
    bound = 0
    for start in marked:
        bound += lowered.count(start)
        if bound > best[0]:  # (bound, bound) <= best holds while bound <= its distinct words
            return False
    return True


_LETTER_OR_DIGIT = re.compile(r"[a-z0-9]")
# Texts longer than this many fragments are cut to the stretch tantivy needs (:func:`_stretch`).
_WHOLE_FRAGMENTS = 3


def _stretch(lowered: str, marked: tuple[str, ...], width: int) -> tuple[int, int]:
    """The part of a column tantivy needs to read for the same best fragment: from the start of the
    fragment holding its first possible mark to the end of the one holding its last; ``(0, 0)``
    when no word can be marked.

    Tantivy cuts a text into consecutive fragments: the first starts at 0, each word ending more
    than ``width`` bytes past the current fragment's start begins the next one; a word is a run of
    letters and digits; only fragments with a mark are candidates, and the best is the first of
    the highest score. A mark is a word that begins with one of ``marked`` (a stem less its last
    letter, or a prefix). Fragments depend on where words are only, not on stems, so they are
    found here without stemming, and tantivy, given the text from a fragment's start, cuts the
    same fragments from there. Only ASCII text is cut (elsewhere characters are not bytes and
    folded accents match): other text is read whole."""
    size = len(lowered)
    if not marked or "" in marked or not lowered.isascii():
        return 0, size
    first = size
    for start in marked:
        at = lowered.find(start, 0, first)
        while at >= 0 and at and lowered[at - 1].isalnum():  # inside a word: not a mark
            at = lowered.find(start, at + 1, first)
        if at >= 0:
            first = at
    if first == size:
        return 0, 0
    last = max(lowered.rfind(start) for start in marked)
    begin, initial = 0, True
    while True:
        following = _next_fragment(lowered, begin, width, initial)
        if following is None or following > first:
            break
        begin, initial = following, False
    # No word of a fragment with a mark ends past ``last + width``; the word across that point
    # belongs to none of them (and, cut, it could join one): the text ends where it begins.
    end = last + width
    if end >= size:
        return begin, size
    while end > begin and lowered[end].isalnum() and lowered[end - 1].isalnum():
        end -= 1
    return begin, end


def _next_fragment(lowered: str, begin: int, width: int, initial: bool) -> int | None:
    """Where the fragment after the one starting at ``begin`` starts (``None``: it is the last): at
    the first word that ends more than ``width`` past ``begin``, the word opening the fragment aside
    (the first fragment, at 0, is opened by no word)."""
    limit = begin + width
    if limit >= len(lowered):
        return None
    if lowered[limit].isalnum():
        start = limit
        while start > begin and lowered[start - 1].isalnum():
            start -= 1
        if start > begin or (initial and start == begin):
            return start
        # The word opening this fragment runs past the limit: the next word starts the next one.
        while start < len(lowered) and lowered[start].isalnum():
            start += 1
        limit = start
    found = _LETTER_OR_DIGIT.search(lowered, limit)
    return None if found is None else found.start()


def _marked(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> str:
    """``text[start:end]`` with the spans (relative to ``start``) marked, '…' where text is cut; the
    offsets are tantivy's, in bytes of UTF-8."""
    data = text.encode()
    joined: list[tuple[int, int]] = []
    for begin, stop in spans:
        # Words matched side by side are one mark, as a phrase is one match.
        if joined and not data[start + joined[-1][1] : start + begin].strip():
            joined[-1] = (joined[-1][0], stop)
        else:
            joined.append((begin, stop))
    pieces: list[str] = ["…"] if data[:start].strip() else []
    at = start
    for begin, stop in joined:
        pieces.append(data[at : start + begin].decode(errors="ignore"))
        pieces.append(f"\x02{data[start + begin : start + stop].decode(errors='ignore')}\x03")
        at = start + stop
    pieces.append(data[at:end].decode(errors="ignore"))
    if data[end:].strip():
        pieces.append("…")
    return "".join(pieces)


_WORD = re.compile(r"[^\W_]+")
# Words shown before the first marked one, so that a snippet does not open on the term itself.
_LEAD = 3
# Matches of one column a snippet window is tried at: a term may recur hundreds of times.
_TRIED = 8


def _starts(stems: set[str]) -> set[str]:
    """How the words that stem to these begin: a stem is its word less a suffix, save a changed last
    letter (study → studi)."""
    return {stem[:-1] if len(stem) > 2 else stem for stem in stems}


def _candidates(terms: Terms) -> re.Pattern[str] | None:
    """Words that may stem to a term: a stem is its word less a suffix, save a changed last letter
    (study → studi), so the word starts with the stem less its last letter; only these are stemmed."""
    starts = _starts(terms.words) | terms.prefixes
    starts.discard("")
    if not starts:
        return None
    alternatives = "|".join(re.escape(start) for start in sorted(starts, key=len, reverse=True))
    return re.compile(rf"(?<![^\W_])(?:{alternatives})[^\W_]*", re.IGNORECASE)


def _stems(words: list[str]) -> list[str]:
    """One stem per word (the analyser cuts words as ``_WORD`` does, save for rare characters; then
    word by word)."""
    stems = analyzer().analyze(" ".join(words))
    if len(stems) == len(words):
        return stems
    return [" ".join(analyzer().analyze(word)) for word in words]


def snippet(texts: Sequence[str], terms: Terms, tokens: int) -> str:
    """The stretch of ``tokens`` words with the most distinct matched terms (then the most matches,
    then the earliest column), matched words between \\x02 and \\x03, '…' where text is cut; ""
    when no word of the texts matches. Only words that may match are stemmed."""
    pattern = _candidates(terms)
    if pattern is None:
        return ""
    best: tuple[int, int, int] | None = None
    chosen: tuple[str, int, list[tuple[int, int]]] | None = None
    for rank, text in enumerate(texts):
        if not text:
            continue
        found = [match.span() for match in pattern.finditer(text)]
        if not found:
            continue
        stems = _stems([text[start:end] for start, end in found])
        hits = [(span, stem) for span, stem in zip(found, stems, strict=True) if terms.matches(stem)]
        present = len({stem for _, stem in hits})
        for (first, _), _ in hits[:_TRIED]:
            start = _back(text, first)
            end = _forward(text, start, tokens)
            inside = [(span, stem) for span, stem in hits if span[0] >= start and span[1] <= end]
            score = (len({stem for _, stem in inside}), len(inside), -rank)
            if best is None or score > best:
                best, chosen = score, (text, start, [span for span, _ in inside])
            if score[0] == present:
                break  # no later window of this column holds more of its terms
    if chosen is None:
        return ""
    text, start, marked = chosen
    end = _forward(text, start, tokens)
    pieces: list[str] = ["…"] if _WORD.search(text, 0, start) else []
    at = start
    for begin, stop in marked:
        pieces.append(text[at:begin])
        pieces.append(f"\x02{text[begin:stop]}\x03")
        at = stop
    pieces.append(text[at:end])
    if _WORD.search(text, end):
        pieces.append("…")
    return "".join(pieces)


def _back(text: str, at: int) -> int:
    """Where the word :data:`_LEAD` words before offset ``at`` starts (or the first word there is)."""
    before = [match.start() for match in _WORD.finditer(text, max(0, at - 40 * _LEAD), at)]
    if len(before) >= _LEAD:
        return before[-_LEAD]
    return before[0] if before else at


def _forward(text: str, start: int, tokens: int) -> int:
    """Where the ``tokens``-th word from ``start`` ends (or the last word, if sooner)."""
    found = _words(tokens).match(text, start)
    return found.end() if found else start


@cache
def _words(tokens: int) -> re.Pattern[str]:
    return re.compile(rf"[\W_]*[^\W_]+(?:[\W_]+[^\W_]+){{0,{max(0, tokens - 1)}}}")


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
    "snippet",
    "snippets",
    "top",
    "translate",
]
