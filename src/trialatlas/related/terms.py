"""Which shared words a related-trial reason names: words a person can check (issue #19).

"Shared terms" names the query's words a related trial shares that few trials use. Rarity in trial texts
is not enough: "eventually" and "bring" are in as few of them as "tacrolimus". A word is named only if it
is also uncommon in general English (:func:`trialatlas.text.words.english_zipf` below
:data:`COMMON_ZIPF`), or is itself a name in the store's own vocabularies, so that a domain word is never
dropped for being common: a condition or intervention as written or as a MeSH term, a concept of the
criteria vocabulary, a drug or drug class of the regimen vocabulary ("insulin", "cancer", "smartphone").
A two-word term is named when either of its words is.

A shared word is the trials' subject only where the query's text uses it outside the names of who runs,
funds or hosts it (:func:`who_only_words`): not only in an organisation's name or its bracketed abbreviation
("National Perinatal Epidemiology Unit (NPEU)"), an e-mail address or a web address, and not a word of
the sponsors', affiliations' and sites' names the store holds for either trial, nor a country (the
"who" and "both in" reasons name those). A number range ("10-30") is no term.

Only the reasons read this; ranking does not.
"""

from __future__ import annotations

import itertools
import re
from functools import cache, lru_cache

import numpy as np
import numpy.typing as npt

from trialatlas.extract.regimen.drugs import lookup
from trialatlas.geo.gazetteer import COUNTRY_VARIANTS
from trialatlas.related.features import feature_label, words
from trialatlas.related.index import RelatedIndex
from trialatlas.related.people import organisation_words
from trialatlas.text.shingles import shingle_hashes
from trialatlas.text.words import english_zipf

U64 = npt.NDArray[np.uint64]

# A word at least this common in general English (Zipf: log10 of occurrences per billion words; 3.5 is
# about once in 300,000 words: "rejection" 3.90, "primitive" 3.80, "insulin" 3.81) is named only as a
# domain word.
COMMON_ZIPF = 3.5
# The feature prefixes whose one-word names are domain words: conditions as written (c), MeSH ancestors
# (ca), concepts and broader concepts (cv, cb), drugs, classes and intervention MeSH terms (d, dc, dm, ia).
DOMAIN_PREFIXES = frozenset({"c", "ca", "cv", "cb", "d", "dc", "dm", "ia"})
# The who family's prefix of people (surname and initial): not names of organisations or places, whose
# words (sponsors, affiliations, sites, countries) are who runs a trial and where.
PERSON_PREFIXES = frozenset({"p"})

# Who runs it, in a text: e-mail and web addresses, and capitalised names (with "of", "for", "and", "the"
# between their words) followed by their bracketed abbreviation, if any.
_ADDRESS = re.compile(r"\S+@\S+|\bhttps?://\S+|\bwww\.\S+", re.IGNORECASE)
_CAPITALISED = r"[A-Z][\w'’.&-]*"
_NAME = re.compile(
    rf"{_CAPITALISED}(?:\s+(?:(?:of|for|and|the|on|de|&)\s+)*{_CAPITALISED})*(?:\s*\([A-Za-z][\w&-]*\))?"
)
_NAME_WORD = re.compile(r"[a-z]+")
# A number range or a bare number with separators ("10-30", "2.5"); an agent code ("31-8959") is longer.
_NUMBER_RANGE = re.compile(r"\d{1,3}(?:[-./]\d{1,3})*")


def domain_words(index: RelatedIndex) -> frozenset[str]:
    """The one-word names of the store's conditions, drugs and MeSH terms and every two words in a row of
    its longer names, as text features spell them ("insulin"; "blood pressure", "small cell" of "small cell
    lung carcinoma"; computed once per index)."""
    cached = index.cache.get(("domain_words", ""))
    if cached is None:
        found: set[str] = set()
        for family in ("cond", "drug"):
            for feature in index.families[family].vocab:
                if feature.split(":", 1)[0] in DOMAIN_PREFIXES:
                    named = words(feature_label(feature))
                    if len(named) == 1:
                        found.add(named[0])
                    found.update(f"{first} {second}" for first, second in itertools.pairwise(named))
        cached = frozenset(found)
        index.cache[("domain_words", "")] = cached
    domain: frozenset[str] = cached
    return domain


def defined_abbreviation(word: str, text: str) -> bool:
    """Whether ``text`` defines ``word`` as an abbreviation: writes it in capitals in brackets ("Mycobacterium
    avium complex (MAC)"), so "mac" there is no English word."""
    return f"({word.upper()})" in text


def checkable_word(index: RelatedIndex, word: str, text: str = "") -> bool:
    """Whether one word says something a person can check: uncommon in English, a domain name, or an
    abbreviation the query's ``text`` defines."""
    if english_zipf().get(word, 0.0) < COMMON_ZIPF:
        return True
    return word in domain_words(index) or lookup(word) is not None or defined_abbreviation(word, text)


def checkable_term(index: RelatedIndex, term: str, text: str = "") -> bool:
    """Whether a shared text feature (a word, or a title's two words) of a query with ``text`` is worth
    naming."""
    if any(_NUMBER_RANGE.fullmatch(word) for word in term.split()):
        return False
    return term in domain_words(index) or any(checkable_word(index, word, text) for word in term.split())


@lru_cache(maxsize=16)
def _who_names(text: str) -> tuple[tuple[str, ...], str]:
    """``text``'s e-mail and web addresses and capitalised names holding an organisation word ("Unit",
    "Institute", "Trust": ``people.json``) with their bracketed abbreviation, and the text without them."""
    cues = organisation_words()
    named: list[str] = _ADDRESS.findall(text)

    def kept(match: re.Match[str]) -> str:
        if cues.intersection(_NAME_WORD.findall(match.group(0).lower())):
            named.append(match.group(0))
            return " "
        return match.group(0)

    rest = _NAME.sub(kept, _ADDRESS.sub(" ", text))
    return tuple(named), rest


def who_only_words(text: str) -> frozenset[str]:
    """The words (as text features spell them) ``text`` uses only in the names of who runs, funds or
    hosts a trial (:func:`_who_names`: "NPEU", "NIHR", an e-mail's "ox") and nowhere else."""
    named, rest = _who_names(text)
    return frozenset(words(" ".join(named))) - frozenset(words(rest))


def who_shingles(text: str) -> U64:
    """``text``'s sampled shingles (:mod:`trialatlas.text.shingles`) that run into the name of who runs,
    funds or hosts a trial ("run from? National Perinatal Epidemiology Unit"): a unit's boilerplate its
    few trials in a store share, which is no passage one trial copied from another."""
    _, rest = _who_names(text)
    found: U64 = np.setdiff1d(shingle_hashes(text), shingle_hashes(rest))
    return found


def who_words(index: RelatedIndex, features: list[str]) -> frozenset[str]:
    """The words of the sponsors', affiliations', sites' and places' names among ``features`` (of the
    ``who`` and ``geo`` families; people left out) and of every country, less the store's domain words
    ("national cancer institute" leaves "cancer")."""
    found = set(_country_words())
    for feature in features:
        found |= _name_words(feature)
    return frozenset(found) - domain_words(index)


@cache
def _country_words() -> frozenset[str]:
    return frozenset(words(" ".join(country for country in COUNTRY_VARIANTS if " " not in country)))


@lru_cache(maxsize=1 << 16)
def _name_words(feature: str) -> frozenset[str]:
    if feature.split(":", 1)[0] in PERSON_PREFIXES:
        return frozenset()
    return frozenset(words(feature_label(feature)))


def about_subject(index: RelatedIndex, term: str, who_only: frozenset[str], who: frozenset[str]) -> bool:
    """Whether a shared term names the trials' subject: a domain name of the store ("blood pressure" of
    the High Blood Pressure Program), or none of its words is one the query's text uses only in the names
    of who runs it (``who_only``: :func:`who_only_words`) or a word of those names the store holds
    (``who``: :func:`who_words`) other than a domain word."""
    domain = domain_words(index)
    if term in domain:
        return True
    return not any((word in who_only or word in who) and word not in domain for word in term.split())
