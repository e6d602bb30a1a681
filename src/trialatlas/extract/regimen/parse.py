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

import bisect
import re
from dataclasses import dataclass

from trialatlas.extract.regimen import clauses, lexicon
from trialatlas.extract.regimen.amounts import Amount, find_amounts
from trialatlas.extract.regimen.drugs import (
    WORD,
    DrugInfo,
    Mention,
    find_mentions,
    fuzzy_lookup,
    lookup,
    looks_like_code,
)
from trialatlas.extract.regimen.drugs import _NOT_DRUGS as NOT_DRUGS
from trialatlas.extract.regimen.drugs import _STOPWORDS as STOPWORDS
from trialatlas.extract.regimen.models import (
    Condition,
    Dose,
    Duration,
    Formulation,
    ParsedRegimen,
    RegimenItem,
    TargetLevel,
    Unparsed,
)

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
    return _ESCAPES.sub(r"\1", text).translate(_TRANSLATE)


_AUC_DOSE = re.compile(
    r"\bAUC\s*(?:of\s+|=\s*|:\s*)?(?P<lo>\d+(?:\.\d+)?)(?:\s*(?:-|to)\s*(?P<hi>\d+(?:\.\d+)?))?"
    r"(?!\s*(?:ng|µg|μg|ug|mcg|mg|nmol|mmol)\s*[.·*]?\s*h?\s*/)(?:\s*mg\s*/\s*m[lL]\s*[/.·x×*]?\s*min)?",
)
_CELL_CONTEXT = re.compile(r"\bcells?\b|\bMSCs?\b|stem\s+cell|CAR-?T|\bCD34", re.IGNORECASE)
_DAYS_MULTI = re.compile(
    r"\bdays?\s*-?\d+\s*(?:-|to|through|thru)\s*-?\d+|\bdays?\s*\d+\s*(?:,|and|&)\s*\d+|"
    r"(?:x|for|×)\s*(?:\d+|one|two|three|four|five|six|seven|ten|fourteen|twenty-one)\s*(?:consecutive\s+)?days",
    re.IGNORECASE,
)
_WEEKS = re.compile(
    r"\b(?:at|on|in|during)?\s*(?:weeks?|wks?)\s+(\d+(?:\s*(?:,|and|&|,\s*and)\s*\d+)+|\d+)\b", re.IGNORECASE
)
_DAY_SCHEDULE = re.compile(
    r"\b(?:on\s+)?days?\s*[-+]?\d+(?:\s*(?:,|and|&|-|to|through)\s*[-+]?\d+)*(?:\s+of\s+(?:each|every|a|the)\s+"
    r"\d+[-\s]day\s+(?:treatment\s+)?cycles?)?",
    re.IGNORECASE,
)
_TO_BEFORE = re.compile(r"\b(?:to|until|at)\s+(?:a\s+(?:dose|maximum)\s+of\s+)?(?:about\s+)?$", re.IGNORECASE)
_AFTER_GAP = re.compile(
    r"^\s*(?:\)\s*)?(?:of\s+(?:the\s+)?(?:\d+(?:\.\d+)?\s*%\s+)?)?(?:[A-Za-z-]+\s+){0,2}?$|^\s*$"
)
_OF_UNKNOWN = re.compile(r"^\s*of\s+(?:the\s+)?((?:[A-Za-z][A-Za-z0-9\-']*\s*){1,3})")
_WORDS_IN_TEXT = re.compile(r"\S+")
_DOSE_IN_WORDS = re.compile(
    r"\b(?:standard|usual|recommended|fixed|weight-based|adjusted|individuali[sz]ed|label(?:l)?ed|approved|"
    r"therapeutic|appropriate|prescribed|stable|same|clinical|conventional|routine)\s+dos(?:e|es|age|ing)\b|"
    r"\bdos(?:e|es|age|ing)\s+(?:will\s+be\s+|is\s+|was\s+|are\s+)?(?:according\s+to|adjusted|based\s+on|"
    r"determined|per\s+protocol|as\s+per|at\s+the\s+discretion|individuali[sz]ed|calculated|weight-adjusted)",
    re.IGNORECASE,
)
_DOSE_WORD = re.compile(r"\bdos(?:e|es|age|ing)\b", re.IGNORECASE)
_ROUTE_STRONG_WEAK = {"infusion", "infusions", "infused", "bolus", "venous", "drip infusion"}


@dataclass
class _Doc:
    text: str
    mentions: list[Mention]
    sentences: list[clauses.Sentence]
    sentence_starts: list[int]
    freqs: list[lexicon.Span]
    routes: list[lexicon.Span]
    forms: list[lexicon.Span]
    bound_routes: dict[int, str]
    claimed: set[tuple[str, int]]

    def sentence_of(self, pos: int) -> clauses.Sentence:
        index = bisect.bisect_right(self.sentence_starts, pos) - 1
        if index < 0:
            return clauses.Sentence(0, len(self.text))
        return self.sentences[index]


def parse_regimen(text: str, default_drug: str | None = None) -> ParsedRegimen:
    """Every dose the text states, as regimen items, with targets, adjustments and what it could not read.

    ``default_drug`` (an intervention's name) is the drug of doses whose text names none.
    """
    norm = normalise_text(text)
    mentions = find_mentions(norm)
    sentence_list = clauses.sentences(norm)
    doc = _Doc(
        text=norm,
        mentions=mentions,
        sentences=sentence_list,
        sentence_starts=[s.start for s in sentence_list],
        freqs=lexicon.find_frequencies(norm),
        routes=lexicon.find_routes(norm),
        forms=lexicon.find_form_routes(norm),
        bound_routes={},
        claimed=set(),
    )
    _bind_routes(doc)
    amounts, unreadable = find_amounts(norm, bool(_CELL_CONTEXT.search(norm)))
    amounts = _with_auc_doses(norm, amounts)
    result = ParsedRegimen(text=norm)
    doses: list[Amount] = []
    for amount in amounts:
        sentence = doc.sentence_of(amount.start)
        if amount.concentration:
            if amount.unit in {"ng", "mcg", "mg", "g", "mmol"} and _target_context(norm, amount, sentence):
                result.targets.append(clauses.target_from(norm, amount, sentence, mentions))
            continue
        doses.append(amount)
    items: list[RegimenItem] = []
    previous_end = -1
    for index, amount in enumerate(doses):
        next_start = doses[index + 1].start if index + 1 < len(doses) else len(norm)
        item = _item(doc, amount, previous_end, next_start, items, default_drug)
        previous_end = amount.end
        if item is None:
            continue
        items.append(item)
    items = _drop_restatements(items, doses, doc)
    items = _fold_formulations(norm, items)
    _apply_cycle_sentences(doc, items)
    _apply_duration_sentences(doc, items)
    _inherit_within_sentence(doc, items)
    _attach_targets(result.targets, items)
    _read_adjustments(doc, items, result)
    _read_conditions(doc, items, result)
    result.items = items
    _collect_unparsed(doc, items, unreadable, result)
    return result


def _bind_routes(doc: _Doc) -> None:
    """A route word just before a drug name ("intravenous belimumab", "oral MMF") belongs to that drug."""
    for start, end, route in doc.routes:
        for mention in doc.mentions:
            if 0 <= mention.start - end <= 2:
                doc.bound_routes[mention.start] = route
                doc.claimed.add(("route", start))
                break


def _with_auc_doses(text: str, amounts: list[Amount]) -> list[Amount]:
    extra: list[Amount] = []
    for match in _AUC_DOSE.finditer(text):
        low = float(match.group("lo"))
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
    if lexicon.MAX_CUE_BEFORE.search(before) or lexicon.MAX_CUE_AFTER.match(text[amount.end : amount.end + 15]):
        if items and doc.sentence_of(items[-1].start) == sentence and items[-1].dose is not None:
            items[-1].max_dose = Dose(low=amount.low, high=amount.high, unit=amount.unit, basis=amount.basis)
        return None
    mention, info = _choose_drug(doc, amount, previous_end, sentence)
    drug = info.name if info else None
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
        if amount.end <= other.start < post_end and (info is None or other.info.name != info.name):
            post_end = other.start
            break
    pre_start = max(sentence.start, previous_end if previous_end >= 0 else 0)
    frequency, frequency_text = _frequency(doc, amount, pre_start, post_end, sentence)
    route = _route(doc, amount, pre_start, post_end, mention)
    duration = _duration(text, amount.end, post_end)
    role = None
    pre_text = text[pre_start : amount.start]
    roles = list(lexicon.ROLE.finditer(pre_text[-60:]))
    if roles:
        role = lexicon.role_word(roles[-1].group(1))
    pulse = bool(lexicon.PULSE.search(text[pre_start : amount.start])) or bool(
        lexicon.PULSE.search(text[amount.end : min(post_end, amount.end + 25)])
    )
    basis = amount.basis
    if basis == "dose" and (
        lexicon.TOTAL.search(text[max(pre_start, amount.start - 30) : amount.start])
        or lexicon.TOTAL.match(text[amount.end : amount.end + 20].lstrip(" ,("))
    ):
        basis = "total"
    schedule, weeks = _schedule(text, amount.end, post_end)
    return RegimenItem(
        drug=drug,
        drug_class=drug_class,
        drug_text=drug_text,
        dose=Dose(low=amount.low, high=amount.high, unit=amount.unit, basis=basis),
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


def _choose_drug(
    doc: _Doc, amount: Amount, previous_end: int, sentence: clauses.Sentence
) -> tuple[Mention | None, DrugInfo | None]:
    text = doc.text
    prev: Mention | None = None
    after: Mention | None = None
    for mention in doc.mentions:
        if sentence.start <= mention.start and mention.end <= amount.start:
            prev = mention
        elif mention.start >= amount.end and mention.start < sentence.end:
            after = mention
            break
    if prev is not None:
        gap = text[prev.end : amount.start]
        immediate = len(_WORDS_IN_TEXT.findall(gap)) <= 6 and prev.end >= previous_end
        if immediate:
            return prev, prev.info
    if after is not None and _AFTER_GAP.match(text[amount.end : after.start]):
        return after, after.info
    if prev is not None:
        return prev, prev.info
    unknown = _unknown_drug(text, amount, sentence)
    if unknown is not None:
        return None, unknown
    earlier = [m for m in doc.mentions if m.end <= amount.start]
    if earlier:
        return earlier[-1], earlier[-1].info
    return None, None


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
        if gap.strip(" :") == "" and word.isalpha() and word.lower() not in STOPWORDS | NOT_DRUGS:
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


def _frequency(
    doc: _Doc, amount: Amount, pre_start: int, post_end: int, sentence: clauses.Sentence
) -> tuple[str | None, str | None]:
    if amount.frequency_code:
        return amount.frequency_code, amount.text
    text = doc.text
    chosen: lexicon.Span | None = None
    after = _unclaimed(doc, "freq", doc.freqs, amount.end, post_end)
    if after:
        chosen = after[0]
    else:
        before = _unclaimed(doc, "freq", doc.freqs, pre_start, amount.start)
        if before:
            chosen = before[-1]
    if chosen is not None:
        doc.claimed.add(("freq", chosen[0]))
        code = chosen[2]
        if _is_cycle_code(code) and _DAYS_MULTI.search(text[amount.end : chosen[0]]):
            # "11 mg/m2/day x 5 days every 28 days": the cycle repeats; the dosing itself is not q4w.
            return None, text[chosen[0] : chosen[1]]
        return code, text[chosen[0] : chosen[1]]
    tail = text[amount.end : sentence.end]
    cycle = lexicon.cycle_frequency(tail)
    if cycle is not None and not _DAYS_MULTI.search(tail[: cycle[0]]):
        return cycle[2], tail[cycle[0] : cycle[1]]
    return None, None


def _is_cycle_code(code: str) -> bool:
    return bool(re.fullmatch(r"Q(?:[2-9]|1\d)W|QM|Q\d+M|Q(?:1[4-9]|[2-9]\d)D", code))


def _route(doc: _Doc, amount: Amount, pre_start: int, post_end: int, mention: Mention | None) -> str | None:
    if mention is not None and mention.start in doc.bound_routes:
        return doc.bound_routes[mention.start]
    text = doc.text

    def rank(span: lexicon.Span) -> int:
        word = text[span[0] : span[1]].lower()
        return 1 if word in _ROUTE_STRONG_WEAK else 2

    after = _unclaimed(doc, "route", doc.routes, amount.end, post_end)
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
        return best[2]
    forms = [s for s in doc.forms if pre_start <= s[0] and s[1] <= post_end]
    if forms:
        return forms[0][2]
    return None


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
        (u for prefix, u in (("min", "minute"), ("h", "hour"), ("d", "day"), ("w", "week"), ("mo", "month"),
                             ("y", "year"), ("cy", "cycle"), ("co", "cycle"), ("do", "dose")) if word.startswith(prefix)),
        "day",
    )
    return Duration(low=low, high=high, unit=unit, text=match.group(0))  # type: ignore[arg-type]


def _schedule(text: str, start: int, end: int) -> tuple[str | None, list[float]]:
    window = text[start:end]
    weeks = _WEEKS.search(window)
    if weeks:
        numbers = [float(n) for n in re.findall(r"\d+", weeks.group(1))]
        thereafter = re.search(r"(?:every|q)\s*\d+\s*weeks?\s+(?:thereafter|after\s+that)", window, re.IGNORECASE)
        phrase = weeks.group(0).strip()
        if thereafter:
            phrase = f"{phrase}, then {thereafter.group(0)}"
        return phrase, numbers
    days = _DAY_SCHEDULE.search(window)
    if days:
        return days.group(0).strip(), []
    return None, []


def _drop_restatements(items: list[RegimenItem], doses: list[Amount], doc: _Doc) -> list[RegimenItem]:
    """"225 mg administered as one injection (225 mg/1.5 mL)" states one dose, not two."""
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
        while cursor + 1 < len(items) and items[cursor + 1].drug == item.drug and re.fullmatch(
            r"\s*(?:,|and|or|/)\s*", text[items[cursor].end : items[cursor + 1].start]
        ):
            cursor += 1
            run.append(cursor)
        form = lexicon.FORM_NOUN.match(text, items[cursor].end)
        if form is None:
            continue
        later = [
            k for k in items[cursor + 1 :]
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


def _apply_cycle_sentences(doc: _Doc, items: list[RegimenItem]) -> None:
    """"Cycle repeated every 3 weeks" in a sentence of its own sets the frequency of single-day doses."""
    for sentence in doc.sentences:
        chunk = doc.text[sentence.start : sentence.end]
        if not re.search(r"\bcycles?\b|\brepeat", chunk, re.IGNORECASE):
            continue
        if any(sentence.start <= item.start < sentence.end for item in items):
            continue
        codes = [f for f in doc.freqs if sentence.start <= f[0] < sentence.end and _is_cycle_code(f[2])]
        cycle = lexicon.cycle_frequency(chunk)
        code = codes[0][2] if codes else (cycle[2] if cycle else None)
        if code is None:
            continue
        for item in items:
            if item.start < sentence.start and item.frequency is None and item.dose is not None:
                if not _DAYS_MULTI.search(item.schedule or ""):
                    item.frequency = code


_DURATION_SENTENCE = re.compile(r"^\W*(?:total\s+)?(?:treatment\s+|therapy\s+|study\s+)?duration\b", re.IGNORECASE)


def _apply_duration_sentences(doc: _Doc, items: list[RegimenItem]) -> None:
    """"Total duration: 1 year" in a sentence of its own is the duration of the doses before it."""
    for sentence in doc.sentences:
        chunk = doc.text[sentence.start : sentence.end]
        if not _DURATION_SENTENCE.match(chunk):
            continue
        match = re.search(r"(\d+(?:\.\d+)?|one|two|three|four|six|twelve)\s*(days?|weeks?|months?|years?)", chunk, re.I)
        if match is None:
            continue
        duration = _duration("for " + match.group(0), 0, len(match.group(0)) + 4)
        for item in items:
            if item.start < sentence.start and item.duration is None and item.dose is not None:
                item.duration = duration


def _inherit_within_sentence(doc: _Doc, items: list[RegimenItem]) -> None:
    """A later dose of the same drug in the same sentence keeps the route and frequency stated earlier."""
    for index, item in enumerate(items):
        if index == 0 or item.drug is None:
            continue
        sentence = doc.sentence_of(item.start)
        for earlier in reversed(items[:index]):
            if earlier.drug != item.drug or doc.sentence_of(earlier.start) != sentence:
                continue
            if item.route is None:
                item.route = earlier.route
            if item.frequency is None and item.role not in {"loading", "starting"} and earlier.role != "loading":
                between = doc.text[earlier.end : item.start]
                if not re.search(r"\bthen\b|\bfollowed\b|\bafter\b|\bthereafter\b", between, re.IGNORECASE):
                    item.frequency = earlier.frequency
            break


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
                i for i in items
                if cue.end <= i.start < clause_end and _TO_BEFORE.search(text[cue.end : i.start][-40:])
                and not any(cue.end <= k.start < i.start for k in items)
            ),
            None,
        )
        target_level = next(
            (t for t in result.targets if t.text and text.find(t.text, cue.end, clause_end + 40) >= 0), None
        )
        if target_item is not None and target_item.dose is not None:
            kind = cue.kind
            target_item.role = {"taper": "taper", "reduce": "reduction", "increase": "titration",
                                "titrate": "titration"}.get(kind, target_item.role)
            adjustment = clauses.make_adjustment(
                kind, target_item.drug or drug, text[cue.start : target_item.end], to_dose=target_item.dose
            )
            drug = target_item.drug or drug
        elif target_level is not None:
            adjustment = clauses.make_adjustment(
                cue.kind, drug, text[cue.start : min(sentence.end, clause_end + 40)], target=target_level
            )
        elif cue.kind in {"taper", "stop", "switch"}:
            adjustment = clauses.make_adjustment(cue.kind, drug, text[cue.start : min(sentence.end, cue.end + 80)])
        else:
            continue
        result.adjustments.append(adjustment)
        for item in items:
            if item is target_item:
                continue
            if drug is not None and item.drug == drug or (
                drug is None and doc.sentence_of(item.start) == sentence and item.start < cue.start
            ):
                item.adjustments.append(adjustment)


def _read_conditions(doc: _Doc, items: list[RegimenItem], result: ParsedRegimen) -> None:
    for sentence in doc.sentences:
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
    for sentence in doc.sentences:
        chunk = text[sentence.start : sentence.end]
        has_item = any(sentence.start <= i.start < sentence.end for i in items)
        words = _DOSE_IN_WORDS.search(chunk)
        if words and not has_item:
            result.unparsed.append(
                Unparsed(text=chunk.strip(), reason="dose stated in words", start=sentence.start, end=sentence.end)
            )
            continue
        if has_item or not _DOSE_WORD.search(chunk):
            continue
        named = [m for m in doc.mentions if sentence.start <= m.start < sentence.end and m.info.name not in dosed]
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
    for mention in doc.mentions:
        if mention.info.name not in dosed and mention.info.name not in seen:
            seen.add(mention.info.name)
            result.mentions.append(mention.info.name)
