"""Passes over a parsed document: list sharing, formulations, cycles, durations, targets, adjustments,
conditions and what could not be read. They run after every amount has become an item (parse.py)."""

from __future__ import annotations

import bisect
import itertools
import re
from dataclasses import dataclass, field
from functools import lru_cache

from trialatlas.extract.regimen import clauses, fastre, lexicon
from trialatlas.extract.regimen.amounts import Amount
from trialatlas.extract.regimen.drugs import Mention, _exact_only
from trialatlas.extract.regimen.models import (
    ADMINISTRATIONS_PER_DAY,
    Condition,
    Duration,
    Formulation,
    ParsedRegimen,
    RegimenItem,
    TargetLevel,
    Unparsed,
)
from trialatlas.text.packaged import packaged_words

_DAYS_MULTI = re.compile(
    r"\b(?:days?|d)\s*-?\d+\s*(?:-|to|through|thru)\s*(?:(?:days?|d)\s*)?-?\d+|\b(?:days?|d)\s*[-+]?\d+\s*(?:,|and|&)\s*(?:(?:days?|d)\s*)?[-+]?\d+|"
    rf"(?:x|for|×)\s*{lexicon.NUMBER_WORD}\s*(?:consecutive\s+)?days|"
    r"\bD\s?\d+\s*(?:-|to)\s*\d+\b",
    re.IGNORECASE,
)

_TO_BEFORE = re.compile(r"\b(?:to|until|at)\s+(?:a\s+(?:dose|maximum)\s+of\s+)?(?:about\s+)?$", re.IGNORECASE)

_LIST_GAP = re.compile(r"^\s*(?:,|/|or|and|,\s*or|,\s*and)\s*$")

_GROUP_GAP = re.compile(
    r"^\s*\)?\s*(?:,|/|\+|or|and|plus|,\s*(?:or|and))\s*(?:[A-Za-z][\w.-]*\s*){0,3}\(?\s*$"
)

_DOSE_IN_WORDS = re.compile(
    r"\b(?:standard|usual|recommended|fixed|weight-based|adjusted|individuali[sz]ed|label(?:l)?ed|approved|"
    r"therapeutic|appropriate|prescribed|stable|same|clinical|conventional|routine)\s+dos(?:e|es|age|ing)\b|"
    r"\bdos(?:e|es|age|ing)\s+(?:will\s+be\s+|is\s+|was\s+|are\s+)?(?:according\s+to|adjusted|based\s+on|"
    r"determined|per\s+protocol|as\s+per|at\s+the\s+discretion|individuali[sz]ed|calculated|weight-adjusted)",
    re.IGNORECASE,
)

# The same in the fast form (fastre.py), for the one search over the whole of every text that says "dos".
_DOSE_IN_WORDS_FAST = fastre.word_start_regex([("words", _DOSE_IN_WORDS.pattern)])

_DOSE_WORD = re.compile(r"\bdos(?:e|es|age|ing)\b", re.IGNORECASE)


@dataclass
class _Doc:
    text: str
    mentions: list[Mention]
    freqs: list[lexicon.Span]
    routes: list[lexicon.Span]
    forms: list[lexicon.Span]
    bound_routes: dict[int, str]
    claimed: set[tuple[str, int]]
    implied_routes: set[int]
    # Starts of frequency spans some dose took as its own frequency.
    used_freqs: set[int] = field(default_factory=set)
    # Split into sentences on first use: most texts state no dose and hold no cue that needs them.
    _sentences: list[clauses.Sentence] | None = None
    _sentence_starts: list[int] = field(default_factory=list)

    @property
    def sentences(self) -> list[clauses.Sentence]:
        if self._sentences is None:
            self._sentences = clauses.sentences(self.text)
            self._sentence_starts = [s.start for s in self._sentences]
        return self._sentences

    def sentence_of(self, pos: int) -> clauses.Sentence:
        sentences = self.sentences
        index = bisect.bisect_right(self._sentence_starts, pos) - 1
        if index < 0:
            return clauses.Sentence(0, len(self.text))
        return sentences[index]


_CYCLE_CODE = re.compile(r"Q(?:[2-9]|1\d)W|QM|Q\d+M|Q(?:1[4-9]|[2-9]\d)D")


def _is_cycle_code(code: str) -> bool:
    return _CYCLE_CODE.fullmatch(code) is not None


def _duration(text: str, start: int, end: int) -> Duration | None:
    match = lexicon.DURATION.search(text, start, end)
    if match is None:
        return None
    try:
        low = lexicon.number_value(match.group(1))
        high = lexicon.number_value(match.group(2)) if match.group(2) else low
    except ValueError:
        return None
    word = match.group(3).lower()
    unit = next(
        (
            u
            for prefix, u in (
                ("min", "minute"),
                ("h", "hour"),
                ("d", "day"),
                ("w", "week"),
                ("mo", "month"),
                ("y", "year"),
                ("cy", "cycle"),
                ("co", "cycle"),
                ("do", "dose"),
            )
            if word.startswith(prefix)
        ),
        "day",
    )
    return Duration(low=low, high=high, unit=unit, text=match.group(0))


_JOINS_DRUGS = re.compile(r"\b(?:and|with|plus|or)\b|[/+]", re.IGNORECASE)


def _specify_by_context(doc: _Doc, items: list[RegimenItem]) -> None:
    """ "low dose mycophenolate" in a text that said "mycophenolate mofetil" means mycophenolate mofetil."""
    names = {m.name_as_written for m in doc.mentions if m.known}
    for item in items:
        if item.drug is None:
            continue
        # ...but "Vyxeos" (daunorubicin and cytarabine lipid complex) is a product of two drugs, not a more
        # specific name of the daunorubicin a dose names.
        specific = [
            n
            for n in names
            if n != item.drug and n.startswith(item.drug + " ") and not _JOINS_DRUGS.search(n, len(item.drug))
        ]
        if len(specific) == 1 and not _other_member_written(item, specific[0]):
            item.drug = specific[0]


def _other_member_written(item: RegimenItem, specific: str) -> bool:
    """Whether the dose's own name is another member of its kind written out ("regular insulin", filed under
    insulin), which a more specific name elsewhere in the text ("Lantus") does not narrow; the kind itself
    ("mycophenolate"), an abbreviation ("IFN"), a synonym ("Daunomycin") and the member itself ("Penicillin
    V", filed under penicillin, in a text that names penicillin v potassium) are narrowed."""
    written = " ".join((item.drug_text or "").lower().split())
    return (
        item.drug is not None
        and written != item.drug
        and not f"{specific} ".startswith(f"{written} ")
        and f" {item.drug} " in f" {written} "
        and not _exact_only(item.drug_text or "")
    )


_BRACKET_AFTER = re.compile(r"[ \t]*$")


def _share_in_lists(doc: _Doc, items: list[RegimenItem], listed: set[int]) -> None:
    """Doses written as one list ("8, 16 or 32 mg", "300/150 mg", "CDDP (75 mg/m2) and DTIC (660 mg/m2) by
    infusion") share the drug, route and frequency written once for the whole list."""
    text = doc.text
    groups: list[list[RegimenItem]] = []
    for item in items:
        if groups and doc.sentence_of(groups[-1][-1].start) == doc.sentence_of(item.start):
            gap = text[groups[-1][-1].end : item.start]
            last = groups[-1][-1]
            if (
                _LIST_GAP.match(gap)
                or last.start in listed
                or (
                    (_GROUP_GAP.match(gap) or _named_after_gap(gap, last))
                    and item.dose is not None
                    and last.dose is not None
                    and last.dose.basis == item.dose.basis
                )
            ):
                groups[-1].append(item)
                continue
        groups.append([item])
    for group in groups:
        if len(group) < 2:
            continue
        anchor = next((i for i in reversed(group) if i.start not in listed), group[-1])
        named = {i.drug for i in group if i.drug is not None}
        for item in group:
            if item.drug is None and len(named) == 1 and group[-1].drug in named:
                # "4 mg, 6 mg, or 8 mg of poziotinib": the drug named once after the list.
                item.drug, item.drug_class, item.drug_text = (
                    group[-1].drug,
                    group[-1].drug_class,
                    group[-1].drug_text,
                )
            if item.start in listed:
                item.drug = item.drug or anchor.drug
                item.drug_class = item.drug_class or anchor.drug_class
                if item.dose is not None and anchor.dose is not None and item.dose.basis == "dose":
                    item.dose = item.dose.model_copy(update={"basis": anchor.dose.basis})
        drugs = {i.drug for i in group}
        last = group[-1]
        # "(...)" or "[...]" around the whole run.
        square = text.rfind("[", max(0, group[0].start - 60), group[0].start)
        round_ = text.rfind("(", max(0, group[0].start - 60), group[0].start)
        left, right = ("[", "]") if square > round_ else ("(", ")")
        opening = max(square, round_)
        closing = text.find(right, last.end)
        bracketed = (
            opening >= 0
            and closing >= 0
            and right not in text[opening : group[0].start]
            and left not in text[group[0].start : closing]
        )
        # "Hyzaar tablets (losartan 50 mg / hydrochlorothiazide 12.5 mg)", "1 DS tablet [TMP-SMX DS = 160 mg
        # trimethoprim and 800 mg sulfamethoxazole]": a form written before the brackets that hold the
        # whole run is every dose's in it.
        enclosed = bracketed and any(
            f[1] <= opening and doc.sentence_of(f[0]) == doc.sentence_of(opening) for f in doc.forms
        )
        # "oral Malarone (atovaquone 250 mg and proguanil 100 mg)": so is the route of the product named
        # right before them.
        product_route = next(
            (
                doc.bound_routes[m.start]
                for m in doc.mentions
                if bracketed and m.start in doc.bound_routes and _BRACKET_AFTER.match(text, m.end, opening)
            ),
            None,
        )
        # "1 g of intravenous paracetamol and 75 mg of diclofenac": a route word bound to one drug's name
        # inside the run is that drug's, not the whole run's.
        bound_inside = {
            name
            for m in doc.mentions
            if m.start in doc.bound_routes and group[0].start <= m.start <= last.end
            for name in (m.info.name, m.name_as_written)
        }
        routes = [
            i.route
            for i in group
            if i.route
            and (len(drugs) == 1 or i.drug not in bound_inside)
            and (
                len(drugs) == 1
                or i.start not in doc.implied_routes
                # "Naproxen 500 mg and baclofen 10 mg tablets": a form written once after the whole run.
                or (i is last and any(f[0] >= last.end for f in doc.forms))
                or enclosed
            )
        ]
        frequencies = [i.frequency for i in group if i.frequency and not _bracketed_own(text, i)]
        if product_route is not None and not routes:
            routes = [product_route]
        for item in group:
            if item.route is None and routes and len(set(routes)) == 1:
                item.route = routes[0]
            if item.frequency is None and frequencies and len(set(frequencies)) == 1:
                per_day = item.dose is not None and item.dose.per_time == "day"
                if not (per_day and ADMINISTRATIONS_PER_DAY.get(frequencies[0], 1) > 1):
                    # "Brivaracetam 20 mg/day, 10 mg administered twice a day": the day's total is not BID.
                    item.frequency = frequencies[0]


def _bracketed_own(text: str, item: RegimenItem) -> bool:
    """ "+ mesna (10 mg/kg every 12 hours)": a frequency written inside the brackets that hold the dose is
    that dose's own, not the list's."""
    opening = text.rfind("(", max(0, item.start - 40), item.start)
    if opening < 0 or ")" in text[opening : item.start] or not item.frequency_text:
        return False
    closing = text.find(")", item.end)
    return closing >= 0 and item.frequency_text in text[item.end : closing]


_GROUP_GAP_NAMED = re.compile(r"^\s*(?:[A-Za-z][\w.-]*\s*){1,3}(?:,|and|\+|plus|,\s*and)\s*$")


def _named_after_gap(gap: str, last: RegimenItem) -> bool:
    """ "160 mg trimethoprim and 800 mg sulfamethoxazole": each drug written after its dose, in one list."""
    return bool(last.drug_text and last.drug_text in gap and _GROUP_GAP_NAMED.match(gap))


def _drop_restatements(items: list[RegimenItem], doses: list[Amount], doc: _Doc) -> list[RegimenItem]:
    """ "225 mg administered as one injection (225 mg/1.5 mL)" states one dose, not two."""
    by_start = {a.start: a for a in doses}
    kept: list[RegimenItem] = []
    for item in items:
        amount = by_start.get(item.start)
        if amount is not None and amount.volume and item.dose is not None:
            sentence = doc.sentence_of(item.start)
            if any(
                k.dose is not None
                and k.drug == item.drug
                and k.dose.low == item.dose.low
                and k.dose.unit == item.dose.unit
                and doc.sentence_of(k.start) == sentence
                for k in kept
            ):
                continue
        kept.append(item)
    return kept


def _fold_formulations(text: str, items: list[RegimenItem]) -> list[RegimenItem]:
    """Strengths like "Tacrolimus: 0.5mg and 1mg; Capsule" become formulations of the drug's real dose."""
    folded: set[int] = set()
    for index, item in enumerate(items):
        if item.dose is None or item.dose.basis != "dose" or item.frequency or item.drug is None:
            continue
        run = [index]
        cursor = index
        while (
            cursor + 1 < len(items)
            and items[cursor + 1].drug == item.drug
            and re.fullmatch(r"\s*(?:,|and|or|/)\s*", text[items[cursor].end : items[cursor + 1].start])
        ):
            cursor += 1
            run.append(cursor)
        form = lexicon.FORM_NOUN.match(text, items[cursor].end)
        if form is None:
            continue
        later = [
            k
            for k in items[cursor + 1 :]
            if k.drug == item.drug and k.dose is not None and k.dose.per_body is not None
        ]
        if not later:
            continue
        formulation = Formulation(
            strengths=[items[k].dose.low for k in run if items[k].dose is not None],  # type: ignore[union-attr]
            unit=item.dose.unit,
            form=form.group(1).lower().rstrip("s"),
        )
        for target in items:
            if target.drug == item.drug and target.dose is not None and target.dose.per_body is not None:
                target.formulations.append(formulation)
                if target.route is None:
                    target.route = "oral" if formulation.form in {"capsule", "tablet", "tab"} else None
        folded.update(run)
    return [item for i, item in enumerate(items) if i not in folded]


_CYCLE_WORD = re.compile(r"\bcycles?\b|\brepeat", re.IGNORECASE)
_ONE_NAMED_DAY = re.compile(r"\bday\s*\d+\b(?!\s*(?:-|to|through|,|and|&)\s*\d)", re.IGNORECASE)


def _apply_cycle_sentences(doc: _Doc, items: list[RegimenItem]) -> None:
    """ "Cycle repeated every 3 weeks" in a sentence of its own sets the frequency of single-day doses."""
    if not items:
        return
    for sentence in doc.sentences:
        chunk = doc.text[sentence.start : sentence.end]
        if not _CYCLE_WORD.search(chunk):
            continue
        if any(sentence.start <= item.start < sentence.end for item in items):
            continue
        codes = [f for f in doc.freqs if sentence.start <= f[0] < sentence.end and _is_cycle_code(f[2])]
        cycle = lexicon.cycle_frequency(chunk)
        code = codes[0][2] if codes else (cycle[2] if cycle else None)
        if code is None:
            continue
        # "given in 28-day cycles" names the cycle, not that a dose is given once in it: a bare cycle length
        # sets the frequency of a dose on one named day, by the dose's words or the cycle sentence's.
        once_a_cycle = bool(codes) or _ONE_NAMED_DAY.search(chunk) is not None
        for item in items:
            if (
                item.start < sentence.start
                and item.frequency is None
                and (once_a_cycle or (item.schedule and not _DAYS_MULTI.search(item.schedule)))
                and item.dose is not None
                and not _DAYS_MULTI.search(item.schedule or "")
            ):
                item.frequency = code


_DURATION_SENTENCE = re.compile(
    r"^\W*(?:total\s+)?(?:treatment\s+|therapy\s+|study\s+)?duration\b", re.IGNORECASE
)


def _apply_duration_sentences(doc: _Doc, items: list[RegimenItem]) -> None:
    """ "Total duration: 1 year" in a sentence of its own is the duration of the doses before it."""
    for sentence in doc.sentences:
        chunk = doc.text[sentence.start : sentence.end]
        if not _DURATION_SENTENCE.match(chunk):
            continue
        match = re.search(rf"({lexicon.NUMBER_WORD})\s*(days?|weeks?|months?|years?)", chunk, re.I)
        if match is None:
            continue
        duration = _duration("for " + match.group(0), 0, len(match.group(0)) + 4)
        for item in items:
            if item.start < sentence.start and item.duration is None and item.dose is not None:
                item.duration = duration


_ADMINISTERED = re.compile(
    r"\b(?:administ\w*|given|dos(?:e|es|ing)|receiv\w*|tak(?:e|en)|inject\w*|infus\w*|treat\w*)\b",
    re.IGNORECASE,
)
_SINGLE_DAY = re.compile(r"(?:on\s+)?days?\s*[-+]?\d+", re.IGNORECASE)


def _apply_trailing_cycles(doc: _Doc, items: list[RegimenItem]) -> None:
    """ "Carboplatin AUC=5 IV Day 2 ... Filgrastim 5ug/kg/day SQ Days 5-12 Q 21 days x 3 cycles": a cycle no
    dose took as its own repeats the single-day doses written before it in the sentence."""
    for start, _, code in doc.freqs:
        if not _is_cycle_code(code) or start in doc.used_freqs:
            continue
        sentence = doc.sentence_of(start)
        for item in items:
            if (
                sentence.start <= item.start < start
                and item.frequency is None
                and item.dose is not None
                and item.schedule
                and _SINGLE_DAY.fullmatch(item.schedule.strip())
            ):
                item.frequency = code


def _multi_day(doc: _Doc, item: RegimenItem, items: list[RegimenItem]) -> bool:
    """Whether the words after a dose, up to the next one, give it on several days of a cycle."""
    following = [i.start for i in items if i.start > item.start]
    end = min([doc.sentence_of(item.start).end, *following])
    return bool(_DAYS_MULTI.search(doc.text, item.end, end))


def _drug_fits(item: RegimenItem, names: set[str]) -> bool:
    """Whether words about ``names`` (the drugs a sentence names) can be about this item."""
    return item.drug in names if names else True


@lru_cache(maxsize=1)
def _dose_change() -> re.Pattern[str]:
    """A word of a change of dose (dose_change_words.txt), at the start of a word."""
    stems = sorted(packaged_words(__package__, "dose_change_words.txt"), key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(map(re.escape, stems)) + r")", re.IGNORECASE)


def _apply_context_sentences(doc: _Doc, items: list[RegimenItem]) -> None:
    """Route and frequency said once for several doses: in a sentence without doses before them ("Once daily
    oral doses on days 1-28. The dose will be 37.5 mg daily"), right after them ("5mg/kg. Infusion on day 14
    administered twice a day."), or at the head of a sentence listing them ("Once daily, A 12.5 mg, A 25 mg
    plus B 25 mg")."""
    if not items:
        return
    text = doc.text
    first_item = items[0].start
    for index, sentence in enumerate(doc.sentences):
        inside = [i for i in items if sentence.start <= i.start < sentence.end and i.dose is not None]
        # A dose keeps a salt or form written with its name ("arginine butyrate"): either name is the drug's.
        named = [m for m in doc.mentions if sentence.start <= m.start < sentence.end]
        names = {m.info.name for m in named} | {m.name_as_written for m in named}
        freqs = [f for f in doc.freqs if sentence.start <= f[0] < sentence.end]
        if inside:
            head = min([inside[0].start] + [m.start for m in doc.mentions if sentence.start <= m.start])
            leading = {f[2] for f in freqs if f[1] <= head}
            if len(inside) > 1 and len(leading) == 1:
                code = leading.pop()
                for item in inside:
                    if item.frequency is None and not (_is_cycle_code(code) and _multi_day(doc, item, items)):
                        item.frequency = code
            continue
        chunk = text[sentence.start : sentence.end]
        administered = bool(_ADMINISTERED.search(chunk))
        codes = {f[2] for f in freqs if ("freq", f[0]) not in doc.claimed}
        if sentence.end <= first_item:
            routes = {r[2] for r in doc.routes if sentence.start <= r[0] < sentence.end}
            for item in items:
                if item.dose is None or not _drug_fits(item, names):
                    continue
                if item.route is None and len(routes) == 1:
                    item.route = next(iter(routes))
                if item.frequency is None and administered and len(codes) == 1:
                    code = next(iter(codes))
                    if not (_is_cycle_code(code) and _multi_day(doc, item, items)):
                        item.frequency = code
        elif index > 0 and administered and not _dose_change().search(chunk):
            previous = doc.sentences[index - 1]
            before = [i for i in items if previous.start <= i.start < previous.end and i.dose is not None]
            if not before or names - {i.drug for i in before}:
                continue
            if len(codes) == 1:
                code = next(iter(codes))
                for item in before:
                    item.frequency = item.frequency or code
            # "Receive a dose of 0.5 ml ... Nasogastric administration every 12 hours.": the one route the
            # next sentence opens with is the doses' route too (R143), where they are of one drug (of two,
            # only "both drugs" words say whose it is); not one said of a subject the sentence names first
            # ("Peripheral blood stem cells are infused on day 0").
            spans = [r for r in doc.routes if sentence.start <= r[0] < sentence.end]
            routes = {r[2] for r in spans}
            one_drug = len({item.drug for item in before}) == 1
            if one_drug and len(routes) == 1 and len(text[sentence.start : spans[0][0]].split()) <= 3:
                for item in before:
                    item.route = item.route or next(iter(routes))


def _inherit_within_sentence(doc: _Doc, items: list[RegimenItem]) -> None:
    """A later dose of the same drug in the same sentence keeps the route and frequency stated earlier.

    Unnamed doses in one sentence are taken for one unnamed drug, but only for the route: "110 mg/m^2
    given continuous infusion on day 1 and 30 mg/m^2 given intraperitoneally" are two different schedules.
    """
    for index, item in enumerate(items):
        if index == 0:
            continue
        sentence = doc.sentence_of(item.start)
        for earlier in reversed(items[:index]):
            if earlier.drug != item.drug or doc.sentence_of(earlier.start) != sentence:
                continue
            if item.route is None:
                item.route = earlier.route
            if (
                item.frequency is None
                and item.drug is not None
                and item.role not in {"loading", "starting"}
                and earlier.role != "loading"
            ):
                between = doc.text[earlier.end : item.start]
                if not re.search(
                    r"\bthen\b|\bfollowed\b|\bafter\b|\bthereafter\b", between, re.IGNORECASE
                ) and not _day_amount_after_counted_dose(earlier, item):
                    item.frequency = earlier.frequency
            break


def _day_amount_after_counted_dose(earlier: RegimenItem, item: RegimenItem) -> bool:
    """ "300 mg three times daily (1800 mg/day after the first week)": a day's amount after a dose given a
    count a day is not given that count (the spec: a per-period amount implies its period unless the
    number of administrations is stated; R116); a day's amount restating the dose times the count is
    dropped later as the same dose (_drop_daily_totals)."""
    return (
        item.dose is not None
        and earlier.dose is not None
        and item.dose.per_time == "day"
        and earlier.dose.per_time is None
        and earlier.frequency in {"BID", "TID", "QID"}
    )


def _attach_targets(targets: list[TargetLevel], items: list[RegimenItem]) -> None:
    for target in targets:
        matching = [i for i in items if target.analyte and i.drug and _same_substance(i.drug, target.analyte)]
        if not matching:
            matching = [i for i in items if i.dose is not None][-1:] if items else []
        for item in matching:
            item.targets.append(target)


def _same_substance(drug: str, analyte: str) -> bool:
    if drug == analyte:
        return True
    stems = {drug.split()[0][:8], analyte.split()[0][:8]}
    return len(stems) == 1


def _read_adjustments(doc: _Doc, items: list[RegimenItem], result: ParsedRegimen) -> None:
    text = doc.text
    for cue in clauses.adjustment_cues(text):
        sentence = doc.sentence_of(cue.start)
        drug = clauses.cue_drug(text, cue, sentence, doc.mentions)
        clause_end = min(sentence.end, cue.end + 120)
        target_item = next(
            (
                i
                for i in items
                if cue.end <= i.start < clause_end
                and _TO_BEFORE.search(text[cue.end : i.start][-40:])
                and not any(cue.end <= k.start < i.start for k in items)
            ),
            None,
        )
        target_level = next(
            (t for t in result.targets if t.text and text.find(t.text, cue.end, clause_end + 40) >= 0), None
        )
        if target_item is not None and target_item.dose is not None:
            kind = cue.kind
            target_item.role = {
                "taper": "taper",
                "reduce": "reduction",
                "increase": "titration",
                "titrate": "titration",
            }.get(kind, target_item.role)
            adjustment = clauses.make_adjustment(
                kind, target_item.drug or drug, text[cue.start : target_item.end], to_dose=target_item.dose
            )
            drug = target_item.drug or drug
        elif target_level is not None:
            end = clauses.word_end(text, cue.start, min(sentence.end, clause_end + 40))
            adjustment = clauses.make_adjustment(cue.kind, drug, text[cue.start : end], target=target_level)
        elif cue.kind in {"taper", "stop", "switch"}:
            end = clauses.word_end(text, cue.start, min(sentence.end, cue.end + 80))
            adjustment = clauses.make_adjustment(cue.kind, drug, text[cue.start : end])
        else:
            continue
        result.adjustments.append(adjustment)
        for item in items:
            if item is target_item:
                continue
            if (drug is not None and item.drug is not None and _same_substance(item.drug, drug)) or (
                drug is None and doc.sentence_of(item.start) == sentence and item.start < cue.start
            ):
                item.adjustments.append(adjustment)


def _read_conditions(doc: _Doc, items: list[RegimenItem], result: ParsedRegimen) -> None:
    reach = clauses.condition_reach(doc.text)
    if not reach:
        return
    for sentence in doc.sentences:
        if not any(start < sentence.end and sentence.start < end for start, end in reach):
            # One pass over the text tells which sentences to read: most have no cue.
            continue
        found: list[tuple[int, Condition]] = clauses.find_conditions(doc.text, sentence)
        for _, condition in found:
            result.conditions.append(condition)
            for item in items:
                if sentence.start <= item.start < sentence.end:
                    item.conditions.append(condition)


def _collect_unparsed(
    doc: _Doc, items: list[RegimenItem], unreadable: list[tuple[int, int, str]], result: ParsedRegimen
) -> None:
    text = doc.text
    for start, end, reason in unreadable:
        result.unparsed.append(Unparsed(text=text[start:end].strip(), reason=reason, start=start, end=end))
    dosed = {i.drug for i in items if i.dose is not None}
    # Both cues below need "dos(e|age|ing)"; most texts have none and skip the per-sentence searches.
    dosed_text = "dos" in text.lower()
    # A sentence can state a dose in words only if the whole text does (a sentence starts and ends beside
    # a non-word character, so its match is the text's at the same place): one search spares the rest.
    in_words = dosed_text and _DOSE_IN_WORDS_FAST.matches(text)
    for sentence in doc.sentences if dosed_text else ():
        chunk = text[sentence.start : sentence.end]
        has_item = any(sentence.start <= i.start < sentence.end for i in items)
        words = _DOSE_IN_WORDS.search(chunk) if in_words else None
        if words and not has_item:
            result.unparsed.append(
                Unparsed(
                    text=chunk.strip(), reason="dose stated in words", start=sentence.start, end=sentence.end
                )
            )
            continue
        if has_item or not _DOSE_WORD.search(chunk):
            continue
        if any(t.text and t.text in chunk for t in result.targets):
            continue
        named = [
            m for m in doc.mentions if sentence.start <= m.start < sentence.end and m.info.name not in dosed
        ]
        if named:
            result.unparsed.append(
                Unparsed(
                    text=chunk.strip(),
                    reason="dose mentioned without an amount",
                    start=sentence.start,
                    end=sentence.end,
                )
            )
            for mention in named:
                items.append(
                    RegimenItem(
                        drug=mention.info.name,
                        drug_class=mention.info.drug_class,
                        drug_text=mention.surface,
                        text=chunk.strip(),
                        start=mention.start,
                        end=mention.end,
                        status="unparsed",
                    )
                )
    items.sort(key=lambda i: i.start)
    seen: set[str] = set()
    analytes = {t.analyte for t in result.targets}
    for mention in doc.mentions:
        if (
            mention.info.name not in dosed
            and mention.info.name not in seen
            and mention.info.name not in analytes
        ):
            seen.add(mention.info.name)
            result.mentions.append(mention.info.name)


def _apply_named_frequency_sentences(doc: _Doc, items: list[RegimenItem]) -> None:
    """ "Pulse CYC was administered every month for a total of six infusions", a sentence of its own and
    without a dose, says how often the doses of the drug it names are given, when they do not say."""
    for sentence in doc.sentences:
        if any(sentence.start <= item.start < sentence.end for item in items):
            continue
        names = {m.info.name for m in doc.mentions if sentence.start <= m.start < sentence.end}
        if len(names) != 1 or not _ADMINISTERED.search(doc.text, sentence.start, sentence.end):
            continue
        codes = {
            f[2]
            for f in doc.freqs
            if sentence.start <= f[0] < sentence.end and ("freq", f[0]) not in doc.claimed
        }
        if len(codes) != 1:
            continue
        code = codes.pop()
        for item in items:
            if (
                item.dose is not None
                and item.frequency is None
                and item.drug in names
                and item.start < sentence.start
            ):
                item.frequency = code


_OR_GAP = re.compile(r"[^;.]*\bor\b[^;.]*$", re.IGNORECASE)


def _mark_alternatives(doc: _Doc, items: list[RegimenItem]) -> None:
    """Doses of one drug joined by "or" in one sentence ("1.0-1.5 mg/kg, qod or 0.5-0.75 mg/kg/day, qd")
    are alternatives: one is given, never both."""
    dosed = [item for item in items if item.dose is not None]
    for first, second in itertools.pairwise(dosed):
        if (
            first.drug == second.drug
            and doc.sentence_of(first.start) == doc.sentence_of(second.start)
            and _OR_GAP.match(doc.text, first.end, second.start)
        ):
            group = first.alternative_group if first.alternative_group is not None else first.start
            first.alternative_group = second.alternative_group = group


def _unclaimed(doc: _Doc, kind: str, spans: list[lexicon.Span], start: int, end: int) -> list[lexicon.Span]:
    return [s for s in spans if start <= s[0] and s[1] <= end and (kind, s[0]) not in doc.claimed]
