"""Errors on pages are pages: a person who follows a dead link gets an HTML page with a way on,
not a problem document. API routes keep their RFC 9457 answers; which is which goes by path.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from rolecall.platform.errors import (
    DATABASE_UNAVAILABLE,
    ProblemError,
    database_unavailable,
    is_database_unavailable,
)
from rolecall.web.auth import SignInRequired
from rolecall.web.security import PAGE_CSP
from rolecall.web.templating import environment, render

PAGE_PREFIXES = ("/app", "/jobs", "/careers", "/roles", "/tools", "/status", "/assessments", "/static")
_TITLES = {
    400: "That request could not be understood",
    403: "You do not have access to this page",
    404: "Page not found",
    405: "That action is not available here",
    409: "That could not be done",
    410: "This link has expired",
    412: "Someone else changed this first",
    413: "That upload is too large",
    422: "Some details need fixing",
    429: "Too many attempts",
    500: "Something went wrong on our side",
    503: "We are briefly unavailable",
}

Handler = Callable[[Request, Any], Awaitable[Response]]


def is_page_path(path: str) -> bool:
    return path == "/" or any(path == p or path.startswith(p + "/") for p in PAGE_PREFIXES)


def is_page(request: Request) -> bool:
    return is_page_path(request.url.path)


def server_error_page(path: str) -> Response | None:
    """The page for a request that failed unexpectedly, for the request middleware, which catches
    what escapes every handler (the error is already logged with the request id)."""
    if not is_page_path(path):
        return None
    values: dict[str, Any] = {
        "principal": None,
        "path": path,
        "flash": None,
        "nav": [],
        "csrf_token": "",
        "status": 500,
        "title": _TITLES[500],
        "detail": "The error was logged; please try again in a moment.",
    }
    body = environment().get_template("error.html").render(values)
    return HTMLResponse(
        body, status_code=500, headers={"Content-Security-Policy": PAGE_CSP, "Cache-Control": "no-store"}
    )


def error_page(
    request: Request, status: int, detail: str | None, headers: dict[str, str] | None = None
) -> Response:
    title = _TITLES.get(status, "That did not work")
    return render(
        request,
        "error.html",
        {"status": status, "title": title, "detail": detail},
        status_code=status,
        headers=headers,
    )


def install_page_errors(app: FastAPI) -> None:
    """Wrap the problem handlers already installed so that page paths get HTML instead."""
    api: dict[Any, Handler] = dict(app.exception_handlers)

    def dispatch(kind: Any, to_page: Callable[[Request, Any], Response]) -> None:
        fallback = api.get(kind)

        async def handler(request: Request, exc: Any) -> Response:
            if is_page(request) or fallback is None:
                return to_page(request, exc)
            return await fallback(request, exc)

        app.add_exception_handler(kind, handler)

    dispatch(ProblemError, lambda r, e: error_page(r, e.status, e.detail, e.headers or None))
    dispatch(
        RequestValidationError, lambda r, e: error_page(r, 400, "The address has a value that is not valid.")
    )
    dispatch(
        StarletteHTTPException,
        lambda r, e: error_page(r, e.status_code, None, dict(e.headers) if e.headers else None),
    )
    dispatch(StaleDataError, lambda r, e: error_page(r, 412, "Reload the page to see the latest version."))

    def unavailable(request: Request, exc: Exception) -> Response:
        if not is_database_unavailable(exc):
            raise exc  # a bug sharing the class (SQLite's "no such table"): the 500 page
        return error_page(request, 503, "Please try again in a moment.", database_unavailable().headers)

    for kind in DATABASE_UNAVAILABLE:  # the database is unreachable: a 503 page with Retry-After
        dispatch(kind, unavailable)

    async def sign_in(request: Request, exc: SignInRequired) -> Response:
        return RedirectResponse(f"/app/login?next={quote(exc.next_path, safe='/')}", status_code=303)

    app.add_exception_handler(SignInRequired, sign_in)  # type: ignore[arg-type]
