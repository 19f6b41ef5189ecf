"""Who may open a staff page: the page twin of :func:`rolecall.platform.auth.requires`.

A page dependency reads the sign-in cookie (through ``app.state.authenticate_page``, installed by
the identity context), checks the CSRF token of every unsafe request and the scopes. Someone who
is not signed in is sent to the sign-in page instead of getting a 401 document.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request

from rolecall.platform.auth import AUTH_MARKER, Authenticator, DbSession, Principal
from rolecall.platform.errors import Forbidden, Unauthorized
from rolecall.web.security import SAFE_METHODS, csrf_token, same_token, submitted_csrf


class SignInRequired(Exception):
    """Raised by page dependencies; the page error handler redirects to the sign-in page."""

    def __init__(self, next_path: str, reason: str) -> None:
        super().__init__(reason)
        self.next_path = next_path
        self.reason = reason


class CsrfRejected(Forbidden):
    pass


def page_requires(*scopes: str) -> Callable[..., Awaitable[Principal]]:
    """Page dependency factory: a signed-in staff member holding every scope listed."""
    needed = frozenset(scopes)

    async def check(request: Request, session: DbSession) -> Principal:
        authenticator: Authenticator = request.app.state.authenticate_page
        try:
            principal = await authenticator(request, session)
        except Unauthorized as exc:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise SignInRequired(target if request.method in SAFE_METHODS else "/app", str(exc)) from exc
        request.state.principal = principal
        if request.method not in SAFE_METHODS:
            assert principal.session_id is not None
            if not same_token(await submitted_csrf(request), csrf_token(request, principal.session_id)):
                raise CsrfRejected("The form has expired. Reload the page and try again.")
        missing = needed - principal.scopes
        if missing:
            raise Forbidden("Your role does not allow this page.")
        return principal

    setattr(check, AUTH_MARKER, ("scopes", needed))
    check.__name__ = f"page_requires_{'_'.join(sorted(s.replace(':', '_') for s in needed)) or 'login'}"
    return check


def page_scope(*scopes: str) -> type[Principal]:
    """``Annotated`` alias for a page route's signed-in caller."""
    return Annotated[Principal, Depends(page_requires(*scopes))]  # type: ignore[return-value]


SignedIn = Annotated[Principal, Depends(page_requires())]
