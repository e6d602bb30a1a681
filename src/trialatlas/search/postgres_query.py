"""A compiled query (the FTS5 expression :class:`~trialatlas.search.query.Compiler` writes) as PostgreSQL
full-text conditions: ``tsquery`` values and the boolean SQL that combines them.

The search service hands every engine the same compiled expression (``Request.match``): typed words,
phrases, expansions (synonyms, abbreviations, drug names), ``AND`` / ``OR`` / ``NOT``, prefixes and
field prefixes have all been decided by then, and each term is a double-quoted string. So this module
reads that small, regular language back into a tree and writes it for PostgreSQL, as
``websearch_to_tsquery`` would: a quoted term becomes ``phraseto_tsquery`` (stemmed, stop words
skipped, word order kept), a prefix ``to_tsquery('word':*)``, the operators ``&&``, ``||`` and
``&& !!``. A part limited to a field (``cond:``, ``intr:``, ``title:``, ``sponsor:``) is tested
against that field's own vector; the rest against the whole weighted vector.

Safety: every term reaches PostgreSQL as a bound parameter; the only text written into the SQL is
fixed here (operators, column names of :data:`FIELD_VECTORS`, the text-search configuration).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from trialatlas.errors import QueryError

# The vector each field prefix is tested against (the column of ``search_docs``).
FIELD_VECTORS: dict[str, str] = {
    "title": "title_tsv",
    "conditions": "conditions_tsv",
    "interventions": "interventions_tsv",
    "sponsors": "sponsors_tsv",
}
_TOKEN = re.compile(r'\s*(?:"((?:[^"]|"")*)"|(\()|(\))|\{([a-z_]+)\}\s*:|(\*)|(AND|OR|NOT)(?=[\s("{]|$))')
_WORD = re.compile(r"[^\W_]+")
_UNREADABLE = "the search could not be run ({}); simplify the query"


@dataclass(frozen=True)
class Term:
    text: str
    prefix: bool = False


@dataclass(frozen=True)
class Field:
    column: str
    child: Expr


@dataclass(frozen=True)
class Op:
    op: str  # "AND", "OR" or "NOT" (``NOT`` is binary: the first child without the second)
    children: tuple[Expr, ...]


Expr = Term | Field | Op


def parse_match(match: str) -> Expr:
    """The tree of a compiled FTS5 expression (``NOT`` binds tighter than ``AND``, ``AND`` than ``OR``)."""
    tokens: list[tuple[str, str]] = []
    position = 0
    while position < len(match):
        if not match[position:].strip():
            break
        found = _TOKEN.match(match, position)
        if found is None:
            raise QueryError(_UNREADABLE.format("an expression it cannot read"))
        phrase, opening, closing, column, star, operator = found.groups()
        if phrase is not None:
            tokens.append(("term", phrase.replace('""', '"')))
        elif opening:
            tokens.append(("(", "("))
        elif closing:
            tokens.append((")", ")"))
        elif column:
            tokens.append(("field", column))
        elif star:
            tokens.append(("*", "*"))
        else:
            tokens.append(("op", operator))
        position = found.end()
    parser = _Parser(tokens)
    tree = parser.or_expr()
    if parser.at != len(tokens):
        raise QueryError(_UNREADABLE.format("unexpected text in the expression"))
    return tree


@dataclass
class _Parser:
    tokens: list[tuple[str, str]]
    at: int = 0

    def _peek(self, kind: str, text: str | None = None) -> bool:
        if self.at >= len(self.tokens):
            return False
        found_kind, found_text = self.tokens[self.at]
        return found_kind == kind and (text is None or found_text == text)

    def _binary(self, op: str, operand: Callable[[], Expr]) -> Expr:
        children = [operand()]
        while self._peek("op", op):
            self.at += 1
            children.append(operand())
        if len(children) == 1:
            return children[0]
        if op == "NOT":
            # a NOT b NOT c: a without b, without c.
            result = children[0]
            for child in children[1:]:
                result = Op("NOT", (result, child))
            return result
        return Op(op, tuple(children))

    def or_expr(self) -> Expr:
        return self._binary("OR", self.and_expr)

    def and_expr(self) -> Expr:
        return self._binary("AND", self.not_expr)

    def not_expr(self) -> Expr:
        return self._binary("NOT", self.primary)

    def primary(self) -> Expr:
        if self.at >= len(self.tokens):
            raise QueryError(_UNREADABLE.format("the expression ends too early"))
        kind, text = self.tokens[self.at]
        self.at += 1
        if kind == "term":
            prefix = self._peek("*")
            if prefix:
                self.at += 1
            return Term(text, prefix)
        if kind == "(":
            inner = self.or_expr()
            if not self._peek(")"):
                raise QueryError(_UNREADABLE.format("unbalanced parentheses"))
            self.at += 1
            return inner
        if kind == "field":
            if text not in FIELD_VECTORS:
                raise QueryError(_UNREADABLE.format(f"no field {text!r}"))
            return Field(text, self.primary())
        raise QueryError(_UNREADABLE.format(f"unexpected {text!r}"))


@dataclass
class Sql:
    """A piece of SQL and the parameters its ``%s`` placeholders take, in order."""

    text: str
    params: list[Any] = field(default_factory=list)


@dataclass
class Translated:
    """A query for PostgreSQL: ``where`` selects the matching rows of ``search_docs`` (alias ``d``);
    ``rank`` is the ``tsquery`` of its positive terms, for ranking and headlines."""

    where: Sql
    rank: Sql


def _tsquery(node: Expr, config: str) -> Sql:
    """The ``tsquery`` of a tree, field limits left out (ranking and headlines read every field)."""
    if isinstance(node, Term):
        if not node.prefix:
            return Sql(f"phraseto_tsquery('{config}', %s)", [node.text])
        words = _WORD.findall(node.text.lower())
        if not words:
            return Sql("''::tsquery")
        # Plain letters and digits only: nothing in the words can act as tsquery syntax.
        text = " <-> ".join(f"'{word}'" for word in words[:-1])
        text = f"{text} <-> '{words[-1]}':*" if text else f"'{words[-1]}':*"
        return Sql(f"to_tsquery('{config}', %s)", [text])
    if isinstance(node, Field):
        return _tsquery(node.child, config)
    parts = [_tsquery(child, config) for child in node.children]
    if node.op == "NOT":
        return Sql(f"({parts[0].text} && !!{parts[1].text})", [*parts[0].params, *parts[1].params])
    joiner = " && " if node.op == "AND" else " || "
    return Sql("(" + joiner.join(p.text for p in parts) + ")", [v for p in parts for v in p.params])


def _positive(node: Expr) -> Expr:
    if isinstance(node, Op) and node.op == "NOT":
        return _positive(node.children[0])
    if isinstance(node, Op):
        return Op(node.op, tuple(_positive(child) for child in node.children))
    return node


def _has_field(node: Expr) -> bool:
    if isinstance(node, Field):
        return True
    if isinstance(node, Op):
        return any(_has_field(child) for child in node.children)
    return False


def _where(node: Expr, config: str) -> Sql:
    if not _has_field(node):
        query = _tsquery(node, config)
        return Sql(f"d.tsv @@ {query.text}", query.params)
    if isinstance(node, Field):
        query = _tsquery(node.child, config)
        return Sql(f"d.{FIELD_VECTORS[node.column]} @@ {query.text}", query.params)
    assert isinstance(node, Op)
    parts = [_where(child, config) for child in node.children]
    if node.op == "NOT":
        return Sql(f"({parts[0].text} AND NOT {parts[1].text})", [*parts[0].params, *parts[1].params])
    joiner = f" {node.op} "
    return Sql("(" + joiner.join(p.text for p in parts) + ")", [v for p in parts for v in p.params])


def translate(match: str, config: str) -> Translated:
    """``match`` (a compiled FTS5 expression) as PostgreSQL conditions; ``config`` is the text-search
    configuration the vectors were built with (a name of this package, never user text)."""
    tree = parse_match(match)
    return Translated(_where(tree, config), _tsquery(_positive(tree), config))


__all__ = ["FIELD_VECTORS", "Sql", "Translated", "parse_match", "translate"]
