"""The REST API under ``/api``: each route parses its input and calls one :class:`Atlas` method."""

from __future__ import annotations

import hmac
import tempfile
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Header, HTTPException, Query, Request, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool

# The {nct:trial_id} path convertor must be registered before these routes are built.
import trialatlas.web.urls  # noqa: F401
from trialatlas.api.problems import problem_responses
from trialatlas.errors import QueryError
from trialatlas.export.ctgov_v2 import trial_to_study
from trialatlas.export.fhir import trial_to_fhir
from trialatlas.extract.regimen import TrialDoses, TrialTimeline
from trialatlas.related import RelatedReport
from trialatlas.search import FACETS, SearchResults
from trialatlas.services.atlas import Atlas
from trialatlas.services.checks import TRIAL_ID_PATTERN
from trialatlas.services.export import MEDIA_TYPES, SUFFIXES, ExportFormat
from trialatlas.services.match_models import MatchRequest, MatchResponse
from trialatlas.services.models import (
    IngestResponse,
    NearRequest,
    NearResponse,
    SearchRequest,
    Stats,
    StoreCounts,
)
from trialatlas.services.sections import trial_document
from trialatlas.text.schema_patterns import comma_list, portable

router = APIRouter(prefix="/api")
TRIALS: list[str | Enum] = ["trials"]

FHIR_MEDIA_TYPE = "application/fhir+json"
_MAX_UPLOAD = 200 * 1024 * 1024


def atlas(request: Request) -> Atlas:
    found: Atlas = request.app.state.atlas
    return found


AtlasDep = Annotated[Atlas, Depends(atlas)]
TrialId = Annotated[
    str,
    PathParam(
        description="An NCT id (NCT followed by 8 digits), a store key or an org study id.",
        # The rule the handler applies (its 400 says what an id looks like).
        json_schema_extra={"pattern": TRIAL_ID_PATTERN},
    ),
]


def search_request(params: Annotated[SearchRequest, Query()]) -> SearchRequest:
    """Filters repeat (``?phase=2&phase=3``); vocabulary ones may also be comma-separated (``2,3``)."""
    return params


SearchDep = Annotated[SearchRequest, Depends(search_request)]
# Facet names, comma-separated or repeated ('none' counts none, unless others are named too).
_FACET_NAMES = "^" + comma_list(portable(r"\s*(?:" + "|".join([*FACETS, "none"]) + r")\s*")) + "$"


def facet_names(
    facets: Annotated[
        list[str] | None,
        Query(
            description=f"Facets to count (default all; 'none' alone for none): {', '.join(FACETS)}.",
            json_schema_extra={"items": {"type": "string", "pattern": _FACET_NAMES}},
        ),
    ] = None,
) -> bool | list[str]:
    names = [name.strip() for value in facets or [] for name in value.split(",") if name.strip()]
    counted = [name for name in names if name != "none"]
    if counted:
        return counted
    return not names  # only "none": count none; nothing named: count all


FacetsDep = Annotated[bool | list[str], Depends(facet_names)]


@router.get("/trials", tags=TRIALS, response_model=SearchResults, responses=problem_responses(400, 422))
def list_trials(
    service: AtlasDep,
    params: SearchDep,
    facets: FacetsDep,
    facet_limit: Annotated[
        int, Query(ge=1, le=1000, description="Values per facet, most frequent first.")
    ] = 20,
) -> SearchResults:
    """Ranked search with filters, facet counts, expansions and cursor paging (pass ``next_cursor``
    back, with the same query and filters, for the next page)."""
    return service.search(params, facets=facets, facet_limit=facet_limit)


@router.get(
    "/trials/{nct:trial_id}",
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
    nct: TrialId,
    format: Annotated[Literal["model", "ctgov", "fhir"], Query(description="Shape of the answer.")] = "model",
) -> Response:
    """One trial by NCT id (or org study id / secondary id)."""
    trial = service.trial(nct)
    if format == "ctgov":
        return JSONResponse(trial_to_study(trial))
    if format == "fhir":
        return JSONResponse(trial_to_fhir(trial), media_type=FHIR_MEDIA_TYPE)
    return JSONResponse(trial_document(trial))


@router.get(
    "/trials/{nct:trial_id}/related",
    tags=TRIALS,
    response_model=RelatedReport,
    responses=problem_responses(400, 404, 422),
)
def get_related(
    service: AtlasDep, nct: TrialId, top: Annotated[int, Query(ge=1, le=50)] = 10
) -> RelatedReport:
    """The trials most like this one (``computed``), best first, each with its score and the reasons;
    apart (``listed``), the trials its source pages list, with our similarity where we know it."""
    return service.related({"nct": nct, "top": top})


@router.get(
    "/trials/{nct:trial_id}/regimen",
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
    service: AtlasDep,
    nct: TrialId,
    format: Annotated[Literal["json", "svg"], Query()] = "json",
    width: Annotated[int, Query(ge=320, le=1600, description="Chart width in px to lay out for.")] = 900,
) -> Any:
    """Each arm's regimen as a timeline of phases with parsed doses (``format=svg``: the chart, laid out
    for ``width`` pixels)."""
    timeline = service.timeline(nct)
    if format == "svg":
        return Response(service.timeline_svg(timeline, width), media_type="image/svg+xml")
    return timeline


@router.get(
    "/trials/{nct:trial_id}/dose",
    tags=TRIALS,
    response_model=TrialDoses,
    responses=problem_responses(400, 404, 422),
)
def get_dose(
    service: AtlasDep,
    nct: TrialId,
    weight: Annotated[float, Query(gt=0, description="Body weight in kg (0.3-350 accepted).")],
    height: Annotated[
        float | None, Query(gt=0, description="Height in cm, for m² doses (20-250 accepted).")
    ] = None,
) -> TrialDoses:
    """Every stated dose of the trial worked out for one patient's weight (and height)."""
    return service.doses({"nct": nct, "weight": weight, "height": height})


@router.post("/match", tags=TRIALS, response_model=MatchResponse, responses=problem_responses(400, 422))
def post_match(service: AtlasDep, request: MatchRequest) -> JSONResponse:
    """Rank trials for a patient (a profile or a note) with a verdict per criterion. Nothing is stored."""
    result = service.match(request)
    return JSONResponse(result.model_dump(mode="json"), headers={"Cache-Control": "no-store"})


@router.get("/stats", tags=TRIALS, response_model=StoreCounts)
def get_stats(service: AtlasDep) -> StoreCounts:
    """What the store holds, counted by registry, status, phase, study type, country and start year:
    the document ``trialatlas stats --json`` prints."""
    return service.store_counts()


@router.get("/facets", tags=TRIALS, response_model=Stats, responses=problem_responses(400, 422))
def get_facets(
    service: AtlasDep,
    params: SearchDep,
    facets: FacetsDep,
    top: Annotated[int, Query(ge=1, le=10_000, description="Values per facet, most frequent first.")] = 100,
) -> Stats:
    """How many trials a search matches (all trials without one), counted by every facet, for charts."""
    return service.stats(params, facets, top)


@router.get("/near", tags=TRIALS, response_model=NearResponse, responses=problem_responses(400, 422))
def get_near(service: AtlasDep, params: Annotated[NearRequest, Query()]) -> NearResponse:
    """Recruiting trials nearest a patient, by the distance to their closest recruiting site."""
    return service.near(params)


@router.get(
    "/download",
    tags=TRIALS,
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "The search's trials as a file: CSV, JSON lines, or a zip of ctgov-json studies.",
            "content": {media_type: {} for media_type in sorted(set(MEDIA_TYPES.values()))},
        },
        **problem_responses(400, 422),
    },
)
def get_download(
    service: AtlasDep,
    params: SearchDep,
    format: Annotated[
        ExportFormat, Query(description="csv (the site's columns), jsonl, or ctgov-json (a zip).")
    ],
) -> StreamingResponse:
    """Every trial the search finds, streamed (any result size) in the chosen format."""
    # Run once before streaming: a malformed search is a 4xx, not a download cut short.
    service.search(params.model_copy(update={"cursor": None, "limit": 1}), facets=False, snippets=False)
    name = f"trialatlas-search.{SUFFIXES[format]}"
    return StreamingResponse(
        iterate_in_threadpool(service.download(params, format)),
        media_type=MEDIA_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/places", tags=TRIALS, response_model=list[str], responses=problem_responses(422))
def get_places(
    q: Annotated[str, Query(max_length=100, description="The start of a place name (2 letters or more).")],
    limit: Annotated[int, Query(ge=1, le=20)] = 8,
) -> list[str]:
    """Places of the offline gazetteer whose name starts with ``q``, most populous first, written as
    the ``location`` of a search or of ``/near`` reads them (for a type-ahead)."""
    return Atlas.places(q, limit)


@router.get("/health", tags=["server"])
def get_health(service: AtlasDep) -> dict[str, Any]:
    return {"status": "ok", "trials": service.count()}


@router.post(
    "/ingest",
    tags=["server"],
    response_model=IngestResponse,
    responses=problem_responses(400, 401, 403, 413, 422),
)
async def post_ingest(
    request: Request,
    files: Annotated[
        list[UploadFile], File(min_length=1, description="Registry files in any format trialatlas reads.")
    ],
    authorization: Annotated[str | None, Header()] = None,
) -> IngestResponse:
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
