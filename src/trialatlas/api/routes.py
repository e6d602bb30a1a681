"""The REST API under ``/api``: each route parses its input and calls one :class:`Atlas` method."""

from __future__ import annotations

import hmac
import tempfile
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Header, HTTPException, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from trialatlas.api.problems import problem_responses
from trialatlas.errors import QueryError
from trialatlas.export.ctgov_v2 import trial_to_study
from trialatlas.export.fhir import trial_to_fhir
from trialatlas.web.basic_search import FACETS, MAX_LIMIT, SearchPage, SearchParams, SortOrder
from trialatlas.web.services import (
    Atlas,
    MatchRequest,
    MatchResponse,
    RelatedResult,
    TrialDoses,
    TrialTimeline,
)

router = APIRouter(prefix="/api")
TRIALS: list[str | Enum] = ["trials"]

FHIR_MEDIA_TYPE = "application/fhir+json"
STATS_FACETS: tuple[str, ...] = (*FACETS, "start_year")
_MAX_UPLOAD = 200 * 1024 * 1024


def atlas(request: Request) -> Atlas:
    found: Atlas = request.app.state.atlas
    return found


AtlasDep = Annotated[Atlas, Depends(atlas)]


def _multi(values: list[str] | None) -> list[str]:
    """Repeated parameters and comma-separated lists mean the same: ``?phase=PHASE2&phase=PHASE3``."""
    return [part.strip() for value in values or [] for part in value.split(",") if part.strip()]


def search_params(
    q: Annotated[str, Query(max_length=500, description="Words to find; all must occur.")] = "",
    status: Annotated[
        list[str] | None, Query(description="Overall status, repeatable or comma-separated.")
    ] = None,
    phase: Annotated[list[str] | None, Query(description="PHASE1 … PHASE4, EARLY_PHASE1, NA.")] = None,
    study_type: Annotated[list[str] | None, Query(description="INTERVENTIONAL, OBSERVATIONAL …")] = None,
    country: Annotated[list[str] | None, Query(description="Country of a site.")] = None,
    sponsor_class: Annotated[
        list[str] | None, Query(description="Lead sponsor class: INDUSTRY, NIH …")
    ] = None,
    sex: Annotated[Literal["female", "male"] | None, Query(description="Open to this sex.")] = None,
    age: Annotated[float | None, Query(ge=0, le=150, description="Open to this age, in years.")] = None,
    start_from: Annotated[int | None, Query(ge=1900, le=2200)] = None,
    start_to: Annotated[int | None, Query(ge=1900, le=2200)] = None,
    has_results: bool | None = None,
    open_only: Annotated[
        bool, Query(description="Only recruiting, not yet recruiting or by invitation.")
    ] = False,
    sort: SortOrder = "relevance",
    cursor: Annotated[
        str | None, Query(max_length=200, description="next_cursor of the previous page.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
) -> SearchParams:
    return SearchParams(
        q=q,
        status=_multi(status),
        phase=_multi(phase),
        study_type=_multi(study_type),
        country=_multi(country),
        sponsor_class=_multi(sponsor_class),
        sex=sex,
        age=age,
        start_from=start_from,
        start_to=start_to,
        has_results=has_results,
        open_only=open_only,
        sort=sort,
        cursor=cursor,
        limit=limit,
    )


SearchDep = Annotated[SearchParams, Depends(search_params)]


@router.get("/trials", tags=TRIALS, response_model=SearchPage, responses=problem_responses(400, 422))
def list_trials(service: AtlasDep, params: SearchDep) -> SearchPage:
    """Search the trials: words, filters, facet counts and cursor paging (pass ``next_cursor`` back)."""
    return service.search(params)


@router.get(
    "/trials/{nct}",
    tags=TRIALS,
    responses={
        200: {
            "description": "The trial: the trialatlas model, a ClinicalTrials.gov v2 study, or a FHIR R4 "
            "ResearchStudy",
            "content": {"application/json": {}, FHIR_MEDIA_TYPE: {}},
        },
        **problem_responses(400, 404, 422),
    },
)
def get_trial(
    service: AtlasDep,
    nct: str,
    format: Annotated[Literal["model", "ctgov", "fhir"], Query(description="Shape of the answer.")] = "model",
) -> Response:
    """One trial by NCT id (or org study id / secondary id)."""
    trial = service.trial(nct)
    if format == "ctgov":
        return JSONResponse(trial_to_study(trial))
    if format == "fhir":
        return JSONResponse(trial_to_fhir(trial), media_type=FHIR_MEDIA_TYPE)
    return JSONResponse(trial.model_dump(mode="json", exclude_none=True, exclude_defaults=True))


@router.get(
    "/trials/{nct}/related",
    tags=TRIALS,
    response_model=list[RelatedResult],
    responses=problem_responses(400, 404, 422),
)
def get_related(
    service: AtlasDep, nct: str, top: Annotated[int, Query(ge=1, le=50)] = 10
) -> list[RelatedResult]:
    """The trials most like this one, best first, each with its score and the reasons."""
    return service.related(nct, top)


@router.get(
    "/trials/{nct}/regimen",
    tags=TRIALS,
    response_model=TrialTimeline,
    responses={
        200: {
            "content": {"application/json": {}, "image/svg+xml": {}},
            "description": "Timeline or its chart",
        },
        **problem_responses(400, 404, 422),
    },
)
def get_regimen(
    service: AtlasDep, nct: str, format: Annotated[Literal["json", "svg"], Query()] = "json"
) -> Any:
    """Each arm's regimen as a timeline of phases with parsed doses (``format=svg``: the chart)."""
    timeline = service.timeline(nct)
    if format == "svg":
        return Response(service.timeline_svg(timeline), media_type="image/svg+xml")
    return timeline


@router.get(
    "/trials/{nct}/dose", tags=TRIALS, response_model=TrialDoses, responses=problem_responses(400, 404, 422)
)
def get_dose(
    service: AtlasDep,
    nct: str,
    weight: Annotated[float, Query(gt=0, le=500, description="Body weight in kg.")],
    height: Annotated[float | None, Query(gt=0, le=300, description="Height in cm (for m² doses).")] = None,
) -> TrialDoses:
    """Every stated dose of the trial worked out for one patient's weight (and height)."""
    return service.doses(nct, weight, height)


@router.post("/match", tags=TRIALS, response_model=MatchResponse, responses=problem_responses(400, 422))
def post_match(service: AtlasDep, request: MatchRequest) -> JSONResponse:
    """Rank trials for a patient (a profile or a note) with a verdict per criterion. Nothing is stored."""
    result = service.match(request)
    return JSONResponse(result.model_dump(mode="json"), headers={"Cache-Control": "no-store"})


@router.get("/stats", tags=TRIALS, responses=problem_responses(400, 422))
def get_stats(service: AtlasDep, params: SearchDep) -> dict[str, Any]:
    """Counts of the trials a search matches (all trials without filters), for charts."""
    counts = service.counts(params, STATS_FACETS)
    return {
        "total": counts["total"][0][1],
        **{f"by_{facet}": [{"value": v, "count": n} for v, n in counts[facet]] for facet in STATS_FACETS},
    }


@router.get("/health", tags=["server"])
def get_health(service: AtlasDep) -> dict[str, Any]:
    return {"status": "ok", "trials": service.count()}


@router.post("/ingest", tags=["server"], responses=problem_responses(400, 401, 403, 413, 422))
async def post_ingest(
    request: Request,
    files: Annotated[list[UploadFile], File(description="Registry files in any format trialatlas reads.")],
    authorization: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    """Ingest uploaded registry files; only when the server was started with an ingest token."""
    token: str | None = request.app.state.ingest_token
    if not token:
        raise HTTPException(403, "ingest is off: start the server with an ingest token to allow it")
    given = authorization.removeprefix("Bearer ").strip() if authorization else ""
    if not hmac.compare_digest(given.encode(), token.encode()):
        raise HTTPException(
            401, "send 'Authorization: Bearer <ingest token>'", headers={"WWW-Authenticate": "Bearer"}
        )
    service = atlas(request)
    with tempfile.TemporaryDirectory(prefix="trialatlas-ingest-") as folder:
        paths: list[Path] = []
        total = 0
        for number, upload in enumerate(files):
            # Only the base name is kept: it tells the readers the format, and cannot climb directories.
            name = Path(upload.filename or f"upload-{number}").name or f"upload-{number}"
            path = Path(folder) / f"{number:03d}-{name}"
            data = await upload.read()
            total += len(data)
            if total > _MAX_UPLOAD:
                raise QueryError(f"uploads larger than {_MAX_UPLOAD // (1024 * 1024)} MiB are refused")
            path.write_bytes(data)
            paths.append(path)
        return await run_in_threadpool(service.ingest, paths)
