"""The REST API and web server: ``create_app(store_url)`` gives the ASGI app (:mod:`trialatlas.api.app`)."""

from trialatlas.api.app import create_app

__all__ = ["create_app"]
