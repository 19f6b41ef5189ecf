"""Gzip for HTML pages. API responses are left as they are (their ETags are of the exact bytes),
and static assets are served already compressed."""

from __future__ import annotations

from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

_SKIP = ("/v1/", "/static/", "/metrics", "/openapi.json", "/.well-known/")


class PageGzipMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.gzip = GZipMiddleware(app, minimum_size=800, compresslevel=6)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not str(scope["path"]).startswith(_SKIP):
            await self.gzip(scope, receive, send)
        else:
            await self.app(scope, receive, send)
