"""Turning a saved page (text or HTML, any line ends) into clean lines the layout readers work on.

Pages arrive as users saved them: UTF-8 or Windows code-page text, with CRLF or CR line ends, as HTML
straight from the browser, or as text pasted from it. Everything is reduced to a list of stripped,
non-empty lines; table cells saved as HTML keep a tab between them, so the readers can split a row
exactly where the text version forces them to guess.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable

from lxml import etree
from lxml import html as lxml_html

from trialatlas.errors import RecordDataError
from trialatlas.text.markdown import unescape_markdown


class NotTextError(RecordDataError):
    """The bytes are not a text page (binary data, or text in no encoding we can trust)."""


_BOMS: tuple[tuple[bytes, str], ...] = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)


def decode_page(data: bytes) -> str:
    """The page's text; raises :class:`NotTextError` for binary data."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding, errors="replace")
    if b"\x00" in data[:4096]:
        raise NotTextError("binary data, not a text or HTML page")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start >= len(data) - 4:
            # A page cut off inside a multi-byte character: keep everything before it.
            text = data[: exc.start].decode("utf-8")
        else:
            text = data.decode("cp1252", errors="replace")
    controls = sum(1 for ch in text[:4096] if unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\f")
    if controls > max(8, len(text[:4096]) // 50):
        raise NotTextError("binary data, not a text or HTML page")
    return text


_HTML_START = re.compile(
    r"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|meta|div|p|table|section|h\d)\b",
    re.IGNORECASE | re.DOTALL,
)


def looks_like_html(text: str) -> bool:
    head = text[:2048]
    if _HTML_START.match(head):
        return True
    tags = len(re.findall(r"</?(?:div|p|td|tr|li|span|br|h\d|section|table)\b", text[:8192], re.IGNORECASE))
    return tags >= 5


_BLOCK_TAGS = frozenset(
    [
        "p",
        "div",
        "section",
        "article",
        "header",
        "footer",
        "main",
        "nav",
        "aside",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "ul",
        "ol",
        "dl",
        "dt",
        "dd",
        "table",
        "thead",
        "tbody",
        "tfoot",
        "tr",
        "pre",
        "blockquote",
        "form",
        "fieldset",
        "figure",
        "figcaption",
        "address",
        "hr",
        "title",
        "caption",
        "details",
        "summary",
        "legend",
    ]
)
_DROPPED_TAGS = ("script", "style", "noscript", "template", "svg", "head")
_WS = re.compile(r"[ \t\r\n\f\u00a0]+")


def html_to_text(markup: str) -> str:
    """Visible text of an HTML page: one line per block, list items as ``- `` lines, cells tab-separated.

    A page nested deeper than libxml2 builds a tree for (2,048 levels with ``huge_tree``; pages are
    bounded in size before they get here) loses the text below that depth in the parse: then, and
    whenever the tree shows less than half the text the markup holds, the text is read from the
    markup's tags and text in one linear pass instead.
    """
    flat = _flat_text(markup)
    try:
        root = lxml_html.document_fromstring(markup, parser=_HTML_PARSER)
    except (etree.ParserError, ValueError):
        return _lines_of(flat)
    for tag in _DROPPED_TAGS:
        for bad in list(root.iter(tag)):
            if isinstance(bad, lxml_html.HtmlElement):
                bad.drop_tree()
    out: list[str] = []
    _walk(root, out)
    text = "".join(out)
    if len(_WS.sub("", text)) * 2 < len(_WS.sub("", flat)):
        text = flat
    return _lines_of(text)


_HTML_PARSER = lxml_html.HTMLParser(huge_tree=True, no_network=True)
_DROPPED_BLOCK = re.compile(r"<(script|style|noscript|template|svg|head)\b[^>]*>.*?</\1\s*>", re.I | re.S)
_TAG = re.compile(r"<!--.*?-->|<![^>]*>|<\?[^>]*>|<(/?)([a-zA-Z][a-zA-Z0-9]*)\b[^>]*>", re.S)


def _flat_text(markup: str) -> str:
    """The text of ``markup`` read tag by tag, without building a tree (linear in its size)."""
    markup = _DROPPED_BLOCK.sub(" ", markup)

    def replace(match: re.Match[str]) -> str:
        tag = (match.group(2) or "").lower()
        if tag == "br":
            return "\n"
        if tag in ("td", "th"):
            return "" if match.group(1) else "\t"
        if tag == "li":
            return "\n" if match.group(1) else "\n- "
        return "\n" if tag in _BLOCK_TAGS else ""

    pieces = _split_tags(markup, replace)
    return "".join(html.unescape(_WS.sub(" ", p)) if i % 2 == 0 else p for i, p in enumerate(pieces))


def _split_tags(markup: str, replace: Callable[[re.Match[str]], str]) -> list[str]:
    """Text and replaced tags, alternating (text first)."""
    out: list[str] = []
    position = 0
    for match in _TAG.finditer(markup):
        out.append(markup[position : match.start()])
        out.append(replace(match))
        position = match.end()
    out.append(markup[position:])
    return out


def _lines_of(text: str) -> str:
    lines = []
    for line in text.split("\n"):
        if "\t" not in line:
            lines.append(_WS.sub(" ", line).strip())
            continue
        # Each cell opened with a tab: drop the row's first one, keep empty cells so columns stay aligned.
        cells = [_WS.sub(" ", cell).strip() for cell in line.split("\t")]
        if cells and not cells[0]:
            cells = cells[1:]
        while cells and not cells[-1]:
            cells.pop()
        lines.append("\t".join(cells) if len(cells) > 1 else "".join(cells))
    return "\n".join(lines)


def _walk(root: etree._Element, out: list[str]) -> None:
    """Append the visible text under ``root`` to ``out``: a walk of start and end events, never a
    recursion, so any depth the parser built is walked."""
    inside_pre = 0
    for event, element in etree.iterwalk(root, events=("start", "end", "comment", "pi")):
        tag = element.tag.lower() if isinstance(element.tag, str) else ""
        if not tag:
            # Comments and processing instructions show nothing but their tail.
            if element.tail:
                out.append(_flow(element.tail, inside_pre > 0))
            continue
        if event == "start":
            if tag == "pre":
                inside_pre += 1
            if tag == "br":
                out.append("\n")
            elif tag in ("td", "th"):
                out.append("\t")
            elif tag == "li":
                out.append("\n- ")
            elif tag in _BLOCK_TAGS:
                out.append("\n")
            if element.text:
                out.append(_flow(element.text, inside_pre > 0))
            continue
        if tag in _BLOCK_TAGS or tag == "li":
            out.append("\n")
        if tag == "pre":
            inside_pre -= 1
        if element.tail:
            out.append(_flow(element.tail, inside_pre > 0))


def _flow(text: str, preformatted: bool) -> str:
    return text.replace("\t", " ") if preformatted else _WS.sub(" ", text)


_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)


def normalize_text(text: str) -> str:
    """LF line ends, no invisible characters, non-breaking spaces as spaces."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_INVISIBLE)
    return text.replace("\u00a0", " ").replace("\u2028", "\n").replace("\u2029", "\n")


def page_lines(text: str) -> list[str]:
    """The non-empty lines of a page, stripped, with inner runs of spaces collapsed (tabs kept)."""
    lines = []
    for raw in text.split("\n"):
        line = re.sub(r"[ \f\v]+", " ", raw).strip(" \t")
        if line:
            lines.append(line)
    return lines


def page_text(data: bytes) -> tuple[str, bool]:
    """The normalised text of a saved page and whether it was HTML; raises :class:`NotTextError`."""
    text = normalize_text(decode_page(data))
    if looks_like_html(text):
        return normalize_text(html_to_text(text)), True
    return text, False


def clean(text: str | None) -> str | None:
    """A value as shown: markdown escapes undone, spaces collapsed; ``None`` when nothing is left."""
    if text is None:
        return None
    value = unescape_markdown(text).replace("\t", " ")
    value = re.sub(r"[ ]+", " ", value).strip()
    return value or None
