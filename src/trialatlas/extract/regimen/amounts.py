"""Finding the amounts in dosing text: numbers, ranges, lists and scientific notation with their units
and bases ("0.05-0.10 mg/kg/day", "2 x 10^6/kg", "40, 60 or 80 µg/kg/day", "300/150 mg").

Only a number followed by a unit is a dose. A number with a per-kg basis but no unit is reported back
as unreadable rather than given a unit, except for cell products, whose counts are written bare.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from trialatlas.extract.regimen.lexicon import UNIT_COUNT, marketed_strength_pairs
from trialatlas.extract.regimen.units import canonical_unit

# "50 000 IU": a space groups thousands only in amounts of units, where they are common.
_VALUE = (
    r"(?:\d{1,3}(?:,\d{3})+(?!\d)|\d{1,3}(?: \d{3})+(?=\s*(?:IU|I\.U\.|international\s+units?|units?|U)\b)|"
    r"(?<!\d,)\d+,\d{1,2}(?=\s*[A-Za-zµμ])|\d+(?:\.\d+)?|\.\d+)"
)
_SCI = (
    r"(?:(?:" + _VALUE + r")\s*(?:x|X|×|\*)\s*)?10\s*(?:\^|\*\*|e|E)\s*\(?\s*[-−]?\s*\d+\s*\)?"
    r"|(?:" + _VALUE + r")\s*(?:x|X|×|\*)\s*10\s*\(\s*\d+\s*\)"
    r"|\d+(?:\.\d+)?[eE][+]?\d+"
    r"|(?:" + _VALUE + r")\s*(?:x|X|×)\s*10\s+to\s+the\s+\d+(?:th)?"
    # "2- 5 x 105 cells/kg": a power of ten whose superscript the dump flattened (10^5 -> "105"), read only
    # before a count of cells, where nobody writes "five times a hundred and five".
    r"|(?:" + _VALUE + r")\s*(?:x|X|×)\s*10(?:[3-9]|1[0-2])"
    r"(?=\s*(?:/\s*kg\b|(?:[A-Za-z0-9+\-]+\s+){0,3}?cells?\b))"
)
# Every form of _SCI starts with "10" or has a multiplication sign or an "e" right after its digits, points,
# commas and spaces: a number with neither (most) is not read again by each of the five forms before the
# plain value is tried. A look-ahead only, so the matches are the same (tests hold both forms).
_SCI_GUARD = r"(?=[\d.,\s]*[xX×*eE]|10)"
# "6 million cells"; "million units" stays a unit of its own (MU).
_NUM = (
    r"(?:"
    + _SCI_GUARD
    + r"(?:"
    + _SCI
    + r")|"
    + _VALUE
    + r"(?:\s+(?:million|billion)(?!\s+(?:international\s+)?units?\b))?)"
)
_MULTIPLIER = {"million": 1e6, "billion": 1e9}
_SEP = r"\s*(?:-|–|—|−|~|to|through)\s*"

_unit_words = sorted(
    [
        "mg",
        # "20Mg Tab", "20MG": a mass unit in capitals, written against its number.
        "Mg",
        "MG",
        "MCG",
        "mgs",
        "milligrams?",
        "milligrammes?",
        "g",
        "gm",
        "gms",
        "grams?",
        "grammes?",
        "mcg",
        "mcgs",
        "µg",
        "μg",
        "ug",
        "micrograms?",
        "microgrammes?",
        "ng",
        "nanograms?",
        "IU",
        "I\\.U\\.",
        "international\\s+units?",
        "KIU",
        "million\\s+(?:international\\s+)?units",
        "MIU",
        "MU",
        "units?",
        "U",
        "mL",
        "ml",
        "mls",
        "milli-?lit(?:er|re)s?",
        "cc",
        "L",
        "lit(?:er|re)s?",
        "cells?",
        "tablets?",
        "tabs?",
        "capsules?",
        "caps",
        "pills?",
        "drops?",
        "gtts?",
        "puffs?",
        "inhalations?",
        "actuations?",
        "sprays?",
        "sachets?",
        "vials?",
        "ampoules?",
        "ampules?",
        "patch(?:es)?",
        "vg",
        "PFU",
        "pfu",
        "CFU",
        "cfu",
        "mmol",
        "mEq",
        "meq",
        "MBq",
        "GBq",
        "mCi",
        "Gy",
        "cGy",
        "genome\\s+copies",
        "vector\\s+genomes",
    ],
    key=len,
    reverse=True,
)
# "506U78" is a code name, not 506 units; "HPV-16/18 L1 VLP" names a protein, not 18 litres (R124).
_UNIT = r"(?:" + "|".join(_unit_words) + r")(?![A-Za-z]|(?<=[UL])\d)"
# "5 x 10^6 CAR+ T cells"; but "5 days before cells transfusion" counts days.
_CELL_UNIT = (
    r"(?:(?:(?!(?:days?|weeks?|hours?|months?|years?|before|after|prior|of|per|and|or|to|on|in|with|depending|"
    r"based|if|when|until)\b)[A-Za-z0-9+\-]+\s+)"
    r"{0,3}?(?:cells?|MSCs?|lymphocytes)\b)"
)

_AMOUNT = re.compile(
    r"(?<![A-Z0-9.^/])(?<!/m)(?<![A-Z]-)(?<!\b[a-z]-)(?:(?<!\d,)|(?!\d{3}(?!\d)))"
    r"(?:(?P<from>from|between)\s+)?"
    r"(?P<lo>" + _NUM + r")(?:\s*(?P<u1>" + _UNIT + r"))?"
    r"(?:(?P<sep>" + _SEP + r"|\s+and\s+(?=" + _NUM + r"))(?P<hi>" + _NUM + r"))?"
    r"\s*(?:(?P<unit>" + _UNIT + r")|(?P<cells>" + _CELL_UNIT + r"))?",
)
_SCI_NUMBER = re.compile(
    r"^(?:(?P<m>[\d.,]+)\s*(?:x|X|×|\*)\s*)?10\s*(?:\^|\*\*|e|E|to\s+the)?\s*\(?\s*(?P<e>-?\s*\d+)\s*\)?(?:th)?$"
)
_SCI_MARK = re.compile(r"\^|\*\*|e|E")
# "10.000 units" groups thousands; "0.125 U" is an eighth of a unit.
_DOTTED_THOUSANDS = re.compile(r"[1-9]\d{0,2}(?:\.\d{3})+")
_SHARED_POWER = re.compile(
    r"^[\d.,]+\s*(?:x|X|×|\*)\s*10\s*(?:\^|\*\*)\s*\(?\s*(-?\s*\d+)\s*\)?$|^[\d.,]+\s*(?:x|X|×)\s*10([3-9]|1[0-2])$"
)
_E_NUMBER = re.compile(r"^\d+(?:\.\d+)?[eE]\+?\d+$")
_THOUSANDS = re.compile(r"\d{1,3}(?:,\d{3})+")
_SPACED_THOUSANDS = re.compile(r"\d{1,3}(?: \d{3})+")
_DECIMAL_COMMA = re.compile(r"\d+,\d{1,2}")
_PER_BODY = re.compile(r"^\s*(?:/|per\s*\(\s*/\s*\)|per\s+)\s*(?:kg|m\s*\^?2|m\(2\)|m²)", re.IGNORECASE)
_SCI_TEXT = re.compile(r"10\s*(?:\^|\*\*|\(|to\s+the)|[eE][+]?\d|illion|(?:x|X|×)\s*10(?:[3-9]|1[0-2])$")
# A run of digits and points where an amount can start ("\.?\d[\d.]*", a point only before a digit),
# written to begin with what it consumes: the engine skips to a digit or a point instead of trying every
# position (tests hold it beside its plain form).
_RUN = re.compile(r"[\d.](?:(?<=\d)|(?=\d))[\d.]*")
_FROM_BEFORE = re.compile(r"(?:from|between)\s+$")
# "300/150 mg", and the unit written on both sides of a pair written as one word ("4g/0,5g"
# piperacillin/tazobactam): the first unit must be the second's (checked where read), so that a
# concentration ("20mg/5mL") is not a pair. Spaced ("10 mg/40 mg") it is read as two amounts, as before.
_COMBO = re.compile(
    r"(?<![\d.])(?P<a>" + _VALUE + r")(?:(?P<ua>" + _UNIT + r")(?=/))?\s*/\s*(?P<b>" + _VALUE + r")\s*"
    r"(?P<unit>" + _UNIT + r")"
)
# Every combination has a number before its "/" (right before it, or with the first unit between: "4g/0,5g")
# and one right after (each _VALUE ends in a digit and starts with a digit or a point): most texts with a "/"
# have none, and this is found far faster.
_COMBO_HINT = re.compile(r"\d[^\d/]*/\s*[\d.]")

_BODY = (
    r"(?P<body>kg|kilograms?|kilo|m\s*\^?\s*2|m\(2\)|m²|M2|sq\.?\s*m(?:et(?:er|re)s?)?|square\s+met(?:er|re)s?|sqm|BSA)"
    r"(?:\s*(?:of\s+)?(?:(?:actual|ideal|lean|adjusted|total|current)\s+)?(?:body[-\s]*weight|BW|bw|b\.w\.|"
    r"IBW|body\s+surface(?:\s+area)?))?"
)
_TIME = (
    r"(?P<time{n}>day|days(?!\s*\d)|d|24\s*h(?:ours?|rs?)?|hours?|hrs?|h|minutes?|mins?|min|weeks?|wks?|w|doses?|months?|"
    r"(?P<every{n}>\d+)\s*(?:h(?:ours?|rs?)?|weeks?|wks?|days?))"
)
# "1000 mg per (/) square meter (m^2)": registry results write the slash out beside "per".
_PER = r"\s*(?:/|per\s*\(\s*/\s*\)|per\s+|a\s+|each\s+)\s*"
_BASIS = re.compile(
    # "50 mg/m2 day continuous" is per day; "50 mg/m2 day 1" names the day it is given on.
    r"^(?:"
    + _PER
    + _BODY
    + r"(?:"
    + _PER
    + _TIME.format(n=1)
    + r"(?![A-Za-z])|\s+(?P<bareday>day)(?![A-Za-z])"
    r"(?!\s*[-+]?\d))?"
    r"|" + _PER + _TIME.format(n=2) + r"(?![A-Za-z])"
    r"(?:" + _PER + r"(?P<body2>kg|m\s*\^?\s*2|m²))?)",
    re.IGNORECASE,
)
_ELEMENT_BEFORE_BODY = re.compile(r"\s+[A-Z][a-z]?(?=\s*(?:/|per\s)\s*(?:kg|m\s*\^?\s*2|m²)(?![A-Za-z]))")
_CONCENTRATION = re.compile(
    r"\s*(?:[.·*×x]?\s*h(?:r|ours?)?\s*|\s+[A-Z][a-z]?\s*(?=/))?(?:/|per\s+)\s*(?P<vol>\d+(?:[.,]\d+)?)?\s*(?P<vu>ml|mL|l|L|dl|dL|cc|mm\s*\^?\s*3|mm³|[µμu]l|microlit(?:er|re)s?|(?:deci|milli)?lit(?:er|re)s?|deciliters?)(?![A-Za-z])",
    re.IGNORECASE,
)
_PERCENT = re.compile(r"\s*%")


def _is_one(number: str) -> bool:
    return float(number.replace(",", ".")) == 1


# "two 50 mg tablets": a count of units of a form multiplies the amount.
_COUNT_BEFORE = re.compile(rf"\b({UNIT_COUNT.pattern()})\s+$", re.IGNORECASE)
# "2 pills of 100 mg": the count of units of a form, written before the strength, multiplies it too.
_COUNT_OF_BEFORE = re.compile(
    rf"\b([1-6]|{UNIT_COUNT.pattern()})\s+(?:tablets?|capsules?|pills?|caps)\s+of\s+$", re.IGNORECASE
)
_FORM_AFTER = re.compile(
    r"\s*(?:[a-z-]+\s+){0,2}(tablets?|capsules?|pills?|caps|puffs?|inhalations?|actuations?|sprays?)\b",
    re.IGNORECASE,
)
_LIST_BEFORE = re.compile(
    r"(?P<list>(?:"
    + _VALUE
    + r"\s*,\s*)+(?:"
    + _VALUE
    + r"\s*,?\s*(?:or|and)\s*)?|"
    + _VALUE
    + r"\s*,?\s*(?:or|and)\s*)$"
)
_NOT_LIST_WORD = re.compile(
    r"(?:days?|weeks?|wks?|cycles?|months?|visits?|years?|d|on|hours?|doses?|levels?|steps?|cohorts?|"
    r"groups?|arms?|parts?|phases?|periods?|grades?)\s*[-+]?\s*$"
    # A negative number is a day relative to an event ("Days -7 to -4, 40 mg/m2"), never a dose.
    r"|(?:to|through|thru|and|,)\s*-\s*$",
    re.IGNORECASE,
)

# "Days 1, 8, & 15 and 25 mg/m2": the number ends a list of days, so it is no amount of a list of doses.
_DAY_LIST_BEFORE = re.compile(
    r"\b(?:days?|weeks?|wks?|d)\s*[-+]?\d+(?:\s*(?:,|&|and)\s*(?:(?:days?|d)\s*)?[-+]?\d+)*\s*,?\s*(?:&|and|,)\s*$",
    re.IGNORECASE,
)


_CELLS_NAMED_BEFORE = re.compile(
    r"\b(?:cells|lymphocytes|TILs?|splenocytes|NK\s+cells|T[- ]cells)\s*[:=]?\s*$", re.IGNORECASE
)


def _ends_day_list(text: str, start: int) -> bool:
    return _DAY_LIST_BEFORE.search(text, max(0, start - 40), start) is not None


@dataclass
class Amount:
    start: int
    end: int
    low: float
    high: float
    unit: str
    basis: str
    frequency_code: str | None = None
    volume: bool = False
    concentration: bool = False
    sci_bare: bool = False
    text: str = ""
    extras: dict[str, str] = field(default_factory=dict)


def parse_number(text: str) -> float | None:
    raw = text.strip().replace("−", "-")
    head, _, word = raw.rpartition(" ")
    if word in _MULTIPLIER and head:
        value = parse_number(head)
        return None if value is None else value * _MULTIPLIER[word]
    sci = _SCI_NUMBER.match(raw) if "10" in raw else None
    if sci and (sci.group("m") is not None or _SCI_MARK.search(raw)):
        mantissa = _plain(sci.group("m")) if sci.group("m") else 1.0
        if mantissa is None:
            return None
        return float(mantissa * 10.0 ** int(sci.group("e").replace(" ", "")))
    if _E_NUMBER.match(raw):
        return float(raw)
    return _plain(raw)


def _plain(raw: str) -> float | None:
    if _SPACED_THOUSANDS.fullmatch(raw):
        raw = raw.replace(" ", "")
    elif "," not in raw:
        pass
    elif _THOUSANDS.fullmatch(raw):
        raw = raw.replace(",", "")
    elif _DECIMAL_COMMA.fullmatch(raw):
        raw = raw.replace(",", ".")
    try:
        return float(raw)
    except ValueError:
        return None


def _time_basis(word: str) -> str | None:
    lowered = word.lower().replace(" ", "")
    if lowered in {"day", "days", "d"} or lowered.startswith("24h"):
        return "day"
    if lowered.startswith(("hour", "hr")) or lowered == "h":
        return "hour"
    if lowered.startswith("min"):
        return "min"
    if lowered.startswith(("week", "wk")) or lowered == "w":
        return "week"
    if lowered.startswith("dose"):
        return "dose"
    if lowered.startswith("month"):
        return "month"
    return None


def _every(word: str, count: str) -> str | None:
    lowered = word.lower()
    n = int(count)
    if "h" in lowered and not lowered.startswith(("week", "wk")):
        return {24: "QD", 12: "BID", 8: "TID", 6: "QID", 48: "QOD"}.get(n, f"Q{n}H")
    if lowered.startswith(("week", "wk")) or "w" in lowered:
        return "QW" if n == 1 else f"Q{n}W"
    if "d" in lowered:
        return {1: "QD", 2: "QOD", 7: "QW", 14: "Q2W", 21: "Q3W", 28: "Q4W"}.get(n, f"Q{n}D")
    return None


ROUTE_BEFORE_PER = re.compile(
    r"\s*,?\s*(?:p\.?o\.?|orally|by\s+mouth|i\.?v\.?|intravenously|s\.?c\.?|subcutaneously)(?=\s*(?:/|per\s))",
    re.IGNORECASE,
)


def read_basis(text: str, pos: int) -> tuple[str, int, str | None, bool]:
    """(basis, end, frequency code from "/12h", volume-denominator flag) of what follows an amount."""
    match = _BASIS.match(text[pos : pos + 60])
    if match is None:
        # "0.1 mmol Gd/kg", "3 mg Fe/kg": the element the amount counts, written before the body basis.
        element = _ELEMENT_BEFORE_BODY.match(text, pos, pos + 12)
        if element is not None:
            pos = element.end()
            match = _BASIS.match(text[pos : pos + 60])
    if match is None:
        # "40mg p.o./ day", "2 tablets orally per day": a route written between the amount and its period.
        route = ROUTE_BEFORE_PER.match(text, pos, pos + 20)
        if route is not None:
            match = _BASIS.match(text[route.end() : route.end() + 60])
            pos = route.end() if match is not None else pos
    if match is None:
        return "dose", pos, None, False
    body = match.group("body") or match.group("body2")
    head = None
    if body:
        head = "kg" if body.lower().startswith("k") else "m2"
    time_word = match.group("time1") or match.group("time2") or match.group("bareday")
    every = match.group("every1") or match.group("every2")
    frequency = None
    time = None
    if time_word:
        if every:
            frequency = _every(time_word[len(every) :].strip() or time_word, every)
        else:
            time = _time_basis(time_word)
    end = pos + match.end()
    if time in {"dose", "month"} and head is None:
        return ("dose", end, "QM" if time == "month" else None, False)
    if head and time and time not in {"dose", "month"}:
        return f"{head}/{time}", end, frequency, False
    if head:
        return head, end, frequency, False
    if time:
        return time, end, frequency, False
    return "dose", end, frequency, False


# "Day 57- 800 mg" names a day; "twice a day 5-10 mg" does not. "Level 1 - 300 mg/m2" names a level.
_DAY_BEFORE = re.compile(
    r"(?<!\ba )(?<!\bper )(?<!\beach )(?<!\bevery )\bdays?\s*$"
    r"|\b(?:levels?|cohorts?|steps?|groups?|arms?)\s*$",
    re.IGNORECASE,
)
# "fludarabine on day 2-6, 25 mg/m2": a run of days ends right before the list; its end is no dose.
_DAY_RUN_BEFORE = re.compile(
    r"\b(?:days?|d|weeks?|cycles?)\s*[-+]?\d+\s*(?:-|–|to|through)\s*$", re.IGNORECASE
)


def find_amounts(text: str, cell_context: bool) -> tuple[list[Amount], list[tuple[int, int, str]]]:
    """Every dose-like amount in ``text``, and fragments that look like doses but cannot be read."""
    amounts: list[Amount] = []
    unreadable: list[tuple[int, int, str]] = []
    taken_until = -1
    for combo in _COMBO.finditer(text) if "/" in text and _COMBO_HINT.search(text) else ():
        resolved = canonical_unit(_squash(combo.group("unit")))
        if resolved is None:
            continue
        unit, factor = resolved
        if combo.group("ua") and canonical_unit(_squash(combo.group("ua"))) != resolved:
            continue
        basis, end, frequency, _ = read_basis(text, combo.end())
        if _CONCENTRATION.match(text, combo.end()):
            continue
        # The strengths as numbers ("0,5" is 0.5), so that the pair is compared with marketed strengths.
        pair = "/".join(str(_plain(combo.group(key))) for key in ("a", "b"))
        for key in ("a", "b"):
            value = _plain(combo.group(key))
            if value is None:
                break
            amounts.append(
                Amount(
                    combo.start(key),
                    end if key == "b" else combo.end(key),
                    value * factor,
                    value * factor,
                    unit,
                    basis,
                    frequency,
                    text=text[combo.start() : end],
                    extras={"combo": key, "pair": pair},
                )
            )
        taken_until = max(taken_until, end)
    for match in _amount_matches(text):
        if match.start() < taken_until:
            continue
        unit_word = match.group("unit") or match.group("u1")
        cells = match.group("cells")
        lo_text, hi_text = match.group("lo"), match.group("hi")
        if unit_word is None and cells is None:
            after = text[match.end() : match.end() + 20]
            if _PER_BODY.match(after) and _is_sci(lo_text):
                if cell_context:
                    unit_word = "cells"
                else:
                    unreadable.append((match.start(), match.end() + 8, "amount per body size without a unit"))
                    continue
            elif _is_sci(lo_text) and _CELLS_NAMED_BEFORE.search(
                text, max(0, match.start() - 20), match.start()
            ):
                # "Lymphocytes 10^9-10^11 IV": a power of ten right after a cell product's name counts cells.
                unit_word = "cells"
            else:
                continue
        if cells is not None and not (_is_sci(lo_text) or cell_context):
            continue
        end = match.end()
        if hi_text is None and match.group("u1"):
            # "250 mg capsules": the first unit is the amount's; what follows is a dosage form.
            unit_word, cells, end = match.group("u1"), None, match.end("u1")
        if _PERCENT.match(text, end):
            continue
        if unit_word is None:
            unit_word = "cells"
        resolved = canonical_unit(_squash(unit_word if not cells else "cells"))
        if resolved is None:
            unreadable.append((match.start(), end, f"unknown unit {unit_word!r}"))
            continue
        unit, factor = resolved
        low = parse_number(lo_text)
        high = parse_number(hi_text) if hi_text else low
        if unit in {"units", "IU"} and hi_text is None and _DOTTED_THOUSANDS.fullmatch(lo_text.strip()):
            # "10.000 units of heparin": nobody doses units to three decimals; the point groups thousands.
            low = high = float(lo_text.replace(".", ""))
        if low is not None and high is not None and hi_text and _is_sci(hi_text) and not _is_sci(lo_text):
            # "0.2-1 x 10^7 cells": the power of ten is written once for both ends.
            shared = _SHARED_POWER.search(hi_text)
            if shared is not None:
                low *= 10.0 ** int((shared.group(1) or shared.group(2)).replace(" ", ""))
        if low is None or high is None:
            unreadable.append((match.start(), end, "unreadable number"))
            continue
        sep = (match.group("sep") or "").strip()
        hi_start = pair_start = -1
        pair_first: Amount | None = None
        stepped = (
            hi_text is not None
            and sep in {"to", "-"}
            and match.group("from") is not None
            and _STEPS_BEFORE.search(text, max(0, match.start() - 60), match.start() + 5) is not None
        )
        # "500-125 mg to be taken every eight hours": a falling pair is no range (a range is written low to
        # high); when it is a marketed combination's strengths (amoxicillin/clavulanate 500/125), it is the
        # components' two doses, listed as "1 and 2 mg" is (R80). "500-1000 mg" stays a range.
        combination = (
            sep == "-"
            and low > high
            and not match.group("from")
            and (unit, low * factor, high * factor) in marketed_strength_pairs()
        )
        if hi_text and ((sep == "and" and not match.group("from")) or stepped or combination):
            # "1 and 2 mg" is a list of two doses, not a range; in "day 1 and 30 mg" only 30 is a dose.
            before = text[max(0, match.start() - 8) : match.start()]
            if stepped or (not _NOT_LIST_WORD.search(before) and not _ends_day_list(text, match.start())):
                first_end = match.end("u1") if match.group("u1") else match.end("lo")
                first_unit, first_factor = unit, factor
                if match.group("u1"):
                    # "100 mg and 3 capsules": the first amount keeps the unit written with it.
                    first_unit, first_factor = canonical_unit(_squash(match.group("u1"))) or (unit, factor)
                pair_first = _amount(
                    text, match.start("lo"), first_end, low * first_factor, low * first_factor, first_unit
                )
                amounts.append(pair_first)
                if not stepped:
                    pair_start = match.start("lo")
            low = high
            hi_start = match.start("hi")
        elif (
            hi_text
            and not match.group("u1")
            and _DAY_BEFORE.search(text, max(0, match.start() - 14), match.start())
        ):
            # "Day 57- 800 mg b.i.d.": the number after "day" names a day; the dose is the number after it.
            low = high
            hi_start = match.start("hi")
        concentration = _CONCENTRATION.match(text, end)
        volume = False
        if concentration:
            # "5mg/1ml" is per one mL: a concentration as "5 mg/mL" is ("20mg/5mL" is a dose in its volume).
            per_one = concentration.group("vol") is not None and _is_one(concentration.group("vol"))
            if concentration.group("vol") is None or per_one or unit in {"mL", "L"}:
                amounts.append(
                    Amount(
                        match.start(),
                        concentration.end(),
                        low * factor,
                        high * factor,
                        unit,
                        "dose",
                        concentration=True,
                        text=text[match.start() : concentration.end()],
                        extras={"per": concentration.group("vu")},
                    )
                )
                continue
            volume = True
            basis, basis_end, frequency = "dose", concentration.end(), None
        else:
            basis, basis_end, frequency, _ = read_basis(text, end)
        if pair_first is not None and not match.group("u1") and not combination:
            # "60, 70 and 80 mg/m2": the pair's first amount is per what its second is (the list's too).
            pair_first.basis, pair_first.frequency_code = basis, frequency
        if low > high:
            low, high = high, low
        start = match.start("lo") if not match.group("from") else match.start()
        if hi_start >= 0:
            start = hi_start
        count = _COUNT_BEFORE.search(text[max(0, start - 8) : start])
        if count and _FORM_AFTER.match(text, basis_end) and not hi_text:
            multiplier = UNIT_COUNT.value(count.group(1)) or 1.0
            low, high = low * multiplier, high * multiplier
        counted = _COUNT_OF_BEFORE.search(text, max(0, start - 30), start) if not hi_text else None
        if counted is not None:
            word = counted.group(1)
            multiplier = float(word) if word.isdigit() else UNIT_COUNT.value(word) or 1.0
            low, high = low * multiplier, high * multiplier
            # The count read as an amount of its own ("2 pills") is this dose, not another.
            amounts = [a for a in amounts if not counted.start() <= a.start < start]
        amount = Amount(
            start,
            basis_end,
            low * factor,
            high * factor,
            unit,
            basis,
            frequency,
            volume=volume,
            sci_bare=cells is None and match.group("unit") is None and match.group("u1") is None,
            text=text[start:basis_end],
        )
        # "10, 15 and 25 mg": the list before a pair joined by "and" ends where the pair begins.
        list_end = pair_start if pair_start >= 0 else start
        window = text[max(0, list_end - 60) : list_end]
        # A list ends in "," or "or"/"and" right before the last amount; most amounts have neither.
        listed = _LIST_BEFORE.search(window) if window.rstrip().endswith((",", "or", "and")) else None
        if listed and (not hi_text or pair_start >= 0):
            list_start = list_end - len(listed.group("list"))
            # "mg/m^2, 620 mg/m^2": the 2 is the square of the unit before, not a listed dose.
            # "XYZ-2120, 100 mg": the number is a code's, written after its letters and a hyphen.
            glued = list_start > 0 and (
                text[list_start - 1].isalnum()
                or text[list_start - 1] == "^"
                or (text[list_start - 1] == "-" and list_start > 1 and text[list_start - 2].isalpha())
            )
            if (
                not glued
                and not _NOT_LIST_WORD.search(text[max(0, list_start - 8) : list_start])
                and not _DAY_RUN_BEFORE.search(text, max(0, list_start - 20), list_start)
            ):
                for number in re.finditer(_VALUE, listed.group("list")):
                    value = _plain(number.group(0))
                    if value is None:
                        continue
                    s = list_start + number.start()
                    amounts.append(
                        Amount(
                            s,
                            list_start + number.end(),
                            value * factor,
                            value * factor,
                            unit,
                            basis,
                            frequency,
                            text=text[s : list_start + number.end()],
                            extras={"listed": "1"},
                        )
                    )
        amounts.append(amount)
    amounts.sort(key=lambda a: a.start)
    if "/" in text:
        amounts = _masses_after_activity(text, amounts)
    return _join_ranges(text, amounts), unreadable


# "5 mCi/5 mg", "30 millicurie (mCi)/5 mg": the mass given with an activity, which is the dose (R13); an
# amount is otherwise never read right after a slash.
_MASS_AFTER_ACTIVITY = re.compile(
    r"(?:mCi|MBq|GBq|millicuries?|megabecquerels?)\s*(?:\(\s*(?:mCi|MBq|GBq)\s*\))?\s*/\s*"
    r"(?P<amount>\d+(?:\.\d+)?)\s*(?P<unit>mg|mcg|µg|μg|ug)\b",
    re.IGNORECASE,
)

_ACTIVITY_UNITS = ("mci", "mbq", "gbq", "millicurie", "megabecquerel")


def _masses_after_activity(text: str, amounts: list[Amount]) -> list[Amount]:
    found: list[Amount] = []
    # The pattern is tried at every position; an ASCII text without an activity unit cannot match it
    # (case-folding matches a few non-ASCII letters to ASCII ones, so other texts are scanned).
    if text.isascii() and not any(unit in text.lower() for unit in _ACTIVITY_UNITS):
        return amounts
    for match in _MASS_AFTER_ACTIVITY.finditer(text):
        resolved = canonical_unit(match.group("unit"))
        if resolved is None or any(a.start <= match.start("amount") < a.end for a in amounts):
            continue
        unit, factor = resolved
        value = float(match.group("amount")) * factor
        basis, end, frequency, _ = read_basis(text, match.end())
        found.append(
            Amount(
                match.start("amount"),
                end,
                value,
                value,
                unit,
                basis,
                frequency,
                text=text[match.start("amount") : end],
            )
        )
    return sorted(amounts + found, key=lambda a: a.start) if found else amounts


_RANGE_GAP = re.compile(r"\s*(?:-|–|~|to)\s*")
_RANGE_OPEN = re.compile(r"(?:from|between)\s+$", re.IGNORECASE)
# "titrated from 12.5mg to 25mg": the steps of a titration or taper, each a dose (the spec), not a range.
_STEPS_BEFORE = re.compile(
    r"\b(?:titrat|increas|escalat|taper|reduc|decreas|tritrat)\w*\s+(?:\w+\s+){0,3}?from\s+$", re.IGNORECASE
)


def _join_ranges(text: str, amounts: list[Amount]) -> list[Amount]:
    """ "60 mg/m2 - 80 mg/m2", "from 20 mg/kg/d to 40 mg/kg/d": one range written with its unit at both
    ends. "to" makes a range only after "from" or "between" ("titrated 10 mg to 20 mg" is two doses)."""
    if len(amounts) < 2:
        return amounts
    joined: list[Amount] = []
    for amount in amounts:
        last = joined[-1] if joined else None
        if (
            last is not None
            and last.low == last.high
            and amount.low == amount.high
            and last.low < amount.low
            and last.unit == amount.unit
            and last.basis == amount.basis
            and not (last.concentration or amount.concentration or last.extras or amount.extras)
            and last.frequency_code is None
        ):
            gap = _RANGE_GAP.fullmatch(text, last.end, amount.start)
            opened = text[last.start : last.start + 8].lower().startswith(("from", "between")) or bool(
                _RANGE_OPEN.search(text, max(0, last.start - 10), last.start)
            )
            stepped = "to" in gap.group(0) if gap is not None else False
            if stepped and opened:
                stepped = bool(_STEPS_BEFORE.search(text, max(0, last.start - 60), last.start))
            if gap is not None and ("to" not in gap.group(0) or (opened and not stepped)):
                last.high = amount.high
                last.end = amount.end
                last.frequency_code = amount.frequency_code
                last.text = text[last.start : amount.end]
                continue
        joined.append(amount)
    return joined


def _amount_matches(text: str) -> list[re.Match[str]]:
    """What ``_AMOUNT.finditer(text)`` finds, tried only where an amount can start.

    An amount starts with a number (or "from"/"between" before one) and never right after a digit or a
    point, so the only places to try are the starts of runs of digits and points, and a "from" or
    "between" just before one. Trying the pattern there instead of at every position of the text gives the
    same matches in a fraction of the time.
    """
    matches: list[re.Match[str]] = []
    resume = 0
    # Most texts have neither word (the pattern is case-sensitive): their runs skip the look back.
    leads = "from" in text or "between" in text
    for run in _RUN.finditer(text):
        start = run.start()
        if start < resume:
            continue
        match = None
        lead = _FROM_BEFORE.search(text, max(resume, start - 40), start) if leads else None
        if lead is not None:
            match = _AMOUNT.match(text, lead.start())
        if match is None:
            match = _AMOUNT.match(text, start)
        if match is not None:
            matches.append(match)
            resume = match.end()
    return matches


def _amount(text: str, start: int, end: int, low: float, high: float, unit: str) -> Amount:
    return Amount(start, end, low, high, unit, "dose", text=text[start:end])


def _is_sci(number: str) -> bool:
    return bool(_SCI_TEXT.search(number))


def _squash(unit: str) -> str:
    return " ".join(unit.split()).rstrip(".") if not unit.lower().startswith("i.u") else "iu"
