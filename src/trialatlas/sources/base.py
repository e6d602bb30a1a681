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

import csv
import io
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import IO, Any, ClassVar, Protocol, TypedDict, TypeVar, cast, runtime_checkable

import orjson

from trialatlas.errors import PluginError, ReadLimitError, UnknownFormatError
from trialatlas.model import Age, Trial, coerce_enum, normalize_date, parse_age
from trialatlas.plugins import READERS, PluginGroup
from trialatlas.text.registry_ids import NCT_IN_BYTES, is_nct_id

SNIFF_BYTES = 8192
_CHUNK = 1 << 20
E = TypeVar("E", bound=StrEnum)

# --- coercions cached across records --------------------------------------------------------------

# Enum spellings, dates and ages repeat across records: each string is coerced once per process
# (bounded, so hostile input cannot grow the cache without limit). Non-strings are never cached:
# they take the uncached path and fail, or not, exactly as it does.
_MEMO_LIMIT = 50_000
_memo: dict[tuple[object, str], Any] = {}


def _memoized(kind: object, value: Any, compute: Callable[[Any], Any]) -> Any:
    if type(value) is not str:
        return compute(value)
    key = (kind, value)
    try:
        return _memo[key]
    except KeyError:
        found = _memo[key] = compute(value)
        if len(_memo) > _MEMO_LIMIT:
            _memo.clear()
        return found


def cached_enum(enum_type: type[E], value: Any) -> E | None:
    """:func:`~trialatlas.model.coerce_enum`, once per spelling."""
    if value is None:
        return None
    return cast("E | None", _memoized(enum_type, value, lambda v: coerce_enum(enum_type, v)))


def cached_date(value: Any) -> str | None:
    """:func:`~trialatlas.model.normalize_date`, once per spelling."""
    return None if value is None else cast("str | None", _memoized(normalize_date, value, normalize_date))


def cached_age(value: Any) -> Age | None:
    """:func:`~trialatlas.model.parse_age`, once per spelling (ages are frozen models, so one instance
    serves every record that states the same limit)."""
    return cast("Age | None", _memoized(parse_age, value, parse_age)) if value else None


@dataclass(frozen=True)
class RecordError:
    """One record (or a whole blob, or an archive member) that could not be read, and why.

    ``location`` names the file as given (with its ``.gz``/``.xz``/``.bz2`` suffix), then
    ``!member`` for an archive member and ``#record`` for a record in it; ``field`` names the field
    of the record at fault when one is (a dotted path in the record's own format).
    """

    location: str
    reason: str
    field: str | None = None

    def __str__(self) -> str:
        if self.field:
            return f"{self.location}: {self.field}: {self.reason}"
        return f"{self.location}: {self.reason}"


def error_from_exception(location: str, exc: BaseException, field: str | None = None) -> RecordError:
    """The one place an exception met while reading a record becomes a :class:`RecordError`.

    A pydantic validation error names the model field at fault; an input nested deeper than the
    parsers allow, and a value out of range, say so; anything else keeps its type and first line.
    """
    if isinstance(exc, RecursionError):
        return RecordError(location, "nested too deeply to be read", field)
    errors = getattr(exc, "errors", None)
    if type(exc).__name__ == "ValidationError" and callable(errors):
        first = errors()[0] if errors() else {}
        path = ".".join(str(part) for part in first.get("loc", ()))
        message = str(first.get("msg", "invalid value"))
        return RecordError(location, f"invalid value: {message}", field or path or None)
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    kind = type(exc).__name__
    reason = text if isinstance(exc, ReadLimitError) else f"{kind}: {text}" if text else kind
    return RecordError(location, reason, field)


@dataclass(frozen=True)
class ReadLimits:
    """How much a hostile input may make a reader hold or expand.

    ``member_bytes`` caps an archive member (held in memory while it is read), ``archive_bytes``
    all members of one archive together, ``stream_bytes`` a streamed ``.gz``/``.xz``/``.bz2`` file
    (read a record at a time) and ``expansion_ratio`` how many times its compressed size it may
    expand to (past 64 MiB: text compresses 5-20 times, bombs 1,000 and more); ``record_bytes``
    caps the raw text of one record (what a reader holds whole to parse, and keeps as the raw
    record), ``page_bytes`` a saved registry page. Set by environment
    (``TRIALATLAS_MAX_MEMBER_BYTES``, ``…_ARCHIVE_BYTES``, ``…_STREAM_BYTES``, ``…_RECORD_BYTES``,
    ``…_PAGE_BYTES``, ``TRIALATLAS_MAX_EXPANSION_RATIO``), so that reader processes see the same
    bounds.
    """

    member_bytes: int = 1 << 30
    archive_bytes: int = 64 << 30
    stream_bytes: int = 256 << 30
    record_bytes: int = 64 << 20
    page_bytes: int = 4 << 20
    expansion_ratio: int = 200

    @classmethod
    def from_environment(cls) -> ReadLimits:
        def value(name: str, default: int) -> int:
            text = os.environ.get(f"TRIALATLAS_MAX_{name}", "").strip()
            try:
                return max(1, int(text)) if text else default
            except ValueError:
                return default

        return cls(
            member_bytes=value("MEMBER_BYTES", cls.member_bytes),
            archive_bytes=value("ARCHIVE_BYTES", cls.archive_bytes),
            stream_bytes=value("STREAM_BYTES", cls.stream_bytes),
            record_bytes=value("RECORD_BYTES", cls.record_bytes),
            page_bytes=value("PAGE_BYTES", cls.page_bytes),
            expansion_ratio=value("EXPANSION_RATIO", cls.expansion_ratio),
        )

    def stream_limit(self, compressed_size: int | None) -> int:
        """What a compressed file of ``compressed_size`` bytes may expand to."""
        if compressed_size is None:
            return self.stream_bytes
        by_ratio = max(RATIO_FLOOR, self.expansion_ratio * compressed_size)
        return min(self.stream_bytes, by_ratio)


# Below this many expanded bytes a compression ratio is not judged (a small file of repeated bytes
# is harmless).
RATIO_FLOOR = 64 << 20


def read_limits() -> ReadLimits:
    return ReadLimits.from_environment()


def read_whole(stream: IO[bytes], limit: int | None = None, what: str = "record") -> bytes:
    """All of ``stream``, refusing it (:class:`ReadLimitError`) once past ``limit`` bytes (default:
    the record cap): what a reader holds whole is bounded, whatever the input expands to."""
    cap = read_limits().record_bytes if limit is None else limit
    # In chunks: one read of ``cap`` bytes would reserve the whole cap for every small file.
    chunks: list[bytes] = []
    total = 0
    while chunk := stream.read(min(_CHUNK, cap + 1 - total)):
        chunks.append(chunk)
        total += len(chunk)
        if total > cap:
            raise ReadLimitError(f"{what} larger than the {_size(cap)} limit: refused")
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _size(count: int) -> str:
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if count >= 1 << shift and count % (1 << shift) == 0:
            return f"{count >> shift} {unit}"
    return f"{count:,} bytes"


@dataclass(frozen=True)
class Blob:
    """A named byte stream; ``open`` may be called more than once and gives a fresh stream each time."""

    name: str
    open: Callable[[], IO[bytes]]
    size: int | None = None
    # The name records' ids are built on: the file's absolute, normalised path (and its members), so
    # that the same file typed another way (relative, absolute, ``./x``, another working directory)
    # gives the same ids; symbolic links are kept as written (a data directory reached through a link
    # keeps the ids it was ingested under). ``name`` stays as typed, for messages. ``None``: ``name``
    # is the id's name too.
    source_name: str | None = None

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


COMPRESSION_SUFFIXES = (".gz", ".xz", ".bz2")


def format_name(name: str) -> str:
    """The lower-cased name a blob's format is judged by: its last archive member's, without the
    compression suffixes (``a.zip!x.jsonl.gz`` → ``x.jsonl``); the blob keeps its real name."""
    lower = name.rsplit("!", 1)[-1].lower()
    while lower.endswith(COMPRESSION_SUFFIXES):
        lower = lower.rsplit(".", 1)[0]
    return lower


def strip_bom(head: bytes) -> bytes:
    return head[3:] if head.startswith(b"\xef\xbb\xbf") else head


def bounded_lines(stream: IO[bytes], limit: int | None = None) -> Iterator[bytes | None]:
    """The lines of ``stream``; ``None`` for a line longer than ``limit`` bytes (default: the record
    cap), which is skipped without being held: one hostile line never costs its size in memory."""
    cap = read_limits().record_bytes if limit is None else limit
    while line := stream.readline(cap + 1):
        if len(line) <= cap or line.endswith(b"\n"):
            yield line
            continue
        while (rest := stream.readline(_CHUNK)) and not rest.endswith(b"\n"):
            pass
        yield None


def json_lines(blob: Blob) -> Iterator[tuple[int, bytes] | RecordError]:
    """The non-blank lines of a JSON-lines blob with their 1-based numbers, a leading BOM removed;
    a line past the record cap is an error in its place."""
    with blob.open() as stream:
        for number, line in enumerate(bounded_lines(stream), start=1):
            if line is None:
                yield RecordError(f"{blob.name}#line {number}", _too_long())
                continue
            if number == 1:
                line = strip_bom(line)
            if line.strip():
                yield number, line


def _too_long() -> str:
    return f"record larger than the {_size(read_limits().record_bytes)} limit: refused"


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
    except (orjson.JSONDecodeError, RecursionError) as exc:
        return RecordError(location, f"not a JSON line: {exc}")
    if not isinstance(record, dict):
        return RecordError(location, f"not a JSON object but {type(record).__name__}")
    return record


def json_line_objects(blob: Blob) -> Iterator[tuple[str, bytes, dict[str, Any]] | RecordError]:
    """Each line of a JSON-lines blob as ``(location, the line, its object)``, or the error that says
    why the line is not one."""
    for item in json_lines(blob):
        if isinstance(item, RecordError):  # a line past the record bound
            yield item
            continue
        number, line = item
        location = f"{blob.name}#line {number}"
        record = json_object(location, line)
        yield record if isinstance(record, RecordError) else (location, line, record)


def json_line_records(
    blob: Blob, id_field: str
) -> Iterator[tuple[str, bytes, dict[str, Any], str] | RecordError]:
    """Each line of a JSON-lines blob as ``(location, the line, its object, the NCT id in id_field)``,
    or the error that says why the line is not one."""
    for item in json_line_objects(blob):
        if isinstance(item, RecordError):
            yield item
            continue
        location, line, record = item
        nct_id = nct_id_of(location, record.get(id_field), id_field)
        yield nct_id if isinstance(nct_id, RecordError) else (location, line, record, nct_id)


class NctJsonLinesReader:
    """A reader of JSON lines that each give one trial keyed by its NCT id in ``id_field``.

    A format names itself and its id field, tells one of its records (:meth:`is_record`), and reads
    one (:meth:`record`); a line that is not JSON, not an object or without a valid NCT id is an
    error in its place, as is a record :meth:`record` refuses.
    """

    name: ClassVar[str]
    id_field: ClassVar[str]

    def is_record(self, record: Any) -> bool:
        """Whether a parsed line is one of this format's records (sniffing)."""
        raise NotImplementedError

    def sniff_start(self, head: bytes) -> float:
        """How sure the reader is from the start of a first line longer than the sniffed bytes
        (``head`` without BOM and leading space); :meth:`starts_with_id` tells the line's opening."""
        return 0.0

    def record(
        self, blob: Blob, location: str, line: bytes, record: dict[str, Any], nct_id: str
    ) -> ReadResult:
        raise NotImplementedError

    def starts_with_id(self, head: bytes) -> bool:
        """Whether ``head`` opens a JSON object whose first key is ``id_field`` with an NCT id."""
        opening = rb'^\s*\{\s*"' + self.id_field.encode() + rb'"\s*:\s*"' + NCT_IN_BYTES.pattern + rb'"\s*,'
        return re.match(opening, head) is not None

    def sniff(self, head: bytes, name: str) -> float:
        score = sniff_json_lines(head, self._is_record_line)
        return score if score is not None else self.sniff_start(strip_bom(head).lstrip())

    def read(self, blob: Blob) -> Iterator[ReadResult]:
        for item in json_line_records(blob, self.id_field):
            yield item if isinstance(item, RecordError) else self.record(blob, *item)

    def _is_record_line(self, line: bytes) -> bool:
        try:
            return self.is_record(orjson.loads(line))
        except orjson.JSONDecodeError:
            return False


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


# Far above any real CSV field (the largest in the shared data is ~75 kB) yet bounded, so a stray
# quote that swallows the rest of a file fails as one record instead of growing without limit.
FIELD_SIZE_LIMIT = 32 * 1024 * 1024


def first_csv_row(head: bytes) -> list[str]:
    """The cells of the first row of a CSV blob from its first bytes (empty when unreadable)."""
    text = strip_bom(head).decode("utf-8", errors="replace")
    try:
        return next(csv.reader(io.StringIO(text)), [])
    except csv.Error:
        return []


def csv_rows(blob: Blob, *, decode_errors: str = "replace") -> Iterator[list[str] | csv.Error]:
    """Each non-blank row of a CSV blob, or the ``csv.Error`` that spoiled it (reading goes on after
    it): a leading BOM dropped, undecodable bytes handled by ``decode_errors``, no field longer than
    :data:`FIELD_SIZE_LIMIT`."""
    csv.field_size_limit(max(csv.field_size_limit(), FIELD_SIZE_LIMIT))
    # newline="" lets the csv module see "\r\n" inside quoted fields.
    with (
        blob.open() as binary,
        io.TextIOWrapper(binary, encoding="utf-8-sig", errors=decode_errors, newline="") as text,
    ):
        rows = csv.reader(text)
        while True:
            try:
                cells = next(rows)
            except StopIteration:
                return
            except csv.Error as exc:
                yield exc
                continue
            if any(cell.strip() for cell in cells):
                yield cells


def numbered_rows(
    blob_name: str, rows: Iterable[list[str] | csv.Error]
) -> Iterator[tuple[str, list[str]] | RecordError]:
    """Data rows as ``(location, cells)`` numbered from 1 (``name#row 3``), a malformed row an error
    in its place that keeps its number."""
    for number, row in enumerate(rows, start=1):
        location = f"{blob_name}#row {number}"
        if isinstance(row, csv.Error):
            yield RecordError(location, f"malformed CSV: {row}")
        else:
            yield location, row
