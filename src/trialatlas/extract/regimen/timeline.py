"""Arm timelines: each arm's regimen as ordered phases with a start and an end.

Phases come from the arm's own words: month or week ranges ("0~6th month:", "weeks 0-12"), "after 18
months", "during the first 18 months", and named periods ("induction ... (6 months)", "maintenance ...
for 12 months", "induction therapy will last for 24 weeks"). Text before any marker, or an arm without
markers, is one phase from week 0 that stays open-ended unless a duration is stated. Intervention
descriptions linked to the arm add their doses (and enrich the arm's own with targets and durations).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from trialatlas.extract.regimen.clauses import find_conditions, sentences
from trialatlas.extract.regimen.context import TrialInterventions, trial_interventions
from trialatlas.extract.regimen.drugs import Mention, find_mentions, lookup
from trialatlas.extract.regimen.lexicon import number_value
from trialatlas.extract.regimen.models import Condition, RegimenItem, Unparsed
from trialatlas.extract.regimen.parse import normalise_text, parse_regimen
from trialatlas.extract.regimen.units import convert
from trialatlas.model import Arm, Intervention, Trial
from trialatlas.text.numbers import number_words

_NUMBER_WORDS = number_words(low=1, high=12).pattern()
_WEEKS_PER = {"day": 1 / 7, "week": 1.0, "month": 52 / 12, "year": 52.0}
_UNIT = r"(days?|weeks?|wks?|months?|mos?|years?)"
_ORD = r"(?:st|nd|rd|th)?"
_RANGE_MARK = re.compile(
    r"(?:\b"
    + _UNIT
    + r"\s*)?\b(\d+)"
    + _ORD
    + r"\s*(?:~|-|to|through)\s*(\d+)"
    + _ORD
    + r"\s*"
    + _UNIT
    + r"?\s*:",
    re.IGNORECASE,
)
_AFTER_MARK = re.compile(
    r"\b(?:after|from|beyond)\s+(?:the\s+)?(\d+|" + _NUMBER_WORDS + r")" + _ORD + r"\s*" + _UNIT,
    re.IGNORECASE,
)
_FIRST_MARK = re.compile(r"\b(?:during|in|for)\s+the\s+first\s+(\d+)\s*" + _UNIT, re.IGNORECASE)
_NAMED = re.compile(
    r"\b(induction|maintenance|consolidation|run-?in|washout|wash-?out|follow-?up|extension|titration|"
    r"intensification|loading|taper(?:ing)?)\b(?:\s+(?:therapy|phase|period|treatment|stage|course))?",
    re.IGNORECASE,
)
_DURATION_NEAR = re.compile(
    r"\(\s*(\d+)\s*" + _UNIT + r"\s*\)|(?:for|last(?:s|ing)?\s+(?:for\s+)?|of)\s+(\d+)\s*" + _UNIT,
    re.IGNORECASE,
)


class Phase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str
    start_weeks: float | None = Field(default=None, description="Start, weeks from the arm's start.")
    end_weeks: float | None = Field(default=None, description="End in weeks; None when open-ended.")
    unit: str = Field(default="week", description="The time unit the text used (week, month ...).")
    items: list[RegimenItem] = Field(default_factory=list)
    undosed_drugs: list[str] = Field(
        default_factory=list, description="Drugs named in the phase without a dose."
    )
    branches: list[Condition] = Field(default_factory=list)
    alternatives: list[list[str]] = Field(
        default_factory=list,
        description='Drugs given one or the other ("monotherapy with MMF or TAC"), drawn as one choice.',
    )
    stopped: list[str] = Field(default_factory=list, description="Drugs the phase stops or leaves out.")
    text: str = ""

    @property
    def open_ended(self) -> bool:
        return self.end_weeks is None


class ArmTimeline(BaseModel):
    model_config = ConfigDict(extra="forbid")

    arm: str
    arm_type: str | None = None
    phases: list[Phase] = Field(default_factory=list)
    unparsed: list[Unparsed] = Field(default_factory=list)


class TrialTimeline(BaseModel):
    model_config = ConfigDict(extra="forbid")

    trial: str
    title: str = ""
    arms: list[ArmTimeline] = Field(default_factory=list)

    @property
    def horizon_weeks(self) -> float:
        ends = [p.end_weeks or p.start_weeks or 0.0 for a in self.arms for p in a.phases]
        starts = [p.start_weeks or 0.0 for a in self.arms for p in a.phases]
        return max([*ends, *(s + 4 for s in starts), 4.0])


@dataclass
class _Marker:
    pos: int
    start: float | None
    end: float | None
    unit: str
    label: str


def _weeks(value: float, unit: str) -> float:
    return round(value * _WEEKS_PER[_unit_name(unit)], 2)


def _unit_name(word: str) -> str:
    lowered = word.lower()
    for prefix, name in (("d", "day"), ("w", "week"), ("mo", "month"), ("y", "year")):
        if lowered.startswith(prefix):
            return name
    return "month"


def _markers(text: str) -> list[_Marker]:
    markers: list[_Marker] = []
    for match in _RANGE_MARK.finditer(text):
        unit_word = match.group(1) or match.group(4)
        if unit_word is None:
            continue
        unit = _unit_name(unit_word)
        low, high = float(match.group(2)), float(match.group(3))
        markers.append(
            _Marker(match.start(), _weeks(low, unit), _weeks(high, unit), unit, f"{low:g}–{high:g} {unit}s")
        )
    taken = [m.pos for m in markers]
    for match in _AFTER_MARK.finditer(text):
        if any(abs(match.start() - p) < 3 for p in taken):
            continue
        unit = _unit_name(match.group(2))
        value = number_value(match.group(1))
        plural = "" if value == 1 else "s"
        markers.append(
            _Marker(match.start(), _weeks(value, unit), None, unit, f"after {value:g} {unit}{plural}")
        )
    for match in _FIRST_MARK.finditer(text):
        unit = _unit_name(match.group(2))
        value = float(match.group(1))
        markers.append(_Marker(match.start(), 0.0, _weeks(value, unit), unit, f"first {value:g} {unit}s"))
    markers.sort(key=lambda m: m.pos)
    return markers


def _named_phases(text: str) -> list[_Marker]:
    """Named periods in order, each with the duration stated near its name (if any); a period starts with
    the sentence that names it."""
    found: dict[str, _Marker] = {}
    spans = sentences(text)
    for match in _NAMED.finditer(text):
        name = match.group(1).lower().replace("-", "")
        window = text[match.start() : match.start() + 90]
        duration = _DURATION_NEAR.search(window)
        length: float | None = None
        unit = "week"
        if duration:
            number = duration.group(1) or duration.group(3)
            unit = _unit_name(duration.group(2) or duration.group(4))
            length = _weeks(float(number), unit)
        if name in found:
            if found[name].end is None and length is not None:
                found[name].end = length
            continue
        sentence_start = max((sp.start for sp in spans if sp.start <= match.start()), default=0)
        found[name] = _Marker(sentence_start, None, length, unit, name)
    markers = sorted(found.values(), key=lambda m: m.pos)
    markers = [m for i, m in enumerate(markers) if i == 0 or m.pos != markers[i - 1].pos]
    if markers:
        markers[0].pos = 0
    cursor = 0.0
    for marker in markers:
        length = marker.end
        marker.start = cursor
        marker.end = None if length is None else round(cursor + length, 2)
        cursor = marker.end if marker.end is not None else cursor
    return markers


def arm_timeline(
    label: str,
    text: str | None,
    interventions: list[tuple[str, str]] | None = None,
    arm_type: str | None = None,
    *,
    listed: TrialInterventions = (),
) -> ArmTimeline:
    """The phases of one arm from its description and its interventions' ``(name, description)``;
    ``listed``, the trial's intervention names, name the products its texts write (context.py)."""
    body = normalise_text(text or "")
    parsed = parse_regimen(body, interventions=listed)
    markers = _markers(body)
    if not markers:
        markers = _named_phases(body)
    timeline = ArmTimeline(arm=label, arm_type=arm_type, unparsed=list(parsed.unparsed))
    bounds = [m.pos for m in markers]
    if not markers or (bounds[0] > 0 and parsed.items and parsed.items[0].start < bounds[0]):
        first_end = markers[0].start if markers and markers[0].start else None
        markers.insert(0, _Marker(0, 0.0, first_end, "week", "regimen"))
    for index, marker in enumerate(markers):
        seg_end = markers[index + 1].pos if index + 1 < len(markers) else len(body)
        segment = body[marker.pos : seg_end]
        phase = Phase(
            label=marker.label,
            start_weeks=marker.start,
            end_weeks=marker.end,
            unit=marker.unit,
            items=[i for i in parsed.items if marker.pos <= i.start < seg_end],
            text=" ".join(segment.split()),
        )
        if len(markers) > 1:
            _own_notes(phase)
        dosed = {i.drug for i in phase.items if i.dose is not None}
        mentions = find_mentions(segment)
        phase.stopped = _stopped(segment, mentions)
        phase.alternatives = _alternatives(segment, mentions)
        choices = {name for group in phase.alternatives for name in group}
        for mention in mentions:
            name = mention.info.name
            if name in phase.stopped or name in choices or name in phase.undosed_drugs:
                continue
            if not any(d and d.startswith(name) for d in dosed):
                phase.undosed_drugs.append(name)
        for sentence in sentences(segment):
            phase.branches.extend(c for _, c in find_conditions(segment, sentence) if c.kind != "population")
        timeline.phases.append(phase)
    _chain_open_phases(timeline.phases)
    for name, description in interventions or []:
        _merge_intervention(timeline, name, description, listed)
    _carry_forward(timeline.phases)
    _close_by_duration(timeline.phases)
    return timeline


def _own_notes(phase: Phase) -> None:
    """A phase's items keep the adjustments and conditions its own text states: a sentence running over
    the phase markers ("0~6th month: ... steroid (1 pill/d) ... 18th~30th month: Participants who stop
    steroid ... will be randomly assigned ...") is the later phase's, read there as its stop and branch."""
    for item in phase.items:
        item.adjustments = [a for a in item.adjustments if a.text in phase.text]
        item.conditions = [c for c in item.conditions if c.text in phase.text]


_STOP_CUE = re.compile(
    r"\b(?:stop(?:s|ped|ping)?|discontinu\w*|withdraw\w*|ceas\w*|without|taper(?:ed)?\s+off)\b"
    r"(?:\s+(?:the\s+)?(?:use\s+of|taking|treatment\s+with))?\s+(?:the\s+)?$",
    re.IGNORECASE,
)
_OR_BETWEEN = re.compile(r"^\s*(?:,\s*)?(?:or|and/or)\s+$", re.IGNORECASE)


def _stopped(segment: str, mentions: list[Mention]) -> list[str]:
    """Drugs a phase stops: "will stop the use of steroid", "MMF+TAC without steroid"."""
    stopped: list[str] = []
    for mention in mentions:
        stops = _STOP_CUE.search(segment, max(0, mention.start - 40), mention.start)
        if stops and mention.info.name not in stopped:
            stopped.append(mention.info.name)
    return stopped


def _alternatives(segment: str, mentions: list[Mention]) -> list[list[str]]:
    """Drugs named as one or the other ("monotherapy with mycophenolate mofetil or tacrolimus")."""
    groups: list[list[str]] = []
    for first, second in itertools.pairwise(mentions):
        if first.info.name == second.info.name or not _OR_BETWEEN.match(segment[first.end : second.start]):
            continue
        if groups and groups[-1][-1] == first.info.name:
            groups[-1].append(second.info.name)
        else:
            groups.append([first.info.name, second.info.name])
    return groups


def _carry_forward(phases: list[Phase]) -> None:
    """A phase that states no dose of its own ("Participants who do not flare will stop the use of steroid")
    continues the previous phase's drugs, less those it stops and those it offers as alternatives."""
    for previous, phase in itertools.pairwise(phases):
        if any(item.dose is not None for item in phase.items):
            continue
        leaving = set(phase.stopped) | {name for group in phase.alternatives for name in group}
        for item in previous.items:
            if item.dose is None or item.drug in leaving or item.role == "taper":
                continue
            phase.items.append(item.model_copy(update={"role": "continued"}))
            if item.drug in phase.undosed_drugs:
                phase.undosed_drugs.remove(item.drug)


def _close_by_duration(phases: list[Phase]) -> None:
    """An open-ended last phase ends when its doses' stated duration does ("Total duration: 1 year")."""
    if not phases or phases[-1].end_weeks is not None:
        return
    last = phases[-1]
    spans = [item.duration.in_weeks() for item in last.items if item.duration is not None]
    ends = [span[1] for span in spans if span is not None]
    if ends:
        last.end_weeks = round((last.start_weeks or 0.0) + max(ends), 2)


def _chain_open_phases(phases: list[Phase]) -> None:
    """A phase with no stated end ends where the next one starts."""
    for index, phase in enumerate(phases[:-1]):
        following = phases[index + 1]
        if (
            phase.end_weeks is None
            and following.start_weeks is not None
            and following.start_weeks > (phase.start_weeks or 0)
        ):
            phase.end_weeks = following.start_weeks
        if following.start_weeks is None:
            following.start_weeks = phase.end_weeks


def _merge_intervention(
    timeline: ArmTimeline, name: str, description: str, listed: TrialInterventions = ()
) -> None:
    parsed = parse_regimen(description, default_drug=name, interventions=listed)
    dosed = [i for i in parsed.items if i.dose is not None]
    if not dosed or not timeline.phases:
        return
    existing = [i for p in timeline.phases for i in p.items if i.dose is not None]
    later = _later_phases(timeline, parsed.text, dosed)
    for item in dosed:
        if id(item) in later:
            later[id(item)].items.append(item)
            continue
        twin = next((e for e in existing if e.drug == item.drug and _same_amount(e, item)), None)
        if twin is not None:
            # The same dose told twice: keep one, with whatever the intervention text adds.
            twin.targets.extend(t for t in item.targets if t not in twin.targets)
            twin.adjustments.extend(a for a in item.adjustments if a not in twin.adjustments)
            twin.duration = twin.duration or item.duration
            twin.route = twin.route or item.route
            twin.frequency = twin.frequency or item.frequency
            continue
        home = next((p for p in timeline.phases if item.drug in p.undosed_drugs), None)
        if home is None:
            home = next((p for p in timeline.phases if any(i.drug == item.drug for i in p.items)), None)
        if home is None and any(e.drug == item.drug for e in existing):
            continue
        home = home or timeline.phases[0]
        home.items.append(item)
        if item.drug in home.undosed_drugs:
            home.undosed_drugs.remove(item.drug)


def _later_phases(timeline: ArmTimeline, text: str, dosed: list[RegimenItem]) -> dict[int, Phase]:
    """ "After one month, the dose of MMF was increased to 750 mg twice daily": in an arm whose own text
    has one open phase, the doses an intervention states after such a mark start a phase of their own
    there, and the phase before it ends there."""
    phases = timeline.phases
    if len(phases) != 1 or phases[0].end_weeks is not None or (phases[0].start_weeks or 0) != 0:
        return {}
    marks = [m for m in _markers(text) if m.label.startswith("after") and m.start]
    placed: dict[int, Phase] = {}
    for mark in sorted(marks, key=lambda m: m.pos):
        following = [item for item in dosed if item.start > mark.pos and id(item) not in placed]
        if not following:
            continue
        phase = next((p for p in phases if p.start_weeks == mark.start), None)
        if phase is None:
            phase = Phase(
                label=mark.label, start_weeks=mark.start, unit=mark.unit, text=text[mark.pos :].strip()
            )
            phases.append(phase)
        placed.update((id(item), phase) for item in following)
    _chain_open_phases(phases)
    return placed


def _same_amount(a: RegimenItem, b: RegimenItem) -> bool:
    if a.dose is None or b.dose is None:
        return False
    low = convert(b.dose.low, b.dose.unit, a.dose.unit)
    high = convert(b.dose.high, b.dose.unit, a.dose.unit)
    if low is None or high is None:
        return False
    return abs(low - a.dose.low) < 1e-9 * max(1.0, a.dose.low) and abs(high - a.dose.high) < 1e-9 * max(
        1.0, a.dose.high
    )


def _linked(arm: Arm, intervention: Intervention) -> bool:
    if arm.label in intervention.arm_labels:
        return True
    names = {n.split(":", 1)[-1].strip().lower() for n in arm.intervention_names}
    return intervention.name.strip().lower() in names


def trial_timeline(trial: Trial) -> TrialTimeline:
    """Every arm of ``trial`` as a timeline."""
    result = TrialTimeline(trial=trial.nct_id or trial.key, title=trial.title)
    listed = trial_interventions(trial)
    for arm in trial.arms:
        linked = [
            (i.name, i.description)
            for i in trial.interventions
            if i.description and _linked(arm, i) and _dosed_or_single_group(i, trial)
        ]
        result.arms.append(
            arm_timeline(
                arm.label, arm.description, linked, arm.type.value if arm.type else None, listed=listed
            )
        )
    if not trial.arms and trial.interventions:
        for intervention in trial.interventions:
            result.arms.append(arm_timeline(intervention.name, intervention.description, listed=listed))
    return result


def _dosed_or_single_group(intervention: Intervention, trial: Trial) -> bool:
    """Intervention text describing several groups at once ("Participants in group A ...; in group B ...")
    is not any one arm's regimen."""
    text = intervention.description or ""
    groups = sum(1 for arm in trial.arms if arm.label and arm.label.lower() in text.lower())
    return groups <= 1


def drug_label(item: RegimenItem) -> str:
    """Short display name: the text's own abbreviation when it used one, else the generic name."""
    name = item.drug or "?"
    if item.drug_text and len(item.drug_text) <= 5 and item.drug_text.isupper():
        return item.drug_text
    if item.drug_text and item.drug is not None and item.drug == item.drug_class:
        # A class is named as the text wrote it ("steroid"), as the spec names it.
        return " ".join(item.drug_text.lower().split())
    info = lookup(name)
    return info.name if info else name
