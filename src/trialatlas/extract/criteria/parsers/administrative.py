"""Consent, trial participation and "not evaluable" (investigator judgement) rules."""

from __future__ import annotations

import re

from trialatlas.extract.criteria.registry import CriterionContext, register
from trialatlas.extract.criteria.rules import ConsentRule, NotEvaluableRule, Rule, TrialParticipationRule
from trialatlas.extract.criteria.trigger_words import trigger_words

_CONSENT: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (aspect, re.compile(pattern, re.IGNORECASE))
    for aspect, pattern in (
        (
            "consent",
            r"\b(?:informed\s+consent|consent(?:ed|s)?|assent|sign(?:ed)?\s+(?:the\s+)?(?:icf|consent\s+form)|icf)\b",
        ),
        (
            "compliance",
            r"\b(?:compl(?:y|iant|iance)|adhere(?:nce)?|willing(?:ness)?\s+to|"
            r"able\s+to\s+(?:attend|complete|understand|follow|communicate|comprehend)|cooperat\w+"
            r"|follow[- ]up\s+visits?|scheduled\s+visits?"
            r"|study\s+(?:procedures|visits|requirements))\b",
        ),
        (
            "language",
            r"\b(?:speak|fluent|read\s+and\s+write|literate|understand)\s+(?:in\s+)?(?:english|french|spanish|"
            r"german|chinese|the\s+local\s+language)\b|\bfluent\s+in\b",
        ),
    )
)
_TRIAL = re.compile(
    r"\b(?:participat\w*|enrol(?:l)?(?:ed|ment)?|involve(?:d|ment)|taking\s+part|included)\s+(?:in\s+)?(?:any\s+|an?\s+|another\s+|"
    r"other\s+|a\s+previous\s+|previous\s+|concurrent\s+|this\s+)?(?:\w+\s+){0,3}?(?:clinical\s+)?(?:trials?|stud(?:y|ies)|"
    r"research|protocol)\b|\b(?:investigational\s+(?:drug|device|agent|product)\s+(?:study|trial))\b"
    r"|\b(?:previously|already)\s+(?:enrolled|randomi[sz]ed|included)\b",
    re.IGNORECASE,
)
_JUDGEMENT = re.compile(
    r"\b(?:investigator'?s?'?\s+(?:judge?ment|opinion|discretion)|in\s+the\s+(?:opinion|judge?ment)\s+of|"
    r"judged\s+by\s+(?:the\s+)?investigator|(?:investigator|physician|researcher)s?\s+(?:considers?|believes?|feels?|"
    r"deems?|thinks?|judges?)|considered\s+(?:by\s+the\s+investigator\s+)?(?:unsuitable|inappropriate|not\s+suitable)"
    r"|not\s+suitable\s+for|unsuitable\s+for|inappropriate\s+for|would\s+(?:interfere|compromise|preclude|"
    r"jeopardi[sz]e|prevent|make\s+the\s+(?:patient|subject)|put\s+the)|may\s+(?:interfere|compromise|affect|cause)"
    r"|could\s+(?:interfere|compromise|affect)|any\s+(?:other\s+)?(?:condition|reason|circumstance|factor)s?\s+"
    r"(?:that|which)|determined\s+by\s+(?:the\s+)?study\s+personnel|clinically\s+significant\s+(?:findings|abnormalit))",
    re.IGNORECASE,
)


# "Refusal to sign", "unable to give", "missing" consent: the rule states the lack of consent.
_LACKING = re.compile(
    r"\b(?:refus\w*|unable|unwilling\w*|inability|incapable|missing|lack\w*|without|fail\w*|not\s+(?:able|willing|"
    r"capable|provide|give|sign)|non-?|poor|compromised|can\s*not|cannot|impossib\w*|difficult\w*|unlikely)",
    re.IGNORECASE,
)


_CONSENT_HINTS = trigger_words(
    (
        "consent",
        "assent",
        "icf",
        "compl",
        "adhere",
        "willing",
        "able",
        "cooperat",
        "follow",
        "visit",
        "study proc",
        "study req",
        "speak",
        "fluent",
        "read",
        "literate",
        "understand",
    )
)


@register("consent", priority=14)
def parse_consent(context: CriterionContext) -> list[Rule]:
    if not context.mentions(_CONSENT_HINTS):
        return []
    rules: list[Rule] = []
    for aspect, pattern in _CONSENT:
        match = pattern.search(context.text)
        if match and not context.is_claimed(*match.span()):
            context.claim(*match.span())
            lead = context.text[max(0, match.start() - 45) : match.start() + 4]
            rule = ConsentRule(span=context.span(*match.span()), aspect=aspect)
            lacking = _LACKING.search(lead)
            if lacking:
                # Set here, not by the shared negation pass: "unable", "refusal" are not NegEx cues.
                rule.negated = True
                rule.negation_cue = lacking.group(0)
                context.claim(lacking.start() + max(0, match.start() - 45), match.start())
            rules.append(rule)
    return rules


_TRIAL_HINTS = trigger_words(
    ("particip", "enrol", "involve", "taking part", "included", "investigational", "randomi")
)
_JUDGEMENT_HINTS = trigger_words(
    (
        "investigator",
        "opinion",
        "judgment",
        "judgement",
        "judged",
        "physician",
        "researcher",
        "consider",
        "suitable",
        "inappropriate",
        "would",
        "may ",
        "could",
        "condition",
        "reason",
        "circumstance",
        "factor",
        "determined",
        "clinically significant",
    )
)


@register("trial_participation", priority=15)
def parse_trial_participation(context: CriterionContext) -> list[Rule]:
    if not context.mentions(_TRIAL_HINTS):
        return []
    match = _TRIAL.search(context.text)
    if match is None or context.is_claimed(*match.span()):
        return []
    # "Patients who meet the inclusion criteria of the parent study" is not about other trials.
    if re.search(r"\bcriteria\b", match.group(0), re.I):
        return []
    context.claim(*match.span())
    return [TrialParticipationRule(span=context.span(*match.span()))]


@register("not_evaluable", priority=16)
def parse_not_evaluable(context: CriterionContext) -> list[Rule]:
    if not context.mentions(_JUDGEMENT_HINTS):
        return []
    match = _JUDGEMENT.search(context.text)
    if match is None:
        return []
    context.claim(*match.span())
    return [NotEvaluableRule(span=context.span(*match.span()))]


__all__ = ["parse_consent", "parse_not_evaluable", "parse_trial_participation"]
