"""Word patterns of dosing text: frequencies, routes, durations, roles, and the cues around them.

Each finder returns ``(start, end, value)`` spans over the normalised text; parse.py decides which
dose each span belongs to.
"""

from __future__ import annotations

import functools
import re

from trialatlas.extract.regimen.fastre import word_start_regex
from trialatlas.text.numbers import number_words
from trialatlas.text.packaged import packaged_json

Span = tuple[int, int, str]

# Doses are counted in cardinals, "a"/"single" and "every other"; never "zero" nor "hundred" alone
# ("two hundred mg" is not 100 mg).
_NUMBER_WORDS = number_words("cardinals", "articles", "alternate", low=1, high=99)
NUMBER_WORD = r"(?:\d+(?:\.\d+)?|" + number_words("cardinals", low=1, high=99).pattern() + ")"
# How many tablets, capsules or vials make one dose ("two 50 mg tablets", "(two x 500 mg)").
UNIT_COUNT = number_words(low=1, high=6)


def number_value(text: str) -> float:
    word = _NUMBER_WORDS.value(text)
    return word if word is not None else float(text.strip())


_DAILY = r"(?:daily|a\s+day|per\s+day|each\s+day|every\s+day|/\s*day|a\s+d(?:ay)?)"
_WEEKLY = r"(?:weekly|a\s+week|per\s+week|each\s+week|every\s+week|/\s*week|a\s+wk|per\s+wk)"

# A count of administrations given as a range or alternative ("2-3 times a day", "2 or 3 times/week",
# "once or twice daily") or a range of intervals ("every 4-6 hours", "q3-4w", "every 8 or 12 weeks") names
# no one listed frequency: null (R4, R60), never the larger count. It is read as a frequency of its own
# (VARIABLE, not in the spec's list) so that the "3 times a day" or "4 times a day" inside it is not read,
# and the schedule rules do not fill in a frequency the text leaves open.
VARIABLE = "variable"
_COUNT = r"(?:\d+|one|two|three|four|five|six)"
_COUNT_PERIOD = r"(?:day|daily|d|week(?:ly)?|wks?|month(?:ly)?)\b"
_INTERVAL_UNIT = r"(?:hours?|hrs?|h|days?|d|weeks?|wks?|w|months?)\b"
_RANGE_PATTERN = (
    rf"\b{_COUNT}\s*(?:-|–|~|to|or)\s*{_COUNT}\s*(?:x|times)\s*(?:(?:a|per|each|every)\s+|/\s*)?{_COUNT_PERIOD}|"
    rf"\bonce\s*(?:-|to|or)\s*(?:twice|thrice|two\s+times|three\s+times)\s*(?:(?:a|per|each|every)\s+|/\s*)?"
    rf"{_COUNT_PERIOD}|"
    rf"\btwice\s*(?:-|to|or)\s*(?:thrice|three\s+times)\s*(?:(?:a|per|each|every)\s+|/\s*)?{_COUNT_PERIOD}|"
    rf"\bevery\s+{_COUNT}\s*(?:-|–|~|to|or)\s*{_COUNT}[-\s]*{_INTERVAL_UNIT}|"
    rf"\bq\.?\s?\d+\s*(?:-|–|to)\s*\d+\s?{_INTERVAL_UNIT}"
)

_FREQUENCY_PATTERNS: list[tuple[str, str]] = [
    # First: a range starts where its first count does, before the listed frequency inside it.
    ("VARIABLE", _RANGE_PATTERN),
    (
        "PRN",
        r"\bas\s+(?:needed|required|necessary)\b|\bp\.?r\.?n\.?\b|\bon\s+demand\b|\bwhen\s+needed\b|"
        r"\bif\s+needed\b|\bas\s+rescue\b",
    ),
    (
        "continuous",
        r"\bcontinuous(?:ly)?\s+(?:intravenous\s+|iv\s+|i\.v\.\s+|subcutaneous\s+)?"
        r"(?:infusions?|drip|iv|i\.v\.|intravenous(?:ly)?|administration)\b|\bgiven\s+continuous(?:ly)?\b|"
        r"\bcontinuous\s+(?:\d+[-\s]?h(?:ou)?r?s?\s+)?infusions?\b|\bby\s+continuous\b|"
        r"\bcont\.?\s+(?:iv\s+)?infusions?\b|\bcont\.?\s*iv\b|\bconiv\b",
    ),
    (
        "BIW",
        r"\b(?:twice|two\s+times|(?<![-\d]\s)(?<![-\d])2\s*(?:x|times))\s*(?:a|per|each|every|/)?\s*(?:week(?:ly)?|wks?)\b|"
        r"\bbiw\b|\bsemi-?weekly\b|\btwice[-\s]weekly\b|\bx\s*2\s*/\s*w(?:ee)?ks?\b",
    ),
    (
        "TIW",
        r"\b(?:three\s+times|thrice|3\s*(?:x|times))\s*(?:a|per|each|every|/)?\s*(?:week(?:ly)?|wks?)\b|\btiw\b|"
        r"\bx\s*3\s*/\s*w(?:ee)?ks?\b",
    ),
    (
        "QID",
        r"\bq\.?i\.?d\.?\b|\b(?:four|4)\s*(?:x\s*|times\s*)(?:a\s+|per\s+|each\s+|/\s*)?(?:day|daily|d)\b|"
        r"\bevery\s+6\s*(?:hours?|hrs?|h)\b|\bq\.?\s?6\s?(?:hours?|hrs?|h)\b|\b6[-\s]?hourly\b|\bx\s*4\s*/\s*(?:d(?:ay)?|daily)\b",
    ),
    (
        "TID",
        r"\bt\.?i\.?d\.?\b|\bt\.?d\.?s\.?\b|\b(?:three|3)[-\s]*(?:x[-\s]*|times[-\s]*)(?:a[-\s]+|per\s+|each\s+|/\s*)?"
        r"(?:day|daily|d)\b|\bthrice\s+(?:a\s+|per\s+)?(?:day|daily)\b|\bevery\s+8\s*(?:hours?|hrs?|h)\b|"
        r"\bq\.?\s?8\s?(?:hours?|hrs?|h)\b|\b8[-\s]?hourly\b|\b/\s*8\s*h(?:ours?|rs?)?\b|\bx\s*3\s*/\s*(?:d(?:ay)?|daily)\b",
    ),
    (
        "BID",
        r"\bb\.?i\.?d\.?\b|\bb\.?d\.?\b|\btwice[-\s](?:a\s+|per\s+|each\s+)?(?:day|daily)\b|\btwice\s*/\s*d(?:ay)?\b|"
        r"\b(?:two|2)[-\s]*(?:x[-\s]*|times[-\s]*)(?:a[-\s]+|per\s+|each\s+|/\s*)?(?:day|daily|d)\b|"
        r"\bx\s*2\s*/\s*(?:d(?:ay)?|daily)\b|"
        r"\bevery\s+12\s*(?:hours?|hrs?|h)\b|\bq\.?\s?12\s?(?:hours?|hrs?|h)\b|\b12[-\s]?hourly\b|"
        r"\bat\s+12[-\s]hours?\s+intervals?\b|\b/\s*12\s*h(?:ours?|rs?)?\b|"
        r"\bin\s+the\s+morning\s+(?:and|&)\s+(?:\w+\s+){0,4}?(?:in\s+the\s+)?evening\b|"
        r"\bmorning\s+(?:and|&)\s+(?:\w+\s+){0,4}?evening\b",
    ),
    (
        "QOD",
        r"\bq\.?o\.?d\.?\b|\bevery\s+(?:other|second|2nd)\s+day\b|\bon\s+alternate\s+days\b|"
        r"\balternate[-\s]days?\b|\bevery\s+48\s*(?:hours?|hrs?|h)\b|\bq\.?\s?48\s?h\b|\beod\b",
    ),
    (
        "QD",
        r"\bonce[-\s](?:a\s+|per\s+|each\s+)?(?:day|daily)\b|\bq\.?\s?d\.?\b(?!\s*\d)|\bo\.?d\.?(?=[\s,;.)]|$)|"
        r"\bq\.?\s?day\b|\bdaily\b|\bevery\s+(?:day|morning|evening|night)\b|\beach\s+(?:day|morning|evening)\b|"
        r"\bnightly\b|\b(?:at|before)\s+(?:bed\s?time|night|sleep)\b|\bq\.?h\.?s\.?\b|\bq\.?\s?am\b|\bq\.?\s?pm\b|"
        r"\bevery\s+24\s*(?:hours?|hrs?|h)\b|\bq\.?\s?24\s?h(?:ours?|rs?)?\b|\bper\s+diem\b|"
        r"\b(?:one|1)[-\s]*(?:x[-\s]*|times[-\s]*)(?:a[-\s]+|per\s+|/\s*)(?:day|d)\b|\bin\s+the\s+(?:morning|evening)\b|"
        r"\b(?:per|a|each)\s+day\b|\bx\s*1\s*/\s*(?:d(?:ay)?|daily)\b",
    ),
    (
        "EVERY",
        r"\b(?:once\s+)?every\s+("
        + NUMBER_WORD
        + r")[-\s]*(?:to\s+\d+\s+)?(days?|weeks?|wks?|months?|hours?|hrs?|h)\b"
        # "once Q2W": "once" before an interval is not one administration.
        r"(?:\s+cycles?)?|\b(?:once\s+)?q\.?\s?(\d+)\s?(d|days?|w|wks?|weeks?|m|months?|h|hrs?|hours?)\b|"
        # "at reduced intervals of 4 weeks", "at 4-week intervals".
        r"\bintervals?\s+of\s+(" + NUMBER_WORD + r")\s*(days?|weeks?|wks?|months?|hours?|hrs?)\b|"
        r"\bat\s+(" + NUMBER_WORD + r")[-\s]?(day|week|month|hour)s?\s+intervals?\b|"
        # "once in 2 weeks", "once per 3 weeks": one administration per that interval.
        r"\bonce\s+(?:in|per)\s+(?:every\s+)?(" + NUMBER_WORD + r")\s*(days?|weeks?|wks?|months?)\b|"
        # "two injections one week apart", "3 doses given 4 weeks apart": evenly spaced by that interval.
        r"\b(?:two|three|four|five|six|[2-9])\s+(?:doses|injections|infusions|administrations|vaccinations)\s+"
        r"(?:(?:given|administered|injected|infused)\s+)?("
        + NUMBER_WORD
        + r")\s*(days?|weeks?|wks?|months?|hours?|hrs?)\s+apart\b|"
        # "2 doses of 5mg/kg (1ml/kg) 24 hours apart": the doses counted before the amount, the spacing
        # after it (not "at least 6 hours apart", a bound on the spacing).
        r"\b(?<!least\s)(\d+)\s*(days?|weeks?|wks?|months?|hours?|hrs?)\s+apart\b",
    ),
    (
        "QW",
        r"\bonce[-\s](?:a\s+|per\s+|each\s+|every\s+)?week(?:ly)?\b|\bweekly\b|\bevery\s+week\b|"
        r"\bq\.?\s?w(?:k)?\b|\bq\.?\s?1\s?w(?:k)?\b|\beach\s+week\b|"
        r"\b(?:one|1)[-\s]*(?:x[-\s]*|times?[-\s]+)(?:a[-\s]+|per\s+|each\s+|/\s*)?(?:week(?:ly)?|wks?)\b",
    ),
    ("Q2W", r"\bevery\s+(?:other|second|2nd)\s+week\b|\bfortnightly\b|\bbi-?weekly\b|\btwo[-\s]weekly\b"),
    ("Q3W", r"\bthree[-\s]weekly\b|\b3[-\s]weekly\b"),
    (
        "QM",
        r"\bmonthly\b|\bonce\s+(?:a\s+|per\s+|each\s+|every\s+)?month\b|\bevery\s+month\b|\bq\.?\s?m\b|"
        r"\bq\.?\s?1\s?m(?:onth)?\b",
    ),
    (
        "once",
        # "a single, intravenous infusion": the adjectives of one administration may stand apart by commas.
        # "a single daily dose" is one dose a day (QD, read from "daily"), not one administration in all.
        r"\bsingle,?[-\s]\s*(?:(?!(?:daily|weekly|monthly|nightly)\b)\w+,?\s+){0,2}?"
        r"(?:dose|injection|infusion|administration|bolus|shot|application)\b|"
        r"\bone[-\s]time\b|\bonce\b(?!\s+(?:a|per|each|every|daily|weekly|monthly|more|again|or|to|\d|"
        # "once yearly", "once nightly": a repeat the list may not hold, never one administration.
        r"yearly|annually|quarterly|fortnightly|bi-?weekly|bi-?monthly|nightly|hourly)\b)|"
        r"\bx\s*1\b(?!\s*\d)|\bas\s+a\s+single\b|\bone\s+(?:[a-z]+\s+)?(?:dose|vaccination|injection|infusion|shot)\b"
        r"(?!\s+(?:a\s+|per\s+|each\s+|every\s+|on\s+each\s+(?:of\s+)?)?(?:\d+\s*|other\s+)?"
        r"(?:days?|daily|weeks?|wks?|weekly|months?|monthly)\b)",
    ),
]


def _phrases(words: list[str]) -> str:
    """Whole-word alternatives of lower-case words or phrases (a space stands for any run of spaces)."""
    return "|".join(r"\b" + re.escape(word).replace(r"\ ", r"\s+") + r"\b" for word in words)


# More frequency words, kept as data (frequency_words.json): words the patterns lack, and counts of
# administrations per period ("one infusion per week").
_FREQUENCY_WORDS = packaged_json(__package__, "frequency_words.json")


def _administrations_per_period() -> dict[str, str]:
    """Each code's pattern of a count of administrations per period ("two injections a week" -> BIW)."""
    spec = _FREQUENCY_WORDS["administrations"]
    nouns = "|".join(re.escape(noun) for noun in spec["nouns"])
    per = "|".join(re.escape(word) + r"\s*" for word in spec["per"])
    patterns: dict[str, list[str]] = {}
    for period in spec["periods"].values():
        words = "|".join(re.escape(word) for word in period["words"])
        for count, code in period["codes"].items():
            counts = "|".join(
                re.escape(word).replace(r"\ ", r"\s+")
                for word, n in spec["counts"].items()
                if str(n) == count
            )
            patterns.setdefault(code, []).append(rf"\b(?:{counts})\s+(?:{nouns})\s+(?:{per})(?:{words})\b")
    return {code: "|".join(alternatives) for code, alternatives in patterns.items()}


def _with_frequency_words(patterns: list[tuple[str, str]]) -> list[tuple[str, str]]:
    extra = _administrations_per_period()
    for code, words in _FREQUENCY_WORDS["words"].items():
        extra[code] = "|".join(filter(None, [extra.get(code), _phrases(words)]))
    return [(name, pattern + ("|" + extra[name] if name in extra else "")) for name, pattern in patterns]


_FREQUENCY = word_start_regex(
    [
        (name if name != "once" else "ONCE", pattern)
        for name, pattern in _with_frequency_words(_FREQUENCY_PATTERNS)
    ]
)


def _every_code(count: float, unit: str) -> str | None:
    unit = unit.lower()
    if unit.startswith("h"):
        hours = {24: "QD", 12: "BID", 8: "TID", 6: "QID", 48: "QOD", 168: "QW"}
        return hours.get(int(count), f"Q{int(count)}H")
    if unit.startswith("d"):
        # "every 30 days" is monthly (the spec).
        days = {
            1: "QD",
            2: "QOD",
            7: "QW",
            14: "Q2W",
            21: "Q3W",
            28: "Q4W",
            30: "QM",
            42: "Q6W",
            56: "Q8W",
            84: "Q12W",
        }
        return days.get(int(count), f"Q{int(count)}D")
    if unit.startswith("w"):
        return "QW" if count == 1 else f"Q{int(count)}W"
    if unit.startswith("m"):
        return "QM" if count == 1 else f"Q{int(count)}M"
    return None


def find_frequencies(text: str) -> list[Span]:
    spans: list[Span] = []
    for match, kind in _FREQUENCY.finditer(text):
        if kind == "EVERY":
            groups = [g for g in match.groups() if g is not None]
            # groups: the whole EVERY alternative first, then number and unit of whichever form matched
            number, unit = groups[-2], groups[-1]
            try:
                code = _every_code(number_value(number), unit)
            except ValueError:
                code = None
            if code is None:
                continue
            spans.append((match.start(), match.end(), code))
        elif kind == "VARIABLE":
            spans.append((match.start(), match.end(), VARIABLE))
        else:
            spans.append((match.start(), match.end(), "once" if kind == "ONCE" else kind))
    return spans


# "In a 21-day-administration cycle, A ... on days 1, 3 and 5. B ... on day 1": a cycle a sentence opens with
# frames the days named after it, as "day 1 of each cycle" does.
CYCLE_FRAME = re.compile(
    r"(?:^|[.;:]\s*)(?:in|during|within)\s+(?:a|each|every|one)\s+\d+[-\s]?(?:day|week)s?\b[^.;,]{0,30}?\bcycles?\b",
    re.IGNORECASE,
)


# Cycle length without an explicit "every": "of each 21-day cycle", "(28-day cycle)", "every 3-week cycle".
CYCLE = re.compile(
    # "each 21-28 day cycle" names no single cycle length.
    # "21-day EC cycles" (a regimen's acronym), "each cycle lasts 35 days", "21 days as a cycle".
    # "In a 21-day-administration cycle": the cycle's noun may be hyphened on.
    r"\b(?<!\d-)(?<!\d\s-)(?<!\d\s-\s)(?<!\dto\s)(?<!\d\sto\s)(\d+)[-\s]?(day|week)s?[-\s]+(?:\([^)]{0,30}\)\s*)?"
    r"(?:(?:treatment|chemotherapy|administration)[-\s]+|(?-i:[A-Z]{2,6})\s+)?cycles?\b|"
    r"\bcycles?\s+(?:of\s+|length\s+(?:of\s+)?|is\s+|lasts\s+|=\s*)?(\d+)\s*"
    r"(day|week)s?\b|\bcycled?\s+(?:is\s+)?repeated\s+every\s+(\d+)\s*(day|week)s?\b|"
    r"\b(\d+)\s*(day|week)s?\s+(?:per|as\s+(?:a|one))\s+(?:treatment\s+)?cycle\b",
    re.IGNORECASE,
)


def cycle_frequency(text: str) -> Span | None:
    # Every form names a "cycle" (no letter of which case-folds to another): most texts do not.
    if "cycle" not in text.lower():
        return None
    match = CYCLE.search(text)
    if match is None:
        return None
    groups = [g for g in match.groups() if g is not None]
    length, unit = int(groups[0]), groups[1]
    days = length * 7 if unit.lower().startswith("w") else length
    code = _every_code(days, "days")
    return (match.start(), match.end(), code) if code else None


_ROUTE_PATTERNS: list[tuple[str, str]] = [
    (
        "iv",
        r"\bintra-?venous(?:ly)?\b|\bi\.v\.?(?![a-z])|\biv\b(?!\s*(?:stage|grade|class))|\bi\.v\b|\bivpb\b|\bconiv\b|"
        r"\bintravenous\s+drip\b|\b(?:iv|i\.v\.)\s+push\b|\bi\.?v\.?\s?gtt\b|\bivdrip\b|\bdrip\s+infusion\b|\binfused\b|\binfusions?\b|"
        r"\bbolus\b|\bvenous\b|\b(?:by|into|in)\s+(?:a\s+|the\s+)?vein\b",
    ),
    (
        "sc",
        r"\bsub-?cutaneous(?:ly)?\b|\bs\.c\.?(?![a-z])|\bs/c\b|\bsc\b|\bsub-?q\b|\bs\.q\.?(?![a-z])|\bsq\b|\bsubcut\b|"
        r"\bunder\s+the\s+skin\b",
    ),
    (
        "im",
        r"\bintra-?muscular(?:ly)?\b|\bi\.m\.?(?![a-z])|\b(?:into|to|in)\s+(?:the\s+)?muscles?\b|"
        r"\bmuscle\s+injections?\b|\b(?:deltoid|gluteal|vastus\s+lateralis)\b",
    ),
    (
        "oral",
        r"\bp\.?o\.?\b(?![a-z])|\bper\s+os\b|\borally\b|\boral\b|\bby\s+mouth\b|\bv\.o\.?(?![a-z])|"
        r"\bper\s+oral\b|\bswallow(?:ed)?\b|\bdrink\b|\bingest(?:ed)?\b",
    ),
    (
        "inhaled",
        r"\binhal(?:ed|ation|er|ers|ational)\b|\bnebuli[sz](?:ed|er|ation)\b|\baerosol(?:i[sz]ed)?\b|"
        r"\bvia\s+(?:an?\s+)?(?:aerolizer|diskus|handihaler|turbuhaler|respimat|ellipta|breezhaler|spacer)\b|"
        r"\bdpi\b|\bp?mdi\b|\bdry\s+powder\b|\bmetered[-\s]dose\b",
    ),
    (
        "intranasal",
        r"\bintra-?nasal(?:ly)?\b|\bnasal\s+spray\b|\bnasally\b|\bnose\s+spray\b|"
        r"\b(?:into|in|per|to)\s+(?:the\s+|each\s+|both\s+)*(?:nostrils?|nares)\b",
    ),
    ("sublingual", r"\bsub-?lingual(?:ly)?\b|\bunder\s+the\s+tongue\b"),
    ("buccal", r"\bbuccal(?:ly)?\b"),
    ("transdermal", r"\btrans-?dermal(?:ly)?\b|\bpatch(?:es)?\b"),
    (
        "topical",
        r"\btopical(?:ly)?\b|\bcream\b|\bointment\b|\bgel\b|\blotion\b|\bcutaneous(?:ly)?\b|"
        r"\bapplied\s+to\s+the\s+skin\b",
    ),
    (
        "rectal",
        r"\brectal(?:ly)?\b|\bsuppositor(?:y|ies)\b|\benemas?\b|\bper\s+rectum\b|\binto\s+(?:the\s+)?colon\b",
    ),
    ("vaginal", r"\b(?:intra)?vaginal(?:ly)?\b|\bpessar(?:y|ies)\b"),
    ("intrathecal", r"\bintra-?thecal(?:ly)?\b"),
    # "nasogastric administration", "via nasogastric tube": a feeding tube through the nose (R5, as written).
    ("nasogastric", r"\bnaso-?gastric(?:ally)?\b"),
    # "caudal block"; "caudal force pressure" is a direction, not a route.
    (
        "epidural",
        r"\bepidural(?:ly)?\b|\bcaudal(?=\s+(?:epidural|block|injections?|an(?:a)?esthesia|analgesia)\b)",
    ),
    ("intravitreal", r"\bintra-?vitreal(?:ly)?\b"),
    ("intratumoral", r"\bintra-?tumou?ral(?:ly)?\b"),
    ("intraperitoneal", r"\bintra-?peritoneal(?:ly)?\b|\bi\.p\.(?![a-z])"),
    ("intradermal", r"\bintra-?dermal(?:ly)?\b"),
    ("intra-articular", r"\bintra-?articular(?:ly)?\b"),
    ("intravesical", r"\bintra-?vesical(?:ly)?\b"),
    ("intra-arterial", r"\bintra-?arterial(?:ly)?\b|\bhepatic\s+arterial\b"),
    # Any other "intra-" site the text gives as the route, kept as written (R5: "intradiscal injection",
    # "injected intralesionally"): as an adverb, or before a word of giving, so that a site or a condition
    # ("intraocular pressure", "intracranial haemorrhage", "intraoperative") is not read as a route.
    (
        "site",
        r"\bintra-?[a-z]{3,}?(?:al|ar|ic|ous|ary|ine)(?:ly\b|(?=\s+(?:injections?|infusions?|instillations?|"
        r"administration|delivery|route|bolus|implants?|use)\b))",
    ),
    (
        "ophthalmic",
        r"\bophthalmic\b|\beye\s+drops?\b|\b(?:into|in|per|to)\s+(?:the\s+|each\s+|study\s+|affected\s+)*eyes?\b",
    ),
]
# More route words, kept as data (route_words.json): other registries' languages, inflections, forms, and
# abbreviations that are route words only right after a dose.
_ROUTE_WORDS = packaged_json(__package__, "route_words.json")


_ROUTE_PATTERNS = [
    (name, pattern + ("|" + _phrases(_ROUTE_WORDS["words"][name]) if name in _ROUTE_WORDS["words"] else ""))
    for name, pattern in _ROUTE_PATTERNS
]
_AFTER_DOSE_ROUTE: dict[str, str] = _ROUTE_WORDS["after_dose"]
# Route adjectives written between a dose and its drug's name ("60 mg oral morphine"), as one alternation.
ROUTE_BEFORE_NAME = "|".join(re.escape(word) for word in _ROUTE_WORDS["before_name"])
_AFTER_DOSE_ABBREVIATION = re.compile(r"\b(?:" + "|".join(map(re.escape, _AFTER_DOSE_ROUTE)) + r")\b")
# What ends an amount, its unit or basis just before such an abbreviation ("12 mg IT", "60 mg/m2 IP",
# "(0.5 mg) SL").
_DOSE_END = re.compile(
    r"(?:\d|\b(?:mg|g|mcg|µg|μg|ug|iu|units?|ml|kg|m2|m²|m\^2|day|d|h|dose))\s*\)?\s*,?\s*$", re.IGNORECASE
)
# "Both drugs are given orally": words that refer to every drug a text doses.
EVERY_DOSED_DRUG = re.compile(
    r"\b(?:"
    + "|".join(
        re.escape(word).replace(r"\ ", r"\s+") for word in _ROUTE_WORDS["every_dosed_drug"]["determiners"]
    )
    + r")\s+(?:"
    + "|".join(re.escape(word).replace(r"\ ", r"\s+") for word in _ROUTE_WORDS["every_dosed_drug"]["nouns"])
    + r")\b",
    re.IGNORECASE,
)
# "IM" only in capitals: lower-case "im" is too common a fragment to mean intramuscular; "POs" (taking
# things by mouth, "when tolerating POs") likewise, as "pos" is a common fragment.
# "IA" (intra-arterial, R5) likewise, and never after a stage or class word ("stage IA").
_ROUTE = re.compile(r"(?P<im>\bIM\b)|(?P<oral>\bPOs\b)|(?P<intra_arterial>\bIA\b)")
_ROUTE_CI = word_start_regex([(name.replace("-", "_"), p) for name, p in _ROUTE_PATTERNS])
# Dosage forms that imply a route when no route word is written.
_FORM_ROUTE = word_start_regex(
    [
        (
            "oral",
            r"\b(?:tablets?|tabs?|capsules?|caps|pills?|granules|syrup|oral\s+solution|sachets?|lozenges?|"
            r"dispersible)\b|" + _phrases(_ROUTE_WORDS["forms"]["oral"]),
        ),
        ("inhaled", r"\b(?:puffs?)\b"),
    ]
)
_ROMAN_CONTEXT = re.compile(r"(?:stage|grade|class|type|phase|level|step)\s*$", re.IGNORECASE)
# "confirm absence of intravascular injection": a route the text says is not used.
_NEGATED_ROUTE = re.compile(
    r"\b(?:" + "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in _ROUTE_WORDS["negated_before"]) + r")"
    r"\s+(?:[\w-]+\s+)?$",
    re.IGNORECASE,
)
# "intraarticular (IA) injection": the text's own expansion of a route abbreviation.
_DEFINED_ABBREVIATION = re.compile(r"\s*\(\s*([A-Za-z]{2,4})\s*\)")


def _defined_routes(text: str, spans: dict[int, Span]) -> dict[int, Span]:
    """The spans with each abbreviation the text defines by a route word before it ("intraarticular (IA)")
    read as that route, not as the abbreviation table has it (IA -> intra-arterial)."""
    defined: dict[str, str] = {}
    for start, end, kind in spans.values():
        match = _DEFINED_ABBREVIATION.match(text, end)
        if match and end - start > 4:
            defined[match.group(1).lower()] = kind
    if not defined:
        return spans
    return {
        start: (start, end, defined.get(text[start:end].lower(), kind))
        for start, (_, end, kind) in spans.items()
    }


def find_routes(text: str) -> list[Span]:
    spans: dict[int, Span] = {}
    found = _ROUTE_CI.finditer(text)
    if "IM" in text or "POs" in text or "IA" in text:
        found += [(m, m.lastgroup or "") for m in _ROUTE.finditer(text)]
    for match, name in found:
        kind = name.replace("_", "-")
        start, end = match.span()
        if kind == "site":
            kind = text[start:end].lower().removesuffix("ly")
        if kind in {"iv", "intra-arterial"} and end - start == 2 and _ROMAN_CONTEXT.search(text, 0, start):
            continue
        if kind == "sc" and text[start:end] == "SC" and text[end : end + 1] == "L":
            continue
        if _NEGATED_ROUTE.search(text, max(0, start - 40), start):
            continue
        spans.setdefault(start, (start, end, kind))
    for match in _AFTER_DOSE_ABBREVIATION.finditer(text):
        if _DOSE_END.search(text, max(0, match.start() - 16), match.start()):
            spans.setdefault(match.start(), (match.start(), match.end(), _AFTER_DOSE_ROUTE[match.group()]))
    if "(" in text:
        spans = _defined_routes(text, spans)
    return sorted(spans.values())


def find_form_routes(text: str) -> list[Span]:
    return [(m.start(), m.end(), name or "oral") for m, name in _FORM_ROUTE.finditer(text)]


DURATION = re.compile(
    r"\b(?:for|x|×|during|over\s+a\s+period\s+of|total\s+duration\s*:?|lasting)\s*(?:a\s+(?:total\s+of\s+|"
    r"period\s+of\s+)?|up\s+to\s+|the\s+(?:first|next)\s+|another\s+|at\s+least\s+)?"
    r"(" + NUMBER_WORD + r")(?:\s*(?:-|to|~)\s*(" + NUMBER_WORD + r"))?\s*(?:consecutive\s+|more\s+)?"
    r"(minutes?|mins?|hours?|hrs?|days?|weeks?|wks?|months?|mos?|years?|yrs?|cycles?|courses?|doses?)\b",
    re.IGNORECASE,
)

# Role of a dose in the regimen, read from the words just before it.
ROLE = re.compile(
    r"\b(loading|maintenance|induction|consolidation|starting|initial|booster|priming|test|escalat\w*|"
    r"tapering|taper|titrat\w*|rescue|premedication|pre-?medication|conditioning|boost)\b",
    re.IGNORECASE,
)
_ROLE_MAP = {
    "starting": "starting",
    "initial": "starting",
    "tapering": "taper",
    "taper": "taper",
    "boost": "booster",
    "pre-medication": "premedication",
    "premedication": "premedication",
}


def role_word(word: str) -> str:
    lowered = word.lower()
    if lowered.startswith("escalat"):
        return "escalation"
    if lowered.startswith("titrat"):
        return "titration"
    return _ROLE_MAP.get(lowered, lowered)


PULSE = re.compile(r"\bpulses?\b|\bpulsed\b", re.IGNORECASE)
TOTAL = re.compile(r"\b(?:total|cumulative|toal)(?:\s+(?:dose|amount|of))?\b|\bin\s+total\b", re.IGNORECASE)
MAX_CUE_AFTER = re.compile(r"^\s*\)?\s*(?:max(?:imum)?|maximal|cap(?:ped)?)\b", re.IGNORECASE)
MAX_CUE_BEFORE = re.compile(
    r"(?:max(?:imum)?\.?|maximal|not\s+(?:to\s+)?exceed(?:ing)?|no\s+more\s+than|capped\s+at|cap\s+of|"
    r"ceiling\s+of|up\s+to\s+a\s+max(?:imum)?\s+of)\s*(?:dose\s+)?(?:of\s+)?(?:\w+\s+)?(?:dose\s+)?(?:of\s+)?:?\s*\(?$",
    re.IGNORECASE,
)
# Words between a number and a formulation noun that make the number a product strength.
FORM_NOUN = re.compile(
    r"\s*[;,]?\s*(?:(?:oral|film-coated|dispersible|enteric-coated|chewable|extended-release|modified-release|"
    r"liquid|soft|hard|gelatin|coated|scored)\s+)*(capsules?|tablets?|tabs?|vials?|ampoules?)\b",
    re.IGNORECASE,
)


@functools.cache
def fixed_combinations() -> dict[tuple[str, str], tuple[str, frozenset[tuple[float, float]]]]:
    """Marketed fixed-dose combinations (fixed_combinations.json): components in the product's order ->
    (unit, strengths)."""
    raw = packaged_json(__package__, "fixed_combinations.json")
    return {
        (product["components"][0], product["components"][1]): (
            product.get("unit", "mg"),
            frozenset((float(a), float(b)) for a, b in product["strengths"]),
        )
        for product in raw["products"]
    }


@functools.cache
def marketed_strength_pairs() -> frozenset[tuple[str, float, float]]:
    """Every (unit, first, second) strength pair some marketed combination is sold in, in its order."""
    return frozenset((unit, a, b) for unit, pairs in fixed_combinations().values() for a, b in pairs)
