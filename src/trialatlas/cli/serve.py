"""``trialatlas serve``: the web pages and the REST API over one store, on one address."""

from __future__ import annotations

import os
import socket
from typing import Annotated

import typer

from trialatlas.cli.common import DbOption, console
from trialatlas.config import DB_ENV, default_db_path
from trialatlas.errors import TrialAtlasError


def register(app: typer.Typer) -> None:
    app.command("serve")(serve_command)


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def match_workers_per_server(total: int, servers: int) -> int:
    """Match processes each server process starts, so that all of them together are about ``total``
    (the cores: matching is CPU-bound, and more processes than cores only queue), at least one each
    unless ``total`` is 0 (match in the server processes)."""
    if total <= 0:
        return 0
    return max(1, total // max(1, servers))


def _url(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def serve_command(
    db: DbOption = None,
    host: Annotated[str, typer.Option(help="Address to listen on (loopback by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port; 0 picks a free one.")] = 8000,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=32,
            help="Server processes, each stateless: they share the store and its indexes"
            " (default: the number of cores).",
            show_default=False,
        ),
    ] = None,
    ingest_token: Annotated[
        str | None,
        typer.Option(
            envvar="TRIALATLAS_INGEST_TOKEN",
            help="Allow POST /api/ingest for requests bearing this token (off without it).",
            show_default=False,
        ),
    ] = None,
    match_workers: Annotated[
        int | None,
        typer.Option(
            min=0,
            max=64,
            help="Processes that match patients, shared out among the server processes"
            " (0: in each server process; default: the number of cores).",
            show_default=False,
        ),
    ] = None,
    access_log: Annotated[bool, typer.Option(help="Log every request line.")] = False,
) -> None:
    """Serve the web pages (search, trial, compare, match, landscape) and the REST API (/api, /docs)."""
    import uvicorn

    from trialatlas.api.app import create_app

    location = db or default_db_path()
    shown = location
    if "://" in location and location.split("://", 1)[0].lower().startswith("postgres"):
        from trialatlas.store.postgres import redact

        shown = redact(location)  # a password in the URL is never printed
    cores = os.cpu_count() or 1
    servers = workers or cores
    per_server = match_workers_per_server(cores if match_workers is None else match_workers, servers)
    try:
        sock = _bind(host, port)
    except OSError as exc:
        raise TrialAtlasError(f"cannot listen on {host}:{port}: {exc}") from exc
    url = _url(host, sock.getsockname()[1])
    log_level = "info" if access_log else "warning"
    if servers == 1:
        try:
            application = create_app(location, ingest_token=ingest_token, match_workers=per_server)
        except BaseException:
            sock.close()
            raise
        console.print(
            f"trialatlas serving {shown} at {url}  (API docs: {url}docs; Ctrl-C stops)", soft_wrap=True
        )
        config = uvicorn.Config(application, log_level=log_level, access_log=access_log)
        uvicorn.Server(config).run(sockets=[sock])
        return
    # Several processes share the socket; each opens the store itself (SQLite serialises writes) and
    # keeps nothing another needs: the search index is the store's (its file's tables, or its
    # database's), the related and match statistics files sit beside a file store.
    os.environ[DB_ENV] = location
    os.environ["TRIALATLAS_MATCH_WORKERS"] = str(per_server)
    if ingest_token:
        os.environ["TRIALATLAS_INGEST_TOKEN"] = ingest_token
    console.print(
        f"trialatlas serving {shown} at {url} with {servers} workers (Ctrl-C stops)", soft_wrap=True
    )
    config = uvicorn.Config(
        "trialatlas.api.app:app_from_env",
        factory=True,
        workers=servers,
        log_level=log_level,
        access_log=access_log,
    )
    from uvicorn.supervisors import Multiprocess

    Multiprocess(config, sockets=[sock]).run()
