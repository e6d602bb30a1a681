"""The query language, and its translation into a safe FTS5-syntax MATCH expression.

The expression is the seam to the index: :mod:`~trialatlas.search.engine` reads it (strictly) into
tantivy queries, and a PostgreSQL backend may read it as well.

Users write free words, "quoted phrases", ``AND`` / ``OR`` / ``NOT`` (in capitals; lower-case "and",
"or", "not" are words), parentheses, a trailing ``*`` for a prefix (``nephr*``), and field prefixes:
``cond:``, ``intr:``, ``title:``, ``sponsor:`` limit a word, phrase or group to one part of the record;
``id:`` (or a bare NCT id) names a trial by NCT id, org study id or secondary id.

Safety: user text never becomes SQL. The MATCH expression is bound as a parameter, and within it every
term is a double-quoted FTS5 string (quotes doubled), so no user character can act as FTS5 syntax;
column names come from :data:`FIELDS` only. A malformed query raises :class:`QueryError` with a message
that says what to change.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from trialatlas.errors import QueryError
from trialatlas.search.synonyms import Expander, Expansion, norm
from trialatlas.text.registry_ids import NCT_ID
from trialatlas.text.words import STOP_WORDS

# The FTS5 columns, in index order, with their BM25 weights (titles count most, eligibility least).
COLUMNS: tuple[str, ...] = (
    "title",
    "conditions",
    "interventions",
    "summary",
    "description",
    "eligibility",
    "outcomes",
    "sponsors",
)
WEIGHTS: dict[str, float] = {
    "title": 10.0,
    "conditions": 6.0,
    "interventions": 5.0,
    "summary": 3.0,
    "description": 1.0,
    "eligibility": 0.7,
    "outcomes": 1.0,
    "sponsors": 1.5,
}
FIELDS: dict[str, str] = {
    "cond": "conditions",
    "condition": "conditions",
    "intr": "interventions",
    "intervention": "interventions",
    "drug": "interventions",
    "title": "title",
    "sponsor": "sponsors",
}
ID_FIELD = "id"
# FTS5's bm25() has weights per column but not per phrase; a phrase written k times in the expression
# counts k times, so a typed term is written this many times and each expansion once.
TYPED_WEIGHT = 2
MIN_PREFIX = 2

_NCT = re.compile(NCT_ID.pattern, re.IGNORECASE)
_FIELD_PREFIX = re.compile(r"^([A-Za-z_]+):(.*)$", re.DOTALL)
_OPERATORS = frozenset({"AND", "OR", "NOT"})

Mode = Literal["all", "any"]


# --- the syntax tree ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Word:
    text: str
    field: str | None = None
    prefix: bool = False


@dataclass(frozen=True)
class Phrase:
    text: str
    field: str | None = None


@dataclass(frozen=True)
class IdRef:
    value: str


@dataclass
class Not:
    child: Node


@dataclass
class Group:
    op: Literal["AND", "OR"]
    children: list[Node] = field(default_factory=list)


Node = Word | Phrase | IdRef | Not | Group


# --- lexer -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Token:
    kind: Literal["word", "phrase", "lparen", "rparen", "op", "field"]
    text: str
    position: int


def _lex(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch == '"':
            end = text.find('"', i + 1)
            if end < 0:
                raise QueryError(
                    f'unbalanced quote: the " at position {i + 1} is never closed; close the phrase'
                    " or remove the quote"
                )
            tokens.append(_Token("phrase", text[i + 1 : end], i))
            i = end + 1
        elif ch in "()":
            tokens.append(_Token("lparen" if ch == "(" else "rparen", ch, i))
            i += 1
        else:
            start = i
            while i < len(text) and not text[i].isspace() and text[i] not in '()"':
                i += 1
            tokens.extend(_word_tokens(text[start:i], start))
    return tokens


def _word_tokens(raw: str, position: int) -> list[_Token]:
    if raw in _OPERATORS:
        return [_Token("op", raw, position)]
    for bad, advice in (("^", "'^' (start-of-field matching) is not supported"), ("{", ""), ("}", "")):
        if bad in raw:
            message = advice or f"'{bad}' is FTS5 column syntax; use a field prefix such as cond: or title:"
            raise QueryError(f"{message} (at position {position + raw.index(bad) + 1})")
    prefixed = _FIELD_PREFIX.match(raw)
    if prefixed and not raw.startswith(("http:", "https:")):
        name, rest = prefixed.group(1).lower(), prefixed.group(2)
        if name not in FIELDS and name != ID_FIELD:
            known = ", ".join(f"{f}:" for f in (*sorted(set(FIELDS) - {"condition", "intervention"}), "id"))
            raise QueryError(
                f"unknown field '{prefixed.group(1)}:' at position {position + 1}; use one of {known}"
            )
        tokens = [_Token("field", name, position)]
        if rest:
            tokens.extend(_word_tokens(rest, position + len(name) + 1))
        return tokens
    return [_Token("word", raw, position)]


# --- parser ------------------------------------------------------------------------------------


class _Parser:
    def __init__(self, tokens: list[_Token], default_op: Literal["AND", "OR"]) -> None:
        self.tokens = tokens
        self.at = 0
        self.default_op = default_op

    def peek(self) -> _Token | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def peek_kind(self) -> str | None:
        token = self.peek()
        return token.kind if token is not None else None

    def take(self) -> _Token:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def parse(self) -> Group:
        if not self.tokens:
            return Group("AND")
        node = self.or_expr()
        token = self.peek()
        if token is not None:
            if token.kind == "rparen":
                raise QueryError(f"unbalanced parenthesis: ')' at position {token.position + 1} has no '('")
            raise QueryError(f"unexpected '{token.text}' at position {token.position + 1}")
        return node if isinstance(node, Group) else Group("AND", [node])

    def _starts_item(self) -> bool:
        token = self.peek()
        if token is None:
            return False
        return token.kind in {"word", "phrase", "lparen", "field"} or token.text == "NOT"

    def _binary(self, op: Literal["AND", "OR"], operand: str) -> Node:
        children = [self.and_expr() if operand == "and" else self.unary()]
        while True:
            token = self.peek()
            if token is not None and token.kind == "op" and token.text == op:
                self.take()
                if not self._starts_item():
                    raise QueryError(
                        f"'{op}' at position {token.position + 1} needs a word, phrase or group on both sides"
                    )
            elif not (self.default_op == op and self._starts_item()):
                break
            children.append(self.and_expr() if operand == "and" else self.unary())
        return children[0] if len(children) == 1 else Group(op, children)

    def or_expr(self) -> Node:
        token = self.peek()
        if token is not None and token.kind == "op" and token.text in {"AND", "OR"}:
            raise QueryError(
                f"'{token.text}' at position {token.position + 1} needs a word, phrase or group on both sides"
            )
        return self._binary("OR", "and")

    def and_expr(self) -> Node:
        return self._binary("AND", "unary")

    def unary(self) -> Node:
        token = self.peek()
        if token is not None and token.kind == "op" and token.text == "NOT":
            self.take()
            if not self._starts_item():
                raise QueryError(
                    f"'NOT' at position {token.position + 1} must be followed by a word, phrase or group"
                )
            return Not(self.unary())
        return self.primary(None)

    def primary(self, in_field: str | None) -> Node:
        if self.peek() is None:
            raise QueryError("the query ends too early")
        token = self.take()
        if token.kind == "word":
            return _word(token, in_field)
        if token.kind == "phrase":
            if in_field == ID_FIELD:
                return IdRef(token.text.strip())
            return Phrase(token.text, in_field)
        if token.kind == "field":
            if in_field is not None:
                raise QueryError(
                    f"field prefixes cannot be nested ('{token.text}:' at position {token.position + 1})"
                )
            if not self._starts_item() or self.peek_kind() == "op":
                raise QueryError(
                    f"'{token.text}:' at position {token.position + 1} needs a word, phrase or group after it"
                )
            if token.text == ID_FIELD and self.peek_kind() == "lparen":
                raise QueryError("id: takes one id (or a quoted id), not a group")
            return self.primary(token.text)
        if token.kind == "lparen":
            if self.peek_kind() == "rparen":
                raise QueryError(f"empty parentheses at position {token.position + 1}")
            inner = self.or_expr()
            closing = self.peek()
            if closing is None or closing.kind != "rparen":
                raise QueryError(
                    f"unbalanced parenthesis: '(' at position {token.position + 1} is never closed"
                )
            self.take()
            return _with_field(inner, in_field) if in_field else inner
        if token.kind == "rparen":
            raise QueryError(f"unbalanced parenthesis: ')' at position {token.position + 1} has no '('")
        raise QueryError(
            f"'{token.text}' at position {token.position + 1} needs a word, phrase or group on both sides"
        )


def _word(token: _Token, in_field: str | None) -> Node:
    text = token.text
    if in_field == ID_FIELD:
        return IdRef(text)
    if in_field is None and _NCT.match(text):
        return IdRef(text.upper())
    prefix = text.endswith("*")
    body = text.rstrip("*") if prefix else text
    if "*" in body:
        raise QueryError(
            f"'*' at position {token.position + body.index('*') + 1} can only end a word"
            " (prefix search: nephr*)"
        )
    if prefix and len(norm(body).replace(" ", "")) < MIN_PREFIX:
        raise QueryError(
            f"a prefix search needs at least {MIN_PREFIX} letters before '*' (position {token.position + 1})"
        )
    return Word(body, in_field, prefix)


def _with_field(node: Node, name: str) -> Node:
    if isinstance(node, Word | Phrase) and node.field not in (None, name):
        raise QueryError(f"field prefixes cannot be nested ('{node.field}:' inside '{name}:')")
    if isinstance(node, Word):
        return Word(node.text, name, node.prefix)
    if isinstance(node, Phrase):
        return Phrase(node.text, name)
    if isinstance(node, Not):
        return Not(_with_field(node.child, name))
    if isinstance(node, Group):
        return Group(node.op, [_with_field(child, name) for child in node.children])
    raise QueryError("id: cannot be used inside a field prefix")


def parse(text: str, *, mode: Mode = "all") -> Group:
    """The syntax tree of a query; adjacent items are ANDed (``mode="all"``) or ORed (``"any"``)."""
    tree = _Parser(_lex(text), "AND" if mode == "all" else "OR").parse()
    _check_negations(tree)
    return tree


def conjoin(tree: Group, parts: Sequence[tuple[str, str | None, str]], *, mode: Mode = "all") -> Group:
    """``tree`` ANDed with further queries ``(text, field, label)``, each parsed on its own and limited to
    ``field`` (``None``: anywhere), as separate search-form fields combine. A malformed part raises
    :class:`QueryError` naming its ``label``."""
    children: list[Node] = list(tree.children) if tree.op == "AND" or len(tree.children) < 2 else [tree]
    for text, name, label in parts:
        if not text.strip():
            continue
        try:
            part = parse(text, mode=mode)
            node: Node = _with_field(part, name) if name else part
        except QueryError as exc:
            raise QueryError(f"{label}: {exc}") from exc
        if isinstance(node, Group) and (node.op == "AND" or len(node.children) < 2):
            children.extend(node.children)  # top level, as if typed in q: ids stay usable
        else:
            children.append(node)
    return Group("AND", children)


def _check_negations(node: Node) -> None:
    if isinstance(node, Group):
        positives = [child for child in node.children if not isinstance(child, Not)]
        if node.op == "AND" and node.children and not positives:
            raise QueryError(
                "a bare NOT has nothing to exclude from: add what to find, e.g. 'lupus NOT pediatric'"
            )
        if node.op == "OR" and any(isinstance(child, Not) for child in node.children):
            raise QueryError("NOT cannot be an alternative of OR: write 'a NOT b' or '(a OR b) NOT c'")
        for child in node.children:
            _check_negations(child)
    elif isinstance(node, Not):
        _check_negations(node.child)


# --- compilation -------------------------------------------------------------------------------


def fts_string(text: str) -> str:
    """A double-quoted FTS5 string: every character inside is literal text for the tokenizer."""
    return '"' + text.replace('"', '""') + '"'


def _has_terms(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


@dataclass
class Compiled:
    """A query ready to run: the MATCH expression (``None`` to match every trial) and named ids."""

    match: str | None
    ids: list[str] = field(default_factory=list)
    expansions: list[Expansion] = field(default_factory=list)
    words: list[str] = field(default_factory=list)


@dataclass
class _Unit:
    words: list[str]
    field: str | None
    join: Literal["AND", "OR"]
    prefix: bool = False
    phrase: bool = False
    expansion: Expansion | None = None


@dataclass
class _Run:
    """Consecutive words and phrases, cut into units, joined by the group's operator."""

    units: list[_Unit]
    join: Literal["AND", "OR"]


@dataclass
class _Op:
    op: Literal["AND", "OR", "NOT"]
    children: list[_Run | _Op]


_Plan = _Run | _Op


class Compiler:
    """Turns a syntax tree into an FTS5 expression, expanding terms unless told not to."""

    def __init__(
        self,
        expander: Expander | None,
        *,
        drop_stopwords: bool = True,
        is_common: Callable[[str], bool] | None = None,
    ) -> None:
        self.expander = expander
        self.drop_stopwords = drop_stopwords
        self.is_common = is_common
        self.expansions: list[Expansion] = []
        self.context: list[str] = []

    def compile(self, tree: Group) -> Compiled:
        ids = [child.value for child in tree.children if isinstance(child, IdRef)]
        body = Group(tree.op, [child for child in tree.children if not isinstance(child, IdRef)])
        if ids and body.children and tree.op == "OR":
            raise QueryError("id: terms can be combined with other terms by AND only")
        _reject_nested_ids(body)
        self.context = _plain_words(body)
        plan = self._plan(body)
        expanded = any(u.expansion is not None and u.expansion.phrases for u in _all_units(plan))
        expression = self._emit(plan, TYPED_WEIGHT if expanded else 1)
        expansions = [e for e in self.expansions if e.phrases or e.skipped]
        return Compiled(expression or None, ids, expansions, self.context)

    # A plan mirrors the tree: ("AND" | "OR", children), ("NOT", child), or a list of units (a run of
    # words and phrases, cut into stretches that are expanded together).
    def _plan(self, node: Node) -> _Plan:
        if isinstance(node, Word | Phrase):
            return self._units([node], "AND")
        if isinstance(node, Not):
            return _Op("NOT", [self._plan(node.child)])
        if isinstance(node, IdRef):
            raise QueryError("id: terms can be combined with other terms by AND only")
        parts: list[_Plan] = []
        run: list[Word | Phrase] = []
        for child in node.children:
            if isinstance(child, Word | Phrase):
                run.append(child)
                continue
            if run:
                parts.append(self._units(run, node.op))
                run = []
            parts.append(self._plan(child))
        if run:
            parts.append(self._units(run, node.op))
        return _Op(node.op, parts)

    def _units(self, items: Sequence[Word | Phrase], join: Literal["AND", "OR"]) -> _Run:
        units: list[_Unit] = []
        run: list[Word] = []

        def flush() -> None:
            if run:
                units.extend(self._segment(run, join))
                run.clear()

        for item in items:
            if isinstance(item, Phrase):
                flush()
                if _has_terms(item.text):
                    unit = _Unit([item.text], item.field, join, phrase=True)
                    unit.expansion = self._expand(item.text)
                    units.append(unit)
            elif item.prefix:
                flush()
                units.append(_Unit([item.text], item.field, join, prefix=True))
            elif _has_terms(item.text):
                if run and run[-1].field != item.field:
                    flush()
                run.append(item)
        flush()
        if self.drop_stopwords and any(not _stop(u) for u in units):
            units = [u for u in units if not _stop(u)]
        if join == "AND" and self.is_common is not None and len(units) > 1:
            common = [u for u in units if _plain_word(u) and self.is_common(u.words[0])]
            if len(common) < len(units):
                units = [u for u in units if u not in common]
        return _Run(units, join)

    def _segment(self, words: list[Word], join: Literal["AND", "OR"]) -> list[_Unit]:
        texts = [w.text for w in words]
        spans = self.expander.segment(texts) if self.expander else [(i, i + 1) for i in range(len(texts))]
        units = []
        for start, end in spans:
            unit = _Unit(texts[start:end], words[start].field, join)
            if not (end - start == 1 and norm(texts[start]) in STOP_WORDS):
                unit.expansion = self._expand(" ".join(texts[start:end]))
            units.append(unit)
        return units

    def _expand(self, typed: str) -> Expansion | None:
        if self.expander is None:
            return None
        own = set(norm(typed).split())
        context = [word for word in self.context if norm(word) not in own]
        expansion = self.expander.expand(typed, context)
        self.expansions.append(expansion)
        return expansion

    def _emit(self, plan: _Plan, weight: int) -> str:
        if isinstance(plan, _Run):
            return _join([self._unit(unit, weight) for unit in plan.units], plan.join)
        if plan.op == "NOT":
            return self._emit(plan.children[0], 1)
        negated = [isinstance(child, _Op) and child.op == "NOT" for child in plan.children]
        positives = [self._emit(c, weight) for c, no in zip(plan.children, negated, strict=True) if not no]
        negatives = [self._emit(c, 1) for c, no in zip(plan.children, negated, strict=True) if no]
        expression = _join(positives, plan.op)
        negation = _join(negatives, "OR")
        if negation and expression:
            expression = f"({expression}) NOT {negation}"
        return expression

    def _unit(self, unit: _Unit, weight: int) -> str:
        if unit.prefix:
            alternatives = [f"{fts_string(unit.words[0])} *"] * weight
        elif unit.phrase:
            alternatives = [fts_string(unit.words[0])] * weight
        else:
            alternatives = [_join([fts_string(w) for w in unit.words], unit.join)] * weight
        if unit.expansion is not None:
            alternatives.extend(fts_string(phrase) for phrase in unit.expansion.phrases)
        body = _join(alternatives, "OR")
        if unit.field is not None:
            body = f"{{{FIELDS[unit.field]}}} : {body if body.startswith('(') else '(' + body + ')'}"
        return body


def _join(parts: list[str], op: str) -> str:
    parts = [p for p in parts if p]
    if not parts:
        return ""
    if len(parts) == 1:
        return parts[0]
    return "(" + f" {op} ".join(parts) + ")"


def _plain_word(unit: _Unit) -> bool:
    return (
        len(unit.words) == 1
        and not unit.phrase
        and not unit.prefix
        and not (unit.expansion is not None and unit.expansion.phrases)
    )


def _stop(unit: _Unit) -> bool:
    if unit.phrase or unit.prefix:
        return False
    return all(norm(w) in STOP_WORDS or not norm(w) for w in unit.words)


def _all_units(plan: _Plan) -> list[_Unit]:
    if isinstance(plan, _Run):
        return plan.units
    return [unit for child in plan.children for unit in _all_units(child)]


def _plain_words(node: Node) -> list[str]:
    if isinstance(node, Word):
        return [node.text]
    if isinstance(node, Group):
        return [w for child in node.children for w in _plain_words(child)]
    return []


def _any_phrase(node: Node) -> bool:
    if isinstance(node, Phrase):
        return _has_terms(node.text)
    if isinstance(node, Group):
        return any(_any_phrase(child) for child in node.children)
    if isinstance(node, Not):
        return _any_phrase(node.child)
    return False


def _reject_nested_ids(node: Node) -> None:
    if isinstance(node, IdRef):
        raise QueryError("id: terms can be combined with other terms by AND only")
    if isinstance(node, Group):
        for child in node.children:
            _reject_nested_ids(child)
    elif isinstance(node, Not):
        _reject_nested_ids(node.child)


def plain_text(text: str, *, mode: Mode = "any") -> Group:
    """The tree of a text taken as words only (a patient note, a pasted abstract): no operators,
    quotes or fields, whatever characters it holds."""
    words = [Word(word) for word in re.findall(r"[^\W_]+(?:[-'/.][^\W_]+)*", text)]
    return Group("OR" if mode == "any" else "AND", list(words))


def compile_query(
    text: str,
    expander: Expander | None,
    *,
    mode: Mode = "all",
    drop_stopwords: bool = True,
    syntax: bool = True,
) -> Compiled:
    """Parse (or, with ``syntax=False``, take as plain words) and compile; raises :class:`QueryError` for
    a malformed query or one with nothing to find."""
    tree = parse(text, mode=mode) if syntax else plain_text(text, mode=mode)
    compiled = Compiler(expander, drop_stopwords=drop_stopwords).compile(tree)
    if compiled.match is None and not compiled.ids and text.strip():
        raise QueryError(f"nothing to search for in {text.strip()!r}: the query holds no words or numbers")
    return compiled
