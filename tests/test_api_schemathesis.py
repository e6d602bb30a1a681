"""Property-based requests generated from the server's own OpenAPI spec: no server error, and no
mismatch between the spec and the server.

Schemathesis builds requests for every operation of ``/openapi.json`` (valid ones, and invalid ones:
wrong types, missing and out-of-range parameters, odd bodies) and sends them to the real server. Each
answer must be a non-5xx whose status, content type, headers and body the spec declares; a request
the spec allows must be accepted (2xx, or 404 for what does not exist, 401/403 without the ingest
token), and one it forbids must be refused (4xx). Schemathesis's own pytest plugin does not run
under this pytest, so the operations are driven through Hypothesis here.

Four rules are beyond a schema, and a valid case that breaks one is discarded rather than sent (so
that its refusal cannot pass for a mismatch): the query language's grammar (nested groups, quotes,
operators; the schema bounds the terms, and the library on an empty store says whether the grammar
takes a ``q``); whether the offline gazetteer knows a ``location`` (data, not form); ``radius_km``
only with a ``location`` (OpenAPI parameters cannot depend on one another; the parameter's
description says it); and a ``cursor`` is one the server signed (no generator can make one: their
refusal is tested in test_server_hardening.py).
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, assume, given, settings
from schemathesis import Case, GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.openapi import from_url

from trialatlas.errors import QueryError
from trialatlas.geo import parse_location
from trialatlas.search import search
from trialatlas.search.filters import QUERY_FIELDS
from trialatlas.store import MemoryStore
from web_support import shared_server

_EMPTY = MemoryStore()


def _beyond_the_schema(case: Case) -> bool:
    """Whether a case breaks a rule the schema cannot state (see the module docstring)."""
    params = case.query if isinstance(case.query, dict) else {}
    if params.get("cursor") is not None:
        return True
    location = params.get("location")
    if params.get("radius_km") is not None and not (isinstance(location, str) and location.strip()):
        return True
    if isinstance(location, str) and location.strip():
        try:
            parse_location(location)
        except QueryError:
            return True
    # q and the search form's query fields (cond, intr, term) share the query language.
    query = params.get("q") if isinstance(params.get("q"), str) else ""
    fields = {name: params[name] for name in QUERY_FIELDS if isinstance(params.get(name), str)}
    if not str(query).strip() and not any(text.strip() for text in fields.values()):
        return False
    try:
        search(_EMPTY, str(query), limit=1, facets=False, snippets=False, **fields)
    except QueryError:
        return True
    return False


EXAMPLES = 60
CHECKS = [
    not_a_server_error,
    content_type_conformance,
    status_code_conformance,
    response_schema_conformance,
    response_headers_conformance,
    positive_data_acceptance,
    negative_data_rejection,
]


def _operations(db: Path) -> list[object]:
    url = shared_server(db).url
    # The first search builds the index: done here, so that no generated request waits for it.
    httpx.get(url + "/api/trials", params={"q": "cancer"}, timeout=300).raise_for_status()
    schema = from_url(url + "/openapi.json")
    return [result.ok() for result in schema.get_all_operations()]


# ~15 operations x 60 examples against a real server: a few minutes on a quiet machine, over the default
# 600 s limit on a loaded one (it took 628 s at load 15-20), where it is no less right.
@pytest.mark.timeout(1800)
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valid", "invalid"])
def test_no_server_errors_and_no_schema_mismatches(mode: GenerationMode, web_db: Path) -> None:
    operations = _operations(web_db)
    labels = {op.label for op in operations}  # type: ignore[attr-defined]
    assert {"GET /api/trials", "GET /api/trials/{nct}", "POST /api/match", "POST /api/ingest"} <= labels
    checked = 0
    for operation in operations:
        has_input = any(True for _ in operation.iter_parameters()) or bool(operation.body)  # type: ignore[attr-defined]
        if mode is GenerationMode.NEGATIVE and not has_input:
            continue  # nothing to get wrong (GET /api/health)
        checked += 1

        @given(case=operation.as_strategy(generation_mode=mode))  # type: ignore[attr-defined]
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def check(case: Case) -> None:
            if mode is GenerationMode.POSITIVE:
                assume(not _beyond_the_schema(case))
            case.call_and_validate(checks=CHECKS, timeout=60)

        try:
            check()
        except Exception as exc:
            raise AssertionError(f"{operation.label} ({mode.value}): {exc}") from exc  # type: ignore[attr-defined]
    assert checked >= 8
