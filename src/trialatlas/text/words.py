"""The one tokenizer and its stop words.

Words are lower-cased runs of letters and digits; with ``compounds`` a hyphen or an apostrophe inside a
word keeps it whole ("anti-tnf", "covid-19", "crohn's"). Stop words are data (``stop_words.txt``) in
sections: ``english`` function words for every room, and the boilerplate of trial records
(``trial``), of eligibility criteria (``criteria``) and of dosing prose (``dosing``) for the rooms
that read those.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import cache, lru_cache
from typing import Any

from trialatlas.text.packaged import packaged_text

_WORD = re.compile(r"[a-z0-9]+")
_COMPOUND = re.compile(r"[a-z0-9]+(?:['\-][a-z0-9]+)*")
_SECTION = re.compile(r"^\[([a-z_]+)\]$")


@cache
def _sections() -> dict[str, frozenset[str]]:
    text = packaged_text(__package__, "stop_words.txt")
    sections: dict[str, set[str]] = {}
    current: set[str] | None = None
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        header = _SECTION.match(line)
        if header:
            current = sections.setdefault(header.group(1), set())
        elif current is not None:
            current.update(line.split())
    return {name: frozenset(words) for name, words in sections.items()}


@cache
def stop_words(*sections: str) -> frozenset[str]:
    """The stop words of the named sections together; ``english`` when none is named."""
    table = _sections()
    names = sections or ("english",)
    unknown = [name for name in names if name not in table]
    if unknown:
        raise KeyError(f"no stop-word section {unknown[0]!r}; known: {', '.join(sorted(table))}")
    return frozenset().union(*(table[name] for name in names))


STOP_WORDS: frozenset[str] = stop_words()
"""English function words: what no text is about."""


def strip_accents(text: str) -> str:
    """``text`` without diacritics ("anémia" → "anemia", "Zürich" → "Zurich"); case and the rest kept."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=1 << 18)
def stem(word: str) -> str:
    """A word's plural to its singular, crudely ("therapies" → "therapy", "tumours" → "tumour"): enough
    to count and compare the words of two texts as one. The one stemmer of the project: the related-trial
    features and the criterion judge's word overlap both use it."""
    if len(word) > 4 and not word[-1].isdigit():
        if word.endswith("ies"):
            return word[:-3] + "y"
        if word.endswith("s") and not word.endswith(("ss", "us", "is", "os")):
            return word[:-1]
    return word


def tokens(text: str, *, compounds: bool = False) -> list[str]:
    """The lower-cased words of ``text``, stop words included."""
    return (_COMPOUND if compounds else _WORD).findall(text.lower())


def words(
    text: str,
    *,
    stop: Iterable[str] | frozenset[str] = STOP_WORDS,
    min_length: int = 1,
    numbers: bool = True,
    compounds: bool = False,
) -> list[str]:
    """The content words of ``text`` in order: lower-cased, without ``stop`` words, words shorter than
    ``min_length`` and (unless ``numbers``) bare numbers."""
    stopped = stop if isinstance(stop, frozenset) else frozenset(stop)
    return [
        word
        for word in tokens(text, compounds=compounds)
        if len(word) >= min_length and word not in stopped and (numbers or not word.isdigit())
    ]


def prefix_pattern(words: Iterable[str]) -> str:
    """One regex of ``words`` as a prefix tree (no group, no boundaries): words sharing a beginning share
    its branch, so searching for many words costs about as much as for one, and at each branch the longer
    word is tried first ("twenty-four" before "twenty"). No words: a pattern that never matches."""
    _End = ""
    tree: dict[str, Any] = {}
    for word in words:
        node = tree
        for char in word:
            node = node.setdefault(char, {})
        node[_End] = {}

    def render(node: dict[str, Any]) -> str:
        branches = [re.escape(char) + render(child) for char, child in sorted(node.items()) if char != _End]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if _End in node else body

    return render(tree) or "(?!)"


@cache
def english_zipf() -> dict[str, float]:
    """How common each word is in general English (``common_english.txt``, from ``wordfreq``): its Zipf
    value, log10 of occurrences per billion words ("bring" 5.27, "insulin" 3.81), for the words at 3 or
    more; a plural counts under its :func:`stem` too, as the commonest of its forms."""
    table: dict[str, float] = {}
    for line in packaged_text(__package__, "common_english.txt").splitlines():
        if not line or line.startswith("#"):
            continue
        word, value = line.split()
        for form in {word, stem(word)}:
            table[form] = max(table.get(form, 0.0), float(value))
    return table
