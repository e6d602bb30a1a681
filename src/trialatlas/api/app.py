"""The ASGI application: the REST API, the web pages and their static files, from one store.

``create_app("var/trialatlas.db")`` is all a server needs. The app makes no request of its own to
anywhere, and its pages load nothing from anywhere but itself (every script and style is vendored, and
the Content-Security-Policy says so to the browser).
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from importlib import resources

from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from trialatlas.api.problems import install_problem_handlers, server_error
from trialatlas.api.routes import router as api_router
from trialatlas.services.atlas import open_atlas
from trialatlas.web.pages import router as page_router

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'; connect-src 'self'"
)
# An SVG served as an image has its own <style>: allowed there, and scripts in it never run.
SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'"
INGEST_TOKEN_ENV = "TRIALATLAS_INGEST_TOKEN"
MATCH_WORKERS_ENV = "TRIALATLAS_MATCH_WORKERS"

_DOCS_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>trialatlas API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/static/vendor/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/static/vendor/swagger-ui-bundle.js"></script>
<script src="/static/docs.js"></script></body></html>
"""


def create_app(
    store_url: str, *, ingest_token: str | None = None, warm: bool = True, match_workers: int = 0
) -> FastAPI:
    """The app over the store at ``store_url``; ``POST /api/ingest`` works only with ``ingest_token``.

    ``warm`` brings the derived indexes up to date before the first request (a no-op when the store's
    writes kept them current) and loads the matcher's models in the background, so the first
    searches do not pay for it. ``match_workers`` > 0 runs patient matching in that many worker
    processes, so that its CPU-bound rules do not hold up the other requests.
    """
    service = open_atlas(store_url, match_workers=match_workers)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if warm:
            # Derived indexes first, before any request: a search that came while another thread
            # caught up would be answered from the index as it was (a catch-up never makes a search
            # wait), missing changes made before the server started. Loading the rest can follow.
            await asyncio.to_thread(service.catch_up)
            threading.Thread(target=service.warm, name="trialatlas-warm", daemon=True).start()
        try:
            yield
        finally:
            service.close()

    app = FastAPI(
        title="trialatlas",
        summary="An offline clinical-trial atlas: search, trials, related trials, regimens, matching.",
        version="0.1.0",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.atlas = service
    app.state.ingest_token = ingest_token or None
    install_problem_handlers(app)

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        try:
            response = await call_next(request)
        except Exception as exc:
            # Answered here rather than by the server's last-resort handler, which sends a 500
            # without these headers and then drops the keep-alive connection.
            response = server_error(request, exc)
        is_svg = response.headers.get("content-type", "").startswith("image/svg+xml")
        response.headers.setdefault("Content-Security-Policy", SVG_CSP if is_svg else CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("X-Frame-Options", "DENY")
        return response

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(_DOCS_HTML)

    static_dir = resources.files("trialatlas.web") / "static"
    app.mount("/static", StaticFiles(directory=str(static_dir)), name="static")
    app.include_router(api_router)
    app.include_router(page_router)
    return app


def app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory`` and for worker processes: the store from ``$TRIALATLAS_DB``."""
    from trialatlas.config import default_db_path

    workers = int(os.environ.get(MATCH_WORKERS_ENV) or 0)
    return create_app(default_db_path(), ingest_token=os.environ.get(INGEST_TOKEN_ENV), match_workers=workers)


__all__ = ["create_app"]
