"""An in-memory store, for tests of services and for throw-away sessions (``memory://``).

It shares the upsert planner and the trial codec with the SQLite store, so it merges, bridges
identities, counts outcomes and digests content exactly as SQLite does; only persistence differs.
Trials are kept encoded, never as the caller's objects, so mutating a trial after upserting it (or
after getting it) cannot change the store.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence

from trialatlas.errors import StoreError
from trialatlas.model import Trial
from trialatlas.store.base import (
    ID_PRIORITY,
    ContentDigest,
    RawMeta,
    RawWrite,
    StoredTrial,
    TrialRow,
    UpsertSummary,
    check_count_column,
    check_trial,
    decode_trial,
    identity_ids,
    normalize_id,
    raw_sha,
    registries_of_ids,
    tally,
    trial_row,
)
from trialatlas.store.history import TrialVersion
from trialatlas.store.planner import BatchPlan, PreparedTrial, plan_batch


class _State:
    def __init__(self, store: MemoryStore) -> None:
        self.store = store

    def find_ids(self, ids: Sequence[str]) -> list[tuple[str, str, str]]:
        index = self.store._ids
        return [(found, kind, key) for found in ids for key, kind in index.get(found, {}).items()]

    def find_sources(self, source_ids: Sequence[str]) -> list[tuple[str, str, RawMeta]]:
        raws, holders = self.store._raws, self.store._source_keys
        return [
            (source_id, key, raws[key][source_id][0])
            for source_id in source_ids
            for key in sorted(holders.get(source_id, ()))
        ]

    def load_data(self, keys: Sequence[str]) -> dict[str, bytes]:
        rows = self.store._rows
        return {key: rows[key].data for key in keys if key in rows}

    def load_raws(self, keys: Sequence[str]) -> dict[str, dict[str, RawMeta]]:
        raws = self.store._raws
        return {key: {sid: meta for sid, (meta, _) in raws[key].items()} for key in keys if key in raws}


class MemoryStore:
    """A :class:`~trialatlas.store.base.TrialStore` held in dictionaries."""

    def __init__(self, location: str = "memory://") -> None:
        self.location = location
        self._lock = threading.RLock()
        self._closed = False
        self._rows: dict[str, TrialRow] = {}
        self._raws: dict[str, dict[str, tuple[RawMeta, str | None]]] = {}
        self._ids: dict[str, dict[str, str]] = {}
        self._ids_of: dict[str, list[tuple[str, str]]] = {}
        self._source_keys: dict[str, set[str]] = {}
        self._changes: list[str] = []
        # Superseded versions per key, oldest first: (stored at, replaced at, encoded trial).
        self._versions: dict[str, list[tuple[str, str, bytes]]] = {}
        self._stored_at: dict[str, str] = {}

    def __repr__(self) -> str:
        return f"MemoryStore({self.location!r})"

    def __enter__(self) -> MemoryStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._closed = True

    def _open(self) -> None:
        if self._closed:
            raise StoreError(f"{self.location}: the store is closed")

    # --- writes ------------------------------------------------------------------------------

    def upsert_batch(self, trials: Sequence[Trial | PreparedTrial]) -> UpsertSummary:
        with self._lock:
            self._open()
            if not trials:
                return UpsertSummary()
            # Planning does every fallible step; applying only moves dictionary entries, so a
            # failed batch leaves nothing behind, as a rolled-back transaction would.
            try:
                plan = plan_batch(trials, _State(self))
            except StoreError:
                raise
            except Exception as exc:
                raise StoreError(f"{self.location}: upsert of {len(trials)} trials failed: {exc}") from exc
            self._apply(plan)
            return plan.summary

    def _drop_ids(self, key: str) -> None:
        for found, _ in self._ids_of.pop(key, []):
            entries = self._ids.get(found, {})
            entries.pop(key, None)
            if not entries:
                self._ids.pop(found, None)

    def _drop_raws(self, key: str) -> dict[str, tuple[RawMeta, str | None]]:
        records = self._raws.pop(key, {})
        for source_id in records:
            self._source_keys[source_id].discard(key)
        return records

    def changes_since(self, seq: int) -> tuple[int, list[str]]:
        with self._lock:
            later = self._changes[seq:]
            return max(len(self._changes), seq), list(dict.fromkeys(later))

    def _apply(self, plan: BatchPlan) -> None:
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        self._changes.extend([*(old for old, _ in plan.renames), *(row.key for row in plan.rows)])
        for old, new in plan.renames:
            self._rows[new] = self._rows.pop(old)
            self._stored_at[new] = self._stored_at.pop(old)
            if old in self._versions:
                self._versions[new] = self._versions.pop(old)
            self._raws[new] = self._drop_raws(old)
            for source_id in self._raws[new]:
                self._source_keys[source_id].add(new)
            self._drop_ids(old)
        for key in plan.superseded:
            self._versions.setdefault(key, []).append((self._stored_at[key], now, self._rows[key].data))
        for row in plan.rows:
            self._rows[row.key] = row
            self._stored_at[row.key] = now
        for key in plan.replace_ids_of:
            self._drop_ids(key)
        for found, kind, key in plan.ids:
            self._ids.setdefault(found, {})[key] = kind
            self._ids_of.setdefault(key, []).append((found, kind))
        for key, old, new, location in plan.raw_renames:
            meta, raw = self._raws[key].pop(old)
            self._raws[key][new] = (dataclasses.replace(meta, location=location), raw)
            self._source_keys[old].discard(key)
            self._source_keys.setdefault(new, set()).add(key)
        for write in plan.raws:
            records = self._raws.setdefault(write.trial_key, {})
            stored = records.get(write.source_id)
            sha, reading, raw = write.sha, write.reading, write.raw
            if raw is None and stored is not None:
                sha, reading, raw = stored[0].sha, stored[0].reading, stored[1]
            meta = RawMeta(write.format, write.location, write.record_date, sha, reading)
            records[write.source_id] = (meta, raw)
            self._source_keys.setdefault(write.source_id, set()).add(write.trial_key)

    def delete(self, keys: Iterable[str]) -> int:
        with self._lock:
            self._open()
            deleted = 0
            for key in dict.fromkeys(keys):
                if self._rows.pop(key, None) is not None:
                    self._versions.pop(key, None)
                    self._stored_at.pop(key, None)
                    self._drop_raws(key)
                    self._drop_ids(key)
                    self._changes.append(key)
                    deleted += 1
            return deleted

    def import_trials(self, items: Sequence[StoredTrial]) -> int:
        with self._lock:
            self._open()
            keys = [item.key for item in items]
            clash = sorted(set(keys) & set(self._rows))
            if clash or len(set(keys)) != len(keys):
                raise StoreError(f"{self.location}: cannot import keys already stored: {clash or keys}")
            try:
                rows = [trial_row(item.key, decode_trial(item.data), item.data) for item in items]
                ids = [identity_ids(decode_trial(item.data)) for item in items]
            except Exception as exc:
                raise StoreError(f"{self.location}: import of {len(items)} trials failed: {exc}") from exc
            for item, row, found in zip(items, rows, ids, strict=True):
                self._rows[item.key] = row
                self._stored_at[item.key] = item.stored_at
                if item.versions:
                    self._versions[item.key] = list(item.versions)
                for normalized, kind in found:
                    self._ids.setdefault(normalized, {})[item.key] = kind
                    self._ids_of.setdefault(item.key, []).append((normalized, kind))
                records = self._raws.setdefault(item.key, {})
                for raw in item.raws:
                    meta = RawMeta(raw.format, raw.location, raw.record_date, raw.sha, raw.reading)
                    records[raw.source_id] = (meta, raw.raw)
                    self._source_keys.setdefault(raw.source_id, set()).add(item.key)
                self._changes.append(item.key)
            return len(items)

    # --- reads -------------------------------------------------------------------------------

    def export_trials(self, batch_size: int = 500) -> Iterator[StoredTrial]:
        for key in self.keys():
            with self._lock:
                row = self._rows.get(key)
                if row is None:
                    continue
                raws = tuple(
                    RawWrite(key, sid, m.format, m.location, m.record_date, m.sha, raw, m.reading)
                    for sid, (m, raw) in sorted(self._raws.get(key, {}).items())
                )
                item = StoredTrial(
                    key, row.data, self._stored_at[key], raws, tuple(self._versions.get(key, []))
                )
            yield item

    def _resolve(self, text: str) -> str | None:
        if text in self._rows:
            return text
        hits = self._ids.get(normalize_id(text), {})
        if not hits:
            return None
        return min(hits.items(), key=lambda hit: (ID_PRIORITY[hit[1]], hit[0]))[0]

    def get(self, key: str) -> Trial | None:
        with self._lock:
            self._open()
            resolved = self._resolve(key)
            return None if resolved is None else decode_trial(self._rows[resolved].data)

    def get_many(self, keys: Sequence[str]) -> list[Trial]:
        with self._lock:
            self._open()
            found = (self._resolve(key) for key in keys)
            return [decode_trial(self._rows[key].data) for key in found if key is not None]

    def versions(self, key: str) -> list[TrialVersion]:
        with self._lock:
            self._open()
            resolved = self._resolve(key)
            if resolved is None:
                return []
            older = self._versions.get(resolved, [])
            found = [
                TrialVersion(number, stored, replaced, decode_trial(data))
                for number, (stored, replaced, data) in enumerate(older, start=1)
            ]
            current = decode_trial(self._rows[resolved].data)
            found.append(TrialVersion(len(older) + 1, self._stored_at[resolved], None, current))
            return found

    def raw_records(self, key: str) -> list[tuple[str, str]]:
        with self._lock:
            self._open()
            resolved = self._resolve(key)
            records = self._raws.get(resolved, {}) if resolved else {}
            ordered = sorted(
                records.items(),
                key=lambda item: (item[1][0].record_date is not None, item[1][0].record_date or "", item[0]),
            )
            return [(source_id, raw) for source_id, (_, raw) in ordered if raw is not None]

    def iter_trials(self, batch_size: int = 500) -> Iterator[Trial]:
        for key in self.keys():
            with self._lock:
                row = self._rows.get(key)
            if row is not None:
                yield decode_trial(row.data)

    def keys(self) -> list[str]:
        with self._lock:
            self._open()
            return sorted(self._rows)

    def count(self) -> int:
        with self._lock:
            self._open()
            return len(self._rows)

    def count_by(
        self, column: str, missing: str | None = None, canonical: Callable[[str], str] | None = None
    ) -> list[tuple[str, int]]:
        check_count_column(column)
        with self._lock:
            self._open()
            if column == "registries":
                values = [registries_of_ids(self._ids_of.get(key, [])) for key in self._rows]
            else:
                values = [row.value_of(column) for row in self._rows.values()]
            return tally(column, ((value, 1) for value in values), missing, canonical)

    def stats(self) -> dict[str, int]:
        with self._lock:
            self._open()
            records = [record for per_trial in self._raws.values() for record in per_trial.values()]
            return {
                "trials": len(self._rows),
                "partial": sum(row.is_partial for row in self._rows.values()),
                "raw_records": len(records),
                "with_raw": sum(raw is not None for _, raw in records),
                "ids": sum(len(ids) for ids in self._ids_of.values()),
            }

    # --- checks ------------------------------------------------------------------------------

    def content_digest(self) -> str:
        digest = ContentDigest()
        with self._lock:
            self._open()
            for key in sorted(self._rows):
                digest.trial(key, self._rows[key].data)
                records = self._raws.get(key, {})
                for source_id in sorted(records):
                    meta, raw = records[source_id]
                    digest.raw(source_id, meta.format, meta.location, meta.record_date, raw)
        return digest.hexdigest()

    def integrity_check(self, *, deep: bool = True) -> list[str]:
        problems: list[str] = []
        with self._lock:
            self._open()
            for key in sorted(self._rows):
                row = self._rows[key]
                records = self._raws.get(key, {})
                if len(records) != row.n_sources:
                    problems.append(f"{key}: {row.n_sources} sources but {len(records)} raw records")
                if not self._ids_of.get(key):
                    problems.append(f"{key}: no id finds it")
                if deep:
                    ids = set(self._ids_of.get(key, []))
                    problems.extend(check_trial(key, decode_trial(row.data), set(records), ids))
                    for source_id, (meta, raw) in records.items():
                        if meta.sha != (None if raw is None else raw_sha(raw)):
                            problems.append(f"{key}: raw record {source_id} does not match its checksum")
            for key in sorted(set(self._raws) - set(self._rows)):
                problems.append(f"raw records of a missing trial {key}")
            held = {(sid, key) for sid, keys in self._source_keys.items() for key in keys}
            if held != {(sid, key) for key, records in self._raws.items() for sid in records}:
                problems.append("the source index does not match the raw records")
        return problems
