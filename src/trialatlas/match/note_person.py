"""Who the patient is, from a note: age, sex, birth date, pregnancy, breastfeeding, menopause,
consent and compliance, and how long ago an event was ("two years ago", "at age 12")."""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal

from trialatlas.extract.criteria.negation import note_context_of
from trialatlas.extract.criteria.vocab import NUMBER_WORD_PATTERN, number_value
from trialatlas.match.patient_model import PatientProfile

_AGE = re.compile(
    r"\b(?P<n>\d{1,3}(?:\.\d)?)\s*[- ]?\s*(?P<unit>years?|yrs?|months?|mos?|weeks?|wks?|days?)"
    r"[- ]?(?:old|of\s+age)\b"
    # "22yo F", "75 yo M": a sex code right after the age is the patient's sex.
    r"|\b(?P<n2>\d{1,3})\s*(?:yo|y/o|y\.o\.|year-old|yr-old)\b(?:\s*(?P<sexcode3>M|F|male|female)\b(?!/))?"
    # "at age 12" dates a past event, not the patient's age now.
    r"|(?<!\bat\s)(?<!\bat\sthe\s)\b(?:aged?|age:?|turned)\s+(?P<n3>\d{1,3})\b"
    r"|\b(?P<n5>\d{1,3})(?:st|nd|rd|th)\s+birthday\b"
    r"|^\s*(?:(?:a|an)\s+)?(?P<n4>\d{1,3})\s*(?:-?\s*(?:year|yr)s?)?\s*(?P<sexcode>M|F|male|female|man|woman)\b"
    r"|^\s*(?P<sexcode2>male|female|man|woman|boy|girl)\s*,\s*(?P<n6>\d{1,3})\s*[,.;]",
    re.IGNORECASE,
)
_FEMALE = re.compile(
    r"\b(?:woman|women|female|she|her|girl|lady|mother|wife|pregnan\w*|gravida|mrs|ms)\b", re.I
)
_MALE = re.compile(r"\b(?:man|men|male|he|his|him|boy|gentleman|husband|father|mr)\b", re.I)
_PREGNANT = re.compile(
    r"\b(?:is|currently|now)?\s*pregnant\b|\bweeks?\s+(?:of\s+)?gestation\b|\bgestational\s+age\b|"
    r"\b(?:G\d+P\d+|gravida)\b|\b(?:first|second|third)\s+trimester\b"
    # A positive test, however the note writes it: "a urine pregnancy test today was positive".
    r"|\bpregnancy\s+test\b[^.;]{0,80}?\b(?:is|was|were|came\s+back)\s+positive\b"
    r"|\bpregnancy\s+test\s*[:,-]?\s*positive\b|\bpositive\s+(?:\w+\s+){0,2}pregnancy\s+test\b"
    r"|\bpositive\s+(?:(?:serum|urine|urinary|quantitative|qualitative)\s+)?(?:beta-?\s*)?hcg\b",
    re.IGNORECASE,
)
_NOT_PREGNANT = re.compile(
    r"\b(?:not|non-?)\s*pregnant\b|\bnegative\s+(?:\w+\s+){0,2}pregnancy\s+test\b|\bpostmenopausal\b"
    r"|\bpregnancy\s+test\b[^.;]{0,80}?\b(?:is|was|were|came\s+back)\s+negative\b|\b(?:beta-?\s*)?hcg\b[^.;]{0,20}\bnegative\b"
    r"|\bpregnancy\s+(?:is|was|has\s+been|had\s+been)\s+(?:ruled\s+out|excluded)\b"
    # A result written right after the test, as a list entry: "Serum pregnancy test negative".
    r"|\bpregnancy\s+test\s*[:,-]?\s*negative\b"
    r"|\bnegative\s+(?:(?:serum|urine|urinary|quantitative|qualitative)\s+)?(?:beta-?\s*)?hcg\b",
    re.I,
)
_LACTATING = re.compile(
    r"\b(?:breast[- ]?feed(?:ing|s)?|lactating|lactation|"
    r"nursing(?!\s+(?:home|facility|facilities|staff|care|student|students|assistant|notes?)))\b",
    re.I,
)
_LAST_PERIOD = re.compile(
    r"\b(?:last\s+menstrual\s+period|LMP|last\s+(?:menstrual\s+)?period|last\s+menses)\b[^.;]{0,40}?"
    r"\b(?:\d+(?:\.\d+)?|[a-z]+)\s+(?:days?|weeks?|months?|years?)\s+ago\b",
    re.I,
)
# "She is menopausal": a woman who has reached menopause (not "menopausal symptoms", which a woman
# nearing it may have).
_MENOPAUSE = re.compile(
    r"\b(?:post-?menopaus\w*|in\s+menopause|menopause|(?:is|was|became|now)\s+menopausal)\b", re.I
)
# A woman who menstruates (or is said to be premenopausal) has not reached menopause.
_MENSTRUATING = re.compile(
    r"\b(?:pre-?menopausal|premenstrual|menses|menstruat\w+|menstrual\s+(?:pain|cramps|cycles?|bleeding)|"
    r"(?:her|heavy|irregular|regular|painful|monthly)\s+(?:menstrual\s+)?periods?)\b",
    re.I,
)
_CONSENT = re.compile(
    r"\b(?:provide|give|gave|given|sign\w*)\s+(?:written\s+)?(?:informed\s+)?consent\b", re.I
)
_COMPLY = re.compile(r"\bcomply\b|\bcompliance\b|\bwithout\s+any\s+practical\s+issues\b", re.I)

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH_YEAR = (
    r"(?:(?P<{m}>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+)?(?P<{y}>(?:19|20)\d\d)\b"
)
_BORN = re.compile(r"\bborn\s+(?:in\s+|on\s+)?" + _MONTH_YEAR.format(m="m", y="y"), re.IGNORECASE)
_DATED = re.compile(r"\b(?:in|on|as\s+of)\s+" + _MONTH_YEAR.format(m="m", y="y"), re.IGNORECASE)


def _month_year(match: re.Match[str]) -> dt.date:
    # Mid-month: a date known to the month is at most half a month off either way.
    month = _MONTHS.index(match["m"][:3].lower()) + 1 if match["m"] else 7
    return dt.date(int(match["y"]), month, 15 if match["m"] else 1)


def birth_from(note: str) -> tuple[dt.date | None, dt.date | None]:
    """A birth month/year and the date the note describes when it says one after it ("seen in …")."""
    born = _BORN.search(note)
    if born is None:
        return None, None
    dated = [_month_year(m) for m in _DATED.finditer(note, born.end())]
    return _month_year(born), (dated[0] if dated else None)


def sex_from(sentences: list[str]) -> Literal["female", "male"] | None:
    """The sex the note's words point to more often ("she", "woman" vs "he", "man"), or None when even."""
    female = sum(len(_FEMALE.findall(s)) for s in sentences)
    male = sum(len(_MALE.findall(s)) for s in sentences)
    if female == male:
        return None
    return "female" if female > male else "male"


def age_from(text: str) -> tuple[float | None, Literal["female", "male"] | None]:
    for match in _AGE.finditer(text):
        if match["n"]:
            value = float(match["n"])
            unit = match["unit"].lower()[0]
            factor = {"y": 1.0, "m": 1 / 12, "w": 7 / 365.25, "d": 1 / 365.25}[unit]
            return value * factor, None
        if match["n2"] and match["sexcode3"]:
            code = match["sexcode3"].lower()
            return float(match["n2"]), "female" if code.startswith("f") else "male"
        for group in ("n2", "n3", "n5"):
            if match[group]:
                return float(match[group]), None
        if match["n4"]:
            code = match["sexcode"].lower()
            return float(match["n4"]), "female" if code.startswith(("f", "w")) else "male"
        if match["n6"]:  # "Woman, 45. …"
            code = match["sexcode2"].lower()
            return float(match["n6"]), "female" if code.startswith(("f", "w", "g")) else "male"
    return None, None


# Words of a woman's periods as they are now ("heavy, irregular periods", "menstrual pain"), not of a
# status ("premenopausal") or a cycle's absence ("amenorrhea" never matches).
_PERIODS_NOW = re.compile(
    r"\b(?:premenstrual|menses|menstruat\w+|menstrual\s+(?:pain|cramps|cycles?|bleeding)|"
    r"(?:heavy|irregular|regular|painful|monthly)\s+(?:menstrual\s+)?periods?|"
    r"(?:spotting|bleeding)\s+between\s+periods)\b",
    re.I,
)


def menstruates_now(sentences: list[str]) -> bool:
    """Whether the note describes the woman's current periods as a complaint or a finding ("severe
    premenstrual and menstrual pelvic pain, heavy, irregular periods"), not denied or past."""
    for sentence in sentences:
        for match in _PERIODS_NOW.finditer(sentence):
            context = note_context_of(sentence, *match.span())
            if not context.negated and context.historical is None and context.hypothetical is None:
                return True
    return False


def read_person_status(profile: PatientProfile, sentence: str) -> None:
    """Pregnancy, breastfeeding, menopause, consent and compliance as one sentence of the note gives them."""
    if _NOT_PREGNANT.search(sentence):
        profile.pregnant = profile.pregnant or False
    elif (pregnant := _PREGNANT.search(sentence)) is not None:
        context = note_context_of(sentence, *pregnant.span())
        # "She would like to get pregnant in a few years" says nothing of now.
        if not context.negated and context.hypothetical is None:
            profile.pregnant = True
    if (lactating := _LACTATING.search(sentence)) is not None:
        # "Not pregnant, not breastfeeding", "She is not breast-feeding": the note says she is not.
        context = note_context_of(sentence, *lactating.span())
        # A wish ("would like to breastfeed") says nothing of now; a denial does.
        if context.negated or context.hypothetical is None:
            said = not context.negated
            profile.lactating = said if profile.lactating is None else (profile.lactating or said)
    last_period = _LAST_PERIOD.search(sentence)
    if last_period is not None and profile.postmenopausal is None:
        # Menopause is twelve months without a period (after 40, when it is not a pregnancy's).
        months = days_ago(last_period.group(0), profile.age_years)
        aged = profile.age_years is not None and profile.age_years >= 40
        if months is not None and months >= 365 and aged and not profile.pregnant:
            profile.postmenopausal = True
        elif months is not None and months < 60:
            profile.postmenopausal = False
    elif _MENOPAUSE.search(sentence) and not _MENSTRUATING.search(sentence):
        profile.postmenopausal = True
    elif _MENSTRUATING.search(sentence) and profile.postmenopausal is None:
        profile.postmenopausal = False
    if _CONSENT.search(sentence):
        profile.consent = True
    if _COMPLY.search(sentence):
        profile.compliance = True


_AGO = re.compile(
    rf"\b(?P<amount>\d+(?:\.\d+)?|{NUMBER_WORD_PATTERN})\s+(?P<unit>days?|weeks?|months?|years?)\s+"
    r"(?:ago|earlier|before\s+(?:admission|presentation))\b"
    r"|\bat\s+(?:the\s+)?age\s+(?:of\s+)?(?P<age>\d{1,3})\b",
    re.IGNORECASE,
)
_UNIT_DAYS = {"day": 1.0, "week": 7.0, "month": 30.44, "year": 365.25}


def days_ago(clause: str, age_years: float | None) -> float | None:
    """How long ago the clause's event was ("a stroke two years ago", "broke her wrist at age 12"),
    when it says so once; two different times leave it unsaid."""
    found: set[float] = set()
    for match in _AGO.finditer(clause):
        if match["age"] is not None:
            if age_years is not None and float(match["age"]) <= age_years:
                found.add((age_years - float(match["age"])) * 365.25)
            continue
        amount = number_value(match["amount"])
        if amount is not None:
            found.add(amount * _UNIT_DAYS[match["unit"].lower().rstrip("s")])
    return found.pop() if len(found) == 1 else None
