"""The one eligibility-criteria splitter: single criteria, each tagged inclusion or exclusion, with its span.

Registry criteria come as bulleted or numbered lists (nested ones too), as inline enumerations
("1. … 2. …"), as lines with no markers at all, or run together when an export lost its newlines
("…years old Exclusion Criteria: - …", "…old.Normal renal function"). The splitter finds section
headers anywhere, list markers at line starts and inline, and keeps for every criterion the offsets of
its text in the source so that rules parsed from it can point back to the exact characters. The
readers' inclusion/exclusion lists are derived from the same split (:func:`criteria_lists`), so a
trial's lists and the criteria that matching judges never disagree about where an item goes.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

CriterionKind = Literal["inclusion", "exclusion"]

_EXCLUDING = re.compile(
    r"\b(?:excluded|exclusions?|ineligible|not\s+(?:be\s+)?eligible|must\s+not|may\s+not|will\s+not|"
    r"should\s+not|cannot|can\s+not|not\s+(?:be\s+)?(?:allowed|permitted)|non-?(?:allowed|permitted)|prohibited)\b",
    re.IGNORECASE,
)
_INCLUDING = re.compile(
    # "Requirements:" says a side; "Requirement of concomitant treatment with …" names a condition.
    r"\b(?:must\s+(?:have|be|meet)|required|requirements?(?=\s*:)|eligible|inclusions?|may\s+be\s+included|"
    r"allowed|permitted)\b",
    re.IGNORECASE,
)


# "Ineligible for allogeneic transplantation:", "Not eligible for total-body irradiation if ...", "Were
# excluded from LEVP2005-1 for any of the following reasons:": the words name a population (patients
# who cannot have some other treatment or study), not a side of this study.
_ELIGIBLE_FOR_OTHER = re.compile(
    r"\b(?:(?:in|not\s+(?:be\s+)?)?eligible\s+for|excluded\s+from)\s+"
    # "eligible for the main study", "for 1 of the 2 substudies" still say a side of this study.
    r"(?!(?:(?:this|the|our|a|any|\d+\s+of\s+the\s+\d+)\s+)?(?:[\w-]+\s+)?(?:sub)?(?:study|studies|trials?|protocol)\b"
    r"|(?:study|trial|protocol|participation|enrol?lment|entry|inclusion|randomi[sz]ation)\b)",
    re.IGNORECASE,
)


_PARENTHESES = re.compile(r"\([^()]*\)")
# After a semicolon ("… should not be breastfeeding …; or female patients must have … one of the
# following:"), or a full stop before a capital or a numbered paragraph ("… are not eligible. 2.3 Patients
# must have …").
_SENTENCE_BREAK = re.compile(r"(?<=;)\s+|(?<=\.)\s+(?=[A-Z]|\d{1,2}(?:\.\d{1,2})*\s+[A-Z])")


# The same heading is asked about several times while one text is split and listed (as a lead-in, as a
# topic): the answer depends on the words alone.
@functools.lru_cache(maxsize=4096)
def heading_polarity(text: str) -> str:
    """Which list a sub-heading sends its items to, when it says ("" when it is only a topic).

    Only its last sentence introduces the items, and a note in parentheses ("(NOTE: … will not alter
    T stage)") says nothing about them; a lead-in naming a population eligible or not for some other
    treatment ("Ineligible for allogeneic transplantation:", "… are only eligible for continuation
    therapy and may not receive window therapy:") describes patients, it sends them nowhere."""
    text = _SENTENCE_BREAK.split(_PARENTHESES.sub(" ", text).strip())[-1]
    if _ELIGIBLE_FOR_OTHER.search(text):
        return ""
    if _EXCLUDING.search(text):
        return "exclusion"
    return "inclusion" if _INCLUDING.search(text) else ""


_HEADER = re.compile(
    r"(?:(?<=\s)|^|(?<=[.;:]))(?:(?:key|main|major|general|principal|specific)\s+)?"
    r"(?P<kind>inclusion\s*(?:/|and|&)\s*exclusion|inclusion|exclusion|eligibility|inclusive|exclusive"
    r"|non-?inclusion)(?:s(?=\s*:))?"
    # "criteria", "criterion", and the misspellings registrants leave ("critieria").
    r"(?:\s+crit[a-z]*|\s+conditions?)?"
    # "Exclusion criteria for healthy volunteers:": a short qualifier on the heading's line, then the colon
    # (line start only).
    r"(?P<qualifier>[ \t]+(?:for|of|in|related[ \t]+to)[ \t]+[^:\n]{1,60}?(?=:))?"
    r"\s*(?:(?:include|includes|are|were)(?:\s+(?:the\s+following|as\s+follows))?)?\s*(?::|-(?=\s)|\n|$)",
    re.IGNORECASE,
)
# Where a header can begin: its side word ("incl", "excl", "elig", "non-"), or a qualifier before it
# ("Key Inclusion"). Finding these first, then trying ``_HEADER`` only there, gives the matches
# ``_HEADER.finditer`` gives: its leading lookbehind is otherwise tried at every character.
# (The lookahead names the letters that can start one, case folded: a scan for them is fast.)
_HEADER_WORD = re.compile(r"(?=[ien])(?:incl|excl|elig|non)", re.IGNORECASE)
_QUALIFIER_END = re.compile(r"(?:key|main|major|general|principal|specific)\Z", re.IGNORECASE)


def _header_matches(text: str) -> list[re.Match[str]]:
    """``list(_HEADER.finditer(text))``, trying the pattern only where a header can begin."""
    found: list[re.Match[str]] = []
    position = 0
    for word in _HEADER_WORD.finditer(text):
        start = word.start()
        if start < position:
            continue
        # A qualifier ends where the whitespace before the side word begins.
        blank = start
        while blank > 0 and text[blank - 1].isspace():
            blank -= 1
        qualifier = _QUALIFIER_END.search(text, max(0, blank - 9), blank) if blank < start else None
        for candidate in (qualifier.start() if qualifier else -1, start):
            if candidate < position:
                continue
            match = _HEADER.match(text, candidate)
            if match is not None:
                found.append(match)
                position = match.end()
                break
    return found


# A list marker at the start of a line: bullets, "1." "1)" "(1)" "a." "(a)" "i." "Step 1:" is not one.
_LINE_MARKER = re.compile(
    r"^(?P<indent>[ \t]*)(?P<marker>-(?!-\S)|[*•·●○▪■◦►–—]|\(?\d{1,2}[.)](?![\d–-])|\(\d{1,2}\)"
    r"|\(?[a-zA-Z][.)](?=\s)|\(?(?:i{1,3}|iv|v|vi{1,3}|ix|x)[.)](?=\s))[ \t]*"
)
_DOUBLED_NUMBER = re.compile(r"\(?\d{1,2}[.)][ \t]+")
# Inline markers are searched without their leading lookbehind ("after a space or a full stop"), the
# character before each match checked by :func:`_after`: a leading lookbehind is tried at every position.
_INLINE_NUMBER = re.compile(r"(\d{1,2})[.)]\s+(?=[A-Za-z(])")
_INLINE_BULLET = re.compile(r"\s+[-•*·●▪](?:\s+|(?=[A-Z][a-z]))(?=[A-Za-z(])")
# Consumes the three letters before the join: the cut is at the match's end.
_CAMEL_JOIN = re.compile(r"[a-z]{2}[a-z.)%](?=[A-Z][a-z]{2,}\b)")


def _after(pattern: re.Pattern[str], text: str, allowed: Callable[[str], bool]) -> list[re.Match[str]]:
    """Non-overlapping matches of ``pattern`` whose preceding character ("" at the start) is ``allowed``."""
    found: list[re.Match[str]] = []
    position = 0
    while (match := pattern.search(text, position)) is not None:
        start = match.start()
        if allowed(text[start - 1] if start else ""):
            found.append(match)
            position = match.end()
        else:
            position = start + 1
    return found


def _number_boundary(previous: str) -> bool:
    return previous != "" and (previous.isspace() or previous in ".;:")


def _bullet_boundary(previous: str) -> bool:
    return previous != "" and not previous.isspace() and not previous.isdecimal()


_NOT_CRITERION = re.compile(r"^\W*$")
# A "Topic:" line longer than this is a sentence, not a topic.
_TOPIC_LENGTH = 60
# "--Disease Characteristics-- Systemic lupus ...": a topic in dashes (its first dash read as a bullet).
_DASHED_TOPIC = re.compile(r"^-{1,2}\s*([^-].*?)\s*--(?:\s+(.*))?$")


@dataclass
class Criterion:
    """One criterion: its text (whitespace collapsed), kind, and where it sits in the source."""

    text: str
    kind: CriterionKind
    index: int
    start: int
    end: int
    source: str = "criteria_text"
    depth: int = 0
    parent: int | None = None
    is_header: bool = False
    context: str | None = None
    # Written after a list marker ("* ", "2."): an unmarked "Topic:" line heads the lines after it.
    marked: bool = field(default=False, compare=False, repr=False)
    # (position in ``text``, characters the source had there beyond the one space kept): maps back spans.
    gaps: list[tuple[int, int]] = field(default_factory=list)

    _offsets: tuple[list[int], list[int]] | None = field(default=None, repr=False, compare=False)

    def source_offset(self, position: int) -> int:
        """The offset in the source of character ``position`` of :attr:`text`."""
        if not self.gaps:
            return self.start + position
        if self._offsets is None:
            # Positions and running widths, built once: a criterion copied from a table has hundreds
            # of gaps and every rule maps several spans back.
            self._offsets = ([at for at, _ in self.gaps], list(itertools.accumulate(w for _, w in self.gaps)))
        positions, widths = self._offsets
        before = bisect.bisect_left(positions, position)
        return self.start + position + (widths[before - 1] if before else 0)

    def source_span(self, start: int, end: int) -> tuple[int, int]:
        return self.source_offset(start), self.source_offset(
            end - 1
        ) + 1 if end > start else self.source_offset(start)


_WHITESPACE = re.compile(r"\s+")
_WHITESPACE_RUN = re.compile(r"\s{2,}")


def _collapse(source: str, start: int, end: int) -> tuple[str, list[tuple[int, int]], int, int]:
    """The text of ``source[start:end]`` with whitespace runs collapsed, the gaps, and the trimmed bounds."""
    segment = source[start:end]
    stripped = segment.lstrip()
    start += len(segment) - len(stripped)
    segment = stripped.rstrip()
    end = start + len(segment)
    # Most criteria have no whitespace but single spaces (every other whitespace character is
    # unprintable): nothing to collapse.
    if "  " not in segment and segment.isprintable():
        return segment, [], start, end
    gaps: list[tuple[int, int]] = []
    removed = 0
    for run in _WHITESPACE_RUN.finditer(segment):
        width = run.end() - run.start()
        # The run becomes one space: it ends at this position of the collapsed text.
        gaps.append((run.start() - removed + 1, width - 1))
        removed += width - 1
    return _WHITESPACE.sub(" ", segment), gaps, start, end


def _header_kind(word: str, current: CriterionKind) -> CriterionKind | None:
    lowered = word.lower()
    if lowered.startswith("incl") and "excl" in lowered:
        return current  # "Inclusion/Exclusion Criteria:" names no side
    if lowered.startswith("excl") or lowered.startswith("non"):
        return "exclusion"
    if lowered.startswith("incl"):
        return "inclusion"
    return current if lowered.startswith("elig") else None


# What may stand before a header on its line and still leave it a heading: a list marker ("* Inclusion
# Criteria:"), or a short label in title or capital letters ("PARTICIPANT INCLUSION CRITERIA:",
# "Donor Exclusion Criteria:"); "…have the following exclusion criteria:" is a sentence's lead-in.
_MARKER_ONLY = re.compile(r"^[-*•·●○▪■◦►–—]+$")
_MARKER_LEAD = re.compile(r"^[-*•·●○▪■◦►–—]+\s*")
_LABEL = re.compile(r"^(?:[A-Z0-9][\w/&'()-]*\s+){0,3}[A-Z0-9][\w/&'()-]*$")


class _Section(NamedTuple):
    kind: CriterionKind
    start: int
    end: int
    # Whom the heading names ("MRI Exclusions:", "Exclusion criteria for developmental stuttering only:").
    group: str = ""


_NOT_A_GROUP = re.compile(r"\bcriteri|\b(?:for|of|in|to)$", re.IGNORECASE)
_GROUP_TAIL = re.compile(
    r"\s+(?:include[sd]?|are|were)(?:\s+(?:the\s+following|as\s+follows))?$"
    r"|\s+(?:the\s+following|as\s+follows)$|(?:\s+(?:are|is)\s+(?:given|listed|described|shown))?\s+below$",
    re.IGNORECASE,
)


def _sections(text: str, default: CriterionKind) -> list[_Section]:
    """The sections of ``text`` in order; text before any header takes ``default``."""
    sections: list[_Section] = []
    kind: CriterionKind = default
    position = 0
    group = ""
    for match in _header_matches(text):
        # A header inside a sentence ("…meeting the inclusion criteria of …") is not a section break.
        line_start = text.rfind("\n", 0, match.start()) + 1
        before = text[line_start : match.start()].strip()
        follow = match.group(0).rstrip()
        # The previous section ends where the heading's line begins when only a marker or a label
        # stands before the header words (they belong to the heading), else where the header begins.
        end = match.start()
        label = _MARKER_LEAD.sub("", before)
        named = ""
        if _MARKER_ONLY.match(before) or (label and follow.endswith(":") and _LABEL.match(label)):
            # "CRITERIA FOR INCLUSION:" names no group.
            before, end, named = "", line_start, "" if _NOT_A_GROUP.search(label) else label
        # Run together by an export ("…years old Exclusion Criteria: - …") a heading keeps its capital, its
        # "Criteria" and its colon; "…all of the following eligibility criteria:" is a sentence, and so is
        # "Conditions for Patient Eligibility:".
        if (
            before
            and not before.endswith((".", ";", ":"))
            and not (follow.endswith(":") and match["kind"][0].isupper() and "criteri" in follow.lower())
        ):
            continue
        if before and match["qualifier"]:
            continue
        new_kind = _header_kind(match["kind"], kind)
        if new_kind is None:
            continue
        if end > position:
            sections.append(_Section(kind, position, end, group))
        kind = new_kind
        position = match.end()
        # "for Step 1", "in children" name a group; "Exclusion of pregnant women:" names none.
        qualifier = (match["qualifier"] or "").strip()
        qualifier = "" if qualifier.lower().startswith("of ") else _GROUP_TAIL.sub("", qualifier)
        group = (qualifier[:1].upper() + qualifier[1:]) if qualifier else named
    sections.append(_Section(kind, position, len(text), group))
    return [s for s in sections if text[s.start : s.end].strip()]


@dataclass
class _Item:
    start: int
    end: int
    indent: int
    marker: str | None


def _line_items(text: str, start: int, end: int) -> list[_Item]:
    """Items by line markers; unmarked lines continue the previous item or start one at a blank line."""
    items: list[_Item] = []
    position = start
    previous_blank = True
    content_indent = 0
    for line in text[start:end].splitlines(keepends=True):
        line_start = position
        position += len(line)
        stripped = line.strip()
        if not stripped:
            previous_blank = True
            continue
        match = _LINE_MARKER.match(line)
        indent = len(line) - len(line.lstrip(" \t"))
        if match and len(stripped) > len(match["marker"]):
            # "1. 1. Patients with …": the registrant numbered the items the list already numbers.
            doubled = _DOUBLED_NUMBER.match(line, match.end())
            item_start = doubled.end() if doubled and doubled.end() < len(line.rstrip()) else match.end()
            items.append(
                _Item(line_start + item_start, line_start + len(line.rstrip()), indent, match["marker"])
            )
            content_indent = match.end()
        elif items and not previous_blank and _continues(items[-1], text, indent, content_indent, stripped):
            items[-1].end = line_start + len(line.rstrip())
        else:
            items.append(_Item(line_start + indent, line_start + len(line.rstrip()), indent, None))
            content_indent = indent
        previous_blank = False
    return items


# A line this long may have been hard-wrapped; a shorter one ended where its writer ended it.
_WRAPPED_LINE = 40


def _continues(item: _Item, text: str, indent: int, content_indent: int, stripped: str) -> bool:
    if item.marker is not None:
        # A wrapped line of a marked item is indented at least to where the item's text began.
        return indent >= content_indent - 1 or stripped[0].islower()
    # Unmarked lines are one criterion each (Chia, many exports) unless the line plainly continues
    # the previous one: it starts in lower case after a line long enough to have been wrapped (after
    # "Diagnosed imaginary arthritis" a line "aged 18 to 70 years" is the next criterion), or the
    # previous line broke off mid-phrase.
    previous = text[item.start : item.end].rstrip()
    return (
        (stripped[0].islower() and len(previous.rsplit("\n", 1)[-1].strip()) >= _WRAPPED_LINE)
        or previous.endswith((",", "-", "/", "("))
        or bool(re.search(r"\b(?:and|or|of|the|with|to|than|for|in|by)$", previous, re.IGNORECASE))
    )


def _nest(items: list[_Item], text: str) -> list[tuple[_Item, int, int | None]]:
    """``(item, depth, parent position)``: deeper indentation, or a new marker style after a colon, nests."""
    result: list[tuple[_Item, int, int | None]] = []
    stack: list[tuple[int, str, int]] = []  # (indent, marker style, position in result)
    for item in items:
        style = _marker_style(item.marker)
        while stack:
            indent, parent_style, _ = stack[-1]
            if item.indent > indent or (
                item.indent == indent
                and style != parent_style
                and _ends_with_colon(result, stack, text)
                and _continues_lead_in(result, stack[-1][2], item, style)
            ):
                break
            stack.pop()
        parent = stack[-1][2] if stack else None
        depth = len(stack)
        result.append((item, depth, parent))
        stack.append((item.indent, style, len(result) - 1))
    return result


def _continues_lead_in(
    result: list[tuple[_Item, int, int | None]], lead_in: int, item: _Item, style: str
) -> bool:
    """Whether ``item`` comes right after the lead-in or after a sibling of its own style under it: a
    paragraph after the lead-in's list ("1. Fulfill all of:" "a. …" "b. …" then a note) is not its item."""
    if lead_in == len(result) - 1:
        return True
    # The previous item, or the one of its ancestors that is the lead-in's own item.
    position: int | None = len(result) - 1
    while position is not None:
        previous, _, parent = result[position]
        if parent == lead_in:
            return previous.indent == item.indent and _marker_style(previous.marker) == style
        position = parent
    return False


def _ends_with_colon(
    result: list[tuple[_Item, int, int | None]], stack: list[tuple[int, str, int]], text: str
) -> bool:
    parent_item = result[stack[-1][2]][0]
    return text[parent_item.start : parent_item.end].rstrip().endswith(":")


def _marker_style(marker: str | None) -> str:
    if marker is None:
        return "none"
    core = marker.strip("()")
    if core[:-1].isdigit():
        return "number"
    if core[:-1] in {"i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x"}:
        return "roman"
    if core[:-1].isalpha():
        return "letter"
    return "bullet"


def _inline_pieces(text: str, start: int, end: int, marker: str | None = None) -> list[tuple[int, int]]:
    """Pieces of one item split at inline enumerations, inline bullets and run-together sentences."""
    segment = text[start:end]
    cuts: set[int] = set()
    # "risk group intermediate (1 or 2) or high": a number inside parentheses is no marker.
    numbers = [
        m for m in _after(_INLINE_NUMBER, segment, _number_boundary) if not _in_parentheses(segment, m)
    ]
    # The item's own marker ("1.") counts as the first of an inline run ("1. Pregnant 2. HIV positive").
    marker_core = (marker or "").strip("()").rstrip(".)")
    expected = int(marker_core) + 1 if marker_core.isdigit() else None
    run: list[re.Match[str]] = []
    if expected is not None and numbers and int(numbers[0][1]) == expected:
        run = [numbers[0]]
        expected += 1
        numbers = numbers[1:]
        if len(numbers) == 0 or int(numbers[0][1]) != expected:
            cuts.add(run[0].start())
    for match in numbers:
        value = int(match[1])
        if expected is None or value != expected:
            if len(run) >= 2:
                cuts.update(_run_cuts(segment, run))
            run = [match] if value in (1, 2) or (run == [] and value <= 2) else []
            expected = value + 1 if run else None
            continue
        run.append(match)
        expected = value + 1
    if len(run) >= 2:
        cuts.update(_run_cuts(segment, run))
    # "those 1) previously treated …; or 2) newly diagnosed …": alternatives are one criterion, split they
    # would read as each required.
    if any(_DISJUNCTION_END.search(segment, 0, cut) for cut in cuts):
        cuts.clear()
    # One dash inside an item is a list run together only after the item's own dash ("- Age 2 to 18 - Normal
    # renal function"); after another marker it is punctuation ("* Performance status - ECOG 0-1"), as is
    # a dash inside parentheses ("(see Exclusion - Concurrent Medications)") and, unless the item opened
    # with a dash, one after a short label ("Valproic acid - if ALT ...; Sorafenib - if ...").
    own = (marker or "")[:1]
    bullets = [
        m
        for m in _after(_INLINE_BULLET, segment, _bullet_boundary)
        if not _in_parentheses(segment, m) and (own == "-" or not _after_label(segment, m))
    ]
    # Dashes flattened into a sentence ("…refractory to paclitaxel - Epithelial ovarian cancer - Primary
    # carcinoma of the peritoneum") may be its sub-items or alternatives: a list starts after a heading's
    # colon or a full stop, or after the item's own dash.
    before_list = segment[: bullets[0].start()].strip() if bullets else ""
    # After a long lead-in ("… Must meet one of the following criteria: - A - B … No brain metastases") the
    # last dash runs on into what followed the list: split, the lead-in would head what is no item of it.
    if (
        own != "-"
        and before_list
        and (
            not before_list.endswith((":", ".", ";"))
            or (before_list.endswith(":") and len(before_list) > _TOPIC_LENGTH)
        )
    ):
        bullets = []
    if len(bullets) >= 2 or (len(bullets) == 1 and own in "-•*·●▪" and bullets[0][0].strip()[:1] == own):
        cuts.update(m.start() for m in bullets)
    # "…years oldNormal renal function"; a marker glued to its word ("ii.For relatives") is no join.
    cuts.update(m.end() for m in _CAMEL_JOIN.finditer(segment) if _lower_word_before(segment, m))
    if not cuts:
        return [(start, end)]
    pieces: list[tuple[int, int]] = []
    previous = 0
    for cut in sorted(cuts):
        pieces.append((start + previous, start + cut))
        previous = cut
    pieces.append((start + previous, end))
    result = []
    for piece_start, piece_end in pieces:
        piece = text[piece_start:piece_end]
        lead = re.match(r"\s*(?:\d{1,2}[.)]|[-•*·●▪])\s*", piece)
        offset = lead.end() if lead else 0
        if piece[offset:].strip():
            result.append((piece_start + offset, piece_end))
    return result


def _run_cuts(segment: str, run: list[re.Match[str]]) -> list[int]:
    """Where an inline run "1) … 2) …" cuts; none when it enumerates inside a sentence ("supported by
    characteristic 1) clinical features and 2) histopathologic changes"): its parts would not read alone."""
    lead = segment[: run[0].start()].rstrip()
    if lead and not lead.endswith((":", ".", ";", "-")) and int(run[0][1]) == 1:
        return []
    return [m.start() for m in run]


_CLAUSE_START = re.compile(r"[^.;:]*$")


def _after_label(segment: str, match: re.Match[str]) -> bool:
    clause = _CLAUSE_START.search(segment, 0, match.start())
    words = clause[0].strip(" -•*·●▪").split() if clause else []
    return 0 < len(words) <= 3


_WORD_START = re.compile(r"[A-Za-z]+$")


def _lower_word_before(segment: str, join: re.Match[str]) -> bool:
    """A join after a word in lower case that follows other text ("years oldNormal"); "CellCept" is a
    name and "ii.For" a marker glued to its word."""
    word = _WORD_START.search(segment, 0, join.end() - (join[0][-1] in ".)%"))
    return word is not None and word[0].islower() and bool(segment[: word.start()].strip())


_DISJUNCTION_END = re.compile(r"\bor[,;]?\s*$", re.IGNORECASE)


def _in_parentheses(segment: str, match: re.Match[str]) -> bool:
    before = segment[: match.start()]
    return before.count("(") > before.count(")")


def split_criteria(text: str | None, default: CriterionKind = "inclusion") -> list[Criterion]:
    """The criteria of an eligibility ``text``, in order, with nesting and source spans."""
    if not text or not text.strip():
        return []
    return _split(text, _sections(text, default))


def _split(text: str, sections: list[_Section]) -> list[Criterion]:
    criteria: list[Criterion] = []
    for kind, section_start, section_end, _ in sections:
        items = _line_items(text, section_start, section_end)
        nested = _nest(items, text)
        base = len(criteria)
        mapping: dict[int, int | None] = {}
        for position, (item, depth, parent) in enumerate(nested):
            pieces = _inline_pieces(text, item.start, item.end, item.marker)
            first_index = len(criteria)
            parent_index = mapping.get(parent) if parent is not None else None
            for piece_number, (piece_start, piece_end) in enumerate(pieces):
                collapsed, gaps, trimmed_start, trimmed_end = _collapse(text, piece_start, piece_end)
                if _NOT_CRITERION.match(collapsed):
                    continue
                # An enumeration introduced by "…:" inside one item nests under its lead-in piece.
                own_parent = parent_index
                own_depth = depth
                if piece_number > 0 and len(pieces) > 1 and criteria and criteria[first_index:]:
                    lead = criteria[first_index]
                    if lead.text.endswith(":"):
                        own_parent, own_depth = lead.index, depth + 1
                criteria.append(
                    Criterion(
                        text=collapsed,
                        kind=kind,
                        index=len(criteria),
                        start=trimmed_start,
                        end=trimmed_end,
                        depth=own_depth,
                        parent=own_parent,
                        gaps=gaps,
                        marked=item.marker is not None or piece_number > 0,
                    )
                )
            # An item that left no criterion (only a marker, "-") hands its children to its own parent:
            # filed under the next criterion, the first of them would be its own parent.
            mapping[position] = first_index if len(criteria) > first_index else parent_index
        _mark_headers(criteria, base)
        _follow_unmarked_lead_ins(criteria, base)
    return criteria


def _follow_unmarked_lead_ins(criteria: list[Criterion], base: int) -> None:
    """Unmarked lines right after an unmarked lead-in that says its side ("Required:", "Excluded:") are
    its items and go to that side, up to the next lead-in or topic or list; a paragraph after the lead-in's
    own list is the section's again ("Required:" "* Prior AZT" then "Significant alcohol abuse.")."""
    side: str = ""
    listed = False
    for criterion in criteria[base:]:
        if criterion.marked or criterion.parent is not None or criterion.is_header:
            side = ""
        elif criterion.text.endswith(":"):
            side, listed = heading_polarity(criterion.text), False
        elif side in ("inclusion", "exclusion"):
            criterion.kind = side  # type: ignore[assignment]
            # Items that end in ";" or "," are a list: its item ending otherwise is the last.
            ends_listed = criterion.text.endswith((";", ","))
            if listed and not ends_listed:
                side = ""
            listed = ends_listed


def _mark_headers(criteria: list[Criterion], base: int) -> None:
    """A criterion ending in ":" whose children follow is a lead-in: the children carry it as context."""
    for criterion in criteria[base:]:
        if criterion.parent is not None:
            parent = criteria[criterion.parent]
            side = ""
            if parent.text.rstrip().endswith(":"):
                parent.is_header = True
                # "Patients with the following are excluded:" sends its items to that side.
                side = heading_polarity(parent.text)
            # Else an item is on its lead-in's side ("Required:" "* Treatment with one of:" "indinavir, …").
            criterion.kind = side or parent.kind  # type: ignore[assignment]
            criterion.context = parent.text if parent.context is None else f"{parent.context} {parent.text}"


def criteria_from_lists(inclusion: Iterable[str], exclusion: Iterable[str]) -> list[Criterion]:
    """Criteria from already-separated lists (a reader may have split them); each item may still nest."""
    criteria: list[Criterion] = []
    for kind, items in (("inclusion", inclusion), ("exclusion", exclusion)):
        for number, item in enumerate(items):
            base = len(criteria)
            for criterion in split_criteria(item, default=kind):  # type: ignore[arg-type]
                if criterion.parent is not None:
                    criterion.parent += base
                # A list item has its list's kind whatever it says ("Exclusion criteria of the parent study").
                criterion.kind = kind  # type: ignore[assignment]
                criterion.index = len(criteria)
                criterion.source = f"{kind}[{number}]"
                criteria.append(criterion)
    return criteria


def trial_criteria(criteria_text: str | None, inclusion: list[str], exclusion: list[str]) -> list[Criterion]:
    """A trial's criteria: from its full text when it has one (spans point into it), else from its lists."""
    if criteria_text and criteria_text.strip():
        return split_criteria(criteria_text)
    return criteria_from_lists(inclusion, exclusion)


def criteria_lists(text: str | None) -> tuple[list[str], list[str]]:
    """``(inclusion, exclusion)`` of an eligibility text: the criteria of :func:`split_criteria`, each on
    its own line, in the same lists.

    Each line reads on its own. A short unmarked "Topic:" line ("Age:", "Prior Medication:",
    "--Disease Characteristics--") is no criterion: it comes in front of the lines after it until
    the next topic or section (a topic in front of items on its own line, only of those); an unmarked
    lead-in that only says which way its items go ("Allowed:", "Patients with the following are
    excluded:") keeps the topic, its side already in the kind; a longer unmarked colon line is a
    sentence that ends the topic. A list item ending in a colon with items under it comes in front
    of each of them.
    """
    if not text:
        return [], []
    sections = _sections(text, "inclusion")
    criteria = _split(text, sections) if text.strip() else []
    lists: dict[str, list[str]] = {"inclusion": [], "exclusion": []}
    section_starts = [section.start for section in sections]
    topic, section, group = "", -1, ""
    group_end, inline_group = 0, False
    # A topic written in front of its items on one line ("DISEASE CHARACTERISTICS: - ALL … - AML …")
    # heads that line only: (where its line ends, the topic before it).
    inline_topic: tuple[int, str] | None = None
    for criterion in criteria:
        current = bisect.bisect_right(section_starts, criterion.start)
        if current != section:
            topic, section, inline_topic = "", current, None
            group = f"{sections[current - 1].group}:" if current and sections[current - 1].group else ""
            # A heading with its criterion on its own line ("MRI Exclusions: cardiac pacemaker; …") names
            # the group of that line only.
            group_end = _line_end(text, section_starts[current - 1]) if current else 0
            inline_group = bool(current) and bool(text[section_starts[current - 1] : group_end].strip())
            # "Inclusion Criteria - Fanconi Cases": the rest of a heading's line names whom it is for.
            if current and _names_group(text, section_starts[current - 1], criterion):
                group, inline_group = criterion.text.rstrip(":") + ":", False
                continue
        if group and inline_group and criterion.start >= group_end:
            group = ""
        if inline_topic is not None and criterion.start >= inline_topic[0]:
            topic, inline_topic = inline_topic[1], None
        words = criterion.text
        # Under an unmarked "Topic:" line, an item stands as at the top (that line is the topic).
        root = criterion.parent is None or _is_topic(criteria[criterion.parent], text)
        if _is_topic(criterion, text):
            if heading_polarity(words):
                continue
            line_end = _line_end(text, criterion.end)
            if text[criterion.end : line_end].strip():
                inline_topic = (line_end, topic if inline_topic is None else inline_topic[1])
            topic = words if len(words) <= _TOPIC_LENGTH else ""
            continue
        dashed = _DASHED_TOPIC.match(words) if root else None
        if dashed is not None:
            topic, words = dashed[1] + ":", dashed[2] or ""
            if not words:
                continue
        if criterion.is_header:
            continue
        leads: list[str] = []
        parent = criterion.parent
        while parent is not None:
            above = criteria[parent]
            if _is_topic(above, text):
                break
            if above.is_header:
                leads.append(above.text)
            parent = above.parent
        lists[criterion.kind].append(
            " ".join(part for part in (group, topic, *reversed(leads), words) if part)
        )
    return lists["inclusion"], lists["exclusion"]


def _names_group(text: str, section_start: int, criterion: Criterion) -> bool:
    """Whether ``criterion`` is the rest of a dash heading's line ("Exclusion Criteria - Controls")."""
    return (
        text[:section_start].rstrip().endswith("-")
        and not criterion.marked
        and criterion.end <= _line_end(text, section_start)
        and len(criterion.text) <= _TOPIC_LENGTH
    )


def _line_end(text: str, position: int) -> int:
    end = text.find("\n", position)
    return len(text) if end < 0 else end


def _is_topic(criterion: Criterion, text: str) -> bool:
    """An unmarked line ending in a colon: a topic (or a side) for :func:`criteria_lists`, not a lead-in.
    Wherever the split nested it (after a list whose last item ends in a colon, "* Phase II:"), it
    starts anew. But a sentence with items under it ("No requirement for the following agents, unless
    for periodic paralysis:" "* Diuretics"), unless it only says their side, leads them, and so does any
    line but a short heading with its items after it on its own line ("Patients must have a disease that
    is assessable, defined by: 1) … 2) …"): the items alone would not say what it says."""
    if criterion.marked or not criterion.text.endswith(":"):
        return False
    short = len(criterion.text) <= _TOPIC_LENGTH
    sided = bool(heading_polarity(criterion.text))
    if not criterion.is_header:
        return True
    if not text[criterion.end : _line_end(text, criterion.end)].strip():
        return short or sided
    return short and not sided


__all__ = [
    "Criterion",
    "CriterionKind",
    "criteria_from_lists",
    "criteria_lists",
    "heading_polarity",
    "split_criteria",
    "trial_criteria",
]
