"""ClinicalTrials.gov textblocks: the layout of registry free text, and eligibility criteria splitting.

Text in, text out, shared by every reader: legacy XML textblocks (indented, hard-wrapped at 99
columns) are re-flowed into the layout API v2 uses (paragraphs apart, one list item a line, nested
items indented), and an eligibility text of either layout splits into its inclusion and exclusion
criteria, each a self-contained line, by the one criteria splitter (:mod:`trialatlas.text.criteria`).
"""

from __future__ import annotations

import re

from trialatlas.text.criteria import criteria_lists

# The legacy formatter wrapped every textblock line at this many columns (indentation included).
_WRAP_WIDTH = 99

# A list item's marker at the start of a textblock line; ordered markers are kept as written.
_MARKER = re.compile(
    r"(?:(?P<bullet>[*•·▪◦●■➢►–—]|--?)\s+|[-•](?=[A-Za-z(])"
    r"|(?P<ordered>\d{1,3}[.)]|\(\d{1,3}\)|[A-Za-z][.)]|\([A-Za-z]\)"
    r"|(?:[ivx]{1,5}|[IVX]{1,5})[.)]|\((?:[ivx]{1,5}|[IVX]{1,5})\))\s+)"
)


class TextUnit:
    """One logical line of a textblock: a paragraph or a list item, hard wraps joined."""

    __slots__ = ("indent", "level", "marker", "parts", "text")

    def __init__(self, indent: int, marker: str | None, first: str) -> None:
        self.indent = indent
        self.marker = marker
        self.parts = [first]
        self.text = first
        self.level = 0


def textblock_units(text: str, *, hard_wrapped: bool = False) -> list[TextUnit]:
    """Lines of a legacy textblock grouped into paragraphs and list items.

    The legacy formatter put a blank line between paragraphs and items and wrapped lines at
    ``_WRAP_WIDTH`` columns, so a line after a *full* line is a wrap even when it starts like a
    list marker ("... on day\\n1. Dexamethasone"); a line after a short one is a real break unless it
    is indented under the line before (a hanging continuation), and a paragraph indented under an
    item belongs to it. Text from elsewhere (API v2, pages) is not hard-wrapped: pass
    ``hard_wrapped=False`` and every line break that starts a list item stays a break, however long
    the line before it.
    """
    if "\r" in text:
        text = text.replace("\r", "")
    if "\t" in text:
        text = text.expandtabs(8)
    units: list[TextUnit] = []
    current: TextUnit | None = None
    previous_end = 0
    for raw in text.split("\n"):
        stripped = raw.strip()
        if not stripped:
            current = None
            continue
        indent = len(raw) - len(raw.lstrip())
        previous_end, last_end = indent + len(stripped), previous_end
        if current is not None:
            space = stripped.find(" ")
            wraps = hard_wrapped and last_end + 1 + (space if space > 0 else len(stripped)) > _WRAP_WIDTH
            if wraps or (indent > current.indent and _MARKER.match(stripped) is None):
                current.parts.append(stripped)
                continue
        match = _MARKER.match(stripped)
        if match is not None and match.end() < len(stripped):
            ordered = match.group("ordered")
            current = TextUnit(indent, ordered.strip() if ordered else "*", stripped[match.end() :].lstrip())
        elif units and units[-1].marker is not None and indent > units[-1].indent:
            current = units[-1]
            current.parts.append(stripped)
            continue
        else:
            current = TextUnit(indent, None, stripped)
        units.append(current)
    stack: list[int] = []
    for unit in units:
        if len(unit.parts) > 1:
            unit.text = " ".join(unit.parts)
        if unit.marker is None:
            stack.clear()
            continue
        while stack and stack[-1] > unit.indent:
            stack.pop()
        if not stack or stack[-1] < unit.indent:
            stack.append(unit.indent)
        unit.level = len(stack) - 1
    return units


def render_units(units: list[TextUnit]) -> str | None:
    """Units as ClinicalTrials.gov shows them: paragraphs apart, list items on their own lines."""
    out: list[str] = []
    previous_item = False
    for unit in units:
        item = unit.marker is not None
        if out:
            out.append("\n" if previous_item and item else "\n\n")
        out.append(f"{'  ' * unit.level}{unit.marker} {unit.text}" if item else unit.text)
        previous_item = item
    return "".join(out) or None


def reflow_textblock(text: str | None) -> str | None:
    """A legacy textblock dedented and re-flowed: wrapped lines joined, one line per paragraph or item."""
    return render_units(textblock_units(text, hard_wrapped=True)) if text else None


def split_criteria(text: str | None, *, hard_wrapped: bool = False) -> tuple[list[str], list[str]]:
    """``(inclusion, exclusion)`` criteria of an eligibility text (``hard_wrapped`` for legacy XML): the
    lists of the one criteria splitter, the same split that matching judges."""
    if not text:
        return [], []
    return criteria_lists(reflow_textblock(text) if hard_wrapped else text)


_INLINE_NUMBER = re.compile(r"(?:(?<=\s)|^)(\d{1,2})[.)]\s+(?=\S)")


def break_inline_numbering(text: str) -> str:
    """A list numbered inside one line ("Pre-operative: 1. Is under 18. 2. Requires surgery.") with each
    item on its own line. Only a run 1, 2, 3… counts, so a number inside an item ("grade 2. Then")
    that breaks the run stays where it is; text with fewer than two items is returned as it is."""
    starts: list[int] = []
    expected = 1
    for match in _INLINE_NUMBER.finditer(text):
        if int(match[1]) == expected:
            starts.append(match.start())
            expected += 1
    if len(starts) < 2:
        return text
    pieces = [text[: starts[0]].strip()]
    pieces += [text[start:end].strip() for start, end in zip(starts, [*starts[1:], len(text)], strict=True)]
    return "\n".join(piece for piece in pieces if piece)
