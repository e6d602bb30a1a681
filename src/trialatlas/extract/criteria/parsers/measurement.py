"""Measurement rules: a lab value or score compared with a threshold, a range, or a multiple of the ULN.

"hemoglobin <9.0 g/dL", "ALT, AST<2.5X ULN", "estimated glomerular filtration rate ≥90ml/min/1.73m2",
"platelet count <100*10^12/L" (read, then repaired to 10^9/L because no platelet count is 10^14/L),
"SLE-DAI>10 points", "Proteinuria ≥1.5g/24h", "HBsAg positive". Known analytes come from the
vocabulary; an unknown name followed by a comparison ("Pleural effusion greater than 100 ml") is read
too, named by the words before the operator.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

from trialatlas.extract.criteria.drugs import find_drugs
from trialatlas.extract.criteria.registry import CriterionContext, register
from trialatlas.extract.criteria.rules import MeasurementRule, Operator, Rule
from trialatlas.extract.criteria.trigger_words import trigger_words
from trialatlas.extract.criteria.vocab import (
    Mention,
    analyte_matcher,
    analytes,
    note_value_phrases,
    plausible_scale,
)
from trialatlas.extract.units import convert, is_unit
from trialatlas.text.numbers import number_words

_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?(?!\d)|\d+,\d{1,2}(?![\d,])|\d+(?:\.\d+)?|\.\d+"
_OPERATORS: tuple[tuple[str, Operator], ...] = (
    (
        r"≥|>=|=>|≧|⩾|＞=|greater\s+than\s+or\s+equal\s+(?:to\s+)?|more\s+than\s+or\s+equal\s+(?:to\s+)?"
        r"|equal\s+to\s+or\s+(?:greater|more|higher)\s+than|at\s+least|not\s+less\s+than|no\s+less\s+than|"
        r"minimum\s+(?:of\s+)?|of\s+at\s+least|≥/=|>/=|>\s*or\s*=|at\s+or\s+(?:above|over)",
        ">=",
    ),
    (
        r"≤|<=|=<|≦|⩽|less\s+than\s+or\s+equal\s+(?:to\s+)?|equal\s+to\s+or\s+(?:less|lower)\s+than|at\s+most|"
        r"not\s+(?:more|greater|higher)\s+than|no\s+(?:more|greater|higher)\s+than|up\s+to|maximum\s+(?:of\s+)?|"
        r"not\s+exceed(?:ing)?|≤/=|</=|<\s*or\s*=|at\s+or\s+(?:below|under)",
        "<=",
    ),
    (
        r">|＞|greater\s+than|more\s+than|higher\s+than|longer\s+than|above|over|exceed(?:s|ing)?|in\s+excess\s+of|elevated\s+(?:above|>)|"
        r"increase[sd]?\s+(?:above|over|>)|increased?(?=\s+(?:twice|\d))",
        ">",
    ),
    (r"<|＜|less\s+than|lower\s+than|shorter\s+than|below|under|fewer\s+than|decreased?\s+(?:below|<)", "<"),
    (r"=|equal\s+to|of|is|was|:", "="),
)
_OP_PATTERN = "|".join(f"(?:{pattern})" for pattern, _ in _OPERATORS)
_OP_COMPILED = [(re.compile(rf"^(?:{pattern})$", re.IGNORECASE), op) for pattern, op in _OPERATORS]
_POST_OPS: tuple[tuple[str, Operator], ...] = (
    (r"or\s+(?:more|greater|higher|above)|and\s+above|or\s+over", ">="),
    (r"or\s+(?:less|lower|below|fewer)|and\s+below", "<="),
)
_ULN = (
    r"(?:[x×*]\s*|times\s+(?:the\s+)?|fold\s+(?:the\s+)?|-?fold\s+)?(?:the\s+)?(?:upper\s+limits?\s+of\s+(?:the\s+)?normal"
    r"(?:\s+(?:range|value|limit))?(?:\s*\(ULN\))?|ULN|UNL|upper\s+normal\s+limit|upper\s+limit|normal\s+upper\s+limit"
    r"|the\s+normal\s+value|normal\s+values?|normal\s+range)"
)
_LLN = r"(?:[x×*]\s*|times\s+(?:the\s+)?)?(?:the\s+)?(?:lower\s+limits?\s+of\s+(?:the\s+)?normal|LLN)"
# A unit: a power of ten and/or letters, slashes, digits after letters (m2, mm3), %, °.
_UNIT = (
    r"(?:(?:[x×*·]\s*)?10\s*(?:\^|\*\*|e)?\s*\d{1,2}\s*(?:cells?\s*)?/\s*(?:[µμum]?[lL]|mm3|mm³|kg)"
    r"|(?:[x×*]\s*)10(?:9|12|6|3)\s*(?:cells?\s*)?/\s*(?:[µμum]?[lL]|mm3|mm³)"
    r"|per\s*cent|wood'?s?\s+units?|(?:events?|episodes?)\s+(?:per|/)\s*(?:hours?|hr|h)\b"
    r"|/\s*[a-zA-Zµμ][a-zA-Zµμ0-9³]*|%|°\s*[CF]?|(?:[a-zA-Zµμ][a-zA-Zµμ0-9²³^.]*)(?:\s*/\s*(?:[0-9.]+\s*)?[a-zA-Zµμ0-9²³^.]+){0,3})"
)
_VALUE = re.compile(
    rf"(?P<op>{_OP_PATTERN})?\s*(?P<num>{_NUMBER})(?:\s*/\s*>?\s*(?P<diastolic>\d{{2,3}})(?=\s*(?:mm|$|[\s,;)])))?"
    rf"(?:\s*(?:-|–|to|and)\s*(?P<high>{_NUMBER}))?\s*(?P<uln>{_ULN})?(?P<lln>{_LLN})?\s*(?P<unit>{_UNIT})?"
    rf"(?:\s*(?P<post>{'|'.join(p for p, _ in _POST_OPS)}))?",
    re.IGNORECASE,
)
_BETWEEN = re.compile(
    rf"(?:between|from|range\s+of|ranging\s+from)\s+(?P<num>{_NUMBER})\s*(?P<unit1>[a-zA-Z%/µμ]+)?\s*(?:and|to|-)\s*"
    rf"(?P<high>{_NUMBER})\s*(?P<unit>{_UNIT})?",
    re.IGNORECASE,
)
_DOUBLE = re.compile(
    rf"(?P<op1>{_OP_PATTERN})\s*(?P<num>{_NUMBER})\s*(?P<unit1>{_UNIT})?\s*(?:and|but|,|-|to|&)\s*"
    rf"(?P<op2>{_OP_PATTERN})\s*(?P<high>{_NUMBER})\s*(?P<unit>{_UNIT})?",
    re.IGNORECASE,
)
_BARE_RANGE = re.compile(
    rf"(?P<num>{_NUMBER})\s*(?:-|–|to)\s*(?P<high>{_NUMBER})\b(?!\s*(?:years?|months?|weeks?|days?|hours?))"
    rf"|(?P<list>\d(?:\s*,\s*\d)*\s*(?:,?\s*or\s*)\d)\b",
    re.IGNORECASE,
)
# A multiple of a limit is counted in words from two to ten ("three times", "twice", "double").
_MULTIPLE_WORDS = number_words("cardinals", "times", "folds", low=2, high=10)
_CARDINAL_TIMES = number_words(low=2, high=10).pattern()
_WORD_TIMES = number_words("times", "folds", low=2).pattern()
_MULTIPLE = re.compile(
    rf"(?P<op>{_OP_PATTERN})?\s*(?:(?P<num>{_NUMBER}|\b(?:{_CARDINAL_TIMES}))\s*(?:or\s+more\s+)?"
    rf"(?:times|[x×]|-?fold)\b|(?P<word>\b(?:{_WORD_TIMES}))\b)\s*(?P<op2>above|over|greater\s+than|more\s+than)?",
    re.IGNORECASE,
)
_QUALITATIVE = re.compile(
    r"\b(?P<q>positive|negative|seropositive|sero-positive|seronegative|detectable|undetectable|abnormal|normal|"
    r"elevated|increased|raised|high|decreased|low|reduced|impaired)\b",
    re.IGNORECASE,
)
# An opening bracket before the value is filler too: "ALT (more than 3 times the ULN)".
_FILLER = re.compile(
    r"(?:\s|\((?=\s*(?:[<>≤≥=]|\d|more\b|less\b|greater\b|higher\b|lower\b|above\b|below\b|"
    r"at\s+(?:least|most)\b|(?:no|not)\s+(?:more|less|greater)\b|up\s+to\b))|\([^()]{1,25}\)|\blevels?\b|\bcounts?\b|\bvalues?\b|\bconcentrations?\b|\bscores?\b|\bratio\b|\bof\b|\bis\b|"
    r"\bwas\b|\bare\b|\bmust\s+be\b|\bshould\s+be\b|\bwithin\b|\bin\b|\bthe\b|\bblood\b|\bserum\b|\bplasma\b|\bresult\b|"
    r"\bmeasured\b|\bincrease[sd]?\b|\btotal\b|\bindex\b|\brate\b|\btest\b|:|,(?=\s*[<>≤≥=]))*",
    re.IGNORECASE,
)
_LIST_GAP = re.compile(
    r"^[\s,;/]*(?:\band/or\b|\bor\b|\band\b|/|,)?[\s,]*(?:\([^()]{1,30}\))?[\s,]*$", re.IGNORECASE
)
_SCORE_UNITS = {"1", "point", "points", "pts"}
_NOT_UNITS = re.compile(
    r"^(?:and|or|to|for|in|of|on|at|with|times|x|the|a|an|per|is|was|within|after|before|prior|if|than|consecutive|"
    r"months?|years?|weeks?|days?|hours?|times?)$",
    re.IGNORECASE,
)
# Units whose first word would otherwise read as prose: "x 10^9/L", "per cent".
_LEADING_WORD_UNIT = re.compile(r"^(?:[x×*]\s*10|per\s*cent\b)", re.IGNORECASE)
_DOSE_UNIT = re.compile(r"^(?:mg|g|mcg|µg|ug|iu|units?)\s*(?:/\s*(?:kg|d|day|m2|m²|dose|week|wk))*$", re.I)
_TIME_UNITS = re.compile(
    r"^(?:months?|years?|yrs?|weeks?|wks?|days?|hours?|hrs?|minutes?|mins?)$", re.IGNORECASE
)


@dataclass
class _Value:
    start: int
    end: int
    operator: Operator | None
    value: float | None
    high: float | None
    unit: str | None
    uln: bool = False
    lln: bool = False
    qualitative: str | None = None


_DECIMAL_COMMA = re.compile(r"\d+,\d{1,2}")


def _number(text: str) -> float | None:
    word = _MULTIPLE_WORDS.value(text)
    if word is not None:
        return word
    if "," in text:
        # "7,0" is a decimal comma; "100,000" groups thousands.
        text = text.replace(",", ".") if _DECIMAL_COMMA.fullmatch(text) else text.replace(",", "")
    try:
        return float(text)
    except ValueError:
        return None


def _operator(text: str | None) -> Operator | None:
    if not text or not text.strip():
        return None
    return _operator_of(" ".join(text.split()))


@lru_cache(maxsize=1024)
def _operator_of(cleaned: str) -> Operator | None:
    for pattern, op in _OP_COMPILED:
        if pattern.match(cleaned):
            return op
    return None


def _clean_unit(text: str | None) -> str | None:
    """The longest prefix of ``text`` that reads as a unit (criteria run units into the next words)."""
    if not text:
        return None
    candidate = text.strip().rstrip(".,;:)")
    if candidate.count("(") > candidate.count(")"):
        candidate = candidate.split("(")[0].strip()
    while candidate:
        first_word = candidate.split()[0] if candidate.split() else candidate
        if _NOT_UNITS.match(first_word) and not _LEADING_WORD_UNIT.match(candidate):
            return None
        if is_unit(candidate):
            return candidate
        # Back off at the last separator.
        cut = max(candidate.rfind("/"), candidate.rfind(" "))
        if cut <= 0:
            return None
        candidate = candidate[:cut].rstrip()
    return None


_ULN_AFTER = re.compile(rf"\s*(?:of\s+)?(?:the\s+)?{_ULN}", re.IGNORECASE)
_VALUE_HINT = re.compile(
    rf"\d|\.\d|\b(?:{_MULTIPLE_WORDS.pattern()}|positive|negative|sero|detectable|"
    r"undetectable|abnormal|normal|elevated|increased|raised|high|decreased|low|reduced|impaired)",
    re.IGNORECASE,
)


_DIPSTICK = re.compile(r"\+(?![\d\w])")


def _read_value(text: str, start: int, limit: int) -> _Value | None:
    """A value expression starting (after filler) at ``start``, ending before ``limit``."""
    filler = _FILLER.match(text, start, limit)
    position = filler.end() if filler else start
    segment_end = min(limit, position + 90)
    # Every value form has a digit or a word for one ("twice", "positive", "elevated") near its start.
    if _VALUE_HINT.search(text, position, min(segment_end, position + 40)) is None:
        return None
    between = _BETWEEN.match(text, position, segment_end)
    if between:
        unit = _clean_unit(between["unit"]) or _clean_unit(between["unit1"])
        return _Value(
            between.start(), between.end(), "between", _number(between["num"]), _number(between["high"]), unit
        )
    double = _DOUBLE.match(text, position, segment_end)
    if double:
        low_op, high_op = _operator(double["op1"]), _operator(double["op2"])
        unit = _clean_unit(double["unit"]) or _clean_unit(double["unit1"])
        if low_op in (">", ">=") and high_op in ("<", "<="):
            return _Value(
                double.start(), double.end(), "between", _number(double["num"]), _number(double["high"]), unit
            )
    multiple = _MULTIPLE.match(text, position, segment_end)
    if multiple:
        after = text[multiple.end() : segment_end]
        uln = _ULN_AFTER.match(after)
        if uln or re.search(r"upper\s+limit|ULN|normal", after[:80], re.IGNORECASE):
            multiple_op = _operator(multiple["op"]) or _operator(multiple["op2"]) or ">"
            end = multiple.end() + (uln.end() if uln else 0)
            number = _number(multiple["num"] or multiple["word"] or "")
            return _Value(multiple.start(), end, multiple_op, number, None, None, uln=True)
    match = _VALUE.match(text, position, segment_end)
    if match and match["num"]:
        op = _operator(match["op"])
        if match["post"]:
            op = next(o for p, o in _POST_OPS if re.fullmatch(p, " ".join(match["post"].split()), re.I))
        unit_text = match["unit"]
        unit = _clean_unit(unit_text)
        is_uln = bool(match["uln"]) or bool(
            unit_text and re.fullmatch(r"[x×*]?\s*ULN", unit_text.strip(), re.I)
        )
        is_lln = bool(match["lln"])
        if is_uln or is_lln:
            unit = None
        end = match.end()
        if unit_text and not unit and not (is_uln or is_lln):
            end = match.start("unit") if match["unit"] else match.end("num")
        if _DIPSTICK.match(text, match.end("num")):
            # "urine protein <1+": a dipstick grade, not an amount in the analyte's unit.
            unit, end = "+", match.end("num") + 1
        if op is None and not unit and not is_uln:
            # A bare number after a name is a value only with an operator or a unit; a bare range of
            # a score ("ECOG 0-2") is one.
            bare = _BARE_RANGE.match(text, position, segment_end)
            if bare is not None and bare.start() - start <= 16 and match["high"]:
                return _Value(
                    bare.start(),
                    bare.end(),
                    "between",
                    _number(bare["num"] or ""),
                    _number(bare["high"] or ""),
                    None,
                )
            return None
        if unit and _TIME_UNITS.match(unit):
            return None
        if op is None and match["high"]:
            op = "between"  # "Karnofsky 60-100%": a range with its unit
        return _Value(
            match.start(), end, op, _number(match["num"]), _number(match["high"] or ""), unit, is_uln, is_lln
        )
    bare = _BARE_RANGE.match(text, position, segment_end)
    if bare and bare.start() - start <= 16:
        if bare["list"]:
            numbers = [float(n) for n in re.findall(r"\d", bare["list"])]
            return _Value(bare.start(), bare.end(), "between", min(numbers), max(numbers), None)
        return _Value(bare.start(), bare.end(), "between", _number(bare["num"]), _number(bare["high"]), None)
    qualitative = _QUALITATIVE.match(text, position, segment_end)
    if qualitative and qualitative.start() - start <= 12:
        return _Value(
            qualitative.start(),
            qualitative.end(),
            None,
            None,
            None,
            None,
            qualitative=qualitative["q"].lower().replace("sero-", "sero"),
        )
    return None


def _canonical(
    analyte: str | None, value: float | None, unit: str | None, warnings: list[str]
) -> tuple[float | None, str | None]:
    if analyte is None or value is None:
        return None, None
    if unit == "+":
        return value, "+"  # a dipstick grade compares only with another grade
    entry = analytes().get(analyte, {})
    if unit is not None and (unit.lower() in _SCORE_UNITS or unit in entry.get("score_units", ())):
        unit = None  # "SLE-DAI > 10 points", "Karnofsky 60%": a score's points are its own unit
    target = entry.get("unit")
    if target is None:
        return None, None
    if not unit:
        # A score has no unit; a lab value without one is taken as written in the canonical unit if plausible.
        low, high = entry.get("range", [-math.inf, math.inf])
        return (value, target) if low <= value <= high else (None, None)
    converted = convert(value, unit, target, analyte)
    if converted is None:
        return None, None
    factor = plausible_scale(analyte, converted)
    if factor != 1.0:
        warnings.append(f"unit {unit!r} gives an implausible {analyte} value; read as ×{factor:g}")
    return converted * factor, target


@register("measurement", priority=30)
def parse_measurement(context: CriterionContext) -> list[Rule]:
    text = context.text
    mentions = _merge_parenthetical(
        [m for m in analyte_matcher().find(text) if not context.is_claimed(m.start, m.end)], text
    )
    rules: list[Rule] = []
    pending: list[int] = []  # mentions waiting for the value a following listed analyte carries
    for position, mention in enumerate(mentions):
        limit = mentions[position + 1].start if position + 1 < len(mentions) else len(text)
        clause_end = re.search(
            r"[;]|\.\s|\s(?:and|or)\s+(?:patients?|subjects?|those)\b", text[mention.end :]
        )
        if clause_end:
            limit = min(limit, mention.end + clause_end.start())
        value = _read_value(text, mention.end, limit)
        if value is None and position + 1 < len(mentions) and _LIST_GAP.match(text[mention.end : limit]):
            pending.append(position)
            continue
        if value is None:
            # "… more than 2 times the ULN of ALT": a multiple before the name applies to it.
            value = _value_before(text, mention.start)
        if value is None:
            lead = re.search(
                r"\b(?P<q>abnormal|elevated|increased|raised|positive|negative|impaired|low|high|normal)\s+"
                r"(?:serum\s+|blood\s+|plasma\s+)?$",
                text[max(0, mention.start - 30) : mention.start],
                re.I,
            )
            if lead:
                offset = max(0, mention.start - 30)
                value = _Value(
                    offset + lead.start("q"),
                    offset + lead.end("q"),
                    None,
                    None,
                    None,
                    None,
                    qualitative=lead["q"].lower(),
                )
        if value is None:
            pending.clear()
            continue
        for index in [*pending, position]:
            rules.append(
                _rule(
                    context,
                    mentions[index].start,
                    mentions[index].end,
                    mentions[index].text,
                    mentions[index].concept,
                    value,
                )
            )
        pending.clear()
    rules.extend(_generic(context, rules))
    for rule in rules:
        if isinstance(rule, MeasurementRule):
            context.claim(rule.name_span.start, rule.name_span.end)
            if rule.value_span is not None:
                context.claim(rule.value_span.start, rule.value_span.end)
    return rules


def _merge_parenthetical(mentions: list[Mention], text: str) -> list[Mention]:
    """ "Serum creatinine (Scr)" is one mention: the bracketed abbreviation belongs to the name before it."""
    merged: list[Mention] = []
    for mention in mentions:
        if merged:
            previous = merged[-1]
            gap = text[previous.end : mention.start]
            if re.fullmatch(r"\s*\(\s*", gap) and re.match(r"\s*\)", text[mention.end :]):
                close = text.index(")", mention.end) + 1
                merged[-1] = Mention(previous.start, close, text[previous.start : close], previous.concept)
                continue
        merged.append(mention)
    return merged


_MULTIPLE_BEFORE = re.compile(
    rf"(?P<op>{_OP_PATTERN})?\s*(?P<num>{_NUMBER}|\b(?:{_WORD_TIMES}|{_CARDINAL_TIMES}))\s*(?:or\s+more\s+)?"
    rf"(?:times|[x×]|-?fold)\s+(?:of\s+)?(?:the\s+)?(?:{_ULN})?\s*(?:of|for|in)?\s*$",
    re.IGNORECASE,
)


def _value_before(text: str, start: int) -> _Value | None:
    lead = text[max(0, start - 80) : start]
    if not any(word in lead for word in ("times", "x", "×", "fold", "X")):
        return None
    match = _MULTIPLE_BEFORE.search(lead)
    if match is None:
        return None
    offset = start - len(lead)
    return _Value(
        offset + match.start("num"),
        offset + match.end(),
        _operator(match["op"]) or ">",
        _number(match["num"]),
        None,
        None,
        uln=True,
    )


_FIRST = re.compile(
    r"\b(?:initial|baseline|first|(?:at|on|upon)\s+(?:admission|presentation|arrival|screening))\b[^.;]*$",
    re.I,
)


def _rule(
    context: CriterionContext, start: int, end: int, name: str, analyte: str | None, value: _Value
) -> Rule:
    warnings: list[str] = []
    canonical, canonical_unit = (None, None)
    canonical_high = None
    if not value.uln and not value.lln:
        canonical, canonical_unit = _canonical(analyte, value.value, value.unit, warnings)
        if value.high is not None:
            canonical_high, _ = _canonical(analyte, value.high, value.unit, [])
    span_start, span_end = min(start, value.start), max(end, value.end)
    lead = context.text[max(0, start - 30) : start]
    return MeasurementRule(
        first_reading=_FIRST.search(lead) is not None,
        span=context.span(span_start, span_end),
        name=name,
        name_span=context.span(start, end),
        analyte=analyte,
        operator=value.operator,
        value=value.value,
        value_high=value.high,
        unit=value.unit,
        canonical_value=canonical,
        canonical_value_high=canonical_high,
        canonical_unit=canonical_unit,
        uln_multiple=value.uln,
        lln_multiple=value.lln,
        qualitative=value.qualitative,
        value_span=context.span(value.start, value.end),
        warnings=warnings,
    )


_GENERIC_VALUE = re.compile(
    rf"(?P<op>≥|≤|>=|<=|=>|=<|≧|≦|>|<|greater\s+than(?:\s+or\s+equal\s+to)?|more\s+than|less\s+than(?:\s+or\s+equal"
    rf"\s+to)?|at\s+least|above|below|exceeding)\s*(?P<num>{_NUMBER})",
    re.IGNORECASE,
)
_NAME_STOP = re.compile(
    r"^(?:with|without|and|or|of|the|a|an|in|on|at|to|for|by|as|is|are|was|were|be|who|which|that|has|have|had|patients?|"
    r"subjects?|must|should|defined|than|if|any|no|not|known|documented|confirmed|e\.g\.|i\.e\.|including|such|"
    r"been|received|receive|receiving|doses?|dosing|use|used|taking|at|from|between|within|after|before|during|"
    r"requiring|require|has|plus|per|who|whose|where|when|while|ml|mg|cm|mm|kg)$",
    re.IGNORECASE,
)


# A comparison needs an operator and a digit after it: most criteria have neither.
_COMPARISON_HINTS = trigger_words(
    ("<", ">", "≥", "≤", "≧", "≦", "than", "least", "above", "below", "exceeding")
)
_COMPARISON_HINT = re.compile(
    r"(?:[<>≥≤≧≦]=?|than|least|above|below|exceeding)\s*(?:or\s+equal\s+to\s*)?\d", re.IGNORECASE
)


_LAB_WORDS = re.compile(r"\b(?:serum|plasma|blood|levels?|concentrations?|titers?|urine|urinary)\b", re.I)


def _names_a_dose(name: str) -> bool:
    """A name ending in a drug ("intravenous MP") gives the drug's dose; "serum bicarbonate" or
    "vitamin B12 levels" name a measurement of a substance that is also a drug."""
    if _LAB_WORDS.search(name):
        return False
    drugs = find_drugs(name)
    return bool(drugs) and drugs[-1].end >= len(name.rstrip())


def _generic(context: CriterionContext, known: list[Rule]) -> list[Rule]:
    """Comparisons whose subject is not in the vocabulary: named by up to four words before the operator."""
    text = context.text
    if not context.mentions(_COMPARISON_HINTS) or _COMPARISON_HINT.search(text) is None:
        return []
    taken = [(r.span.start, r.span.end) for r in known]
    rules: list[Rule] = []
    for match in _GENERIC_VALUE.finditer(text):
        if context.is_claimed(match.start(), match.end()) or any(s <= match.start() < e for s, e in taken):
            continue
        lead = text[max(0, match.start() - 3) : match.start()]
        if "(" in lead and any(abs(e - (match.start() - len(lead))) <= 3 for _, e in taken):
            continue  # "<0.2g/g (<20 mg/mmol)": the same threshold in another unit
        value = _read_value(text, match.start(), len(text))
        if value is None or value.value is None:
            continue
        if value.unit and (_TIME_UNITS.match(value.unit.split()[0]) or _DOSE_UNIT.match(value.unit)):
            continue
        tail = text[value.end : value.end + 20].lower()
        if re.match(r"\s*(?:years?|yrs?|months?|weeks?|days?|hours?)\b", tail):
            continue
        words = list(re.finditer(r"[A-Za-z][\w\-'/]*", text[max(0, match.start() - 60) : match.start()]))
        name_words: list[re.Match[str]] = []
        lead_text = text[max(0, match.start() - 60) : match.start()]
        for word in reversed(words):
            if _NAME_STOP.match(word.group(0)) or len(name_words) == 4:
                break
            # A name does not run across a colon ("renal disease: NKF stages ≥4").
            if name_words and re.search(r"[:;]", lead_text[word.end() : name_words[0].start()]):
                break
            name_words.insert(0, word)
        if not name_words:
            continue
        offset = max(0, match.start() - 60)
        start, end = offset + name_words[0].start(), offset + name_words[-1].end()
        if re.search(r"[.;]", text[end : match.start()]) or context.is_claimed(start, end):
            continue
        name = text[start:end]
        if re.fullmatch(r"(?i)ages?|aged|age\s+\w+", name) or _names_a_dose(name):
            continue  # an age, or a dose ("intravenous MP (≤80mg/d)"), not a measurement
        rule = _rule(context, start, end, name, None, value)
        rule.confidence = 0.6
        rules.append(rule)
        taken.append((rule.span.start, rule.span.end))
    return rules


_TIME_AFTER_NUMBER = re.compile(
    r"\s*(?:hours?|hrs?|days?|weeks?|wks?|months?|mos?|years?|yrs?)\b", re.IGNORECASE
)
_NOTE_VALUE = re.compile(rf"(?P<num>{_NUMBER})\s*(?P<unit>{_UNIT})?", re.IGNORECASE)


def read_note_value(text: str, start: int) -> tuple[float | None, str | None, str | None, int] | None:
    """``(value, unit, qualitative, end)`` of a value after a name in a note ("Hb of 9.0 g/dL", "EF was 25%").

    Notes state values without operators, so a bare number right after the name (and its filler) counts.
    """
    limit = len(text)
    clause = re.search(r"[;]|,\s+(?:and\s+)?(?:his|her|the|a|an)\b", text[start:])
    if clause:
        limit = start + clause.start()
    # "CD4 count drawn 9 days ago was 90 cells/uL": when the value was drawn stands between the name
    # and the verb that gives the value; its number ("9 days") is not the value.
    timed = note_value_phrases().match(text, start, limit)
    if timed is not None:
        start = timed.end()
    value = _read_value(text, start, limit)
    if value is not None and (value.value is not None or value.qualitative):
        return value.value, value.unit, value.qualitative, value.end
    filler = _FILLER.match(text, start, limit)
    position = filler.end() if filler else start
    match = _NOTE_VALUE.match(text, position, limit)
    if match is None or match.start() - start > 30:
        return None
    unit = _clean_unit(match["unit"])
    if unit and _TIME_UNITS.match(unit.split()[0]):
        return None
    if _TIME_AFTER_NUMBER.match(text, match.end("num")):
        return None  # "Platelet count 3 days ago: pending": a time, not a value
    if _DIPSTICK.match(text, match.end("num")):
        return _number(match["num"]), "+", None, match.end("num") + 1
    return _number(match["num"]), unit, None, match.end()


__all__ = ["parse_measurement", "read_note_value"]
