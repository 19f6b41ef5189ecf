"""The caller, as every route and service sees it, and the markers that make authorisation explicit.

Authorisation is deny-by-default: a route must depend on :func:`requires` (scopes) or on
:data:`PUBLIC`; a test walks the app and fails on any route with neither. How a bearer token becomes
a :class:`Principal` belongs to the identity context, which installs it as ``app.state.authenticate``
so the platform never imports a context.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.platform.db import transaction
from rolecall.platform.errors import Forbidden

AUTH_MARKER = "__rolecall_auth__"


@dataclass(frozen=True)
class Principal:
    # "applicant": an anonymous candidate acting on their own application (public apply and status
    # link); "system": the worker acting for an organisation (sagas, retention). Neither holds scopes.
    kind: Literal["user", "client", "applicant", "system"]
    subject_id: uuid.UUID
    organisation_id: uuid.UUID
    scopes: frozenset[str]
    roles: frozenset[str] = field(default_factory=frozenset)
    token_id: str | None = None
    session_id: uuid.UUID | None = None

    @classmethod
    def acting_for(
        cls,
        kind: Literal["applicant", "system"],
        organisation_id: uuid.UUID,
        subject_id: uuid.UUID | None = None,
    ) -> Principal:
        """A scope-less principal for work no staff member started (audit shows who it was)."""
        return cls(kind, subject_id or uuid.UUID(int=0), organisation_id, frozenset())

    @property
    def actor(self) -> str:
        return f"{self.kind}:{self.subject_id}"


Authenticator = Callable[[Request, AsyncSession], Awaitable[Principal]]


_READING = frozenset({"GET", "HEAD"})


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's unit of work: committed when the route returns, rolled back if it raises.

    GET and HEAD requests read first: on PostgreSQL their statements run without ``BEGIN`` and
    ``COMMIT`` until the first write, which starts the transaction
    (:func:`rolecall.platform.db.create_read_sessionmaker`).
    """
    state = request.app.state
    maker = state.sessionmaker
    if request.method in _READING:
        maker = getattr(state, "read_sessionmaker", None) or maker
    async with transaction(maker) as session:
        request.state.db_session = session
        yield session


DbSession = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def authenticate(request: Request, session: DbSession) -> Principal:
    authenticator: Authenticator = request.app.state.authenticate
    principal = await authenticator(request, session)
    request.state.principal = principal
    return principal


def requires(*scopes: str) -> Callable[..., Awaitable[Principal]]:
    """Dependency factory: the caller must hold every scope listed."""
    needed = frozenset(scopes)

    async def check(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        missing = needed - principal.scopes
        if missing:
            raise Forbidden(f"This action needs the scope(s): {', '.join(sorted(missing))}.")
        return principal

    setattr(check, AUTH_MARKER, ("scopes", needed))
    check.__name__ = f"requires_{'_'.join(sorted(s.replace(':', '_') for s in needed)) or 'login'}"
    return check


async def public() -> None:
    """Marks a route as deliberately open to anonymous callers."""


setattr(public, AUTH_MARKER, ("public", frozenset()))
PUBLIC = Depends(public)


def auth_declaration(dependency: Any) -> tuple[str, frozenset[str]] | None:
    value = getattr(dependency, AUTH_MARKER, None)
    return value if isinstance(value, tuple) else None
