"""Which drug a dose is of: the nearest reading of the words around the dose (the name just before it,
else one just after "of", else the last one named), corrected by how lists, placebos, fixed-dose
combinations, aliases in brackets and misspelt names right before the dose are written. naming.py holds
the grammar-based readings this one asks when the nearest name is the wrong one."""

from __future__ import annotations

import re
from functools import cache

from trialatlas.extract.regimen import clauses, lexicon, naming
from trialatlas.extract.regimen.amounts import Amount
from trialatlas.extract.regimen.drugs import _NOT_DRUGS as NOT_DRUGS
from trialatlas.extract.regimen.drugs import _STOPWORDS as STOPWORDS
from trialatlas.extract.regimen.drugs import (
    INTERVENTION_TYPES,
    WORD,
    DrugInfo,
    Mention,
    fuzzy_lookup,
    looks_like_code,
    lookup,
    vocabulary,
)
from trialatlas.extract.regimen.models import RegimenItem
from trialatlas.extract.regimen.not_dose_items import vehicles
from trialatlas.extract.regimen.passes import _Doc
from trialatlas.text.packaged import packaged_words

_AFTER_GAP = re.compile(
    # "Drug A 10 mg daily plus placebo": a name joined on by "plus", "and", "with" is another drug.
    r"^\s*(?:\)\s*)?(?:of\s+(?:the\s+)?(?:\d+(?:\.\d+)?\s*%\s+)?)?"
    r"(?:(?!(?:plus|and|with|or|versus|vs)\b)[A-Za-z.-]+\s+){0,2}?$|^\s*$",
    re.IGNORECASE,
)
_OF_GAP = re.compile(
    # "150 μg/disc dose of KTP-001": a per-site amount ("/disc", "/eye") before "dose of".
    r"^\s*(?:\)\s*)?(?:\([A-Za-zµμ/.]{1,12}\)\s*)?(?:/[A-Za-z]{2,12}\s+)?(?:(?:pills?|tablets?|capsules?|vials?|injections?|doses?|infusions?)\s+)?of\s+(?:the\s+|a\s+|an\s+)?"
    # "4 mg of study drug (rosiglitazone maleate)": the drug named in brackets after "study drug".
    r"(?:(?:study|active|investigational)\s+(?:drug|medication|product|agent)\s*\(\s*)?(?:\d+(?:\.\d+)?\s*%\s+)?(?:[A-Za-z.-]+\s+){0,1}?$"
)
_OF_LOWER_BEFORE = re.compile(r"\bof\s+([a-z][a-z\-]{6,})\s*\(?\s*$")
_OF_UNKNOWN = re.compile(r"^\s*of\s+(?:the\s+)?((?:[A-Za-z][A-Za-z0-9\-']*\s*){1,3})")
_WORDS_IN_TEXT = re.compile(r"\S+")
_COMBINED_WITH = re.compile(
    r"\b(?:with|combined\s+with|in\s+combination\s+with|plus|and|\+)\s*(?:the\s+|a\s+)?$", re.IGNORECASE
)
_ESCALATION = re.compile(r"\b(?:escalat\w*|titrat\w*|dose\s+levels?|increas\w*|cohorts?)\b", re.IGNORECASE)
# An unnamed or bracketed drug right after a dose, with at most a dosage-form word between them, or a route
# adjective ("60 mg oral morphine; 25 ug transdermal fentanyl": each name after its dose is that dose's).
_ADJACENT_AFTER = re.compile(
    r"\s*(?:\)\s*)?(?:(?:" + lexicon.ROUTE_BEFORE_NAME + r")\s+)?"
    # "1 mL combined TG-C cells": a participle describing the product between (R145).
    r"(?:[a-z]{3,}ed\s+)?"
    r"(?:(?:puffs?|tablets?|tabs?|capsules?|caps|inhalations?|actuations?|sprays?|drops?)\s+)?"
    r"(?:\d+(?:\.\d+)?\s*%\s+)?$",
    re.IGNORECASE,
)
_ADJACENT_BEFORE = re.compile(r"[\s:(=,-]*$")
_ALIASED_AFTER = re.compile(r"\s+([A-Z][A-Za-z0-9-]{1,11})\s*\(\s*")
# The start of a numbered list's item on a line of its own: "1. ...", "2) ...".
_NUMBERED_ITEM = re.compile(r"(?:^|\n)[ \t]*\d{1,2}[.)][ \t]")
_PLACEBO_AFTER = re.compile(r"\s+placebo\b", re.IGNORECASE)
_CELLS_WRITTEN_BEFORE = re.compile(
    r"(?:^|[;,.+(]\s*)((?:[A-Za-z][A-Za-z-]*\s+){0,3}cells)\s*[:=]?\s*$", re.IGNORECASE
)


def _escalated_drug(
    doc: _Doc, amount: Amount, mention: Mention | None, items: list[RegimenItem]
) -> RegimenItem | None:
    """ "Imatinib 400 mg daily combined with metformin; escalation to 600, 800 mg daily": the escalation
    levels are of the drug the sentence doses, not of the one it is combined with (the spec)."""
    if mention is None or mention.start >= amount.start:
        return None
    before = [item for item in items if item.end <= mention.start]
    if not before or before[-1].drug is None or before[-1].drug == mention.info.name:
        return None
    last = before[-1]
    # The drug combined with is given no dose of its own; the levels so far are all the studied drug's.
    if any(item.drug == mention.info.name for item in items) or any(
        item.drug != last.drug for item in items if item.start > mention.start
    ):
        return None
    if not _COMBINED_WITH.search(doc.text, max(last.end, mention.start - 30), mention.start):
        return None
    if not _ESCALATION.search(doc.text, mention.end, amount.start):
        return None
    return last


# What joins a dose to the one before it in one range or list ("between 0.25 mg/kg and up to 1.5 mg/kg").
_LIST_JOIN = re.compile(r"(?:\s*(?:,|;|and|or|to|up\s+to|then)\s*)+", re.IGNORECASE)


def _listed_after(
    doc: _Doc, amount: Amount, mention: Mention | None, info: DrugInfo | None, items: list[RegimenItem]
) -> RegimenItem | None:
    """ "TSC at doses between 0.25 mg/kg and up to 1.5 mg/kg ... with temozolomide": a dose its own sentence
    names no drug for, joined by "and"/"or"/"to" to the dose before it in that sentence, is of that dose's
    drug, not of a drug an earlier sentence names (spec: the drug the sentence doses)."""
    if (mention is None and info is not None) or (
        mention is not None and mention.start >= doc.sentence_of(amount.start).start
    ):
        return None
    if not items or items[-1].drug is None or items[-1].end > amount.start:
        return None
    last = items[-1]
    if doc.sentence_of(last.start) != doc.sentence_of(amount.start):
        return None
    return last if _LIST_JOIN.fullmatch(doc.text, last.end, amount.start) else None


def _alternatives(file: str) -> str:
    """A word file's phrases as regex alternatives, longest first (a space stands for any run of spaces)."""
    words = packaged_words(__package__, file)
    return "|".join(re.escape(word).replace(r"\ ", r"\s+") for word in sorted(words, key=len, reverse=True))


@cache
def _unnamed_drug() -> re.Pattern[str]:
    """The words by which a sentence doses a drug it does not name (unnamed_drug_words.txt)."""
    return re.compile(r"\b(?:" + _alternatives("unnamed_drug_words.txt") + r")\b", re.IGNORECASE)


@cache
def _added_to() -> re.Pattern[str]:
    """The words that join a drug to the one it is added to (added_to_words.txt), right before that one."""
    return re.compile(
        r"\b(?:" + _alternatives("added_to_words.txt") + r")\s+(?:the\s+|his\s+|her\s+|their\s+)?$",
        re.IGNORECASE,
    )


def _added_drug(
    doc: _Doc, amount: Amount, mention: Mention | None, items: list[RegimenItem]
) -> Mention | None:
    """ "Donepezil will then be added to duloxetine 120mg qam ... by 5mg qd for 1 week": a dose after the
    dose of the drug another is "added to" is of the drug the sentence adds (named before "added to", with
    no dose of its own yet), not of the one it is added to (spec: the drug the sentence doses)."""
    if mention is None or mention.start >= amount.start:
        return None
    sentence = doc.sentence_of(amount.start)
    cue = _added_to().search(doc.text, max(sentence.start, mention.start - 40), mention.start)
    if cue is None or not any(item.start >= mention.end and item.drug == mention.info.name for item in items):
        return None
    added = next(
        (m for m in reversed(doc.mentions) if sentence.start <= m.start and m.end <= cue.start()), None
    )
    if (
        added is None
        or added.info.name == mention.info.name
        # The drug added has no dose of its own before it is added ("Sitagliptin 100 mg daily will be
        # added to metformin 1000 mg twice daily, then metformin 1500 mg" names each dose's drug).
        or any(item.drug == added.info.name and item.start < mention.start for item in items)
    ):
        return None
    return added


_DIGIT = re.compile(r"\d")


def _restated_by_class(doc: _Doc, mention: Mention, sentence: clauses.Sentence) -> Mention | None:
    """ "Prednisone(PDN) is the standard corticosteroid therapy ... given at 1 mg/kg": a class word that
    restates a drug of that class named earlier in the sentence, with no dose between them, is that drug
    (apposition), so the dose is the named drug's (spec: a class is a drug's name only when nothing more
    specific is dosed)."""
    for other in reversed(doc.mentions):
        if other.start >= mention.start or other.start < sentence.start:
            continue
        if (
            not other.info.is_class
            and other.info.drug_class == mention.info.name
            and not _DIGIT.search(doc.text, other.end, mention.start)
        ):
            return other
        break
    return None


def _choose_drug(
    doc: _Doc, amount: Amount, previous_end: int, sentence: clauses.Sentence
) -> tuple[Mention | None, DrugInfo | None]:
    """The drug a dose is of: the nearest reading (below), then corrected by how lists, placebos,
    aliases in brackets and misspelt names right before the dose are written."""
    text = doc.text
    if _PLACEBO_RIGHT_AFTER.match(text, amount.end):
        # "Alendronate 70 mg placebo tablet", "1000 mg matching placebo tablets": a placebo's dose.
        placebo = next((m for m in doc.mentions if m.start >= amount.end and m.info.name == "placebo"), None)
        if placebo is not None:
            return placebo, placebo.info
    combo = _combo_drug(doc, amount, sentence)
    if combo is not None:
        return combo, combo.info
    component = _combination_component(doc, amount, sentence)
    if component is not None:
        return component
    strength = _strength_of_pair(doc, amount, sentence)
    if strength is not None:
        return strength, strength.info
    misspelt = _misspelt_right_before(doc, amount, sentence)
    if misspelt is not None:
        return None, misspelt
    mention, info = _choose_drug_near(doc, amount, previous_end, sentence)
    if mention is not None and mention.info.is_class and mention.start < amount.start:
        restated = _restated_by_class(doc, mention, sentence)
        if restated is not None:
            return restated, restated.info
    if mention is not None and amount.unit != "mL" and _diluent(doc.text, mention):
        # "600 mg/m^2 will be diluted in 100 mL 0.9% normal saline": what the dose is given in is no drug
        # of it (spec, Not items: diluents and vehicles); the text names no other. A volume stays with the
        # vehicle ("15 ml of this preparation was mixed in 100 ml of normal saline"): it measures the
        # preparation, and a drug-less volume would be given to the arm's drug as its dose.
        return None, None
    if mention is not None and info is not None:
        if info.name == "placebo":
            # "5 mg/kg of Isoniazid or placebo ... (300 mg if ...)": the drug's dose, not the placebo's.
            drug = _drug_or_placebo(doc, mention)
            if drug is not None:
                return drug, drug.info
        outer = _outside_brackets(doc, mention, amount)
        if outer is not None:
            return outer, outer.info
    return mention, info


_SLASH = re.compile(r"\s*/\s*")
_PAIR_FIRST = re.compile(r"\s*\(?\s*")
_PAIR_SECOND = re.compile(r"\s*\(?\s*\d+(?:\.\d+)?\s*[A-Za-zµμ]{1,5}\s*/\s*")
_SECOND_STRENGTH_AFTER = re.compile(r"\s*/\s*\d")


def _strength_of_pair(doc: _Doc, amount: Amount, sentence: clauses.Sentence) -> Mention | None:
    """ "ezetimibe/simvastatin (10 mg/40 mg)": two names joined by a slash, then a strength for each, each
    with its unit, in the same order: the first strength is the first name's, the second the second's."""
    before = [m for m in doc.mentions if sentence.start <= m.start and m.end <= amount.start][-2:]
    if len(before) < 2 or before[0].info.name == before[1].info.name:
        return None
    first, second = before
    text = doc.text
    if not _SLASH.fullmatch(text, first.end, second.start):
        return None
    if _PAIR_FIRST.fullmatch(text, second.end, amount.start):
        return first if _SECOND_STRENGTH_AFTER.match(text, amount.end) else None
    if _PAIR_SECOND.fullmatch(text, second.end, amount.start):
        return second
    return None


_PLACEBO_RIGHT_AFTER = re.compile(r"\s*(?:matching\s+|matched\s+)?placebo\b", re.IGNORECASE)
_OR_PLACEBO = re.compile(r"\s+or\s+(?:a\s+)?(?:matching\s+)?$", re.IGNORECASE)
_COMBO_JOIN = re.compile(r"\s*(?:/|\+|\(\+\)|-|and|plus|with)\s*$", re.IGNORECASE)
# What may stand between a combination's name and its "a/b" strengths: a device or form word
# ("budesonide/formoterol turbuhaler 320/9ug"), never a word that joins on another drug.
_COMBO_LEAD = re.compile(
    r"[\s:,(]*(?:(?!(?:and|or|plus|with|versus|vs)\b)[A-Za-z]+\s+)?(?:\d+(?:[.,]\d+)?\s*(?:[A-Za-zµμ]+\s*)?/\s*)?",
    re.IGNORECASE,
)
_OPEN_BRACKET = re.compile(r"\s*\([^()]*$")


def _combo_drug(doc: _Doc, amount: Amount, sentence: clauses.Sentence) -> Mention | None:
    """ "ezetimibe (+) simvastatin 10/40 mg": the first number is the first drug's dose, and so on."""
    key = amount.extras.get("combo")
    if key is None:
        return None
    before = [m for m in doc.mentions if sentence.start <= m.start and m.end <= amount.start]
    if len(before) < 2:
        return None
    first, second = before[-2], before[-1]
    if first.info.name == second.info.name or not _COMBO_JOIN.match(doc.text, first.end, second.start):
        return None
    if not _COMBO_LEAD.fullmatch(doc.text, second.end, amount.start):
        return None
    if _in_marketed_order(second.info.name, first.info.name, amount):
        # "simvastatin (+) ezetimibe 10/20 mg": the strengths are the product's (ezetimibe 10 mg,
        # simvastatin 20 mg), written in its order, not in the order the names were (R11).
        key = "b" if key == "a" else "a"
    return first if key == "a" else second


def _combination_component(
    doc: _Doc, amount: Amount, sentence: clauses.Sentence
) -> tuple[Mention, DrugInfo] | None:
    """ "Symbicort 320/9 mcg", "amoxicillin/clavulanate 875/125 mg": a combination product the vocabulary
    files under its components ("budesonide/formoterol") dosed as a/b gives each component its own
    strength, in the product's order (R11). Dosed by one amount it stays one item of the product."""
    key = amount.extras.get("combo")
    if key is None:
        return None
    before = [m for m in doc.mentions if sentence.start <= m.start and m.end <= amount.start]
    if not before or not _COMBO_LEAD.fullmatch(doc.text, before[-1].end, amount.start):
        return None
    product = before[-1]
    components = product.info.name.split("/")
    if len(components) != 2 or not all(part.strip() for part in components):
        return None
    first, second = (part.strip() for part in components)
    if _written_reversed(first, second, amount):
        # "Bactrim 800/160 mg": the strengths written in the other order than the product's name.
        key = "b" if key == "a" else "a"
    return product, DrugInfo(first if key == "a" else second, product.info.drug_class)


def _written_reversed(first: str, second: str, amount: Amount) -> bool:
    """Whether "a/b" of a combination dose is a marketed strength of ``first``/``second`` only when read
    the other way round (800/160 of trimethoprim/sulfamethoxazole)."""
    product = _fixed_combinations().get((first, second))
    a_text, _, b_text = amount.extras.get("pair", "").partition("/")
    try:
        a, b = float(a_text.replace(",", "")), float(b_text.replace(",", ""))
    except ValueError:
        return False
    if product is None or amount.unit != product[0]:
        return False
    return (b, a) in product[1] and (a, b) not in product[1]


# Marketed fixed-dose combinations: components in the product's order -> (unit, strengths).
_fixed_combinations = lexicon.fixed_combinations


def _in_marketed_order(first: str, second: str, amount: Amount) -> bool:
    """Whether "a/b" of a combination dose is a marketed strength of the product ``first``/``second``
    read in that order, and not one read in the order the text names them."""
    product = _fixed_combinations().get((first, second))
    if product is None:
        return False
    unit, strengths = product
    a_text, _, b_text = amount.extras.get("pair", "").partition("/")
    try:
        a, b = float(a_text.replace(",", "")), float(b_text.replace(",", ""))
    except ValueError:
        return False
    if amount.unit != unit:
        return False
    return (a, b) in strengths and (b, a) not in strengths


def _misspelt_right_before(doc: _Doc, amount: Amount, sentence: clauses.Sentence) -> DrugInfo | None:
    """ "plus Fluoxitine 20 mg": a misspelt known name written right against the dose."""
    text = doc.text
    words = list(WORD.finditer(text, max(sentence.start, amount.start - 30), amount.start))
    if not words or text[words[-1].end() : amount.start].strip(" :("):
        return None
    if any(m.start <= words[-1].start() < m.end for m in doc.mentions):
        # "calcium carbonate 600 mg": the last word of a known name, not a misspelt "bicarbonate".
        return None
    word = words[-1].group(0)
    if not word.isalpha() or len(word) < 6 or lookup(word) is not None:
        return None
    lowered = word.lower()
    if lowered in STOPWORDS or lowered in NOT_DRUGS:
        return None
    return fuzzy_lookup(word)


def _drug_or_placebo(doc: _Doc, placebo: Mention) -> Mention | None:
    before = [m for m in doc.mentions if m.end <= placebo.start and m.info.name != "placebo"]
    if before and _OR_PLACEBO.match(doc.text, before[-1].end, placebo.start):
        return before[-1]
    return None


def _outside_brackets(doc: _Doc, mention: Mention, amount: Amount) -> Mention | None:
    """ "Moxifloxacin (Avelox, BAY12-8039) 400 mg": a name in brackets after a drug is that drug's alias."""
    closing = doc.text.find(")", mention.end, amount.start)
    if closing < 0:
        return None
    for outer in reversed([m for m in doc.mentions if m.end <= mention.start][-3:]):
        if _OPEN_BRACKET.fullmatch(doc.text, outer.end, mention.start):
            return outer
    return None


def _component_of(name: str, combination: str) -> bool:
    """Whether ``name`` is one of the drugs of the fixed combination ``combination`` ("a/b")."""
    return "/" in combination and name != combination and name in combination.split("/")


def _choose_drug_near(
    doc: _Doc, amount: Amount, previous_end: int, sentence: clauses.Sentence
) -> tuple[Mention | None, DrugInfo | None]:
    text = doc.text
    prev: Mention | None = None
    after: Mention | None = None
    mentions = doc.mentions
    if amount.unit == "cells":
        # A cell count is of a cell product, not of the chemotherapy named before it ("ATG followed by a
        # PBPC graft of 5x10^6 CD34+ cells/kg").
        mentions = [m for m in mentions if _cell_product(m.info)]
        for mention in mentions:
            if amount.start < mention.start and mention.end <= amount.end:
                # "1 x 10^7 CART22 cells/kg": the product is named inside the count.
                return mention, mention.info
        written = _CELLS_WRITTEN_BEFORE.search(text, max(sentence.start, amount.start - 60), amount.start)
        if written is not None and not any(written.start() <= m.start < amount.start for m in mentions):
            # "peptide pulsed dendritic cells 1 x 10^6": a cell product the vocabulary does not know, named
            # as written right before its count, not the drug dosed before it.
            return None, DrugInfo(" ".join(written.group(1).lower().split()), None)
    for mention in mentions:
        if sentence.start <= mention.start and mention.end <= amount.start:
            prev = mention
        elif mention.start >= amount.end and mention.start < sentence.end:
            after = mention
            break
    if prev is not None and _timed_against(text, prev, amount):
        prev = None
    if after is not None and _OF_GAP.match(_without_schedule(text[amount.end : after.start])):
        # "800 mg x 2/daily of Indinavir": the dose's own frequency and route words stand between it and
        # the "of" that names its drug.
        return _placebo_of(doc, after)
    aliased = _ALIASED_AFTER.fullmatch(text, amount.end, after.start) if after is not None else None
    if after is not None and aliased is not None and aliased.group(1).lower() not in STOPWORDS | NOT_DRUGS:
        # "0.5 ml IFA (Montanide ISA-51)": a short name the vocabulary does not read, right after the dose,
        # with the name it does read in brackets after it.
        return _placebo_of(doc, after)
    if (
        after is not None
        and _ADJACENT_AFTER.match(text, amount.end, after.start)
        and (
            prev is None
            or not _ADJACENT_BEFORE.match(text, prev.end, amount.start)
            # "8 mg betamethasone, 3 cc bupivacaine": the name before was the dose before's.
            or naming.named_after_previous_dose(text, previous_end, prev, _ADJACENT_AFTER)
            # "TMP-SMX: 160 mg trimethoprim and 800 mg sulfamethoxazole": a combination heads the doses of
            # its components, each named against its dose.
            or _component_of(after.info.name, prev.info.name)
        )
    ):
        # "[TMP-SMX DS = 160 mg trimethoprim": the drug written against the dose beats one further back.
        return _placebo_of(doc, after)
    phrase = naming.product_phrase_after(text, amount.end, doc.mentions)
    if phrase is not None:
        # "100 mcg peptide gp100 [280-288],190 mcg tetanus peptide": the product the noun phrase after the
        # dose names, not the name before it, which was the dose before's (R145).
        return None, phrase
    if prev is not None:
        gap = text[prev.end : amount.start]
        immediate = len(_WORDS_IN_TEXT.findall(gap)) <= 6 and prev.end >= previous_end
        if immediate:
            # "to MTX received Cy orally at 50 mg": a known abbreviation nearer the dose is its drug.
            nearer = naming.name_right_before(text, amount.start, prev.end, mentions, known_only=True)
            return (None, nearer) if nearer is not None else (prev, prev.info)
        # "mesna 3 gm/m2 conIV GCSF 5 mcg/kg/d SQ": a name right against the dose beats one that already
        # has its dose.
        named = naming.name_right_before(text, amount.start, sentence.start, mentions)
        if named is not None:
            return None, named
        if naming.unread_name_right_before(text, amount.start, mentions):
            # "..., Xy 3.2 mg/kg": a name the vocabulary cannot read stands against the dose; the drug
            # before it already has its dose, so this one is left unnamed rather than given to it.
            return None, None
    if after is not None and _AFTER_GAP.match(text[amount.end : after.start]):
        return _placebo_of(doc, after)
    if prev is not None:
        return prev, prev.info
    unknown = (
        naming.name_right_before(text, amount.start, sentence.start, mentions)
        or _unknown_drug(text, amount, sentence)
        or naming.product_written_before(text, amount.start, sentence.start, mentions)
    )
    if unknown is not None:
        return None, unknown
    earlier = next(
        (
            m
            for m in reversed(mentions)
            if m.end <= amount.start and m.info.name != "placebo" and not _timed_against(text, m, amount)
        ),
        None,
    )
    if earlier is not None and _vehicle_of_another_sentence(earlier, amount, sentence):
        return None, None
    if earlier is not None:
        return earlier, earlier.info
    if _unnamed_drug().search(text, sentence.start, amount.start):
        # "The daily dose of the drug is defined as 250 mg": the sentence doses a drug it does not name.
        return None, None
    later = [m for m in mentions if m.start >= amount.end and m.start - amount.end < 150]
    if later and not any(a for a in mentions if a.end <= amount.start):
        # "A starting dose of 100 mg. Enasidenib will be self administered orally": named just after, as
        # the subject of the next sentence; "... on Days 2-4, after the IT MTX" names another drug.
        opening = doc.sentence_of(later[0].start)
        if (
            opening.start > sentence.start
            and not text[opening.start : later[0].start].strip(" \n\r-*•:(")
            # "1. Receive a dose of 0.5 ml ... 2. (Placebo) - Receive ...": a numbered item of a list is a
            # statement of its own; the next item's drug is not this item's (R141).
            and _NUMBERED_ITEM.search(text, amount.end, later[0].start) is None
        ):
            return later[0], later[0].info
    subject = naming.subject_name(text, sentence.start, amount.start)
    if subject is not None:
        return None, subject
    only = naming.only_drug(text, amount.end, mentions, amount.start)
    if only is not None and _vehicle_of_another_sentence(only, amount, sentence):
        return None, None
    if only is not None:
        # "5 mg/kg IV weekly, then maintenance therapy with cidofovir": the one drug the text names.
        return only, only.info
    return None, None


def _without_schedule(gap: str) -> str:
    """The words between a dose and what follows it, less the frequency and route words they open with
    (a dose's own schedule, written before the name it is "of"); the gap as it was when none opens it."""
    spans = sorted(lexicon.find_frequencies(gap) + lexicon.find_routes(gap))
    position = 0
    for start, end, _ in spans:
        if gap[position:start].strip(" ,") or start < position:
            break
        position = end
    return gap[position:] if position else gap


def _vehicle_of_another_sentence(mention: Mention, amount: Amount, sentence: clauses.Sentence) -> bool:
    """ "flushed with 0.5 ml of sterile water. The dosage of 57FeSO4 will be 0.15mg/kg": a vehicle named
    before the dose's sentence is what another dose was given in, not the drug of a mass (left unnamed:
    the spec's unknown stays unknown). A volume still goes to it, and is then no dose (a vehicle's)."""
    return mention.start < sentence.start and amount.unit != "mL" and mention.info.name in vehicles()


# "1 hour after herceptin", "MMF starting on first day of ATG at 600 mg/m2": a drug named as the time a
# dose is given against, not as the drug given.
_TIMED_AGAINST = re.compile(
    r"(?:\b(?:after|before|prior\s+to|following|preceding)\s+(?:the\s+|each\s+)?(?:start\s+of\s+)?"
    r"|\b(?:on|from|starting)\s+(?:the\s+)?(?:(?:first|last|same|\d+(?:st|nd|rd|th)?)\s+)?day\s+(?:\d+\s+)?of\s+"
    r"(?:the\s+)?)$",
    re.IGNORECASE,
)


def _timed_against(text: str, mention: Mention, amount: Amount) -> bool:
    """Whether ``mention`` names only the time of a dose after it: "after <drug>", with more than the
    name's own dose words between it and the dose ("before paclitaxel 175 mg/m2" names paclitaxel's dose)."""
    if not _TIMED_AGAINST.search(text, max(0, mention.start - 30), mention.start):
        return False
    return not _ADJACENT_BEFORE.fullmatch(text, mention.end, amount.start)


# A vehicle named as what a dose is made up in: "diluted in 100 mL 0.9% normal saline", "dissolved in water".
_DILUTED_IN = re.compile(
    r"\b(?:dilut|dissolv|reconstitut|suspend|mix|prepar)\w*\s+(?:in|with|into)\s+(?:a\s+|the\s+)?"
    r"(?:\d+(?:\.\d+)?\s*(?:ml|l|cc)\s+(?:of\s+)?)?(?:\d+(?:\.\d+)?\s*%\s+)?$",
    re.IGNORECASE,
)


def _diluent(text: str, mention: Mention) -> bool:
    """Whether ``mention`` names a vehicle (vehicles.txt) as what a dose is diluted or dissolved in."""
    return mention.info.name in vehicles() and bool(
        _DILUTED_IN.search(text, max(0, mention.start - 60), mention.start)
    )


def _cell_product(info: DrugInfo) -> bool:
    name = info.name
    return info.drug_class is None or "cell" in name or "lymphocyte" in name or name.endswith("leucel")


def _placebo_of(doc: _Doc, mention: Mention) -> tuple[Mention, DrugInfo]:
    """ "budesonide placebo" is a placebo."""
    if _PLACEBO_AFTER.match(doc.text, mention.end):
        for other in doc.mentions:
            if other.start > mention.start and other.info.name == "placebo":
                return other, other.info
    return mention, mention.info


def _unknown_drug(text: str, amount: Amount, sentence: clauses.Sentence) -> DrugInfo | None:
    """A drug the vocabulary does not know, named right after "of" or right before the dose."""
    of = _OF_UNKNOWN.match(text[amount.end : min(sentence.end, amount.end + 60)])
    if of:
        words: list[str] = []
        for word in of.group(1).split():
            lowered = word.lower()
            if lowered in STOPWORDS or lowered.endswith(("ed", "ing")) or lowered in NOT_DRUGS:
                break
            words.append(word)
        if words and (len(words) > 1 or len(words[0]) >= 4):
            name = " ".join(words)
            known = lookup(name) or fuzzy_lookup(words[0])
            return known or DrugInfo(name.lower(), None)
    window_start = max(sentence.start, amount.start - 40)
    before = list(WORD.finditer(text, window_start, amount.start))
    misspelt = _misspelt_two_word_name(text, before, amount.start)
    if misspelt is not None:
        return misspelt
    if before:
        word = before[-1].group(0)
        gap = text[before[-1].end() : amount.start]
        of_lower = _OF_LOWER_BEFORE.search(text[window_start : amount.start])
        if of_lower and of_lower.group(1).lower() not in STOPWORDS | NOT_DRUGS:
            return fuzzy_lookup(of_lower.group(1)) or DrugInfo(of_lower.group(1).lower(), None)
        if (
            gap.strip(" :(") == ""
            and word.isalpha()
            and word.lower() not in STOPWORDS | NOT_DRUGS
            and word.lower() not in INTERVENTION_TYPES
        ):
            fuzzy = fuzzy_lookup(word)
            if fuzzy is not None:
                return fuzzy
            if word[0].isupper() and len(word) >= 5:
                return DrugInfo(word.lower(), None)
        if looks_like_code(word):
            return DrugInfo(word.lower(), None)
    return None


def _misspelt_two_word_name(text: str, before: list[re.Match[str]], amount_start: int) -> DrugInfo | None:
    """A known two-word generic whose first word is misspelt, written right before the dose ("mycofenolate
    mofetil 1 g"): the spec names an obvious misspelling by its generic. Only when the corrected words are a
    name the vocabulary knows, so that a misspelling is never guessed into a new name."""
    if len(before) < 2 or text[before[-1].end() : amount_start].strip(" :(") != "":
        return None
    first, second = before[-2], before[-1]
    if text[first.end() : second.start()] != " " or second.group(0).lower() not in _second_words():
        return None
    if lookup(first.group(0)) is not None:
        return None
    corrected = fuzzy_lookup(first.group(0))
    if corrected is None:
        return None
    return lookup(f"{corrected.name} {second.group(0)}")


@cache
def _second_words() -> frozenset[str]:
    """The last words of the vocabulary's two-word names ("mofetil"): only before one of them is the word
    ahead tried as a misspelling (the edit-distance search is the costly part)."""
    return frozenset(key[1] for key in vocabulary().by_words if len(key) == 2 and key[1].isalpha())
