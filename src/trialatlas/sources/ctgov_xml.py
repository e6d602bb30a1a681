"""ClinicalTrials.gov legacy XML (``<clinical_study>``, the pre-2024 ``public.xsd`` schema).

A blob is either one ``<clinical_study>`` document (the AllPublicXML layout), parsed whole, or a
wrapper holding several (``<search_results>``, ``<clinical_studies>``), whose records are streamed
with ``iterparse`` and cleared as they are mapped, so a wrapper of any size reads in flat memory.

The parser is locked down: no DTD loading, no network, no entity expansion, libxml2's default size
limits. A record that refers to a declared entity is refused rather than read with a hole in it,
and a syntax error costs only the record it is in: the reader re-synchronises on the next
``<clinical_study>`` start tag of a wrapper and goes on. Each record is mapped onto the trial model
by :func:`trialatlas.sources.ctgov_xml_mapping.map_trial`.
"""

from __future__ import annotations

import contextlib
import io
import lzma
import re
import threading
import zlib
from collections.abc import Iterable, Iterator
from typing import IO, Any, cast

from lxml import etree

from trialatlas.sources.base import (
    LOCKED_DOWN_XML,
    SNIFF_BYTES,
    Blob,
    ReadResult,
    RecordError,
    error_from_exception,
    read_whole,
    strip_bom,
)
from trialatlas.sources.ctgov_xml_mapping import Element, map_trial
from trialatlas.text.registry_ids import is_nct_id

_RECORD_START = re.compile(rb"<clinical_study[\s/>]")
_ROOT_TAG = re.compile(rb"<(!--|[A-Za-z_][\w.:-]*)")
_XML_DECL = re.compile(rb"\s*<\?xml[^>]*\?>")

# --- parsing ----------------------------------------------------------------------------------


class _Syntax:
    """The line and a one-line reason for a parse failure."""

    def __init__(self, exc: etree.XMLSyntaxError) -> None:
        line, message = exc.position[0], exc.msg
        # libxml2 may log the real error and then raise a vaguer one ("no element found").
        for entry in cast("Iterable[Any]", exc.error_log):
            if entry.level >= etree.ErrorLevels.ERROR:
                line, message = entry.line, entry.message
                break
        self.line = max(line, 1)
        first = (message or "syntax error").strip().splitlines()[0]
        if "encoding" in first.lower() or "utf-8" in first.lower():
            first = f"not valid UTF-8 ({first})"
        self.message = first


class _Prefixed:
    """A byte stream with bytes put back in front of it (the sniffed head, a resync wrapper)."""

    def __init__(self, prefix: bytes, stream: IO[bytes]) -> None:
        self._prefix = prefix
        self._stream = stream

    def read(self, size: int = -1) -> bytes:
        if not self._prefix:
            return self._stream.read(size)
        if size < 0:
            out, self._prefix = self._prefix + self._stream.read(), b""
            return out
        out, self._prefix = self._prefix[:size], self._prefix[size:]
        return out


_local = threading.local()


def _parser() -> etree.XMLParser:
    """This thread's locked-down parser (lxml parsers must not be shared between threads)."""
    parser: etree.XMLParser | None = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = etree.XMLParser(**LOCKED_DOWN_XML)
    return parser


def _iterparse(source: IO[bytes] | _Prefixed) -> Iterator[tuple[str, Element]]:
    # The error log is per thread and cumulative; cleared so an error names this parse's fault.
    etree.clear_error_log()
    events: Iterator[tuple[str, Element]] = etree.iterparse(
        source, events=("end",), tag="clinical_study", **LOCKED_DOWN_XML
    )
    return events


def _root_tag(head: bytes) -> bytes:
    """The document element's name, read from the head (prolog and comments skipped)."""
    position = 0
    while (match := _ROOT_TAG.search(head, position)) is not None:
        if match.group(1) != b"!--":
            return match.group(1)
        end = head.find(b"-->", match.end())
        if end < 0:
            return b""
        position = end + 3
    return b""


def _skip(stream: IO[bytes], count: int) -> None:
    if stream.seekable():
        stream.seek(count, io.SEEK_CUR)
        return
    while count > 0:
        chunk = stream.read(min(count, 1 << 20))
        if not chunk:
            return
        count -= len(chunk)


def _resync(blob: Blob, base: int, nth: int) -> tuple[int, int] | None:
    """The offset of the ``nth`` ``<clinical_study`` start tag from ``base``, and the newlines before it.

    Counting start tags, not trusting the error's position (libxml2 reports some errors, such as
    entity amplification, at line 1), is what guarantees no record is read twice. The blob is
    re-read line by line from ``base``, so a huge wrapper is never held in memory.
    """
    with blob.open() as stream:
        _skip(stream, base)
        offset = base
        for number, line in enumerate(stream):
            for found in _RECORD_START.finditer(line):
                nth -= 1
                if nth == 0:
                    return offset + found.start(), number
            offset += len(line)
    return None


class LegacyXmlReader:
    """Reads ``<clinical_study>`` records, one per file or several in a wrapper element."""

    name = "ctgov-xml"

    def sniff(self, head: bytes, name: str) -> float:
        text = strip_bom(head)
        if b"<clinical_study" in text:
            return 0.95
        return 0.1 if text.lstrip().startswith(b"<") else 0.0

    def read(self, blob: Blob) -> Iterator[ReadResult]:
        try:
            with blob.open() as stream:
                head = stream.read(SNIFF_BYTES)
                root = _root_tag(head)
                if root == b"clinical_study":
                    # One record per file: small, read whole, and its own text is the raw record.
                    data = head + read_whole(stream)
                    yield from self._single(blob.name, data)
                else:
                    yield from self._wrapper(blob, root, _Prefixed(head, stream), head)
        except (OSError, EOFError, zlib.error, lzma.LZMAError) as exc:  # a broken compressed stream
            yield RecordError(blob.name, f"cannot be read: {exc}")

    def _single(self, name: str, data: bytes) -> Iterator[ReadResult]:
        # A one-record file is parsed whole (iterparse's event machinery costs ~20% more), with
        # the same locked-down options; its memory is one record's either way.
        etree.clear_error_log()
        try:
            root = etree.fromstring(data, _parser())
        except etree.XMLSyntaxError as exc:
            error = _Syntax(exc)
            yield RecordError(name, f"malformed XML at line {error.line}: {error.message}")
            return
        if root.tag != "clinical_study":
            yield RecordError(name, f"not a ClinicalTrials.gov record: root element <{root.tag}>")
            return
        yield self._record(name, root, 1, data, _may_use_entities(data, b"clinical_study"))

    def _wrapper(self, blob: Blob, root: bytes, source: _Prefixed, head: bytes) -> Iterator[ReadResult]:
        check_entities = _may_use_entities(head, root)
        decl = _XML_DECL.match(strip_bom(head))
        # A resumed parse re-opens the same wrapper element so its original end tag still closes it.
        reopen = (b" ".join(decl.group(0).split()) if decl else b"") + b"<" + root + b">"
        count = base = base_line = 0
        with contextlib.ExitStack() as streams:
            while True:
                done = 0  # records finished in this segment
                try:
                    for _, element in _iterparse(source):
                        count += 1
                        done += 1
                        yield self._record(blob.name, element, count, None, check_entities)
                        # Drop the record and the siblings before it: memory stays flat at any size.
                        element.clear()
                        parent = element.getparent()
                        if parent is not None:
                            while element.getprevious() is not None:
                                del parent[0]
                except etree.XMLSyntaxError as exc:
                    count += 1
                    error = _Syntax(exc)
                    where = f"line {base_line + error.line}"
                    yield RecordError(
                        f"{blob.name}#record {count}", f"malformed XML at {where}: {error.message}"
                    )
                    # Resume at the start tag after the failed record's (the segment's own is the first).
                    found = _resync(blob, base, done + 2) if root else None
                    if found is None:
                        return
                    base, newlines = found
                    base_line += newlines
                    stream = streams.enter_context(blob.open())
                    _skip(stream, base)
                    source = _Prefixed(reopen, stream)
                    continue
                if count == 0:
                    tag = root.decode("ascii", "replace") or "?"
                    yield RecordError(
                        blob.name, f"not a ClinicalTrials.gov record: <{tag}> holds no <clinical_study>"
                    )
                return

    def _record(
        self, name: str, element: Element, index: int, whole: bytes | None, check_entities: bool
    ) -> ReadResult:
        nct_id = (element.findtext("id_info/nct_id") or "").strip()
        if not nct_id:
            return RecordError(f"{name}#record {index}", "record without an NCT id")
        location = f"{name}#{nct_id}"
        if not is_nct_id(nct_id):
            return RecordError(
                f"{name}#record {index}", f"invalid NCT id {nct_id!r} (expected NCT + 8 digits)"
            )
        if check_entities:
            entity = next(element.iter(etree.Entity), None)
            if entity is not None:
                return RecordError(
                    location, f"refused entity reference {entity.text} (entities are never expanded)"
                )
        try:
            return map_trial(element, f"ctgov-xml:{location}", name, _raw_text(element, whole))
        except (ValueError, TypeError) as exc:  # pydantic's ValidationError is a ValueError
            error = error_from_exception(location, exc)
            return RecordError(location, f"cannot map record: {error.reason}", error.field)


def _may_use_entities(head: bytes, root: bytes) -> bool:
    """Whether the prolog has a DTD, so records may refer to entities (ClinicalTrials.gov files never do).

    Only then is each record searched for entity references: a cheap test keeps the common case fast.
    """
    start = head.find(b"<" + root) if root else -1
    prolog = head[:start] if start >= 0 else head
    return start < 0 or b"<!DOCTYPE" in prolog or b"<!ENTITY" in prolog


def _raw_text(element: Element, whole: bytes | None) -> str:
    """The record's XML: the file's own text when the record is the whole file, else the element's."""
    if whole is not None:
        try:
            return strip_bom(whole).decode("utf-8")
        except UnicodeDecodeError:
            pass
    return etree.tostring(element, encoding="unicode", with_tail=False)


READER = LegacyXmlReader()
