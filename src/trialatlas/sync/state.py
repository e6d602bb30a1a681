"""Where a sync left off, kept in a small JSON file beside the store so an interrupted run resumes.

Per query (``*`` for "every study") the file keeps the run in progress (its ``since``, when it
started, the token of the next page to fetch, what it has done so far) and when the last complete
run started, from which the next incremental run takes its ``since``. The file is replaced
atomically (write, fsync, rename), so a crash leaves the old state or the new one, never half of one.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any

import orjson
import platformdirs

from trialatlas.errors import SyncError
from trialatlas.store import derived_path
from trialatlas.store.base import TrialStore

ALL_STUDIES = "*"
_FORMAT = 1


def state_path_for(store: TrialStore) -> Path | None:
    """Beside an SQLite file; in the user data directory for a server store; none for memory."""
    location = store.location
    if location.startswith("memory://") or location == ":memory:":
        return None
    if "://" in location:
        # A server's store has no file to sit beside; its state is this user's, named by the URL.
        digest = hashlib.sha256(location.encode()).hexdigest()[:16]
        return Path(platformdirs.user_data_dir("trialatlas")) / "sync" / f"{digest}.json"
    return derived_path(store, ".sync.json")


class SyncState:
    """The state file (or, without a path, the same state in memory for this process only)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.data: dict[str, Any] = {"format": _FORMAT, "queries": {}}
        if path is not None and path.is_file():
            try:
                loaded = orjson.loads(path.read_bytes())
            except (OSError, orjson.JSONDecodeError) as exc:
                raise SyncError(f"{path}: unreadable sync state ({exc}); delete it to start over") from exc
            if not isinstance(loaded, dict) or loaded.get("format") != _FORMAT:
                raise SyncError(f"{path}: not a trialatlas sync state; delete it to start over")
            self.data = loaded

    def entry(self, query: str | None) -> dict[str, Any]:
        queries: dict[str, dict[str, Any]] = self.data["queries"]
        return queries.setdefault(query or ALL_STUDIES, {})

    def save(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        payload = orjson.dumps(self.data, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
        handle, temporary = tempfile.mkstemp(prefix=self.path.name, suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(payload)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
