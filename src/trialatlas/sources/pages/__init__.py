"""Registry pages: trial pages scraped from registry sites and saved as text or HTML.

One reader, ``registry-page``, reads every layout: it turns the page into lines
(:mod:`~trialatlas.sources.pages.text`), recognises the layout (:mod:`~trialatlas.sources.pages.detect`)
and hands the lines to that layout's reader (A, B, C, or the generic one for any other trial page).
The trial it returns carries a :class:`~trialatlas.model.SourceRecord` saying which layout was used,
how sure the detection was, which fields could not be read, and whether the page was cut off.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from trialatlas.errors import ReadLimitError
from trialatlas.model import SourceFormat, SourceRecord, Trial
from trialatlas.sources.base import (
    Blob,
    ReadResult,
    RecordError,
    read_limits,
    read_whole,
    strip_bom,
)
from trialatlas.sources.pages.common import PageParse
from trialatlas.sources.pages.detect import Detection, detect_layout
from trialatlas.sources.pages.generic import parse_generic
from trialatlas.sources.pages.knowledge import PageKnowledge, current_knowledge
from trialatlas.sources.pages.layout_a import parse_layout_a
from trialatlas.sources.pages.layout_b import parse_layout_b
from trialatlas.sources.pages.layout_c import parse_layout_c
from trialatlas.sources.pages.text import NotTextError, decode_page, page_lines, page_text

READER_NAME = "registry-page"
# Each reader takes the page's lines and a way to the names known beyond the page (asked only when a
# flattened table needs them).
_PARSERS: dict[str, Callable[[list[str], Callable[[], PageKnowledge]], PageParse]] = {
    "A": lambda lines, _known: parse_layout_a(lines),
    "B": parse_layout_b,
    "C": parse_layout_c,
    "generic": lambda lines, _known: parse_generic(lines),
}
# What a layout reader may raise on a page it cannot make sense of; the generic reader then takes over.
_PARSE_ERRORS = (ValueError, IndexError, KeyError, TypeError, AttributeError)


def _looks_like_other_format(head: bytes) -> bool:
    """JSON, XML records and CSV exports belong to other readers, even when they name NCT ids."""
    stripped = strip_bom(head).lstrip()
    if stripped[:1] in (b"{", b"["):
        return True
    if stripped.startswith(b"<?xml") or b"<clinical_study" in stripped[:4096]:
        return True
    first = stripped.split(b"\n", 1)[0]
    return first.count(b",") >= 5 or first.count(b"\t") >= 5 or first.count(b"|") >= 5


def read_page(data: bytes, location: str, *, knowledge: PageKnowledge | None = None) -> ReadResult:
    """The trial on one saved page, or the reason there is none.

    ``knowledge`` (names known from other records) segments the tables a text save flattened; without
    it, the knowledge in use for this process is asked when a table needs it (see
    :mod:`~trialatlas.sources.pages.knowledge`).
    """
    if not data.strip():
        return RecordError(location, "empty page")
    try:
        text, _ = page_text(data)
    except NotTextError as exc:
        return RecordError(location, f"not a trial page: {exc}")
    lines = page_lines(text)
    if not lines:
        return RecordError(location, "empty page: no visible text")
    detection = detect_layout(lines)
    if detection.layout == "none":
        return RecordError(location, "not a trial page: no known layout, and no NCT id with trial vocabulary")
    try:
        known = (lambda: knowledge) if knowledge is not None else current_knowledge
        parsed = _PARSERS[detection.layout](lines, known)
    except _PARSE_ERRORS as exc:
        parsed = parse_generic(lines)
        parsed.warnings.append(f"layout {detection.layout} reader failed ({exc}); read as a generic page")
        detection = Detection("generic", min(detection.confidence, 0.5), detection.scores)
    trial = parsed.trial
    if trial.nct_id is None and trial.org_study_id is None:
        cut = " (the page is cut off)" if parsed.partial else ""
        return RecordError(
            location,
            f"layout {detection.layout} page without a trial identifier (NCT id or org study id){cut}",
        )
    return _with_source(trial, parsed, detection, location, data)


def _with_source(trial: Trial, parsed: PageParse, detection: Detection, location: str, data: bytes) -> Trial:
    confidence = detection.confidence * (0.8 if parsed.partial else 1.0)
    trial.is_partial = parsed.partial
    trial.sources = [
        SourceRecord(
            id=f"{READER_NAME}:{location}#{trial.key}",
            format=SourceFormat.REGISTRY_PAGE,
            location=location,
            record_date=parsed.record_date,
            partial=parsed.partial,
            layout=parsed.layout,
            confidence=round(confidence, 3),
            raw=decode_page(data),
            unread_fields=parsed.unread,
            warnings=parsed.warnings,
        )
    ]
    return trial


class RegistryPageReader:
    """Reads trial pages saved from registry sites (layouts A, B, C, and any trial-like page)."""

    name = READER_NAME

    def sniff(self, head: bytes, name: str) -> float:
        if not head.strip() or _looks_like_other_format(head):
            return 0.0
        try:
            text, was_html = page_text(head)
        except NotTextError:
            return 0.0
        confidence = detect_layout(page_lines(text)).confidence
        if was_html and confidence < 0.35:
            # An HTML page may spend its first kilobytes on scripts and styles: claim it weakly, and let
            # the full read decide whether it is a trial page.
            return 0.35
        return confidence

    def read(self, blob: Blob) -> Iterator[ReadResult]:
        # A registry page is tens of kilobytes; reading costs about a second a megabyte, so a page
        # past the page bound is refused rather than keeping a reader busy for minutes.
        limit = read_limits().page_bytes
        with blob.open() as stream:
            try:
                data = read_whole(stream, limit, "page")
            except ReadLimitError as exc:
                yield RecordError(blob.name, str(exc))
                return
        yield read_page(data, blob.name)


READER = RegistryPageReader()

__all__ = ["READER", "READER_NAME", "PageKnowledge", "RegistryPageReader", "read_page"]
