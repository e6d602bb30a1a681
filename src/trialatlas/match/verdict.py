"""Verdicts: does a patient meet each criterion of a trial, and could the patient join it?

Each rule is evaluated to true / false / unknown (or not applicable) against the profile
(:mod:`trialatlas.match.atoms`), with the patient fact and note sentence that decided it and a
one-line reason. A criterion combines its rules
(all or any, three-valued), and reads the result by kind: an inclusion criterion is *met*, *not met* or
*unknown*; an exclusion criterion *excluded*, *not excluded* or *unknown*; either may be *not
applicable* (a pregnancy criterion for a man). The trial is *ineligible* when any inclusion is not met
or any exclusion applies, *eligible* when every criterion is decided in the patient's favour, and
*possibly eligible* otherwise, with the undecided criteria listed as the ones to check next.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from trialatlas.extract.criteria import ParsedCriterion, parse_eligibility
from trialatlas.extract.criteria.drugs import drug_classes, drug_ingredients, same_drug
from trialatlas.extract.criteria.logic import bracket_start, build_logic, clause_bounds, listed_together
from trialatlas.extract.criteria.negation import find_cues
from trialatlas.extract.criteria.qualifiers import (
    class_words,
    course_of,
    find_classes,
    is_class_token,
    qualifier_vocab,
    route_mentions,
)
from trialatlas.extract.criteria.rules import (
    ConditionRule,
    LogicNode,
    MeasurementRule,
    MedicationRule,
    PregnancyRule,
    ProcedureRule,
    Rule,
    SexRule,
)
from trialatlas.extract.criteria.split import CriterionKind
from trialatlas.extract.criteria.vocab import broader_concepts
from trialatlas.match.atoms import RuleVerdict, cannot_conceive, evaluate_rule
from trialatlas.match.atoms import ordinary_life_expectancy as life_expectancy_by_convention
from trialatlas.match.infection_heads import infection_named_by_pathogen
from trialatlas.match.logic import Truth, evaluate_logic
from trialatlas.match.patient import Evidence, PatientMedication, PatientProfile
from trialatlas.match.qualified import unread_dose_limit
from trialatlas.match.structured_limits import structured_limits
from trialatlas.model import Trial
from trialatlas.text.words import stop_words

CriterionStatus = Literal["met", "not met", "unknown", "excluded", "not excluded", "not applicable"]
TrialStatus = Literal["eligible", "ineligible", "possibly eligible"]


class CriterionVerdict(BaseModel):
    model_config = ConfigDict(extra="forbid")

    index: int
    kind: Literal["inclusion", "exclusion"]
    text: str
    status: CriterionStatus
    reason: str
    evidence: list[Evidence] = Field(default_factory=list)
    rules: list[RuleVerdict] = Field(default_factory=list)
    logic: str | None = Field(default=None, description="How the rules combined: all(…), any(…), not(…).")


class TrialVerdict(BaseModel):
    model_config = ConfigDict(extra="forbid")

    trial: str
    status: TrialStatus
    unknown: int = Field(description="Undecided criteria that could still change the verdict.")
    met: int
    criteria: list[CriterionVerdict] = Field(default_factory=list)
    check_next: list[str] = Field(default_factory=list, description="Undecided criteria, most telling first.")
    failed: list[str] = Field(default_factory=list, description="Criteria that rule the patient out.")


_STATUS: dict[tuple[str, Truth], CriterionStatus] = {
    ("inclusion", "true"): "met",
    ("inclusion", "false"): "not met",
    ("inclusion", "unknown"): "unknown",
    ("inclusion", "not_applicable"): "not applicable",
    ("exclusion", "true"): "excluded",
    ("exclusion", "false"): "not excluded",
    ("exclusion", "unknown"): "unknown",
    ("exclusion", "not_applicable"): "not applicable",
}


DIAGNOSTIC_PROCEDURES = frozenset(
    {
        "mri",
        "ct",
        "ultrasound",
        "echocardiography",
        "xray",
        "pet",
        "spect",
        "ecg",
        "eeg",
        "angiography",
        "biopsy",
        "renal_biopsy",
        "endoscopy",
    }
)


def evaluate_criterion(
    criterion: ParsedCriterion,
    patient: PatientProfile,
    *,
    pregnancy_inapplicable: bool = False,
    ordinary_life_expectancy: bool = False,
) -> CriterionVerdict:
    """``pregnancy_inapplicable``: pregnancy atoms drop out for a patient who cannot conceive rather
    than being false (the convention of annotators who label such criteria "not applicable").
    ``ordinary_life_expectancy``: a note describing no terminal illness meets a life expectancy of
    months (the annotators' convention; a clinician's verdict leaves the prognosis open)."""
    rules = list(criterion.rules)
    # "Atrial fibrillation on admission ECG": a test named beside a finding is how it is found, not a
    # criterion of its own.
    means = {
        position
        for position, r in enumerate(rules)
        if isinstance(r, ProcedureRule) and r.concept in DIAGNOSTIC_PROCEDURES
    }
    if len(means) == len(rules):
        means = set()
    # Atoms are judged as stated; the tree applies each negation and exception where its scope is.
    raw = [evaluate_rule(rule, patient, negate=False) for rule in rules]
    _defined_by_measurement(criterion.text, rules, raw)
    _means_not_facts(criterion.text, rules, raw)
    infection_named_by_pathogen(rules, raw)
    for position, rule in enumerate(rules):
        if isinstance(rule, MedicationRule) and (dose := unread_dose_limit(criterion.text, rule, rules)):
            reason = f"{rule.name}: asked about at '{dose}', a limit not read"
            raw[position] = raw[position].model_copy(
                update={"truth": "unknown", "reason": reason, "evidence": []}
            )
    for position in means:
        raw[position] = raw[position].model_copy(update={"truth": "not_applicable"})
    if ordinary_life_expectancy:
        for position, rule in enumerate(rules):
            if isinstance(rule, MeasurementRule) and rule.analyte == "life_expectancy":
                truth, reason, evidence = life_expectancy_by_convention(rule, patient)
                raw[position] = raw[position].model_copy(
                    update={"truth": truth, "reason": reason, "evidence": evidence}
                )
    if pregnancy_inapplicable and cannot_conceive(patient):
        for position, rule in enumerate(rules):
            if isinstance(rule, PregnancyRule):
                raw[position] = raw[position].model_copy(update={"truth": "not_applicable"})
    logic = criterion.logic or build_logic(criterion.text, criterion.kind, rules)
    _drugs_other_than(logic, rules, raw, patient)
    _conditions_other_than(logic, rules, raw, patient)
    # A criterion with no computable rule is undecided, not inapplicable.
    truth = evaluate_logic(logic, [v.truth for v in raw], rules) if rules else "unknown"
    # Only a clinical requirement can hide behind words no rule read; consent and conduct criteria
    # are phrased every way and mean the one thing.
    clinical = any(rule.kind not in ("consent", "trial_participation", "not_evaluable") for rule in rules)
    # Where alternatives decided it (any-of, examples), a branch no rule read cannot undo the answer.
    conjunctive = logic.op in ("atom", "all", "not", "except")
    # Words no rule read are one more undecided atom where they stand; they hold the criterion back
    # only if that atom could change what the tree decided.
    unread = (
        _deciding_unread(criterion.text, rules, logic, [v.truth for v in raw], truth, criterion.kind)
        if truth == "true" and conjunctive and clinical
        else []
    )
    # A statement that does not hold may still hold by an alternative no rule read ("brain metastases
    # or carcinomatous meningitis" for a patient without brain metastases): not shown either way.
    alternatives = (
        _unread_alternatives(criterion.text, rules, logic, [v.truth for v in raw], criterion.kind)
        if truth == "false" and clinical
        else []
    )
    substantive = [r for position, r in enumerate(rules) if position not in means]
    verdicts = [_as_stated(rule, verdict) for rule, verdict in zip(rules, raw, strict=True)]
    shown = [v for position, v in enumerate(verdicts) if position not in means]
    if _outside_population(criterion, substantive, shown):
        truth = "not_applicable"
    elif len(unread) >= 2:
        # The rules read hold, but the criterion asks more that no rule read ("aged 21 or older with
        # chronic orthostatic intolerance"): holding is not shown.
        truth = "unknown"
        shown.append(
            RuleVerdict(
                kind="unread",
                text=" ".join(unread),
                truth="unknown",
                reason=f"not read: {' '.join(unread[:6])}",
            )
        )
    elif alternatives:
        truth = "unknown"
        shown.append(
            RuleVerdict(
                kind="unread",
                text=" ".join(alternatives),
                truth="unknown",
                reason=f"alternative not read: {' '.join(alternatives[:6])}",
            )
        )
    adverse = "false" if criterion.kind == "inclusion" else "true"
    if truth == adverse and (exempt := unread_exception(criterion.text, rules)) is not None:
        # "No prior chemotherapy except for radiosensitization": the exception no rule read may be
        # the patient's case, so what rules the patient out is not shown.
        truth = "unknown"
        shown.append(
            RuleVerdict(kind="unread", text=exempt, truth="unknown", reason=f"exception not read: {exempt}")
        )
    deciding = [v for v in shown if v.truth == truth] or shown
    if not shown:
        reason = "no computable rule in this criterion"
    else:
        reason = "; ".join(v.reason for v in deciding[:3])
    evidence = [e for v in deciding for e in v.evidence]
    return CriterionVerdict(
        index=criterion.index,
        kind=criterion.kind,
        text=criterion.text,
        status=_STATUS[(criterion.kind, truth)],
        reason=reason,
        evidence=evidence,
        rules=shown,
        logic=logic.describe(rules),
    )


# Letters with accents are letters ("périconceptionnel", "Sjögren"): a word is not cut at them.
_WORD = re.compile(r"[A-Za-z\u00C0-\u024F][A-Za-z\u00C0-\u024F'-]{3,}")
_TOPIC = re.compile(r"^[^:\d]{1,40}:")
_REFERENCE = re.compile(
    r"\b(?:in\s+accordance\s+with|according\s+to|as\s+defined\s+by|defined\s+by|as\s+per|meeting|fulfill?ing|"
    r"based\s+on|using)\s+(?:the\s+)?[^.;,]{0,80}?\b(?:criteria|criterion|classification|guidelines?|definition|"
    r"system|formula|scale|score|equation)\b",
    re.IGNORECASE,
)


# A reason set off from the requirement (after a comma or as a sentence of its own): ", because of
# the proven teratogenicity of …", "This is to prevent transmission …". It says why, not what more.
_REASON = re.compile(
    r"(?:,\s*|^|\.\s+)(?:because\b|in\s+order\s+to\b|(?:this\s+is\s+)?to\s+(?:prevent|avoid|minimi[sz]e|"
    r"reduce)\b|given\s+the\s+(?:risk|potential)\b)[^;]*",
    re.IGNORECASE,
)


_STABLE_WORDS = frozenset(
    {"stable", "dose", "doses", "dosage", "dosing", "regimen", "medication", "treatment"}
)


def unread_words(text: str, rules: Sequence[Rule]) -> list[str]:
    """Content words of a criterion that no rule read: outside every rule's span, window and cue, and
    neither boilerplate nor one of a rule's qualifiers."""
    return [match.group(0) for match in _unread_matches(text, rules)]


def _unread_matches(text: str, rules: Sequence[Rule]) -> list[re.Match[str]]:
    covered: list[tuple[int, int]] = []
    known: set[str] = set(class_words())
    staged = any(getattr(rule, "classes", None) for rule in rules)
    for rule in rules:
        covered.append((rule.span.start, rule.span.end))
        if rule.window is not None:
            covered.append((rule.window.span.start, rule.window.span.end))
        for name in ("value_span", "name_span"):
            extra = getattr(rule, name, None)
            if extra is not None:
                covered.append((extra.start, extra.end))
        dose = getattr(rule, "dose", None)
        if dose is not None and dose.end is not None and dose.end > rule.span.end:
            covered.append((rule.span.end, dose.end))  # "(>10 mg prednisone or equivalent/day)"
        for word in [*getattr(rule, "qualifiers", []), *getattr(rule, "course", [])]:
            known.update(word.lower().split())
        if getattr(rule, "relation", None) == "stable_dose":
            known.update(_STABLE_WORDS)  # "a stable dose of X": the rule's relation reads them
    covered.extend((cue.start, cue.end) for cue in find_cues(text))
    # A leading "Topic:" names what the rule after it states ("Normal renal function: eGFR ≥ 90").
    topic = _TOPIC.match(text)
    if topic is not None:
        covered.append((0, topic.end()))
    # "in accordance with the ACR criteria", "as defined by the Rai system": how the thing is
    # defined, not another requirement.
    covered.extend(match.span() for match in _REFERENCE.finditer(text))
    covered.extend(
        match.span()
        for match in _REASON.finditer(text)
        # A clause with a rule in it is read as written ("because of a pacemaker" may be the requirement).
        if not any(match.start() <= rule.span.start < match.end() for rule in rules)
    )
    stop = stop_words("english", "criteria", "requirement")
    # A course of a disease only ("chronic": qualifiers.json) is read by a rule that takes a disease's
    # course; beside a medicine alone ("chronic use of high-dose steroids") it is a requirement no rule read.
    coursed = any(hasattr(rule, "course") for rule in rules)
    disease_only = frozenset(qualifier_vocab()["disease_only_courses"])
    unread: list[re.Match[str]] = []
    for match in _WORD.finditer(text):
        word = match.group(0).lower()
        courses = course_of(word)
        if word in stop or word in known or (courses and (coursed or not courses <= disease_only)):
            continue
        if staged and is_class_token(word):
            continue  # "Stage IIIC or IV ovarian carcinoma": the atom's class set holds the numerals

        if any(start <= match.start() and match.end() <= end for start, end in covered):
            continue
        unread.append(match)
    return unread


# What may stand between a word and the atom it qualifies: words, never a list's joint or a clause's
# edge ("deep venous thrombosis" qualifies thrombosis; "lymphedema or thrombosis" names two things).
_QUALIFIER_GAP = re.compile(r"[A-Za-z0-9\s'-]*")


def _deciding_unread(
    text: str,
    rules: Sequence[Rule],
    logic: LogicNode,
    truths: Sequence[Truth],
    truth: Truth,
    kind: CriterionKind = "inclusion",
) -> list[str]:
    """The unread words that could change ``truth``: each is put into the tree as an undecided atom
    where it stands (another branch of the all-of or any-of it sits inside, a narrowing of the atom it
    qualifies, else one more requirement of the whole criterion), and kept if the tree's answer then
    changes. An any-of already met, an all-of already failed, or a qualifier of an atom the patient
    does not have at all ("no deep venous thrombosis" for a patient with no thrombosis) is not moved by
    what the words say."""
    unknown = len(rules)  # the undecided atom's index, one past the rules
    extended: list[Truth] = [*truths, "unknown"]
    deciding: list[str] = []
    for match in _unread_matches(text, rules):
        placed = _place_unread(logic, rules, match.start(), match.end(), text, unknown, kind)
        if evaluate_logic(placed, extended, rules) != truth:
            deciding.append(match.group(0))
    return deciding


# What joins an alternative to the atom right before or after it: "or" next to the atom, and at most
# three words of the alternative's own phrase between ("brain metastases or carcinomatous meningitis",
# "night shifts or sleep apnea"); a word deeper in a phrase ("ocular or systemic disease requiring …")
# qualifies rather than offers another branch.
_OR_AFTER_ATOM = re.compile(r"\s*,?\s*(?:or|and/or|nor)\s+(?:[A-Za-z0-9'-]+\s+){0,3}", re.IGNORECASE)
_OR_BEFORE_ATOM = re.compile(r"(?:\s+[A-Za-z0-9'-]+){0,3}\s*,?\s+(?:or|and/or|nor)\s+", re.IGNORECASE)


def _unread_alternatives(
    text: str,
    rules: Sequence[Rule],
    logic: LogicNode,
    truths: Sequence[Truth],
    kind: CriterionKind = "inclusion",
) -> list[str]:
    """The unread words that stand as another alternative to what the tree found false: a branch of an
    any-of they sit inside, or joined by "or" to an atom ("gastritis" in "bleeding disorder or
    gastritis"), that turns the tree's answer to unknown."""
    unknown = len(rules)
    extended: list[Truth] = [*truths, "unknown"]
    extra = LogicNode(op="atom", rule=unknown)
    # An exclusion found false stays false whatever its exception ("unless …") says: an exception only
    # takes more cases out. (An inclusion's "No X except Y" may be met by Y: those words stay open.)
    exempting = [
        (min(cue.start, cue.scope_start), max(cue.end, cue.scope_end))
        for cue in find_cues(text)
        if cue.category == "exception" and kind == "exclusion"
    ]
    found: list[str] = []
    for match in _unread_matches(text, rules):
        start, end = match.start(), match.end()
        if any(low <= start and end <= high for low, high in exempting):
            continue
        if _in_phrase_of_atom(logic, rules, start, end, text):
            continue  # it narrows an atom found false, which stays false
        # Joined by "or" to an atom, it widens that atom even inside an all-of ("neuroblastoma (stage
        # IV, or N-myc amplified)"); else it is one more branch of what it sits between.
        joined = _joined_atom(logic, rules, start, end, text, kind)
        placed = _place_inside(logic, rules, start, end, extra) if joined is None else None
        if joined is not None:
            placed = _widen(logic, joined, extra)
        if placed is not None and evaluate_logic(placed, extended, rules) == "unknown":
            found.append(match.group(0))
    return found


def _joined_atom(
    node: LogicNode, rules: Sequence[Rule], start: int, end: int, text: str, kind: CriterionKind = "inclusion"
) -> int | None:
    """The nearest atom a word is joined to by "or" (before or after it), or listed with in one series
    ("diabetes mellitus, malabsorption, kidney stones, or …"), within one clause."""
    best: tuple[int, int] | None = None
    # A word in a bracket glosses the item the bracket follows: it stands where the bracket opens.
    at = bracket_start(text, start)
    classes = find_classes(text)
    for index in node.atoms():
        rule = rules[index]
        # A stage list read into the atom ("neuroblastoma (stage IV, or N-myc amplified)") stands
        # where its words are: an alternative joined to them widens the atom.
        values = set(getattr(rule, "classes", None) or [])
        spans = [(rule.span.start, rule.span.end)]
        spans += [(found.start, found.end) for found in classes if values and set(found.values) <= values]
        for span_start, span_end in spans:
            if span_end > start and end > span_start:
                continue
            if end <= span_start:
                gap, joint = text[end:span_start], _OR_BEFORE_ATOM
                listed = listed_together(text, end, span_start, kind)
            else:
                gap, joint = text[span_end:start], _OR_AFTER_ATOM
                listed = listed_together(text, span_end, at if at >= span_end else start, kind)
            if not (joint.fullmatch(gap) or listed):
                continue
            if best is None or len(gap) < best[0]:
                best = (len(gap), index)
    return None if best is None else best[1]


_PHRASE_GAP = re.compile(r"[A-Za-z0-9\s'()-]*")


def _in_phrase_of_atom(node: LogicNode, rules: Sequence[Rule], start: int, end: int, text: str) -> bool:
    """Whether a word belongs to an atom's own phrase: at most three words, none a joint, between them
    ("requiring other systemic immunosuppressants"), or a bracket's gloss of it ("≥ 18 years (adults)")."""
    joints = stop_words("joint")
    for index in node.atoms():
        span = rules[index].span
        if span.end > start and end > span.start:
            continue
        gap = text[end : span.start] if end <= span.start else text[span.end : start]
        words = gap.replace("(", " ").replace(")", " ").split()
        if _PHRASE_GAP.fullmatch(gap) and len(words) <= 3 and not any(w.lower() in joints for w in words):
            return True
    return False


def _widen(node: LogicNode, index: int, extra: LogicNode) -> LogicNode:
    """The tree with atom ``index`` widened by ``extra`` (either may hold)."""
    if node.op == "atom":
        return LogicNode(op="any", children=[node, extra]) if node.rule == index else node
    return node.model_copy(update={"children": [_widen(child, index, extra) for child in node.children]})


def _extent(node: LogicNode, rules: Sequence[Rule]) -> tuple[int, int] | None:
    atoms = [rules[i] for i in node.atoms() if i < len(rules)]
    if not atoms:
        return None
    return min(r.span.start for r in atoms), max(r.span.end for r in atoms)


def _place_unread(
    node: LogicNode,
    rules: Sequence[Rule],
    start: int,
    end: int,
    text: str,
    unknown: int,
    kind: CriterionKind = "inclusion",
) -> LogicNode:
    extra = LogicNode(op="atom", rule=unknown)
    inner = _place_inside(node, rules, start, end, extra)
    if inner is not None:
        return inner
    if kind == "exclusion":
        low, high = clause_bounds(text, start)
        if not any(
            low <= rules[i].span.start < high or low < rules[i].span.end <= high for i in node.atoms()
        ):
            # Each clause of an exclusion excludes on its own ("Investigational drugs. Current
            # alcohol abuse."): one no rule read is another branch, not one more requirement.
            return LogicNode(op="any", children=[node, extra])
    if not _in_phrase_of_atom(node, rules, start, end, text):
        joined = _joined_atom(node, rules, start, end, text, kind)
        if joined is not None:
            return _widen(node, joined, extra)  # "hepatitis B or uncontrolled zorbitis": another branch
    qualified = _qualified_atom(node, rules, start, end, text)
    if qualified is not None:
        return _narrow(node, qualified, extra)
    return LogicNode(op="all", children=[node, extra])


def _place_inside(
    node: LogicNode, rules: Sequence[Rule], start: int, end: int, extra: LogicNode
) -> LogicNode | None:
    """The tree with ``extra`` as one more branch of the innermost all-of / any-of whose atoms the
    word sits between, or None when it sits between none. A not passes it to its branch; an exception
    or examples node takes it as one more requirement beside itself (never inside its own logic)."""
    extent = _extent(node, rules)
    if node.op == "atom" or extent is None or not (extent[0] <= start and end <= extent[1]):
        return None
    if node.op in ("all", "any", "not"):
        for position, child in enumerate(node.children):
            placed = _place_inside(child, rules, start, end, extra)
            if placed is not None:
                children = list(node.children)
                children[position] = placed
                return node.model_copy(update={"children": children})
        if node.op in ("all", "any"):
            return node.model_copy(update={"children": [*node.children, extra]})
    return LogicNode(op="all", children=[node, extra])


def _qualified_atom(node: LogicNode, rules: Sequence[Rule], start: int, end: int, text: str) -> int | None:
    """The atom a word outside every list qualifies: the nearest one in its phrase, with nothing but
    words (no list joint, no punctuation) between them."""
    best: tuple[int, int] | None = None
    for index in node.atoms():
        span = rules[index].span
        gap = text[end : span.start] if end <= span.start else text[span.end : start]
        if span.end > start and end > span.start:
            continue
        if not _QUALIFIER_GAP.fullmatch(gap) or any(w.lower() in stop_words("joint") for w in gap.split()):
            continue
        if best is None or len(gap) < best[0]:
            best = (len(gap), index)
    return None if best is None else best[1]


def _narrow(node: LogicNode, index: int, extra: LogicNode) -> LogicNode:
    """The tree with atom ``index`` narrowed by ``extra`` (both must hold)."""
    if node.op == "atom":
        return LogicNode(op="all", children=[node, extra]) if node.rule == index else node
    if node.op == "except" and index in node.atoms():
        return LogicNode(op="all", children=[node, extra])  # an exception's own logic stays as read
    return node.model_copy(update={"children": [_narrow(child, index, extra) for child in node.children]})


def unread_exception(text: str, rules: Sequence[Rule]) -> str | None:
    """The words of an exception ("except", "unless", "other than", "… allowed") whose scope no rule
    was read in, if there is one."""
    for cue in find_cues(text):
        if cue.category != "exception":
            continue
        start, end = cue.scope_start, cue.scope_end
        if any(start <= rule.span.start < end or start < rule.span.end <= end for rule in rules):
            continue
        if any(isinstance(rule, MedicationRule) and rule.exempt_routes for rule in rules) and route_mentions(
            text, start, end
        ):
            continue  # "steroids other than topical": the routes left out were read with the medicine
        scope = text[min(cue.start, start) : max(cue.end, end)].strip()
        if len(scope.split()) > 1:
            return scope
    return None


def _as_stated(rule: Rule, verdict: RuleVerdict) -> RuleVerdict:
    """A rule's verdict with its own negation applied, as the criterion states it (for display)."""
    if not rule.negated or verdict.truth not in ("true", "false"):
        return verdict
    flipped: Truth = "false" if verdict.truth == "true" else "true"
    word = "exception" if rule.exception else "criterion negated by"
    return verdict.model_copy(
        update={"truth": flipped, "reason": f"{verdict.reason} ({word} '{rule.negation_cue}')"}
    )


_CLINICAL_KINDS = frozenset({"condition", "measurement", "medication", "procedure", "infection"})
_NO_DRUG_CLASSES = frozenset({"investigational", "medication"})


def _drugs_other_than(
    node: LogicNode, rules: list[Rule], raw: list[RuleVerdict], patient: PatientProfile
) -> None:
    """ "Any antiretroviral other than zidovudine or didanosine": the class is judged on the patient's
    medicines without the exempted drugs, and the exemption has then been applied (set to false)."""
    for child in node.children:
        _drugs_other_than(child, rules, raw, patient)
    if node.op != "except" or len(node.children) != 2 or node.children[0].op != "atom":
        return
    main = node.children[0].rule
    exempt = node.children[1].atoms()
    if main is None or not exempt:
        return
    kept = rules[main]
    if not isinstance(kept, MedicationRule) or kept.drug_class is None or kept.drugs:
        return
    exempted: set[str] = set()
    for index in exempt:
        rule = rules[index]
        if (
            not isinstance(rule, MedicationRule)
            or not rule.drugs
            or rule.drug_class not in (None, kept.drug_class)
        ):
            return
        exempted.update(rule.drugs)
    remaining: list[PatientMedication] = []
    for medication in patient.medications:
        # A combination product is judged on its ingredients that are not exempted: Truvada is exempt
        # where tenofovir and emtricitabine are, Biktarvy's bictegravir is not.
        parts = [p for d in medication.drugs for p in (drug_ingredients(d) or (d,))]
        kept_parts = [p for p in parts if not any(same_drug(p, e) for e in exempted)]
        if kept_parts == parts:
            remaining.append(medication)
        elif kept_parts:
            classes = list(dict.fromkeys(c for p in kept_parts for c in drug_classes(p)))
            remaining.append(medication.model_copy(update={"drugs": kept_parts, "classes": classes}))
    others = patient.model_copy(update={"medications": remaining})
    raw[main] = evaluate_rule(kept, others, negate=False)
    for index in exempt:
        raw[index] = raw[index].model_copy(update={"truth": "false"})


def _conditions_other_than(
    node: LogicNode, rules: list[Rule], raw: list[RuleVerdict], patient: PatientProfile
) -> None:
    """ "No other prior malignancy except nonmelanoma skin cancer": when none of the patient's
    conditions of the kind asked is, or may be, an exempted kind, the exception cannot apply (set to
    false) and the statement is judged as it stands, when it names one beside the disease under study
    (two distinct ones, no time window picking among them) or the patient has none at all."""
    for child in node.children:
        _conditions_other_than(child, rules, raw, patient)
    if node.op != "except" or len(node.children) != 2:
        return
    main_node = node.children[0]
    if main_node.op == "not" and len(main_node.children) == 1:
        main_node = main_node.children[0]
    exempt = node.children[1].atoms()
    if main_node.op != "atom" or main_node.rule is None or not exempt:
        return
    kept = rules[main_node.rule]
    if not isinstance(kept, ConditionRule) or kept.concept is None or kept.experiencer != "patient":
        return
    exempted = [rules[i] for i in exempt]
    if not all(isinstance(r, ConditionRule) and r.concept for r in exempted):
        return
    exempt_concepts = {r.concept for r in exempted if isinstance(r, ConditionRule) and r.concept}
    matching = [
        c
        for c in patient.conditions
        if c.present and not c.family and c.concept and kept.concept in broader_concepts(c.concept)
    ]
    for condition in matching:
        kinds = broader_concepts(condition.concept or "")
        if any(e in kinds or (condition.concept or "") in broader_concepts(e) for e in exempt_concepts):
            return  # this one is, or may be, the exempted kind
    if matching:
        # Written or not ("No prior malignancy except …" in a cancer trial), the statement is about a
        # disease beside the one under study: only two distinct ones show it, and a time window could
        # be met by the wrong one.
        distinct = {c.concept for c in matching if c.concept}
        distinct = {c for c in distinct if not any(c != d and c in broader_concepts(d) for d in distinct)}
        if len(distinct) < 2 or (kept.window is not None and kept.window.days is not None):
            return
    for index in exempt:
        raw[index] = raw[index].model_copy(update={"truth": "false"})


def _outside_population(criterion: ParsedCriterion, rules: list[Rule], verdicts: list[RuleVerdict]) -> bool:
    """Whether the criterion is about people the patient is not one of.

    An exclusion's age and sex words say whom it concerns ("Female subjects with KD aged 12 or
    older"): when they do not fit, the criterion does not apply rather than clear the patient. A
    pregnancy criterion that does not apply (a man, a child) takes its consent or compliance riders
    with it ("agrees to use contraception", "pregnant women, prisoners, unable to consent").
    """
    others = [
        (r, v) for r, v in zip(rules, verdicts, strict=True) if v.kind not in ("age", "sex", "pregnancy")
    ]
    if not others:
        return False
    pregnancy_na = any(v.kind == "pregnancy" and v.truth == "not_applicable" for v in verdicts)
    # "Study drug" or "medications" name no treatment of the patient's; they are riders too.
    clinical = [
        r
        for r, v in others
        if v.kind in _CLINICAL_KINDS
        and not (isinstance(r, MedicationRule) and not r.drugs and r.drug_class in _NO_DRUG_CLASSES)
    ]
    if pregnancy_na and not clinical:
        return True
    if criterion.kind != "exclusion" or criterion.combine == "any":
        return False
    return any(v.kind in ("age", "sex") and v.truth == "false" for v in verdicts) or (
        pregnancy_na and any(isinstance(r, SexRule) for r in rules)
    )


_BY_MEANS_OF = re.compile(
    r"\b(?:by|on|via|using|with|through|after|at|in)\s+(?:the\s+|an?\s+)?(?:[\w-]+[\s(,/]+){0,3}$",
    re.IGNORECASE,
)


def _means_not_facts(text: str, rules: list[Rule], verdicts: list[RuleVerdict]) -> None:
    """A test named as the means of finding something ("found by echocardiography") is not met by the
    patient having had that test: only what it found would decide the criterion."""
    for position, rule in enumerate(rules):
        if not isinstance(rule, ProcedureRule) or rule.concept not in DIAGNOSTIC_PROCEDURES:
            continue
        if verdicts[position].truth == "true" and _BY_MEANS_OF.search(text[: rule.span.start]):
            verdicts[position] = verdicts[position].model_copy(
                update={"truth": "unknown", "reason": f"{rule.name} is how it is found, not what"}
            )


def _defined_by_measurement(text: str, rules: list[Rule], verdicts: list[RuleVerdict]) -> None:
    """A decided measurement in brackets decides the condition it defines: "Anemia (hemoglobin <9 g/dL)"."""
    for position, rule in enumerate(rules):
        if not isinstance(rule, ConditionRule) or position + 1 >= len(rules):
            continue
        following = rules[position + 1]
        if not isinstance(following, MeasurementRule):
            continue
        gap = text[rule.span.end : following.span.start]
        decided = verdicts[position + 1]
        if re.fullmatch(r"\s*[(\[:]\s*", gap) and decided.truth in ("true", "false"):
            verdicts[position] = decided.model_copy(update={"kind": "condition", "text": rule.span.text})


_PRIORITY = {
    "condition": 0,
    "measurement": 1,
    "infection": 2,
    "medication": 3,
    "procedure": 4,
    "pregnancy": 5,
}


def evaluate_trial(
    trial: Trial, patient: PatientProfile, criteria: Sequence[ParsedCriterion] | None = None
) -> TrialVerdict:
    """Every criterion of ``trial`` for ``patient`` (plus the structured age and sex limits)."""
    if criteria is None:
        eligibility = trial.eligibility
        criteria = parse_eligibility(eligibility.criteria_text, eligibility.inclusion, eligibility.exclusion)
    results = [evaluate_criterion(c, patient) for c in criteria if not c.is_header]
    results.extend(_structured_limits(trial, patient, len(criteria)))
    failed = [v.text for v in results if v.status in ("not met", "excluded")]
    unknown = [v for v in results if v.status == "unknown"]
    met = sum(1 for v in results if v.status in ("met", "not excluded"))
    # An unknown decides the trial only while nothing has ruled the patient out: once a criterion
    # fails, no answer to the others makes the patient eligible.
    decisive = [] if failed else unknown
    # Check first what one fact settles (fewest undecided rules), then the clinical kinds before the
    # administrative ones.
    ranked = sorted(
        decisive,
        key=lambda v: (
            sum(1 for r in v.rules if r.truth == "unknown") or 9,
            min((_PRIORITY.get(r.kind, 9) for r in v.rules if r.truth == "unknown"), default=10),
        ),
    )
    decided = sum(1 for v in results if v.status in ("met", "not excluded"))
    # A trial whose criteria could not be read at all is not "eligible": nothing was checked.
    status: TrialStatus = (
        "ineligible" if failed else ("possibly eligible" if unknown or not decided else "eligible")
    )
    return TrialVerdict(
        trial=trial.nct_id or (trial.registry_ids[0] if trial.registry_ids else trial.org_study_id) or "",
        status=status,
        unknown=len(decisive),
        met=met,
        criteria=results,
        check_next=[v.text for v in ranked[:5]],
        failed=failed,
    )


def _structured_limits(trial: Trial, patient: PatientProfile, start: int) -> list[CriterionVerdict]:
    return [
        CriterionVerdict(index=start + offset, kind="inclusion", text=text, status=status, reason=reason)
        for offset, text, status, reason in structured_limits(trial, patient)
    ]


__all__ = [
    "DIAGNOSTIC_PROCEDURES",
    "CriterionVerdict",
    "TrialVerdict",
    "evaluate_criterion",
    "evaluate_trial",
]
