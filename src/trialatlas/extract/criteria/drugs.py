"""Drug mentions in criteria and notes, on top of the regimen's drug mention finder.

Every drug name (generic, brand, abbreviation, code) and its generic comes from the project's one drug
vocabulary (:mod:`trialatlas.text.drugs`) through :mod:`trialatlas.extract.regimen.drugs`. What
criteria need beyond it is the vocabulary's curated classes (``text/drug_classes.json``): the
pharmacological classes criteria and notes speak of ("anticoagulants", "beta-blockers", "DMARDs") with
the phrases that name them and the generics that belong to them (listed, by INN stem, or by a whole
regimen group); families of generics a criterion treats as one drug; and the few regimen aliases that
mean something else in clinical prose.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from trialatlas.extract.criteria.vocab import Matcher, analyte_matcher
from trialatlas.extract.regimen import drugs as regimen_drugs
from trialatlas.text.drugs import curated_drug_classes, regimen_acronyms

_CLASS_PREFIX = "class:"
# A word inside a hyphenated compound is a modifier, not a mention: "insulin-dependent",
# "steroid-resistant", "post-chemotherapy" name a condition or a time.
_COMPOUND_AFTER = re.compile(r"-[A-Za-z]")
# English words the regimen's INN-stem guess takes for drugs.
_NOT_DRUG_WORDS = frozenset(
    {
        "except",
        "concept",
        "accept",
        "intercept",
        "precept",
        "percept",
        "receptor",
        "polypeptide",
        "oligopeptide",
        "dipeptide",
        "statement",
        "devastating",
        "thermostat",
        "ecstatic",
        "metastatic",
        "prostatic",
        "hemostatic",
        "homeostatic",
        "electrostatic",
    }
)


@dataclass(frozen=True, slots=True)
class DrugMention:
    """A drug or drug class named in text: ``drug`` is the generic, ``drug_class`` a class id."""

    start: int
    end: int
    text: str
    drug: str | None
    drug_class: str | None
    known: bool = True

    @property
    def is_class(self) -> bool:
        return self.drug is None

    @property
    def concept(self) -> str:
        return self.drug if self.drug is not None else f"{_CLASS_PREFIX}{self.drug_class}"


def _data() -> dict[str, Any]:
    return curated_drug_classes()


def class_id(name: str) -> str:
    """A class id from a regimen class name ("calcineurin inhibitor" → "calcineurin_inhibitor")."""
    return "_".join(name.lower().split())


@cache
def class_table() -> dict[str, dict[str, Any]]:
    """The criteria drug classes, keyed by id."""
    classes: dict[str, dict[str, Any]] = _data()["classes"]
    return classes


@cache
def _class_matcher() -> Matcher:
    names: dict[str, str] = {}
    abbreviations: dict[str, str] = {}
    for identifier, entry in class_table().items():
        for name in entry.get("names", []):
            for spelling in _prefix_spellings(name.lower()):
                names.setdefault(spelling, identifier)
        for abbreviation in entry.get("abbrev", []):
            abbreviations.setdefault(abbreviation, identifier)
    return Matcher(names, abbreviations)


_PREFIX = re.compile(r"^(anti|non)(-?)(?=[a-z])")


def _prefix_spellings(name: str) -> tuple[str, ...]:
    """A class name with its prefix written both ways: "antifungals" and "anti-fungals",
    "non-steroidal" and "nonsteroidal" name the same class."""
    match = _PREFIX.match(name)
    if match is None:
        return (name,)
    other = match.group(1) + ("" if match.group(2) else "-") + name[match.end() :]
    return (name, other)


@cache
def _not_drugs() -> tuple[frozenset[tuple[str, ...]], frozenset[str]]:
    entry = _data()["not_drugs"]
    as_written = frozenset(tuple(regimen_drugs.WORD.findall(a)) for a in entry["as_written"])
    return as_written, frozenset(w.lower() for w in entry["words"])


@cache
def _families() -> dict[str, str]:
    table: dict[str, str] = {}
    for family, members in _data()["families"].items():
        for member in members:
            table[member] = family
    return table


@lru_cache(maxsize=8192)
def drug_family(drug: str) -> str:
    """The drug a criterion naming any form of it means ("insulin glargine" → "insulin")."""
    family = _families().get(drug)
    if family is not None:
        return family
    first = drug.split(" ", 1)[0]
    if first != drug:
        info = regimen_drugs.lookup(first)
        if info is not None and not info.is_class and info.name == first:
            return first
    return drug


# How a combination product's name joins its ingredients: "bictegravir/emtricitabine/tenofovir
# alafenamide", "emtricitabine and tenofovir", "lopinavir-ritonavir", "amoxicillin + clavulanate".
_INGREDIENT_JOINS = re.compile(r"\s*/\s*|\s+\+\s+|\s+and\s+|\s*\+\s*|(?<=[a-z])-(?=[a-z]{4})", re.IGNORECASE)


@lru_cache(maxsize=8192)
def drug_ingredients(drug: str) -> tuple[str, ...]:
    """The generics a combination product is made of, or () for a single drug. Every part must be a
    drug the vocabulary knows ("peg-interferon" is one drug, not "peg" and "interferon"), so a name is
    never split into words that are not drugs."""
    parts = [part for part in _INGREDIENT_JOINS.split(drug) if part.strip()]
    if len(parts) < 2:
        return ()
    generics: list[str] = []
    for part in parts:
        info = regimen_drugs.lookup(part.strip())
        if info is None or info.is_class:
            return ()
        # The vocabulary may file a single drug under a combination it is sold in (imipenem under
        # "imipenem/cilastatin"): an ingredient is then the part as written, never a combination.
        name = info.name if len(_INGREDIENT_JOINS.split(info.name)) < 2 else part.strip().lower()
        generics.append(name)
    return tuple(dict.fromkeys(generics))


_LIPOSOMAL = re.compile(r"liposom|pegylated", re.IGNORECASE)
_LIPOSOMAL_PREFIX = "liposomal "


def same_drug(wanted: str, given: str) -> bool:
    """Whether a patient's ``given`` drug is the criterion's ``wanted`` one (any form of it), or a
    combination product that contains it (tenofovir in "emtricitabine/tenofovir"). A liposomal
    formulation is a form of its drug, but a criterion naming the formulation does not mean the
    conventional drug."""
    if given.startswith(_LIPOSOMAL_PREFIX) and not wanted.startswith(_LIPOSOMAL_PREFIX):
        given = given.removeprefix(_LIPOSOMAL_PREFIX)
    if wanted == given or drug_family(wanted) == drug_family(given):
        return True
    return any(drug_family(wanted) == drug_family(part) for part in drug_ingredients(given))


def _in_class(drug: str, group: str | None, entry: dict[str, Any]) -> bool:
    if drug in entry.get("not_members", ()):
        return False
    if drug in entry.get("members", ()) or (group is not None and group in entry.get("groups", ())):
        return True
    return any(drug.endswith(stem) for stem in entry.get("stems", ())) or any(
        drug.startswith(prefix) for prefix in entry.get("prefixes", ())
    )


@lru_cache(maxsize=8192)
def class_closure(identifier: str) -> tuple[str, ...]:
    """``identifier`` and every class it falls under, transitively, narrowest first."""
    table = class_table()
    seen: list[str] = []
    stack = [identifier]
    while stack:
        current = stack.pop(0)
        if current in seen:
            continue
        seen.append(current)
        stack.extend(table.get(current, {}).get("broader", []))
    return tuple(seen)


@lru_cache(maxsize=8192)
def drug_classes(drug: str) -> tuple[str, ...]:
    """The classes a generic belongs to (its own first, broader ones after), by membership or stem."""
    info = regimen_drugs.lookup(drug)
    group = info.drug_class if info is not None and info.name == drug else None
    direct = [identifier for identifier, entry in class_table().items() if _in_class(drug, group, entry)]
    # The regimen's own groups that are pharmacological classes (immunosuppressant, glucocorticoid,
    # biologic) count too; its organising groups ("oncology", "cardiometabolic") are not in the table.
    if group is not None and class_id(group) in class_table() and class_id(group) not in direct:
        direct.append(class_id(group))
    result: list[str] = []
    for identifier in direct:
        for broader in class_closure(identifier):
            if broader not in result:
                result.append(broader)
    # A combination product is in every class of each of its ingredients.
    for part in drug_ingredients(drug):
        if part == drug:  # never the combination itself (see drug_ingredients)
            continue
        for identifier in drug_classes(part):
            if identifier not in result:
                result.append(identifier)
    return tuple(result)


def _in_compound(text: str, start: int, end: int) -> bool:
    before = start >= 2 and text[start - 1] == "-" and text[start - 2].isalnum()
    return before or _COMPOUND_AFTER.match(text, end) is not None


_SUPPLEMENT = re.compile(r"\s*(?:supplement\w*|therapy|replacement|infusion|tablets?|administration)\b", re.I)


def _keep(text: str, mention: regimen_drugs.Mention) -> bool:
    surface = mention.surface
    as_written, words = _not_drugs()
    if tuple(regimen_drugs.WORD.findall(surface)) in as_written or surface.lower() in words:
        return False
    if _in_compound(text, mention.start, mention.end):
        return False
    if not mention.known:
        # Development codes in criteria are mostly genes, mutations and scales (T790M, BRCA1, ECOG2).
        return regimen_drugs.looks_like_drug_word(surface) and surface.lower() not in _NOT_DRUG_WORDS
    # "Serum albumin", "glucose", "calcium" are measurements unless given as a treatment.
    if analyte_matcher().concept_of(surface) is not None:
        return _SUPPLEMENT.match(text, mention.end) is not None
    return True


@lru_cache(maxsize=65536)
def _drug_like(word: str) -> bool:
    return regimen_drugs.looks_like_drug_word(word) and word not in _NOT_DRUG_WORDS


def _may_name_drug(text: str) -> bool:
    """Whether any word could start a drug name or read as one (most criteria name no drug)."""
    sequence = regimen_drugs.WORD.findall(text.lower())
    # The vocabulary's own sets, lower-cased: its one-word names, and the leading words of longer
    # names, whose two-word ones are the first two words of a name (no set of them is made per process).
    vocabulary = regimen_drugs.vocabulary()
    if not vocabulary.one_word_names.isdisjoint(sequence) or not vocabulary.prefixes.isdisjoint(
        itertools.pairwise(sequence)
    ):
        return True
    return any(len(word) >= 6 and _drug_like(word) for word in sequence)


def find_drugs(text: str) -> list[DrugMention]:
    """Drugs and drug classes named in ``text``, in order, without overlaps (longer mentions win)."""
    found: list[DrugMention] = []
    for mention in regimen_drugs.find_mentions(text) if _may_name_drug(text) else ():
        if not _keep(text, mention):
            continue
        info = mention.info
        if info.is_class:
            found.append(DrugMention(mention.start, mention.end, mention.surface, None, class_id(info.name)))
        else:
            drug = info.name
            if _LIPOSOMAL.search(mention.surface) and not _LIPOSOMAL.search(drug):
                # "Doxorubicin HCl liposome", "Doxil": a formulation a criterion names apart from the
                # conventional drug ("no prior gemcitabine or doxorubicin HCl liposome").
                drug = f"{_LIPOSOMAL_PREFIX}{drug}"
            found.append(DrugMention(mention.start, mention.end, mention.surface, drug, None, mention.known))
    for phrase in _class_matcher().find(text):
        found.append(DrugMention(phrase.start, phrase.end, phrase.text, None, phrase.concept))
    if len(found) < 2:
        return found
    # On the same words a curated class wins: the packaged vocabulary behind the regimen names also
    # lists some class words ("anticoagulants") as if they were one drug.
    found.sort(key=lambda m: (m.start, -(m.end - m.start), m.drug_class is None))
    kept: list[DrugMention] = []
    for candidate in found:
        if kept and candidate.start < kept[-1].end:
            if candidate.end - candidate.start > kept[-1].end - kept[-1].start:
                kept[-1] = candidate
            continue
        kept.append(candidate)
    return kept


@dataclass(frozen=True, slots=True)
class RegimenMention:
    """A chemotherapy regimen named by its acronym ("R-CHOP") and the generics it is made of."""

    start: int
    end: int
    text: str
    drugs: tuple[str, ...]


@cache
def _regimen_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    data = regimen_acronyms()
    names = sorted(data["regimens"], key=len, reverse=True)
    # As written, whole, with an optional "m" (modified) before and a version number after
    # ("mFOLFOX6", "FOLFOX-4", "R-CHOP-21"); never inside a longer word or hyphenated name.
    acronym = re.compile(
        r"(?<![\w-])m?(?P<name>" + "|".join(map(re.escape, names)) + r")(?:-?\d{1,2})?(?![\w-])"
    )
    context = re.compile(r"\b(?:" + "|".join(data["context"]) + r")", re.IGNORECASE)
    return acronym, context


_CLAUSE_STOP = re.compile(r"[;,()\[\]]|\.\s")


def find_regimens(text: str) -> list[RegimenMention]:
    """Regimens named by acronym in ``text`` ("progressed after FOLFOX" → fluorouracil, leucovorin,
    oxaliplatin). An acronym that also abbreviates something else (VAD, a ventricular assist device)
    counts only beside a word of chemotherapy in its clause ("four cycles of VAD")."""
    acronym, context = _regimen_patterns()
    regimens = regimen_acronyms()["regimens"]
    found: list[RegimenMention] = []
    for match in acronym.finditer(text):
        entry = regimens[match["name"]]
        if entry.get("needs_context"):
            start = 0
            for stop in _CLAUSE_STOP.finditer(text, 0, match.start()):
                start = stop.end()
            after = _CLAUSE_STOP.search(text, match.end())
            if not context.search(text[start : after.start() if after else len(text)]):
                continue
        found.append(RegimenMention(match.start(), match.end(), match.group(), tuple(entry["drugs"])))
    return found


def mention_classes(mention: DrugMention) -> tuple[str, ...]:
    """The classes a mention stands for: the class it names, or the classes of the drug it names."""
    if mention.drug_class is not None:
        return class_closure(mention.drug_class)
    return drug_classes(mention.drug or "")


__all__ = [
    "DrugMention",
    "RegimenMention",
    "class_closure",
    "class_id",
    "class_table",
    "drug_classes",
    "drug_family",
    "drug_ingredients",
    "find_drugs",
    "find_regimens",
    "mention_classes",
    "same_drug",
]
