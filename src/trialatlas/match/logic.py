"""Three-valued evaluation of a criterion's logic tree (true / false / unknown, or not applicable).

An unknown that cannot change the outcome does not block it: any-of with one true branch is true,
all-of with one false branch is false, whatever the others are. A not-applicable branch (a pregnancy
rule for a man) drops out; a node whose branches all drop out is not applicable itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

from trialatlas.extract.criteria.rules import ConditionRule, LogicNode, Rule, Window
from trialatlas.extract.criteria.vocab import broader_concepts

if TYPE_CHECKING:
    from trialatlas.match.patient import Evidence

Truth = Literal["true", "false", "unknown", "not_applicable"]
_FLIP: dict[Truth, Truth] = {"true": "false", "false": "true"}


def outcome(truth: Truth, reason: str, *evidence: Evidence | None) -> tuple[Truth, str, list[Evidence]]:
    """An atom's answer: its truth, a one-line reason and the evidence that decided it."""
    return truth, reason, [e for e in evidence if e is not None]


def never_had(
    window: Window | None, name: str, *evidence: Evidence | None
) -> tuple[Truth, str, list[Evidence]]:
    """A treatment or operation the patient never had, against its criterion: "false", except where the
    criterion is a washout ("At least 4 weeks since prior chemotherapy", an "after" window), which asks
    nothing of a patient who never had it (true: no interval to wait)."""
    if window is not None and window.relation == "after" and window.days:
        return outcome("true", f"never had {name}: no interval to wait ({window.span.text})", *evidence)
    return outcome("false", f"patient did not have {name}", *evidence)


def compare(value: float, operator: str | None, threshold: float, high: float | None = None) -> bool | None:
    """Whether ``value`` meets a criterion's comparison (``<``, ``<=``, ``>``, ``>=``, ``=``, or ``between``
    ``threshold`` and ``high``); None when the rule states no comparison."""
    if operator == "between" and high is not None:
        return threshold <= value <= high
    if operator in (None, "="):
        return abs(value - threshold) < 1e-9 if operator == "=" else None
    return {
        "<": value < threshold,
        "<=": value <= threshold,
        ">": value > threshold,
        ">=": value >= threshold,
    }.get(operator)


def _all(truths: Sequence[Truth]) -> Truth:
    if not truths:
        return "not_applicable"
    if "false" in truths:
        return "false"
    return "true" if all(t == "true" for t in truths) else "unknown"


def _any(truths: Sequence[Truth]) -> Truth:
    if not truths:
        return "not_applicable"
    if "true" in truths:
        return "true"
    return "false" if all(t == "false" for t in truths) else "unknown"


def _same_thing(main: LogicNode, exempt: LogicNode, rules: Sequence[Rule]) -> bool:
    """Whether an exception narrows the very condition its criterion names ("Active LN (except class
    V LN)"): then the patient's one disease is either the exempted kind or not."""
    concepts: set[str] = set()
    for i in main.atoms():
        if i >= len(rules):
            return False  # words no rule read (match.verdict) may name something the exception is not
        rule = rules[i]
        if isinstance(rule, ConditionRule) and rule.concept:
            concepts.add(rule.concept)
    for i in exempt.atoms():
        exempted = rules[i] if i < len(rules) else None
        if isinstance(exempted, ConditionRule) and exempted.concept is not None:
            if not any(c in broader_concepts(exempted.concept) for c in concepts if c):
                return False
        else:
            return False
    return bool(concepts)


def _has_negation(node: LogicNode) -> bool:
    return node.op in ("not", "except") or any(_has_negation(child) for child in node.children)


def evaluate_logic(node: LogicNode, truths: Sequence[Truth], rules: Sequence[Rule]) -> Truth:
    """The truth of ``node`` given each rule's truth as stated (negations not yet applied)."""
    if node.op == "atom":
        return truths[node.rule] if node.rule is not None and node.rule < len(truths) else "unknown"
    values = [evaluate_logic(child, truths, rules) for child in node.children]
    present = [v for v in values if v != "not_applicable"]
    if node.op == "not":
        value = present[0] if present else "not_applicable"
        return _FLIP.get(value, value)
    if node.op == "all":
        return _all(present)
    if node.op == "any":
        return _any(present)
    if node.op == "except":
        main, exempt = values[0], values[1]
        if main == "not_applicable" or exempt in ("false", "not_applicable"):
            return main
        # The exempted kind holds or may hold. When it holds, names the criterion's own disease and
        # the criterion asks for it ("Active LN (except class V LN)"), the patient's one disease is
        # the exempted kind: not met. Otherwise it may be what decided the rest ("cancer free
        # excluding skin cancers", "no hormonal therapy except contraceptives"): undecided, never a
        # guess.
        if exempt == "true" and main != "false" and _same_thing(node.children[0], node.children[1], rules):
            return "false"
        # "Active opportunistic infection, except hepatitis B": a patient with none at all has none
        # other than the exempted kind either. Only for a statement without negation, where taking
        # the exempted cases away cannot make it hold.
        if main == "false" and not _has_negation(node.children[0]):
            return "false"
        return "unknown"
    # examples: [head, examples]; an example met meets the head, a head not met fails.
    head, examples = values[0], values[1]
    if examples == "true":
        return "true"
    if head == "false":
        return "false"
    if head == "not_applicable":
        return examples
    return "unknown"


__all__ = ["Truth", "compare", "evaluate_logic", "outcome"]
