"""The page routes: parse the request, call one view or service function, render one template."""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlsplit

import jinja2
import markupsafe
from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from trialatlas.errors import QueryError
from trialatlas.search import SortKey
from trialatlas.services.atlas import Atlas
from trialatlas.services.models import MAX_LIMIT, SearchRequest
from trialatlas.services.patients import profile_from_form
from trialatlas.services.results import NO_VALUES
from trialatlas.text.markdown import unescape_markdown
from trialatlas.web.charts import standalone_svg
from trialatlas.web.landscape import chart_csv, landscape_chart, landscape_view
from trialatlas.web.urls import FILTER_FACETS, hidden_fields, read_search, search_url
from trialatlas.web.views import compare_view, label, search_view, trial_view

router = APIRouter(include_in_schema=False)


def shown(value: object) -> object:
    """What a page prints of a value: registry text with API v2's markdown escapes undone ("\\>= 1:80"
    reads ">= 1:80", as on the registry's page); markup a template built (JSON, SVG) as it is."""
    if isinstance(value, str) and not isinstance(value, markupsafe.Markup):
        return unescape_markdown(value)
    return value


_env = jinja2.Environment(
    loader=jinja2.PackageLoader("trialatlas.web", "templates"),
    # On for every template whatever its name: registry text is untrusted everywhere.
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    finalize=shown,
)
templates = Jinja2Templates(env=_env)

_DOI = re.compile(r"^10\.\d{4,9}/\S+$")


def safe_url(url: str | None) -> str | None:
    """Only web links become links; ``javascript:`` and friends stay text."""
    if not url:
        return None
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:
        return None
    return url.strip() if scheme in ("http", "https") else None


def doi_url(doi: str | None) -> str | None:
    return f"https://doi.org/{doi.strip()}" if doi and _DOI.match(doi.strip()) else None


def pubmed_url(pmid: str | None) -> str | None:
    return f"https://pubmed.ncbi.nlm.nih.gov/{pmid.strip()}/" if pmid and pmid.strip().isdigit() else None


_env.filters["label"] = label
_env.globals.update(
    safe_url=safe_url,
    doi_url=doi_url,
    pubmed_url=pubmed_url,
    search_url=search_url,
    hidden_fields=hidden_fields,
    # Chosen on the sidebar or in the charts, so carried as hidden inputs by the search forms.
    facet_params=sorted({*FILTER_FACETS, "facet"}),
    # What a search is, without its position: carried by the landscape's form.
    filter_params=[
        name for name in SearchRequest.model_fields if name not in {"q", "cursor", "page", "limit"}
    ],
    sort_keys=list(SortKey),
    max_limit=MAX_LIMIT,
    no_values=NO_VALUES,
)


def atlas(request: Request) -> Atlas:
    found: Atlas = request.app.state.atlas
    return found


AtlasDep = Annotated[Atlas, Depends(atlas)]


def _number(raw: str | None, name: str, kind: type[float] | type[int]) -> Any:
    if raw is None or not raw.strip():
        return None
    try:
        return kind(raw)
    except ValueError as exc:
        raise QueryError(f"{name} must be a number, not {raw[:30]!r}") from exc


def page_search(request: Request) -> SearchRequest:
    """The search held in a page URL; empty form fields mean "not set" (plain HTML forms send them)."""
    return read_search(request.query_params.multi_items())


PageSearch = Annotated[SearchRequest, Depends(page_search)]


def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("active", name.removesuffix(".html"))
    return templates.TemplateResponse(request, name, context, status_code=status)


def error_page(request: Request, status: int, title: str, detail: str) -> Response:
    return render(request, "error.html", status, title=title, detail=detail)


def _canonical(request: Request, params: SearchRequest) -> Response | None:
    """A redirect to the tidy URL of this search when the request spelled it otherwise.

    A plain HTML form sends every field, empty or not; the address people share should hold only
    what was chosen.
    """
    wanted = search_url(params, request.url.path)
    if sorted(parse_qsl(urlsplit(wanted).query)) == sorted(request.query_params.multi_items()):
        return None
    return RedirectResponse(wanted, status_code=303)


@router.get("/", response_class=HTMLResponse)
def search_page(request: Request, service: AtlasDep, params: PageSearch) -> Response:
    if redirect := _canonical(request, params):
        return redirect
    view = search_view(service, params)
    # A malformed query is the asker's to fix: the page says how, with the query still in the box.
    return render(request, "search.html", 400 if view.error else 200, params=params, view=view)


@router.get("/trials/{nct:trial_id}", response_class=HTMLResponse)
def trial_page(request: Request, service: AtlasDep, nct: str) -> HTMLResponse:
    return render(request, "trial.html", view=trial_view(service, nct))


@router.get("/trials/{nct:trial_id}/doses", response_class=HTMLResponse)
def dose_fragment(
    request: Request,
    service: AtlasDep,
    nct: str,
    # The dose calculator refuses an implausible weight with its own message (0.3-350 kg).
    weight: Annotated[float, Query(gt=0)],
    height: Annotated[str | None, Query()] = None,
) -> HTMLResponse:
    doses = service.doses({"nct": nct, "weight": weight, "height": _number(height, "height", float)})
    return render(request, "_doses.html", doses=doses, nct=nct)


@router.get("/compare", response_class=HTMLResponse)
def compare_page(
    request: Request, service: AtlasDep, ids: Annotated[list[str] | None, Query()] = None
) -> HTMLResponse:
    if not ids or not any(i.strip() for i in ids):
        return render(request, "compare.html", view=None, ids="")
    return render(request, "compare.html", view=compare_view(service, ids), ids=",".join(ids))


@router.get("/match", response_class=HTMLResponse)
def match_form(request: Request) -> HTMLResponse:
    return render(request, "match.html", result=None, form={})


@router.post("/match", response_class=HTMLResponse)
def match_page(
    request: Request,
    service: AtlasDep,
    age: Annotated[str, Form(max_length=10)] = "",
    sex: Annotated[str, Form(max_length=10)] = "",
    conditions: Annotated[str, Form(max_length=5000)] = "",
    labs: Annotated[str, Form(max_length=5000)] = "",
    medications: Annotated[str, Form(max_length=5000)] = "",
    note: Annotated[str, Form(max_length=20000)] = "",
    status: Annotated[str, Form(max_length=40)] = "",
    top: Annotated[int, Form(ge=1, le=50)] = 10,
) -> HTMLResponse:
    profile = profile_from_form(
        age=_number(age, "age", float),
        sex=sex or None,
        conditions=conditions,
        labs=labs,
        medications=medications,
        note=note,
    )
    result = service.match_profile(profile, top=top, status=status or None)
    form = {
        "age": age,
        "sex": sex,
        "conditions": conditions,
        "labs": labs,
        "medications": medications,
        "note": note,
        "status": status,
    }
    response = render(request, "match.html", result=result, form=form)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/landscape", response_class=HTMLResponse)
def landscape_page(request: Request, service: AtlasDep, params: PageSearch) -> Response:
    return _canonical(request, params) or render(
        request, "landscape.html", params=params, view=landscape_view(service, params)
    )


def _attachment(body: bytes | str, media_type: str, filename: str) -> Response:
    return Response(
        body, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


@router.get("/landscape/{facet}.svg")
def landscape_chart_svg(service: AtlasDep, params: PageSearch, facet: str) -> Response:
    chart = landscape_chart(service, params, facet)
    return _attachment(standalone_svg(chart.svg), "image/svg+xml", f"trials-by-{chart.facet}.svg")


@router.get("/landscape/{facet}.csv")
def landscape_chart_data(service: AtlasDep, params: PageSearch, facet: str) -> Response:
    chart = landscape_chart(service, params, facet)
    return _attachment(chart_csv(chart), "text/csv; charset=utf-8", f"trials-by-{chart.facet}.csv")
