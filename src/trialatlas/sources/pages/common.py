"""What every layout reader returns, and the small helpers they share."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import ClassVar

from trialatlas.model import Trial, date_floor, normalize_date
from trialatlas.sources.pages.text import clean
from trialatlas.sources.textblocks import split_criteria
from trialatlas.text.registry_ids import NCT_IN_TEXT


@dataclass
class PageParse:
    """A page read by one layout reader: the trial, and how well the reading went."""

    trial: Trial
    layout: str
    unread: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    partial: bool = False
    record_date: dt.date | None = None


def heading_key(line: str) -> str:
    """A line compared as a heading: case, surrounding markup, a trailing colon and a count ignored."""
    key = re.sub(r"^[#*\-\s]+|[*:\s]+$", "", line).casefold()
    key = re.sub(r"\s*\(\d+\)$", "", key)
    return re.sub(r"\s+", " ", key)


def join_text(lines: list[str]) -> str | None:
    """Free text from its lines (one paragraph or list item a line), escapes undone."""
    cleaned = [value for line in lines if (value := clean(line))]
    return "\n".join(cleaned) or None


def page_date(text: str | None) -> str | None:
    return normalize_date(text) if text else None


def page_record_date(text: str | None) -> dt.date | None:
    return date_floor(page_date(text))


_BULLET = re.compile(r"^(?:[-*•·▪◦–]|\d{1,2}[.)])\s+")


def criteria_from_lines(lines: list[str]) -> tuple[str | None, list[str], list[str]]:
    """``(criteria_text, inclusion, exclusion)`` from a page's eligibility lines.

    Each line of a page is a whole heading, paragraph or list item; the text keeps them apart with
    blank lines around headings and paragraphs (as API v2 text does), so that a heading is never read
    as the continuation of the item above it.
    """
    parts: list[str] = []
    for line in lines:
        value = clean(line)
        if not value:
            continue
        if _BULLET.match(value):
            parts.append(value)
        else:
            parts.extend(["", value, ""])
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(parts)).strip()
    if not text:
        return None, [], []
    inclusion, exclusion = split_criteria(text)
    return text, inclusion, exclusion


def dedupe(items: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for item in items:
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out


class PageReader:
    """One page being read by a layout: the trial so far, the fields not read and the warnings why."""

    layout: ClassVar[str]

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.trial = Trial()
        self.unread: list[str] = []
        self.warnings: list[str] = []
        self.record_date: dt.date | None = None

    def not_read(self, name: str, warning: str) -> None:
        """A field (or section) of the page left unread, and why."""
        self.warnings.append(warning)
        self.unread.append(name)

    def nct_id_from_text(self, lines: int) -> None:
        """The first NCT id in the page's first ``lines`` lines, when no field gave the trial's."""
        if self.trial.nct_id is None:
            match = NCT_IN_TEXT.search("\n".join(self.lines[:lines]))
            if match:
                self.trial.nct_id = match[0]

    def result(self, partial: bool) -> PageParse:
        return PageParse(
            self.trial, self.layout, dedupe(self.unread), self.warnings, partial, self.record_date
        )
