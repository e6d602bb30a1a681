"""Planning an upsert: which stored trial each incoming record belongs to, what merging it changes,
and the exact rows a backend writes for it (:func:`plan_batch`), the same for every backend.

An incoming record is a :class:`~trialatlas.model.Trial`, or a :class:`PreparedTrial`: a record a
reader process has already keyed, encoded, hashed and compressed, so that the writer plans it by ids
and writes it as it came. A prepared record is decoded back into a trial only when it has to be merged
with another one (the same trial in two sources or registries); a new one goes to the store untouched.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from trialatlas.errors import StoreError
from trialatlas.model import Trial
from trialatlas.model.merge import merge_trials
from trialatlas.store.base import (
    IdKind,
    RawMeta,
    RawWrite,
    TrialRow,
    UpsertOutcome,
    UpsertSummary,
    decode_trial,
    encode_trial,
    identity_ids,
    normalize_id,
    raw_sha,
    trial_row,
)
from trialatlas.store.compression import compress
from trialatlas.text.registry_ids import is_nct_id, registry_of

_BRIDGING_KINDS = frozenset({IdKind.ORG.value, IdKind.SECONDARY.value, IdKind.LINK.value})
_NCT_KINDS = frozenset({IdKind.NCT.value, IdKind.ALIAS.value})
# Ids of registry shape: a record's own (NCT, registry) and the ones it names as its other registrations.
_REGISTRY_KINDS = frozenset({IdKind.NCT.value, IdKind.REGISTRY.value, IdKind.LINK.value})


# What a trial says, as opposed to where it was read from: a version is kept only when this changes.
_CONTENT_ONLY: Any = {"sources": True, "field_sources": True}


def _content_changed(trial: Trial, stored: bytes, encoded: bytes) -> bool:
    if stored == encoded:
        return False
    before = decode_trial(stored).model_dump_json(exclude_defaults=True, exclude=_CONTENT_ONLY)
    return before != trial.model_dump_json(exclude_defaults=True, exclude=_CONTENT_ONLY)


def _has_nct(key: str) -> bool:
    """Whether the trial stored under ``key`` has an NCT id (it is then keyed by it)."""
    return is_nct_id(key)


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
    # (trial key after renames, old source id, new source id, new location): a stored record
    # adopted under the id the readers now give it (see ``_Planner._adopt``); applied before ``raws``.
    raw_renames: list[tuple[str, str, str, str]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Reading:
    """An incoming single-source trial with its raw text: what a reader made of one record."""

    source_id: str
    encoded: bytes
    sha: bytes
    reading: bytes


def _reading_of(trial: Trial, encoded: bytes | None = None) -> _Reading | None:
    if len(trial.sources) != 1:
        return None
    source = trial.sources[0]
    if source.raw is None:
        return None
    encoded = encode_trial(trial) if encoded is None else encoded
    return _Reading(source.id, encoded, raw_sha(source.raw), hashlib.sha256(encoded).digest())


# What the planner needs of a source record besides its text: id, format, location, record date.
_SourceMeta = tuple[str, str, str, str | None]


@dataclass(frozen=True, slots=True)
class PreparedTrial:
    """A trial as a reader process hands it to the writer: already keyed, encoded, hashed and
    compressed, with its row columns and ids, so that planning and writing it costs the writer no
    decoding, encoding, hashing or compressing (:func:`prepare_trial` makes one).

    The attributes the identity rules read (``nct_id``, ``nct_id_aliases``, ``registry_ids``) have
    the trial's names, so the same rules find its stored trial; :meth:`trial` decodes the trial back
    for a merge.
    """

    key: str
    nct_id: str | None
    nct_id_aliases: tuple[str, ...]
    registry_ids: tuple[str, ...]
    ids: tuple[tuple[str, str], ...]
    row: TrialRow
    sources: tuple[_SourceMeta, ...]
    # ``(source id, raw text, raw sha, raw compressed)`` of each source that has its text.
    raws: tuple[tuple[str, str, bytes, tuple[int, bytes] | None], ...]
    reading: _Reading | None
    # ``(location, warning)`` for each value its records could not read (the ingest report names them).
    warnings: tuple[tuple[str, str], ...] = ()

    @property
    def data(self) -> bytes:
        return self.row.data

    @property
    def location(self) -> str:
        """Where its (last) record was read: what an error about it names."""
        return self.sources[-1][2] if self.sources else self.key

    def trial(self) -> Trial:
        """The trial it was prepared from (the stored form holds no raw text: it is put back)."""
        trial = decode_trial(self.data)
        texts = {source_id: raw for source_id, raw, _, _ in self.raws}
        for source in trial.sources:
            if source.id in texts:
                source.raw = texts[source.id]
        return trial


def prepare_trial(trial: Trial, compression: int | None = None) -> PreparedTrial:
    """``trial`` made ready for the writer; with ``compression``, its stored form and raw text are
    compressed at that zlib level too (a store at another level compresses them again).

    Raises ``ValueError`` when the trial has no key (the writer reports it as a bad record).
    """
    key = trial.key
    encoded = encode_trial(trial)

    def packed(data: bytes) -> tuple[int, bytes] | None:
        return None if compression is None else (compression, compress(data, compression))

    row = trial_row(key, trial, encoded)
    return PreparedTrial(
        key=key,
        nct_id=trial.nct_id,
        nct_id_aliases=tuple(trial.nct_id_aliases),
        registry_ids=tuple(trial.registry_ids),
        ids=tuple(identity_ids(trial)),
        row=row if compression is None else dataclasses.replace(row, packed=packed(encoded)),
        sources=tuple(_source_meta(trial)),
        raws=tuple(
            (source.id, source.raw, raw_sha(source.raw), packed(source.raw.encode()))
            for source in trial.sources
            if source.raw is not None
        ),
        reading=_reading_of(trial, encoded),
        warnings=tuple(source_warnings(trial)),
    )


def source_warnings(trial: Trial) -> list[tuple[str, str]]:
    """``(location, warning)`` for each value the trial's source records could not read."""
    return [(source.location, warning) for source in trial.sources for warning in source.warnings]


def _source_meta(trial: Trial) -> list[_SourceMeta]:
    return [
        (
            source.id,
            source.format.value,
            source.location,
            source.record_date.isoformat() if source.record_date else None,
        )
        for source in trial.sources
    ]


Incoming = Trial | PreparedTrial


def _ids_of(item: Incoming) -> Sequence[tuple[str, str]]:
    return item.ids if isinstance(item, PreparedTrial) else identity_ids(item)


@dataclass(eq=False)
class _Work:
    """A trial the batch writes: the stored one it was loaded as (``origin``), as merged so far.

    An incoming prepared trial that merges with nothing stays ``prepared`` (``trial`` is decoded only
    if a later record of the batch merges into it), and is written as it came.
    """

    trial: Trial | None
    origin: str | None
    stored_data: bytes | None
    stored_raws: dict[str, RawMeta]
    encoded: bytes | None = None
    batch_raws: dict[str, tuple[str, bytes, tuple[int, bytes] | None]] = field(default_factory=dict)
    readings: dict[str, bytes] = field(default_factory=dict)
    prepared: PreparedTrial | None = None
    raw_renames: list[tuple[str, str, str]] = field(default_factory=list)
    # Only adoptions touched it: the stored trial under new record ids, nothing else new.
    adopted_only: bool = False

    def current(self) -> Trial:
        if self.trial is None:
            assert self.prepared is not None
            self.trial = self.prepared.trial()
        return self.trial

    def identity(self) -> Sequence[tuple[str, str]]:
        return self.prepared.ids if self.prepared is not None else identity_ids(self.current())


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
        self, trials: Sequence[Incoming], keys: list[str], readings: list[_Reading | None]
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

        ids = sorted({normalized for trial in trials for normalized, _ in _ids_of(trial)})
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
                for normalized, _ in _ids_of(trial):
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

    def _nct_target(self, trial: Incoming) -> str | None:
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

    def _link_target(self, trial: Incoming) -> str | None:
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
        for normalized, own_kind in _ids_of(trial):
            if own_kind not in _REGISTRY_KINDS:
                continue
            for key, kind in self.index.get(normalized, {}).items():
                if kind in _REGISTRY_KINDS:
                    candidates.add(key)
        fitting = sorted(key for key in candidates if not self._conflicts(trial, key, own_registries))
        return fitting[0] if len(fitting) == 1 else None

    @staticmethod
    def _conflicts(trial: Incoming, key: str, own_registries: dict[str, str]) -> bool:
        if trial.nct_id and _has_nct(key):
            return normalize_id(trial.nct_id) != normalize_id(key)
        code = registry_of(key)
        return code is not None and code in own_registries and own_registries[code] != normalize_id(key)

    def _bridge_target(self, trial: Incoming) -> str | None:
        """The one stored trial sharing an org or registry id, when exactly one fits.

        Two records with different NCT ids are different trials whatever else they share, and an
        ambiguous id bridges nothing: a missed merge leaves a duplicate, a wrong one corrupts a trial.
        """
        by_org: set[str] = set()
        anywhere: set[str] = set()
        for normalized, own_kind in _ids_of(trial):
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

    def _unindex(self, key: str, ids: Sequence[tuple[str, str]]) -> None:
        for normalized, _ in ids:
            self.index.get(normalized, {}).pop(key, None)

    def _index(self, key: str, ids: Sequence[tuple[str, str]]) -> None:
        for normalized, kind in ids:
            self.index.setdefault(normalized, {})[key] = kind

    def add(self, item: Incoming, key: str, reading: _Reading | None, reread: str | None) -> None:
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
            else (self._nct_target(item) or self._link_target(item) or self._bridge_target(item))
        )
        if target is None:
            if isinstance(item, PreparedTrial):
                entry = self.work[key] = _Work(None, None, None, {}, encoded=item.data, prepared=item)
            else:
                entry = self.work[key] = _Work(
                    item, None, None, {}, encoded=reading.encoded if reading else None
                )
            self._index(key, _ids_of(item))
            self.touched_keys.add(key)
        else:
            self._load([target])
            entry = self.work[target]
            trial = item.trial() if isinstance(item, PreparedTrial) else item
            if reading is not None and self._adopt(entry, reading, trial):
                if id(entry) not in self.touched:
                    entry.adopted_only = True
                    self.touched[id(entry)] = entry
                return
            entry.adopted_only = False
            merged = merge_trials(entry.current(), trial)
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
            self._unindex(target, entry.identity())
            self._index(new_key, identity_ids(merged))
            self.touched_keys.update((target, new_key))
            entry.trial, entry.encoded, entry.prepared = merged, None, None
        self.touched.setdefault(id(entry), entry)
        for source_id, raw, sha, packed in _raws_of(item, reading):
            entry.batch_raws[source_id] = (raw, sha, packed)
            if reading is not None and reading.source_id == source_id:
                entry.readings[source_id] = reading.reading
            else:
                entry.readings.pop(source_id, None)

    @staticmethod
    def _adopt(entry: _Work, reading: _Reading, incoming: Trial) -> bool:
        """Adopt the stored record of ``entry`` that is the incoming one under the id an older version
        wrote (a source id holding the path as typed then, ``ctgov-xml:in/x.xml#NCT…``, now built on
        the resolved path): same reader, same file name and position, same raw text. It is renamed to
        the incoming id, so re-reading the file converges instead of storing a second copy. True when
        it was also read the same way (nothing left to merge)."""
        new = reading.source_id
        if new in entry.stored_raws:
            return False
        for old, meta in entry.stored_raws.items():
            if meta.sha == reading.sha and _typed_twin(old, new):
                break
        else:
            return False
        source = incoming.sources[0]
        entry.stored_raws[new] = dataclasses.replace(entry.stored_raws.pop(old), location=source.location)
        entry.raw_renames.append((old, new, source.location))
        trial = entry.current()
        for stored in trial.sources:
            if stored.id == old:
                stored.id, stored.location = new, source.location
        trial.field_sources = {k: new if v == old else v for k, v in trial.field_sources.items()}
        entry.encoded = None
        return meta.reading == _reading_as(incoming, old, meta.location)

    def plan(self) -> BatchPlan:
        plan = BatchPlan(UpsertSummary())
        for entry in self.touched.values():
            if entry.prepared is not None:
                # New, and merged with nothing: written as the reader prepared it.
                key = entry.prepared.key
                plan.summary.add(key, UpsertOutcome.NEW)
                plan.rows.append(entry.prepared.row)
                plan.ids.extend((normalized, kind, key) for normalized, kind in entry.prepared.ids)
                plan.raws.extend(self._raw_writes(key, entry, entry.prepared.sources)[0])
                continue
            trial = entry.current()
            key = trial.key
            data = entry.encoded if entry.encoded is not None else encode_trial(trial)
            raws, raws_changed = self._raw_writes(key, entry, _source_meta(trial))
            plan.raw_renames.extend((key, *renamed) for renamed in entry.raw_renames)
            if entry.adopted_only and entry.origin == key and not raws_changed:
                # The same records under the ids readers now give them: rewritten, not changed.
                plan.summary.add(key, UpsertOutcome.UNCHANGED)
                plan.rows.append(trial_row(key, trial, data))
                plan.raws.extend(raws)
                continue
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
                if entry.stored_data is not None and _content_changed(trial, entry.stored_data, data):
                    plan.superseded.append(key)
            plan.summary.add(key, outcome)
            plan.rows.append(trial_row(key, trial, data))
            plan.ids.extend((normalized, kind, key) for normalized, kind in identity_ids(trial))
            plan.raws.extend(raws)
        for key in self.skipped:
            if key not in self.touched_keys:
                plan.summary.add(key, UpsertOutcome.UNCHANGED)
        return plan

    @staticmethod
    def _raw_writes(key: str, entry: _Work, sources: Sequence[_SourceMeta]) -> tuple[list[RawWrite], bool]:
        """The raw records to write, and whether any says something new (not just a new reading)."""
        writes: list[RawWrite] = []
        changed = False
        for source_id, fmt, location, record_date in sources:
            stored = entry.stored_raws.get(source_id)
            raw, sha, packed = entry.batch_raws.get(source_id, (None, None, None))
            reading = entry.readings.get(source_id)
            if raw is None:
                meta = RawMeta(
                    fmt,
                    location,
                    record_date,
                    *((stored.sha, stored.reading) if stored else (None, None)),
                )
            else:
                meta = RawMeta(fmt, location, record_date, sha, reading)
            if meta == stored:
                continue
            writes.append(RawWrite(key, source_id, fmt, location, record_date, sha, raw, reading, packed))
            changed = changed or stored is None or meta.content != stored.content
        return writes, changed


def _reading_as(trial: Trial, source_id: str, location: str) -> bytes:
    """The reading of single-source ``trial`` had its record been given ``source_id`` and ``location``."""
    probe = trial.model_copy(deep=True)
    current = probe.sources[0].id
    probe.sources[0].id, probe.sources[0].location = source_id, location
    probe.field_sources = {k: source_id if v == current else v for k, v in probe.field_sources.items()}
    return hashlib.sha256(encode_trial(probe)).digest()


def _typed_twin(old: str, new: str) -> bool:
    """Whether stored id ``old`` names the record ``new`` names, as an older version spelt it: the
    same reader, a path as typed (not absolute) ending in the same file name, member and position."""
    reader, _, old_where = old.partition(":")
    new_reader, _, new_where = new.partition(":")
    if reader != new_reader or old_where.startswith("/") or old == new:
        return False
    return old_where.rsplit("/", 1)[-1] == new_where.rsplit("/", 1)[-1]


def _raws_of(
    item: Incoming, reading: _Reading | None
) -> list[tuple[str, str, bytes, tuple[int, bytes] | None]]:
    """``(source id, raw text, raw sha, raw compressed)`` of each incoming source with its text."""
    if isinstance(item, PreparedTrial):
        return list(item.raws)
    return [
        (
            source.id,
            source.raw,
            reading.sha if reading and reading.source_id == source.id else raw_sha(source.raw),
            None,
        )
        for source in item.sources
        if source.raw is not None
    ]


def plan_batch(trials: Sequence[Incoming], state: StoredState) -> BatchPlan:
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
    readings = [trial.reading if isinstance(trial, PreparedTrial) else _reading_of(trial) for trial in trials]
    planner = _Planner(state)
    reread = planner.prefetch(trials, keys, readings)
    for trial, key, reading, known in zip(trials, keys, readings, reread, strict=True):
        planner.add(trial, key, reading, known)
    return planner.plan()
