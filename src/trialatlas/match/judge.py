"""Criterion-level judgement in the TrialGPT annotation format: one patient note, one criterion, one label.

Input: a JSON list of objects with ``annotation_id``, ``note`` (sentence-numbered patient text),
``criterion_text`` and ``criterion_type`` ("inclusion" / "exclusion"). Output: one JSON line per pair,
``{"annotation_id", "eligibility", "evidence_sentences"}``, with the six labels the TrialGPT experts
used: included, not included, excluded, not excluded, not enough information, not applicable.

The default judge (:class:`RuleJudge`) works offline: it parses the criterion into rules, the note into
a profile, evaluates the rules (:mod:`trialatlas.match.verdict`) and, where the rules leave it
undecided, follows the conventions the annotators used:

* closed world for what a full note would mention: a condition, treatment or operation the note does
  not name is absent (an exclusion "not excluded", "No history of X" included, "Patients undergoing X"
  not included), and a conjunction with an absent part does not hold;
* open for what a note gives only when measured or asked: a lab value, whether a woman who may bear
  children is pregnant, an investigator's judgement — "not enough information" — and so is a detail
  of the patient's own problem the note leaves out ("uncontrolled hypertension" for a hypertensive
  patient), or a condition the note only suspects ("differential diagnosis includes …");
* "not applicable" for criteria about people the patient is not one of (a pregnancy criterion for a
  man, "female subjects aged 12 and older" for a boy) and for the study's own course ("MRI images
  unable to be processed", "previously enrolled into this study").

Other judges (a local or hosted LLM) can be plugged in through :class:`CriterionJudge`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, Protocol

from trialatlas.errors import InputError, PluginError
from trialatlas.extract.criteria import ParsedCriterion, parse_text
from trialatlas.extract.criteria.registry import combine_mode
from trialatlas.extract.criteria.rules import (
    ConditionRule,
    ConsentRule,
    MeasurementRule,
    PregnancyRule,
    ProcedureRule,
    Rule,
)
from trialatlas.extract.criteria.vocab import (
    broader_concepts,
    condition_matcher,
    conditions,
    possible_concepts,
)
from trialatlas.match.atoms import RuleVerdict, evaluate_rule, ordinary_life_expectancy
from trialatlas.match.note_person import menstruates_now
from trialatlas.match.patient import PatientProfile, profile_from_note
from trialatlas.match.verdict import DIAGNOSTIC_PROCEDURES, CriterionVerdict, evaluate_criterion
from trialatlas.plugins import JUDGES, PluginGroup, load_entry_point, load_reference
from trialatlas.text.packaged import packaged_json
from trialatlas.text.words import stem, stop_words, words

Label = Literal[
    "included", "not included", "excluded", "not excluded", "not enough information", "not applicable"
]
LABELS: tuple[Label, ...] = (
    "included",
    "not included",
    "excluded",
    "not excluded",
    "not enough information",
    "not applicable",
)


@dataclass
class Judgement:
    annotation_id: Any
    eligibility: Label
    evidence_sentences: list[int] = field(default_factory=list)
    reason: str = ""
    error: str | None = None
    # What decided the label: "rules" (the engine's own verdict) or "silence" (the annotators'
    # convention for what the rules left undecided); a bench's aggregate, not part of the output.
    branch: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "annotation_id": self.annotation_id,
            "eligibility": self.eligibility,
            "evidence_sentences": self.evidence_sentences,
        }


class CriterionJudge(Protocol):
    """Anything that labels (note, criterion) pairs; the default is :class:`RuleJudge`."""

    def judge(
        self, note: str, criterion_text: str, criterion_type: str, annotation_id: Any = None
    ) -> Judgement: ...


_STOP = stop_words("english", "criteria")


def _stem(word: str) -> str:
    # The shared stemmer, cut to a prefix so that a word's derived forms ("diabetic", "diabetes") meet.
    return stem(word.strip("-'"))[:_PREFIX]


_PREFIX = 7


@lru_cache(maxsize=4096)
def _content(text: str) -> frozenset[str]:
    return frozenset(_stem(w) for w in words(text, stop=_STOP, min_length=3, numbers=False, compounds=True))


def _concepts(rules: Sequence[Rule]) -> set[str]:
    """The conditions and procedures a criterion asks the patient (not a relative) to have."""
    concepts: set[str] = set()
    for rule in rules:
        if rule.experiencer != "patient" or rule.negated:
            continue
        if isinstance(rule, ConditionRule) and rule.concept:
            concepts.add(rule.concept)
        elif isinstance(rule, ProcedureRule) and rule.concept:
            concepts.add(f"proc:{rule.concept}")
    return concepts


def _note_concepts(profile: PatientProfile, suspected: bool = False) -> set[str]:
    """Concepts the note gives the patient; with ``suspected``, also those it only suspects."""
    concepts: set[str] = set()
    for condition in profile.conditions:
        wanted = condition.present and not condition.family and (suspected or not condition.uncertain)
        if condition.concept and wanted:
            concepts |= broader_concepts(condition.concept)
            if suspected:
                # An unexplained finding is suspicious of what it may turn out to be (a lung mass).
                concepts |= possible_concepts(condition.concept)
    concepts |= {f"proc:{p.concept}" for p in profile.procedures if p.concept and p.present}
    return concepts


def _overlap(criterion: str, profile: PatientProfile) -> tuple[float, list[int]]:
    """The share of the criterion's content words the note uses, and the sentences that use them."""
    words = _content(criterion)
    if not words:
        return 0.0, []
    seen: set[str] = set()
    sentences: list[int] = []
    for index, sentence in enumerate(profile.sentences):
        common = words & _content(sentence)
        if common:
            seen |= common
            sentences.append(index)
    return len(seen) / len(words), sentences


def _sentence_ids(verdict: CriterionVerdict) -> list[int]:
    return sorted({e.sentence_index for e in verdict.evidence if e.sentence_index is not None})


_OBSERVABLE_KINDS = {"condition", "procedure", "medication", "infection"}


class RuleJudge:
    """The offline judge: rules and profile first, topical overlap where the rules cannot decide."""

    def __init__(self, conventions: Conventions | None = None) -> None:
        self._profiles: dict[str, PatientProfile] = {}
        # The annotators' convention (``judge_cues.json``); a bench may judge under another one.
        self.conventions = conventions or default_conventions()

    def profile(self, note: str) -> PatientProfile:
        profile = self._profiles.get(note)
        if profile is None:
            profile = profile_from_note(note)
            self._profiles[note] = profile
        return profile

    def judge(
        self, note: str, criterion_text: str, criterion_type: str, annotation_id: Any = None
    ) -> Judgement:
        kind: Literal["inclusion", "exclusion"] = (
            "exclusion" if criterion_type.strip().lower().startswith("excl") else "inclusion"
        )
        profile = self.profile(note)
        rules = parse_text(criterion_text, kind)
        criterion = ParsedCriterion(
            index=0,
            kind=kind,
            text=criterion_text,
            rules=rules,
            combine=combine_mode(criterion_text, kind, rules),
        )
        # The annotators' convention: a pregnancy criterion does not apply to a man.
        verdict = evaluate_criterion(
            criterion, profile, pregnancy_inapplicable=True, ordinary_life_expectancy=True
        )
        evidence = _sentence_ids(verdict)
        label = self._label(verdict, rules, criterion_text, profile, kind, criterion.combine)
        if label in ("included", "excluded", "not included") and not evidence:
            evidence = _overlap(criterion_text, profile)[1][:3]
        branch = "silence" if verdict.status == "unknown" else "rules"
        return Judgement(annotation_id, label, evidence, verdict.reason, branch=branch)

    def _label(
        self,
        verdict: CriterionVerdict,
        rules: list[Rule],
        text: str,
        profile: PatientProfile,
        kind: Literal["inclusion", "exclusion"],
        combine: str,
    ) -> Label:
        status = verdict.status
        on = self.conventions.on
        if status == "not applicable" or (
            kind == "exclusion" and on("study_process") and _STUDY_PROCESS.search(text)
        ):
            return "not applicable"
        if status in ("met", "excluded") and on("only_whom") and _only_whom(rules, text):
            # "Women aged 15-45 resident in the study area": fitting the people named is not fitting
            # what the criterion asks of them.
            return "not enough information"
        if kind == "inclusion":
            if status == "met":
                return "included"
            if status == "not met":
                return "not included"
            return self._undecided_inclusion(rules, text, profile, combine)
        if status == "excluded":
            return "excluded"
        if status == "not excluded":
            return "not excluded"
        return self._undecided_exclusion(rules, text, profile, combine)

    def _undecided_inclusion(
        self, rules: list[Rule], text: str, profile: PatientProfile, combine: str = "all"
    ) -> Label:
        conventions = self.conventions
        on = conventions.on
        if on("cut_off") and _cut_off(text, conventions.cut_off_endings):
            return "not enough information"  # a criterion cut off mid-sentence says not what it asks
        unknown = [r for r in rules if _judged(r, profile).truth == "unknown"]
        if (
            on("negated_absent_included")
            and unknown
            and all(
                r.negated and isinstance(r, ConditionRule | ProcedureRule) and r.concept is not None
                for r in unknown
            )
        ):
            # "No history of central venous catheterisation": a full note would have said so.
            return "included"
        if (
            on("fit_for")
            and unknown
            and all(
                isinstance(r, ProcedureRule) and not r.negated and r.concept in DIAGNOSTIC_PROCEDURES
                for r in unknown
            )
            and _alternation(conventions.fit_for).search(text)
        ):
            # "Ability to undergo esophagogastroduodenoscopy and biopsies": the annotators take fitness
            # for a test or examination as given unless the note says otherwise (a contraindication is
            # a criterion of its own); fitness for an operation ("ability to undergo carotid
            # endarterectomy") presumes the disease it treats, so it stays open.
            return "included"
        unreported = [r for r in unknown if _unreported_procedure(r, profile)]
        if (
            on("unreported_procedure")
            and unreported
            and (len(unreported) == len(unknown) or combine == "all")
            and not _CAPABILITY.search(text)
        ):
            # One operation the note does not name fails a conjunction whatever its other parts
            # ("Maintenance hemodialysis after central venous catheterisation").
            # "Patients undergoing carotid endarterectomy": an operation is not something a note leaves out.
            return "not included"
        # The patient has what the criterion is about but a requirement stays unstated: not shown to be
        # met (once "included" with one detail unstated; on the tuning pairs that decided one pair,
        # wrongly, so it went: docs/matching.md, tenth round).
        concepts = _concepts(rules)
        if on("own_concept_open") and concepts and concepts & _note_concepts(profile):
            return "not enough information"
        if on("suspected_open") and concepts & _note_concepts(profile, suspected=True):
            return "not enough information"  # only suspected ("differential diagnosis includes …")
        share, _ = _overlap(text, profile)
        kinds = {rule.kind for rule in rules}
        # Shared words answer only what silence would: an atom the table leaves open ("Not pregnant"
        # for a woman who may bear children, a lab value) is not met by "she had no prior pregnancies".
        open_atom = any(conventions.silence.get(atom_kind(r), "open") == "open" for r in unknown)
        if (
            on("overlap_included")
            and share >= self.conventions.included_share
            and not kinds & {"measurement"}
            and not open_atom
        ):
            return "included"
        return "not enough information"

    def _undecided_exclusion(
        self, rules: list[Rule], text: str, profile: PatientProfile, combine: str
    ) -> Label:
        conventions = self.conventions
        on = conventions.on
        if on("cut_off") and _cut_off(text, conventions.cut_off_endings):
            # "Taking certain types of medications may be an": the record cut the criterion off
            # mid-sentence, so what it excludes is not known.
            return "not enough information"
        if on("plans") and _alternation(conventions.plans).search(text):
            # "Woman planning to deliver outside the research clinic": a note tells what is and was,
            # not what the patient plans.
            return "not enough information"
        states = [unknown_state(rule, profile, conventions) for rule in rules]
        if not rules:
            if on("staging") and _STAGING.search(text):
                # "Stage cT1N0 and cT4b": a tumour's stage is measured, never assumed from silence.
                return "not enough information"
            # Nothing parsed: a criterion in the words of the note is about the patient's problem.
            share, _ = _overlap(text, profile)
            open_share = on("nothing_parsed_overlap") and share >= conventions.open_share
            return "not enough information" if open_share else "not excluded"
        absent = any(
            state == "absent" and rule.kind in _OBSERVABLE_KINDS
            for rule, state in zip(rules, states, strict=True)
        )
        # Closed world for what a full note would mention: a condition, treatment or operation it does
        # not name is absent, and a conjunction with an absent part does not hold.
        if on("absent_conjunction") and combine == "all" and absent:
            return "not excluded"
        # A detail of the patient's own problem the note leaves out ("fibroids > 10 cm" for a patient
        # with fibroids, "uncontrolled hypertension") leaves the criterion open.
        if on("open_condition") and any(
            state == "open" and rule.kind == "condition" for rule, state in zip(rules, states, strict=True)
        ):
            return "not enough information"
        # So does a value the note would give only if measured, whether a woman who may bear children
        # is pregnant, or an investigator's judgement, unless the condition it defines is absent
        # ("Severe anaemia (Hb < 7 g/dL)" for a patient without anaemia).
        if on("open_value") and "open" in states and not absent:
            return "not enough information"
        return "not excluded"


@lru_cache(maxsize=64)
def _alternation(cues: tuple[str, ...]) -> re.Pattern[str]:
    """One pattern of a cue list's regular expressions, matched on word boundaries (none: never)."""
    return re.compile(r"\b(?:" + "|".join(cues) + r")\b" if cues else r"(?!)", re.IGNORECASE)


def _cut_off(text: str, endings: frozenset[str]) -> bool:
    """Whether a criterion ends mid-sentence: on a word that cannot end one ("… may be an")."""
    stripped = text.rstrip()
    if not stripped or stripped[-1] in ".;:)]!?":
        return False
    last = re.findall(r"[A-Za-z]+", stripped[-20:])
    return bool(last) and last[-1].lower() in endings and stripped[-1].isalpha()


UnknownState = Literal["decided", "absent", "open"]

# The judge's decisive conventions by name, each one a branch of the rules above; a bench switches
# them off one at a time (``Conventions.off``) to see what each earns on patients it was not read from.
SWITCHES = (
    "study_process",
    "only_whom",
    "cut_off",
    "negated_absent_included",
    "fit_for",
    "unreported_procedure",
    "own_concept_open",
    "suspected_open",
    "overlap_included",
    "plans",
    "staging",
    "nothing_parsed_overlap",
    "absent_conjunction",
    "open_condition",
    "open_value",
    "current_periods",
    "english_spoken",
    "condition_as_measurement",
    "female_status_open",
    "own_problem_open",
)


@dataclass(frozen=True)
class Conventions:
    """What the judge makes of a pair the rules leave undecided: the silence table (atom kind ->
    "absent" / "open"), the cue lists, and the names of conventions switched off (none by default)."""

    silence: Mapping[str, UnknownState]
    plans: tuple[str, ...]
    fit_for: tuple[str, ...]
    cut_off_endings: frozenset[str]
    off: frozenset[str] = frozenset()
    # The share of an inclusion's words the note uses that makes an undecided one "included", and of
    # an exclusion's with no rule parsed that leaves it open (read off the tuning pairs' overlaps).
    included_share: float = 0.5
    open_share: float = 0.34

    def on(self, name: str) -> bool:
        return name not in self.off

    def but(self, **changes: Any) -> Conventions:
        """A copy with some fields changed (a bench's candidate convention)."""
        return replace(self, **changes)


@lru_cache(maxsize=1)
def default_conventions() -> Conventions:
    """The convention as written in ``judge_cues.json`` (data, not code)."""
    cues = packaged_json("trialatlas.match", "judge_cues.json")
    return Conventions(
        silence=dict(cues["silence"]),
        plans=tuple(cues["plans"]),
        fit_for=tuple(cues["fit_for"]),
        cut_off_endings=frozenset(cues["cut_off_endings"]),
    )


def _judged(rule: Rule, profile: PatientProfile) -> RuleVerdict:
    """One rule as the annotators read it: as the engine does, except that a life expectancy is
    ordinary for a note describing no terminal illness (``evaluate_criterion``'s same convention)."""
    verdict = evaluate_rule(rule, profile)
    if isinstance(rule, MeasurementRule) and rule.analyte == "life_expectancy":
        truth, reason, evidence = ordinary_life_expectancy(rule, profile)
        # The rule as stated, then its negation, as evaluate_rule applies it.
        if rule.negated and truth in ("true", "false"):
            truth = "false" if truth == "true" else "true"
        return verdict.model_copy(update={"truth": truth, "reason": reason, "evidence": evidence})
    return verdict


def _silence() -> Mapping[str, UnknownState]:
    """What silence means for each kind of atom (``silence`` in ``judge_cues.json``: data, not code)."""
    return default_conventions().silence


def atom_kind(rule: Rule) -> str:
    """The atom's kind as the silence table names it: the rule kind, with its aspect where it has one
    ("pregnancy:planning", "consent:language")."""
    aspect = getattr(rule, "aspect", None)
    return f"{rule.kind}:{aspect}" if isinstance(aspect, str) else str(rule.kind)


def unknown_state(
    rule: Rule, profile: PatientProfile, conventions: Conventions | None = None
) -> UnknownState:
    """Why a rule is undecided: the note does not mention it at all ("absent", for a kind a full note
    would name), or it leaves it open (a measured value, the detail of a problem the note names)."""
    verdict = _judged(rule, profile)
    if verdict.truth != "unknown":
        return "decided"
    conventions = conventions or default_conventions()
    on = conventions.on
    table = conventions.silence
    silent = table.get(atom_kind(rule), "open")
    if (
        on("current_periods")
        and isinstance(rule, PregnancyRule)
        and rule.aspect == "pregnant"
        and menstruates_now(profile.sentences)
    ):
        # A woman whose note describes her current periods is, by the annotators' reading, not
        # pregnant; the profile itself keeps pregnancy open (a clinician tests for it).
        return "absent"
    if isinstance(rule, MeasurementRule):
        # An unknown name that is a condition ("Peripheral neuropathy grade > 1") is that condition.
        if (
            on("condition_as_measurement")
            and rule.analyte is None
            and not _mentions_words(rule.name, profile)
        ):
            named = condition_matcher().find(rule.name)
            if named:
                return table.get("condition", "open")
        return silent
    if isinstance(rule, ConditionRule):
        if rule.concept is None:
            return "open" if _mentions_words(rule.name, profile) else silent
        if on("female_status_open") and conditions().get(rule.concept, {}).get("female_status"):
            return "open"  # a woman's menopausal status the note and her age leave open
        for condition in profile.conditions if on("own_problem_open") else ():
            if condition.concept is None or condition.family or not condition.present:
                continue
            if rule.concept in broader_concepts(condition.concept):
                return "open"  # the patient has it (or may): only its details are missing
            if rule.concept in possible_concepts(condition.concept):
                return "open"  # a finding that may be it ("lung mass" for "lung cancer")
        return silent
    if (
        on("english_spoken")
        and isinstance(rule, ConsentRule)
        and rule.aspect == "language"
        and "english" in rule.span.text.lower()
    ):
        # A history taken and written in English shows the patient (or parent) speaks it; whether
        # they also speak another language the note does not say.
        return "absent"
    return silent


_WHOM_KINDS = frozenset({"age", "sex", "pregnancy"})


def _only_whom(rules: Sequence[Rule], text: str) -> bool:
    """Whether the rules only say whom a criterion concerns (age, sex, pregnancy) while three or more
    of its content words ask something no rule reads ("planning to deliver outside the clinic")."""
    if not rules or any(rule.kind not in _WHOM_KINDS for rule in rules):
        return False
    chars = list(text)
    for rule in rules:
        chars[rule.span.start : rule.span.end] = " " * (rule.span.end - rule.span.start)
    return len(_content("".join(chars)) - _WHOM_WORDS) >= 3


# Words that restate whom a criterion is about rather than ask something of them.
_WHOM_WORDS = frozenset(_stem(w) for w in ("volunteers", "sex", "gender", "genders", "every", "inclusive"))


def _mentions_words(name: str, profile: PatientProfile) -> bool:
    """Whether the note uses at least half of the content words of ``name``."""
    words = _content(name)
    seen: set[str] = set()
    for sentence in profile.sentences:
        seen |= words & _content(sentence)
    return bool(words) and len(seen) * 2 >= len(words)


# Exclusions about the study's own course, not the patient ("MRI images unable to be processed",
# "previously enrolled into this study", "This study has no exclusion criteria"): the annotators'
# convention is "not applicable".
_STUDY_PROCESS = re.compile(
    r"\b(?:previously|already)\s+(?:been\s+)?(?:enrolled|randomi[sz]ed|included|participated)\s+(?:in|into)\s+this\s+"
    r"(?:study|trial)\b"
    r"|\b(?:images?|data|samples?|time\s*points?|scans?)\s+(?:were\s+|was\s+)?(?:not\s+collected|unable\s+to\s+be\s+"
    r"(?:processed|analy[sz]ed|obtained)|not\s+(?:available|obtained|analy[sz]able))"
    r"|\bopted\s+out\s+of\s+being\s+(?:contacted|approached)|\bwill\s+not\s+be\s+(?:recruited|contacted|approached)\b"
    r"|\bfail(?:ure|s|ed)?\s+to\s+provide\s+(?:a\s+|the\s+)?(?:blood\s+|urine\s+|stool\s+|tissue\s+)?samples?\b"
    r"|^\s*(?:this\s+study\s+has\s+no\b|no\s+exclusion\s+criteria|none\.?\s*$|n/?a\.?\s*$)",
    re.IGNORECASE,
)
# A tumour's stage in TNM or stage-group notation ("cT1N0", "pT2a N2 M0", "stage IIIB", "FIGO IIIC").
_STAGING = re.compile(
    r"\b[cpy]?T(?:[0-4][a-d]?|is|x)\s*,?\s*N[0-3x+]|\b[cpy]T(?:[0-4][a-d]?|is)\b"
    r"|\b(?:stage|FIGO|Ann\s+Arbor)\s+(?:[0-4]|I{1,3}V?|IV)[A-Ca-c]?\b",
)
_CAPABILITY = re.compile(
    r"\b(?:able|ability|capable|candidates?|suitable|eligible|fit|willing|requir\w*|need\w*|planned|scheduled)\b",
    re.IGNORECASE,
)


def _unreported_procedure(rule: Rule, profile: PatientProfile) -> bool:
    """A treatment the criterion requires that the note does not mention, not even by a word of its name."""
    if not isinstance(rule, ProcedureRule) or rule.negated or rule.concept in DIAGNOSTIC_PROCEDURES:
        return False
    words = _content(rule.name)
    return not any(words & _content(sentence) for sentence in profile.sentences)


def load_judge(spec: str | None) -> CriterionJudge:
    """A judge by its entry point name in the ``trialatlas.judges`` group (``rules``, the offline
    default, is declared there like any package's judge), or ``module:Class`` of one not installed
    as a package (for instance an LLM client); a module alone means its ``Judge`` class."""
    name = spec or "rules"
    entry = _JUDGES.find(name)
    if entry is not None:
        factory = load_entry_point(entry)
    elif ":" in name or "." in name:
        factory = load_reference(JUDGES, name if ":" in name else f"{name}:Judge")
    else:
        raise PluginError(f"no judge {name!r}; installed: {', '.join(_JUDGES.names()) or 'none'}")
    judge: CriterionJudge = factory()
    return judge


# Judges are looked up by name when asked for, not loaded ahead (each may be costly to build).
_JUDGES = PluginGroup(JUDGES, lambda name, factory: None)


def load_annotations(path: str | Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: {exc}") from exc
    if isinstance(data, dict):
        data = data.get("data") or data.get("annotations") or list(data.values())
    if not isinstance(data, list):
        raise InputError("annotations must be a JSON list of objects")
    for position, item in enumerate(data):
        if not isinstance(item, dict):
            raise InputError(f"annotation {position} is not an object")
    # A pair lacking a field is judged "not enough information" with an error line, not refused whole.
    return data


def _unjudgeable(pair: dict[str, Any]) -> str | None:
    """Why a pair cannot be judged at all (a null or blank note, criterion or type, or a type that is
    neither inclusion nor exclusion), or None."""
    for key in ("note", "criterion_text", "criterion_type"):
        value = pair.get(key)
        if not isinstance(value, str) or not value.strip():
            return (
                f"{key} is {'null' if value is None else 'empty' if isinstance(value, str) else 'not text'}"
            )
    kind = pair["criterion_type"].strip().lower()
    if not kind.startswith(("incl", "excl")):
        # A misspelt type ("exlcusion") must not be judged as an inclusion without a word.
        return f"criterion_type is neither inclusion nor exclusion: {pair['criterion_type']!r}"
    return None


def judge_annotations(
    pairs: Sequence[dict[str, Any]], judge: CriterionJudge | None = None
) -> list[Judgement]:
    """One judgement per pair, in order. A pair that cannot be read (a null or empty criterion text)
    gets "not enough information" with its ``error`` set; the other pairs are judged all the same."""
    active = judge or RuleJudge()
    judgements: list[Judgement] = []
    for index, pair in enumerate(pairs):
        annotation_id = pair.get("annotation_id", index)
        problem = _unjudgeable(pair)
        if problem is not None:
            judgements.append(
                Judgement(annotation_id, "not enough information", reason=problem, error=problem)
            )
            continue
        judgements.append(
            active.judge(pair["note"], pair["criterion_text"], pair["criterion_type"], annotation_id)
        )
    return judgements


def write_jsonl(judgements: Iterable[Judgement], path: str | Path) -> int:
    count = 0
    with Path(path).open("w", encoding="utf-8") as handle:
        for judgement in judgements:
            handle.write(json.dumps(judgement.as_json(), ensure_ascii=False) + "\n")
            count += 1
    return count


__all__ = [
    "LABELS",
    "Conventions",
    "CriterionJudge",
    "Judgement",
    "Label",
    "RuleJudge",
    "judge_annotations",
    "load_annotations",
    "load_judge",
    "write_jsonl",
]
