"""Search cursors: keyset positions, signed so that only a cursor this store handed out is read back.

A cursor is ``<payload>.<mac>``, both base64url: the payload holds the fingerprint of the query,
filters and sort it belongs to and the position after the last hit shown; the mac is HMAC-SHA256
of the payload under the store's cursor secret: a random key kept beside a SQLite store as
``<db>.cursor-key``, in the database of a server store (so that every server process on it accepts
the others' cursors), or held for the process by a memory store. A cursor that was
altered, minted elsewhere, or made for another query is refused with a :class:`QueryError` (a 422
from the API), never read into a search. Nothing here depends on the search engine.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
import threading
import weakref
from pathlib import Path
from typing import Any

import orjson

from trialatlas.errors import QueryError, ReadOnlyStoreError
from trialatlas.store import TrialStore, derived_path
from trialatlas.store.base import SecretKeeper

KEY_SUFFIX = ".cursor-key"
# The name of the secret in a store that keeps its own (see SecretKeeper).
SECRET_NAME = "cursor"
_MAC_BYTES = 16
_INVALID = "invalid cursor: pass next_cursor of a previous result unchanged"
# A doc number or an integer sort value beyond what SQLite holds cannot be a real position.
_INT_BOUND = 2**63

_keys: dict[str, bytes] = {}
_store_keys: weakref.WeakKeyDictionary[Any, bytes] = weakref.WeakKeyDictionary()
_keys_lock = threading.Lock()


def cursor_key(store: TrialStore) -> bytes:
    """The store's cursor secret: read from (or created, readable by its owner only, beside) its
    file; kept in the store itself by a server store; else one key for the life of the process."""
    path = derived_path(store, KEY_SUFFIX)
    with _keys_lock:
        if path is not None:
            key = _keys.get(str(path))
            if key is None:
                key = _keys[str(path)] = _load_or_create(path)
            return key
        key = _store_keys.get(store)
        if key is None:
            try:
                key = store.shared_secret(SECRET_NAME) if isinstance(store, SecretKeeper) else None
            except ReadOnlyStoreError:
                # A reader account before any writer made the secret: cursors of this process only.
                key = None
            key = _store_keys[store] = key if key is not None and len(key) >= 32 else secrets.token_bytes(32)
        return key


def _load_or_create(path: Path) -> bytes:
    try:
        key = path.read_bytes()
        if len(key) >= 32:
            return key
    except OSError:
        pass
    key = secrets.token_bytes(32)
    try:
        # O_EXCL: of two processes creating the key at once, one writes it and both read it back.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        existing = path.read_bytes()
        return existing if len(existing) >= 32 else key
    except OSError:
        return key  # a read-only location: cursors then last as long as the process
    with os.fdopen(descriptor, "wb") as stream:
        stream.write(key)
    return key


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode_cursor(key: bytes, fingerprint: str, position: list[Any]) -> str:
    payload = orjson.dumps({"f": fingerprint, "p": position})
    mac = hmac.new(key, payload, hashlib.sha256).digest()[:_MAC_BYTES]
    return f"{_b64(payload)}.{_b64(mac)}"


def decode_cursor(key: bytes, cursor: str, fingerprint: str) -> tuple[Any, ...]:
    """The position in a cursor this store signed for this fingerprint; :class:`QueryError` otherwise."""
    encoded, dot, signature = cursor.partition(".")
    try:
        payload, mac = _unb64(encoded), _unb64(signature)
    except (binascii.Error, ValueError) as exc:
        raise QueryError(_INVALID) from exc
    expected = hmac.new(key, payload, hashlib.sha256).digest()[:_MAC_BYTES]
    if not dot or not hmac.compare_digest(mac, expected):
        raise QueryError(f"{_INVALID} (it was not issued by this server, or was altered)")
    try:
        data = orjson.loads(payload)
        position, mine = data["p"], data["f"]
    except (ValueError, KeyError, TypeError) as exc:
        raise QueryError(_INVALID) from exc
    if mine != fingerprint:
        raise QueryError("this cursor belongs to another query, filter or sort; start again without it")
    if not isinstance(position, list) or not 1 <= len(position) <= 2 or not _valid(position):
        raise QueryError(_INVALID)
    return tuple(position)


def _valid(position: list[Any]) -> bool:
    number = position[-1]
    if type(number) is not int or not 0 <= number < _INT_BOUND:
        return False
    if len(position) == 1:
        return True
    value = position[0]
    if type(value) is int:
        return -_INT_BOUND <= value < _INT_BOUND
    return value is None or type(value) in (float, str)
