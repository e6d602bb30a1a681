"""Qualifiers read the same way in criteria and in patient notes: disease class / stage / grade lists,
the course of a disease (active, in remission, relapsed, previously treated, newly diagnosed), dose
limits with their units (mg, mg/kg, mg/m², per day), routes of medicines (topical, inhaled, oral,
"systemic"), and elliptic lists ("Hepatitis B and C").

The words are data (``vocab/qualifiers.json``); this module only reads them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any, Literal

from trialatlas.extract.criteria.vocab import conditions, number_value
from trialatlas.text.numbers import number_words
from trialatlas.text.packaged import packaged_json

ClassKind = Literal["class", "stage", "grade"]

_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7, "viii": 8}
# Unicode roman numerals (Ⅰ … Ⅷ) as registries from some countries write them.
_UNICODE_ROMAN = {chr(0x2160 + n): n + 1 for n in range(8)} | {chr(0x2170 + n): n + 1 for n in range(8)}
_UNICODE_CLASS = "".join(_UNICODE_ROMAN)
_ONE = rf"(?:[ivx]{{1,4}}|[{_UNICODE_CLASS}]|\d)[abc]?"
_VALUE = rf"{_ONE}(?:\s*\+\s*{_ONE})?"
_JOIN = r"\s*(?:,\s*(?:and/or|or|and)\b|,|/|\band/or\b|\bor\b|\band\b|\bto\b|-|–|through)\s*"


@cache
def qualifier_vocab() -> dict[str, Any]:
    data: dict[str, Any] = packaged_json("trialatlas.extract.criteria", "vocab", "qualifiers.json")
    return data


@cache
def _class_pattern() -> re.Pattern[str]:
    words = sorted(
        (w for names in qualifier_vocab()["class_words"].values() for w in names), key=len, reverse=True
    )
    alternation = "|".join(re.escape(w) for w in words)
    return re.compile(
        rf"(?<![\w-])(?:isn\s*/\s*rps\s*(?:\d{{4}}\s*)?(?:histopatholog\w*\s+)?)?(?P<word>{alternation})"
        rf"(?:\s+(?:of\s+)?)?\s*(?P<values>{_VALUE}(?:{_JOIN}{_VALUE})*)(?![\w])"
        rf"(?P<upward>\s*(?:or|and)\s+(?:higher|greater|above|more|worse)|\s*\+(?![\w]))?",
        re.IGNORECASE,
    )


@cache
def _class_kind_of() -> dict[str, ClassKind]:
    return {w: kind for kind, names in qualifier_vocab()["class_words"].items() for w in names}


def _number(token: str) -> str | None:
    """ "IIIb" → "3b", "Ⅳ" → "4", "2" → "2": the number with its sub-stage letter, if any."""
    token = token.strip().lower()
    letter = ""
    if token[-1:] in ("a", "b", "c") and len(token) > 1:
        token, letter = token[:-1], token[-1]
    if token in _ROMAN:
        return f"{_ROMAN[token]}{letter}"
    if token in _UNICODE_ROMAN:
        return f"{_UNICODE_ROMAN[token]}{letter}"
    return f"{int(token)}{letter}" if token.isdigit() else None


def _value(token: str) -> str | None:
    parts = [_number(p) for p in token.split("+")]
    if any(p is None for p in parts):
        return None
    return "+".join(sorted(p for p in parts if p is not None))


def stage_base(value: str) -> str:
    """The whole stage of a sub-stage ("3b" → "3"); a mixed class is its own base."""
    return value.rstrip("abc") if "+" not in value else value


# The highest of each kind: "grade 2 or higher" runs to the top of the scale.
_TOP = {"grade": 5, "stage": 4, "class": 6}


@dataclass(frozen=True)
class ClassList:
    """A set of classes, stages or grades ("ISN/RPS classes III to V" → class {3, 4, 5})."""

    start: int
    end: int
    kind: ClassKind
    values: tuple[str, ...]


def find_classes(text: str) -> list[ClassList]:
    """Every class / stage / grade list in ``text``, ranges expanded, roman numerals as numbers."""
    found: list[ClassList] = []
    for match in _class_pattern().finditer(text):
        kind = _class_kind_of().get(match["word"].lower(), "class")
        raw = match["values"]
        tokens = re.split(rf"({_JOIN})", raw, flags=re.IGNORECASE)
        values: list[str] = []
        previous: str | None = None
        pending_range = False
        for token in tokens:
            stripped = token.strip().lower()
            if not stripped:
                continue
            if re.fullmatch(_JOIN.strip(r"\s*"), stripped) or stripped in (
                ",",
                "/",
                "-",
                "–",
                "to",
                "and",
                "or",
            ):
                pending_range = stripped in ("to", "-", "–", "through")
                continue
            value = _value(stripped)
            if value is None:
                break
            if pending_range and previous is not None and "+" not in previous and "+" not in value:
                low, high = int(stage_base(previous)), int(stage_base(value))
                values.extend(str(n) for n in range(low + 1, high))
            values.append(value)
            previous, pending_range = value, False
        if values and match["upward"] and "+" not in values[-1]:
            values.extend(str(n) for n in range(int(stage_base(values[-1])) + 1, _TOP[kind] + 1))
        if values:
            found.append(ClassList(match.start(), match.end(), kind, tuple(dict.fromkeys(values))))
    return found


def class_words() -> frozenset[str]:
    return frozenset(_class_kind_of())


def is_class_token(word: str) -> bool:
    """Whether ``word`` is a class word or numeral ("type", "V", "Ⅲ"), not a qualifier of the disease."""
    lowered = word.lower()
    return lowered in _class_kind_of() or _value(lowered) is not None


def _alternation(words: list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


@cache
def _course_pattern() -> tuple[re.Pattern[str], dict[str, frozenset[str]]]:
    """One alternation of every course word, longest first (so "untreated" is new, not "treated", and
    "in remission" is read once), and the courses each word states."""
    courses: dict[str, set[str]] = {}
    for course, words in qualifier_vocab()["course"].items():
        for word in words:
            courses.setdefault(word.lower(), set()).add(course)
    pattern = re.compile(rf"(?<![\w-])(?:{_alternation(list(courses))})(?![\w-])", re.IGNORECASE)
    return pattern, {word: frozenset(found) for word, found in courses.items()}


@lru_cache(maxsize=8192)
def course_of(text: str) -> frozenset[str]:
    """The courses a phrase states ("previous history of treatment and relapse of" → treated, relapse)."""
    pattern, courses = _course_pattern()
    found: set[str] = set()
    for match in pattern.finditer(text):
        found |= courses.get(" ".join(match.group(0).lower().split()), frozenset())
    return frozenset(found)


@lru_cache(maxsize=4096)
def name_courses(concept: str | None) -> frozenset[str]:
    """The courses every name of a condition carries ("acute" in acute myeloid leukaemia, acute kidney
    injury): part of what the disease is, not a course a mention of it states."""
    names = conditions().get(concept or "", {}).get("names", [])
    if not names:
        return frozenset()
    return frozenset.intersection(*(course_of(name) for name in names))


def mention_course(text: str, start: int, end: int, concept: str | None) -> frozenset[str]:
    """The courses the words of ``text`` around a condition's mention (``start``–``end``) state, the
    ones its own name carries left out ("relapsed acute myeloid leukaemia": relapse, not new)."""
    own = course_of(text[start:end]) - name_courses(concept)
    return own | course_of(text[:start] + " , " + text[end:])


def course_conflicts(wanted: set[str], stated: set[str]) -> list[tuple[str, str]]:
    """Pairs (wanted, stated) of courses that cannot both hold ("relapsed" vs "newly diagnosed", "chronic"
    vs "acute"); a course the patient's mention states itself is not contradicted by its other words
    ("acute on chronic pancreatitis" is chronic)."""
    pairs = {frozenset(p) for p in qualifier_vocab()["course_conflicts"]}
    return [(w, s) for w in sorted(wanted - stated) for s in sorted(stated) if frozenset((w, s)) in pairs]


# --- doses ------------------------------------------------------------------------------------------

DoseBasis = Literal["kg", "m2"]
_DOSE_OPERATOR = (
    (r"≥|>=|=\s*or\s*>|>\s*or\s*=|at\s+least|not\s+less\s+than|no\s+less\s+than|or\s+more", ">="),
    (
        r"≤|<=|=\s*or\s*<|<\s*or\s*=|at\s+most|up\s+to|(?:not|no)\s+(?:more|greater|higher)\s+than|"
        r"not\s+exceed(?:ing)?",
        "<=",
    ),
    (r">|greater\s+than|more\s+than|higher\s+than|above|over|exceed(?:ing|s)?|in\s+excess\s+of", ">"),
    (r"<|less\s+than|lower\s+than|below|under", "<"),
)
# "twice daily", "3 times a day": doses a day in words, from one to six.
_TIMES = number_words("times").pattern()
_COUNTS = number_words(low=1, high=6).pattern()
_DOSE = re.compile(
    r"(?P<op>=\s*or\s*[<>]|[<>]\s*or\s*=|≥|>=|≤|<=|>|<|at\s+least|(?:not|no)\s+less\s+than|at\s+most|up\s+to|"
    r"(?:not|no)\s+(?:more|greater|higher)\s+than|not\s+exceed(?:ing)?|greater\s+than|more\s+than|higher\s+than|"
    r"above|over|"
    r"exceed(?:ing|s)?|in\s+excess\s+of|less\s+than|lower\s+than|below|under)?\s*(?:a\s+dose\s+of\s+)?"
    r"(?P<value>\d+(?:\.\d+)?)\s*(?P<unit>mg|g|mcg|µg|μg|ug)\b"
    r"(?:\s*/\s*(?P<basis>kg|m2|m²|m\^2)\b)?"
    r"(?:\s*(?:/\s*|per\s+|a\s+)(?P<per>d|day|daily|24\s*h)\b|\s+(?P<daily>daily|a\s+day|per\s+day|qd|/d))?"
    r"(?:\s+(?P<tail>or\s+more|or\s+less))?"
    rf"(?:\s*(?P<times>{_TIMES}|(?:{_COUNTS}|[1-6])\s*(?:x|times))\s+"
    r"(?:a\s+|per\s+)?(?:daily|day)"
    r"|\s*(?P<once>every\s+(?:morning|evening|night|day)|nightly|at\s+bedtime)\b"
    r"|\s*(?P<code>q\.?d\.?|b\.?i\.?d\.?|t\.?i\.?d\.?|q\.?i\.?d\.?)(?![\w])"
    r"|\s*(?:every|q)\s*(?P<hours>\d{1,2})\s*(?:hours?|hrs?|h)\b)?",
    re.IGNORECASE,
)
# What every dose contains (its value and unit, as ``_DOSE`` reads them): one quick search rules out the
# many drug mentions with no dose near them before the long pattern is tried at every character.
_DOSE_VALUE = re.compile(r"\d\s*(?:mg|g|mcg|µg|μg|ug)\b", re.IGNORECASE)
# Doses a day for a frequency: "twice daily", "bid", "every 4 hours".
_CODES = {"qd": 1, "bid": 2, "tid": 3, "qid": 4}
_UNIT_MG = {"mg": 1.0, "g": 1000.0, "mcg": 0.001, "µg": 0.001, "μg": 0.001, "ug": 0.001}


@dataclass(frozen=True)
class Dose:
    """A dose as written: operator (None in a note), value in mg, per kg / m² or per patient, daily or not."""

    start: int
    end: int
    operator: str | None
    mg: float
    basis: DoseBasis | None
    daily: bool


def _dose_operator(text: str | None) -> str | None:
    if not text:
        return None
    for pattern, operator in _DOSE_OPERATOR:
        if re.fullmatch(pattern, text.strip(), re.IGNORECASE):
            return operator
    return None


def find_dose(text: str, start: int = 0, end: int | None = None) -> Dose | None:
    """The first dose in ``text[start:end]`` ("> 20 mg/m²/day", "10 mg daily", "0.5 mg/kg")."""
    end = len(text) if end is None else end
    if _DOSE_VALUE.search(text, start, end) is None:
        return None
    match = _DOSE.search(text, start, end)
    if match is None:
        return None
    operator = _dose_operator(match["op"]) or {"or more": ">=", "or less": "<="}.get(
        (match["tail"] or "").lower()
    )
    basis_text = (match["basis"] or "").lower()
    basis: DoseBasis | None = "kg" if basis_text == "kg" else "m2" if basis_text else None
    mg = float(match["value"]) * _UNIT_MG[match["unit"].lower()]
    per_day = _per_day(match)
    if per_day is not None:
        return Dose(match.start(), match.end(), operator, mg * per_day, basis, True)
    return Dose(match.start(), match.end(), operator, mg, basis, bool(match["per"] or match["daily"]))


def _per_day(match: re.Match[str]) -> float | None:
    """How many doses a day the frequency after a dose gives, if it gives one."""
    if match["times"]:
        word = " ".join(match["times"].lower().split())
        count = re.match(r"\d|[a-z]+", word)
        return (number_value(count.group(0)) if count else None) or 1.0
    if match["once"]:
        return 1.0
    if match["code"]:
        return float(_CODES.get(match["code"].lower().replace(".", ""), 1))
    if match["hours"]:
        hours = int(match["hours"])
        return 24 / hours if 0 < hours <= 24 else None
    return None


@cache
def _equivalents() -> dict[str, Any]:
    data: dict[str, Any] = packaged_json("trialatlas.extract.criteria", "vocab", "dose_equivalents.json")
    return data


def equivalent_factor(reference: str, drugs: list[str]) -> float | None:
    """mg of ``reference`` per mg of the first of ``drugs`` it has an equivalence with (1 for itself)."""
    for table in _equivalents().values():
        if not isinstance(table, dict) or table.get("reference") != reference:
            continue
        for drug in drugs:
            if drug in table["factors"]:
                return float(table["factors"][drug])
    return 1.0 if reference in drugs else None


def is_equivalence_reference(drug: str) -> bool:
    """Whether doses of other drugs are counted in ``drug`` ("10 mg prednisone/day" for any steroid)."""
    return any(isinstance(t, dict) and t.get("reference") == drug for t in _equivalents().values())


def adult_body() -> dict[str, Any]:
    body: dict[str, Any] = qualifier_vocab()["adult_body"]
    return body


# --- elliptic lists ---------------------------------------------------------------------------------

_ELLIPSIS = re.compile(r"\s*(?:,|/|\band/or\b|\band\b|\bor\b|&)\s*(?P<letter>[A-Z])\b(?![\w-])")


def elliptic_names(text: str, name_start: int, name_end: int) -> list[tuple[int, int, str]]:
    """Names a list leaves implicit after ``text[name_start:name_end]``: "Hepatitis B and C" names
    "Hepatitis C" too. Returns ``(start, end, full name)`` for each implicit one."""
    name = text[name_start:name_end]
    head = re.match(r"^(?P<head>.*\S)\s+[A-Z]$", name)
    if head is None:
        return []
    found: list[tuple[int, int, str]] = []
    position = name_end
    while (match := _ELLIPSIS.match(text, position)) is not None:
        found.append((match.start("letter"), match.end("letter"), f"{head['head']} {match['letter']}"))
        position = match.end()
    return found


# A list of single words ending right before a name: "cardiac, renal or " before "hepatic disease".
_SEPARATOR = r"\s*(?:,\s*(?:and/or\s+|or\s+|and\s+)?|\s+and/or\s+|\s+or\s+|\s+and\s+|\s*/\s*)"
_LIST_BEFORE = re.compile(rf"(?:(?<![\w-])[A-Za-z][\w-]*{_SEPARATOR})+$")
_LIST_ITEM = re.compile(rf"(?P<word>[A-Za-z][\w-]*){_SEPARATOR}")


def shared_head_names(text: str, name_start: int, name_end: int) -> list[tuple[int, int, list[str]]]:
    """Names a list shares the head of with ``text[name_start:name_end]``: "cardiac, renal or hepatic
    disease" names a cardiac and a renal disease, "alcohol or drug abuse" an alcohol abuse. Returns
    ``(start, end, candidate names)`` for each word of the list, the candidates longest head first
    ("alcohol drug use", then "alcohol use"): the caller keeps the one its vocabulary knows."""
    words = text[name_start:name_end].split()
    if len(words) < 2:
        return []
    listed = _LIST_BEFORE.search(text[:name_start])
    if listed is None:
        return []
    found: list[tuple[int, int, list[str]]] = []
    for item in _LIST_ITEM.finditer(text, listed.start(), name_start):
        word = item["word"]
        found.append(
            (
                item.start("word"),
                item.end("word"),
                [f"{word} {' '.join(words[k:])}" for k in range(1, len(words))],
            )
        )
    return found


# --- routes ---------------------------------------------------------------------------------------

# Abbreviations of routes are read only as written ("IV", "PO"), and never as a stage or grade ("stage IV").
_NOT_ROUTE_BEFORE = re.compile(r"(?:stage|grade|class|type|phase|level|figo|who)\s*$", re.IGNORECASE)


@cache
def _route_table() -> tuple[dict[str, tuple[str, ...]], re.Pattern[str]]:
    vocab = qualifier_vocab()
    table: dict[str, tuple[str, ...]] = {}
    for route, names in vocab["routes"].items():
        for name in names:
            table[name if _as_written(name) else name.lower()] = (route,)
    for group, names in vocab["route_group_words"].items():
        for name in names:
            table[name.lower()] = tuple(vocab["route_groups"][group])
    written = sorted((n for n in table if _as_written(n)), key=len, reverse=True)
    folded = sorted((n for n in table if not _as_written(n)), key=len, reverse=True)
    alternatives = [re.escape(n) for n in written] + ["(?i:" + re.escape(n) + ")" for n in folded]
    return table, re.compile(r"(?<![\w-])(?:" + "|".join(alternatives) + r")(?![\w-])")


def _as_written(name: str) -> bool:
    return name.isupper() or (name.replace(".", "").isalpha() and "." in name)


def _routes_of(word: str) -> tuple[str, ...]:
    table, _ = _route_table()
    return table.get(word) or table.get(word.lower(), ())


def route_mentions(
    text: str, start: int = 0, end: int | None = None
) -> list[tuple[int, int, tuple[str, ...]]]:
    """The route words in ``text[start:end]``: (start, end, routes named), a group word naming all of
    its routes ("systemic" = oral, intravenous, …)."""
    _, pattern = _route_table()
    found: list[tuple[int, int, tuple[str, ...]]] = []
    for match in pattern.finditer(text, start, len(text) if end is None else end):
        if match.group(0).isupper() and _NOT_ROUTE_BEFORE.search(text, 0, match.start()):
            continue
        found.append((match.start(), match.end(), _routes_of(match.group(0))))
    return found


_ROUTE_JOIN = r"(?:\s*(?:,\s*)?(?:and/or|or|and|,)\s*)"


def routes_before(text: str, start: int) -> tuple[str, ...]:
    """Routes named right before a medicine: "topical steroids", "inhaled or nasal corticosteroids"."""
    routes: list[str] = []
    position = start
    for mention_start, mention_end, named in reversed(route_mentions(text, max(0, start - 60), start)):
        gap = text[mention_end:position]
        if gap.strip() and re.fullmatch(_ROUTE_JOIN, gap) is None:
            break
        routes[:0] = named
        position = mention_start
    return tuple(dict.fromkeys(routes))


_EXEMPT = re.compile(
    r"\s*,?\s*(?:other\s+than|except(?:\s+for)?|excluding|apart\s+from|besides|but\s+not)\s+", re.IGNORECASE
)


def exempt_routes_after(text: str, end: int) -> tuple[tuple[str, ...], int]:
    """Routes a criterion leaves out right after a medicine ("steroids other than topical", "… except
    inhaled or nasal"), and where their words end; ((), end) when there are none."""
    cue = _EXEMPT.match(text, end)
    if cue is None:
        return (), end
    routes: list[str] = []
    position = cue.end()
    for mention_start, mention_end, named in route_mentions(text, position, min(len(text), position + 60)):
        gap = text[position:mention_start]
        if routes and re.fullmatch(_ROUTE_JOIN, gap) is None:
            break
        if not routes and gap.strip():
            break
        routes.extend(named)
        position = mention_end
    if not routes:
        return (), end
    # "other than topical steroids": the class named again is part of the exemption.
    return tuple(dict.fromkeys(routes)), position


def route_groups() -> dict[str, tuple[str, ...]]:
    """The local and the systemic routes."""
    return {group: tuple(routes) for group, routes in qualifier_vocab()["route_groups"].items()}


def systemic_daily_mg_from() -> float:
    value: float = qualifier_vocab()["systemic_daily_mg_from"]
    return value


__all__ = [
    "ClassList",
    "Dose",
    "adult_body",
    "class_words",
    "course_conflicts",
    "course_of",
    "elliptic_names",
    "equivalent_factor",
    "exempt_routes_after",
    "find_classes",
    "find_dose",
    "is_class_token",
    "is_equivalence_reference",
    "qualifier_vocab",
    "route_groups",
    "route_mentions",
    "routes_before",
    "shared_head_names",
    "stage_base",
    "systemic_daily_mg_from",
]
