"""The contract every source reader meets, and the registry readers join.

A *blob* is one byte stream with a name: a file, a member of a zip or tar, or a decompressed ``.gz``.
Containers (directories, archives, compression) are unwrapped in :mod:`trialatlas.sources.containers`;
a reader only ever sees blobs. For each blob the registry asks every reader how sure it is that the
blob is its format (``sniff`` on the first bytes) and hands the blob to the surest one.

A reader yields, for each record, either a :class:`~trialatlas.model.Trial` or a
:class:`RecordError` naming the file, record and reason, and goes on to the next record: one bad
record never hides the good ones.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any, Protocol, TypedDict, runtime_checkable

import orjson

from trialatlas.errors import PluginError, UnknownFormatError
from trialatlas.model import Trial
from trialatlas.plugins import READERS, PluginGroup
from trialatlas.text.registry_ids import is_nct_id

SNIFF_BYTES = 8192


@dataclass(frozen=True)
class RecordError:
    """One record (or a whole blob) that could not be read, and why."""

    location: str
    reason: str

    def __str__(self) -> str:
        return f"{self.location}: {self.reason}"


@dataclass(frozen=True)
class Blob:
    """A named byte stream; ``open`` may be called more than once and gives a fresh stream each time."""

    name: str
    open: Callable[[], IO[bytes]]
    size: int | None = None

    def head(self, size: int = SNIFF_BYTES) -> bytes:
        with self.open() as stream:
            return stream.read(size)

    @classmethod
    def from_bytes(cls, name: str, data: bytes) -> Blob:
        return cls(name=name, open=lambda: io.BytesIO(data), size=len(data))


ReadResult = Trial | RecordError


@runtime_checkable
class SourceReader(Protocol):
    """A reader of one source format."""

    name: str

    def sniff(self, head: bytes, name: str) -> float:
        """How sure (0–1) the reader is that a blob starting with ``head`` is its format."""
        ...

    def read(self, blob: Blob) -> Iterator[ReadResult]:
        """Each record of the blob, as a trial or as the error that stopped it."""
        ...


_READERS: dict[str, SourceReader] = {}


def register_reader(reader: SourceReader) -> SourceReader:
    """Add a reader to the registry for this process (packages declare theirs as entry points in
    the ``trialatlas.readers`` group, as the built-ins are: see :mod:`trialatlas.plugins`)."""
    _READERS[reader.name] = reader
    return reader


def _add_readers(name: str, loaded: Any) -> None:
    readers = loaded if isinstance(loaded, list | tuple) else [loaded]
    for reader in readers:
        if not callable(getattr(reader, "sniff", None)) or not callable(getattr(reader, "read", None)):
            raise PluginError(f"reader plugin {name!r} gave {type(reader).__name__}, not a SourceReader")
        _READERS.setdefault(reader.name, reader)


_READER_PLUGINS = PluginGroup(READERS, _add_readers)


def registered_readers() -> dict[str, SourceReader]:
    _READER_PLUGINS.ensure_loaded()
    return dict(_READERS)


def get_reader(name: str) -> SourceReader:
    _READER_PLUGINS.ensure_loaded()
    try:
        return _READERS[name]
    except KeyError as exc:
        known = ", ".join(sorted(_READERS))
        raise UnknownFormatError(name, f"no reader named {name!r} (known: {known})") from exc


def detect_reader(blob: Blob, head: bytes | None = None) -> tuple[SourceReader | None, float]:
    """The reader surest of the blob, with its confidence; ``(None, 0)`` when no reader claims it."""
    _READER_PLUGINS.ensure_loaded()
    sample = blob.head() if head is None else head
    best: SourceReader | None = None
    best_score = 0.0
    for reader in _READERS.values():
        score = reader.sniff(sample, blob.name)
        if score > best_score:
            best, best_score = reader, score
    return best, best_score


def strip_bom(head: bytes) -> bytes:
    return head[3:] if head.startswith(b"\xef\xbb\xbf") else head


def json_lines(blob: Blob) -> Iterator[tuple[int, bytes]]:
    """The non-blank lines of a JSON-lines blob with their 1-based numbers, a leading BOM removed."""
    with blob.open() as stream:
        for number, line in enumerate(stream, start=1):
            if number == 1:
                line = strip_bom(line)
            if line.strip():
                yield number, line


def sniff_json_lines(head: bytes, is_record: Callable[[bytes], bool]) -> float | None:
    """How sure a JSON-lines reader is of a blob from its first bytes: 0.95 when every complete line
    (up to five) is one of its records, 0.5 when some are, 0 when none or not JSON lines; ``None``
    when the first line is longer than the sniffed bytes (the reader judges its start instead)."""
    whole = len(head) < SNIFF_BYTES
    head = strip_bom(head).lstrip()
    if not head.startswith(b"{"):
        return 0.0
    lines = head.split(b"\n")
    complete = [line for line in (lines if whole else lines[:-1]) if line.strip()][:5]
    if not complete:
        return None
    hits = sum(is_record(line) for line in complete)
    return 0.95 if hits == len(complete) else 0.5 if hits else 0.0


def json_object(location: str, line: bytes) -> dict[str, Any] | RecordError:
    """One JSON-lines line as an object, or the error that says why it is not one."""
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        return RecordError(location, f"not a JSON line: {exc}")
    if not isinstance(record, dict):
        return RecordError(location, f"not a JSON object but {type(record).__name__}")
    return record


def json_line_records(
    blob: Blob, id_field: str
) -> Iterator[tuple[str, bytes, dict[str, Any], str] | RecordError]:
    """Each line of a JSON-lines blob as ``(location, the line, its object, the NCT id in id_field)``,
    or the error that says why the line is not one."""
    for number, line in json_lines(blob):
        location = f"{blob.name}#line {number}"
        record = json_object(location, line)
        if isinstance(record, RecordError):
            yield record
            continue
        nct_id = nct_id_of(location, record.get(id_field), id_field)
        yield nct_id if isinstance(nct_id, RecordError) else (location, line, record, nct_id)


def nct_id_of(location: str, value: object, field: str) -> str | RecordError:
    """The NCT id a record gives in its ``field`` (stripped, upper-cased), or the error that says why
    it gives none."""
    if not isinstance(value, str) or not value.strip():
        return RecordError(location, f"no {field}")
    nct_id = value.strip().upper()
    if not is_nct_id(nct_id):
        return RecordError(location, f"invalid {field} {nct_id!r}: not an NCT id")
    return nct_id


class XmlParserOptions(TypedDict):
    resolve_entities: bool
    no_network: bool
    load_dtd: bool
    huge_tree: bool


# Registry XML is untrusted: no entity expansion, no DTD or network fetches, libxml2's size and depth
# limits kept (every lxml parser of this package takes these).
LOCKED_DOWN_XML = XmlParserOptions(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
