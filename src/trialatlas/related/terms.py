"""Which shared words a related-trial reason names: words a person can check (issue #19).

"Shared terms" names the query's words a related trial shares that few trials use. Rarity in trial texts
is not enough: "eventually" and "bring" are in as few of them as "tacrolimus". A word is named only if it
is also uncommon in general English (:func:`trialatlas.text.words.english_zipf` below
:data:`COMMON_ZIPF`), or is itself a name in the store's own vocabularies, so that a domain word is never
dropped for being common: a condition or intervention as written or as a MeSH term, a concept of the
criteria vocabulary, a drug or drug class of the regimen vocabulary ("insulin", "cancer", "smartphone").
A two-word term is named when either of its words is.

Only the reasons read this; ranking does not.
"""

from __future__ import annotations

import itertools

from trialatlas.extract.regimen.drugs import lookup
from trialatlas.related.features import feature_label, words
from trialatlas.related.index import RelatedIndex
from trialatlas.text.words import english_zipf

# A word at least this common in general English (Zipf: log10 of occurrences per billion words; 3.5 is
# about once in 300,000 words: "rejection" 3.90, "primitive" 3.80, "insulin" 3.81) is named only as a
# domain word.
COMMON_ZIPF = 3.5
# The feature prefixes whose one-word names are domain words: conditions as written (c), MeSH ancestors
# (ca), concepts and broader concepts (cv, cb), drugs, classes and intervention MeSH terms (d, dc, dm, ia).
DOMAIN_PREFIXES = frozenset({"c", "ca", "cv", "cb", "d", "dc", "dm", "ia"})


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
    return term in domain_words(index) or any(checkable_word(index, word, text) for word in term.split())
