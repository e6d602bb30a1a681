"""Parse arm and intervention text into regimen items.

The parser is rule-based and works in two passes. First it finds, independently, every amount with
its unit and basis (amounts.py), every drug mention (drugs.py), and every frequency, route, duration
and role cue (lexicon.py). Then each amount becomes one item and takes, from the words around it,
its drug (the name just before it, else one just after "of", else the last one named), and the
frequency, route and duration written after it up to the next dose, or failing that before it.
A cue used by one dose is not reused by the next.

What the text states in words only ("at the standard dose") or with a unit the parser does not
know is returned as :class:`Unparsed`: a number is never made up.
"""

from __future__ import annotations

import functools
import itertools
import json
import math
import re
from importlib import resources

from trialatlas.extract.regimen import clauses, lexicon, naming
from trialatlas.extract.regimen.amounts import Amount, find_amounts
from trialatlas.extract.regimen.drugs import _NOT_DRUGS as NOT_DRUGS
from trialatlas.extract.regimen.drugs import _STOPWORDS as STOPWORDS
from trialatlas.extract.regimen.drugs import (
    WORD,
    DrugInfo,
    Mention,
    find_mentions,
    fuzzy_lookup,
    looks_like_code,
    lookup,
    written_generic,
)
from trialatlas.extract.regimen.models import (
    Dose,
    ParsedRegimen,
    RegimenItem,
)
from trialatlas.extract.regimen.passes import (
    _DAYS_MULTI,
    _apply_context_sentences,
    _apply_cycle_sentences,
    _apply_duration_sentences,
    _apply_named_frequency_sentences,
    _apply_trailing_cycles,
    _attach_targets,
    _collect_unparsed,
    _Doc,
    _drop_daily_totals,
    _drop_restatements,
    _drop_unnamed_volumes,
    _drop_vehicles,
    _duration,
    _fold_formulations,
    _inherit_within_sentence,
    _is_cycle_code,
    _mark_alternatives,
    _read_adjustments,
    _read_conditions,
    _share_in_lists,
    _share_route_by_drug,
    _specify_by_context,
)
from trialatlas.extract.regimen.schedule import infer_frequencies
from trialatlas.extract.regimen.thresholds import attach_thresholds

_ESCAPES = re.compile(r"\\([~<>^*_\[\]()#+\-.!|`{}=])")
_TRANSLATE = str.maketrans(
    {
        "–": "-",
        "—": "-",
        "−": "-",
        "‐": "-",
        "～": "~",
        "〜": "~",
        "（": "(",
        "）": ")",
        "，": ",",
        "；": ";",
        "：": ":",
        "\u00a0": " ",
        "\u2009": " ",
        "\u202f": " ",
        "＜": "<",
        "＞": ">",
        "®": " ",
        "™": " ",
        "\t": " ",
    }
)


def normalise_text(text: str) -> str:
    """The text with markdown escapes removed and look-alike punctuation unified (offsets refer to this)."""
    if "\\" in text:
        text = _ESCAPES.sub(r"\1", text)
    return text.translate(_TRANSLATE)


_AUC_DOSE = re.compile(
    # "AUC 5", "AUC = 5", "area under the curve [AUC] of 5".
    r"\bAUC\s*[\])]?\s*(?:of\s+|=\s*|:\s*)?(?P<lo>\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?:\s*(?:-|to)\s*(?P<hi>\d+(?:\.\d+)?))?"
    r"(?!\s*(?:ng|µg|μg|ug|mcg|mg|nmol|mmol)\s*[.·*]?\s*h?\s*/)(?:\s*mg\s*/\s*m[lL]\s*[/.·x×*]?\s*min)?",
)
_CELL_CONTEXT = re.compile(r"\bcells?\b|\bMSCs?\b|stem\s+cell|CAR-?T|\bCD34", re.IGNORECASE)
_WEEKS = re.compile(
    r"\b(?:at|on|in|during)?\s*(?:weeks?|wks?)\s+(\d+(?:\s*(?:,|and|&|,\s*and)\s*\d+)+|\d+)\b", re.IGNORECASE
)
_DAY_SCHEDULE = re.compile(
    r"\b(?:on\s+)?days?\s*[-+]?\d+(?:\s*(?:,|and|&|-|to|through)\s*(?:days?\s*)?[-+]?\d+)*(?:\s+of\s+(?:each|every|a|the)\s+"
    r"\d+[-\s]day\s+(?:treatment\s+)?cycles?)?",
    re.IGNORECASE,
)
_AFTER_GAP = re.compile(
    # "Drug A 10 mg daily plus placebo": a name joined on by "plus", "and", "with" is another drug.
    r"^\s*(?:\)\s*)?(?:of\s+(?:the\s+)?(?:\d+(?:\.\d+)?\s*%\s+)?)?"
    r"(?:(?!(?:plus|and|with|or|versus|vs)\b)[A-Za-z.-]+\s+){0,2}?$|^\s*$",
    re.IGNORECASE,
)
_OF_GAP = re.compile(
    r"^\s*(?:\)\s*)?(?:\([A-Za-zµμ/.]{1,12}\)\s*)?(?:(?:pills?|tablets?|capsules?|vials?|injections?|doses?|infusions?)\s+)?of\s+(?:the\s+|a\s+|an\s+)?"
    # "4 mg of study drug (rosiglitazone maleate)": the drug named in brackets after "study drug".
    r"(?:(?:study|active|investigational)\s+(?:drug|medication|product|agent)\s*\(\s*)?(?:\d+(?:\.\d+)?\s*%\s+)?(?:[A-Za-z.-]+\s+){0,1}?$"
)
_DILUENT_BEFORE = re.compile(
    r"(?:dilut\w*|dissolv\w*|reconstitut\w*|mixed|suspended|prepared)\s+(?:in|into|with)\s+(?:a\s+|an\s+)?(?:total\s+of\s+)?$"
    r"|\bin\s+(?:a\s+)?$",
    re.IGNORECASE,
)
_OF_LOWER_BEFORE = re.compile(r"\bof\s+([a-z][a-z\-]{6,})\s*\(?\s*$")
_OF_UNKNOWN = re.compile(r"^\s*of\s+(?:the\s+)?((?:[A-Za-z][A-Za-z0-9\-']*\s*){1,3})")
_WORDS_IN_TEXT = re.compile(r"\S+")
_DIGIT = re.compile(r"\d")
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
    r"\b(?:increas|decreas|reduc|escalat|titrat|rais|lower)\w*\s+(?:\w+\s+){0,2}?(?:by|in\s+steps\s+of|in\s+"
    r"increments\s+of)\s*$|\b(?:increments?|steps?|adjustments?)\s+of\s*$|\bnearest\s*$|"
    # "targeted to deliver >5x10^6 cells/kg", "< 50 kg": a threshold, not a dose.
    r"(?:[<>≤≥]|>=|<=)\s*$|"
    # "infants weighing 500-1000gm": a body weight, not a dose (the spec's Not items).
    r"\bweigh(?:s|ing|ed|t)?\s*(?:of\s+|between\s+|from\s+|(?:less|more)\s+than\s+|over\s+|under\s+)?$",
    re.IGNORECASE,
)
_STRENGTH_BEFORE = re.compile(
    r"\b(?:strengths?\s+of|available\s+(?:in|as)|supplied\s+(?:in|as)|"
    r"(?:tablets?|capsules?|vials?|ampoules?|sachets?)\s+(?:each\s+)?(?:containing|contains))\s+"
    r"(?:(?:a|an|the|of|each)\s+)?$",
    re.IGNORECASE,
)
_STRENGTH_WORDS = ("strength", "available", "supplied", "contain")
_STEP_WORDS = (
    "increas",
    "decreas",
    "reduc",
    "escalat",
    "titrat",
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
# "10 mg of phenobarbital per kilogram": the basis written after the drug.
_PER_AFTER_DRUG = re.compile(
    r"\s*(?:/|per\s+|a\s+)(day|d|week|kg|kilograms?|m2)\b(?:\s*(?:of\s+)?(?:body\s*weight\s*)?(?:/|per\s+)(day|d)\b)?",
    re.IGNORECASE,
)
_TOTAL_RIGHT_BEFORE = re.compile(
    r"\b(?:total|cumulative)(?:\s+(?:daily\s+)?(?:dose|dosage|amount))?(?:\s+to\s+be\s+(?:administered|given))?"
    r"\s*(?:of|:|=|is|was|will\s+be)?\s*$",
    re.IGNORECASE,
)
# "36.5 mg/kg total dose", "(4.5 g/m2 total)", "32 mL/kg overall": a course's sum written after it.
_TOTAL_RIGHT_AFTER = re.compile(r"\s*(?:total|in\s+total|overall|cumulative)\b", re.IGNORECASE)
_SPLIT_CODES = frozenset({"BID", "TID", "QID"})
_FORM_RIGHT_AFTER = re.compile(
    r"\s*(?:[A-Za-z-]+\s+){0,2}?(?:tablets?|capsules?|pills?|caps|tabs?)\b", re.IGNORECASE
)
_MADE_UP_TO = re.compile(
    r"[^.;]*\b(?:equal(?:l)?ing|equals?|to\s+reach|totall?ing|(?:for\s+)?a\s+total(?:\s+daily)?(?:\s+dose)?"
    r"(?:\s+of)?)\s*$",
    re.IGNORECASE,
)
_COUNTED_PAREN_GAP = re.compile(r"\s*\(\s*(?:one|two|three|four|five|six)\s*", re.IGNORECASE)
_VOLUME_OF = re.compile(r"\s*(?:[A-Za-z]+\s+){0,2}?of\s+(?:approximately\s+|about\s+|~\s*)?$", re.IGNORECASE)
_ROUTE_OR = re.compile(r"\s*(?:or|/|and/or)\s*", re.IGNORECASE)
_DAILY_DOSE_BEFORE = re.compile(r"\b(?:total\s+)?daily\s+(?:dose|dosage)\s+(?:of\s+)?$", re.IGNORECASE)
_COMBINED_WITH = re.compile(
    r"\b(?:with|combined\s+with|in\s+combination\s+with|plus|and|\+)\s*(?:the\s+|a\s+)?$", re.IGNORECASE
)
_ESCALATION = re.compile(r"\b(?:escalat\w*|titrat\w*|dose\s+levels?|increas\w*|cohorts?)\b", re.IGNORECASE)
_PAREN_GAP = re.compile(r"\s*\(\s*$")
_BRACKET_GAP = re.compile(r"[\s()]*$")
# An unnamed or bracketed drug right after a dose, with at most a dosage-form word between them.
_ADJACENT_AFTER = re.compile(
    r"\s*(?:\)\s*)?(?:(?:puffs?|tablets?|tabs?|capsules?|caps|inhalations?|actuations?|sprays?|drops?)\s+)?"
    r"(?:\d+(?:\.\d+)?\s*%\s+)?$",
    re.IGNORECASE,
)
_ADJACENT_BEFORE = re.compile(r"[\s:(=,-]*$")
# "doses are doubled weekly", "increased by 100 mg every week": how often a dose changes, not how often
# it is given.
_STEP_FREQUENCY = re.compile(
    r"\b(?:doubl|increas|escalat|decreas|reduc|taper|titrat)\w*\s+(?:by\s+(?:(?:increments|steps)\s+of\s+)?"
    r"[\d.,]+(?:\s*-\s*[\d.,]+)?\s*[A-Za-zµ/]+\s+)?(?:\w+ly\s+)?$",
    re.IGNORECASE,
)
_LEADS_INTO = re.compile(r"\s+(?:of|at(?:\s+a\s+dose\s+of)?|(?:a\s+)?dose\s+of)\s*$", re.IGNORECASE)
_JOINS_ANOTHER = re.compile(r"\)\s*(?:,\s*)?(?:plus|with|and|\+)\b", re.IGNORECASE)
_NEXT_STEP = re.compile(r"\bthen\b|\bfollowed\s+by\b|\bthereafter\b|;", re.IGNORECASE)
_SINGLE_DOSE = re.compile(r"(?:as|in)\s+a\s+single\b", re.IGNORECASE)
_PLACEBO_AFTER = re.compile(r"\s+placebo\b", re.IGNORECASE)
_ROUTE_STRONG_WEAK = {"infusion", "infusions", "infused", "bolus", "venous", "drip infusion"}


def parse_regimen(text: str, default_drug: str | None = None) -> ParsedRegimen:
    """Every dose the text states, as regimen items, with targets, adjustments and what it could not read.

    ``default_drug`` (an intervention's name) is the drug of doses whose text names none.
    """
    norm = normalise_text(text)
    mentions = find_mentions(norm)
    amounts: list[Amount] = []
    unreadable: list[tuple[int, int, str]] = []
    # Every amount has a digit: a text without one has no doses (about half of all arm texts).
    if _DIGIT.search(norm) is not None:
        amounts, unreadable = find_amounts(norm, _cell_context(norm))
        amounts = _with_auc_doses(norm, amounts)
    # The words that only ever describe a dose (frequency, route, dosage form) are looked for only in
    # a text that states one.
    dosing = bool(amounts)
    doc = _Doc(
        text=norm,
        mentions=mentions,
        freqs=_frequencies(norm) if dosing else [],
        routes=lexicon.find_routes(norm) if dosing else [],
        forms=lexicon.find_form_routes(norm) if dosing else [],
        bound_routes={},
        claimed=set(),
        implied_routes=set(),
    )
    if dosing:
        _bind_routes(doc)
    result = ParsedRegimen(text=norm)
    doses: list[Amount] = []
    stops: list[Amount] = []
    for amount in amounts:
        sentence = doc.sentence_of(amount.start)
        if amount.concentration:
            if amount.unit in {"ng", "mcg", "mg", "g", "mmol"} and _target_context(norm, amount, sentence):
                result.targets.append(clauses.target_from(norm, amount, sentence, mentions))
            continue
        kind = _amount_kind(norm, amount, sentence)
        if kind == "dose" and amount.unit in _COUNT_UNITS and _restates_a_dose(doc, amount, doses, sentence):
            kind = "skip"
        if kind == "dose":
            doses.append(amount)
        elif kind == "stop":
            stops.append(amount)
    doses = _drop_parenthetical_restatements(norm, doses)
    # Amounts that are not doses but still end the words of the dose before them ("then 70 Gy daily").
    bounds = sorted(doses + stops, key=lambda a: a.start) if stops else doses
    stop_ids = {id(a) for a in stops}
    items: list[RegimenItem] = []
    previous_end = -1
    for index, amount in enumerate(bounds):
        next_start = bounds[index + 1].start if index + 1 < len(bounds) else len(norm)
        if id(amount) in stop_ids:
            previous_end = amount.end
            continue
        item = _item(doc, amount, previous_end, next_start, items, default_drug)
        previous_end = amount.end
        if item is None:
            continue
        items.append(item)
    if items:
        items = _drop_restatements(items, doses, doc)
        _share_in_lists(doc, items, {a.start for a in doses if a.extras.get("listed")})
        items = _drop_vehicles(_fold_formulations(norm, items))
    # The passes below that only refine items are skipped when the text states no dose (most texts):
    # adjustments and conditions are read either way.
    if items:
        _apply_cycle_sentences(doc, items)
        _apply_trailing_cycles(doc, items)
        _apply_context_sentences(doc, items)
        _apply_duration_sentences(doc, items)
        _apply_named_frequency_sentences(doc, items)
        _inherit_within_sentence(doc, items)
        _specify_by_context(doc, items)
        _share_route_by_drug(doc, items)
        _attach_targets(result.targets, items)
    _read_adjustments(doc, items, result)
    _read_conditions(doc, items, result)
    if items:
        attach_thresholds(norm, items, doc.sentences)
        infer_frequencies(doc, items)
        _mark_alternatives(doc, items)
        _name_as_written_generics(items, mentions)
        naming.name_defined_abbreviations(norm, items, mentions)
    result.items = items = _drop_daily_totals(norm, _drop_unnamed_volumes(norm, items))
    _collect_unparsed(doc, items, unreadable, result)
    return result


_CELL_WORDS = ("cell", "msc", "car", "cd34")
_HEADING = re.compile(r"[a-z], [a-z]")


def _cell_context(text: str) -> bool:
    """Whether the text speaks of a cell product (bare counts per kg are then cells)."""
    lowered = text.lower()
    return any(word in lowered for word in _CELL_WORDS) and _CELL_CONTEXT.search(text) is not None


def _name_as_written_generics(items: list[RegimenItem], mentions: list[Mention]) -> None:
    """Each dose's drug as the generic the text wrote (drugs.written_generic), once every pass that
    compares names with the vocabulary's has run."""
    for item in items:
        if item.drug is not None and item.drug_text:
            kept = naming.kept_as_written(item.drug_text)
            if kept is not None:
                # "G-CSF 5 mcg/kg": a class name stays as written, unless the text also names the one
                # drug of it that is given ("GCSF ... Filgrastim administration").
                if not any(
                    m.info.name == item.drug and naming.kept_as_written(m.surface) is None for m in mentions
                ):
                    item.drug = kept
                continue
            if _HEADING.search(item.drug) and " and " not in item.drug:
                # "antibodies, monoclonal", "serum albumin, human": a subject heading the packaged
                # vocabulary files a name under, never a generic; the name as written is the drug's.
                item.drug = " ".join(item.drug_text.lower().split())
                continue
            item.drug = written_generic(item.drug_text, item.drug)


# "Single dose (3000 µg A + 20 µg B)" opening a text or a line: the name of a dose level (beside "Double
# dose (...)"), not a single administration (R10).
_LEVEL_NAME = re.compile(r"Single[-\s]dose")
_LEVEL_NAME_AFTER = re.compile(r"\s*\(")
_LINE_START = re.compile(r"(?:^|\n)\s*$")
# "a 1-hour IV continuous infusion on day 1 of each cycle", "continuous infusion over 30 minutes": an infusion
# that runs for less than a day is one administration of its schedule, not continuous dosing.
_SHORT_RUN_BEFORE = re.compile(
    r"\b(\d+(?:\.\d+)?)[-\s]?(h|hrs?|hours?|min|mins|minutes?)\s+(?:\w+\s+){0,2}$", re.IGNORECASE
)
_SHORT_RUN_AFTER = re.compile(
    r"\s+over\s+(?:a\s+period\s+of\s+)?(\d+(?:\.\d+)?)\s*(h|hrs?|hours?|min|mins|minutes?)\b", re.IGNORECASE
)


def _short_run(text: str, span: lexicon.Span) -> bool:
    found = _SHORT_RUN_BEFORE.search(text, max(0, span[0] - 30), span[0]) or _SHORT_RUN_AFTER.match(
        text, span[1]
    )
    if found is None:
        return False
    hours = float(found.group(1)) / (60 if found.group(2).lower().startswith("m") else 1)
    return hours < 24


def _frequencies(text: str) -> list[lexicon.Span]:
    """Frequency words, less those saying how often a dose changes ("doubled weekly") and dose-level names."""
    return [
        f
        for f in lexicon.find_frequencies(text)
        if not _STEP_FREQUENCY.search(text, max(0, f[0] - 80), f[0])
        and not (
            f[2] == "once"
            and _LEVEL_NAME.fullmatch(text, f[0], f[1])
            and _LEVEL_NAME_AFTER.match(text, f[1])
            and _LINE_START.search(text, max(0, f[0] - 20), f[0])
        )
        and not (f[2] == "continuous" and _short_run(text, f))
    ]


def _amount_kind(text: str, amount: Amount, sentence: clauses.Sentence) -> str:
    """ "dose"; "stop" for an amount that is no dose but whose words are its own (radiation, a titration
    step, a lab threshold); "skip" for a vehicle, whose words belong to the dose it carries."""
    if amount.unit in _RADIATION_UNITS:
        # Radiation is not a drug: "70 Gy in 35 fractions" alongside a drug would be read as its dose.
        return "stop"
    before = text[max(sentence.start, amount.start - 60) : amount.start]
    if amount.unit in {"mL", "L"} and _DILUENT_BEFORE.search(before):
        # "NAC 1200mg dissolved in 250ml of water twice a day": a vehicle; "twice a day" is NAC's.
        return "skip"
    if amount.unit in {"mL", "L"} and _SAMPLE_AFTER.match(text, amount.end):
        # "2x10 ml (CellSave Tube)", "10 mL of blood": a sample taken, not a dose given.
        return "stop"
    if amount.unit in {"mL", "L"} and amount.basis == "min" and _CLEARANCE_BEFORE.search(before[-40:]):
        # "CrCl >= 50 mL/min": a kidney function threshold.
        return "stop"
    if amount.unit in {"mL", "L"} and amount.basis.split("/")[-1] in {"min", "hour"}:
        # "administered at 2.5 mL/min", "3 ml/kg/hour": the rate a volume runs in, not a dose (the spec).
        return "stop"
    lowered = before.lower()
    # Both patterns below end at the amount and need one of a few words; most windows hold none of them.
    if any(word in lowered for word in _STRENGTH_WORDS) and _STRENGTH_BEFORE.search(before):
        # "available in the strength of 1 gram", "a tablet containing 50 mg": a product strength.
        return "stop"
    # "increased by 0.005 mcg/kg/min every 3 hours": the step of a titration, not a dose.
    if any(word in lowered for word in _STEP_WORDS) and _STEP_BEFORE.search(before):
        return "stop"
    if ("than" in lowered or "least" in lowered or "exceed" in lowered) and _LIMIT_BEFORE.search(before):
        # "a meal that contains more than 20 grams of carbohydrate", "iron excretion of at least 0.25
        # mg/kg/day": a threshold or a limit, not a dose (the spec's Not items).
        return "stop"
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


def _drop_parenthetical_restatements(text: str, doses: list[Amount]) -> list[Amount]:
    """ "0.2 ml (100 mcg) QS-21" states one dose twice; the mass is kept, the volume or count dropped."""
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
    for first, count, part in zip(doses, doses[1:], doses[2:], strict=False):
        # "(400 mg; 2 tablets x 200 mg)": the tablets and their strength make up the dose.
        if (
            count.unit in {"tablets", "capsules"}
            and re.fullmatch(r"\s*[(;,]\s*", text[first.end : count.start])
            and re.fullmatch(r"\s*(?:x|×|of)\s*", text[count.end : part.start])
        ):
            dropped.update({id(count), id(part)})
    return [a for a in doses if id(a) not in dropped] if dropped else doses


def _same_mass(first: Amount, second: Amount) -> bool:
    a, b = _IN_MG.get(first.unit), _IN_MG.get(second.unit)
    if a is None or b is None or first.unit == second.unit:
        return False
    return math.isclose(first.low * a, second.low * b) and math.isclose(first.high * a, second.high * b)


def _bind_routes(doc: _Doc) -> None:
    """A route word just before a drug name ("intravenous belimumab", "oral MMF") belongs to that drug,
    and to the same drug named again in brackets ("Bolus 5-FU (fluorouracil)")."""
    for start, end, route in doc.routes:
        for index, mention in enumerate(doc.mentions):
            if 0 <= mention.start - end <= 2:
                doc.bound_routes[mention.start] = route
                doc.claimed.add(("route", start))
                following = doc.mentions[index + 1] if index + 1 < len(doc.mentions) else None
                if (
                    following is not None
                    and following.info.name == mention.info.name
                    and _BRACKET_GAP.match(doc.text, mention.end, following.start)
                ):
                    doc.bound_routes[following.start] = route
                break


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


def _item(
    doc: _Doc,
    amount: Amount,
    previous_end: int,
    next_start: int,
    items: list[RegimenItem],
    default_drug: str | None,
) -> RegimenItem | None:
    text = doc.text
    sentence = doc.sentence_of(amount.start)
    before = text[max(sentence.start, amount.start - 60) : amount.start]
    if lexicon.MAX_CUE_BEFORE.search(before) or lexicon.MAX_CUE_AFTER.match(
        text[amount.end : amount.end + 15]
    ):
        if items and doc.sentence_of(items[-1].start) == sentence and items[-1].dose is not None:
            items[-1].max_dose = Dose(low=amount.low, high=amount.high, unit=amount.unit, basis=amount.basis)
        return None
    mention, info = _choose_drug(doc, amount, previous_end, sentence)
    studied = _escalated_drug(doc, amount, mention, items)
    if studied is not None:
        mention, info = None, DrugInfo(studied.drug or "", studied.drug_class)
    drug = info.name if info else None
    if studied is not None:
        drug = studied.drug
    elif mention is not None and info is mention.info:
        drug = mention.name_as_written
    drug_class = info.drug_class if info else None
    drug_text = mention.surface if mention else None
    if info is None and default_drug:
        resolved = lookup(default_drug)
        drug = resolved.name if resolved else " ".join(default_drug.lower().split())
        drug_class = resolved.drug_class if resolved else None
        drug_text = default_drug
    # Windows: after the dose up to the next dose or another drug; before it back to the last dose.
    post_end = min(next_start, sentence.end)
    for other in doc.mentions:
        if (
            amount.end <= other.start < post_end
            and (mention is None or other.end > mention.end)
            and (info is None or other.info.name != info.name)
            and next_start < len(text)
            and next_start - other.end <= 60
        ):
            # Only a drug that has a dose of its own ends this dose's words ("X 5 mg and Y 10 mg daily");
            # "250 mg capsules, or placebo, given twice a day" keeps "twice a day".
            post_end = other.start
            break
    pre_start = max(sentence.start, previous_end if previous_end >= 0 else 0)
    frequency, frequency_text = _frequency(doc, amount, pre_start, post_end, sentence, next_start)
    route = _route(doc, amount, pre_start, post_end, mention)
    duration = _duration(text, amount.end, post_end)
    role = None
    pre_text = text[pre_start : amount.start]
    # "8 mg/kg loading dose, then 6 mg/kg": a role named before "then" was the earlier dose's.
    since = pre_text[-60:]
    turns = list(_NEXT_STEP.finditer(since))
    if turns:
        since = since[turns[-1].end() :]
    roles = list(lexicon.ROLE.finditer(since))
    if roles:
        role = lexicon.role_word(roles[-1].group(1))
    pulse = bool(lexicon.PULSE.search(text[pre_start : amount.start])) or bool(
        lexicon.PULSE.search(text[amount.end : min(post_end, amount.end + 25)])
    )
    basis = amount.basis
    if basis == "dose" and _DAILY_DOSE_BEFORE.search(text, max(pre_start, amount.start - 30), amount.start):
        # "a daily dose of 1000 mg divided and given every 12 hours": the day's amount.
        basis = "day"
    if basis == "dose" and (
        lexicon.TOTAL.search(text[max(pre_start, amount.start - 30) : amount.start])
        or lexicon.TOTAL.match(text[amount.end : amount.end + 20].lstrip(" ,("))
    ):
        basis = "total"
    if basis == "dose" and mention is not None and mention.start >= amount.end:
        per = _PER_AFTER_DRUG.match(text, mention.end, mention.end + 20)
        if per:
            word = per.group(1).lower()
            basis = (
                "kg" if word.startswith("k") else {"d": "day", "day": "day", "week": "week"}.get(word, "m2")
            )
            if per.group(2) and basis in {"kg", "m2"}:
                # "0.15 mg of dexamethasone per kilogram per day".
                basis += "/day"
    elif basis in {"kg", "m2"} and (
        _TOTAL_RIGHT_BEFORE.search(text, max(pre_start, amount.start - 50), amount.start)
        or _TOTAL_RIGHT_AFTER.match(text, amount.end)
    ):
        # "(total dose 0.9 mg/kg)": the course's sum, not a dose given (export leaves it out).
        role = "total"
    if basis == "day" and frequency in {None, "QD"}:
        # "two capsules three times a day for a total daily dose of 750 mg": a day's amount given in as
        # many administrations as the dose's words state (the spec), not the "daily" of "daily dose".
        split = [
            f
            for f in doc.freqs
            if pre_start <= f[0] < post_end and f[2] in _SPLIT_CODES and ("freq", f[0]) not in doc.claimed
        ]
        if split:
            doc.claimed.add(("freq", split[0][0]))
            frequency, frequency_text = split[0][2], text[split[0][0] : split[0][1]]
    low, high = amount.low, amount.high
    if basis == "kg/min":
        # The spec's bases stop at kg/hour: "0.05 mcg/kg/min" is 3 mcg/kg/hour (R3).
        low, high, basis = round(low * 60, 9), round(high * 60, 9), "kg/hour"
    schedule, weeks = _schedule(text, amount.end, post_end)
    return RegimenItem(
        drug=drug,
        drug_class=drug_class,
        drug_text=drug_text,
        dose=Dose(low=low, high=high, unit=amount.unit, basis=basis),
        frequency=frequency,
        frequency_text=frequency_text,
        schedule=schedule,
        schedule_weeks=weeks,
        route=route,
        duration=duration,
        role=role,
        pulse=pulse,
        text=text[amount.start : amount.end],
        start=amount.start,
        end=amount.end,
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
    misspelt = _misspelt_right_before(doc, amount, sentence)
    if misspelt is not None:
        return None, misspelt
    mention, info = _choose_drug_near(doc, amount, previous_end, sentence)
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


_PLACEBO_RIGHT_AFTER = re.compile(r"\s*(?:matching\s+|matched\s+)?placebo\b", re.IGNORECASE)
_OR_PLACEBO = re.compile(r"\s+or\s+(?:a\s+)?(?:matching\s+)?$", re.IGNORECASE)
_COMBO_JOIN = re.compile(r"\s*(?:/|\+|\(\+\)|-|and|plus|with)\s*$", re.IGNORECASE)
_COMBO_LEAD = re.compile(r"[\s:,]*(?:\d+(?:\.\d+)?\s*/\s*)?")
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


@functools.cache
def _fixed_combinations() -> dict[tuple[str, str], tuple[str, frozenset[tuple[float, float]]]]:
    """Marketed fixed-dose combinations (fixed_combinations.json): components in the product's order ->
    (unit, strengths)."""
    raw = json.loads(resources.files(__package__).joinpath("fixed_combinations.json").read_text("utf-8"))
    return {
        (product["components"][0], product["components"][1]): (
            product.get("unit", "mg"),
            frozenset((float(a), float(b)) for a, b in product["strengths"]),
        )
        for product in raw["products"]
    }


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
    for mention in mentions:
        if sentence.start <= mention.start and mention.end <= amount.start:
            prev = mention
        elif mention.start >= amount.end and mention.start < sentence.end:
            after = mention
            break
    if after is not None and _OF_GAP.match(text[amount.end : after.start]):
        return _placebo_of(doc, after)
    if (
        after is not None
        and _ADJACENT_AFTER.match(text, amount.end, after.start)
        and (
            prev is None
            or not _ADJACENT_BEFORE.match(text, prev.end, amount.start)
            # "8 mg betamethasone, 3 cc bupivacaine": the name before was the dose before's.
            or naming.named_after_previous_dose(text, previous_end, prev, _ADJACENT_AFTER)
        )
    ):
        # "[TMP-SMX DS = 160 mg trimethoprim": the drug written against the dose beats one further back.
        return _placebo_of(doc, after)
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
    earlier = [m for m in mentions if m.end <= amount.start and m.info.name != "placebo"]
    if earlier:
        return earlier[-1], earlier[-1].info
    later = [m for m in mentions if m.start >= amount.end and m.start - amount.end < 150]
    if later and not any(a for a in mentions if a.end <= amount.start):
        # "A starting dose of 100 mg. Enasidenib will be self administered orally": named just after, as
        # the subject of the next sentence; "... on Days 2-4, after the IT MTX" names another drug.
        opening = doc.sentence_of(later[0].start)
        if opening.start > sentence.start and not text[opening.start : later[0].start].strip(" \n\r-*•:("):
            return later[0], later[0].info
    subject = naming.subject_name(text, sentence.start, amount.start)
    if subject is not None:
        return None, subject
    only = naming.only_drug(text, amount.end, mentions, amount.start)
    if only is not None:
        # "5 mg/kg IV weekly, then maintenance therapy with cidofovir": the one drug the text names.
        return only, only.info
    return None, None


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
    if before:
        word = before[-1].group(0)
        gap = text[before[-1].end() : amount.start]
        of_lower = _OF_LOWER_BEFORE.search(text[window_start : amount.start])
        if of_lower and of_lower.group(1).lower() not in STOPWORDS | NOT_DRUGS:
            return fuzzy_lookup(of_lower.group(1)) or DrugInfo(of_lower.group(1).lower(), None)
        if gap.strip(" :(") == "" and word.isalpha() and word.lower() not in STOPWORDS | NOT_DRUGS:
            fuzzy = fuzzy_lookup(word)
            if fuzzy is not None:
                return fuzzy
            if word[0].isupper() and len(word) >= 5:
                return DrugInfo(word.lower(), None)
        if looks_like_code(word):
            return DrugInfo(word.lower(), None)
    return None


def _unclaimed(doc: _Doc, kind: str, spans: list[lexicon.Span], start: int, end: int) -> list[lexicon.Span]:
    return [s for s in spans if start <= s[0] and s[1] <= end and (kind, s[0]) not in doc.claimed]


_PLUS_BEFORE = re.compile(r"(?:\bplus|\+)\s*$", re.IGNORECASE)
_OWN_DAYS = re.compile(r"\bdays?\s*\d|\d\s*(?:-|–|to)\s*\d+\s*days?\b", re.IGNORECASE)


def _plus_drug_between(doc: _Doc, start: int, end: int) -> bool:
    """Whether a drug added by "plus" or "+", with days of its own, stands between a dose and ``end``."""
    return any(
        start < m.start < end
        and _PLUS_BEFORE.search(doc.text, max(start, m.start - 8), m.start)
        and _OWN_DAYS.search(doc.text, m.end, end)
        for m in doc.mentions
    )


def _frequency(
    doc: _Doc, amount: Amount, pre_start: int, post_end: int, sentence: clauses.Sentence, next_start: int
) -> tuple[str | None, str | None]:
    if amount.frequency_code:
        return amount.frequency_code, amount.text
    text = doc.text
    chosen: lexicon.Span | None = None
    after = [
        span
        for span in _unclaimed(doc, "freq", doc.freqs, amount.end, post_end)
        # "12.5 mg/kg/h for 4 hours, then continuous infusions of 6.25 mg/kg/h": it leads into the next dose.
        if not (next_start < len(text) and _LEADS_INTO.match(text, span[1], next_start))
        # "AK104 15 mg/kg IV plus anlotinib days 1-14 of every 3-week cycle": the schedule of the drug
        # the "plus" adds, which has no dose of its own (R15).
        and not _plus_drug_between(doc, amount.end, span[0])
    ]
    before = [
        span
        for span in _unclaimed(doc, "freq", doc.freqs, pre_start, amount.start)
        # "(2 Gy once a day, 5 x a week) plus Cisplatin 100 mg/m2": said of what came before the "plus".
        if not _JOINS_ANOTHER.search(text, span[1], amount.start)
    ]
    if after:
        chosen = after[0]
        if _SINGLE_DOSE.match(text, chosen[0]) and (len(after) > 1 or before):
            # "oral daily, 200 mg as a single dose at bedtime": all of it at once, once a day.
            chosen = after[1] if len(after) > 1 else before[-1]
    elif before:
        chosen = before[-1]
    if chosen is not None:
        doc.claimed.add(("freq", chosen[0]))
        code = chosen[2]
        if _is_cycle_code(code) and _DAYS_MULTI.search(text[amount.end : chosen[0]]):
            # "11 mg/m2/day x 5 days every 28 days": the cycle repeats; the dosing itself is not q4w.
            return None, text[chosen[0] : chosen[1]]
        doc.used_freqs.add(chosen[0])
        return code, text[chosen[0] : chosen[1]]
    tail = text[amount.end : sentence.end]
    cycle = lexicon.cycle_frequency(tail)
    # "8 mg, 12 mg, or 16 mg of poziotinib once daily in 28-day cycles": a frequency word on the way to the
    # cycle is how often the dose is given; the cycle is only its repetition.
    if (
        cycle is not None
        and not _DAYS_MULTI.search(tail[: cycle[0]])
        and not any(amount.end <= f[0] < amount.end + cycle[0] for f in doc.freqs)
    ):
        return cycle[2], tail[cycle[0] : cycle[1]]
    return None, None


def _route(doc: _Doc, amount: Amount, pre_start: int, post_end: int, mention: Mention | None) -> str | None:
    if mention is not None:
        if mention.start in doc.bound_routes:
            return doc.bound_routes[mention.start]
        for other in doc.mentions:
            # "1500mg/d once daily oral Lapatinib": the drug named again, with its route, in the dose's words.
            if (
                other.info.name == mention.info.name
                and other.start in doc.bound_routes
                and pre_start <= other.start < post_end
            ):
                return doc.bound_routes[other.start]
    text = doc.text

    def rank(span: lexicon.Span) -> int:
        word = text[span[0] : span[1]].lower()
        return 1 if word in _ROUTE_STRONG_WEAK else 2

    after = [
        span
        for span in _unclaimed(doc, "route", doc.routes, amount.end, post_end)
        # "Cyclophosphamide 2x60mg/kg + Cells intravenous (IV) + IL-2": a route after the next "+" is said
        # of what that "+" adds; one after "followed by" or "then", of what follows.
        if "+" not in text[amount.end : span[0]] and not _NEXT_STEP.search(text, amount.end, span[0])
    ]
    before = _unclaimed(doc, "route", doc.routes, pre_start, amount.start)
    best: lexicon.Span | None = None
    for level in (2, 1):
        candidates = [s for s in after if rank(s) == level]
        if candidates:
            best = candidates[0]
            break
        candidates = [s for s in before if rank(s) == level]
        if candidates:
            best = candidates[-1]
            break
    if best is not None:
        doc.claimed.add(("route", best[0]))
        # "2 mg/kg intravenous every 12 hours continuous intravenous or by mouth (PO)": the route said
        # again in the dose's words with another offered beside it.
        alternative = next(
            (
                found
                for span in doc.routes
                if span[2] == best[2] and pre_start <= span[0] < post_end
                for found in [_alternative_route(doc, span)]
                if found is not None
            ),
            None,
        )
        if alternative is not None:
            # "8 mg IV or orally": either route, so neither is the dose's (the spec).
            doc.claimed.add(("route", alternative[0]))
            return None
        return best[2]
    forms = [s for s in doc.forms if pre_start <= s[0] and s[1] <= post_end]
    if forms:
        doc.implied_routes.add(amount.start)
        return forms[0][2]
    return None


def _alternative_route(doc: _Doc, chosen: lexicon.Span) -> lexicon.Span | None:
    """The other route of "IV or orally", "PO/IV", if ``chosen`` is one of two offered."""
    for span in doc.routes:
        if span[2] == chosen[2]:
            continue
        gap = doc.text[chosen[1] : span[0]] if span[0] >= chosen[1] else doc.text[span[1] : chosen[0]]
        if _ROUTE_OR.fullmatch(gap):
            return span
    return None


def _schedule(text: str, start: int, end: int) -> tuple[str | None, list[float]]:
    window = text[start:end]
    weeks = _WEEKS.search(window)
    if weeks:
        numbers = [float(n) for n in re.findall(r"\d+", weeks.group(1))]
        thereafter = re.search(
            r"(?:every|q)\s*\d+\s*weeks?\s+(?:thereafter|after\s+that)", window, re.IGNORECASE
        )
        phrase = weeks.group(0).strip()
        if thereafter:
            phrase = f"{phrase}, then {thereafter.group(0)}"
        return phrase, numbers
    days = _DAY_SCHEDULE.search(window)
    if days:
        return days.group(0).strip(), []
    return None, []
