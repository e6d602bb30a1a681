"""The store contract: what services need from any backend (SQLite by default, PostgreSQL later).

A store keeps trials by key (the NCT id, else the registry id it was first read under, else
``ORG:<org study id>``), each with the raw records it
was read from. ``upsert_batch`` is the only write and is atomic: a batch lands whole or not at all.
Merging an incoming record with the stored one is the model's job
(:func:`trialatlas.model.merge.merge_trials`); the store only decides what to persist.

Besides the protocol this module holds what every backend shares, so that they cannot drift apart:
the trial codec, the identity index (which ids find a trial) and the rows a backend writes. The
planner (:mod:`trialatlas.store.planner`) turns a batch of incoming trials into the exact rows to
write; a backend only reads what the planner asks for and applies the plan in its own transaction.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from trialatlas.errors import QueryError, StoreError
from trialatlas.model import SecondaryIdType, Trial
from trialatlas.store.history import TrialVersion
from trialatlas.text.registry_ids import CTGOV, ID_CACHE_SIZE, identify, registry_of

if TYPE_CHECKING:
    from trialatlas.store.planner import PreparedTrial


class UpsertOutcome(StrEnum):
    NEW = "new"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass
class UpsertSummary:
    """What one batch did, per final store key (a key merged twice in one batch counts once).

    ``renamed`` maps keys that no longer exist to the key their trial now lives under (an
    ``ORG:`` trial that gained an NCT id, or a trial filed under an NCT id that became an alias);
    anything indexing trials by key (search, caches) must drop the old key.
    """

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    outcomes: dict[str, UpsertOutcome] = field(default_factory=dict)
    renamed: dict[str, str] = field(default_factory=dict)

    def add(self, key: str, outcome: UpsertOutcome) -> None:
        self.outcomes[key] = outcome
        if outcome is UpsertOutcome.NEW:
            self.new += 1
        elif outcome is UpsertOutcome.UPDATED:
            self.updated += 1
        else:
            self.unchanged += 1


# Columns ``count_by`` accepts; phases, countries and registries hold several '|'-joined values each.
# ``registries`` is no column of the trials table: it is read from a trial's ids (``registries_of_ids``).
COUNT_COLUMNS: tuple[str, ...] = (
    "overall_status",
    "study_type",
    "phases",
    "countries",
    "start_year",
    "registries",
)
MULTI_VALUED_COLUMNS = frozenset({"phases", "countries", "registries"})


@runtime_checkable
class SecretKeeper(Protocol):
    """A store that keeps secrets in itself (a server database): every process using it reads the
    same one. A store without (a file's secrets live beside it; memory's, with the process) is not."""

    def shared_secret(self, name: str) -> bytes:
        """The random secret called ``name``, created on first ask and the same ever after."""
        ...


@runtime_checkable
class TrialStore(Protocol):
    """What every backend provides."""

    location: str

    def upsert_batch(self, trials: Sequence[Trial | PreparedTrial]) -> UpsertSummary:
        """Merge each trial into the store, in one transaction (a prepared trial is written as a
        reader process prepared it, unless it merges with another)."""
        ...

    def get(self, key: str) -> Trial | None:
        """The trial by NCT id, store key, NCT alias, org study id or secondary id; ``None`` when absent."""
        ...

    def get_many(self, keys: Sequence[str]) -> list[Trial]:
        """The trials that exist (asked by any id ``get`` accepts), in the order asked."""
        ...

    def raw_records(self, key: str) -> list[tuple[str, str]]:
        """``(source id, raw text)`` of every record the trial was read from, oldest first."""
        ...

    def iter_trials(self, batch_size: int = 500) -> Iterator[Trial]:
        """Every trial, in key order."""
        ...

    def keys(self) -> list[str]: ...

    def count(self) -> int: ...

    def delete(self, keys: Iterable[str]) -> int:
        """Remove the trials with these store keys (and their raw records); how many existed."""
        ...

    def changes_since(self, seq: int) -> tuple[int, list[str]]:
        """The change feed: the newest change number, and each key written, renamed away or deleted
        after change ``seq`` (once each, oldest first). Derived indexes keep the number they reached
        and catch up from here; a key whose ``get`` now returns None is gone."""
        ...

    def versions(self, key: str) -> list[TrialVersion]:
        """Every version of the trial (asked by any id ``get`` accepts), oldest first, the current one
        last; ``[]`` when absent. An upsert that changes a trial keeps the version it replaces."""
        ...

    def export_trials(self, batch_size: int = 500) -> Iterator[StoredTrial]:
        """Everything stored of every trial (raw records and history included), in key order."""
        ...

    def import_trials(self, items: Sequence[StoredTrial]) -> int:
        """Write exported trials as they are, in one transaction, without merging; a key already
        stored is refused (``StoreError``) and nothing is written. How many were written."""
        ...

    def count_by(
        self, column: str, missing: str | None = None, canonical: Callable[[str], str] | None = None
    ) -> list[tuple[str, int]]:
        """How many trials have each value of a :data:`COUNT_COLUMNS` column, most frequent first;
        trials with no value are counted under ``missing`` when it is given, else left out. With
        ``canonical``, values are counted under the name it gives them, a trial once per name."""
        ...

    def stats(self) -> dict[str, int]:
        """Row counts: trials, partial trials, raw records, raw records holding text, ids."""
        ...

    def content_digest(self) -> str:
        """sha256 over every key, trial and raw record, in key order; equal content, equal digest."""
        ...

    def integrity_check(self, *, deep: bool = True) -> list[str]:
        """Problems found (``[]`` when consistent); ``deep`` also decodes every trial."""
        ...

    def close(self) -> None: ...


@runtime_checkable
class DerivedBlobs(Protocol):
    """Named blobs derived from a store and kept in its own database, so that every process (and
    machine) that opens the store reads the same one instead of deriving its own: the related-trials
    index and the matcher's term statistics of a PostgreSQL store. A file store keeps the same data as
    files beside it (:func:`trialatlas.store.derived_path`). ``stamp`` is a short text that says what
    a blob holds (the store's change number it caught up with), read without the blob."""

    def derived_stamp(self, name: str) -> str | None: ...

    def read_derived(self, name: str) -> tuple[str, bytes] | None:
        """``(stamp, blob)``; ``None`` when there is none."""
        ...

    def write_derived(self, name: str, stamp: str, data: bytes) -> None:
        """Replace the blob whole and atomically: a reader sees the old one or the new one."""
        ...


def derived_blobs(store: object) -> DerivedBlobs | None:
    """``store`` as the keeper of its shared derived blobs, when it keeps them in its database."""
    return store if isinstance(store, DerivedBlobs) else None


# --- codec -------------------------------------------------------------------------------------

# Raw text lives beside the trial (raw_records), never inside it: it is the bulk of the bytes and
# is read far less often than the trial.
_WITHOUT_RAW: Any = {"sources": {"__all__": {"raw"}}}


def encode_trial(trial: Trial) -> bytes:
    """The stored form of a trial: compact JSON without defaults and without raw text.

    Deterministic for equal trials (field order is the model's), so stored bytes can be compared
    to decide whether an upsert changed anything. (The model's serializer writes the bytes
    ``model_dump_json`` would decode into a string: called directly, nothing is decoded and
    encoded again, a fifth of the cost.)
    """
    return Trial.__pydantic_serializer__.to_json(trial, exclude_defaults=True, exclude=_WITHOUT_RAW)


def decode_trial(data: bytes) -> Trial:
    return Trial.model_validate_json(data)


def raw_sha(raw: str) -> bytes:
    return hashlib.sha256(raw.encode()).digest()


# --- identity ----------------------------------------------------------------------------------


class IdKind(StrEnum):
    NCT = "nct"
    ALIAS = "alias"
    # The trial's own id in another registry (EUCTR2016-004489-24, ISRCTN96912679), canonical.
    REGISTRY = "registry"
    # A registry id the trial's records name as the same trial's (secondary ids, bridged records).
    LINK = "link"
    ORG = "org"
    SECONDARY = "secondary"
    GRANT = "grant"


# Order in which ``get`` prefers an id's meanings when one string names several trials.
ID_PRIORITY: dict[str, int] = {kind.value: rank for rank, kind in enumerate(IdKind)}

# One grant funds many trials, so a grant number names a funding line, not a trial: such ids find
# trials but never bridge two records into one.
_GRANT_TYPES = frozenset(
    {
        SecondaryIdType.NIH,
        SecondaryIdType.FDA,
        SecondaryIdType.VA,
        SecondaryIdType.CDC,
        SecondaryIdType.AHRQ,
        SecondaryIdType.SAMHSA,
        SecondaryIdType.OTHER_GRANT,
    }
)
ORG_KEY_PREFIX = "ORG:"


def normalize_id(text: str) -> str:
    """Registries differ in case and spacing of the same id ("nct01234567", "ABC  123"), and a
    registry id in how it is written ("2016-004489-24", "EudraCT 2016-004489-24", a member state's
    "EUCTR2016-004489-24-DE"): those become their registry's canonical id."""
    return _normalize_id(text)


@functools.lru_cache(maxsize=ID_CACHE_SIZE)
def _normalize_id(text: str) -> str:
    found = identify(text) if any(ch.isdigit() for ch in text) else None
    return (found.id if found else " ".join(text.split())).upper()


def identity_ids(trial: Trial) -> list[tuple[str, str]]:
    """``(normalised id, kind)`` of every id that should find ``trial``, without repeats."""
    pairs: dict[tuple[str, str], None] = {}
    if trial.nct_id:
        pairs[normalize_id(trial.nct_id), IdKind.NCT.value] = None
    for alias in trial.nct_id_aliases:
        if alias.strip():
            pairs[normalize_id(alias), IdKind.ALIAS.value] = None
    own: set[str] = {normalize_id(trial.nct_id)} if trial.nct_id else set()
    for registry_id in trial.registry_ids:
        if registry_id.strip():
            own.add(normalize_id(registry_id))
            pairs[normalize_id(registry_id), IdKind.REGISTRY.value] = None
    if trial.org_study_id and trial.org_study_id.strip():
        pairs[normalize_id(trial.org_study_id), IdKind.ORG.value] = None
    for secondary in trial.secondary_ids:
        if not secondary.id.strip():
            continue
        linked = identify(secondary.id) if secondary.type not in _GRANT_TYPES else None
        if linked is not None:
            if normalize_id(linked.id) not in own:
                pairs[normalize_id(linked.id), IdKind.LINK.value] = None
            continue
        kind = IdKind.GRANT if secondary.type in _GRANT_TYPES else IdKind.SECONDARY
        pairs[normalize_id(secondary.id), kind.value] = None
    return list(pairs)


def registries_of_ids(ids: Iterable[tuple[str, str]]) -> str | None:
    """The registries a trial is held by, '|'-joined, from its stored ``(id, kind)`` pairs: its NCT id
    counts as ClinicalTrials.gov, each of its own registry ids as that id's registry (as
    :attr:`trialatlas.model.trial.Trial.registries` reads them from the trial itself)."""
    codes: set[str] = set()
    for found, kind in ids:
        if kind == IdKind.NCT.value:
            codes.add(CTGOV)
        elif kind == IdKind.REGISTRY.value and (code := registry_of(found)):
            codes.add(code)
    return "|".join(sorted(codes)) or None


# --- rows --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RawMeta:
    """What a backend knows of one stored raw record without reading its text.

    ``reading`` is the sha256 of the trial a reader made of the record, when it was upserted on its
    own: with ``sha`` it recognises a re-read of an unchanged record by an unchanged reader.
    """

    format: str
    location: str
    record_date: str | None
    sha: bytes | None
    reading: bytes | None

    @property
    def content(self) -> tuple[str, str, str | None, bytes | None]:
        """What the record says, as opposed to how it was last read."""
        return (self.format, self.location, self.record_date, self.sha)


@dataclass(frozen=True, slots=True)
class RawWrite:
    """A raw record to insert or update.

    ``raw`` of ``None`` keeps the stored text, checksum and reading; a new ``raw`` replaces all three.
    """

    trial_key: str
    source_id: str
    format: str
    location: str
    record_date: str | None
    sha: bytes | None
    raw: str | None
    reading: bytes | None
    # ``raw`` compressed where it was read, and at what level (see :class:`TrialRow`).
    packed: tuple[int, bytes] | None = None


@dataclass(frozen=True, slots=True)
class StoredTrial:
    """Everything a store keeps of one trial, as :func:`copy_store` moves it between backends.

    ``data`` is the encoded trial (uncompressed), ``raws`` its raw records with their text where
    stored, ``versions`` its superseded versions oldest first as ``(stored at, replaced at, data)``.
    """

    key: str
    data: bytes
    stored_at: str
    raws: tuple[RawWrite, ...]
    versions: tuple[tuple[str, str, bytes], ...]


@dataclass(frozen=True, slots=True)
class TrialRow:
    """A trial as stored: filterable columns copied out of it, and its encoded form."""

    key: str
    nct_id: str | None
    org_study_id: str | None
    is_partial: bool
    record_date: str | None
    overall_status: str | None
    study_type: str | None
    phases: str | None
    start_date: str | None
    last_update: str | None
    enrollment: int | None
    min_age_years: float | None
    max_age_years: float | None
    sex: str | None
    countries: str | None
    title: str | None
    n_sources: int
    data: bytes
    # ``data`` zlib-compressed at a level by a reader process; a backend that stores it compressed at
    # that level writes these bytes rather than compressing it again.
    packed: tuple[int, bytes] | None = None

    def value_of(self, column: str) -> str | None:
        """The value ``count_by`` groups by."""
        if column == "start_year":
            return self.start_date[:4] if self.start_date else None
        value = getattr(self, column)
        return value if isinstance(value, str) else None


def trial_row(key: str, trial: Trial, data: bytes) -> TrialRow:
    status, design, eligibility = trial.status, trial.design, trial.eligibility
    record_date = trial.record_date
    return TrialRow(
        key=key,
        nct_id=trial.nct_id,
        org_study_id=trial.org_study_id,
        is_partial=trial.is_partial,
        record_date=record_date.isoformat() if record_date else None,
        overall_status=status.overall_status.value if status.overall_status else None,
        study_type=design.study_type.value if design.study_type else None,
        phases="|".join(phase.value for phase in design.phases) or None,
        start_date=status.start_date.date if status.start_date else None,
        last_update=(
            status.last_update_post_date.date
            if status.last_update_post_date
            else status.last_update_submit_date
        ),
        enrollment=design.enrollment.count if design.enrollment else None,
        min_age_years=eligibility.minimum_age.years if eligibility.minimum_age else None,
        max_age_years=eligibility.maximum_age.years if eligibility.maximum_age else None,
        sex=eligibility.sex.value if eligibility.sex else None,
        countries="|".join(trial.countries) or None,
        title=trial.title or None,
        n_sources=len(trial.sources),
        data=data,
    )


def check_count_column(column: str) -> None:
    if column not in COUNT_COLUMNS:
        raise QueryError(f"cannot count by {column!r}; choose one of {', '.join(COUNT_COLUMNS)}")


def tally(
    column: str,
    grouped: Iterable[tuple[str | None, int]],
    missing: str | None = None,
    canonical: Callable[[str], str] | None = None,
) -> list[tuple[str, int]]:
    """Counts per value from ``(column value, trials)`` groups, most frequent first, then by value;
    trials without a value under ``missing`` when it is given; values named by ``canonical`` when it
    is given, two spellings of one value in a trial's column counted once."""
    counts: dict[str, int] = {}
    multi = column in MULTI_VALUED_COLUMNS
    for value, number in grouped:
        if not value:
            if missing is not None:
                counts[missing] = counts.get(missing, 0) + number
            continue
        parts = value.split("|") if multi else [value]
        for part in dict.fromkeys(canonical(p) for p in parts) if canonical else parts:
            counts[part] = counts.get(part, 0) + number
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


class ContentDigest:
    """The digest ``content_digest`` returns, fed in key order (and source-id order within a key).

    It hashes the uncompressed trial JSON and raw text, so it does not depend on the backend or on
    the compression level; every field is length-prefixed so that no two contents collide by
    concatenation.
    """

    def __init__(self) -> None:
        self._hash = hashlib.sha256()

    def _field(self, value: str | bytes | None) -> None:
        if value is None:
            self._hash.update(b"\xff")
            return
        data = value.encode() if isinstance(value, str) else value
        self._hash.update(len(data).to_bytes(8, "big"))
        self._hash.update(data)

    def trial(self, key: str, data: bytes) -> None:
        self._hash.update(b"T")
        self._field(key)
        self._field(data)

    def raw(
        self, source_id: str, format: str, location: str, record_date: str | None, text: str | None
    ) -> None:
        self._hash.update(b"R")
        for value in (source_id, format, location, record_date, text):
            self._field(value)

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


def check_trial(key: str, trial: Trial, raw_source_ids: set[str], ids: set[tuple[str, str]]) -> list[str]:
    """What is inconsistent between a stored trial, its raw records and its id rows."""
    problems: list[str] = []
    try:
        if trial.key != key:
            problems.append(f"{key}: holds trial {trial.key}")
    except ValueError:
        problems.append(f"{key}: holds a trial with neither NCT id nor org study id")
    source_ids = {source.id for source in trial.sources}
    if missing := sorted(source_ids - raw_source_ids):
        problems.append(f"{key}: no raw record for sources {', '.join(missing)}")
    if extra := sorted(raw_source_ids - source_ids):
        problems.append(f"{key}: raw records of unknown sources {', '.join(extra)}")
    if set(identity_ids(trial)) != ids:
        problems.append(f"{key}: id rows do not match the trial's ids")
    return problems


# --- copying between backends ------------------------------------------------------------------


@dataclass
class CopyReport:
    trials: int
    versions: int
    digest: str


def copy_store(
    source: TrialStore,
    target: TrialStore,
    *,
    batch_size: int = 500,
    on_progress: Callable[[int], None] | None = None,
) -> CopyReport:
    """Copy every trial of ``source`` (raw records and history included) into an empty ``target``.

    Trials are written as stored, not merged again, so the copy holds the same content (the digest
    is checked) whatever the order or identity bridging of the original ingest was.
    """
    if target.count():
        raise StoreError(f"{target.location}: the target store is not empty")
    copied = versions = 0
    batch: list[StoredTrial] = []
    for item in source.export_trials(batch_size):
        batch.append(item)
        versions += len(item.versions)
        if len(batch) >= batch_size:
            copied += target.import_trials(batch)
            batch.clear()
            if on_progress is not None:
                on_progress(copied)
    if batch:
        copied += target.import_trials(batch)
    digest = source.content_digest()
    if target.content_digest() != digest:
        raise StoreError(f"{target.location}: the copy differs from {source.location}")
    return CopyReport(copied, versions, digest)
