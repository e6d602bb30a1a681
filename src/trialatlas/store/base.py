"""The store contract: what services need from any backend (SQLite by default, PostgreSQL later).

A store keeps trials by key (the NCT id, else the registry id it was first read under, else
``ORG:<org study id>``), each with the raw records it
was read from. ``upsert_batch`` is the only write and is atomic: a batch lands whole or not at all.
Merging an incoming record with the stored one is the model's job
(:func:`trialatlas.model.merge.merge_trials`); the store only decides what to persist.

Besides the protocol this module holds what every backend shares, so that they cannot drift apart:
the trial codec, the identity index (which ids find a trial), and :func:`plan_batch`, which turns a
batch of incoming trials into the exact rows to write. A backend only reads what the planner asks for
and applies the plan inside its own transaction.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from trialatlas.errors import QueryError, StoreError
from trialatlas.model import SecondaryIdType, Trial
from trialatlas.model.merge import merge_trials
from trialatlas.store.history import TrialVersion
from trialatlas.text.registry_ids import identify, is_nct_id, registry_of


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


# Columns ``count_by`` accepts; phases and countries hold several '|'-joined values each.
COUNT_COLUMNS: tuple[str, ...] = ("overall_status", "study_type", "phases", "countries", "start_year")
MULTI_VALUED_COLUMNS = frozenset({"phases", "countries"})


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

    def upsert_batch(self, trials: Sequence[Trial]) -> UpsertSummary:
        """Merge each trial into the store, in one transaction."""
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

    def count_by(self, column: str) -> list[tuple[str, int]]:
        """How many trials have each value of a :data:`COUNT_COLUMNS` column, most frequent first."""
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


# --- codec -------------------------------------------------------------------------------------

# Raw text lives beside the trial (raw_records), never inside it: it is the bulk of the bytes and
# is read far less often than the trial.
_WITHOUT_RAW: Any = {"sources": {"__all__": {"raw"}}}


def encode_trial(trial: Trial) -> bytes:
    """The stored form of a trial: compact JSON without defaults and without raw text.

    Deterministic for equal trials (field order is the model's), so stored bytes can be compared
    to decide whether an upsert changed anything.
    """
    return trial.model_dump_json(exclude_defaults=True, exclude=_WITHOUT_RAW).encode()


def decode_trial(data: bytes) -> Trial:
    return Trial.model_validate_json(data)


# What a trial says, as opposed to where it was read from: a version is kept only when this changes.
_CONTENT_ONLY: Any = {"sources": True, "field_sources": True}


def _content_changed(trial: Trial, stored: bytes, encoded: bytes) -> bool:
    if stored == encoded:
        return False
    before = decode_trial(stored).model_dump_json(exclude_defaults=True, exclude=_CONTENT_ONLY)
    return before != trial.model_dump_json(exclude_defaults=True, exclude=_CONTENT_ONLY)


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
_BRIDGING_KINDS = frozenset({IdKind.ORG.value, IdKind.SECONDARY.value, IdKind.LINK.value})
_NCT_KINDS = frozenset({IdKind.NCT.value, IdKind.ALIAS.value})
# Ids of registry shape: a record's own (NCT, registry) and the ones it names as its other registrations.
_REGISTRY_KINDS = frozenset({IdKind.NCT.value, IdKind.REGISTRY.value, IdKind.LINK.value})
ORG_KEY_PREFIX = "ORG:"


def normalize_id(text: str) -> str:
    """Registries differ in case and spacing of the same id ("nct01234567", "ABC  123"), and a
    registry id in how it is written ("2016-004489-24", "EudraCT 2016-004489-24", a member state's
    "EUCTR2016-004489-24-DE"): those become their registry's canonical id."""
    return _normalize_id(text)


@functools.lru_cache(maxsize=65536)
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


def _has_nct(key: str) -> bool:
    """Whether the trial stored under ``key`` has an NCT id (it is then keyed by it)."""
    return is_nct_id(key)


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


def tally(column: str, grouped: Iterable[tuple[str | None, int]]) -> list[tuple[str, int]]:
    """Counts per value from ``(column value, trials)`` groups, most frequent first, then by value."""
    counts: dict[str, int] = {}
    multi = column in MULTI_VALUED_COLUMNS
    for value, number in grouped:
        if not value:
            continue
        for part in value.split("|") if multi else (value,):
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


# --- planning an upsert ------------------------------------------------------------------------


class StoredState(Protocol):
    """The reads :func:`plan_batch` needs, answered inside the backend's write transaction."""

    def find_ids(self, ids: Sequence[str]) -> list[tuple[str, str, str]]:
        """``(id, kind, key)`` for every stored trial that one of these normalised ids finds."""
        ...

    def find_sources(self, source_ids: Sequence[str]) -> list[tuple[str, str, RawMeta]]:
        """``(source id, trial key, record)`` for every stored raw record with one of these ids."""
        ...

    def load_data(self, keys: Sequence[str]) -> dict[str, bytes]:
        """Encoded trials of the keys that exist."""
        ...

    def load_raws(self, keys: Sequence[str]) -> dict[str, dict[str, RawMeta]]:
        """Per key, what is stored of each raw record."""
        ...


@dataclass
class BatchPlan:
    """The writes of one batch, to apply in this order: renames, superseded versions, trial rows, ids,
    raw records.

    ``superseded`` lists the keys (after renames) whose stored trial this batch replaces with one that
    says something else (not just other provenance): the backend copies the stored version into its
    history before writing the row.
    """

    summary: UpsertSummary
    renames: list[tuple[str, str]] = field(default_factory=list)
    superseded: list[str] = field(default_factory=list)
    rows: list[TrialRow] = field(default_factory=list)
    replace_ids_of: list[str] = field(default_factory=list)
    ids: list[tuple[str, str, str]] = field(default_factory=list)
    raws: list[RawWrite] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Reading:
    """An incoming single-source trial with its raw text: what a reader made of one record."""

    source_id: str
    encoded: bytes
    sha: bytes
    reading: bytes


def _reading_of(trial: Trial) -> _Reading | None:
    if len(trial.sources) != 1:
        return None
    source = trial.sources[0]
    if source.raw is None:
        return None
    encoded = encode_trial(trial)
    return _Reading(source.id, encoded, raw_sha(source.raw), hashlib.sha256(encoded).digest())


@dataclass(eq=False)
class _Work:
    trial: Trial
    origin: str | None
    stored_data: bytes | None
    stored_raws: dict[str, RawMeta]
    encoded: bytes | None = None
    batch_raws: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    readings: dict[str, bytes] = field(default_factory=dict)


class _Planner:
    def __init__(self, state: StoredState) -> None:
        self.state = state
        self.work: dict[str, _Work] = {}
        self.missing: set[str] = set()
        # Trials this batch merged or created, in first-touch order; an entry keeps its place when
        # renamed. ``touched_keys`` holds their keys before and after renames.
        self.touched: dict[int, _Work] = {}
        self.touched_keys: set[str] = set()
        # Keys only re-read records reached: unchanged unless a merge touches them too.
        self.skipped: dict[str, None] = {}
        # normalised id → {key: kind}; complete for every id of the batch, kept current as it merges.
        self.index: dict[str, dict[str, str]] = {}

    def prefetch(
        self, trials: Sequence[Trial], keys: list[str], readings: list[_Reading | None]
    ) -> list[str | None]:
        """Read what the batch needs in a few set queries; the stored key of each re-read record."""
        source_ids = sorted({reading.source_id for reading in readings if reading is not None})
        stored: dict[str, list[tuple[str, RawMeta]]] = {}
        for source_id, key, meta in self.state.find_sources(source_ids):
            stored.setdefault(source_id, []).append((key, meta))
        reread: list[str | None] = []
        for reading in readings:
            hits = stored.get(reading.source_id, []) if reading is not None else []
            same = sorted(
                key
                for key, meta in hits
                if reading and meta.sha == reading.sha and meta.reading == reading.reading
            )
            reread.append(same[0] if same else None)

        ids = sorted({normalized for trial in trials for normalized, _ in identity_ids(trial)})
        for normalized in ids:
            self.index[normalized] = {}
        for normalized, kind, key in self.state.find_ids(ids):
            self.index[normalized][key] = kind
        # Load what merges will need. Candidates reached by other ids wait until chosen: org,
        # secondary and grant ids can be shared by many trials, and most batches bridge none.
        wanted: set[str] = set()
        for trial, key, known in zip(trials, keys, reread, strict=True):
            if known is None:
                wanted.add(key)
                for normalized, _ in identity_ids(trial):
                    hits_of_id = self.index[normalized].items()
                    wanted.update(k for k, kind in hits_of_id if kind in _NCT_KINDS | _REGISTRY_KINDS)
        self._load(sorted(wanted))
        return reread

    def _load(self, keys: list[str]) -> None:
        needed = [key for key in keys if key not in self.work and key not in self.missing]
        if not needed:
            return
        datas = self.state.load_data(needed)
        raws = self.state.load_raws(sorted(datas))
        for key, data in datas.items():
            self.work[key] = _Work(decode_trial(data), key, data, raws.get(key, {}))
        self.missing.update(key for key in needed if key not in datas)

    def _nct_target(self, trial: Trial) -> str | None:
        if trial.nct_id:
            hits = self.index.get(normalize_id(trial.nct_id), {})
            aliased = sorted(key for key, kind in hits.items() if kind == IdKind.ALIAS.value)
            if aliased:
                return aliased[0]
        # The incoming record says a stored NCT id is obsolete: that trial is this one.
        for alias in trial.nct_id_aliases:
            hits = self.index.get(normalize_id(alias), {})
            named = sorted(key for key, kind in hits.items() if kind == IdKind.NCT.value)
            if named:
                return named[0]
        return None

    def _link_target(self, trial: Trial) -> str | None:
        """The one stored trial that shares a registry id with ``trial``: one names the other's own id
        (ICTRP secondary ids, CTIS ``eudraCtInfo``, ISRCTN ``externalRefs``), or both name the same.

        Registry ids name one trial each, unlike org ids; still, two records with different NCT ids,
        or with different ids in the same registry, are different trials, and an id linking to
        several stored trials bridges nothing (a missed merge leaves a duplicate, a wrong one
        corrupts a trial).
        """
        own_registries: dict[str, str] = {}
        for registry_id in trial.registry_ids:
            if code := registry_of(registry_id):
                own_registries.setdefault(code, normalize_id(registry_id))
        candidates: set[str] = set()
        for normalized, own_kind in identity_ids(trial):
            if own_kind not in _REGISTRY_KINDS:
                continue
            for key, kind in self.index.get(normalized, {}).items():
                if kind in _REGISTRY_KINDS:
                    candidates.add(key)
        fitting = sorted(key for key in candidates if not self._conflicts(trial, key, own_registries))
        return fitting[0] if len(fitting) == 1 else None

    @staticmethod
    def _conflicts(trial: Trial, key: str, own_registries: dict[str, str]) -> bool:
        if trial.nct_id and _has_nct(key):
            return normalize_id(trial.nct_id) != normalize_id(key)
        code = registry_of(key)
        return code is not None and code in own_registries and own_registries[code] != normalize_id(key)

    def _bridge_target(self, trial: Trial) -> str | None:
        """The one stored trial sharing an org or registry id, when exactly one fits.

        Two records with different NCT ids are different trials whatever else they share, and an
        ambiguous id bridges nothing: a missed merge leaves a duplicate, a wrong one corrupts a trial.
        """
        by_org: set[str] = set()
        anywhere: set[str] = set()
        for normalized, own_kind in identity_ids(trial):
            if own_kind not in _BRIDGING_KINDS:
                continue
            for key, kind in self.index.get(normalized, {}).items():
                if kind not in _BRIDGING_KINDS or (trial.nct_id and _has_nct(key)):
                    continue
                anywhere.add(key)
                if own_kind == kind == IdKind.ORG.value:
                    by_org.add(key)
        for candidates in (by_org, anywhere):
            if len(candidates) == 1:
                return next(iter(candidates))
        return None

    def _unindex(self, key: str, trial: Trial) -> None:
        for normalized, _ in identity_ids(trial):
            self.index.get(normalized, {}).pop(key, None)

    def _index(self, key: str, trial: Trial) -> None:
        for normalized, kind in identity_ids(trial):
            self.index.setdefault(normalized, {})[key] = kind

    def add(self, trial: Trial, key: str, reading: _Reading | None, reread: str | None) -> None:
        # A record already merged, re-read unchanged by an unchanged reader, would merge to the same
        # trial (or, on a date tie, flip fields back and forth): skip it, unless this batch already
        # changed that trial, in which case merging in order is what the batch means.
        if reread is not None and reread not in self.touched_keys:
            self.skipped[reread] = None
            return
        self._load([key])
        target = (
            key
            if key in self.work
            else (self._nct_target(trial) or self._link_target(trial) or self._bridge_target(trial))
        )
        if target is None:
            entry = self.work[key] = _Work(
                trial, None, None, {}, encoded=reading.encoded if reading else None
            )
            self._index(key, trial)
            self.touched_keys.add(key)
        else:
            self._load([target])
            entry = self.work[target]
            merged = merge_trials(entry.trial, trial)
            if trial.nct_id and merged.nct_id and merged.nct_id != trial.nct_id:
                aliases = {normalize_id(alias) for alias in trial.nct_id_aliases}
                if normalize_id(merged.nct_id) in aliases:
                    merged.nct_id = trial.nct_id
            new_key = merged.key
            if new_key != target:
                # Unreachable while the key lookup comes first: a renamed trial takes the incoming
                # key, which would have been found. Kept so a future lookup rule cannot clobber.
                if new_key in self.work:
                    raise StoreError(f"{key}: merging into {target} would overwrite {new_key}")
                self.work[new_key] = self.work.pop(target)
                # The store still holds the old key until the plan is applied: never load it again.
                self.missing.add(target)
            self._unindex(target, entry.trial)
            self._index(new_key, merged)
            self.touched_keys.update((target, new_key))
            entry.trial, entry.encoded = merged, None
        self.touched.setdefault(id(entry), entry)
        for source in trial.sources:
            if source.raw is None:
                continue
            own = reading is not None and reading.source_id == source.id
            entry.batch_raws[source.id] = (
                source.raw,
                reading.sha if reading and own else raw_sha(source.raw),
            )
            if reading is not None and own:
                entry.readings[source.id] = reading.reading
            else:
                entry.readings.pop(source.id, None)

    def plan(self) -> BatchPlan:
        plan = BatchPlan(UpsertSummary())
        for entry in self.touched.values():
            key = entry.trial.key
            data = entry.encoded if entry.encoded is not None else encode_trial(entry.trial)
            raws, raws_changed = self._raw_writes(key, entry)
            if entry.origin is None:
                outcome = UpsertOutcome.NEW
            elif entry.origin == key and data == entry.stored_data and not raws_changed:
                plan.summary.add(key, UpsertOutcome.UNCHANGED)
                plan.raws.extend(raws)  # only how records were read changed
                continue
            else:
                outcome = UpsertOutcome.UPDATED
                plan.replace_ids_of.append(key)
                if entry.origin != key:
                    plan.renames.append((entry.origin, key))
                    plan.summary.renamed[entry.origin] = key
                if entry.stored_data is not None and _content_changed(entry.trial, entry.stored_data, data):
                    plan.superseded.append(key)
            plan.summary.add(key, outcome)
            plan.rows.append(trial_row(key, entry.trial, data))
            plan.ids.extend((normalized, kind, key) for normalized, kind in identity_ids(entry.trial))
            plan.raws.extend(raws)
        for key in self.skipped:
            if key not in self.touched_keys:
                plan.summary.add(key, UpsertOutcome.UNCHANGED)
        return plan

    @staticmethod
    def _raw_writes(key: str, entry: _Work) -> tuple[list[RawWrite], bool]:
        """The raw records to write, and whether any says something new (not just a new reading)."""
        writes: list[RawWrite] = []
        changed = False
        for source in entry.trial.sources:
            stored = entry.stored_raws.get(source.id)
            record_date = source.record_date.isoformat() if source.record_date else None
            fmt = source.format.value
            raw, sha = entry.batch_raws.get(source.id, (None, None))
            reading = entry.readings.get(source.id)
            if raw is None:
                meta = RawMeta(
                    fmt,
                    source.location,
                    record_date,
                    *((stored.sha, stored.reading) if stored else (None, None)),
                )
            else:
                meta = RawMeta(fmt, source.location, record_date, sha, reading)
            if meta == stored:
                continue
            writes.append(RawWrite(key, source.id, fmt, source.location, record_date, sha, raw, reading))
            changed = changed or stored is None or meta.content != stored.content
        return writes, changed


def plan_batch(trials: Sequence[Trial], state: StoredState) -> BatchPlan:
    """What upserting ``trials`` in order changes, given what ``state`` holds.

    For each incoming trial the stored trial it belongs to is, in order: the one under its key; the
    one listing its NCT id as an alias, or filed under an NCT id it lists as an alias; the one
    sharing its org study id or a registry secondary id (see ``_Planner._bridge_target``). It is
    merged into that trial with :func:`merge_trials`; later trials of the batch see earlier ones.
    A single-source trial whose record is stored with the same raw text and the same reading is
    skipped (see ``_Planner.add``).
    Raises ``StoreError`` (before anything is written) if a trial cannot be keyed, merged or encoded.
    """
    keys: list[str] = []
    for position, trial in enumerate(trials):
        try:
            keys.append(trial.key)
        except ValueError as exc:
            raise StoreError(f"trial {position} of the batch: {exc}") from exc
    readings = [_reading_of(trial) for trial in trials]
    planner = _Planner(state)
    reread = planner.prefetch(trials, keys, readings)
    for trial, key, reading, known in zip(trials, keys, readings, reread, strict=True):
        planner.add(trial, key, reading, known)
    return planner.plan()


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
