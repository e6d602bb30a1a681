"""The frequency and schedule a dose's own words state (spec, Frequency): the frequency words around a
dose (_frequencies, _frequency), the cycle its sentence names, and the days or weeks of its schedule
(_schedule). What the spec infers when no frequency word is written is schedule.py's (infer_frequencies)."""

from __future__ import annotations

import re

from trialatlas.extract.regimen import clauses, lexicon
from trialatlas.extract.regimen.amounts import Amount
from trialatlas.extract.regimen.passes import _DAYS_MULTI, _Doc, _is_cycle_code, _unclaimed
from trialatlas.extract.regimen.schedule import _PLUS_BEFORE, _WEEK_NUMBERS, _WEEK_WORD

_WEEKS = re.compile(rf"{_WEEK_WORD}({_WEEK_NUMBERS}|\d+)\b", re.IGNORECASE)
_DAY_SCHEDULE = re.compile(
    r"\b(?:on\s+)?days?\s*[-+]?\d+(?:\s*(?:,|and|&|-|to|through)\s*(?:days?\s*)?[-+]?\d+)*(?:\s+of\s+(?:each|every|a|the)\s+"
    r"\d+[-\s]day\s+(?:treatment\s+)?cycles?)?",
    re.IGNORECASE,
)
# "doses are doubled weekly", "increased by 100 mg every week": how often a dose changes, not how often
# it is given.
_STEP_FREQUENCY = re.compile(
    r"\b(?:doubl|increas|escalat|decreas|reduc|taper|titrat)\w*\s+(?:by\s+(?:(?:increments|steps)\s+of\s+)?"
    r"[\d.,]+(?:\s*-\s*[\d.,]+)?\s*[A-Za-zµ/]+\s+)?(?:\w+ly\s+)?$",
    re.IGNORECASE,
)
_INTERVAL = re.compile(r"intervals?\b", re.IGNORECASE)
_DAY_LIST_BEFORE = re.compile(
    r"\bdays?\s*\d+(?:\s*(?:,|-|–|to|and|&)\s*(?:and\s+)?\d+)+\s*,?\s*(?:of\s+)?$", re.IGNORECASE
)
# "followed by weekly infusions at 250 mg/m2": a frequency that leads into the next dose is that dose's.
_LEADS_INTO = re.compile(
    r"\s+(?:(?:infusions?|injections?|doses?|administrations?)\s+)?"
    r"(?:of|at(?:\s+a\s+dose\s+of)?|(?:a\s+)?dose\s+of)\s*$",
    re.IGNORECASE,
)
_JOINS_ANOTHER = re.compile(r"\)\s*(?:,\s*)?(?:plus|with|and|\+)\b", re.IGNORECASE)
_SINGLE_DOSE = re.compile(r"(?:as|in)\s+a\s+single\b", re.IGNORECASE)
_LEVEL_NAME = re.compile(r"Single[-\s]dose")
_LEVEL_NAME_AFTER = re.compile(r"\s*\(")
_LINE_START = re.compile(r"(?:^|\n)\s*$")
# "a 1-hour IV continuous infusion on day 1 of each cycle", "continuous infusion over 30 minutes": an infusion
# that runs for less than a day is one administration of its schedule, not continuous dosing.
_SHORT_RUN_BEFORE = re.compile(
    r"\b(\d+(?:\.\d+)?)[-\s]?(h|hrs?|hours?|min|mins|minutes?)\s+(?:[\w.]+\s+){0,2}$", re.IGNORECASE
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
        # "at reduced intervals of 4 weeks": the change is to the interval, which is the new frequency.
        if not (_STEP_FREQUENCY.search(text, max(0, f[0] - 80), f[0]) and not _INTERVAL.match(text, f[0]))
        and not (
            f[2] == "once"
            and _LEVEL_NAME.fullmatch(text, f[0], f[1])
            and _LEVEL_NAME_AFTER.match(text, f[1])
            and _LINE_START.search(text, max(0, f[0] - 20), f[0])
        )
        and not (f[2] == "continuous" and _short_run(text, f))
        # "on Days 1, 3, and 5 of each week": the week is the cycle of the day list, which gives the
        # frequency (spec: "days 1, 3 and 5 of every 3-week cycle" -> QOD; a run of days -> QD).
        and not (f[2] == "QW" and _DAY_LIST_BEFORE.search(text, max(0, f[0] - 60), f[0]))
    ]


_OWN_DAYS = re.compile(r"\bdays?\s*\d|\d\s*(?:-|–|to)\s*\d+\s*days?\b", re.IGNORECASE)


def _plus_drug_between(doc: _Doc, start: int, end: int) -> bool:
    """Whether a drug added by "plus" or "+", with days of its own, stands between a dose and ``end``."""
    return any(
        start < m.start < end
        and _PLUS_BEFORE.search(doc.text, max(start, m.start - 8), m.start)
        and _OWN_DAYS.search(doc.text, m.end, end)
        for m in doc.mentions
    )


_LIST_COMMA_BEFORE = re.compile(r"[,;]\s*$")
_LIST_COMMA_AFTER = re.compile(r"\s*,\s*")


def _listed_drug_before(doc: _Doc, start: int, end: int) -> bool:
    """Whether a drug set off by commas ("..., apatinib mesylate, once daily") stands right before ``end``
    after a dose ending at ``start``: the words at ``end`` are said of that drug."""
    return any(
        start < m.start
        and m.end < end <= m.end + 4
        and _LIST_COMMA_AFTER.fullmatch(doc.text, m.end, end) is not None
        and _LIST_COMMA_BEFORE.search(doc.text, max(start, m.start - 3), m.start) is not None
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
        # "Camrelizumab 200 mg, IVGTT D1, apatinib mesylate, once daily": the schedule of the undosed drug
        # listed right before it.
        and not _listed_drug_before(doc, amount.end, span[0])
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
        if _is_cycle_code(code) and (
            _DAYS_MULTI.search(text[amount.end : chosen[0]])
            # "IND (q 5 weeks): vincristine 0.5 mg IV D1-4": a cycle written before the dose repeats the run
            # of days written after it.
            or (chosen[0] < amount.start and _DAYS_MULTI.search(text, amount.end, post_end))
        ):
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
