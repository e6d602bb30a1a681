"""Errors as RFC 9457 problem details (``application/problem+json``) for the API, HTML pages for people.

Every deliberate error of the library maps to a 4xx with its message as ``detail``; a request that
fails validation is a 422 naming each bad parameter. Anything else is a bug: a 500 whose detail says
nothing about the request (patient data may be in it) and whose traceback goes to the server log.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from trialatlas.errors import NotFoundError, QueryError, TrialAtlasError

PROBLEM_MEDIA_TYPE = "application/problem+json"
log = logging.getLogger("trialatlas.api")

_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    413: "Request too large",
    415: "Unsupported media type",
    422: "Invalid parameters",
    500: "Internal server error",
}


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[dict[str, Any]] | None = None


# OpenAPI ``responses=`` entry for routes that can fail with these statuses.
def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {
        status: {
            "model": Problem,
            "content": {PROBLEM_MEDIA_TYPE: {}},
            "description": _TITLES.get(status, "Error"),
        }
        for status in statuses
    }


class ProblemResponse(JSONResponse):
    media_type = PROBLEM_MEDIA_TYPE


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith(("/api/", "/openapi", "/docs"))


def problem(
    request: Request, status: int, detail: str, errors: list[dict[str, Any]] | None = None
) -> Response:
    if _wants_html(request):
        # Imported here: the page module depends on this one for its error pages, not the reverse.
        from trialatlas.web.pages import error_page

        return error_page(request, status, _TITLES.get(status, "Error"), detail)
    body = Problem(
        title=_TITLES.get(status, "Error"),
        status=status,
        detail=detail,
        instance=request.url.path,
        errors=errors,
    )
    return ProblemResponse(body.model_dump(exclude_none=True), status_code=status)


def _status_of(exc: TrialAtlasError) -> int:
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, QueryError):
        return 400
    return 400


def _clean_errors(errors: Any) -> list[dict[str, Any]]:
    cleaned: list[dict[str, Any]] = []
    for error in errors:
        # The rejected input is left out: it may be a patient's data, and it is the caller's anyway.
        location = [
            str(part) for part in error.get("loc", ()) if part != "body" or len(error.get("loc", ())) == 1
        ]
        cleaned.append(
            {"loc": ".".join(location), "msg": str(error.get("msg", "invalid")), "type": error.get("type")}
        )
    return cleaned


def _summary(errors: list[dict[str, Any]]) -> str:
    parts = [f"{e['loc'] or 'body'}: {e['msg']}" for e in errors[:5]]
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    return "; ".join(parts) + more


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(TrialAtlasError)
    async def _library(request: Request, exc: TrialAtlasError) -> Response:
        return problem(request, _status_of(exc), str(exc))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        errors = _clean_errors(exc.errors())
        return problem(request, 422, _summary(errors), errors)

    @app.exception_handler(ValidationError)
    async def _model_validation(request: Request, exc: ValidationError) -> Response:
        errors = _clean_errors(exc.errors())
        return problem(request, 422, _summary(errors), errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        detail = exc.detail if isinstance(exc.detail, str) else _TITLES.get(exc.status_code, "Error")
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"nothing at {request.url.path[:200]}"
        response = problem(request, exc.status_code, detail)
        if exc.headers:
            response.headers.update(exc.headers)
        return response

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> Response:
        return server_error(request, exc)


def server_error(request: Request, exc: BaseException) -> Response:
    """The 500 for a bug: nothing of the request in it (patient data may be), the traceback logged.

    Also called by the security-header middleware for an exception that reaches it, so that a 500
    carries the same headers as any response and the connection stays open after it."""
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem(request, 500, "the server failed on this request; the error is in its log")


__all__ = [
    "PROBLEM_MEDIA_TYPE",
    "Problem",
    "ProblemResponse",
    "install_problem_handlers",
    "problem",
    "problem_responses",
    "server_error",
]
