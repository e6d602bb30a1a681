"""The drug vocabulary and the normaliser that finds drug mentions in text.

Mentions are found by looking word sequences up in a dictionary (one pass over the words, longest
match first) rather than with one huge regular expression, which keeps parsing fast. Short capitalised
abbreviations (MMF, TAC, CTX) only match as written, so "tac" or "dex" inside prose is not a drug.
Names the vocabulary does not know are still recognised where they look like drugs: development
codes (BEBT-109, GSK189075) and words with drug-name stems (-mab, -nib, -vir ...); and a misspelt
known name next to a dose ("Pregablin 75 mg") is corrected with rapidfuzz.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import cast

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from trialatlas.model import InterventionType
from trialatlas.text.built import built
from trialatlas.text.drugs import (
    curated_drugs,
    mined_drug_codes,
    packaged_drug_names,
    synonyms_named_by_generic,
)
from trialatlas.text.packaged import packaged_words
from trialatlas.text.words import stop_words

WORD = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)?")
_MAX_WORDS = 5

# Salt and ester words after a generic name: part of the mention, kept in its name as written.
SALTS = frozenset(
    [
        "hydrochloride",
        "hcl",
        "dihydrochloride",
        "sodium",
        "disodium",
        "potassium",
        "calcium",
        "magnesium",
        "acetate",
        "mesylate",
        "maleate",
        "sulfate",
        "sulphate",
        "phosphate",
        "citrate",
        "tartrate",
        "bitartrate",
        "succinate",
        "fumarate",
        "besylate",
        "bromide",
        "tosylate",
        "monohydrate",
        "dihydrate",
        "hyclate",
        "lactate",
        "gluconate",
        "malate",
        "hemifumarate",
        "dipropionate",
        "butyrate",
    ]
)
# A salt's abbreviation is written out in the dose's name (R73: "methylphenidate HCL" -> methylphenidate
# hydrochloride), as the salt's name is what the spec keeps.
SALTS_WRITTEN_OUT = {"hcl": "hydrochloride"}
# Dosage-form words after a generic that name another product of it ("mitoxantrone liposomes"): kept in
# the dose's name like a salt, in the singular.
PRODUCT_FORMS = {"liposome": "liposome", "liposomes": "liposome"}

# Stems of International Nonproprietary Names: an unknown word ending so is taken for a drug.
_INN_STEM = re.compile(
    r"(?:mab|cept|nib|ciclib|parib|lisib|tinib|rafenib|zomib|stat|statin|vir|cillin|mycin|micin|cycline|floxacin|"
    r"conazole|azole|olol|pril|sartan|dipine|gliptin|gliflozin|glutide|parin|xaban|gatran|prazole|tidine|"
    r"setron|oxetine|triptan|gepant|zepam|zolam|caine|profen|coxib|dronate|lukast|terol|asone|olone|"
    r"platin|rubicin|taxel|citabine|trexate|mustine|grastim|poetin|kinra|leucel|sertib|degib|lutamide|"
    r"relin|relix|tide|imab|umab|ximab|zumab)$",
    re.IGNORECASE,
)
# Development codes: letters then digits (BEBT-109, GSK189075, TS-142, MK-3475, R115777).
_CODE = re.compile(r"^(?:[A-Z]{1,6}-?\d{2,7}[A-Z]?|[A-Z]{1,4}\d{1,3}-?[A-Z]?\d{2,6})$")
_NOT_CODES = re.compile(
    r"^(?:[A-Z]-?\d{1,2}[A-Z]?$|(?:COVID|SARS|CD|HLA|H\d+N|ICD|NCT|ECOG|HIV|HPV|HCV|HBV|ISO|IL|CYP|EGFR|HER|ALK|"
    r"PD|CTLA|KRAS|BRAF|IGG|FEV|DSM|BMI|WHO|USP|ATC|NYHA|HAMD|PANSS|APACHE|GOLD|CTCAE|AUC|AML|CLL|CML|COPD|"
    r"ADHD|PTSD|MDD|GAD|SLE|CKD|ESRD|GFR|SOFA|AJCC|TNM|VAS|NRS|MRI|PET|ECG|EKG|FDG|RTOG|SWOG|GOG|NSABP|"
    r"CALGB|COG|EORTC|JCOG|NRG|ACOSOG|IRB|GCP|UK|US|EU|FDA|EMA|ISRCTN|DRKS|CTRI|KCT|JPRN|ANZCTR|TCTR|"
    r"IRCT|PACTR|ACTRN|CHICTR|EUDRACT|NSC|CAS|RAD)(?![A-Z]))",
    re.IGNORECASE,
)

# Words that end like drug stems or look like codes but are ordinary English or trial vocabulary.
_NOT_DRUGS = frozenset(
    [
        "state",
        "statin",
        "protocol",
        "pilot",
        "patients",
        "patient",
        "control",
        "placebo",
        "dose",
        "doses",
        "study",
        "title",
        "total",
        "period",
        "episode",
        "peptide",
        "nucleotide",
        "cytokine",
        "chemokine",
        "vaccine",
        "vaccines",
        "tablet",
        "tablets",
        "capsule",
        "capsules",
        "injection",
        "infusion",
        "solution",
        "saline",
        "ethanol",
        "water",
        "group",
        "arm",
        "arms",
        "cohort",
        "cohorts",
        "week",
        "weeks",
        "month",
        "months",
        "day",
        "days",
        "year",
        "years",
        "hour",
        "hours",
        "minute",
        "minutes",
        "cycle",
        "cycles",
        "phase",
        "regimen",
        "regimens",
        "therapy",
        "treatment",
        "treatments",
        "medication",
        "medications",
        "drug",
        "drugs",
        "agent",
        "agents",
        "product",
        "products",
        "standard",
        "usual",
        "care",
        "intervention",
        "interventions",
        "subject",
        "subjects",
        "participants",
        "participant",
        "volunteer",
        "volunteers",
        "vehicle",
        "cream",
        "ointment",
        "gel",
        "patch",
        "spray",
        "drops",
        "drop",
        "powder",
        "granules",
        "sachet",
        "vial",
        "syringe",
        "pen",
        "device",
        "body",
        "weight",
        "kilogram",
        "kilograms",
        "baseline",
        "screening",
        "visit",
        "randomization",
        "randomisation",
        # Names of treatment stages and procedures, written where a drug could be ("Transplant: 1200 mg/m2").
        "transplant",
        "transplantation",
        "induction",
        "consolidation",
        "conditioning",
        "chemotherapy",
        "radiotherapy",
        "surgery",
        "escalation",
        "expansion",
    ]
)

_STOPWORDS = stop_words("english", "dosing")
# The words of the registry's intervention types, which head an intervention's text ("Biological: 4-6mg
# rhBMP-2", "Dietary Supplement: 2 g"): a kind of intervention, not the name of its product.
INTERVENTION_TYPES = frozenset(word for kind in InterventionType for word in kind.value.lower().split("_"))


@dataclass(frozen=True, slots=True)
class DrugInfo:
    name: str
    drug_class: str | None
    is_class: bool = False

    def __reduce__(self) -> tuple[type[DrugInfo], tuple[str, str | None, bool]]:
        # Unpickled by calling the class: a frozen dataclass's default way (setting each field through
        # its field list) takes most of the time of loading the kept vocabulary's ~70,000 names.
        return (DrugInfo, (self.name, self.drug_class, self.is_class))


@dataclass(frozen=True, slots=True)
class Mention:
    start: int
    end: int
    info: DrugInfo
    surface: str
    known: bool = True
    # A salt written after the name ("mesylate"): the spec keeps it in a dose's drug name.
    salt: str = ""

    @property
    def name_as_written(self) -> str:
        return f"{self.info.name} {self.salt}" if self.salt else self.info.name


@dataclass(frozen=True, slots=True)
class Vocabulary:
    by_words: dict[tuple[str, ...], DrugInfo]
    by_exact: dict[tuple[str, ...], DrugInfo]
    single_names: tuple[str, ...]
    single_info: dict[str, DrugInfo]
    # Longest key starting with each (lower-cased) word: most words start no name and are skipped at once.
    longest_from: dict[str, int]
    # Every run of two or more leading words of a key, lower-cased: "and" starts a five-word name, but
    # "and the" starts none, so the words after a candidate are tried only as far as some name goes.
    prefixes: frozenset[tuple[str, ...]]
    # Lower-cased words that are a whole name by themselves.
    one_word_names: frozenset[str]


def _words(text: str) -> list[str]:
    return [m.group(0) for m in WORD.finditer(text)]


def _exact_only(alias: str) -> bool:
    letters = re.sub(r"[^A-Za-z0-9]", "", alias)
    return len(letters) <= 5 and any(ch.isupper() for ch in alias)


@lru_cache(maxsize=1)
def vocabulary() -> Vocabulary:
    """The shipped vocabulary, loaded once (built once and kept, see :mod:`trialatlas.text.built`)."""
    return built("drug-vocabulary", _build_vocabulary)


def _build_vocabulary() -> Vocabulary:
    curated = curated_drugs()
    by_words: dict[tuple[str, ...], DrugInfo] = {}
    by_exact: dict[tuple[str, ...], DrugInfo] = {}

    def add(alias: str, info: DrugInfo) -> None:
        alias = alias.strip()
        words = _words(alias)
        if not words or len(words) > _MAX_WORDS:
            return
        if _exact_only(alias):
            by_exact.setdefault(tuple(words), info)
            if any(ch.isdigit() for ch in alias):
                # "d4T" is also written "D4T": an abbreviation with a digit in it is no word of prose
                # in any case, so its capitals form is read too.
                by_exact.setdefault(tuple(w.upper() for w in words), info)
        else:
            by_words.setdefault(tuple(w.lower() for w in words), info)

    # Specific drugs first, so that a class word never shadows a drug that shares its spelling.
    for drug_class, generics in curated.drugs.items():
        for name, aliases in generics.items():
            name = name.strip()
            info = DrugInfo(name=name, drug_class=drug_class)
            add(name, info)
            for alias in aliases:
                add(alias, info)
    for class_name, words in curated.classes.items():
        info = DrugInfo(name=class_name, drug_class=class_name, is_class=True)
        for word in words:
            add(word, info)
    # Codes the registry records themselves pair with one generic (R2: a code with an INN maps to it).
    for code, generic in mined_drug_codes().items():
        add(code, DrugInfo(name=generic, drug_class=None))
    # Misspellings are corrected towards curated names only: among the packaged names a near miss is
    # as likely another word as a drug.
    singles = {key[0]: info for key, info in by_words.items() if len(key) == 1 and len(key[0]) >= 6}
    # Then the packaged names (brands, synonyms, generics the curated file lacks: Geodon → ziprasidone),
    # never overriding a curated spelling.
    for alias, generic in _packaged_aliases():
        add(alias, DrugInfo(name=generic, drug_class=None))
    longest: dict[str, int] = {}
    prefixes: set[tuple[str, ...]] = set()
    for key in [*by_words, *by_exact]:
        first = key[0].lower()
        longest[first] = max(longest.get(first, 0), len(key))
        lowered = tuple(word.lower() for word in key)
        prefixes.update(lowered[:size] for size in range(2, len(lowered) + 1))
    return Vocabulary(
        prefixes=frozenset(prefixes),
        one_word_names=frozenset(key[0].lower() for key in [*by_words, *by_exact] if len(key) == 1),
        by_words=by_words,
        by_exact=by_exact,
        single_names=tuple(sorted(singles)),
        single_info=singles,
        longest_from=longest,
    )


def _packaged_aliases() -> list[tuple[str, str]]:
    """``(name, generic)`` of the packaged vocabulary worth matching in dosing prose.

    Left out: short or common words ("gold", "lead" would turn prose into drugs), names ending in a
    salt, so that the salt is kept as written after the generic (spec: "imatinib mesylate"), and names
    of a class of substances, which the package also lists ("indicators" → "indicators and reagents",
    "aminotransferase" → "transaminases"): a plural is a kind of substance, not a drug one doses."""
    rows: list[tuple[str, str]] = []
    for alias, generic, _brand in packaged_drug_names():
        words = [w.lower() for w in _words(alias)]
        if (
            _names_a_class(generic)
            or len("".join(words)) < 5
            or not words
            or (len(words) == 1 and words[0] in _STOPWORDS)
            or words[-1] in SALTS
            or alias in _STOPWORDS
            or alias in _NOT_DRUGS
            or any(w in _NOT_DRUGS for w in words)
        ):
            continue
        rows.append((alias, generic))
    return rows


def _names_a_class(generic: str) -> bool:
    last = generic.lower().rstrip(" )").split()[-1] if generic.strip() else ""
    return last.endswith("s") and not last.endswith(("ss", "us", "is", "os"))


@lru_cache(maxsize=1)
def _generic_names() -> tuple[frozenset[str], dict[str, str], dict[str, str]]:
    """What the two vocabularies say about a written name: the packaged names that are generics in
    their own right (their canonical name is themselves), the packaged canonical name of every other
    name with only one, and the curated generic of every curated alias."""
    own: set[str] = set()
    canonicals: dict[str, set[str]] = {}
    brands: set[str] = set()
    for name, generic, brand in packaged_drug_names():
        canonicals.setdefault(name, set()).add(generic)
        if brand:
            brands.add(name)
    for name, generics in canonicals.items():
        if generics == {name} and name not in brands:
            own.add(name)
    single = {name: next(iter(g)) for name, g in canonicals.items() if len(g) == 1 and name not in own}
    curated: dict[str, str] = {}
    for by_generic in curated_drugs().drugs.values():
        for generic, aliases in by_generic.items():
            curated.setdefault(generic.lower(), generic)
            for alias in aliases:
                curated.setdefault(alias.lower(), generic)
    return frozenset(own), single, curated


_SQUASH = re.compile(r"[\s\-]+")
_STEREO_PREFIX = re.compile(r"^(?:l|d|dl)-(?=[a-z]{4})")


@lru_cache(maxsize=1)
def dose_forms() -> frozenset[str]:
    """Dose-form words (dose_forms.txt) that are no part of a generic's name."""
    return packaged_words(__package__, "dose_forms.txt")


def written_generic(written: str, name: str) -> str:
    """The generic a dose of ``written`` (filed under ``name``) is of, by the spec. The curated vocabulary
    files some generics under a family ("cholecalciferol" and "vitamin D3" under vitamin d, "calcium
    carbonate" under calcium, "hydroxocobalamin" under cyanocobalamin), which serves criteria but misnames
    a dose. A written name that is a generic in its own right stays as written; one the packaged
    vocabulary files under a single generic of the same curated family takes that generic ("vitamin D3"
    -> cholecalciferol, "Botox" -> onabotulinumtoxina). Abbreviations ("MMF") keep ``name``."""
    key = " ".join(written.lower().split())
    # A short name written in capitals is an abbreviation ("MMF", "CsA"), which keeps ``name``; a short brand
    # written as a word ("Botox") is not.
    abbreviation = _exact_only(written) and not (written[:1].isupper() and written[1:].islower())
    if key == name or abbreviation or len(key) < 5:
        return name
    own, single, curated = _generic_names()
    if _SQUASH.sub("", key) == _SQUASH.sub("", name):
        # The same name spaced otherwise: the curated spelling is the project's, but the packaged vocabulary's
        # canonical spacing ("vitamin k 2" for "vitamin K2") is no better than the text's (R85).
        return name if name in curated else key
    if _STEREO_PREFIX.sub("", key) == name:
        # "L-cysteine", which the packaged vocabulary files under cysteine: the stereo prefix is part of the
        # generic as written (R85, as "d-cycloserine").
        return key
    packaged = single.get(key)
    if curated.get(key) == name:
        if name.endswith(" cells") and key.endswith(("cells", "cell")) and " " in key:
            # "mesenchymal stromal cells", filed under mesenchymal stem cells: a cell product has no generic,
            # so it stays as written (the spec).
            return key
        if key.startswith(name + " ") and all(word in dose_forms() for word in key[len(name) :].split()):
            # "nicotine patch": the form is how the drug is given, not part of its generic name.
            return name
        if key in own and key not in synonyms_named_by_generic():
            return key
        if key.startswith(name + " ") and all(word in SALTS for word in key[len(name) :].split()):
            # "leucovorin calcium": the salt as written (the spec).
            return key
        if packaged is not None and packaged.startswith(name + " ") and packaged.split()[-1] in SALTS:
            # "Depo-Medrol" -> methylprednisolone acetate: a brand of one salt.
            return packaged
        # "botulinum toxin type A" names the family written out, not one product of it.
        if (
            packaged is not None
            and curated.get(packaged) == name
            and not key.startswith(name + " ")
            and packaged not in synonyms_named_by_generic()
        ):
            return packaged
    elif packaged == name and _SQUASH.sub("", packaged) == _SQUASH.sub("", key):
        # "vitamin k2", which the packaged vocabulary files as "vitamin k 2": the same name spaced otherwise.
        return key
    return name


def lookup(name: str) -> DrugInfo | None:
    """The vocabulary entry for a whole name ("CellCept" → mycophenolate mofetil), else ``None``."""
    vocab = vocabulary()
    words = _words(name.replace("®", " ").replace("™", " "))
    if not words:
        return None
    return vocab.by_exact.get(tuple(words)) or vocab.by_words.get(tuple(w.lower() for w in words))


def normalise(name: str) -> str:
    """The generic name for any spelling the vocabulary knows, else the name in lower case."""
    info = lookup(name)
    if info is not None:
        return info.name
    return " ".join(name.lower().split())


@lru_cache(maxsize=4096)
def fuzzy_lookup(word: str) -> DrugInfo | None:
    """A known drug a misspelt word most likely means ("Pregablin" → pregabalin), else ``None``."""
    lowered = word.lower()
    if len(lowered) < 6 or lowered in _STOPWORDS or lowered in _NOT_DRUGS or not lowered.isalpha():
        return None
    vocab = vocabulary()
    best = process.extractOne(lowered, vocab.single_names, scorer=fuzz.ratio, score_cutoff=88)
    if best is None:
        return None
    return vocab.single_info[best[0]]


@lru_cache(maxsize=4096)
def misspelt_generic(word: str) -> DrugInfo | None:
    """The known generic an unknown drug-like word misspells, by a stricter test than fuzzy_lookup's: a
    near-identical name (one letter added, dropped or changed) ending in the same INN stem ("arboplatin"
    -> carboplatin). A new drug of a known family differs in more than a letter and stays as written."""
    lowered = word.lower()
    stem = _INN_STEM.search(lowered)
    if stem is None or len(lowered) < 8 or not lowered.isalpha():
        return None
    vocab = vocabulary()
    best = process.extractOne(lowered, vocab.single_names, scorer=fuzz.ratio, score_cutoff=90)
    if best is None or not best[0].endswith(stem.group(0).lower()):
        return None
    if Levenshtein.distance(lowered, best[0]) > 1:
        return None
    return vocab.single_info[best[0]]


def looks_like_code(word: str) -> bool:
    return bool(_CODE.match(word)) and not _NOT_CODES.match(word)


def looks_like_drug_word(word: str) -> bool:
    """An unknown word that reads as an INN ("cadonilimab", "lisaftoclax" does not; codes do)."""
    lowered = word.lower()
    if lowered in _NOT_DRUGS or lowered in _STOPWORDS or len(lowered) < 6:
        return False
    return bool(_INN_STEM.search(lowered)) and lowered.isalpha()


# What each distinct word can be: 1 = the first word of a vocabulary name, 2 = drug-like (a code or an
# INN stem). Most words of a text are neither and are skipped without a regex; the same words recur
# across texts, so each is classified once (bounded, so a stream of unique codes cannot grow it forever).
_KINDS: dict[str, int] = {}
_KINDS_MAX = 200_000
# Where a spaced code can be at all: two to six capitals at a word start, a space, a digit. Both patterns
# begin with what they consume ("\b..." and "(?<=...)-" are the same tests written first), so that the
# engine skips to a capital or a hyphen instead of trying them at every position.
_SPACED_HINT = re.compile(r"[A-Z](?<!\w[A-Z])[A-Z]{1,5} \d")
_INNER_HYPHEN = re.compile(r"-(?<=[A-Za-z0-9]-)(?=[A-Za-z0-9])")


def _kind(word: str, vocab: Vocabulary) -> int:
    lowered = word.lower()
    # 1: a whole name; 4: only the first word of longer names ("and", "1", "mg" start some), a candidate
    # when the next word goes on with one.
    kind = 1 if lowered in vocab.one_word_names else 4 if lowered in vocab.longest_from else 0
    if looks_like_code(word) or looks_like_drug_word(word):
        kind |= 2
    if len(_KINDS) < _KINDS_MAX:
        _KINDS[word] = kind
    return kind


def find_mentions(text: str) -> list[Mention]:
    """Every drug the text names, known or drug-like, in order, without overlaps."""
    vocab = vocabulary()
    tokens = list(WORD.finditer(text))
    words = list(map(re.Match.group, tokens))
    cached = list(map(_KINDS.get, words))
    longest_from = vocab.longest_from
    kinds: list[int] = (
        [_kind(w, vocab) if k is None else k for w, k in zip(words, cached, strict=True)]
        if None in cached
        else cast(list[int], cached)
    )
    lowered = list(map(str.lower, words))
    prefixes = vocab.prefixes
    last = len(words) - 1
    candidates = [
        index
        for index, kind in enumerate(kinds)
        if kind & 3 or (kind and index < last and (lowered[index], lowered[index + 1]) in prefixes)
    ]
    hyphens = [h.start() for h in _INNER_HYPHEN.finditer(text)] if "-" in text else []
    if hyphens:
        # A hyphenated code spans two word tokens ("MK-3475"), neither of which need look like a drug.
        ends = dict(zip(map(re.Match.end, tokens), range(len(tokens)), strict=True))
        joins = [ends[start] for start in hyphens if start in ends]
        candidates = sorted(set(candidates).union(joins))
    if _SPACED_HINT.search(text):
        spaced = [
            index
            for index, word in enumerate(words)
            if word.isupper() and _spaced_code(text, tokens[index].start(), tokens[index].end())
        ]
        if spaced:
            candidates = sorted(set(candidates).union(spaced))
    if not candidates:
        return []
    by_words, by_exact = vocab.by_words, vocab.by_exact
    mentions: list[Mention] = []
    count = len(tokens)
    resume = 0
    for i in candidates:
        if i < resume:
            continue
        kind = kinds[i] or 0
        found: tuple[int, DrugInfo] | None = None
        limit = min(longest_from.get(lowered[i], 0), count - i)
        reach = 1
        while reach < limit and tuple(lowered[i : i + reach + 1]) in prefixes:
            reach += 1
        for size in range(reach, 0, -1):
            # The dictionaries first: most word runs name nothing, and the gap check costs more.
            info = by_words.get(tuple(lowered[i : i + size]))
            if info is None:
                info = by_exact.get(tuple(words[i : i + size]))
            if info is not None and (size == 1 or _joined(text, tokens, i, size)):
                found = (size, info)
                break
        if found is not None:
            size, info = found
            end_index = i + size
            # Swallow salt words so the mention covers "leucovorin calcium" whole.
            while (
                end_index < count and lowered[end_index] in SALTS and _joined(text, tokens, end_index - 1, 2)
            ):
                end_index += 1
            kept = [SALTS_WRITTEN_OUT.get(word, word) for word in lowered[i + size : end_index]]
            form = PRODUCT_FORMS.get(lowered[end_index]) if end_index < count else None
            if form is not None and _joined(text, tokens, end_index - 1, 2):
                kept.append(form)
                end_index += 1
            start, end = tokens[i].start(), tokens[end_index - 1].end()
            salt = " ".join(kept) if not info.is_class else ""
            if salt and info.name.endswith(salt):
                salt = ""
            mentions.append(Mention(start, end, info, text[start:end], salt=salt))
            resume = end_index
            continue
        start, end = tokens[i].span()
        hyphen_next = i + 1 < count and tokens[i + 1].start() - 1 == end and text[end] == "-"
        if kind & 2:
            # A hyphenated code spans two word tokens ("BEBT-109"); WORD splits at the hyphen.
            while (
                i + 1 < count
                and tokens[i + 1].start() - 1 == end
                and text[end] == "-"
                and looks_like_code(text[start : tokens[i + 1].end()])
            ):
                i += 1
                end = tokens[i].end()
            if end > start and looks_like_code(text[start:end]) and _code_suffix(text, tokens, i):
                i += 1  # "CELZ-201-DDT": a letter suffix after the code's number is part of it
                end = tokens[i].end()
            surface = text[start:end]
            misspelt = misspelt_generic(surface)
            if misspelt is not None:
                # "arboplatin", "triamzinolone": a known generic with one letter wrong.
                mentions.append(Mention(start, end, misspelt, surface))
            else:
                mentions.append(Mention(start, end, DrugInfo(surface.lower(), None), surface, known=False))
            resume = i + 1
        elif _spaced_code(text, start, end):
            end = tokens[i + 1].end()
            written = text[start:end]
            mentions.append(Mention(start, end, DrugInfo(written.lower(), None), written, known=False))
            resume = i + 2
        elif hyphen_next:
            joined = text[start : tokens[i + 1].end()]
            if looks_like_code(joined):
                i += 1
                if _code_suffix(text, tokens, i):
                    i += 1
                end = tokens[i].end()
                joined = text[start:end]
                mentions.append(Mention(start, end, DrugInfo(joined.lower(), None), joined, known=False))
                resume = i + 1
    if _GLUED_HINT.search(text):
        mentions = _glued_to_amount(text, mentions, vocab)
    if hyphens:
        mentions = _radiolabelled(text, mentions)
    return _compound_names(text, mentions)


# A radionuclide written before a numbered product's name ("131I-cG250", "89Zr-RO5323441", "177Lu-PSMA-617"):
# the labelled product is one name as written (R83), not the nuclide and not the bare code.
# Written to begin with the digit it consumes ("(?<![A-Za-z0-9-])\d{1,3}..." tried at every position).
_RADIOLABELLED = re.compile(
    r"\d(?<![A-Za-z0-9\-]\d)\d{0,2}[A-Z][a-z]?-(?=[A-Za-z-]*\d)[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*"
)


def _radiolabelled(text: str, mentions: list[Mention]) -> list[Mention]:
    """``mentions`` with each radiolabelled product name whole: it replaces an unknown code inside it and
    is added where nothing was read; a known drug inside it ("90Y-ibritumomab") stays as it is."""
    found = list(_RADIOLABELLED.finditer(text))
    if not found:
        return mentions
    out = list(mentions)
    for match in found:
        inside = [m for m in out if m.start < match.end() and match.start() < m.end]
        if any(m.known for m in inside):
            continue
        written = match.group(0)
        out = [m for m in out if m not in inside]
        out.append(Mention(match.start(), match.end(), DrugInfo(written.lower(), None), written, known=False))
    return sorted(out, key=lambda m: m.start)


# A name written against its amount with no space ("Ofloxacin400 mg"): one word token, which names nothing.
_GLUED_HINT = re.compile(r"\d(?<=[A-Za-z]{5}\d)")  # "[A-Za-z]{5}\d", tried only at digits
_GLUED_NAME = re.compile(
    r"(?<![A-Za-z0-9])([A-Za-z]{5,})(?=\d+(?:[.,]\d+)?\s*(?:mg|g|mcg|µg|ug|iu|units?|ml|mmol|meq)\b)",
    re.IGNORECASE,
)


def _glued_to_amount(text: str, mentions: list[Mention], vocab: Vocabulary) -> list[Mention]:
    """``mentions`` with the known names written against their amount ("or Ofloxacin400 mg") added: the
    letters before the number are the name, as "Ofloxacin 400 mg" would be read."""
    found = [
        Mention(match.start(1), match.end(1), info, match.group(1))
        for match in _GLUED_NAME.finditer(text)
        if (info := vocab.by_words.get((match.group(1).lower(),))) is not None
        and not any(m.start < match.end(1) and match.start(1) < m.end for m in mentions)
    ]
    return sorted([*mentions, *found], key=lambda m: m.start) if found else mentions


def _compound_names(text: str, mentions: list[Mention]) -> list[Mention]:
    """An abbreviation the vocabulary knows, glued by a hyphen or a dot to a numbered name before it
    ("hu14.18-IL2", "L19-IL2"), is the end of one product's name, not that drug: the whole word names it,
    as the vocabulary spells it if it knows it, else as written (a code with no common generic stays as
    written, the spec). A glued prefix with no digit ("HD-MTX", "Peg-IFN") only qualifies the drug."""
    out: list[Mention] = []
    for mention in mentions:
        start = mention.start
        if (
            start >= 2
            and text[start - 1] in "-."
            and text[start - 2].isalnum()
            and mention.known
            and _exact_only(mention.surface)
        ):
            first = start - 1
            while first > 0 and (
                text[first - 1].isalnum()
                or (text[first - 1] in "-." and first > 1 and text[first - 2].isalnum())
            ):
                first -= 1
            prefix = text[first : start - 1]
            # A name's prefix has letters and digits ("hu14.18"); a day number ("day 1-IL2") has no letter.
            named = any(ch.isdigit() for ch in prefix) and any(ch.isalpha() for ch in prefix)
            if named and not any(m.end > first for m in out):
                written = text[first : mention.end]
                known = lookup(written)
                info = known if known is not None else DrugInfo(written.lower(), None)
                mention = Mention(first, mention.end, info, written)
        out.append(mention)
    return out


def _code_suffix(text: str, tokens: list[re.Match[str]], index: int) -> bool:
    """Whether the token after ``tokens[index]`` (the code's last) is a capital-letter suffix joined by a
    hyphen ("-DDT"), which belongs to the code."""
    if index + 1 >= len(tokens):
        return False
    end, following = tokens[index].end(), tokens[index + 1]
    word = following.group()
    return (
        following.start() - 1 == end
        and text[end] == "-"
        and word.isalpha()
        and word.isupper()
        and len(word) <= 4
        and tokens[index].group().isdigit()
    )


# A capitalised code written with a space before its number ("ISIS 2503", "SCH 66336", "ACC 001"): the
# number belongs to the name unless a unit makes it the dose ("MMF 1000 mg").
_SPACED_CODE_NUMBER = re.compile(
    r" (\d{2,7})\b(?![.,]\d)(?!\s*(?:mg|g|mcg|µg|ug|iu|units?|u|ml|cc|cells|%|x|×|mmol|meq|ng|auc|"
    r"days?|weeks?|months?|years?|hours?|patients?|subjects?)\b)"
    r"(?!\s*/)",
    re.IGNORECASE,
)


def _spaced_code(text: str, start: int, end: int) -> bool:
    """Whether the word at ``start:end`` (capitals) and the number after it are one code; a year ("WHO
    2016") is not, nor a code in brackets after a name ("BEBT-109 (TS 142)"): another name."""
    # Most capitalised words are not followed by " <digit>": that is tested first, without a regex.
    if text[end : end + 1] != " " or not text[end + 1 : end + 2].isdigit():
        return False
    word = text[start:end]
    if text.endswith("(", 0, start):
        return False
    if not (2 <= len(word) <= 6 and word.isupper() and word.isalpha()) or _NOT_CODES.match(word + "1"):
        return False
    number = _SPACED_CODE_NUMBER.match(text, end)
    return number is not None and not re.fullmatch(r"(?:19|20)\d\d", number.group(1))


def _joined(text: str, tokens: list[re.Match[str]], i: int, size: int) -> bool:
    """Whether tokens i..i+size-1 are separated only by spaces, hyphens or slashes (one name)."""
    for k in range(i, i + size - 1):
        gap = text[tokens[k].end() : tokens[k + 1].start()]
        if len(gap) > 2 or gap.strip(" -/,") != "" or ("," in gap):
            return False
    return True
