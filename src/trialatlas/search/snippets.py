"""Snippets of the shown hits: each doc's best fragment, its matched words marked.

A fragment is what tantivy's snippet generator would pick: the text is cut into consecutive
fragments of about ``tokens`` words (a word is a run of letters and digits; one ending more than
the width past the fragment's start opens the next), a word is marked when its stem is one of the
column's query terms, a fragment scores the sum of its marks' weights (``1 / (1 + document
frequency)`` of the term, added in single precision as tantivy adds them), and the first of the
highest wins. The generator stems every word it is handed, which made cutting fragments most of a
search's time; :func:`own_fragment` picks the same fragment by stemming only the words that may
match (a word starts with its stem less the stem's last letter), each distinct word once
(:data:`_STEM_OF`), and finds the fragments' bounds by jumping a width at a time. It reads the UTF-8
bytes, so it takes the texts whose every non-ASCII character separates words (punctuation, symbols,
spaces: neither folded nor stemmed); tantivy cuts the others. The two give the same snippets
(tests/test_search_snippets.py compares them over the API v2 sample).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from functools import cache
from typing import AnyStr

import numpy as np
import tantivy

from trialatlas.search.engine import Terms, analyzer, schema
from trialatlas.search.query import COLUMNS

# Characters per word of a snippet, on average: tantivy's fragments are measured in characters.
_WORD_CHARS = 7
# A word's stem, by its lower-cased bytes: a server sees the same words again and again.
_STEM_OF: dict[bytes, str] = {}
_STEMS_KEPT = 200_000
_ZERO = np.float32(0.0)

Spans = list[tuple[int, int]]


def snippets(
    searcher: tantivy.Searcher,
    query: tantivy.Query,
    terms: Terms,
    texts: Mapping[int, Sequence[str]],
    tokens: int,
    *,
    prune: bool = True,
    own: bool = True,
) -> dict[int, str]:
    """Per doc, its best fragment of about ``tokens`` words (the most distinct matched words, then
    the most matches, then the earliest column), matched words between \\x02 and \\x03, '…' where
    text is cut; from the given texts of the shown docs only. Prefixes are not marked by tantivy: a
    doc with no other match is marked by :func:`snippet`.

    A column is skipped when its words cannot beat the best fragment so far; its fragment is picked
    by :func:`own_fragment` where it can read the text (``own=False``: tantivy cuts every column),
    else by tantivy's generator, which reads only the stretch of a column from the fragment of its
    first possible mark to the end of the fragment of its last (``prune=False`` reads every column
    that may match, whole: the same snippets, slower)."""
    generators: dict[str, tantivy.SnippetGenerator] = {}
    column_terms: dict[str, _ColumnTerms] = {}
    found: dict[int, str] = {}
    # A column holding none of these (lower-cased) cannot match: it is not cut.
    starts = _starts(terms.words) | terms.prefixes
    starts_bytes = tuple(start.encode() for start in starts)
    # Every word tantivy may mark (negated ones too): what bounds a column's score from above.
    marked = tuple(_starts(terms.words | terms.excluded) | terms.prefixes)
    marked_bytes = tuple(start.encode() for start in marked)
    width = tokens * _WORD_CHARS
    for number, columns in texts.items():
        best: tuple[tuple[int, int, int], str, int, int, Spans] | None = None
        for rank, (column, text) in enumerate(zip(COLUMNS, columns, strict=True)):
            if not text:
                continue
            picked: tuple[int, int, Spans, bytes] | None
            if own and _separators_only(text):
                data = text.encode()
                lowered_bytes = data.lower()
                if not any(start in lowered_bytes for start in starts_bytes):
                    continue
                if prune and best is not None and _cannot_beat(lowered_bytes, marked_bytes, best[0]):
                    continue
                if column not in column_terms:
                    column_terms[column] = _ColumnTerms(searcher, column, terms.columns.get(column, set()))
                floor = best[0][:2] if prune and best is not None else None
                picked = own_fragment(data, lowered_bytes, column_terms[column], width, floor)
            else:
                lowered = text.lower()
                if not any(start in lowered for start in starts):
                    continue
                if prune and best is not None and _cannot_beat(lowered, marked, best[0]):
                    continue
                generator = generators.get(column)
                if generator is None:
                    generator = tantivy.SnippetGenerator.create(searcher, query, schema(), column)
                    generator.set_max_num_chars(width)
                    generators[column] = generator
                picked = _tantivy_fragment(generator, column, text, lowered, marked, width, prune)
            if picked is None:
                continue
            start, end, spans, fragment = picked
            score = (len({fragment[a:b].lower() for a, b in spans}), len(spans), -rank)
            if best is None or score > best[0]:
                best = (score, text, start, end, spans)
        if best is not None:
            _, text, start, end, spans = best
            found[number] = _marked(text, start, end, spans)
        elif terms.prefixes:
            found[number] = snippet(columns, terms, tokens)
    return found


def _tantivy_fragment(
    generator: tantivy.SnippetGenerator,
    column: str,
    text: str,
    lowered: str,
    marked: tuple[str, ...],
    width: int,
    prune: bool,
) -> tuple[int, int, Spans, bytes] | None:
    """Tantivy's best fragment of a column: its bounds in ``text`` (bytes), its marks (relative to
    its start) and its bytes; ``None`` when nothing in it is marked."""
    # A text of a few fragments is read whole: cutting it would save less than finding where.
    cut = prune and len(text) > _WHOLE_FRAGMENTS * width
    begin, end = _stretch(lowered, marked, width) if cut else (0, len(text))
    if end <= begin:
        return None  # no word of it can be marked
    document = tantivy.Document()
    document.add_text(column, text[begin:end])
    made = generator.snippet_from_doc(document)
    spans = [(part.start, part.end) for part in made.highlighted()]
    if not spans:
        return None
    chosen = made.fragment_range()
    # Offsets in the stretch: bytes of ASCII text (only such text is cut), so characters.
    return begin + chosen.start, begin + chosen.end, spans, made.fragment().encode()


# --- picking the fragment without tantivy ---------------------------------------------------------

_NON_ASCII = re.compile(r"[^\x00-\x7f]")
# Letters that Unicode counts as alphabetic although their category is a symbol's (circled letters):
# tantivy's tokenizer keeps them in words.
_ALPHABETIC_SYMBOLS = ((0x24B6, 0x24E9), (0x1F130, 0x1F189))
_ALNUM = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789")
_ASCII_ALNUM = re.compile(rb"[a-z0-9]")
_LAST_WORD_END = re.compile(rb"[a-z0-9][^a-z0-9]*\Z")
_WORD_REST = re.compile(rb"[a-z0-9]*")


@cache
def _separates(char: str) -> bool:
    """Whether a non-ASCII character only separates words for tantivy: not alphanumeric (so never
    in a word, never folded or stemmed)."""
    category = unicodedata.category(char)
    if category[0] in "PZC" or category in ("Sm", "Sc", "Sk"):
        return True
    return category == "So" and not any(low <= ord(char) <= high for low, high in _ALPHABETIC_SYMBOLS)


def _separators_only(text: str) -> bool:
    """Whether every non-ASCII character of ``text`` separates words: its words are ASCII."""
    return text.isascii() or all(_separates(char) for char in set(_NON_ASCII.findall(text)))


class _ColumnTerms:
    """A column's query terms as tantivy's snippet generator weighs them, and how the words that may
    stem to one of them begin."""

    def __init__(self, searcher: tantivy.Searcher, column: str, stems: set[str]) -> None:
        self.searcher = searcher
        self.column = column
        self.stems = stems
        # Only ASCII stems can be a word of the texts read here.
        self.starts = tuple(start.encode() for start in _starts(stems) if start.isascii())
        self._weights: dict[str, np.float32] = {}

    def weight(self, stem: str) -> np.float32 | None:
        """Tantivy's weight of a term: 1 / (1 + its document frequency) in single precision (so the
        same sums and the same ties), ``None`` for a word no query term of the column (tantivy
        drops a term no document holds). Looked up for the terms a shown text holds only."""
        if stem not in self.stems:
            return None
        found = self._weights.get(stem)
        if found is None:
            frequency = self.searcher.doc_freq(self.column, stem)
            found = np.float32(1.0) / (np.float32(1.0) + np.float32(frequency)) if frequency else _ZERO
            self._weights[stem] = found
        return None if found == _ZERO else found


def own_fragment(
    data: bytes, lowered: bytes, terms: _ColumnTerms, width: int, floor: tuple[int, int] | None = None
) -> tuple[int, int, Spans, bytes] | None:
    """The fragment tantivy's generator picks in ``data`` (UTF-8 whose words are ASCII; ``lowered``:
    it lower-cased): its bounds, its marks (relative to its start) and its bytes; ``None`` when no
    word is marked, or when its distinct marked words and marks cannot beat ``floor`` (those of the
    best fragment of an earlier column, which wins a tie): no fragment holds more than the text."""
    found = _candidates_at(lowered, terms.starts)
    if not found:
        return None
    stems = _stems_of([lowered[start:end] for start, end in found])
    marks = [
        (start, end, weight)
        for (start, end), stem in zip(found, stems, strict=True)
        if (weight := terms.weight(stem)) is not None
    ]
    if not marks or (
        floor is not None and (len({lowered[start:end] for start, end, _ in marks}), len(marks)) <= floor
    ):
        return None
    best: tuple[np.float32, int, int, int, int] | None = None  # score, start, stop, marks from, to
    begin, initial, at = 0, True, 0
    while at < len(marks):
        following = _next_fragment_bytes(lowered, begin, width, initial)
        bound = len(lowered) if following is None else following
        first = at
        score = np.float32(0.0)
        while at < len(marks) and marks[at][0] < bound:
            score += marks[at][2]  # single precision, in order, as tantivy adds
            at += 1
        # Tantivy keeps fragments scoring above zero; the first of the highest wins.
        if at > first and score > 0.0 and (best is None or score > best[0]):
            best = (score, begin, _fragment_stop(lowered, begin, bound), first, at)
        if following is None:
            break
        begin, initial = following, False
    if best is None:
        return None
    _, start, stop, first, last = best
    spans = [(mark_start - start, mark_end - start) for mark_start, mark_end, _ in marks[first:last]]
    return start, stop, spans, data[start:stop]


def _candidates_at(lowered: bytes, starts: tuple[bytes, ...]) -> list[tuple[int, int]]:
    """The words of ``lowered`` that begin with one of ``starts``, in order (found with ``find``: a
    pattern of the alternatives costs more to compile, and one with a look-behind more to run,
    than the texts cost to read this way)."""
    found: set[tuple[int, int]] = set()
    for start in starts:
        at = lowered.find(start)
        while at >= 0:
            if at == 0 or lowered[at - 1] not in _ALNUM:
                rest = _WORD_REST.match(lowered, at + len(start))
                found.add((at, at + len(start) if rest is None else rest.end()))
            at = lowered.find(start, at + 1)
    return sorted(found)


def _fragment_stop(lowered: bytes, begin: int, bound: int) -> int:
    """Where the last word of the fragment ``[begin, bound)`` ends (tantivy's fragment ends there)."""
    found = _LAST_WORD_END.search(lowered, begin, bound)
    return bound if found is None else found.start() + 1


def _next_fragment_bytes(lowered: bytes, begin: int, width: int, initial: bool) -> int | None:
    """:func:`_next_fragment` over bytes whose words are ASCII."""
    limit = begin + width
    if limit >= len(lowered):
        return None
    if lowered[limit] in _ALNUM:
        start = limit
        while start > begin and lowered[start - 1] in _ALNUM:
            start -= 1
        if start > begin or (initial and start == begin):
            return start
        # The word opening this fragment runs past the limit: the next word starts the next one.
        while start < len(lowered) and lowered[start] in _ALNUM:
            start += 1
        limit = start
    found = _ASCII_ALNUM.search(lowered, limit)
    return None if found is None else found.start()


def _stems_of(words: list[bytes]) -> list[str]:
    """The analyser's stem of each (lower-cased ASCII) word, each distinct word stemmed once."""
    missing = list(dict.fromkeys(word for word in words if word not in _STEM_OF))
    if missing:
        if len(_STEM_OF) > _STEMS_KEPT:
            _STEM_OF.clear()
        texts = [word.decode() for word in missing]
        stems = analyzer().analyze(" ".join(texts))
        if len(stems) != len(texts):
            stems = [" ".join(analyzer().analyze(text)) for text in texts]
        _STEM_OF.update(zip(missing, stems, strict=True))
    return [_STEM_OF[word] for word in words]


def _cannot_beat(lowered: AnyStr, marked: tuple[AnyStr, ...], best: tuple[int, int, int]) -> bool:
    """Whether a later column (``lowered``) cannot score above ``best``: each mark is a word that
    starts with one of ``marked`` (a stem less its last letter, or a prefix), so the times these
    occur bound its marks and its distinct marked words; the earlier column wins a tie. Only text
    whose words are ASCII is judged (folded accents escape the bound): ASCII text, or the bytes of a
    text whose other characters separate words (:func:`_separators_only`)."""
    if not marked or (isinstance(lowered, str) and not lowered.isascii()):
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
