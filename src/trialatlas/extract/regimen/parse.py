"""Parse arm and intervention text into regimen items.

The parser is rule-based and works in two passes. First it finds, independently, every amount with
its unit and basis (amounts.py), every drug mention (drugs.py), and every frequency, route, duration
and role cue (lexicon.py). Then each amount becomes one item and takes, from the words around it,
its drug (the name just before it, else one just after "of", else the last one named), and the
frequency, route and duration written after it up to the next dose, or failing that before it.
A cue used by one dose is not reused by the next.

This module holds the order of the passes and the making of one item; the passes live in rooms of
their own: which amounts are doses (amount_kinds.py), which drug a dose is of (drug_choice.py, with
naming.py), its route (routes.py), its stated frequency and schedule (stated_frequency.py), the
frequency the spec infers (schedule.py), the passes over all items (passes.py) and the items that are
no dose statement (not_dose_items.py).

What the text states in words only ("at the standard dose") or with a unit the parser does not
know is returned as :class:`Unparsed`: a number is never made up.
"""

from __future__ import annotations

import itertools
import re

from trialatlas.extract.regimen import clauses, gate, lexicon, naming
from trialatlas.extract.regimen.amount_kinds import (
    _COUNT_UNITS,
    _amount_kind,
    _drop_parenthetical_restatements,
    _restates_a_dose,
    _target_context,
    _with_auc_doses,
)
from trialatlas.extract.regimen.amounts import ROUTE_BEFORE_PER, Amount, find_amounts
from trialatlas.extract.regimen.context import (
    TrialInterventions,
    as_context,
    trial_context,
    with_context,
    with_own_short_forms,
)
from trialatlas.extract.regimen.dose_bounds import bound_kind
from trialatlas.extract.regimen.drug_choice import _added_drug, _choose_drug, _escalated_drug, _listed_after
from trialatlas.extract.regimen.drugs import (
    DrugInfo,
    Mention,
    find_mentions,
    lookup,
    written_generic,
)
from trialatlas.extract.regimen.models import (
    Dose,
    ParsedRegimen,
    RegimenItem,
)
from trialatlas.extract.regimen.not_dose_items import (
    _drop_daily_totals,
    _drop_unnamed_volumes,
    _drop_vehicles,
)
from trialatlas.extract.regimen.passes import (
    _apply_context_sentences,
    _apply_cycle_sentences,
    _apply_duration_sentences,
    _apply_named_frequency_sentences,
    _apply_trailing_cycles,
    _attach_targets,
    _collect_unparsed,
    _Doc,
    _drop_restatements,
    _duration,
    _fold_formulations,
    _inherit_within_sentence,
    _mark_alternatives,
    _read_adjustments,
    _read_conditions,
    _share_in_lists,
    _specify_by_context,
)
from trialatlas.extract.regimen.presentations import drop_presentations
from trialatlas.extract.regimen.record_route import share_record_route
from trialatlas.extract.regimen.routes import (
    _NEXT_STEP,
    _bind_routes,
    _route,
    _share_route_by_drug,
    _share_with_contents,
)
from trialatlas.extract.regimen.schedule import infer_frequencies
from trialatlas.extract.regimen.single_sentences import apply_single_dose_sentences
from trialatlas.extract.regimen.stated_frequency import _frequencies, _frequency, _schedule
from trialatlas.extract.regimen.thresholds import attach_thresholds
from trialatlas.extract.regimen.times_per_day import apply_times_per_day
from trialatlas.text.packaged import packaged_words

# Another name in brackets closing an intervention's name ("Blueberry extract (Vaccinium macrocarpon)").
_BRACKETED_TAIL = re.compile(r"(?<=\S)\s*\([^()]*\)\s*$")
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
        # CJK compatibility units of Chinese registries' texts ("25mg/㎡/day").
        "㎡": "m2",
        "㎎": "mg",
        "㎍": "µg",
        "㎏": "kg",
        "㎖": "mL",
        "®": " ",
        "™": " ",
        "\t": " ",
    }
)

_ASCII_KEYS = tuple(chr(key) for key in _TRANSLATE if key < 128)


# "p. o.", "i. v.", "b. i. d.": a dotted abbreviation (dotted_abbreviations.txt) whose letters a space was
# put between (the descriptions dump's maker cut every ". "), joined again so that the lexicon reads it as
# "p.o.", "i.v.", "b.i.d.". Longest first, so that "b. i. d." is not read as "b. i." and "d.".
_DOTTED_PARTS = [
    word.rstrip(".").split(".")
    for word in sorted(
        packaged_words(__package__, "dotted_abbreviations.txt"), key=lambda word: (-len(word), word)
    )
]
_SPLIT_ABBREVIATION = re.compile(
    r"(?<![A-Za-z0-9.])(?:"
    + "|".join(r"\.\s".join(re.escape(part) for part in parts) for parts in _DOTTED_PARTS)
    + r")\.(?![A-Za-z])",
    re.IGNORECASE,
)
# Each split abbreviation holds ". ", its second part and "." ("p. o." holds ". o."): a text with none of
# these is left as it is without trying the long alternation at every position (one of a single part would
# hold no ". ", and then every text is tried).
_SECOND_PARTS = sorted({re.escape(parts[1]) for parts in _DOTTED_PARTS if len(parts) > 1})
_SPLIT_HINT = (
    re.compile(r"\.\s(?:" + "|".join(_SECOND_PARTS) + r")\.", re.IGNORECASE)
    if all(len(parts) > 1 for parts in _DOTTED_PARTS)
    else None
)


def _join_abbreviation(match: re.Match[str]) -> str:
    return match.group().replace(" ", "")


# A sentence's first word glued to the last word before it (registry texts join an intervention's heading
# and its description with no space): the opener is looked for first, as a lookbehind at every character
# costs more.
_SENTENCE_OPENER = re.compile(r"(?:The|This|These|Patients|Participants|Subjects)\b")
_GLUED_BEFORE = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")


def _split_glued_sentences(text: str) -> str:
    glued = [
        m.start()
        for m in _SENTENCE_OPENER.finditer(text)
        if m.start() and text[m.start() - 1] in _GLUED_BEFORE
    ]
    for start in reversed(glued):
        text = f"{text[:start]} {text[start:]}"
    return text


def normalise_text(text: str) -> str:
    """The text with markdown escapes removed, look-alike punctuation unified and split dotted abbreviations
    joined (offsets refer to this)."""
    if "\\" in text:
        text = _ESCAPES.sub(r"\1", text)
    if ". " in text and (_SPLIT_HINT is None or _SPLIT_HINT.search(text) is not None):
        text = _SPLIT_ABBREVIATION.sub(_join_abbreviation, text)
    # "4-6mg rhBMP-2The patients ...": a heading run into the description after it, so that the name
    # before is read whole.
    text = _split_glued_sentences(text)
    if text.isascii() and not any(key in text for key in _ASCII_KEYS):
        # translate() looks up every character in the table: an ASCII text (most) without the table's
        # few ASCII keys (the tab) is left as it is without that walk.
        return text
    return text.translate(_TRANSLATE)


_CELL_CONTEXT = re.compile(r"\bcells?\b|\bMSCs?\b|stem\s+cell|CAR-?T|\bCD34", re.IGNORECASE)
_DIGIT = re.compile(r"\d")
# "10 mg of phenobarbital per kilogram", "0.15 mg of dexamethasone per kilogram per day", "40 mg simvastatin
# tablet orally per day": the body basis or period written after the drug's name, with at most a dose-form
# word and a route word between them.
_PER_AFTER_DRUG = re.compile(
    r"(?:\s+(?:tablets?|tabs?|capsules?|caps|pills?))?"
    rf"(?:{ROUTE_BEFORE_PER.pattern})?"
    r"\s*(?:/|per\s+|a\s+)(day|d|week|kg|kilograms?|m2)\b(?:\s*(?:of\s+)?(?:body\s*weight\s*)?(?:/|per\s+)(day|d)\b)?",
    re.IGNORECASE,
)
_TOTAL_RIGHT_BEFORE = re.compile(
    r"\b(?:total|cumulative)(?:\s+(?:daily\s+)?(?:dose|dosage|amount))?(?:\s+to\s+be\s+(?:administered|given))?"
    r"\s*(?:of|:|=|is|was|will\s+be)?\s*$",
    re.IGNORECASE,
)
# "36.5 mg/kg total dose", "(4.5 g/m2 total)", "32 mL/kg overall": a course's sum written after it.
_TOTAL_RIGHT_AFTER = re.compile(r"\s*(?:total|in\s+total|overall|cumulative)\b", re.IGNORECASE)
_SPLIT_CODES = frozenset({"BID", "TID", "QID"})
# "a daily dose of 1000 mg", "The daily dose of lapatinib is 1250 mg", "total daily dose: 2 g".
_DAILY_DOSE_CUE = (
    r"\b(?:total\s+)?daily\s+(?:dose|dosage)\s*(?:of\s+|(?:of\s+[\w-]+(?:\s+[\w-]+)?\s+)?(?:is|was|will\s+be|=|:)\s*"
    # "The daily dose of the drug is defined as 250 mg".
    r"(?:defined\s+as\s+|set\s+at\s+|fixed\s+at\s+)?)?"
)
_DAILY_DOSE_BEFORE = re.compile(_DAILY_DOSE_CUE + "$", re.IGNORECASE)
# "The daily dose ... is 250 mg, 500 mg or 1000 mg": each amount of a list after the cue is a day's amount.
_LIST_SEPARATOR_BEFORE = re.compile(r"[A-Za-zµμ]\s*(?:,\s*(?:or\s+|and\s+)?|\s+or\s+|\s+and\s+)$")
_DAILY_DOSE_LIST_BEFORE = re.compile(
    _DAILY_DOSE_CUE
    + r"(?:\d+(?:\.\d+)?\s*[A-Za-zµμ]{1,5}\s*(?:,\s*(?:or\s+|and\s+)?|\s+or\s+|\s+and\s+)){1,6}$",
    re.IGNORECASE,
)


def parse_regimen(
    text: str,
    default_drug: str | None = None,
    *,
    gated: bool = True,
    interventions: TrialInterventions = (),
) -> ParsedRegimen:
    """Every dose the text states, as regimen items, with targets, adjustments and what it could not read.

    ``default_drug`` (an intervention's name) is the drug of doses whose text names none. A dose the
    item gate doubts is given as unread (gate.py); ``gated=False`` keeps every reading (to train it).
    ``interventions``, the names the text's trial lists for its interventions (each name with its other
    names), are read as drug names where the text writes them (context.py); the text alone is read
    without them.
    """
    norm = normalise_text(text)
    mentions = with_own_short_forms(norm, find_mentions(norm))
    listed: list[Mention] = []
    if interventions:
        read = with_context(norm, mentions, trial_context(as_context(interventions)))
        listed = [m for m in read if m not in mentions]
        mentions = read
    amounts: list[Amount] = []
    unreadable: list[tuple[int, int, str]] = []
    # Every amount has a digit: a text without one has no doses (about half of all arm texts).
    if _DIGIT.search(norm) is not None:
        amounts, unreadable = find_amounts(norm, _cell_context(norm))
        # "MART-1:26-35(27L)", "KSP 0243 tablets": a number inside a name the trial lists, or inside a code
        # the text writes with a space before its number, is part of the name, not a dose.
        named = [*listed, *(m for m in mentions if not m.known and " " in m.surface)]
        if named:
            amounts = [a for a in amounts if not any(m.start <= a.start < m.end for m in named)]
        amounts = _with_auc_doses(norm, amounts)
    # The words that only ever describe a dose (frequency, route, dosage form) are looked for only in
    # a text that states one.
    dosing = bool(amounts)
    doc = _Doc(
        text=norm,
        mentions=mentions,
        freqs=_frequencies(norm) if dosing else [],
        routes=lexicon.find_routes(norm) if dosing else [],
        forms=lexicon.find_form_routes(norm) if dosing else [],
        bound_routes={},
        claimed=set(),
        implied_routes=set(),
    )
    if dosing:
        _bind_routes(doc)
    result = ParsedRegimen(text=norm)
    doses: list[Amount] = []
    stops: list[Amount] = []
    for amount in amounts:
        sentence = doc.sentence_of(amount.start)
        if amount.concentration:
            if amount.unit in {"ng", "mcg", "mg", "g", "mmol"} and _target_context(norm, amount, sentence):
                result.targets.append(clauses.target_from(norm, amount, sentence, mentions))
            continue
        kind = _amount_kind(norm, amount, sentence)
        if kind == "limit":
            kind = bound_kind(norm, amount, mentions)
        if kind == "dose" and amount.unit in _COUNT_UNITS and _restates_a_dose(doc, amount, doses, sentence):
            kind = "skip"
        if kind == "dose":
            doses.append(amount)
        elif kind == "stop":
            stops.append(amount)
    concentrations = tuple(a for a in amounts if a.concentration)
    doses = drop_presentations(norm, _drop_parenthetical_restatements(norm, doses, concentrations))
    # Amounts that are not doses but still end the words of the dose before them ("then 70 Gy daily").
    bounds = sorted(doses + stops, key=lambda a: a.start) if stops else doses
    stop_ids = {id(a) for a in stops}
    # Whether each dose is a cap, read once: the loop below asks it of every dose after the current one.
    capped = {id(a) for a in doses if _is_cap(doc, a)}
    items: list[RegimenItem] = []
    previous_end = -1
    for index, amount in enumerate(bounds):
        # A cap written after a dose ("1 mg/kg/day (maximum 60 mg/day) by mouth") is part of its words.
        later = (other for other in bounds[index + 1 :] if id(other) in stop_ids or id(other) not in capped)
        next_start = next((other.start for other in later), len(norm))
        if id(amount) in stop_ids:
            previous_end = amount.end
            continue
        item = _item(doc, amount, previous_end, next_start, items, default_drug, id(amount) in capped)
        previous_end = amount.end
        if item is None:
            continue
        items.append(item)
    if items:
        items = _drop_restatements(items, doses, doc)
        _share_in_lists(doc, items, {a.start for a in doses if a.extras.get("listed")})
        _share_with_contents(doc, items)
        items = _drop_vehicles(_fold_formulations(norm, items), norm)
    # The passes below that only refine items are skipped when the text states no dose (most texts):
    # adjustments and conditions are read either way.
    if items:
        _apply_cycle_sentences(doc, items)
        _apply_trailing_cycles(doc, items)
        _apply_context_sentences(doc, items)
        _apply_duration_sentences(doc, items)
        _apply_named_frequency_sentences(doc, items)
        _inherit_within_sentence(doc, items)
        _specify_by_context(doc, items)
        _share_route_by_drug(doc, items)
        share_record_route(doc, items)
        _attach_targets(result.targets, items)
    _read_adjustments(doc, items, result)
    _read_conditions(doc, items, result)
    if items:
        attach_thresholds(norm, items, doc.sentences)
        infer_frequencies(doc, items)
        apply_times_per_day(norm, items)
        apply_single_dose_sentences(doc, items)
        _mark_alternatives(doc, items)
        _name_as_written_generics(norm, items, mentions)
        naming.name_defined_abbreviations(norm, items, mentions)
    result.items = items = _drop_daily_totals(norm, _drop_unnamed_volumes(norm, items))
    _collect_unparsed(doc, items, unreadable, result)
    if items:
        gate.judge(doc, result, gate.shipped_model() if gated else None)
    return result


# What every match of _CELL_CONTEXT contains, lower-cased ("car" alone is in "care" and "carboplatin").
_CELL_WORDS = ("cell", "msc", "car-t", "cart", "cd34")
_HEADING = re.compile(r"[a-z], [a-z]")


def _cell_context(text: str) -> bool:
    """Whether the text speaks of a cell product (bare counts per kg are then cells)."""
    lowered = text.lower()
    return any(word in lowered for word in _CELL_WORDS) and _CELL_CONTEXT.search(text) is not None


def _name_as_written_generics(norm_text: str, items: list[RegimenItem], mentions: list[Mention]) -> None:
    """Each dose's drug as the generic the text wrote (drugs.written_generic), once every pass that
    compares names with the vocabulary's has run."""
    for item in items:
        if item.drug is not None and item.drug_text:
            short = naming.kept_short_name(norm_text, mentions, item.drug_text)
            if short is not None:
                # "Granulocyte macrophage-colony stimulating factor (GM-CSF)": the class as the text
                # shortens it (R56), the long name being its definition, not another drug given.
                item.drug = short
                continue
            kept = naming.kept_as_written(item.drug_text)
            if kept is not None:
                # "G-CSF 5 mcg/kg": a class name stays as written, unless the text also names the one
                # drug of it that is given ("GCSF ... Filgrastim administration").
                if not any(
                    m.info.name == item.drug and naming.kept_as_written(m.surface) is None for m in mentions
                ):
                    item.drug = kept
                continue
            if _HEADING.search(item.drug) and " and " not in item.drug:
                # "antibodies, monoclonal", "serum albumin, human": a subject heading the packaged
                # vocabulary files a name under, never a generic; the name as written is the drug's.
                item.drug = " ".join(item.drug_text.lower().split())
                continue
            item.drug = _specific_in_brackets(
                norm_text, mentions, item.drug_text, item.drug
            ) or written_generic(item.drug_text, item.drug)
            item.drug = naming.salt_not_written(item.drug, norm_text, mentions) or item.drug


_BRACKET_OPEN = re.compile(r"\s*\(\s*")


def _specific_in_brackets(text: str, mentions: list[Mention], written: str, family: str) -> str | None:
    """ "vitamin D (cholecalciferol)": a generic written in brackets after a name of its family (both filed
    under one vocabulary entry) is the drug given, the more specific name (spec: the generic name)."""
    for outer, inner in itertools.pairwise(mentions):
        if outer.surface != written or outer.info.name != family or inner.info.name != family:
            continue
        opened = _BRACKET_OPEN.match(text, outer.end)
        if opened is None or opened.end() != inner.start or not text.startswith(")", inner.end):
            continue
        specific = written_generic(inner.surface, family)
        if specific not in (family, written_generic(written, family)):
            return specific
    return None


# A role written right after a dose ("4 mg/kg loading, 2 mg/kg weekly", "8 mg/kg IV loading dose)"):
# that dose's role, not the next one's.
_ROLE_RIGHT_AFTER = re.compile(
    r"\s*\)?\s*(?:as\s+(?:a\s+)?)?(?:loading|maintenance|starting|initial)(?:\s+dose)?\s*[,;)]", re.IGNORECASE
)


def _is_cap(doc: _Doc, amount: Amount) -> bool:
    """Whether ``amount`` is a stated maximum ("maximum 60 mg/day", "2 g max") of the dose before it."""
    text = doc.text
    before = text[max(doc.sentence_of(amount.start).start, amount.start - 60) : amount.start]
    after = text[amount.end : amount.end + 15]
    return bool(lexicon.MAX_CUE_BEFORE.search(before) or lexicon.MAX_CUE_AFTER.match(after))


def _item(
    doc: _Doc,
    amount: Amount,
    previous_end: int,
    next_start: int,
    items: list[RegimenItem],
    default_drug: str | None,
    is_cap: bool,
) -> RegimenItem | None:
    text = doc.text
    sentence = doc.sentence_of(amount.start)
    if is_cap:
        if items and doc.sentence_of(items[-1].start) == sentence and items[-1].dose is not None:
            items[-1].max_dose = Dose(low=amount.low, high=amount.high, unit=amount.unit, basis=amount.basis)
        return None
    mention, info = _choose_drug(doc, amount, previous_end, sentence)
    studied = _escalated_drug(doc, amount, mention, items) or _listed_after(doc, amount, mention, info, items)
    added = _added_drug(doc, amount, mention, items) if studied is None else None
    if added is not None:
        mention, info = added, added.info
    if studied is not None:
        mention, info = None, DrugInfo(studied.drug or "", studied.drug_class)
    drug = info.name if info else None
    if studied is not None:
        drug = studied.drug
    elif mention is not None and info is mention.info:
        drug = mention.name_as_written
    drug_class = info.drug_class if info else None
    drug_text = mention.surface if mention else None
    if studied is not None:
        # Named as the dose it continues is, once every name is written as the text writes it.
        drug_text = studied.drug_text
    if info is None and default_drug:
        resolved = lookup(default_drug)
        # "Blueberry extract (Vaccinium macrocarpon)": an intervention's name with another name for it in
        # brackets after it is named by the name it is written under (R142).
        drug = resolved.name if resolved else " ".join(_BRACKETED_TAIL.sub("", default_drug).lower().split())
        drug_class = resolved.drug_class if resolved else None
        drug_text = default_drug
    # Windows: after the dose up to the next dose or another drug; before it back to the last dose.
    post_end = min(next_start, sentence.end)
    for other in doc.mentions:
        if (
            amount.end <= other.start < post_end
            and (mention is None or other.end > mention.end)
            and (info is None or other.info.name != info.name)
            and next_start < len(text)
            and next_start - other.end <= 60
        ):
            # Only a drug that has a dose of its own ends this dose's words ("X 5 mg and Y 10 mg daily");
            # "250 mg capsules, or placebo, given twice a day" keeps "twice a day".
            post_end = other.start
            break
    pre_start = max(sentence.start, previous_end if previous_end >= 0 else 0)
    clause = text.rfind(";", pre_start, amount.start)
    if clause >= 0 and mention is not None and clause < mention.start < amount.start:
        # "... orally twice daily (every 12 hours); Gemcitabine 1000 mg/m2 days 1 and 8": a clause that
        # names the dose's drug begins after the semicolon; the words before it were the last dose's.
        pre_start = clause + 1
    frequency, frequency_text = _frequency(doc, amount, pre_start, post_end, sentence, next_start)
    route = _route(doc, amount, pre_start, post_end, mention)
    duration = _duration(text, amount.end, post_end)
    role = None
    pre_text = text[pre_start : amount.start]
    # "8 mg/kg loading dose, then 6 mg/kg": a role named before "then" was the earlier dose's.
    since = pre_text[-60:]
    earlier_role = _ROLE_RIGHT_AFTER.match(pre_text) if pre_start == previous_end else None
    if earlier_role is not None:
        # "4 mg/kg loading, 2 mg/kg weekly": the role written right after the dose before is that dose's.
        since = pre_text[earlier_role.end() :][-60:]
    turns = list(_NEXT_STEP.finditer(since))
    if turns:
        since = since[turns[-1].end() :]
    roles = list(lexicon.ROLE.finditer(since))
    if roles:
        role = lexicon.role_word(roles[-1].group(1))
    pulse = bool(lexicon.PULSE.search(text[pre_start : amount.start])) or bool(
        lexicon.PULSE.search(text[amount.end : min(post_end, amount.end + 25)])
    )
    basis = amount.basis
    if basis == "dose" and (
        _DAILY_DOSE_BEFORE.search(text, max(pre_start, amount.start - 60), amount.start)
        or (
            _LIST_SEPARATOR_BEFORE.search(text, max(sentence.start, amount.start - 12), amount.start)
            and _DAILY_DOSE_LIST_BEFORE.search(text, max(sentence.start, amount.start - 150), amount.start)
        )
    ):
        # "a daily dose of 1000 mg divided and given every 12 hours": the day's amount.
        basis = "day"
    if basis == "dose" and (
        lexicon.TOTAL.search(text[max(pre_start, amount.start - 30) : amount.start])
        or lexicon.TOTAL.match(text[amount.end : amount.end + 20].lstrip(" ,("))
    ):
        basis = "total"
    if basis == "dose" and mention is not None and mention.start >= amount.end:
        per = _PER_AFTER_DRUG.match(text, mention.end, mention.end + 40)
        if per:
            word = per.group(1).lower()
            basis = (
                "kg" if word.startswith("k") else {"d": "day", "day": "day", "week": "week"}.get(word, "m2")
            )
            if per.group(2) and basis in {"kg", "m2"}:
                # "0.15 mg of dexamethasone per kilogram per day".
                basis += "/day"
    elif basis in {"kg", "m2"} and (
        _TOTAL_RIGHT_BEFORE.search(text, max(pre_start, amount.start - 50), amount.start)
        or _TOTAL_RIGHT_AFTER.match(text, amount.end)
    ):
        # "(total dose 0.9 mg/kg)": the course's sum, not a dose given (export leaves it out).
        role = "total"
    if basis == "day" and frequency in {None, "QD"}:
        # "two capsules three times a day for a total daily dose of 750 mg": a day's amount given in as
        # many administrations as the dose's words state (the spec), not the "daily" of "daily dose".
        split = [
            f
            for f in doc.freqs
            if pre_start <= f[0] < post_end and f[2] in _SPLIT_CODES and ("freq", f[0]) not in doc.claimed
        ]
        if split:
            doc.claimed.add(("freq", split[0][0]))
            frequency, frequency_text = split[0][2], text[split[0][0] : split[0][1]]
    low, high = amount.low, amount.high
    if basis == "kg/min":
        # The spec's bases stop at kg/hour: "0.05 mcg/kg/min" is 3 mcg/kg/hour (R3).
        low, high, basis = round(low * 60, 9), round(high * 60, 9), "kg/hour"
    schedule, weeks = _schedule(text, amount.end, post_end)
    return RegimenItem(
        drug=drug,
        drug_class=drug_class,
        drug_text=drug_text,
        dose=Dose(low=low, high=high, unit=amount.unit, basis=basis),
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
