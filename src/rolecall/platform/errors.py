"""Typed errors rendered as RFC 9457 ``application/problem+json``.

Services raise these; one set of handlers turns them (and framework errors) into problem documents,
so every failure a client sees has the same shape: ``type``, ``title``, ``status``, ``detail``
and, for validation failures, an ``errors`` list naming each field. No ``instance`` member is sent:
a 404 for another tenant's object must be byte-identical to one for an id that never existed.
"""

from __future__ import annotations

import socket
from http import HTTPStatus
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.routing import iter_route_contexts
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse
from starlette.routing import Match
from starlette.types import Message, Send

log = structlog.get_logger("rolecall.http")

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://rolecall.dev/problems/"
_RESERVED = frozenset({"type", "title", "status", "detail"})


class ProblemError(Exception):
    status = 500
    slug = "internal-error"
    title = "Internal server error"

    def __init__(
        self,
        detail: str | None = None,
        *,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail
        self.extra = extra or {}
        self.headers = headers or {}


class BadRequest(ProblemError):
    status, slug, title = 400, "bad-request", "Bad request"


class Unauthorized(ProblemError):
    status, slug, title = 401, "unauthorized", "Authentication required"

    def __init__(self, detail: str | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("headers", {"WWW-Authenticate": 'Bearer realm="rolecall"'})
        super().__init__(detail, **kwargs)


class Forbidden(ProblemError):
    status, slug, title = 403, "forbidden", "Not allowed"


class NotFound(ProblemError):
    status, slug, title = 404, "not-found", "Not found"


class Conflict(ProblemError):
    status, slug, title = 409, "conflict", "Conflict"


class PreconditionFailed(ProblemError):
    status, slug, title = 412, "precondition-failed", "Precondition failed"


class PayloadTooLarge(ProblemError):
    status, slug, title = 413, "payload-too-large", "Request body too large"


class Unprocessable(ProblemError):
    status, slug, title = 422, "unprocessable", "Request cannot be processed"


class PreconditionRequired(ProblemError):
    status, slug, title = 428, "precondition-required", "Precondition required"


class TooManyRequests(ProblemError):
    status, slug, title = 429, "too-many-requests", "Too many requests"


class ServiceUnavailable(ProblemError):
    status, slug, title = 503, "service-unavailable", "Service unavailable"


# The database could not be reached or did not answer in time: refused or dropped connections, a
# server that is starting or shutting down, no free pool connection within the pool timeout, a
# SQLite file that cannot be opened. SQLAlchemy wraps the drivers' errors in DBAPIError subclasses
# (which of them depends on the driver, hence the checks in is_database_unavailable); asyncpg
# raises the socket's own error when the connection is refused. None of them is the client's
# fault and retrying later is the right answer, so they are a 503 with Retry-After, not a 500.
DATABASE_UNAVAILABLE: tuple[type[Exception], ...] = (
    sa_exc.DBAPIError,
    sa_exc.TimeoutError,
    sa_exc.DisconnectionError,
    ConnectionError,
    socket.gaierror,
    TimeoutError,
)
RETRY_AFTER_SECONDS = 5
# SQLite reports a missing table or a syntax error as an OperationalError too: those are bugs (a
# 500), not an outage. Only these messages of its driver mean "the database cannot be used now".
_SQLITE_UNAVAILABLE = (
    "unable to open database file",
    "database is locked",
    "disk i/o error",
    "database or disk is full",
    "readonly database",
)
# PostgreSQL's SQLSTATEs for the same: class 08 (connection exception), the server shutting down or
# starting up (57P01-57P03), too many connections (53300).
_POSTGRES_UNAVAILABLE = frozenset({"57P01", "57P02", "57P03", "53300"})


def is_database_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` says the database cannot be reached or used right now (a 503), not a bug."""
    if not isinstance(exc, sa_exc.DBAPIError):
        return isinstance(exc, DATABASE_UNAVAILABLE)
    if exc.connection_invalidated:
        return True
    original = exc.orig
    sqlstate = getattr(original, "sqlstate", None)
    if isinstance(sqlstate, str) and sqlstate:
        return sqlstate.startswith("08") or sqlstate in _POSTGRES_UNAVAILABLE
    if type(original).__module__.startswith(("sqlite3", "aiosqlite")):
        return any(phrase in str(original).lower() for phrase in _SQLITE_UNAVAILABLE)
    # No SQLSTATE: a connection the driver found closed, or one it could not open.
    return isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError)


def database_unavailable() -> ServiceUnavailable:
    return ServiceUnavailable(
        "The database is not available at the moment; retry the request shortly.",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def problem_body(status: int, slug: str, title: str, detail: str | None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"type": PROBLEM_BASE + slug, "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update((key, value) for key, value in extra.items() if key not in _RESERVED)
    return body


async def send_problem(send: Send, status: int, slug: str, title: str, detail: str | None = None) -> None:
    """Send a problem document from plain ASGI middleware, encoded exactly as the handlers do."""
    await problem_response(status, slug, title, detail)({"type": "http"}, _no_receive, send)


async def _no_receive() -> Message:
    raise RuntimeError("a problem response reads no request body")


def problem_response(
    status: int,
    slug: str,
    title: str,
    detail: str | None = None,
    *,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    return JSONResponse(
        jsonable_encoder(problem_body(status, slug, title, detail, **extra)),
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


_STATUS_SLUGS = {
    400: ("bad-request", "Bad request"),
    401: ("unauthorized", "Authentication required"),
    403: ("forbidden", "Not allowed"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    406: ("not-acceptable", "Not acceptable"),
    409: ("conflict", "Conflict"),
    413: ("payload-too-large", "Request body too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
    422: ("validation-error", "Request validation failed"),
    429: ("too-many-requests", "Too many requests"),
}


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    errors = []
    for err in exc.errors():
        loc = [str(part) for part in err.get("loc", ())]
        if err.get("type") == "json_invalid":
            loc = loc[:1]  # the rest is a character offset into the body, not a field
        errors.append({"field": ".".join(loc), "message": err.get("msg", "invalid"), "code": err.get("type")})
    return errors


def _redundant(detail: object, status: int, title: str) -> bool:
    """Starlette's default detail is just the reason phrase, which says no more than the title."""
    if not isinstance(detail, str):
        return True
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = title
    return detail.casefold() in {title.casefold(), phrase.casefold()}


def _allowed_methods(request: Request) -> str | None:
    """Every method the path supports (RFC 9110 15.5.6), not only those of the first route matched.

    Starlette answers a 405 from the first route whose path matches, so ``GET /users`` and
    ``POST /users`` being separate routes would otherwise advertise ``Allow: GET`` alone.
    """
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.routes):
        match, _ = route.matches(request.scope)
        if match != Match.NONE and route.methods:
            methods |= set(route.methods)
    return ", ".join(sorted(methods)) or None


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(ProblemError)
    async def _problem(_request: Request, exc: ProblemError) -> JSONResponse:
        return problem_response(
            exc.status,
            exc.slug,
            exc.title,
            exc.detail,
            headers=exc.headers,
            **exc.extra,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return problem_response(
            422,
            "validation-error",
            "Request validation failed",
            "One or more fields are invalid.",
            errors=_validation_errors(exc),
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        slug, title = _STATUS_SLUGS.get(exc.status_code, ("http-error", "HTTP error"))
        detail = None if _redundant(exc.detail, exc.status_code, title) else str(exc.detail)
        headers = dict(exc.headers) if exc.headers else {}
        if exc.status_code == 405:
            allow = _allowed_methods(request)
            if allow:
                headers["Allow"] = allow
        return problem_response(exc.status_code, slug, title, detail, headers=headers or None)

    @app.exception_handler(StaleDataError)
    async def _stale(_request: Request, _exc: StaleDataError) -> JSONResponse:
        # A versioned row changed between our read and our write (a concurrent editor won the race).
        return problem_response(
            PreconditionFailed.status,
            PreconditionFailed.slug,
            PreconditionFailed.title,
            "The resource changed since you read it; fetch it again and retry.",
        )

    async def _database_unavailable(_request: Request, exc: Exception) -> JSONResponse:
        if not is_database_unavailable(exc):
            raise exc  # a bug sharing the class (an IntegrityError, SQLite's "no such table"): a 500
        # The class name only: a driver's message can quote the statement and its parameters.
        log.warning("database_unavailable", error=type(exc).__name__)
        return await _problem(_request, database_unavailable())

    for kind in DATABASE_UNAVAILABLE:
        app.add_exception_handler(kind, _database_unavailable)

    @app.exception_handler(Exception)
    async def _unhandled(_request: Request, exc: Exception) -> JSONResponse:
        return problem_response(500, "internal-error", "Internal server error")
