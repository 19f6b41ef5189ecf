"""Cross-cutting HTTP behaviour as plain ASGI middleware: request ids, access logs, metrics,
security headers and the request-size limit. Plain ASGI keeps streaming bodies streaming and costs
less per request than BaseHTTPMiddleware.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable

import structlog
from prometheus_client import Counter, Histogram
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rolecall.platform.errors import (
    database_unavailable,
    is_database_unavailable,
    problem_response,
    send_problem,
)

log = structlog.get_logger("rolecall.http")

REQUESTS = Counter("rolecall_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram(
    "rolecall_http_request_duration_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"strict-transport-security", b"max-age=63072000; includeSubDomains"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]
# The docs pages (/docs, /redoc) send their own policy (rolecall.platform.openapi: this origin's
# assets only); everything else is JSON and needs nothing.
_API_CSP = b"default-src 'none'; frame-ancestors 'none'"
_DOCS_PATHS = ("/docs", "/redoc")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_NO_STORE = (b"cache-control", b"no-store")


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"


# Given a failed request's path, a page to answer with instead of a problem document (None: answer
# with the problem document). The web layer supplies it; the platform knows no pages.
ErrorPage = Callable[[str], Response | None]


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, error_page: ErrorPage | None = None) -> None:
        self.app = app
        self.error_page = error_page

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_headers = dict(scope["headers"])
        incoming = request_headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        # A response to a request that carried credentials is about that caller: unless the route chose
        # a caching policy, no browser or shared cache may keep it.
        credentialed = b"authorization" in request_headers
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status_holder = {"status": 500}
        path: str = scope["path"]

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                status_holder["sent"] = 1
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"]
                headers.append((b"x-request-id", request_id.encode()))
                present = {k.lower() for k, _ in headers}
                headers.extend(h for h in SECURITY_HEADERS if h[0] not in present)
                if b"content-security-policy" not in present and not path.startswith(_DOCS_PATHS):
                    headers.append((b"content-security-policy", _API_CSP))
                if credentialed and _NO_STORE[0] not in present:
                    headers.append(_NO_STORE)
                # Time to the first byte inside the app: what browsers' developer tools and the page
                # benchmark (bench/pages.py) read as the server's share of a request.
                spent = (time.perf_counter() - started) * 1000
                headers.append((b"server-timing", f"app;dur={spent:.1f}".encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except Exception as exc:
            if is_database_unavailable(exc) and not status_holder.get("sent"):
                # A middleware (idempotency, authentication) needed the database before any route
                # handler could answer: the same 503 the handlers give (rolecall.platform.errors).
                log.warning("database_unavailable", error=type(exc).__name__)
                down = database_unavailable()
                answer = problem_response(503, down.slug, down.title, down.detail, headers=down.headers)
                await answer(scope, receive, send_wrapper)
                return
            # Caught here rather than by Starlette's outermost handler so the 500 still carries
            # the request id, which is what an operator will search the logs for.
            log.exception("unhandled_error", method=scope["method"], route=_route_template(scope))
            if status_holder.get("sent"):
                raise
            page = self.error_page(path) if self.error_page is not None else None
            if page is None:
                await send_problem(send_wrapper, 500, "internal-error", "Internal server error")
            else:
                await page(scope, receive, send_wrapper)
        finally:
            elapsed = time.perf_counter() - started
            route = _route_template(scope)
            method = scope["method"]
            REQUESTS.labels(method, route, str(status_holder["status"])).inc()
            LATENCY.labels(method, route).observe(elapsed)
            log.info(
                "request",
                method=method,
                route=route,
                status=status_holder["status"],
                duration_ms=round(elapsed * 1000, 2),
            )
            structlog.contextvars.clear_contextvars()


class BodySizeLimitMiddleware:
    """Refuses bodies larger than the limit, by Content-Length up front or by counting as it streams.

    Routes that take file uploads (paths matching ``upload_paths``) get the larger ``upload_max_bytes``;
    every other route keeps the small limit, so a JSON endpoint cannot be fed megabytes.
    """

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        upload_max_bytes: int | None = None,
        upload_paths: re.Pattern[str] | None = None,
    ) -> None:
        self.app = app
        self.default_max_bytes = max_bytes
        self.upload_max_bytes = upload_max_bytes or max_bytes
        self.upload_paths = upload_paths

    async def _reject(self, send: Send, status: int = 413, limit: int = 0) -> None:
        if status == 413:
            await send_problem(
                send,
                413,
                "payload-too-large",
                "Request body too large",
                f"Bodies are limited to {limit} bytes.",
            )
        else:
            await send_problem(
                send, 400, "bad-request", "Bad request", "The Content-Length header is invalid."
            )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        upload = self.upload_paths is not None and self.upload_paths.fullmatch(scope["path"]) is not None
        max_bytes = self.upload_max_bytes if upload else self.default_max_bytes
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None:
            if not length.strip().isdigit():
                await self._reject(send, 400)
                return
            if int(length) > max_bytes:
                await self._reject(send, limit=max_bytes)
                return
            await self.app(scope, receive, send)
            return
        if scope["method"] in ("GET", "HEAD", "OPTIONS", "DELETE"):
            await self.app(scope, receive, send)
            return
        # No Content-Length (chunked upload): read up to the limit here, then replay it to the app.
        chunks: list[bytes] = []
        received = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away mid-upload: there is no one to answer
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > max_bytes:
                await self._reject(send, limit=max_bytes)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)
