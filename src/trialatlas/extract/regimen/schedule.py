"""How often a dose is given when no frequency word says so, by the spec's schedule rules
(infer_frequencies); the frequency a dose's own words state is stated_frequency.py's.

Run after every other pass, on items still without a frequency (a stated frequency always wins):

- an amount per period implies that period (mg/day → QD, mg/week → QW), unless the text says in how
  many doses the period's amount is divided ("in two divided doses" → BID);
- rate dosing (mg/kg/h, mcg/kg/min) → continuous;
- a run of consecutive days ("days 1-5", "x 5 days", "days -6 to -2", "days 1 and 2") → QD;
- an evenly spaced list of days or weeks → that interval ("days 1, 8, 15" → QW; "weeks 1, 3, 5" → Q2W),
  an uneven one → nothing;
- a single administration ("a loading dose", one named day of a schedule that does not repeat) → once.

The windows read are the dose's own words: from the dose up to the next dose in its sentence.
"""

from __future__ import annotations

import itertools
import re

from trialatlas.extract.regimen import lexicon
from trialatlas.extract.regimen.lexicon import NUMBER_WORD, cycle_frequency, number_value
from trialatlas.extract.regimen.models import RegimenItem
from trialatlas.extract.regimen.passes import _Doc
from trialatlas.extract.regimen.single_event import before_single_event

# "8 mg/kg IV loading dose": the route or form words of the dose may stand between it and its role.
_LOADING_AFTER = re.compile(
    r"\s*(?:\)\s*)?,?\s*(?:(?:iv|i\.v\.|po|p\.o\.|sc|s\.c\.|im|i\.m\.|intravenous(?:ly)?|oral(?:ly)?|"
    r"subcutaneous(?:ly)?|intramuscular(?:ly)?|infusion|injection|bolus)\s*,?\s*){0,2}"
    # "8 mg/kg loading, then 6 mg/kg": "loading" alone where the dose's words end.
    # "4 mg/kg load week 1; 2 mg/kg weekly thereafter": "load" is said for "loading dose" too.
    # "8mg/kg initial dose (Day 1, loading dose)": the role in brackets after the dose's words, with its day.
    r"(?:(?:initial|first)\s+(?:dose|infusion)\s*)?(?:\(\s*(?:on\s+)?(?:day|d)\s*\d+\s*,\s*)?"
    r"(?:(?:given|administered|infused|injected)\s+)?(?:as\s+(?:a\s+)?|for\s+(?:the\s+)?)?load(?:ing)?(?:\s+(?:dose|bolus|infusion)|"
    r"\s*(?=[,;)]|\s+(?:then|followed|over|given|on|at|in|week|wk|day)\b|\s*$))",
    re.IGNORECASE,
)
_FIRST_BEFORE = re.compile(
    r"\b(?:the\s+)?first\s+(?:dose|infusion|injection|administration)\s+(?:will\s+be|is|was|of)\s*$",
    re.IGNORECASE,
)
# "10mg/kg (2ml/kg), followed by 2 doses of 5mg/kg": a dose that a count of further doses follows is the
# first one, given once (R95).
_FURTHER_DOSES_AFTER = re.compile(
    r"\s*(?:\([^()]{0,30}\)\s*)?,?\s*(?:and\s+)?(?:then\s+)?followed\s+by\s+(?:another\s+)?"
    rf"{NUMBER_WORD}\s+(?:further\s+|more\s+|additional\s+|subsequent\s+)?doses\s+of\b",
    re.IGNORECASE,
)
_DAY_OF_EACH = re.compile(r"\bday\s*\d+\s+(?:of|in)\s+(?:each|every)\b", re.IGNORECASE)
_RUN_BREAK = re.compile(r"[;.]|\bthen\b|\bfollowed\b", re.IGNORECASE)
_ALL = re.compile(r"\b(?:all|each|both)\s+(?:on|given|administered|at)\b", re.IGNORECASE)
_PER_TIME = {"day": "QD", "week": "QW", "hour": "continuous", "min": "continuous"}
_ADMINISTRATIONS = {2: "BID", 3: "TID", 4: "QID"}
_PER_DAY_OF = {"dose": "day", "kg": "kg/day", "m2": "m2/day"}

# "in two divided doses", "split into 2 intakes", "3 doses a day"; not "every 24 hours for 2 doses", a count
# of days' doses.
_DIVIDED = re.compile(
    r"\b(?:in(?:to)?|as)\s+(" + NUMBER_WORD + r")\s+(?:equal(?:ly)?\s+)?(?:divided\s+)?"
    r"(?:doses|administrations|intakes)\b"
    r"|\b(" + NUMBER_WORD + r")\s+(?:equal(?:ly)?\s+)?(?:divided\s+(?:doses|administrations|intakes)\b|"
    r"(?:doses|administrations|intakes)\s+(?:a|per)\s+day\b)"
    # "in two daily doses", "in 2 nightly dosages": a count of a day's administrations, the day word between
    # the count and the dose noun (R139).
    r"|\b(" + NUMBER_WORD + r")\s+(?:daily|nightly)\s+(?:doses|dosages|administrations|intakes)\b"
    r"|\bdivided\s+(?:in(?:to)?\s+)?(" + NUMBER_WORD + r")\s+(?:equal\s+)?doses\b"
    # "2000 mg/m^2 split in 2 approximately every 12 hour": the amount split into that many doses (not
    # "split into 2 groups", people).
    r"|\bsplit\s+(?:in(?:to)?\s+)?(" + NUMBER_WORD + r")\b(?!\s*(?:groups?|arms?|cohorts?|%))",
    re.IGNORECASE,
)
# A day word, or its abbreviation "D" ("D1-4", "D-5"); "vitamin D3" names a vitamin, not a day.
_DAY_WORD = r"(?:days?|(?<!vitamin\s)(?<!vit\.\s)(?<!vit\s)d)"
_DAY_RUN = re.compile(
    rf"\b{_DAY_WORD}\s*(-?\d+)\s*(?:-|to|through|thru|until)\s*(?:(?:days?|d)\s*)?(-?\d+)\b"
    r"|\b(?:x|×|for|during|over)\s*(" + NUMBER_WORD + r")\s+(?:consecutive\s+)?days?\b(?!\s*[-+]?\d)"
    r"|\b(" + NUMBER_WORD + r")\s+(?:consecutive\s+days\b|days\s+in\s+a\s+row\b)"
    r"|\b(" + NUMBER_WORD + r")\s*days?\s*(?:/|a|per)\s*week\b"
    # "Drug: Nafithromycin 800 mg 3 days;": a count of days right after the dose, closing its entry, is the
    # run it is given for (R104, as R24's "for 7 days").
    r"|\A[ \t]*([2-9]|[1-9]\d)\s*days\b(?=\s*(?:[;,)]|$))",
    re.IGNORECASE,
)
# "days 1, 8 and 15", "D1 and D8", "Day +1, Day +8 and Day +15": the day word written once or each time.
_DAY_LIST = re.compile(
    # "days 1 and 8, 5-fluorouracil ...": a number glued to letters is a name's, not a day.
    rf"\b(?:on\s+)?{_DAY_WORD}\s*([-+]?\d+(?:\s*(?:,|and|&|,\s*and)\s*(?:(?:days?|d)\s*)?[-+]?\d+(?!-?[A-Za-z]))+)\b",
    re.IGNORECASE,
)
# "weeks 1, 5 and 9": the week word and a list of week numbers, shared by the list and one-week readings.
_WEEK_WORD = r"\b(?:at|on|in|during)?\s*(?:weeks?|wks?)\s+"
_WEEK_NUMBERS = r"\d+(?:\s*(?:,|and|&|,\s*and)\s*\d+)+"
_WEEK_LIST = re.compile(rf"{_WEEK_WORD}({_WEEK_NUMBERS})\b", re.IGNORECASE)
# "at 0, 4 and 8 weeks": the week numbers written before the week word.
_WEEK_LIST_AFTER = re.compile(rf"\b(?:at|on|in)\s+({_WEEK_NUMBERS})\s*(?:weeks|wks)\b", re.IGNORECASE)
_ONE_DAY = re.compile(
    rf"\b(?:on\s+)?{_DAY_WORD}\s*([-+]?\d+)\b(?!\s*(?:-|to|through|,|and|&)\s*(?:(?:days?|d)\s*)?[-+]?\d)"
    # "at Week 0": one named week of a schedule that does not repeat is one administration too.
    r"|\b(?:at|on|in)\s+week\s*(\d+)\b(?!\s*(?:-|to|through|,|and|&)\s*\d)"
    # "MTX 15mg/m2 +1d": a transplant-relative day written with its sign and a "d" after it.
    r"|(?<![\w.)/])([-+]\d{1,2})\s*d\b(?!\s*(?:-|to|through|,|and|&)\s*[-+]?\d)",
    re.IGNORECASE,
)
# "BU 3.2 mg/kg -7 to -5", "Flu 30mg/m2 -12 to -9": a conditioning table's run of transplant-relative days,
# written without the word "day"; the first number's sign marks it as a day, not part of a range of amounts.
_SIGNED_DAY_RUN = re.compile(
    r"(?<![\w.)/])([-+]\d{1,2})\s*(?:-|–|to|through)\s*([-+]?\d{1,2})(?:\s*d\b)?(?![\d.]|\s*[A-Za-zµ%])",
)
_FROM_DAY = re.compile(
    r"\b(?:beginning|starting|start|from|after|before|until|through|prior\s+to|post|since|by)\s+(?:on\s+)?$",
    re.IGNORECASE,
)
# Words that make a schedule repeat: a named day then happens once per cycle, not once in all.
_REPEATS = re.compile(
    r"\bcycles?\b|\bcourses?\b|\brepeat\w*|\bevery\b|\beach\b|\bq\s?\d+\s?(?:d|w|wk|weeks?|days?)\b|"
    # "weeks 4 and 8", "Month 2 and Month 6", "months 1-3": a list or run of weeks or months; "at week 0, then
    # ..." is one week (R155).
    r"\bweekly\b|\bmonthly\b|\bdaily\b|\b(?:weeks?|months?)\s+\d+\s*(?:,|and|-|to)\s*(?:and\s+)?(?:(?:weeks?|months?)\s*)?\d",
    re.IGNORECASE,
)
# Words anywhere in a text that make its named days part of a repeating schedule; "daily", "each" or
# "weekly" elsewhere in the text speak of other doses, so they count only in the dose's own sentence.
_TEXT_REPEATS = re.compile(
    r"\bcycles?\b|\bcourses?\b|\brepeat\w*|\bq\s?\d+\s?(?:d|w|wk|weeks?|days?)\b|"
    rf"\bevery\s+{NUMBER_WORD}\s*(?:-\s*)?(?:days?|weeks?)\b",
    re.IGNORECASE,
)
_INTERVAL_DAYS = {1: "QD", 2: "QOD", 7: "QW", 14: "Q2W", 21: "Q3W", 28: "Q4W", 42: "Q6W", 56: "Q8W"}
_INTERVAL_WEEKS = {1: "QW", 2: "Q2W", 3: "Q3W", 4: "Q4W", 6: "Q6W", 8: "Q8W"}


def infer_frequencies(doc: _Doc, items: list[RegimenItem]) -> None:
    """Fill in the frequency of each dosed item the text gives by schedule rather than by a word."""
    text = doc.text
    dosed = [item for item in items if item.dose is not None and item.status == "parsed"]
    for index, item in enumerate(dosed):
        following = dosed[index + 1].start if index + 1 < len(dosed) else len(text)
        after = text[item.end : min(doc.sentence_of(item.start).end, following)]
        before = text[max(doc.sentence_of(item.start).start, item.start - 40) : item.start]
        if (
            item.role == "loading"
            or _LOADING_AFTER.match(after)
            or _FIRST_BEFORE.search(before)
            or _FURTHER_DOSES_AFTER.match(text, item.end)
        ):
            # "The first infusion will be 300 mg followed by 5 infusions of 500 mg": given once.
            # A loading dose is one administration, whatever the cycle around it (the spec).
            item.frequency = "once"
            continue
        if _initial_then_maintained(doc, item, dosed[index + 1 :], before, after):
            # "400 mg/m2 initial dose followed by 250 mg/m2 weekly": an initial dose that the drug's next
            # dose, given on a schedule, follows is a loading dose: one administration (the spec).
            item.frequency = "once"
            continue
        if item.frequency == "once" and item.dose is not None and item.dose.per_time == "day":
            # "a single flat dose level of 5 mg/day": an amount per day is given every day (the spec).
            item.frequency = "QD"
        if item.frequency == "once" and (item.frequency_text or "").lower().startswith("one "):
            # "One dose of carboplatin AUC 5 on Day 1 of each 3-week cycle": once per cycle.
            cycle = cycle_frequency(after) if _DAY_OF_EACH.search(after) else None
            if cycle is not None:
                item.frequency = cycle[2]
    # A count of a day's doses already read is divided again only by "split"/"divided" words.
    # A count of a day's doses already read is divided again only by "split in N" or "N divided doses".
    lowered = text.lower()
    open_codes = {None, "QD", *_COUNTED_CODES} if "split" in lowered or "divided" in lowered else {None, "QD"}
    for index, item in enumerate(dosed):
        if item.dose is None or item.frequency not in open_codes:
            continue
        sentence = doc.sentence_of(item.start)
        following = dosed[index + 1].start if index + 1 < len(dosed) else len(text)
        # "A 15 mg/kg IV plus B days 1-14": the days after a drug that "plus" adds are that drug's (R15).
        after = text[item.end : _plus_drug_start(doc, item.end, min(sentence.end, following))]
        per_time = item.dose.per_time
        divided = _divided(after)
        if divided is None and per_time == "day":
            divided = _divided_after_alternatives(doc, item, dosed[index + 1 :])
        if item.frequency not in {None, "QD", divided}:
            # A dose given a count of a day's doses ("every 12 hours") is divided only by that count.
            continue
        if divided is not None and per_time in {None, "day"}:
            # "1000 mg daily in two divided doses": a day's amount, given BID; "1800 mg in two divided
            # doses" divides a day's amount too (the doses of a period are counted per day unless the
            # period is named, and a named weekly one never gets here).
            if item.dose.basis in _PER_DAY_OF:
                item.dose = item.dose.model_copy(update={"basis": _PER_DAY_OF[item.dose.basis]})
            item.frequency = divided
            continue
        uncounted = _DIVIDED_UNCOUNTED.search(after) if divided is None else None
        if uncounted is not None and per_time in {None, "day"} and item.frequency in {None, "QD"}:
            # "2000 mg daily in divided doses": a day's amount given in several doses whose count the text
            # does not state (the spec: a per-period amount implies its period only unless the
            # administrations are counted; null when not stated). A count written right after ("in
            # divided doses twice daily") is the count.
            counted = _counted_after(after, uncounted.end())
            day_amount = per_time == "day" or item.frequency == "QD" or counted is not None
            if day_amount and item.dose.basis in _PER_DAY_OF:
                item.dose = item.dose.model_copy(update={"basis": _PER_DAY_OF[item.dose.basis]})
            item.frequency = counted
            continue
        if item.frequency is not None:
            continue
        previous_end = dosed[index - 1].end if index else sentence.start
        before = text[max(sentence.start, previous_end) : item.start]
        if previous_end > sentence.start:
            # "A 100 mg/m2 days 1-14, B 40 mg/m2 days 1 and 8": what follows the dose before, up to the
            # next drug's name, is that dose's schedule.
            named = [m.start for m in doc.mentions if previous_end <= m.start < item.start]
            if named:
                before = text[named[-1] : item.start]
        listed = _listed_code(after)
        if per_time == "day" and listed is None:
            # "1000 mg/day, 500 mg given twice a day": the day's amount is given in that many doses.
            split = _split_later(item, dosed[index + 1 :], doc)
            if split is not None:
                item.frequency = split
                continue
        if per_time in _PER_TIME:
            # A list of days says how often a daily amount is given ("mg/m2/day, days 1, 8, 15" → QW).
            item.frequency = listed if listed and per_time == "day" else _PER_TIME[per_time]
            continue
        # "Mel 140 mg/m2 IV D-5; TBI 150cGy D-4, -3, -2, -1": a named day first is the dose's; the days
        # after it are another's.
        continued, code = _continued_days(doc, item.end, after)
        if continued:
            # An uneven list of days is no frequency at all (the spec), not the first day's "once".
            item.frequency = code
            continue
        code = None if _one_day_first(after) else _schedule_code(after)
        if code is None and not _one_day(after):
            # "40 mg/kg on days 1-4 and 60 mg/kg on day -3": a day named after the dose is its own; the
            # days before it are the dose before's.
            code = _schedule_code(before)
        if code is None and item.role == "loading":
            code = "once"
        if (
            code is None
            and not _text_repeats(text, item.start)
            and not _REPEATS.search(text, sentence.start, sentence.end)
            # "15 mg/m2 day 1, 10 mg/m2 day 3, 6 and 11": a dose with days of its own is not the named day
            # before it.
            and (_one_day(after) or (_one_day(before) and not _names_days(after)))
        ):
            code = "once"
        if code is None and _one_day(after) and not _names_days(after):
            # "Paclitaxel 175 mg/m2 on day 1 of each cycle. Oxaliplatin ... each 21-day treatment cycle", "25
            # mg/m2 on day 1. Repeat every 3 weeks": one named day of a cycle whose one length the text states
            # elsewhere is given once per cycle (a day of a transplant, "day -4", is not a cycle's).
            of_cycle = _DAY_OF_CYCLE.search(after) is not None or lexicon.CYCLE_FRAME.search(
                text, 0, item.start
            )
            code = _text_cycle(text, of_cycle=bool(of_cycle))
        if code is None and _SINGLE_BEFORE.search(before) and _DOSE_NOUN_AFTER.match(after):
            # "single, subcutaneous, 1 gm dose of ceftriaxone": one administration, the amount inside.
            code = "once"
        if (
            code is None
            and _BOLUS.search(before + " " + after)
            and _infusion_follows(item, dosed[index + 1 :])
        ):
            # "a bolus of 0.5 mg/kg followed by an infusion of 0.05 mg/kg/h": the bolus is given once.
            code = "once"
        if (
            code is None
            and per_time is None
            and _ONE_ADMINISTRATION_BEFORE.search(before)
            and not _text_repeats(text, item.start)
            and not _REPEATS.search(text, sentence.start, sentence.end)
        ):
            # "an intramuscular injection of 1 mg", "An infusion of 3 ml/kg": one administration, counted by
            # its article, in words that repeat nothing (R156; "at a dose of" counts nothing).
            code = "once"
        if (
            code is None
            and per_time is None
            and before_single_event(after)
            and not _text_repeats(text, item.start)
            and not _REPEATS.search(text, sentence.start, sentence.end)
        ):
            # "150 mg pregabalin orally one hour before surgery": one administration before an event that
            # happens once (R140).
            code = "once"
        if code is not None:
            item.frequency = code
    _late_initial_doses(doc, dosed)
    _share_trailing(doc, dosed)


def _late_initial_doses(doc: _Doc, dosed: list[RegimenItem]) -> None:
    """A first dose left without a frequency whose drug's next dose got its schedule only in the reading
    above ("675 mg at Week 0 followed by 225 mg at Weeks 4 and 8"): an initial dose, once (R155), as the first
    loop reads it when the next dose's frequency is a word."""
    text = doc.text
    for index, item in enumerate(dosed):
        if item.frequency is not None:
            continue
        sentence = doc.sentence_of(item.start)
        following = dosed[index + 1].start if index + 1 < len(dosed) else len(text)
        after = text[item.end : min(sentence.end, following)]
        before = text[max(sentence.start, item.start - 40) : item.start]
        if _initial_then_maintained(doc, item, dosed[index + 1 :], before, after):
            item.frequency = "once"


_INITIAL_AFTER = re.compile(
    r"\s*(?:\)\s*)?,?\s*(?:(?:iv|i\.v\.|sc|s\.c\.|intravenous(?:ly)?|subcutaneous(?:ly)?)\s*,?\s*)?"
    r"(?:as\s+(?:an?\s+|the\s+)?)?initial\s+(?:dose|infusion|injection|bolus)\b",
    re.IGNORECASE,
)
_INITIAL_BEFORE = re.compile(
    r"\b(?:the\s+|an?\s+)?initial\s+(?:dose|infusion|injection)\s+(?:of\s+[\w-]+\s+)?(?:is|will\s+be|was|of|at)\s*$",
    re.IGNORECASE,
)
_THEN = re.compile(r"\bfollowed\s+by\b|\bthen\b|\bthereafter\b", re.IGNORECASE)
_CHANGE = re.compile(r"\b(?:increas|titrat|escalat|uptitrat|decreas|reduc|taper)\w*", re.IGNORECASE)


def _initial_then_maintained(
    doc: _Doc, item: RegimenItem, later: list[RegimenItem], before: str, after: str
) -> bool:
    """Whether ``item`` is an initial dose ("400 mg/m2 initial dose", "the initial dose of X is 400 mg/m2",
    a dose on one named day that "then" leads from) that the same drug's next dose follows ("followed
    by", "then") on a schedule of its own, with no titration or escalation between (a titration's first
    step keeps no frequency the text does not state, R40)."""
    following = next((other for other in later if other.drug == item.drug), None)
    if following is None or following.frequency in {None, "once"}:
        return False
    if item.frequency not in {None, following.frequency}:
        # "8 mg/kg initial dose daily": a frequency of its own (the next dose's, read over it, is not).
        return False
    if not (_INITIAL_AFTER.match(after) or _INITIAL_BEFORE.search(before)):
        # "8 mg/kg over 90 min on day 1, then 6 mg/kg every 3 weeks": one named day of no cycle of its own.
        then = _THEN.search(after)
        own = after[: then.start()] if then else after
        if not (then and _one_day(own) and not _names_days(own) and not _REPEATS.search(own)):
            return False
    between = doc.text[item.end : following.start]
    return _THEN.search(between) is not None and _CHANGE.search(between) is None


_PLUS_BEFORE = re.compile(r"(?:\bplus|\+)\s*$", re.IGNORECASE)


def _plus_drug_start(doc: _Doc, start: int, end: int) -> int:
    """Where a drug added by "plus" or "+" starts between ``start`` and ``end``, else ``end``."""
    for mention in doc.mentions:
        if start < mention.start < end and _PLUS_BEFORE.search(
            doc.text, max(start, mention.start - 8), mention.start
        ):
            return mention.start
    return end


_BOLUS = re.compile(r"\bbolus\b", re.IGNORECASE)
_GIVEN_AFTER_RUN = re.compile(
    r"\s*,?\s*(?:(?:are|will\s+be|were|to\s+be)\s+)?(?:administered|given|infused|delivered)\b", re.IGNORECASE
)
_OPEN_BRACKET = re.compile(r"\([^()]*$")
# "80 mg/m2 (age < 60) or 60 mg/m2", "100mg of clomiphene or 100mg of raloxifene ..., for 5 days",
# "clomiphene 100 mg or raloxifene 100 mg": alternatives, each drug named with its own dose.
_OR_GAP = re.compile(
    r"\s*(?:\([^()]*\)\s*)?(?:of\s+(?:[A-Za-z][A-Za-z-]*\s+){1,3}?)?,?\s*or\s*(?:[A-Za-z][A-Za-z-]*\s+){0,3}?$",
    re.IGNORECASE,
)
_SINGLE_BEFORE = re.compile(r"\b(?:a\s+)?single,?\s+(?:[A-Za-z-]+,?\s+){0,3}$", re.IGNORECASE)
# "an intramuscular injection of", "An infusion", "one bolus of": one administration named by its noun (R156).
_ONE_ADMINISTRATION_BEFORE = re.compile(
    r"\b(?:an?|one)\s+(?:[A-Za-z.-]+\s+){0,2}?(?:injection|infusion|bolus|shot)\s+(?:of\s+|with\s+)?$",
    re.IGNORECASE,
)
_DOSE_NOUN_AFTER = re.compile(r"\s*(?:dose|injection|infusion|administration|bolus|shot)\b", re.IGNORECASE)


def _infusion_follows(item: RegimenItem, later: list[RegimenItem]) -> bool:
    return any(
        other.drug == item.drug and other.dose is not None and other.dose.per_time in {"hour", "min"}
        for other in later
    )


def _share_trailing(doc: _Doc, dosed: list[RegimenItem]) -> None:
    """ "Losartan 50 mg/amlodipine 5 mg and ... hydrochlorothiazide 12.5 mg once a day", "(doxorubicin 25
    mg/m^2, bleomycin 10 U/m^2 ... all on days 1 and 15)": a schedule written once after a run of doses
    joined by "+", "/", "and" or commas is the schedule of each dose of the run that states none."""
    text = doc.text
    run: list[RegimenItem] = []
    for index, item in enumerate(dosed):
        if run and (
            doc.sentence_of(run[-1].start) != doc.sentence_of(item.start)
            or _RUN_BREAK.search(text, run[-1].end, item.start)
        ):
            _close_run(doc, run, dosed[index - 1])
            run = []
        run.append(item)
    if run:
        _close_run(doc, run, run[-1])


def _own_schedule(doc: _Doc, start: int, end: int) -> bool:
    """Whether a frequency or a duration is written between ``start`` and ``end``."""
    return (
        any(start <= f[0] < end for f in doc.freqs)
        or lexicon.DURATION.search(doc.text, start, end) is not None
    )


def _close_run(doc: _Doc, run: list[RegimenItem], last: RegimenItem) -> None:
    if len(run) < 2:
        return
    tail = doc.text[last.end : doc.sentence_of(last.start).end]
    closing = tail.find(")")
    if _OPEN_BRACKET.search(doc.text, run[-2].end, last.start) and (
        closing < 0 or any(last.end <= f[0] < last.end + closing for f in doc.freqs)
    ):
        # "A 25 mg/m2 + B 60 mg/kg + IL-2 (720,000 IU/kg q8h)": a schedule inside the last drug's own
        # brackets is that drug's, not the run's; one after them ("+ Vitamin K2 (100 mcg) once daily") is
        # the run's.
        return
    codes = {f[2] for f in doc.freqs if last.end <= f[0] < last.end + len(tail)}
    code = next(iter(codes)) if len(codes) == 1 and last.frequency in codes else None
    if code is None and _ALL.search(tail):
        code = _schedule_code(tail)
    if code is None and last.frequency is not None and _GIVEN_AFTER_RUN.match(tail):
        # "daunorubicin 44 mg/m2 and cytarabine 100 mg/m2 administered ... on Days 1, 3, and 5": the run
        # is the subject of the schedule written once after it.
        code = _schedule_code(tail)
        code = code if code == last.frequency else None
    if code is None and last.frequency is not None and _OR_GAP.match(doc.text, run[-2].end, last.start):
        # "80 mg/m2 (age < 60) or 60 mg/m2 (age >= 60) IV days 1, 2 and 3": alternatives given alike
        # (a course total is not given at all).
        code = last.frequency
        run = [item for item in run if item.role != "total"]
    if (
        last.route is not None
        # "Vitamin D3 1000 IU daily and hydroxocobalamin 1 mg IM weekly": a dose with a schedule of its own
        # is written apart, and the route after the other is not its.
        # The doses of one drug ("15 mg/m2 day 1, 10 mg/m2 day 3, 6 and 11 by IV") share it whatever
        # their days.
        and all(
            item.route is None
            and (item.frequency in {None, last.frequency} or last.drug is None or item.drug == last.drug)
            for item in run[:-1]
        )
        and "+" not in doc.text[run[0].start : last.start]
        # "cyclophosphamide 60mg/kg/d x 2 days, and fludarabine 25mg/m^2 intravenously daily x 5 days": a
        # dose followed by its own schedule or duration is written apart too, whatever its frequency.
        and not any(
            _own_schedule(doc, item.end, following.start) for item, following in itertools.pairwise(run)
        )
        and any(last.end <= span[0] < last.end + len(tail) and span[2] == last.route for span in doc.routes)
    ):
        # "ABT-335 135 mg in combination with rosuvastatin 5 mg administered orally": the route written
        # once after the run is each dose's that states none.
        for item in run[:-1]:
            if item.route is None:
                item.route = last.route
    if code is None:
        return
    for item, after in zip(reversed(run[:-1]), reversed(run[1:]), strict=True):
        own = doc.text[item.end : after.start]
        if _names_days(own) or _one_day(own):
            # "Docetaxel 75 mg/m2 IV day 1, capecitabine 1000 mg/m2 twice daily": a dose with days of its
            # own is written apart; the run's schedule reaches back no further than the dose after it.
            break
        if item.frequency is None:
            item.frequency = code
        elif item.frequency != code:
            # "A 10 mg in the evening together with B 200 ug morning & evening": the trailing schedule
            # reaches back only as far as a dose that states another.
            break


def _split_later(item: RegimenItem, later: list[RegimenItem], doc: _Doc) -> str | None:
    sentence = doc.sentence_of(item.start)
    for other in later:
        if other.start >= sentence.end:
            break
        if other.drug == item.drug and other.frequency in _ADMINISTRATIONS.values():
            return other.frequency
    return None


# "IND (q 5 weeks): …\nChemo: vincristine 1.2 mg/m2 IV D1": a line that opens with a heading of its own
# ("Chemo:", "Auto Trans:", "Cycle 2:") is a section of the regimen, with its own schedule.
_HEADING = re.compile(r"[ \t]*[A-Za-z0-9][^:\n.;]{0,40}:(?!\d)")


def _headed_line(text: str, position: int) -> tuple[int, int] | None:
    """The line of ``position`` when it opens with a heading of its own."""
    start = text.rfind("\n", 0, position) + 1
    if not _HEADING.match(text, start):
        return None
    end = text.find("\n", position)
    return start, len(text) if end < 0 else end


# "IND (q 5 weeks): vincristine …": repeat words inside a heading are that section's.
_IN_HEADING = re.compile(r"[^:\n.;]{0,20}:(?!\d)")


def _text_repeats(text: str, position: int) -> bool:
    """Whether words anywhere in the text make the schedule of a dose at ``position`` repeat: in a section
    under a heading of its own, only its own words and those outside every section do (not those of
    another section's line or heading)."""
    own = _headed_line(text, position)
    for match in _TEXT_REPEATS.finditer(text):
        if own is None or own[0] <= match.start() < own[1]:
            return True
        if _headed_line(text, match.start()) is None and not _IN_HEADING.match(text, match.end()):
            return True
    return False


# "Repeat treatment every 21 days", "cycles are repeated every 3 weeks": how often a whole schedule repeats.
_REPEAT_EVERY = re.compile(
    rf"\brepeat\w*\s+(?:[a-z]+\s+){{0,2}}?every\s+{NUMBER_WORD}\s*(?:-\s*)?(?:days?|weeks?)\b", re.IGNORECASE
)


_DAY_OF_CYCLE = re.compile(
    r"\bdays?\s*\d+\s+(?:of|in)\s+(?:each|every|the|a)\s+(?:treatment\s+)?(?:cycle|course)s?\b", re.IGNORECASE
)


def _text_cycle(text: str, *, of_cycle: bool) -> str | None:
    """The one cycle length a text states, if it states exactly one: what a schedule repeats every ("repeat
    every 21 days"), and, for a day ``of_cycle`` ("day 1 of each cycle"), a cycle's length too."""
    codes: set[str] = set()
    if of_cycle:
        codes = {
            span[2] for match in lexicon.CYCLE.finditer(text) if (span := cycle_frequency(match.group(0)))
        }
    for match in _REPEAT_EVERY.finditer(text):
        codes.update(span[2] for span in lexicon.find_frequencies(match.group(0)))
    return codes.pop() if len(codes) == 1 else None


# "in divided doses", "divided into several doses": doses of a period whose count is not written.
_DIVIDED_UNCOUNTED = re.compile(
    r"\b(?:in(?:to)?|as)\s+(?:several\s+|multiple\s+|equal(?:ly)?\s+)?divided\s+(?:doses|administrations|intakes)\b"
    r"|\bdivided\s+(?:in(?:to)?\s+)?(?:several\s+|multiple\s+)?(?:doses|administrations|intakes)\b",
    re.IGNORECASE,
)
_COUNTED_CODES = frozenset(_ADMINISTRATIONS.values())


def _counted_after(window: str, start: int) -> str | None:
    """The count of a day's doses written right after "in divided doses" ("... twice daily"), if any."""
    found = lexicon.find_frequencies(window[start : start + 24])
    return found[0][2] if found and found[0][0] <= 2 and found[0][2] in _COUNTED_CODES else None


_DAYS_BREAK = re.compile(r"[;.]")
_DAYS_JOIN = re.compile(
    r"^\)?[\s,]*(?:and|&)?\s*(?:then\s+)?(?:(?:at|on|in|from)\s+)?[^,;()]{0,20}?$", re.IGNORECASE
)


def _continued_days(doc: _Doc, offset: int, window: str) -> tuple[bool, str | None]:
    """ "on day 2 and then at 8 am on days 3-4", "on day 1 and on days 2 to 5": a named day that the next
    named days of the same clause continue is one schedule with them: a run of consecutive days (QD),
    an evenly spaced list (its interval; the spec's schedule rules), an uneven one nothing. Whether the
    day is so continued, and the code."""
    if "day" not in window.lower():
        return False, None
    cut = _DAYS_BREAK.search(window)
    window = window[: cut.start()] if cut else window
    first = next(
        (m for m in _ONE_DAY.finditer(window) if m.group(1) and not _FROM_DAY.search(window, 0, m.start())),
        None,
    )
    if first is None:
        return False, None
    later = [
        m
        for pattern in (_DAY_RUN, _DAY_LIST, _ONE_DAY)
        if (m := pattern.search(window, first.end())) is not None and m.group(1) is not None
    ]
    if not later:
        return False, None
    after = min(later, key=lambda m: m.start())
    gap = window[first.end() : after.start()]
    if not _DAYS_JOIN.match(gap) or _FROM_DAY.search(window, 0, after.start()):
        return False, None
    if any(offset + first.end() <= m.start < offset + after.start() for m in doc.mentions):
        # "cells on day 0 and IL-2 on day 1": the later day is another drug's.
        return False, None
    days = [int(first.group(1))]
    if after.re is _DAY_RUN:
        if after.group(2) is None:
            return False, None
        low, high = int(after.group(1)), int(after.group(2))
        if high <= low:
            return False, None
        days += list(range(low, high + 1))
    else:
        days += [int(n) for n in re.findall(r"[-+]?\d+", after.group(1))]
    if any(b <= a for a, b in itertools.pairwise(days)):
        return False, None
    return True, _spacing(days, _INTERVAL_DAYS)


def _one_day_first(window: str) -> bool:
    """Whether a named day comes before any list or run of days in ``window`` (the dose's own day)."""
    day = next((m for m in _ONE_DAY.finditer(window) if not _FROM_DAY.search(window, 0, m.start())), None)
    if day is None:
        return False
    others = [m.start() for p in (_DAY_LIST, _DAY_RUN, _SIGNED_DAY_RUN) if (m := p.search(window))]
    return bool(others) and day.start() < min(others)


def _one_day(window: str) -> bool:
    """Whether the dose is given on one named day ("on day -3"), not from a day on ("beginning day 5")."""
    return any(not _FROM_DAY.search(window, 0, match.start()) for match in _ONE_DAY.finditer(window))


# "+3,+6,+11": a conditioning table's list of transplant-relative days, written without the word "day".
_SIGNED_DAY_LIST = re.compile(r"(?<![\w.)/])[-+]\d{1,2}(?:\s*,\s*[-+]\d{1,2})+\b")


def _names_days(window: str) -> bool:
    """Whether ``window`` names days of its own: a list or run of days, signed or with the day word."""
    return any(pattern.search(window) for pattern in (_DAY_LIST, _DAY_RUN, _SIGNED_DAY_RUN, _SIGNED_DAY_LIST))


def _listed_code(window: str) -> str | None:
    listed = _DAY_LIST.search(window)
    if listed is None:
        return None
    return _spacing([int(n) for n in re.findall(r"[-+]?\d+", listed.group(1))], _INTERVAL_DAYS)


# "1000 mg/day for patients < 75 kg and 1200 mg/day for patients >= 75 kg": what joins a day's amount to the
# next one of the same drug, each stated for its own patients (no schedule of its own between them).
_ALTERNATIVE_GAP = re.compile(r"[^.;]{0,60}?\b(?:and|or)\s*$", re.IGNORECASE)


def _divided_after_alternatives(doc: _Doc, item: RegimenItem, later: list[RegimenItem]) -> str | None:
    """ "Ribavirin 1000 mg/day for patients < 75 kg and 1200 mg/day for patients >= 75 kg, in two divided
    doses": day's amounts of one drug given as alternatives share the division written after the last."""
    sentence = doc.sentence_of(item.start)
    last = item
    for other in later:
        if (
            other.start >= sentence.end
            or other.drug != item.drug
            or other.dose is None
            or other.dose.per_time != "day"
            or not _ALTERNATIVE_GAP.fullmatch(doc.text, last.end, other.start)
            or _own_schedule(doc, last.end, other.start)
        ):
            break
        last = other
    if last is item:
        return None
    following = next((o.start for o in later if o.start > last.start), len(doc.text))
    return _divided(doc.text[last.end : min(sentence.end, following)])


def _divided(window: str) -> str | None:
    match = _DIVIDED.search(window)
    if match is None:
        return None
    try:
        count = int(number_value(next(group for group in match.groups() if group is not None)))
    except ValueError:
        return None
    return _ADMINISTRATIONS.get(count)


def _schedule_code(window: str) -> str | None:
    """The frequency a run or list of days or weeks in ``window`` gives, if any."""
    listed = _DAY_LIST.search(window)
    run = _DAY_RUN.search(window)
    signed = _SIGNED_DAY_RUN.search(window)
    if signed is not None and all(m is None or signed.start() < m.start() for m in (listed, run)):
        return "QD" if int(signed.group(2)) > int(signed.group(1)) else None
    if listed is not None and (run is None or listed.start() <= run.start()):
        return _spacing([int(n) for n in re.findall(r"[-+]?\d+", listed.group(1))], _INTERVAL_DAYS)
    if run is not None:
        if run.group(1) is not None:
            first, last = int(run.group(1)), int(run.group(2))
            return "QD" if last > first else None
        if run.group(3) is not None and number_value(run.group(3)) == 1:
            # "1.4 mg/m2 iv for 1 day": a run of one day is one administration (the spec: once).
            return "once"
        return "QD"
    weeks = _WEEK_LIST.search(window) or _WEEK_LIST_AFTER.search(window)
    if weeks is not None:
        return _spacing([int(n) for n in re.findall(r"\d+", weeks.group(1))], _INTERVAL_WEEKS)
    return None


def _spacing(numbers: list[int], codes: dict[int, str]) -> str | None:
    """The code of an evenly spaced list ("1, 8, 15" → 7), else ``None``; "1 and 2" is a run (QD)."""
    if len(numbers) < 2:
        return None
    steps = {b - a for a, b in itertools.pairwise(numbers)}
    if len(steps) != 1:
        return None
    return codes.get(steps.pop())
