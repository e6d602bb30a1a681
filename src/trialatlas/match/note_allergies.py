"""Drug allergies as a note states them: "Allergies: penicillin (hives), codeine", "allergic to aspirin",
"carboplatin hypersensitivity reaction", "NKDA".

A drug named as an allergen is a fact about the patient's allergies, never a medicine they take: read
as a medication, "Allergies: heparin" would meet "currently receiving heparin". The cues are data
(``note_cues.json``, ``allergy``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache

from trialatlas.extract.criteria.drugs import DrugMention, mention_classes
from trialatlas.extract.criteria.negation import note_context_of
from trialatlas.extract.criteria.vocab import condition_matcher
from trialatlas.match.patient_model import PatientAllergy, PatientCondition, PatientProfile, evidence_at
from trialatlas.text.packaged import packaged_json


@cache
def _cues() -> dict[str, re.Pattern[str]]:
    cues = packaged_json("trialatlas.match", "note_cues.json")
    allergy = cues["allergy"]
    return {
        # Ends right before the allergen, an article at most between: "allergic to (the) penicillin".
        "before": re.compile(
            r"(?:" + "|".join(allergy["before_drug"]) + r")\s*(?:(?:a|an|the|any|all)\s+)?$", re.IGNORECASE
        ),
        "after": re.compile(r"\s*(?:" + "|".join(allergy["after_drug"]) + r")", re.IGNORECASE),
        "none_known": re.compile("|".join(f"(?:{cue})" for cue in allergy["none_known"]), re.IGNORECASE),
        "whole_list": re.compile("|".join(f"(?:{cue})" for cue in allergy["whole_list"]), re.IGNORECASE),
    }


# Between two allergens of one list: commas, "and", "or", and the reaction in brackets after the first
# ("penicillin (hives), codeine").
_LIST_JOINT = re.compile(r"(?:\s*\([^()]*\))?[\s,/]*(?:\b(?:and|or|and/or)\b)?[\s,/]*")
# How far before a drug its allergy cue may end ("Allergies: penicillin").
_LEAD_WINDOW = 60


def _clause_start(sentence: str, position: int) -> int:
    """Where the clause holding ``position`` begins: a cue in another clause does not reach the drug."""
    cut = max(sentence.rfind(";", 0, position), sentence.rfind(". ", 0, position))
    return max(cut + 1, position - _LEAD_WINDOW)


def allergen_mentions(sentence: str, drugs: Sequence[DrugMention]) -> list[DrugMention]:
    """The drugs of ``drugs`` (mentions in ``sentence``, in order) that the sentence names as allergens."""
    cues = _cues()
    ordered = sorted((d for d in drugs if d.drug_class != "medication"), key=lambda d: d.start)
    led = [bool(cues["before"].search(sentence[_clause_start(sentence, d.start) : d.start])) for d in ordered]
    trailed = [cues["after"].match(sentence, d.end) is not None for d in ordered]
    # A list said once: forward from a cue before it ("Allergies: penicillin, cephalexin"), backward
    # from one after it ("penicillin and sulfa allergies").
    for position in range(1, len(ordered)):
        if led[position - 1] and _LIST_JOINT.fullmatch(
            sentence, ordered[position - 1].end, ordered[position].start
        ):
            led[position] = True
    for position in range(len(ordered) - 2, -1, -1):
        if trailed[position + 1] and _LIST_JOINT.fullmatch(
            sentence, ordered[position].end, ordered[position + 1].start
        ):
            trailed[position] = True
    allergen = [a or b for a, b in zip(led, trailed, strict=True)]
    return [drug for drug, flagged in zip(ordered, allergen, strict=True) if flagged]


def _inside_brackets_after(sentence: str, drug: DrugMention, allergens: Sequence[DrugMention]) -> bool:
    """Whether a drug sits in the bracketed reaction of an allergen ("heparin (heparin-induced
    thrombocytopenia)"): it names the reaction, not one more drug taken."""
    for allergen in allergens:
        opening = sentence.find("(", allergen.end, drug.start)
        if (
            opening >= 0
            and sentence.find(")", opening, drug.start) < 0
            and not sentence[allergen.end : opening].strip(" ,")
        ):
            return True
    return False


def read_allergies(
    profile: PatientProfile, index: int, sentence: str, drugs: Sequence[DrugMention]
) -> list[tuple[int, int]]:
    """Add the sentence's drug allergies to the profile (``drugs``: the sentence's drug mentions, in
    order); return the spans read (no medicine there)."""
    cues = _cues()
    claimed: list[tuple[int, int]] = []
    if (none_known := cues["none_known"].search(sentence)) is not None:
        # "Allergies: none known", "NKDA": no allergy (and the word "Allergies" is not one).
        profile.allergy_list_complete = True
        profile.conditions.append(
            PatientCondition(
                name=none_known.group(0),
                concept="allergy",
                present=False,
                evidence=evidence_at(index, sentence, *none_known.span()),
            )
        )
        claimed.append(none_known.span())
    elif cues["whole_list"].search(sentence):
        profile.allergy_list_complete = True
    allergens = allergen_mentions(sentence, drugs)
    if not allergens and any(
        mention.concept == "allergy" and note_context_of(sentence, mention.start, mention.end).negated
        for mention in condition_matcher().find(sentence)
    ):
        # "No history of allergies", "no allergies to any food or drugs": none known, no drug named.
        profile.allergy_list_complete = True
    for drug in allergens:
        context = note_context_of(sentence, drug.start, drug.end)
        profile.allergies.append(
            PatientAllergy(
                name=drug.text,
                drugs=[drug.drug] if drug.drug is not None else [],
                classes=list(mention_classes(drug)),
                present=not context.negated,
                evidence=evidence_at(index, sentence, drug.start, drug.end),
            )
        )
        if not context.negated:
            # Allergic to a drug, the patient has an allergy: "History of hypersensitivity" holds.
            profile.conditions.append(
                PatientCondition(
                    name=f"allergy to {drug.text}",
                    concept="allergy",
                    evidence=evidence_at(index, sentence, drug.start, drug.end),
                )
            )
        claimed.append((drug.start, drug.end))
    for drug in drugs:
        if drug not in allergens and _inside_brackets_after(sentence, drug, allergens):
            claimed.append((drug.start, drug.end))
    return claimed


__all__ = ["allergen_mentions", "read_allergies"]
