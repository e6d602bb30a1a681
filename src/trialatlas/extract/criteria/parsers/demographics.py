"""Age, sex and pregnancy / lactation / contraception rules."""

from __future__ import annotations

import re
from functools import cache

from trialatlas.extract.criteria.registry import CriterionContext, register
from trialatlas.extract.criteria.rules import AgeRule, PregnancyRule, Rule, SexRule
from trialatlas.extract.criteria.trigger_words import trigger_words

_N = r"\d+(?:\.\d+)?"
_AGE_UNIT = r"(?P<unit>years?|yrs?|y(?:ears)?|months?|mos?|weeks?|wks?|days?)"
_AGE_UNIT2 = r"(?P<unit2>years?|yrs?|months?|mos?|weeks?|days?)"
_AGE_WORD = r"(?:\b(?:ages?|aged)|\bage\s+(?:of|between|from|range)|\bage\s*:|\bage\s*(?:is|was)?)"
_OLD = r"(?:old|of\s+age|(?:of\s+)?age|yo|y/o|y\.o\.)"
_YEARS_PER = {"y": 1.0, "m": 1 / 12, "w": 7 / 365.25, "d": 1 / 365.25}

_LOWER_OPS = (
    r"(?:>/=|≥/=|>\s*or\s*=|≥|>=|=>|≧|>|over|above|older\s+than|greater\s+than|more\s+than|at\s+least|"
    r"minimum(?:\s+of)?|from)"
)
_UPPER_OPS = (
    r"(?:</=|≤/=|<\s*or\s*=|≤|<=|=<|≦|<|under|below|younger\s+than|less\s+than|up\s+to|maximum(?:\s+of)?|"
    r"not\s+older\s+than|to)"
)

# The age patterns' sources, compiled on first use (see _age_patterns): a process that never reads
# an age (a note read for matching, most commands) does not pay for compiling them.
_AGE_PATTERN_SOURCES: tuple[tuple[str, str], ...] = (
    (
        "range",
        rf"(?:{_AGE_WORD}\s*(?:between|from)?\s*)?(?P<low>{_N})\s*(?P<unit1>years?|months?|mos?|weeks?|days?)?\s*"
        rf"(?:-|–|to|and|through)\s*(?P<high>{_N})\s*{_AGE_UNIT}?\s*(?:{_OLD})?(?:\s*\(?\s*inclusive\s*\)?)?",
    ),
    (
        "lower",
        rf"{_AGE_WORD}\s*(?P<op>{_LOWER_OPS})\s*(?:or\s+equal\s+to\s+)?(?P<low>{_N})\s*{_AGE_UNIT}?",
    ),
    (
        "upper",
        rf"{_AGE_WORD}\s*(?P<op>{_UPPER_OPS})\s*(?:or\s+equal\s+to\s+)?(?P<high>{_N})\s*{_AGE_UNIT}?",
    ),
    ("lower", rf"(?P<op>{_LOWER_OPS})\s*(?:or\s+equal\s+to\s+)?(?P<low>{_N})\s*{_AGE_UNIT}\s*(?:{_OLD})"),
    (
        "upper",
        rf"(?P<op>{_UPPER_OPS})\s*(?:or\s+equal\s+to\s+)?(?P<high>{_N})\s*{_AGE_UNIT}\s*(?:{_OLD})",
    ),
    (
        "lower",
        rf"(?P<low>{_N})\s*{_AGE_UNIT}?\s*(?:{_OLD})?\s*(?P<op>(?:or|and)\s+(?:older|over|above|greater|more)|\+|and\s+up)",
    ),
    (
        "upper",
        rf"(?P<high>{_N})\s*{_AGE_UNIT}?\s*(?:{_OLD})?\s*(?P<op>(?:or|and)\s+(?:younger|under|below|less))",
    ),
    ("lower", rf"{_AGE_WORD}\s*(?P<low>{_N})\s*\+"),
    ("exact_old", rf"(?P<op>{_LOWER_OPS}|{_UPPER_OPS})?\s*(?P<low>{_N})\s*{_AGE_UNIT}\s*(?:{_OLD})"),
)


@cache
def _age_patterns(lowered: bool) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """The age patterns, for lower-cased text (none has a capital letter to match) or, ignoring case,
    for text as written."""
    flags = 0 if lowered else re.IGNORECASE
    return tuple((name, re.compile(source, flags)) for name, source in _AGE_PATTERN_SOURCES)


# Two cheap searches instead of one with ".*" (which backtracks over every digit of a long criterion).
_DIGIT = re.compile(r"\d")
_AGE_HINTS = trigger_words(("age", "old", "year", "yr", "month", "week", "day", "yo", "y/o", "+"))
_CHILD = re.compile(r"\b(?:children|child|pediatric|paediatric|adolescents?|minors?)\b", re.I)
_INFANT = re.compile(r"\binfants?\b", re.I)
_NEONATE = re.compile(r"\b(?:neonates?|newborns?)\b", re.I)
_ADULT = re.compile(r"\badults?\b(?!\s+(?:onset|type|patients? with))", re.IGNORECASE)
_ELDERLY = re.compile(r"\b(?:elderly|older\s+adults|geriatric)\b", re.IGNORECASE)
_DURATION_CONTEXT = re.compile(
    r"\b(?:history|duration|diagnos|for|within|since|prior|before|ago|after|last|past|expectancy|follow)",
    re.I,
)


# What :func:`_age_context` needs somewhere in the text: an age word, or the people a number describes.
_AGE_CONTEXT_HINTS = trigger_words(
    (
        "age",
        "old",
        "yo",
        "y/o",
        "years of life",
        "year of life",
        "born",
        "patient",
        "subject",
        "participant",
        "men",
        "man",
        "wom",
        "male",
        "children",
        "adult",
        "individual",
        "person",
        "people",
        "volunteer",
        "boy",
        "girl",
    )
)


_NUMBER = re.compile(r"\d+")
# An age pattern reaches this far around its number ("age greater than or equal to 18 years of age").
_AGE_REACH = 50


def _number_regions(context: CriterionContext) -> list[tuple[int, int]]:
    """Stretches around the numbers that have an age or a person word nearby, merged: the only places
    an age can be, so the age patterns scan these instead of the whole criterion."""
    text, lowered = context.text, context.lowered
    regions: list[tuple[int, int]] = []
    for match in _NUMBER.finditer(text):
        near = lowered[max(0, match.start() - _AGE_REACH - 40) : match.end() + _AGE_REACH]
        if not any(hint in near for hint in _AGE_CONTEXT_HINTS):
            continue
        start, end = max(0, match.start() - _AGE_REACH), min(len(text), match.end() + _AGE_REACH)
        if regions and start <= regions[-1][1]:
            regions[-1] = (regions[-1][0], end)
        else:
            regions.append((start, end))
    return regions


def _years(value: float, unit: str | None) -> float:
    key = (unit or "y").lower()[0]
    return value * _YEARS_PER.get(key, 1.0)


_GESTATION = re.compile(r"\bgestation", re.IGNORECASE)


def _age_context(text: str, start: int, end: int) -> bool:
    """An age needs an age word nearby or "old"/"of age" after it: "3 years" alone is a duration."""
    window = text[max(0, start - 25) : min(len(text), end + 15)].lower()
    # "gestational age < 23 weeks", "born before 36 weeks of gestation": a pregnancy's age, not the patient's.
    if "gestation" in window and _GESTATION.search(text, max(0, start - 25), min(len(text), end + 15)):
        return False
    if re.search(r"\bage|\baged|\bold\b|of age|\byo\b|y/o|years? of life|\bborn\b", window):
        return True
    lead = text[max(0, start - 40) : start]
    return bool(
        re.search(
            r"\b(?:patients?|subjects?|participants?|men|women|males?|females?|children|adults?|"
            r"individuals?|persons?|people|volunteers?|boys?|girls?)\b[^.;]{0,12}$",
            lead,
            re.I,
        )
    ) and not (_DURATION_CONTEXT.search(text[max(0, start - 15) : start]))


@register("age", priority=10)
def parse_age(context: CriterionContext) -> list[Rule]:
    text = context.text
    rules: list[Rule] = []
    if (
        _DIGIT.search(text) is None
        or not context.mentions(_AGE_HINTS)
        or not context.mentions(_AGE_CONTEXT_HINTS)
    ):
        return _age_words(context)
    regions = _number_regions(context)
    if not regions:
        return _age_words(context)
    # Lower-cased text with case-sensitive copies of the patterns: a case fold per character is the
    # costly part of a case-insensitive pattern.
    lowered = context.lowered
    same_length = len(lowered) == len(text)
    subject, patterns = (lowered if same_length else text), _age_patterns(same_length)
    for name, pattern in patterns:
        for match in (m for start, end in regions for m in pattern.finditer(subject, start, end)):
            start, end = match.span()
            if context.is_claimed(start, end) or not _age_context(text, start, end):
                continue
            groups = match.groupdict()
            unit = groups.get("unit") or groups.get("unit1")
            if unit and unit.lower()[0] not in "ymwd":
                continue
            rule = AgeRule(span=context.span(start, end))
            op = (groups.get("op") or "").lower()
            if name == "range":
                low, high = float(groups["low"]), float(groups["high"])
                low_unit = groups.get("unit1") or unit
                rule.min_years, rule.max_years = _years(low, low_unit), _years(high, unit)
                if rule.min_years > rule.max_years or rule.max_years > 130:
                    continue
            elif name in ("lower", "upper", "exact_old"):
                value = float(groups.get("low") or groups.get("high") or 0)
                years = _years(value, unit)
                if years > 130:
                    continue
                upper = name == "upper" or (
                    name == "exact_old" and re.match(_UPPER_OPS, op or "x", re.I) is not None
                )
                if name == "exact_old" and not op:
                    continue
                if upper:
                    rule.max_years = years
                    strict = op.startswith("<") and "=" not in op
                    words = ("under", "below", "younger than", "less than")
                    rule.max_inclusive = not strict and op not in words
                else:
                    rule.min_years = years
                    rule.min_inclusive = not (op.startswith(">") and "=" not in op) and not re.match(
                        r"over|above|older|greater|more", op
                    )
            if rule.max_years is None and rule.min_years is not None:
                # "18 years or older and under 65", "≥ 18 years and ≤ 65 years": the bound after the
                # first belongs to the same range.
                bound = _THEN_UPPER.match(text, end)
                if bound is not None and float(bound["high"]) > rule.min_years:
                    rule.max_years = float(bound["high"])
                    inclusive = ("≤", "up", "not", "no ")
                    rule.max_inclusive = "=" in bound["op"] or bound["op"].lower().startswith(inclusive)
                    end = bound.end()
                    rule.span = context.span(start, end)
                    # A bound read on its own before ("age under 70 years") is now part of this range.
                    rules = [r for r in rules if not (start <= r.span.start and r.span.end <= end)]
            if any(
                isinstance(r, AgeRule) and (r.min_years, r.max_years) == (rule.min_years, rule.max_years)
                for r in rules
            ):
                continue
            rules.append(rule)
            context.claim(start, end)
    if not rules:
        rules.extend(_age_words(context))
    return _without_subgroups(rules)


_THEN_UPPER = re.compile(
    r"\s*(?:,|and|but)?\s*(?:(?:aged?|age\s+is)\s*)?"
    r"(?P<op></=|<\s*or\s*=|≤|<=|=<|<|under|below|younger\s+than|less\s+than|"
    r"up\s+to|not\s+older\s+than|no\s+older\s+than)\s*(?P<high>\d{1,3})(?!\d)\s*(?:years?|yrs?)?",
    re.IGNORECASE,
)


def _without_subgroups(rules: list[Rule]) -> list[Rule]:
    """Age ranges inside another range of the same criterion are its subgroups ("aged 2-18 months,
    studied by age group 12-18 months, 6-12 months"; "aged ≥1 year … and/or children aged 1-18"):
    the criterion admits the widest one."""
    ages = [r for r in rules if isinstance(r, AgeRule)]
    if len(ages) < 2:
        return rules

    def inside(inner: AgeRule, outer: AgeRule) -> bool:
        low_in = outer.min_years is None or (
            inner.min_years is not None and inner.min_years >= outer.min_years
        )
        high_in = outer.max_years is None or (
            inner.max_years is not None and inner.max_years <= outer.max_years
        )
        return inner is not outer and low_in and high_in

    return [r for r in rules if not (isinstance(r, AgeRule) and any(inside(r, o) for o in ages))]


# "Patients over 18", "Subjects older than 65 years": the people a criterion opens with, then a bound
# in years or with no unit, is an age (another unit, a count or a decimal after it makes it something
# else). The age patterns want "old" or "of age" after such a bound; the people before it say the same.
_UNITLESS_AGE = re.compile(
    r"\b(?:patients?|subjects?|participants?|individuals?|adults?|men|women|persons?|people|volunteers?)\s+"
    r"(?P<op>over|above|older\s+than|under|below|younger\s+than)\s+(?P<value>\d{1,3})\b(?:\s*(?:years?|yrs?)\b)?"
    r"(?![.,]\d|\s*(?:%|[-/]|[a-z]*\s*(?:kg|lbs?|pounds?|cm|mm|mg|g|ml|l|m|years?|yrs?|months?|weeks?|days?|"
    r"lesions?|cycles?|times?|hours?|units?)\b))",
    re.IGNORECASE,
)


def _unitless_age(context: CriterionContext) -> list[Rule]:
    match = _UNITLESS_AGE.search(context.text)
    if match is None or len(context.text[: match.start()].split()) > 1 or context.is_claimed(*match.span()):
        return []
    value = float(match["value"])
    if not 1 <= value <= 120:
        return []
    context.claim(match.start("op"), match.end())
    rule = AgeRule(span=context.span(match.start("op"), match.end()))
    if match["op"].lower() in ("under", "below") or match["op"].lower().startswith("younger"):
        rule.max_years, rule.max_inclusive = value, False
    else:
        rule.min_years, rule.min_inclusive = value, False
    return [rule]


def _age_words(context: CriterionContext) -> list[Rule]:
    """ "Adults", "children": age groups without numbers (only when the criterion is about who may join)."""
    if unitless := _unitless_age(context):
        return unitless
    text = context.text
    if len(text.split()) > 12:
        return []
    for pattern, low, high in (
        (_NEONATE, None, 28 / 365.25),
        (_INFANT, None, 1.999),
        (_ADULT, 18.0, None),
        (_CHILD, None, 17.999),
        (_ELDERLY, 65.0, None),
    ):
        match = pattern.search(text)
        # Only a criterion that starts by naming the group is about age ("Adults with …", "Children");
        # "Bleeding history in infant or family" is not.
        if match and len(text[: match.start()].split()) <= 1 and not context.is_claimed(*match.span()):
            context.claim(*match.span())
            return [AgeRule(span=context.span(*match.span()), min_years=low, max_years=high, confidence=0.6)]
    return []


_BOTH_SEXES = re.compile(
    r"\b(?:male\s+(?:and|or|&|/)\s+female|female\s+(?:and|or|&|/)\s+male|men\s+(?:and|or)\s+women|women\s+(?:and|or)\s+men"
    r"|both\s+(?:genders?|sexes)|either\s+(?:gender|sex)|all\s+genders?|any\s+gender)\b",
    re.IGNORECASE,
)
_FEMALE = re.compile(
    r"\b(?:females?|women|woman|girls?|female\s+sex|postmenopausal\s+women)\b", re.IGNORECASE
)
_MALE = re.compile(r"\b(?:males?|men|man|boys?|male\s+sex)\b", re.IGNORECASE)
_PREGNANCY_WORDS = re.compile(
    r"pregnan|breast|lactat|nursing|childbearing|contracep|menopaus|gestation|birth|hcg", re.I
)


_SEX_HINTS = trigger_words(("male", "men", "man", "boy", "girl", "gender", "sex", "wom"))


@register("sex", priority=11)
def parse_sex(context: CriterionContext) -> list[Rule]:
    if not context.mentions(_SEX_HINTS):
        return []
    text = context.text
    both = _BOTH_SEXES.search(text)
    if both:
        context.claim(*both.span())
        return [SexRule(span=context.span(*both.span()), sex="all")]
    female = _FEMALE.search(text)
    male = _MALE.search(text)
    if (female is None) == (male is None):
        return []
    match = female or male
    assert match is not None
    # "Female patients who are pregnant" restricts pregnancy, not sex; a sex restriction is a short
    # criterion ("Female sex", "Women aged 50-89"), one that opens with the sex ("Female subjects
    # diagnosed with KD 12 years of age and older") or one that says "only".
    words = len(text.split())
    only = re.search(r"\bonly\b", text, re.I) is not None
    if _PREGNANCY_WORDS.search(text) and not only:
        return []
    opens = len(text[: match.start()].split()) <= 1
    if words > 10 and not only and not opens:
        return []
    context.claim(*match.span())
    return [SexRule(span=context.span(*match.span()), sex="female" if female else "male")]


_PREGNANCY_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (aspect, re.compile(pattern, re.IGNORECASE))
    for aspect, pattern in (
        (
            "negative_test",
            r"\bnegative\s+(?:serum\s+|urine\s+)?(?:beta[- ]?hcg\s+|β-?hcg\s+)?pregnancy\s+tests?\b"
            r"|\bpregnancy\s+tests?\s+(?:\w+\s+){0,2}negative\b",
        ),
        (
            "planning",
            r"\b(?:plan(?:s|ning)?|intend(?:s|ing)?|wish(?:es|ing)?|desire[sd]?|trying)\s+(?:to\s+)?"
            r"(?:become\s+|get\s+)?(?:pregnan\w*|conceive|father\s+a\s+child)|\bdesires?\s+(?:future\s+)?fertility",
        ),
        (
            "pregnant",
            r"\bpregnan(?:t|cy|cies)\b|\bpregnency\b|\bgestation(?:al)?\b"
            # A positive hCG is a positive pregnancy test ("Female patients with a positive serum beta-HCG").
            r"|\bpositive\s+(?:serum\s+|urine\s+)?(?:beta[- ]?|β-?)?hcg\b",
        ),
        (
            "lactating",
            r"\b(?:breast[- ]?feeding|breastfeeding|lactat(?:ing|ion)"
            r"|nursing(?!\s+(?:home|staff|care|facility))"
            r"|lactifying)\b",
        ),
        (
            "childbearing_potential",
            r"\b(?:child[- ]?bearing\s+(?:potential|age)|of\s+reproductive\s+(?:potential|age)"
            r"|able\s+to\s+(?:become\s+pregnant|bear\s+children)|fertile)\b",
        ),
        (
            "contraception",
            # A count of methods asked for is part of the rule ("two forms of contraception"): one
            # method the note names cannot show it.
            r"\b(?:(?:two|2|dual|double|both)\s+(?:[\w-]+\s+){0,2}(?:forms?|methods?|types?)\s+of\s+)?"
            r"(?:contracepti(?:on|ve|ves)|birth\s+control|barrier\s+method|abstinence|"
            r"sterili[sz](?:ed|ation)|avoid\s+(?:becoming\s+)?pregnan\w*)\b",
        ),
    )
)


# One search for every word a pregnancy pattern starts from, instead of six on every criterion.
# Every pregnancy pattern contains one of these: one look for them instead of six patterns everywhere.
_PREGNANCY_HINTS = trigger_words(
    (
        "pregn",
        "breast",
        "lactat",
        "lactif",
        "nursing",
        "child",
        "reproductive",
        "fertil",
        "contracep",
        "birth",
        "barrier",
        "abstinen",
        "steril",
        "conceiv",
        "gestation",
        "father",
        "hcg",
    )
)


_BIRTH = re.compile(r"\b(?:born|birth|preterm|premature\w*|prematurity)\b[^.;]{0,30}$")


def _own_birth(lowered: str, start: int) -> bool:
    """ "Premature birth (<36 weeks gestation)", "born at 32 weeks' gestation": the gestation of the
    patient's own birth, not a pregnancy of the patient's."""
    return (
        lowered.startswith("gestation", start)
        and _BIRTH.search(lowered, max(0, start - 40), start) is not None
    )


@register("pregnancy", priority=12)
def parse_pregnancy(context: CriterionContext) -> list[Rule]:
    if not context.mentions(_PREGNANCY_HINTS):
        return []
    rules: list[Rule] = []
    for aspect, pattern in _PREGNANCY_PATTERNS:
        for match in pattern.finditer(context.text):
            if context.is_claimed(*match.span()):
                continue
            if aspect == "pregnant" and _own_birth(context.lowered, match.start()):
                continue
            context.claim(*match.span())
            rules.append(PregnancyRule(span=context.span(*match.span()), aspect=aspect))
    return rules


__all__ = ["parse_age", "parse_pregnancy", "parse_sex"]
