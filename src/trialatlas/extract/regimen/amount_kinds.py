"""Which amounts a text states are doses: an amount is a dose, a "stop" (no dose, but its words are its
own: radiation, a titration step, a threshold, a product strength, a sample) or a vehicle's volume, and
a dose stated twice ("0.2 ml (100 mcg)", "400 mg (2 x 200 mg tablets)") is kept once. Run by parse.py
on every amount amounts.py finds, before any amount becomes an item."""

from __future__ import annotations

import itertools
import math
import re

from trialatlas.extract.regimen import clauses, lexicon
from trialatlas.extract.regimen.amounts import Amount
from trialatlas.extract.regimen.passes import _Doc
from trialatlas.text.packaged import packaged_json

_AUC_DOSE = re.compile(
    # "AUC 5", "AUC = 5", "area under the curve [AUC] of 5".
    r"\bAUC\s*[\])]?\s*(?:of\s+|=\s*|:\s*)?(?P<lo>\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?:\s*(?:-|to)\s*(?P<hi>\d+(?:\.\d+)?))?"
    r"(?!\s*(?:ng|µg|μg|ug|mcg|mg|nmol|mmol)\s*[.·*]?\s*h?\s*/)(?:\s*mg\s*/\s*m[lL]\s*[/.·x×*]?\s*min)?",
)
_DILUENT_BEFORE = re.compile(
    r"(?:dilut\w*|dissolv\w*|reconstitut\w*|mixed|suspended|prepared)\s+(?:in|into|with)\s+(?:a\s+|an\s+)?(?:total\s+of\s+)?$"
    r"|\bin\s+(?:a\s+)?$",
    re.IGNORECASE,
)
# Radiation, and radioactivity (not a unit of the spec; the mass given with it is the dose, R13).
_RADIATION_UNITS = frozenset({"Gy", "cGy", "mCi", "MBq", "GBq"})
_IN_MG = {"g": 1000.0, "mg": 1.0, "mcg": 1e-3, "ng": 1e-6}
_MASS_UNITS = frozenset({"mg", "g", "mcg", "ng", "IU", "units", "mmol", "mEq"})
_SAMPLE_AFTER = re.compile(
    r"\s*\(?\s*(?:[A-Za-z]+\s+){0,2}?(?:tubes?\b|of\s+(?:whole\s+|venous\s+|peripheral\s+|cord\s+)?"
    r"(?:blood|urine|plasma|saliva)\b)",
    re.IGNORECASE,
)
_CLEARANCE_BEFORE = re.compile(r"\b(?:CrCl|CLcr|clearance|e?GFR|filtration)\b", re.IGNORECASE)
_STEP_BEFORE = re.compile(
    r"\b(?:increas|decreas|reduc|escalat|titrat|taper|rais|lower)\w*\s+(?:\w+\s+){0,2}?(?:by|in\s+steps\s+of|in\s+"
    r"increments\s+of)\s*$|\b(?:increments?|steps?|adjustments?)\s+of\s*$|\bnearest\s*$|"
    # "the daily dose reduction is 12.5mg per week": the size of a change, said with "is" or "of".
    r"\b(?:reductions?|increases?|increments?|decreases?)\s+(?:is|are|was|will\s+be|of)\s*$|"
    # "targeted to deliver >5x10^6 cells/kg", "< 50 kg": a threshold, not a dose.
    r"(?:[<>≤≥]|>=|<=)\s*$|"
    # "infants weighing 500-1000gm": a body weight, not a dose (the spec's Not items).
    # "a birth weight below 1500 g", "body weight of at least 40 kg": the comparison words of a threshold too.
    r"\bweigh(?:s|ing|ed|t)?\s*(?:of\s+|between\s+|from\s+|(?:less|more|lower|higher|greater)\s+than\s+|over\s+|"
    r"under\s+|below\s+|above\s+|(?:of\s+)?at\s+(?:least|most)\s+)?$",
    re.IGNORECASE,
)
_RESIDUE = re.compile(r"[^\s(]\(\d+L\)")
_STEP_AFTER = re.compile(r"\s*(?:increments?|decrements?|steps?)\b", re.IGNORECASE)
_STRENGTH_BEFORE = re.compile(
    # "Strength: Baclofen 0.5mg": a product record's strength field, the substance's name before the amount.
    r"\bstrength\s*:\s*(?:[A-Za-z][\w-]*\s+){0,3}$|"
    r"\b(?:strengths?\s+of|available\s+(?:in|as)|(?:supplied|provided)\s+(?:in|as)|"
    r"(?:tablets?|capsules?|vials?|ampoules?|sachets?)\s+(?:each\s+)?(?:containing|contains))\s+"
    r"(?:(?:a|an|the|of|each)\s+)?$",
    re.IGNORECASE,
)
_STRENGTH_WORDS = ("strength", "available", "supplied", "provided", "contain")
# "capsules of 0.5 mg and 1 mg": the strengths a form comes in, listed (a count before the form, "2 capsules
# of 250 mg", makes one dose instead).
_STRENGTH_LIST_BEFORE = re.compile(
    r"(?P<count>\b(?:\d+|one|two|three|four|five|six)\s+)?\b(?:tablets|capsules|vials|ampoules|sachets)\s+of\s+"
    r"(?P<listed>(?:\d+(?:\.\d+)?\s*(?:mg|g|mcg|µg|ug)?\s*(?:,\s*and|,|and|or)\s*)*)$",
    re.IGNORECASE,
)
_STRENGTH_LIST_AFTER = re.compile(r"\s*(?:,\s*and|,|and|or)\s*\d", re.IGNORECASE)
_STEP_WORDS = (
    "increas",
    "decreas",
    "reduc",
    "escalat",
    "titrat",
    "taper",
    "rais",
    "lower",
    "increment",
    "step",
    "adjustment",
    "nearest",
    "weigh",
    "<",
    ">",
    "≤",
    "≥",
)
_COMPOSITION_GAP = re.compile(
    rf"\s*[(;]\s*(?:\d+|{lexicon.UNIT_COUNT.pattern()})\s*(?:x|×|(?:pills?|tablets?|capsules?|caps|tabs?|vials?)"
    r"(?:\s+(?:of|x|×))?)\s*$",
    re.IGNORECASE,
)
_FORM_RIGHT_AFTER = re.compile(
    r"\s*(?:[A-Za-z-]+\s+){0,2}?(?:tablets?|capsules?|pills?|caps|tabs?)\b", re.IGNORECASE
)
_MADE_UP_TO = re.compile(
    r"[^.;]*\b(?:equal(?:l)?ing|equals?|to\s+reach|totall?ing|(?:for\s+)?a\s+total(?:\s+daily)?(?:\s+dose)?"
    r"(?:\s+of)?)\s*$"
    # "Sorafenib 200 mg tablets, dose: 400 mg/day": the dose named after the tablets' strength.
    r"|[^.;]{0,30}?,\s*(?:daily\s+)?dos(?:e|age)\s*[:=]\s*$",
    re.IGNORECASE,
)
_COUNTED_PAREN_GAP = re.compile(r"\s*\(\s*(?:one|two|three|four|five|six)\s*", re.IGNORECASE)
_VOLUME_OF = re.compile(r"\s*(?:[A-Za-z]+\s+){0,2}?of\s+(?:approximately\s+|about\s+|~\s*)?$", re.IGNORECASE)
_PAREN_GAP = re.compile(r"\s*\(\s*$")
# "1 g twice daily by mouth, given as 500 mg tablets": after a dose, the strength of the form it is taken as.
_GIVEN_AS_GAP = re.compile(r"[^.;()]{0,40}?\b(?:given|taken|dispensed|administered)\s+as\s*$", re.IGNORECASE)
# "Cyclophosphamide 750 mg/m2 IV every 4 weeks (1 g vial)": the size of a vial or an ampoule.
_VIAL_RIGHT_AFTER = re.compile(
    r"\s*(?:(?:single|multi(?:ple)?)[- ]?(?:use|dose)\s+|glass\s+)?(?:vials?|ampoules?|ampules?)\b",
    re.IGNORECASE,
)
_LIST_GAP = re.compile(r"\s*(?:,|or|and)\s*(?:an?\s+)?", re.IGNORECASE)
_FORMS_RIGHT_AFTER = re.compile(
    r"\s*(?:[A-Za-z-]+\s+){0,2}?(?:tablets|caplets|capsules|vials|ampoules|sachets)\b", re.IGNORECASE
)
# What an amount measures when it is no drug's dose (not_doses.json, kept as data): a sample drawn, a yield, a
# diet's nutrient, a transfusion, a centrifuge's force, a container, a ratio. One alternation each way.
_NOT_DOSES = packaged_json(__package__, "not_doses.json")
_NOT_DOSE_BEFORE = re.compile(
    "|".join(f"(?:{cue['pattern']})" for cue in _NOT_DOSES["before"].values()), re.IGNORECASE
)
_NOT_DOSE_WORDS = tuple(sorted({word for cue in _NOT_DOSES["before"].values() for word in cue["words"]}))
_NOT_DOSE_AFTER = re.compile("|".join(f"(?:{p})" for p in _NOT_DOSES["after"].values()), re.IGNORECASE)
_NOT_DOSE_AFTER_VOLUME = re.compile(
    "|".join(f"(?:{p})" for p in _NOT_DOSES["after_volume"].values()), re.IGNORECASE
)


def _amount_kind(text: str, amount: Amount, sentence: clauses.Sentence) -> str:
    """ "dose"; "stop" for an amount that is no dose but whose words are its own (radiation, a titration
    step); "skip" for a vehicle or a kidney function threshold, whose words belong to the dose beside it;
    "limit" for an amount after a comparison word ("at least", "more than", "exceeding": dose_bounds.py)."""
    if amount.unit in _RADIATION_UNITS:
        # Radiation is not a drug: "70 Gy in 35 fractions" alongside a drug would be read as its dose.
        return "stop"
    if amount.unit == "L" and _RESIDUE.fullmatch(text, max(0, amount.start - 2), amount.end + 1):
        # "MART-1:26-35(27L)": a peptide's substituted residue (position, amino acid), not litres (R124).
        return "stop"
    before = text[max(sentence.start, amount.start - 60) : amount.start]
    if amount.unit in {"mL", "L"} and _DILUENT_BEFORE.search(before):
        # "NAC 1200mg dissolved in 250ml of water twice a day": a vehicle; "twice a day" is NAC's.
        return "skip"
    if amount.unit in {"mL", "L"} and _SAMPLE_AFTER.match(text, amount.end):
        # "2x10 ml (CellSave Tube)", "10 mL of blood": a sample taken, not a dose given.
        return "stop"
    if amount.unit in {"mL", "L"} and amount.basis == "min" and _CLEARANCE_BEFORE.search(before[-40:]):
        # "CrCl >= 50 mL/min": a kidney function threshold, the condition of the dose before it, whose
        # words run on past it ("250 mg twice daily for CrCl 30-50 mL/min, orally": the route is the
        # dose's, and the alternatives' before it; R117).
        return "skip"
    if amount.unit in {"mL", "L"} and amount.basis.split("/")[-1] in {"min", "hour"}:
        # "administered at 2.5 mL/min", "3 ml/kg/hour": the rate a volume runs in, not a dose (the spec).
        return "stop"
    lowered = before.lower()
    # Both patterns below end at the amount and need one of a few words; most windows hold none of them.
    if any(word in lowered for word in _STRENGTH_WORDS) and _STRENGTH_BEFORE.search(before):
        # "available in the strength of 1 gram", "a tablet containing 50 mg": a product strength.
        return "stop"
    if " of" in lowered:
        listed = _STRENGTH_LIST_BEFORE.search(before)
        more = listed is not None and (listed["listed"] or _STRENGTH_LIST_AFTER.match(text, amount.end))
        if listed and not listed["count"] and more:
            # "capsules of 0.5 mg and 1 mg": strengths listed as available, not a dose (the spec's Not items).
            return "stop"
    # "increased by 0.005 mcg/kg/min every 3 hours": the step of a titration, not a dose.
    if any(word in lowered for word in _STEP_WORDS) and _STEP_BEFORE.search(before):
        return "stop"
    if _STEP_AFTER.match(text, amount.end):
        # "increased in 18 mg increments every seven days": the step again, named after the amount.
        return "stop"
    if (
        (any(word in lowered for word in _NOT_DOSE_WORDS) and _NOT_DOSE_BEFORE.search(before))
        or ("/" in text[amount.end : amount.end + 3] and _NOT_DOSE_AFTER.match(text, amount.end))
        or (amount.unit in {"mL", "L"} and _NOT_DOSE_AFTER_VOLUME.match(text, amount.end))
    ):
        # "blood draw (35 mL)", "protein restriction (0.8g/kg ...)", "at 3000g", "39-46 mmol/mol": the amount
        # measures something no drug dose is (the spec's Not items, R71).
        return "stop"
    if ("than" in lowered or "least" in lowered or "exceed" in lowered) and _LIMIT_BEFORE.search(before):
        # "a meal that contains more than 20 grams of carbohydrate", "iron excretion of at least 0.25
        # mg/kg/day": a threshold or a limit, not a dose (the spec's Not items), unless it bounds a drug's
        # own amount ("at least 40mg simvastatin": dose_bounds.py, R154).
        return "limit"
    return "dose"


_LIMIT_BEFORE = re.compile(
    r"\b(?:(?:more|less|greater|fewer|higher|lower)\s+than|at\s+least|(?:not\s+(?:to\s+)?)?exceed(?:ing)?)\s*$",
    re.IGNORECASE,
)


_COUNT_UNITS = frozenset({"tablets", "capsules", "puffs"})
# "(& matching placebo)": the drug's own look-alike, not another product with doses of its own.
_MATCHED_PLACEBO = re.compile(r"\bmatch(?:ing|ed)\s+placebo\b", re.IGNORECASE)


def _restates_a_dose(doc: _Doc, amount: Amount, doses: list[Amount], sentence: clauses.Sentence) -> bool:
    """ "Fluticasone 250 mcg inhaled, 1 puff in the morning and 1 puff in the evening": a count of tablets,
    capsules or puffs after a dose by mass of the same drug (no other drug named between them) says how
    the dose is taken, not another dose (R11); its words, the frequency, belong to that dose."""
    earlier = [d for d in doses if sentence.start <= d.start and d.unit in _MASS_UNITS]
    if not earlier:
        return False
    # "1 tablet per day placebo": a count followed by another product is that product's dose.
    return not any(
        earlier[-1].end <= m.start < amount.end + 30
        and not _MATCHED_PLACEBO.search(doc.text, max(0, m.start - 12), m.end)
        for m in doc.mentions
    )


def _drop_parenthetical_restatements(
    text: str, doses: list[Amount], concentrations: tuple[Amount, ...] = ()
) -> list[Amount]:
    """ "0.2 ml (100 mcg) QS-21" states one dose twice; the mass is kept, the volume or count dropped.
    ``concentrations``: the per-volume strengths the text states, which a vial's volume may sit beside."""
    dropped: set[int] = set()
    for first, second in itertools.pairwise(doses):
        if not _PAREN_GAP.match(text, first.end, second.start) or not text.startswith(")", second.end):
            continue
        first_mass, second_mass = first.unit in _MASS_UNITS, second.unit in _MASS_UNITS
        if first_mass != second_mass:
            dropped.add(id(second) if first_mass else id(first))
        elif _same_mass(first, second):
            # "1000 mcg (1 mg)": the same amount in another unit.
            dropped.add(id(second))
    for first, second in itertools.pairwise(doses):
        # "150 mg/day (three 50 mg capsules)": the count of capsules times their strength, the dose again.
        if (
            _COUNTED_PAREN_GAP.fullmatch(text, first.end, second.start)
            and second.unit == first.unit
            and math.isclose(second.low, first.low)
            and math.isclose(second.high, first.high)
        ):
            dropped.add(id(second))
    for first, second in itertools.pairwise(doses):
        # "801 mg (3 pills of 267 mg each)", "400 mg (2 x 200 mg tablets)": how the dose is made up.
        if _COMPOSITION_GAP.match(text, first.end, second.start):
            dropped.add(id(second))
        # "2.0 mL injection of approximately 6 million cells": the volume carries the dose.
        if (
            first.unit in {"mL", "L"}
            and second.unit not in {"mL", "L"}
            and _VOLUME_OF.match(text, first.end, second.start)
        ):
            dropped.add(id(first))
    for first, second in itertools.pairwise(doses):
        # "400 mg tablets equaling 1600 mg daily", "two 125 mg capsules three times a day for a total daily
        # dose of 750 mg": the first amount is what the dose is made of; the total is the dose.
        if (
            second.unit == first.unit
            and second.low > first.low
            and second.start - first.end <= 120
            and _FORM_RIGHT_AFTER.match(text, first.end)
            and _MADE_UP_TO.match(text, first.end, second.start)
        ):
            dropped.add(id(first))
    for first, second in itertools.pairwise(doses):
        if (
            first.unit in _MASS_UNITS
            and second.unit in _MASS_UNITS
            and _GIVEN_AS_GAP.fullmatch(text, first.end, second.start)
            and _FORMS_RIGHT_AFTER.match(text, second.end)
        ):
            dropped.add(id(second))
    # A vial's or an ampoule's size ("1 g vial", "a 2 mL or a 5 mL vial") beside a dose stated apart is the
    # strength a product is available in (the spec's Not items); a text's only amounts stay its doses.
    vials = {id(a) for a in doses if a.end < len(text) and _VIAL_RIGHT_AFTER.match(text, a.end)}
    if vials:
        for first, second in reversed(list(itertools.pairwise(doses))):
            if (
                id(second) in vials
                and first.unit == second.unit
                and _LIST_GAP.fullmatch(text, first.end, second.start)
            ):
                vials.add(id(first))
        if any(id(a) not in vials for a in doses) or _beside_concentration(
            [a for a in doses if id(a) in vials], concentrations
        ):
            dropped |= vials
    for first, count, part in zip(doses, doses[1:], doses[2:], strict=False):
        # "(400 mg; 2 tablets x 200 mg)": the tablets and their strength make up the dose.
        if (
            count.unit in {"tablets", "capsules"}
            and re.fullmatch(r"\s*[(;,]\s*", text[first.end : count.start])
            and re.fullmatch(r"\s*(?:x|×|of)\s*", text[count.end : part.start])
        ):
            dropped.update({id(count), id(part)})
    return [a for a in doses if id(a) not in dropped] if dropped else doses


def _beside_concentration(vials: list[Amount], concentrations: tuple[Amount, ...]) -> bool:
    """ "Naloxone 0.4 mg/mL, in either a 1 mL or a 10 mL vial": volumes of vials written beside the
    strength per mL they hold are the product as supplied, not a dose (the spec's Not items: concentrations,
    vial strengths; R29, R53, R118), even when the text states no other amount."""
    if not vials or not concentrations or any(a.unit not in {"mL", "L"} for a in vials):
        return False
    first, last = vials[0].start, vials[-1].end
    return any(0 <= first - c.end <= 60 or 0 <= c.start - last <= 60 for c in concentrations)


def _same_mass(first: Amount, second: Amount) -> bool:
    a, b = _IN_MG.get(first.unit), _IN_MG.get(second.unit)
    if a is None or b is None or first.unit == second.unit:
        return False
    return math.isclose(first.low * a, second.low * b) and math.isclose(first.high * a, second.high * b)


def _with_auc_doses(text: str, amounts: list[Amount]) -> list[Amount]:
    extra: list[Amount] = []
    if "AUC" not in text:
        return amounts
    for match in _AUC_DOSE.finditer(text):
        low = float(match.group("lo").replace(",", ""))
        high = float(match.group("hi")) if match.group("hi") else low
        if any(a.start <= match.start("lo") < a.end for a in amounts):
            amounts = [a for a in amounts if not a.start <= match.start("lo") < a.end]
        extra.append(Amount(match.start(), match.end(), low, high, "AUC", "dose", text=match.group(0)))
    return sorted(amounts + extra, key=lambda a: a.start) if extra else amounts


def _target_context(text: str, amount: Amount, sentence: clauses.Sentence) -> bool:
    before = text[max(sentence.start, amount.start - 90) : amount.start]
    if amount.unit == "ng" or re.search(r"[.·*×x]\s*h", amount.text):
        return True
    return bool(re.search(r"trough|C0|AUC|concentration|level|target|maintain|keep", before, re.IGNORECASE))
