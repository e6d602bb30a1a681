"""Which drug a dose is of, where the nearest-name reading of drug_choice.py goes wrong: by the grammar
of dose statements rather than by a list of cases.

- ``<Name> <amount>``: a regimen table's line or clause names its drug right before the dose ("GCSF
  5 mcg/kg/d SQ", "dex 40 mg/d PO", "CdA: 0.14 mg/kg"). A name written so beats a drug named further
  back that already has a dose of its own. A standard abbreviation counts in any letter case there
  (the vocabulary matches short abbreviations only as written, so that "tac" in prose is no drug);
  an unknown capitalised word or acronym counts as a drug named as written.
- ``<amount> <Name>, <amount> <Name>``: a list that names each drug after its dose ("8 mg betamethasone,
  3 cc bupivacaine") gives each dose the name after it, not the one before that belonged to the dose
  before it.
- One drug named in the whole text: a dose that no sentence names is that drug's ("5 mg/kg IV weekly,
  then maintenance with cidofovir 3 mg/kg"), unless the drug is named only as what the dose is timed
  against ("1 hour after herceptin").
- Names a dose keeps as written (text/drugs.json ``named_as_written``): class names ("G-CSF") and
  products with no single generic ("S-1"), which the vocabulary files under one of their members.
- ``<Product> injection|solution|at <amount>`` and hyphenated codes right before a dose ("Kanglaite
  injection 200ml", "Id-KLH (0.5 mg"): a product the vocabulary does not know names its own dose, as
  written, rather than the dose going to a drug of an earlier sentence.
- ``<long name> (<short name>)``: a short name the text defines ("interleukin-2 (IL-2)") names its doses
  as the long one does, whatever the vocabulary files the short one under.
"""

from __future__ import annotations

import itertools
import re
from functools import cache

from trialatlas.extract.regimen.drugs import _NOT_CODES as NOT_CODES
from trialatlas.extract.regimen.drugs import _NOT_DRUGS as NOT_DRUGS
from trialatlas.extract.regimen.drugs import _STOPWORDS as STOPWORDS
from trialatlas.extract.regimen.drugs import (
    INTERVENTION_TYPES,
    SALTS,
    WORD,
    DrugInfo,
    Mention,
    vocabulary,
    written_generic,
)
from trialatlas.extract.regimen.lexicon import find_frequencies, find_routes
from trialatlas.extract.regimen.models import RegimenItem
from trialatlas.text.drugs import names_kept_as_written

# What may stand between a name and its dose: a space, a colon, an opening bracket, "=".
_NAME_GAP = re.compile(r"[ \t]*[:=(]?[ \t]*")
_ROUTE_AT_GAP = re.compile(
    r"\s+(?:orally|by\s+mouth|PO|IV|intravenously|SC|subcutaneously|IM|intramuscularly)\s+at\s+(?:a\s+dose\s+of\s+)?$",
    re.IGNORECASE,
)
# A name written as a regimen line's subject: an acronym ("GCSF", "IFN"), or a capitalised word.
_ACRONYM = re.compile(r"^(?:\d-)?[A-Z][A-Za-z]{1,5}$")
_CAPITALISED = re.compile(r"^[A-Z][a-z]{4,}$")
# A dose timed against another drug names that drug as an anchor, not as what is given.
# So does a level measured ("serum MTX < 0.05 uM") and a cycle of another drug the dose goes with.
_ANCHOR_BEFORE = re.compile(
    r"\b(?:after|before|following|prior\s+to|preceding|than|vs\.?|versus|not\s+receiving|serum|plasma|blood|"
    # "50 mg/kg/d with Mesna" gives another drug alongside; "therapy with cidofovir" names the one given.
    r"(?<!therapy\s)(?<!treatment\s)(?<!treated\s)with|"
    r"levels?\s+of|(?:cycles?|courses?)\s+of|"
    # "beginning 24 hours prior to the first dose of 5-FU": the time of another drug's dose; "500 mg daily
    # (or acyclovir 200 mg ...)": another drug offered instead, with a dose of its own.
    r"(?:first|last|final|next)\s+(?:dose|infusion|administration)\s+of|(?<=\()or|"
    # "hold ... only if IV MTX course is delayed": a drug named in a condition is not the one given.
    r"if|unless|when|whether)\s+(?:the\s+)?(?:[A-Za-z]{1,4}\s+)?$",
    re.IGNORECASE,
)
# A dose in brackets right after a word: that word names it ("Unlabeled anti-B1 (450mg)").
_BRACKETED_AFTER_NAME = re.compile(r"([A-Za-z][A-Za-z0-9-]*)\s*\(\s*$")
_NEXT_WORD = re.compile(r"[\s)\]]*([A-Za-z][A-Za-z0-9-]*)")
# Words an acronym or a capitalised word right before a dose must not be: units, dosing words, times.
_NOT_NAMES = frozenset(
    {
        "dose",
        "doses",
        "day",
        "days",
        "week",
        "weeks",
        "level",
        "levels",
        "cohort",
        "group",
        "arm",
        "step",
        "phase",
        "cycle",
        "course",
        "courses",
        "total",
        "then",
        "and",
        "or",
        "of",
        "at",
        "to",
        "with",
        "plus",
        "max",
        "maximum",
        "bolus",
    }
)


@cache
def _abbreviations() -> dict[str, DrugInfo]:
    """Single-word names the vocabulary matches only as written, by their lower-case spelling (where the
    spelling names one drug only)."""
    found: dict[str, DrugInfo] = {}
    clashes: set[str] = set()
    for key, info in vocabulary().by_exact.items():
        if len(key) != 1:
            continue
        lowered = key[0].lower()
        if lowered in found and found[lowered].name != info.name:
            clashes.add(lowered)
        found.setdefault(lowered, info)
    return {word: info for word, info in found.items() if word not in clashes}


def _plain_word(word: str) -> bool:
    lowered = word.lower()
    return (
        lowered in STOPWORDS or lowered in NOT_DRUGS or lowered in _NOT_NAMES or lowered in INTERVENTION_TYPES
    )


def name_right_before(
    text: str, amount_start: int, window_start: int, mentions: list[Mention], known_only: bool = False
) -> DrugInfo | None:
    """The drug named by the word written right against a dose (``<Name> <amount>``), where the vocabulary
    found no drug there: a known abbreviation in any case, else an unknown acronym or capitalised word."""
    words = list(WORD.finditer(text, max(window_start, amount_start - 40), amount_start))
    if not words:
        return None
    last = words[-1]
    if not _NAME_GAP.fullmatch(text, last.end(), amount_start) or last.group(0).lower() == "at":
        # "received Cy orally at 100 mg": a known abbreviation, a route and "at" before the dose.
        lead = _ROUTE_AT_GAP.search(text, max(window_start, amount_start - 40), amount_start)
        if lead is None:
            return None
        before = [word for word in words if word.end() <= lead.start()]
        if not before or before[-1].end() != lead.start():
            return None
        last, known_only = before[-1], True
    start = last.start()
    if start >= 2 and text[start - 1] == "-" and text[start - 2].isdigit():
        start -= 2  # "2-CdA"
    if any(m.start <= last.start() < m.end for m in mentions):
        return None
    written = text[start : last.end()]
    word = last.group(0)
    if not word.isalpha() or _plain_word(word):
        return None
    if start > 0 and (text[start - 1].isalnum() or text[start - 1] in "/-"):
        return None  # part of a longer token ("L5/S1", "anti-B1")
    if find_routes(written) or find_frequencies(written):
        return None  # "IV 200 mg", "BID 5 mg"
    known = _abbreviations().get(written.lower())
    if known is not None or known_only:
        return known
    if _ACRONYM.match(written) and sum(ch.isupper() for ch in written) >= 2 and len(word) >= 3:
        return DrugInfo(written.lower(), None)
    if _CAPITALISED.match(word) and _line_start(text, start):
        return DrugInfo(word.lower(), None)
    return None


_SHORT_NAME = re.compile(r"^[A-Z][A-Za-z]{1,5}$")
_LIST_SEPARATOR_BEFORE = re.compile(r"(?:^|[,;:\n+]|\b(?:and|plus))[ \t]*$", re.IGNORECASE)


def unread_name_right_before(text: str, amount_start: int, mentions: list[Mention]) -> bool:
    """Whether a short capitalised word no vocabulary reads stands right against a dose after a list
    separator (", Bu 3.2 mg/kg"): a regimen line naming its own drug, which name_right_before could not."""
    words = list(WORD.finditer(text, max(0, amount_start - 20), amount_start))
    if not words or not _NAME_GAP.fullmatch(text, words[-1].end(), amount_start):
        return False
    last = words[-1]
    word = last.group(0)
    if not _SHORT_NAME.match(word) or _plain_word(word) or find_routes(word) or find_frequencies(word):
        return False
    if any(m.start <= last.start() < m.end for m in mentions):
        return False
    return bool(_LIST_SEPARATOR_BEFORE.search(text, max(0, last.start() - 8), last.start()))


# "Peptide T given intranasally at a dosage of 2 mg": a sentence whose subject is the product it gives.
_SUBJECT_GIVEN = re.compile(
    r"[\s*•-]*(?P<name>[A-Z][A-Za-z0-9-]*(?:\s+[A-Z0-9][A-Za-z0-9-]*){0,2})\s+(?:is\s+|was\s+|will\s+be\s+|are\s+|were\s+)?"
    r"(?:given|administered|dosed|infused|injected|instilled)\b"
)
# Words that make a subject a stand-in, not a name ("Study drug given", "Drug A administered").
_STAND_INS = frozenset(
    {
        "drug",
        "drugs",
        "study",
        "medication",
        "product",
        "agent",
        "treatment",
        "therapy",
        "intervention",
        "placebo",
    }
)


def subject_name(text: str, sentence_start: int, amount_start: int) -> DrugInfo | None:
    """The product a sentence opens with as the subject of "given"/"administered", for a dose in that
    sentence that no known name claims, named as written."""
    match = _SUBJECT_GIVEN.match(text, sentence_start, amount_start)
    if match is None:
        return None
    words = match.group("name").split()
    lowered = [word.lower() for word in words]
    if lowered[0] in STOPWORDS or any(word in _STAND_INS or word in STOPWORDS for word in lowered):
        return None
    if len(words) == 1 and (lowered[0] in NOT_DRUGS or len(lowered[0]) < 4):
        return None
    return DrugInfo(" ".join(lowered), None)


# "Kanglaite injection 200ml", "Lugol's solution 20 drops", "cycles of hu3S193 at 10 mg/m2": a product
# the vocabulary does not know, written right before its dose with a dose form or "at" between.
_PRODUCT_BEFORE = re.compile(
    r"(?P<name>[A-Za-z][A-Za-z0-9'’-]*)\s+(?P<form>injection|solution|tablets?|capsules?|at)"
    r"(?:\s+(?:a\s+)?doses?(?:\s+(?:of|between|from|ranging\s+from))?)?[ \t]*[:(]?[ \t]*$",
    re.IGNORECASE,
)
# An eponymous solution is named with its form ("Lugol's solution", "Ringer's solution").
_POSSESSIVE = re.compile(r"['’]s$")
# A code in mixed case ("hu3S193", "huN901"): letters, then a run of at least two digits, and a capital.
_MIXED_CODE = re.compile(r"^[a-z]{1,4}[A-Z0-9][A-Za-z0-9]*\d{2,}[A-Za-z0-9]*$")


_HYPHENATED_CODE_BEFORE = re.compile(
    r"(?<![\w-])(?P<code>(?=[A-Za-z0-9-]*(?:[A-Z][A-Za-z-]*[A-Z]|\d))[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)+)"
    r"(?:\s+(?:vaccines?|cells?|injection|at))?(?:\s+at)?[ \t]*[:(]?[ \t]*$"
)


_INTERLEUKIN = re.compile(r"^(?:rh|h|r)?IL-(\d{1,2})$")


def product_written_before(
    text: str, amount_start: int, window_start: int, mentions: list[Mention]
) -> DrugInfo | None:
    """The product a dose's own sentence names right before it, with a dose form or "at" between, when
    the vocabulary does not know it: named as written rather than given to a drug of another sentence."""
    code = _HYPHENATED_CODE_BEFORE.search(text, max(window_start, amount_start - 60), amount_start)
    if (
        code is not None
        and not NOT_CODES.match(code.group("code"))
        # "anti-CD20" names a target, not a product.
        and not code.group("code").lower().startswith("anti-")
        and not any(m.start < code.end("code") and code.start("code") < m.end for m in mentions)
    ):
        # "Id-KLH (0.5 mg SC)", "MUC-1-KLH vaccines at 3ug": a hyphenated code names its dose as written;
        # an interleukin's standard short form is written out ("rhIL-12" -> interleukin-12).
        interleukin = _INTERLEUKIN.match(code.group("code"))
        if interleukin is not None:
            return DrugInfo(f"interleukin-{interleukin.group(1)}", None)
        return DrugInfo(code.group("code").lower(), None)
    match = _PRODUCT_BEFORE.search(text, max(window_start, amount_start - 60), amount_start)
    if match is None or any(m.start < match.end("name") and match.start("name") < m.end for m in mentions):
        return None
    name = match.group("name")
    if _MIXED_CODE.match(name):
        return DrugInfo(name.lower(), None)
    word = _POSSESSIVE.sub("", name)
    acronym = _ACRONYM.match(word) and sum(ch.isupper() for ch in word) >= 2
    if acronym and match.group("form").lower() == "at" and not _plain_word(word):
        # "TSC at doses between 0.25 mg/kg and ...": an acronym dosed "at" is the product the sentence
        # doses, not the drug it is combined with after the dose.
        return None if find_routes(word) or find_frequencies(word) else DrugInfo(word.lower(), None)
    if not (word[:1].isupper() and word[1:].islower() and word.isalpha() and len(word) >= 4):
        return None
    if _plain_word(word) or find_routes(word) or find_frequencies(word):
        return None
    if _POSSESSIVE.search(name) and match.group("form").lower() == "solution":
        return DrugInfo(f"{name.lower()} solution", None)
    return DrugInfo(name.lower(), None)


def _line_start(text: str, start: int) -> bool:
    """Whether a word opens a line, a clause after ";" or a list item: where a regimen table names a drug."""
    before = text[max(0, start - 4) : start].rstrip(" \t*•-")
    return not before or before[-1] in "\n;:"


def named_after_previous_dose(
    text: str, previous_end: int, mention: Mention, adjacent_after: re.Pattern[str]
) -> bool:
    """Whether ``mention`` is the name written right after the dose before (``8 mg betamethasone, 3 cc``):
    that dose's drug, so not the drug of the dose after it."""
    return 0 <= previous_end <= mention.start and bool(
        adjacent_after.fullmatch(text, previous_end, mention.start)
    )


# Nouns that head a product's name written after its dose ("peptide gp100", "vaccine XYZ-12").
_PRODUCT_HEADS = frozenset({"peptide", "peptides", "vaccine", "vaccines", "antibody", "conjugate"})
# ...when a code-like word (letters and digits) follows: the product's own name.
_NAMED_PRODUCT_AFTER = re.compile(r"\s+(?=[A-Za-z-]*\d)(?=[0-9-]*[A-Za-z])[A-Za-z0-9-]{3,}\b")


# A product's name written right after its dose as a noun phrase its kind heads ("190 mcg tetanus peptide",
# "0.5 mL of the HPV-16 vaccine"): up to three words and the kind (R145).
_KIND_PHRASE_AFTER = re.compile(
    r"[ \t]*(?:of[ \t]+(?:the[ \t]+)?)?((?:[A-Za-z][A-Za-z0-9'-]*[ \t]+){1,3}"
    r"(?:peptides?|vaccines?|conjugates?|toxoids?|antigens?))\b"
)


def product_phrase_after(text: str, amount_end: int, mentions: list[Mention]) -> DrugInfo | None:
    """The product a noun phrase right after a dose names, as written, when no word of it is a name the
    vocabulary or the trial's list reads and none is a word of prose, a route or a schedule; else None."""
    phrase = _KIND_PHRASE_AFTER.match(text, amount_end)
    if phrase is None:
        return None
    start, end = phrase.span(1)
    if any(m.start < end and start < m.end for m in mentions):
        return None
    words = phrase.group(1).split()
    for word in words[:-1]:
        lowered = word.lower()
        if (
            lowered in STOPWORDS
            or lowered in NOT_DRUGS
            or lowered.endswith(("ed", "ing"))
            or find_routes(word)
            or find_frequencies(word)
        ):
            return None
    return DrugInfo(" ".join(word.lower() for word in words), None)


def only_drug(
    text: str, amount_end: int, mentions: list[Mention], amount_start: int | None = None
) -> Mention | None:
    """The one drug a text names (placebo aside), when every mention of it is one generic and it is not
    named only as what a dose is timed against, for a dose that no word after it names ("190 mcg tetanus
    peptide, plus 100 mcg QS-21" names its own); else ``None``."""
    following = _NEXT_WORD.match(text, amount_end)
    if following is not None:
        word = following.group(1)
        if not (_plain_word(word) or find_routes(word) or find_frequencies(word)):
            return None
        if word.lower() in _PRODUCT_HEADS and _NAMED_PRODUCT_AFTER.match(text, following.end()):
            # "100 mcg peptide gp100 [280-288] plus IFA": a product named after its dose, which the
            # vocabulary does not know, is not the one drug it does.
            return None
    bracketed = (
        _BRACKETED_AFTER_NAME.search(text, max(0, amount_start - 40), amount_start)
        if amount_start is not None
        else None
    )
    if bracketed is not None and not _plain_word(bracketed.group(1)):
        # "Unlabeled anti-B1 (450mg)": the dose is bracketed after a name the vocabulary does not know.
        return None
    # Unknown words that only look like codes ("IV 29") are no drug to give a dose to.
    named = [m for m in mentions if m.info.name != "placebo"]
    if not all(m.known for m in named):
        return None
    if not named or len({m.info.name for m in named}) != 1 or named[0].info.is_class:
        return None
    if all(_ANCHOR_BEFORE.search(text, max(0, m.start - 30), m.start) for m in named):
        return None
    return named[0]


def kept_as_written(written: str) -> str | None:
    """The name a dose keeps as written, lower case, for a class name or a product with no single generic
    ("G-CSF" -> "g-csf"), else ``None``."""
    key = " ".join(written.split())
    if key.lower() in names_kept_as_written():
        return key.lower()
    return None


_OPENS_DEFINITION = re.compile(r"[ \t]*\([ \t]*")
_CLOSES_DEFINITION = re.compile(r"[ \t]*\)")


def kept_short_name(text: str, mentions: list[Mention], written: str) -> str | None:
    """The short name kept as written that the text defines the name ``written`` by, in brackets right
    after it ("Granulocyte macrophage-colony stimulating factor (GM-CSF)" -> "gm-csf", R56): the class the
    spec names as written, where the long name is filed under one drug of it."""
    for full, short in itertools.pairwise(mentions):
        if (
            full.surface == written
            and _OPENS_DEFINITION.fullmatch(text, full.end, short.start)
            and _CLOSES_DEFINITION.match(text, short.end)
        ):
            return kept_as_written(short.surface)
    return None


def name_defined_abbreviations(text: str, items: list[RegimenItem], mentions: list[Mention]) -> None:
    """A short name the text defines by a longer one ("interleukin-2 (IL-2) ... IV IL-2 (720,000 IU/kg")
    names its doses as the longer name does, where the vocabulary files the two apart (IL-2 under
    aldesleukin): the text says what it means by the short one."""
    defined: dict[str, Mention] = {}
    for full, short in itertools.pairwise(mentions):
        if (
            full.info.name != short.info.name
            and len(short.surface) < len(full.surface)
            and _OPENS_DEFINITION.fullmatch(text, full.end, short.start)
            and _CLOSES_DEFINITION.match(text, short.end)
        ):
            defined.setdefault(short.surface, full)
    if not defined:
        return
    for item in items:
        full_mention = defined.get(item.drug_text or "")
        if item.drug is None or full_mention is None:
            continue
        kept = kept_as_written(full_mention.surface)
        item.drug = kept or written_generic(full_mention.surface, full_mention.name_as_written)


def salt_not_written(name: str, text: str, mentions: list[Mention]) -> str | None:
    """The generic without the salt a brand is filed under, where the text writes that generic itself and
    nowhere writes the salt ("Tolterodine SR 4 mg (Detrusitol SR 4 mg)": Detrusitol is filed under
    tolterodine tartrate, but the text names tolterodine): the spec keeps a salt only as written."""
    base, _, salt = name.rpartition(" ")
    written = " ".join(text.lower().split())
    # "magnesium sulphate": the salt written in its British spelling is written all the same.
    if not base or salt not in SALTS or name in written or name in written.replace("sulph", "sulf"):
        return None
    if any(" ".join(m.surface.lower().split()) == base and not m.salt for m in mentions):
        return base
    return None
