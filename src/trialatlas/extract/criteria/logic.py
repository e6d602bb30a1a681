"""A criterion's rules as a logic tree: any-of, all-of, not, exceptions and examples.

The tree follows the words between the rules, read with ordinary precedence:

1. clauses (";" or a sentence break) — all of them for an inclusion, any for an exclusion (each
   sentence of an exclusion bullet excludes on its own);
2. "or" joining clauses ("Hepatitis C virus-positive or patients with abnormal liver function") —
   any of them;
3. words that qualify a rule by another ("Diabetic patients on rosiglitazone") — all of them; a list
   introduced by "including", "such as", "e.g." gives examples of what comes before it;
4. lists ("HIV, HBV or HCV") — any for an exclusion or an "or" list, all for an inclusion "and" list.

A negated rule is a ``not`` node; a rule an exception cue negates ("except class V LN", "topical
steroids are allowed") becomes the exempted child of an ``except`` node. Age ranges that cannot both
hold ("≥18 years (adults) and children 10-17") name populations: any of them.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from trialatlas.extract.criteria.rules import (
    AgeRule,
    ConditionRule,
    InfectionRule,
    LogicNode,
    MedicationRule,
    Rule,
)
from trialatlas.extract.criteria.split import CriterionKind
from trialatlas.extract.criteria.vocab import broader_concepts

GapKind = Literal["clause", "or", "examples", "list", "comma", "qualify"]

LIST_GAP = re.compile(
    r"(?:[\s,;/()\[\]:]|\band/or\b|\bor\b|\band\b|\bnor\b|\bincluding\b|\bsuch\s+as\b|\be\.g\.|\bi\.e\.|\betc\b\.?|"
    r"\bespecially\b|\bin\s+particular\b|\bas\s+well\s+as\b|\bother\b|\bany\b|\bhistory\s+of\b|\bknown\b|"
    r"\bprevious\b|\bprior\b|\bsevere\b|\bchronic\b|\bacute\b|\bactive\b|\bpresence\s+of\b|\bor\s+other\b|\bnot\b|"
    r"\bexcept\b|\bexcluding\b|\bother\s+than\b|\bapart\s+from\b|\bbut\b|\bnon-?\b)*",
    re.IGNORECASE,
)
_SHORT_OR = re.compile(r"^[^.;]{0,40}$")
_OR = re.compile(r"\bor\b|\band/or\b|\bnor\b|/", re.IGNORECASE)
EXAMPLES = re.compile(
    r"\b(?:including|includes?|such\s+as|e\.g\.?|for\s+example|especially|in\s+particular|like)\b",
    re.IGNORECASE,
)
_OR_CLAUSE_WORDS = 6
# "Pregnant or breastfeeding women, or women of childbearing potential unwilling to use contraception":
# an "or" that names people anew opens an alternative with qualifiers of its own, not another item of
# the list before it.
_OR_PEOPLE = re.compile(
    r"\b(?:or|and/or)\s+(?:\w+\s+)?(?:women|men|females|males|patients|subjects|participants|persons|"
    r"individuals|people|those)\b",
    re.IGNORECASE,
)
_CLAUSE = re.compile(r";|\.\s|\.$")
_BRACKETED = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")
# "at least one of the following", "one or more risk factors": alternatives, whatever joins them.
ANY_OF = re.compile(
    r"\b(?:(?:one|1)\s+or\s+more(?:\s+of)?|at\s+least\s+(?:one|1)\b(?:\s+of)?|any\s+(?:one\s+)?of\s+the\s+following)\b",
    re.IGNORECASE,
)
# A rule followed in its clause by a modal verb gives a reason, not a requirement: "…, and the usage of
# steroids and immunosuppressive agents may aggravate the state of an illness".
_RATIONALE = re.compile(
    r"[^.;,()]{0,60}?\b(?:may|might|could|would)\s+(?:aggravate|worsen|cause|interfere|affect|increase|exacerbate|lead)\b",
    re.IGNORECASE,
)


_CLAUSE_EDGE = re.compile(r"[;:]|\.\s|\.$")
_LIST_JOINT = re.compile(r",|\bor\b|\band/or\b|\bnor\b|\band\b", re.IGNORECASE)
# "4/10 or greater", "2 or more": a value and its operator, not a list.
_NOT_A_LIST = re.compile(
    r"\d|\bor\s+(?:greater|more|less|higher|lower|above|below|equal|fewer|longer|shorter)\b", re.IGNORECASE
)
_OR_WORD = re.compile(r"\bor\b|\band/or\b|\bnor\b", re.IGNORECASE)
# The most words one listed item has between two joints ("recent alcohol excess/abuse").
_ITEM_WORDS = 5


def clause_bounds(text: str, position: int) -> tuple[int, int]:
    """The clause (between ";", ":" or a sentence's end) that ``position`` stands in."""
    start = 0
    for edge in _CLAUSE_EDGE.finditer(text):
        if edge.end() <= position:
            start = edge.end()
        elif edge.start() >= position:
            return start, edge.start()
    return start, len(text)


def bracket_start(text: str, position: int) -> int:
    """Where the bracket that ``position`` stands inside opens ("alcohol excess (15 drinks a week)"
    glosses the item before it, so a word in it stands where the bracket does), else ``position``."""
    depth = 0
    for index in range(position - 1, -1, -1):
        if text[index] in ")]":
            depth += 1
        elif text[index] in "([":
            if depth == 0:
                return index
            depth -= 1
    return position


def listed_together(text: str, first_end: int, second_start: int, kind: CriterionKind) -> bool:
    """Whether what ends at ``first_end`` and what starts at ``second_start`` are items of one list:
    only short items and list joints between them, within one clause ("diabetes mellitus,
    malabsorption, kidney stones, or recent alcohol excess"). An exclusion's list names alternatives
    whatever joins it; an inclusion's only when "or" joins the series."""
    if second_start <= first_end:
        return False
    gap = _BRACKETED.sub(" ", text[first_end:second_start])
    if _CLAUSE_EDGE.search(gap) or _NOT_A_LIST.search(gap) or any(mark in gap for mark in "()[]"):
        return False
    if "," not in gap and _OR_WORD.search(gap) is None:
        return False
    if any(len(piece.split()) > _ITEM_WORDS for piece in _LIST_JOINT.split(gap)):
        return False
    if kind == "exclusion":
        return True
    start, end = clause_bounds(text, first_end)
    return _OR_WORD.search(_BRACKETED.sub(" ", text[start:end])) is not None


def _node(
    op: Literal["atom", "all", "any", "not", "except", "examples"],
    rule: int | None = None,
    children: list[LogicNode] | None = None,
    cue: str | None = None,
) -> LogicNode:
    """A node of a tree built per criterion. Validated: pydantic's core takes the (already built) children
    as they are, without re-validating them, and costs less than ``model_construct``'s loop in Python."""
    return LogicNode(op=op, rule=rule, children=children or [], cue=cue)


def listing_gap(gap: str) -> bool:
    """Whether ``gap`` only separates listed items: commas and "or", or a short "or a …" / "or the use of"."""
    if LIST_GAP.fullmatch(gap) is not None:
        return True
    return bool(re.search(r"\bor\b|\band/or\b", gap, re.IGNORECASE)) and _SHORT_OR.match(gap) is not None


def _gap_kind(gap: str) -> GapKind:
    outside = _BRACKETED.sub(" ", gap)
    if _CLAUSE.search(outside):
        return "clause"
    if EXAMPLES.search(outside):
        return "examples"
    if _OR_PEOPLE.search(outside):
        return "or"
    if listing_gap(gap):
        return "list"
    # An "or" joins two clauses only when little stands between them ("virus-positive or patients
    # with"); deep inside a long phrase it joins words of one item ("mechanical or sterilization
    # methods").
    if _OR.search(outside) and len(outside.split()) <= _OR_CLAUSE_WORDS:
        return "or"
    if outside.rstrip().endswith(",") or outside.lstrip().startswith(","):
        return "comma"
    return "qualify"


def _resolve_commas(kinds: list[GapKind], kind: CriterionKind) -> list[GapKind]:
    """A comma between long items belongs to the series its clause ends with: "A …, B … or C …"; in
    an exclusion a series with no joiner lists alternatives too ("…, thrombocytopenia, hemolytic
    anemia, …")."""
    resolved = list(kinds)
    for position, gap in enumerate(kinds):
        if gap != "comma":
            continue
        following: GapKind = "or" if kind == "exclusion" else "qualify"
        for later in kinds[position + 1 :]:
            if later in ("clause", "qualify", "examples"):
                break
            if later in ("or", "list"):
                following = later
                break
        resolved[position] = "or" if following in ("or", "list") else "qualify"
    return resolved


def _atom(position: int, rule: Rule) -> LogicNode:
    atom = _node(op="atom", rule=position)
    if rule.negated and not rule.exception:
        return _node(op="not", children=[atom], cue=rule.negation_cue)
    return atom


def _join(op: Literal["all", "any"], nodes: list[LogicNode], cue: str | None = None) -> LogicNode:
    flat: list[LogicNode] = []
    for node in nodes:
        flat.extend(node.children if node.op == op and node.cue == cue else [node])
    return flat[0] if len(flat) == 1 else _node(op=op, children=flat, cue=cue)


def _disjoint_ages(first: AgeRule, second: AgeRule) -> bool:
    low_1, high_1 = first.min_years or 0.0, first.max_years if first.max_years is not None else 1e9
    low_2, high_2 = second.min_years or 0.0, second.max_years if second.max_years is not None else 1e9
    return high_1 < low_2 or high_2 < low_1


def _populations(node: LogicNode, rules: Sequence[Rule]) -> LogicNode:
    """In an all-of, age ranges that no one person can be in at once are alternatives (populations)."""
    if node.op not in ("all", "any", "examples", "except", "not"):
        return node
    children = [_populations(child, rules) for child in node.children]
    if node.op == "all":
        ages = [c for c in children if c.op == "atom" and isinstance(rules[c.rule or 0], AgeRule)]
        pairs = [
            (a, b)
            for i, a in enumerate(ages)
            for b in ages[i + 1 :]
            if _disjoint_ages(rules[a.rule or 0], rules[b.rule or 0])  # type: ignore[arg-type]
        ]
        if pairs:
            others = [c for c in children if c not in ages]
            children = [*others, _node(op="any", children=ages, cue="populations")]
            return children[0] if len(children) == 1 else _node(op="all", children=children, cue=node.cue)
    return node.model_copy(update={"children": children})


def _spells_out(text: str, head: Rule, item: Rule) -> bool:
    """Whether a colon after a condition opens a list of its kinds: "pelvic congestion: dysmenorrhea,
    dyspareunia, chronic pelvic pain" names ways of having it (examples), not conditions all required.
    The vocabulary's own hierarchy says which concept is a kind of which."""
    if not isinstance(head, ConditionRule) or not isinstance(item, ConditionRule):
        return False
    if head.concept is None or item.concept is None or head.concept == item.concept:
        return False
    gap = text[head.span.end : item.span.start]
    return ":" in gap and head.concept in broader_concepts(item.concept)


@dataclass(frozen=True, slots=True)
class _Tree:
    """What one criterion's tree is split from. A class and not nested functions: a function that
    calls itself through its closure is a reference cycle, and one per criterion (with the atoms and
    gaps its cells hold) was left for the cyclic collector to find — on 2,000 legacy trials, the
    collections it brought on were a tenth of the parse's CPU."""

    text: str
    kind: CriterionKind
    rules: Sequence[Rule]
    order: list[int]
    atoms: list[LogicNode]
    kinds: list[GapKind]

    def split(self, lo: int, hi: int, level: int) -> LogicNode:
        """Atoms ``lo..hi`` (inclusive) split at the gaps of ``level`` and below."""
        text, kind, rules, order, atoms, kinds = (
            self.text,
            self.kind,
            self.rules,
            self.order,
            self.atoms,
            self.kinds,
        )
        if lo == hi:
            return atoms[lo]
        levels: tuple[tuple[GapKind, ...], ...] = (("clause",), ("or",), ("qualify", "examples"))
        if level >= len(levels):
            gaps = [text[rules[order[i]].span.end : rules[order[i + 1]].span.start] for i in range(lo, hi)]
            joined = any(_OR.search(_BRACKETED.sub(" ", g)) for g in gaps)
            members = atoms[lo : hi + 1]
            cues = {m.cue for m in members if m.op == "not"}
            if len(members) > 1 and all(m.op == "not" for m in members) and len(cues) == 1:
                # NegEx's list rule: "No CNS metastases, pseudotumor cerebri, or seizures" denies each
                # of them — none of the listed, whatever word joins them.
                inner = _join("any", [m.children[0] for m in members], "list")
                return _node(op="not", children=[inner], cue=cues.pop())
            op: Literal["all", "any"] = "any" if kind == "exclusion" or joined else "all"
            return _join(op, members, "list")
        cuts = [i for i in range(lo, hi) if kinds[i] in levels[level]]
        if not cuts:
            return self.split(lo, hi, level + 1)
        parts: list[LogicNode] = []
        joins: list[GapKind] = []
        start = lo
        for cut in cuts:
            parts.append(self.split(start, cut, level + 1))
            joins.append(kinds[cut])
            start = cut + 1
        parts.append(self.split(start, hi, level + 1))
        if level == 0:
            return _join("all" if kind == "inclusion" else "any", parts, "clause")
        if level == 1:
            return _join("any", parts, "or")
        node = parts[0]
        for join, part in zip(joins, parts[1:], strict=True):
            if join == "examples":
                # Examples are alternatives, whatever joins them: "such as A, B, C" is any of them.
                if part.op == "all" and part.cue == "list":
                    part = _join("any", part.children, "list")
                node = _node(op="examples", children=[node, part], cue="such as")
            elif (
                node.op == "not"
                and part.op == "not"
                and node.cue == part.cue
                and not self._two_tests(node, part)
            ):
                # One negation over a qualified phrase: "No seizure disorder requiring medication"
                # denies the two together (a seizure disorder that needs medication), not each alone.
                inner = _join("all", [node.children[0], part.children[0]], "with")
                node = _node(op="not", children=[inner], cue=node.cue)
            else:
                node = _join("all", [node, part], "with")
        return node

    def _two_tests(self, first: LogicNode, second: LogicNode) -> bool:
        """Whether two denied atoms are tests side by side ("HIV negative Hepatitis B surface antigen
        negative"): each result is its own test's, and one test never qualifies another."""
        inner = (first.children[0], second.children[0])
        return all(n.op == "atom" and isinstance(self.rules[n.rule or 0], InfectionRule) for n in inner)


def _structure(text: str, kind: CriterionKind, rules: Sequence[Rule], order: list[int]) -> LogicNode:
    """The tree of the rules at ``order`` (positions in ``rules``, in text order)."""
    atoms = [_atom(position, rules[position]) for position in order]
    kinds = _resolve_commas(
        [
            _gap_kind(text[rules[a].span.end : rules[b].span.start])
            if rules[b].span.start > rules[a].span.end
            else "qualify"
            for a, b in itertools.pairwise(order)
        ],
        kind,
    )
    for position, (a, b) in enumerate(itertools.pairwise(order)):
        if kinds[position] == "list" and _spells_out(text, rules[a], rules[b]):
            kinds[position] = "examples"

    return _Tree(text, kind, rules, order, atoms, kinds).split(0, len(atoms) - 1, 0)


def build_logic(text: str, kind: CriterionKind, rules: Sequence[Rule]) -> LogicNode:
    """The logic tree of one criterion's rules (positions refer to ``rules``, which are in text order)."""
    if not rules:
        return _node(op="all")
    if ANY_OF.search(text):
        return _join("any", [_atom(i, r) for i, r in enumerate(rules)], "one of")
    rationale = {
        i for i, rule in enumerate(rules) if i > 0 and _RATIONALE.match(text, rule.span.end) is not None
    }
    # "steroids (> 10 mg prednisone or equivalent/day)": the drug a dose is counted in is the dose's
    # unit, not another requirement.
    rationale |= {
        i
        for i, rule in enumerate(rules)
        for other in rules[:i]
        if isinstance(other, MedicationRule)
        and other.dose is not None
        and other.dose.end is not None
        and rule.span.end <= other.dose.end
        and rule.span.start >= other.span.end
    }
    main = [i for i, r in enumerate(rules) if not (r.negated and r.exception) and i not in rationale]
    exempt = [i for i, r in enumerate(rules) if r.negated and r.exception and i not in rationale]
    if not main and kind == "inclusion":
        # Only a permission among inclusions ("Obesity is allowed", "Patients with type 2 diabetes will
        # not be excluded"): it asks for nothing, so it holds whichever way the patient is, once known.
        # An all-of, so words beside it no rule read ("must be in good general health") still count.
        either = [
            _node(
                op="any",
                children=[_node(op="atom", rule=i), _node(op="not", children=[_node(op="atom", rule=i)])],
            )
            for i in exempt
        ]
        return _node(op="all", children=either)
    if not main:
        # Only an exception ("Topical steroids are allowed"): it reads as its negation.
        return _join("all", [_node(op="not", children=[_node(op="atom", rule=i)]) for i in exempt])
    node = _structure(text, kind, rules, main)
    if sum(1 for rule in rules if isinstance(rule, AgeRule)) > 1:
        node = _populations(node, rules)
    if exempt:
        excepted = _join("any", [_node(op="atom", rule=i) for i in exempt], "list")
        node = _node(op="except", children=[node, excepted], cue=rules[exempt[0]].negation_cue)
    return node


def combine_of(node: LogicNode) -> Literal["all", "any"]:
    """The top operator as the flat ``combine`` older callers read."""
    return "any" if node.op == "any" else "all"


__all__ = [
    "ANY_OF",
    "LIST_GAP",
    "bracket_start",
    "build_logic",
    "clause_bounds",
    "combine_of",
    "listed_together",
    "listing_gap",
]
