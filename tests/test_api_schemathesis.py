"""Property-based requests generated from the server's own OpenAPI spec: no server error, and no
mismatch between the spec and the server.

Schemathesis builds requests for every operation of ``/openapi.json`` (valid ones, and invalid ones:
wrong types, missing and out-of-range parameters, odd bodies) and sends them to the real server. Each
answer must be a non-5xx whose status, content type, headers and body the spec declares; a request
the spec allows must be accepted (2xx, or 404 for what does not exist, 401/403 without the ingest
token), and one it forbids must be refused (4xx). Schemathesis's own pytest plugin does not run
under this pytest, so the operations are driven through Hypothesis here.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
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

from web_support import shared_server

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


def _operations() -> list[object]:
    schema = from_url(shared_server().url + "/openapi.json")
    return [result.ok() for result in schema.get_all_operations()]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valid", "invalid"])
def test_no_server_errors_and_no_schema_mismatches(mode: GenerationMode) -> None:
    operations = _operations()
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
            case.call_and_validate(checks=CHECKS)

        try:
            check()
        except Exception as exc:
            raise AssertionError(f"{operation.label} ({mode.value}): {exc}") from exc  # type: ignore[attr-defined]
    assert checked >= 8
