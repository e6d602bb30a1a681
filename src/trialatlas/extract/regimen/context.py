"""The trial's own intervention list as context for naming the drug of a dose.

Every registry record names its interventions (ClinicalTrials.gov ``intervention_name`` with its
``other_name`` synonyms). A name the drug vocabulary does not know ("KTP-001", "macrocyclic GBCA",
"MART-1:26-35(27L)") is still the name of a product when the trial lists it as an intervention, so where
an arm or intervention text writes it, it is read as a drug mention like a vocabulary name. A development
code the record pairs with one generic the vocabulary knows takes that generic (labelling rule R36:
"MCI-196" listed with "Colestilan(INN)" -> colestilan). Only names the text writes are read: a text that
names no drug keeps its doses unnamed (R55 of docs/regimen-labelling.md).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from trialatlas.extract.regimen.drugs import (
    _NOT_DRUGS,
    _STOPWORDS,
    WORD,
    DrugInfo,
    Mention,
    _exact_only,
    find_mentions,
    looks_like_code,
    lookup,
    written_generic,
)
from trialatlas.model import InterventionType, Trial
from trialatlas.text.packaged import packaged_words

# The trial's interventions, each as its name followed by its other names.
TrialInterventions = Sequence[Sequence[str]]

_BRACKETED = re.compile(r"\(([^()]*)\)")
# Between the words of a listed name the text may write other punctuation or spacing ("MART-1:26-35(27L)"
# listed as "MART-1:26-35(27L)" or written "MART-1: 26-35 (27L)").
_GAP = r"[^A-Za-z0-9]{0,3}"
_MAX_WORDS = 5
# "Formulation F", "Group 2": a label of one letter or number names an arm, not a product.
_LABELLED = re.compile(r"\s(?:[A-Za-z]|\d+|[IVX]+)$")
# The kind of product written after a listed name is part of its name as the text writes it
# ("MART-1:26-35(27L) peptide", "IM19 CAR-T cells").
_KIND_AFTER = re.compile(r"\s?(?:peptides?|vaccines?|cells|conjugate)\b", re.IGNORECASE)
# Interventions that are no product a dose can be of.
_NOT_PRODUCTS = frozenset(
    {
        InterventionType.PROCEDURE,
        InterventionType.RADIATION,
        InterventionType.BEHAVIORAL,
        InterventionType.DIAGNOSTIC_TEST,
    }
)


@dataclass(frozen=True, slots=True)
class Context:
    """What a trial's intervention list lets a text's words mean: its listed names, longest first, and the
    generics its interventions stand for (for shortened names, "TEMSR" -> temsirolimus)."""

    names: tuple[ContextName, ...]
    generics: tuple[DrugInfo, ...]


@dataclass(frozen=True, slots=True)
class ContextName:
    """One name a trial lists for an intervention: where the text writes it, and the drug it is of (None:
    the name as the text writes it)."""

    # The lower-cased first word, looked for before the pattern is compiled and run: most listed names
    # are not written in a given text, and compiling every one costs more than reading the text.
    first: str
    pattern: str
    flags: int
    generic: DrugInfo | None
    # Whether a kind of product written after the name is part of it ("MART-1:26-35(27L) peptide"): not
    # for a name a dose level's name gives, whose kind words were what it was shortened by (R144).
    takes_kind: bool = True


@lru_cache(maxsize=1)
def _not_product_words() -> frozenset[str]:
    return packaged_words(__package__, "not_product_words.txt")


@lru_cache(maxsize=1)
def _name_tails() -> frozenset[str]:
    return packaged_words(__package__, "listed_name_tails.txt")


# A list of names in one listed name: "peptide 946, gp100 [280-288], YLEPGPVTA" (a comma or semicolon, in
# either width, outside brackets: "PBMCs (sc, q3wk x 3)" is one name).
_NAME_LIST = re.compile(r"\s*[,;\uff0c\uff1b]\s*")
_OPEN = re.compile(r"[(\[]")
_CLOSE = re.compile(r"[)\]]")


def _parts(name: str) -> list[str]:
    """The names a listed name lists, each on its own (R144): a part that opens with a word of prose
    ("..., from Seppic.") is no name."""
    parts: list[str] = []
    start = 0
    for separator in _NAME_LIST.finditer(name):
        before = name[: separator.start()]
        if len(_OPEN.findall(before)) == len(_CLOSE.findall(before)):
            parts.append(name[start : separator.start()])
            start = separator.end()
    if not parts:
        return [name]
    parts.append(name[start:])
    stripped = [part.strip(" .") for part in parts]
    return [part for part in stripped if part and part.split()[0].lower() not in _STOPWORDS]


def without_tail(name: str) -> str | None:
    """A listed name without the dose level, arm or form words it ends in ("TG-C High Dose" -> "TG-C",
    "JK500 cell injection" -> "JK500"; R144), or None when it ends in none or is nothing without them."""
    words = name.split()
    kept = len(words)
    while kept > 1 and words[kept - 1].lower() in _name_tails():
        kept -= 1
    if kept == len(words) or kept == 0:
        return None
    return " ".join(words[:kept])


def _written_names(names: Sequence[str]) -> list[str]:
    """Each listed name and, apart, an abbreviation or a name written in brackets after it ("Potassium
    Iodide (KI)" -> both); a bracket that is part of a code ("MART-1:26-35(27L)") stays in it. A listed
    name that lists several ("peptide 946, gp100 [280-288]") gives each (R144)."""
    out: list[str] = []
    for name in (part for listed in names for part in _parts(listed)):
        inner = [part.strip() for part in _BRACKETED.findall(name)]
        if inner and all(" " in part or part.isalpha() for part in inner):
            out.append(" ".join(_BRACKETED.sub(" ", name).split()))
            out.extend(" ".join(part.split()) for part in inner)
        else:
            out.append(" ".join(name.split()))
    return [name for name in out if name]


def _generics(names: Sequence[str]) -> set[str]:
    """The specific generics the vocabulary reads in ``names`` (classes left out)."""
    return {m.info.name for name in names for m in find_mentions(name) if m.known and not m.info.is_class}


def _stands_for(names: list[str]) -> DrugInfo | None:
    """The one generic an intervention's names give: that of its first name, else the only one its names
    give together."""
    for group in (names[:1], names):
        generics = _generics(group)
        if len(generics) == 1:
            return lookup(next(iter(generics))) or DrugInfo(next(iter(generics)), None)
        if generics:
            return None
    return None


def _product_name(name: str) -> bool:
    words = [word.lower() for word in WORD.findall(name)]
    if not words or len(words) > _MAX_WORDS or len("".join(words)) < 3:
        return False
    if len(words) == 1 and (words[0] in _STOPWORDS or words[0] in _NOT_DRUGS):
        return False
    if _LABELLED.search(name):
        return False
    return not any(word in _not_product_words() for word in words)


_SHORT_NAME = re.compile(r"^[A-Z][A-Z0-9]{1,5}$")


def _short_name_of(name: str, names: Sequence[str], generic: DrugInfo) -> DrugInfo | None:
    """The drug a short name in capitals stands for when a listed name defines it in brackets after itself
    ("Potassium Iodide (KI)") as ``generic`` and the vocabulary does not read it otherwise (R147): the
    generic as the name before the bracket writes it (its salt kept, R86); else None."""
    if not _SHORT_NAME.match(name) or name.lower() in _STOPWORDS or name.lower() in _NOT_DRUGS:
        return None
    known = lookup(name)
    if known is not None and known.name != generic.name:
        return None
    if any(m.known and m.start == 0 and m.end >= len(name) for m in find_mentions(name)):
        return None
    for listed in names:
        outer, bracket, rest = listed.partition("(")
        if bracket and rest.strip().rstrip(")").strip() == name and _generics([outer]) == {generic.name}:
            return DrugInfo(written_generic(" ".join(outer.split()), generic.name), generic.drug_class)
    return None


def _listed(name: str, generic: DrugInfo | None, takes_kind: bool = True) -> ContextName:
    words = WORD.findall(name)
    body = _GAP.join(re.escape(word) for word in words)
    # A short name in capitals ("GBCA") is matched only as written, as the vocabulary's abbreviations are.
    flags = 0 if _exact_only(name) else re.IGNORECASE
    pattern = rf"(?<![A-Za-z0-9]){body}(?![A-Za-z0-9])"
    return ContextName(words[0].lower(), pattern, flags, generic, takes_kind)


@lru_cache(maxsize=4096)
def _compiled(pattern: str, flags: int) -> re.Pattern[str]:
    return re.compile(pattern, flags)


@lru_cache(maxsize=512)
def trial_context(interventions: tuple[tuple[str, ...], ...]) -> Context:
    """The names of a trial's interventions worth reading in its texts, longest first. A name listed
    under two interventions (a regimen's name, "CHOP" beside each of its drugs) names none of them."""
    listed: dict[str, list[DrugInfo | None]] = {}
    generics: dict[str, DrugInfo] = {}
    # Names a listed name gives without its dose-level words, once per name however many levels list it.
    levels: dict[str, DrugInfo | None] = {}
    for names in interventions:
        every = _written_names(names)
        for name in every:
            short = without_tail(name)
            if short is not None and _product_name(short) and lookup(short) is None:
                levels.setdefault(short, None)
        written = [name for name in every if _product_name(name)]
        generic = _stands_for(written)
        if generic is not None:
            for name in dict.fromkeys(every):
                defined = None if _product_name(name) else _short_name_of(name, names, generic)
                if defined is not None:
                    # "Potassium Iodide (KI)": a short name too short for a product's name elsewhere is
                    # the generic the listed name defines it as, where this trial's texts write it (R147).
                    listed.setdefault(name, []).append(defined)
        if generic is not None:
            generics.setdefault(generic.name, generic)
        for name in dict.fromkeys(written):
            if lookup(name) is not None:
                continue  # the vocabulary reads it already
            if looks_like_code(name.replace(" ", "")) or looks_like_code(name):
                # R36: a code takes a generic only when the record lists that generic itself.
                spelt = generic is not None and any(
                    generic.name == " ".join(n.lower().split()) for n in written
                )
                listed.setdefault(name, []).append(generic if spelt else None)
            else:
                # An abbreviation or other unknown name stands for the intervention's generic, if it has one.
                listed.setdefault(name, []).append(generic if _exact_only(name) else None)
    found = [_listed(name, infos[0]) for name, infos in listed.items() if len(infos) == 1]
    found += [_listed(name, info, takes_kind=False) for name, info in levels.items() if name not in listed]
    found.sort(key=lambda entry: -len(entry.pattern))
    return Context(tuple(found), tuple(generics.values()))


def trial_interventions(trial: Trial) -> list[list[str]]:
    """A trial's interventions that can be dosed, each as its name followed by its other names."""
    return [
        [intervention.name, *intervention.other_names]
        for intervention in trial.interventions
        if intervention.name and intervention.type not in _NOT_PRODUCTS
    ]


def as_context(interventions: TrialInterventions) -> tuple[tuple[str, ...], ...]:
    """The hashable form of a trial's intervention names."""
    return tuple(tuple(names) for names in interventions)


def with_context(text: str, mentions: list[Mention], context: Context) -> list[Mention]:
    """``mentions`` with the trial's listed names the text writes added as known mentions. A listed name
    replaces the drug-like guesses it covers (an unknown code read in part); it never displaces a name
    the vocabulary reads. A capitalised word that begins the name of exactly one of the trial's listed
    generics ("TEMSR", "Pred") is a short form of it."""
    result = list(mentions)
    lowered = text.lower()
    for entry in context.names:
        if entry.first not in lowered:
            continue
        for match in _compiled(entry.pattern, entry.flags).finditer(text):
            start, end = match.span()
            covered = [m for m in result if m.start < end and start < m.end]
            if any(m.known or m.start < start or m.end > end for m in covered):
                continue
            for left, right in ("()", "[]"):
                if text.startswith(right, end) and text.count(left, start, end) > text.count(
                    right, start, end
                ):
                    end += 1  # "gp100:209-217(210M)": the bracket the listed name closes
            if _JOINED_AFTER.match(text, end) or _JOINED_BEFORE.search(text, max(0, start - 2), start):
                # "gp100 [280-288]/tetanus peptide conjugate": a listed name joined by a slash to another
                # word is part of a longer product's name the list does not give (R144): not read.
                continue
            kind = _KIND_AFTER.match(text, end) if entry.takes_kind else None
            if kind is not None:
                end = kind.end()
            surface = text[start:end]
            info = entry.generic or DrugInfo(" ".join(surface.lower().split()), None)
            result = [m for m in result if m not in covered]
            result.append(Mention(start, end, info, surface))
    if context.generics:
        result += _short_forms(text, result, context.generics)
    result.sort(key=lambda m: m.start)
    return result


_JOINED_AFTER = re.compile(r"/[A-Za-z0-9]")
_JOINED_BEFORE = re.compile(r"[A-Za-z0-9]/$")
_SHORT_FORM = re.compile(r"(?<![A-Za-z0-9-])[A-Z][A-Za-z]{2,7}(?![A-Za-z0-9-])")


def _shortens(word: str, name: str) -> bool:
    """Whether ``word`` (lower case) is a short form of ``name``: of a one-word name, its first three
    letters, then the rest of its letters in order ("pred" -> prednisone, "temsr" -> temsirolimus); of a
    name of several words, the start of each word in turn ("ino" -> inotuzumab ozogamicin)."""
    if word == name:
        return False
    words = name.split()
    if len(words) > 1:
        return _word_starts(word, words)
    if len(word) < 4 or not name.startswith(word[:3]):
        return False
    rest = iter(name[3:])
    return all(letter in rest for letter in word[3:])


def _word_starts(word: str, words: list[str]) -> bool:
    """Whether ``word`` is the start of each of ``words`` in turn, every word giving at least a letter."""
    if not words:
        return not word
    return any(
        words[0].startswith(word[:size]) and _word_starts(word[size:], words[1:])
        for size in range(1, len(word) - len(words) + 2)
    )


def _short_forms(text: str, mentions: list[Mention], generics: tuple[DrugInfo, ...]) -> list[Mention]:
    found: list[Mention] = []
    for match in _SHORT_FORM.finditer(text):
        written = match.group(0)
        word = written.lower()
        if (
            word in _STOPWORDS
            or word in _NOT_DRUGS
            or any(m.start < match.end() and match.start() < m.end for m in mentions)
        ):
            continue
        # A short form of a name of several words is written with a capital for each ("InO"): a word
        # of prose that happens to start like them ("Inside") is not one.
        meant = [
            info
            for info in generics
            if _shortens(word, info.name)
            and (" " not in info.name or sum(ch.isupper() for ch in written) >= len(info.name.split()))
        ]
        if len(meant) == 1:
            found.append(Mention(match.start(), match.end(), meant[0], written))
    return found


def with_own_short_forms(text: str, mentions: list[Mention]) -> list[Mention]:
    """``mentions`` with the short forms of the text's own names of several words added ("inotuzumab
    ozogamicin ... InO 0.8mg/m2"): the text says what it shortens, whatever else the vocabulary files the
    letters under (INO, inhaled nitric oxide)."""
    generics = {m.info.name: m.info for m in mentions if m.known and " " in m.info.name}
    if not generics:
        return mentions
    found = _short_forms(text, mentions, tuple(generics.values()))
    return sorted([*mentions, *found], key=lambda m: m.start) if found else mentions
