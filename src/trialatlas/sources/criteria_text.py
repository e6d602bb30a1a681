"""Splitting a registry's eligibility text into its inclusion and exclusion criteria.

Registries write criteria as one text block: headed sections ("Inclusion Criteria:", "Key exclusion
criteria"), bullets ("*", "-", "•"), numbers ("1.", "2)", "a."), and lines hard-wrapped at 70 columns in
the legacy XML. Each criterion comes out as one line of text, in order, under its section.
"""

from __future__ import annotations

import re

_HEADING = re.compile(
    r"^\s*(?:[-*•]\s*)?(?:key\s+|main\s+|major\s+|general\s+)?(inclusion|exclusion|eligibility|"
    r"non[- ]?inclusion)\s*(?:criteria|criterion)?\b[^:\n]{0,40}:?\s*$",
    re.IGNORECASE,
)
_INLINE_HEADING = re.compile(
    r"^\s*(?:key\s+)?(inclusion|exclusion)\s+criteria\s*[:\-]\s*(\S.*)$", re.IGNORECASE
)
_BULLET = re.compile(r"^\s*(?:[-*•·▪◦–]|\(?\d{1,2}[.)]|\(?[a-zA-Z][.)]|\(?[ivxIVX]{1,4}[.)])\s+")


def split_criteria(text: str | None) -> tuple[list[str], list[str]]:
    """``(inclusion, exclusion)`` criteria of a text; lines before any heading count as inclusion."""
    if not text:
        return [], []
    sections: dict[str, list[str]] = {"inclusion": [], "exclusion": []}
    current = "inclusion"
    item: list[str] = []

    def flush() -> None:
        if item:
            joined = " ".join(part.strip() for part in item).strip()
            if joined:
                sections[current].append(joined)
            item.clear()

    for raw_line in text.replace("\r\n", "\n").split("\n"):
        line = raw_line.rstrip()
        if not line.strip():
            flush()
            continue
        heading = _HEADING.match(line)
        if heading:
            flush()
            word = heading.group(1).lower()
            current = "exclusion" if word.startswith(("exclusion", "non")) else "inclusion"
            continue
        inline = _INLINE_HEADING.match(line)
        if inline:
            flush()
            current = inline.group(1).lower()
            line = inline.group(2)
        bullet = _BULLET.match(line)
        if bullet:
            flush()
            item.append(line[bullet.end() :])
        else:
            item.append(line)
    flush()
    return sections["inclusion"], sections["exclusion"]
