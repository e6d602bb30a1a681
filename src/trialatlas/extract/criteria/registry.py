"""The parser registry and the one join every parser's rules go through.

Each rule kind has one parser, registered with :func:`register` under its kind and a priority. A parser
reads a :class:`CriterionContext` and returns rules with spans; it may *claim* spans so that later
parsers do not read the same words again (a measurement's name "hemoglobin" is not also a condition).
:func:`parse_criterion` then joins the rules the same way for every kind: context (negation, family,
hypothetical, historical) from :mod:`negation`, the time window from :mod:`temporal`, source offsets,
and how the rules combine.
"""

from __future__ import annotations

import contextlib
import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from trialatlas.extract.criteria.logic import build_logic, combine_of
from trialatlas.extract.criteria.negation import context_of
from trialatlas.extract.criteria.rules import LogicNode, ParsedCriterion, Rule, RuleKind, Span, Window
from trialatlas.extract.criteria.split import Criterion, CriterionKind, trial_criteria
from trialatlas.extract.criteria.temporal import FoundWindow, find_windows
from trialatlas.extract.criteria.trigger_words import mentions_any
from trialatlas.plugins import CRITERION_PARSERS, PluginGroup

ParserFn = Callable[["CriterionContext"], list[Rule]]


@dataclass
class CriterionContext:
    """What a parser sees: the criterion's text, its kind, and the spans earlier parsers claimed."""

    text: str
    kind: CriterionKind
    lowered: str = ""
    claimed: list[tuple[int, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.lowered = self.text.lower()

    def mentions(self, hints: Iterable[str]) -> bool:
        """Whether the lower-cased text contains any of ``hints``: parsers look for their words before
        running their patterns (registered :func:`trigger_words` are all found by one scan of the text)."""
        return mentions_any(self.lowered, hints)

    def claim(self, start: int, end: int) -> None:
        self.claimed.append((start, end))

    def is_claimed(self, start: int, end: int) -> bool:
        return any(c_start <= start and end <= c_end for c_start, c_end in self.claimed) or any(
            c_start < end and start < c_end and (min(end, c_end) - max(start, c_start)) * 2 > (end - start)
            for c_start, c_end in self.claimed
        )

    def span(self, start: int, end: int) -> Span:
        return Span(start=start, end=end, text=self.text[start:end])


@dataclass(frozen=True)
class _Registered:
    kind: RuleKind
    priority: int
    parse: ParserFn


_PARSERS: list[_Registered] = []


def register(kind: RuleKind, priority: int) -> Callable[[ParserFn], ParserFn]:
    """Register the parser of one rule kind; lower priorities run first and claim their spans first."""

    def decorate(parse: ParserFn) -> ParserFn:
        _PARSERS[:] = [p for p in _PARSERS if p.kind != kind]
        _PARSERS.append(_Registered(kind, priority, parse))
        _PARSERS.sort(key=lambda p: p.priority)
        return parse

    return decorate


def registered_kinds() -> list[RuleKind]:
    _ensure_loaded()
    return [p.kind for p in _PARSERS]


# Parser modules are entry points of the ``trialatlas.criterion_parsers`` group (the built-ins too):
# loading one imports it, and its ``@register`` parsers join.
_PARSER_PLUGINS = PluginGroup(CRITERION_PARSERS, lambda name, module: None)


def _ensure_loaded() -> None:
    _PARSER_PLUGINS.ensure_loaded()


_TIME_WINDOW_KINDS = {
    "medication",
    "procedure",
    "condition",
    "infection",
    "trial_participation",
    "measurement",
}


_NEW_SUBJECT = re.compile(r"\b(?:or|and)\s+(?:those|patients|subjects|any)\b")


def _crosses_clause(between: str) -> bool:
    """Whether text between a rule and a window starts another clause or subject (substring tests first)."""
    if "." in between or ";" in between:
        return True
    return ("or " in between or "and " in between) and _NEW_SUBJECT.search(between) is not None


def _attach_window(rule: Rule, windows: tuple[FoundWindow, ...], text: str) -> None:
    """The nearest window in the rule's clause: after it ("… within 12 weeks"), else before it."""
    if rule.kind not in _TIME_WINDOW_KINDS or rule.window is not None:
        return
    best: FoundWindow | None = None
    best_distance = 10**9
    for window in windows:
        if window.start >= rule.span.end:
            gap = (rule.span.end, window.start)
            distance = window.start - rule.span.end
        elif window.end <= rule.span.start:
            gap = (window.end, rule.span.start)
            distance = (rule.span.start - window.end) * 2  # prefer windows that follow their subject
        else:
            continue
        if rule.kind == "measurement" and window.amount is None:
            continue
        # A quantified window reaches further than a bare "history of" / "currently".
        reach = 120 if window.amount is not None else 40
        if distance <= reach and distance < best_distance and not _crosses_clause(text[gap[0] : gap[1]]):
            best, best_distance = window, distance
    if best is None and rule.kind != "measurement":
        # A list of drugs before a long bracket still takes its sentence's only quantified window.
        sentence = [
            w
            for w in windows
            if w.amount is not None
            and not re.search(r"[.;]\s", text[min(w.start, rule.span.end) : max(w.start, rule.span.end)])
        ]
        if len(sentence) == 1 and sentence[0].relation in ("within", "before"):
            best = sentence[0]
    if best is not None and best.relation == "history":
        # "At least 2 weeks since prior vincristine" ("less than 4 weeks since prior …": within): the gap
        # since the exposure is the window, not the bare "prior" it is said of.
        gap_before = [
            w
            for w in windows
            if w.amount is not None and w.relation in ("after", "within") and 0 <= best.start - w.end <= 2
        ]
        best = gap_before[0] if gap_before else best
    if best is None:
        return
    rule.window = Window(
        span=Span(start=best.start, end=best.end, text=best.text),
        relation=best.relation,
        amount=best.amount,
        amount_high=best.amount_high,
        unit=best.unit,
        days=best.days,
        anchor=best.anchor,
        consecutive=best.consecutive,
    )


def _apply_context(rule: Rule, text: str) -> None:
    mention = context_of(text, rule.span.start, rule.span.end)
    cue = mention.cue
    # A parser that read the lack itself ("not able or willing to comply") has already negated the
    # rule: the NegEx cue inside those words must not flip it back.
    parser_cue = rule.negation_cue is not None
    if cue is not None and rule.kind not in ("age", "sex", "not_evaluable") and not parser_cue:
        rule.negated = not rule.negated
        rule.negation_cue = cue.text
        rule.exception = mention.negation is None and mention.exception is not None
    if mention.family is not None:
        rule.experiencer = "family"
    if mention.hypothetical is not None:
        rule.hypothetical = True
    if mention.historical is not None:
        rule.historical = True


def _with_source(span: Span, criterion: Criterion) -> Span:
    start, end = criterion.source_span(span.start, span.end)
    return Span(start=span.start, end=span.end, text=span.text, source_start=start, source_end=end)


def parse_text(text: str, kind: CriterionKind) -> list[Rule]:
    """The rules of one criterion's text (no source offsets)."""
    # Shallow copies: callers replace a rule's span or window, never mutate the cached ones in place.
    return [rule.model_copy() for rule in _parse_cached(text, kind)]


@lru_cache(maxsize=20000)
def _parse_cached(text: str, kind: CriterionKind) -> tuple[Rule, ...]:
    _ensure_loaded()
    context = CriterionContext(text=text, kind=kind)
    rules: list[Rule] = []
    for registered in _PARSERS:
        rules.extend(registered.parse(context))
    windows = find_windows(text)
    # "No smokers or tobacco users will be included": the exclusion's own wording, not a negation.
    restated = kind == "exclusion" and _NONE_WILL_BE_INCLUDED.search(text) is not None
    for rule in rules:
        _apply_context(rule, text)
        if restated and rule.negation_cue is not None and rule.negation_cue.lower() == "no":
            rule.negated = False
            rule.negation_cue = None
        _attach_window(rule, windows, text)
    rules.sort(key=lambda r: r.span.start)
    _inherit_in_brackets(rules, text)
    _continue_after_brackets(rules, text)
    return tuple(rules)


@lru_cache(maxsize=20000)
def _logic_cached(text: str, kind: CriterionKind) -> LogicNode:
    """The logic tree of a criterion's text, built once with its rules (never mutated by callers)."""
    return build_logic(text, kind, _parse_cached(text, kind))


@contextlib.contextmanager
def memo_disabled() -> Iterator[None]:
    """Every criterion parsed afresh for the duration: the memo of parsed texts (``_parse_cached``,
    ``_logic_cached``) replaced by pass-through caches of size 0, then restored with what it held.

    Criteria repeat word for word across trials (boilerplate, section labels): about 40 % of the
    legacy sample's criteria are a text seen before. The memo is part of every figure of the parse,
    so the benchmark reports the rate without it beside the one with it, and its hit rate."""
    global _parse_cached, _logic_cached
    saved = _parse_cached, _logic_cached
    _parse_cached = lru_cache(maxsize=0)(saved[0].__wrapped__)
    _logic_cached = lru_cache(maxsize=0)(saved[1].__wrapped__)
    try:
        yield
    finally:
        _parse_cached, _logic_cached = saved


def _inherit_in_brackets(rules: list[Rule], text: str) -> None:
    """A mention in brackets right after another explains it and shares its context.

    "No history of lupus nephritis (LN)", "a parent diagnosed with bipolar disorder (bipolar I or II)":
    a cue's scope ends at the bracket, but what is inside still belongs to the phrase before it.
    """
    for previous, rule in itertools.pairwise(rules):
        opening = text.rfind("(", previous.span.end, rule.span.start)
        if opening < 0 or text.find(")", previous.span.end, rule.span.start) >= 0:
            continue
        if text[previous.span.end : opening].strip(" ,") or rule.negation_cue is not None:
            continue
        rule.negated = rule.negated or previous.negated
        rule.negation_cue = rule.negation_cue or previous.negation_cue
        rule.exception = rule.exception or previous.exception
        if previous.experiencer == "family":
            rule.experiencer = "family"
        rule.hypothetical = rule.hypothetical or previous.hypothetical


_NONE_WILL_BE_INCLUDED = re.compile(
    r"^\s*no\b[^.;]{1,120}\b(?:will|shall|can|may)\s+(?:not\s+)?be\s+(?:included|enrolled|eligible|accepted)",
    re.IGNORECASE,
)
_LIST_JOIN_AFTER_BRACKET = re.compile(r"\)\s*,?\s*(?:or|and/or|nor|,)\s*", re.IGNORECASE)


def _continue_after_brackets(rules: list[Rule], text: str) -> None:
    """A list that goes on after a bracket keeps its negation: "No prior topotecan or other
    topoisomerase I inhibitors (e.g., irinotecan) or etoposide" denies the etoposide too (a cue's
    scope ends at the bracket, NegEx's list rule carries it over the bracketed examples)."""
    for rule in rules:
        if rule.negated or rule.negation_cue is not None or rule.exception:
            continue
        before = text.rfind(")", 0, rule.span.start)
        if before < 0 or _LIST_JOIN_AFTER_BRACKET.fullmatch(text, before, rule.span.start) is None:
            continue
        opening = text.rfind("(", 0, before)
        heads = [r for r in rules if r.span.end <= opening and r.kind == rule.kind]
        if not heads or not heads[-1].negated or text[heads[-1].span.end : opening].strip(" ,"):
            continue
        rule.negated = True
        rule.negation_cue = heads[-1].negation_cue


def parse_criterion(criterion: Criterion) -> ParsedCriterion:
    """One criterion with its rules, each pointing at its characters in the criterion and the source."""
    cached = _parse_cached(criterion.text, criterion.kind)
    rules: list[Rule] = [
        rule.model_copy(update={"span": _with_source(rule.span, criterion)}) for rule in cached
    ]
    logic = _logic_cached(criterion.text, criterion.kind)
    # Every part is already validated: constructing skips re-validating each rule of the union.
    return ParsedCriterion.model_construct(
        index=criterion.index,
        kind=criterion.kind,
        text=criterion.text,
        source=criterion.source,
        start=criterion.start,
        end=criterion.end,
        parent=criterion.parent,
        is_header=criterion.is_header,
        context=criterion.context,
        rules=rules,
        combine=combine_of(logic),
        logic=logic,
    )


def combine_mode(text: str, kind: CriterionKind, rules: list[Rule]) -> Literal["all", "any"]:
    """How a criterion's rules combine at the top of its logic tree (see :mod:`criteria.logic`)."""
    return combine_of(build_logic(text, kind, sorted(rules, key=lambda r: r.span.start)))


def parse_criteria(criteria: Iterable[Criterion]) -> list[ParsedCriterion]:
    return [parse_criterion(criterion) for criterion in criteria]


def parse_eligibility(
    criteria_text: str | None, inclusion: list[str], exclusion: list[str]
) -> list[ParsedCriterion]:
    """Split and parse a trial's eligibility text (or lists)."""
    return parse_criteria(trial_criteria(criteria_text, inclusion, exclusion))


__all__ = [
    "CriterionContext",
    "ParserFn",
    "combine_mode",
    "memo_disabled",
    "parse_criteria",
    "parse_criterion",
    "parse_eligibility",
    "parse_text",
    "register",
    "registered_kinds",
]
