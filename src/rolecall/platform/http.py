"""HTTP helpers: strong ``ETag`` on reads, mandatory ``If-Match`` on updates, ``no-store``, and the
accessors routes use for the app's personal-data tools."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, Header, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import Receive, Scope, Send

from rolecall.platform.db import _UNDO, READS_FIRST, transaction
from rolecall.platform.errors import PreconditionFailed, PreconditionRequired, ProblemError, problem_response
from rolecall.platform.pii import BlindIndex, KeyRing
from rolecall.platform.storage import FileStore

NO_STORE = "no-store"


def etag_for(resource_id: uuid.UUID, version: int) -> str:
    digest = hashlib.sha256(f"{resource_id}:{version}".encode()).hexdigest()[:32]
    return f'"{digest}"'


def set_etag(response: Response, resource_id: uuid.UUID, version: int) -> None:
    response.headers["ETag"] = etag_for(resource_id, version)


def no_store(response: Response) -> None:
    """Responses carrying personal data must not be kept by browsers or shared caches."""
    response.headers["Cache-Control"] = NO_STORE


def require_if_match(
    if_match: Annotated[
        str | None, Header(alias="If-Match", description="ETag of the version being edited")
    ] = None,
) -> str:
    if if_match is None or not if_match.strip():
        raise PreconditionRequired("Send the resource's ETag in If-Match to update it.")
    return if_match.strip()


IfMatch = Annotated[str, Depends(require_if_match)]


def check_if_match(if_match: str, resource_id: uuid.UUID, version: int) -> None:
    current = etag_for(resource_id, version)
    # If-Match uses strong comparison (RFC 9110 13.1.1): a weak tag never matches.
    candidates = {tag.strip() for tag in if_match.split(",")}
    if "*" not in candidates and current not in candidates:
        raise PreconditionFailed(
            "The resource changed since you read it; fetch it again and retry.",
            headers={"ETag": current},
        )


def public_base(request: Request) -> str:
    """The base of every absolute link a response carries (feeds, sitemaps, JSON-LD, compat APIs).

    ``ROLECALL_PUBLIC_BASE_URL``, else the issuer's address (``Settings.public_base``); never the
    request's ``Host`` header, which the caller chooses and which shared caches would then serve
    to everyone. Production does not start without the setting.
    """
    base: str = request.app.state.settings.public_base
    return base


# The app's personal-data tools, held in ``app.state`` (see rolecall.app), for routes to pass to
# services: one accessor each, so no context repeats how they are found.


def pii_keyring(request: Request) -> KeyRing:
    keyring: KeyRing = request.app.state.pii_keyring
    return keyring


def blind_index(request: Request) -> BlindIndex:
    index: BlindIndex = request.app.state.blind_index
    return index


def file_store(request: Request) -> FileStore:
    store: FileStore = request.app.state.file_store
    return store


# --- work after the request's transaction ---------------------------------------------------------


class AfterTransaction(Response):
    """A response whose content is produced after the request's unit of work has ended.

    The request's session (``DbSession``) is a function-scoped dependency: FastAPI commits it when
    the route returns, before the response is sent. On SQLite every unit of work holds the one
    writer lock from its first statement (``BEGIN IMMEDIATE``), so slow work that needs no database,
    such as rendering an organisation's template under its budget, must not run inside it. A route
    reads what it needs, returns this response with ``produce``, and ``produce`` runs once no
    transaction is open; it may open short ones of its own with :func:`follow_up_transaction`. A
    :class:`ProblemError` it raises is answered as the problem document the handlers would send.
    """

    def __init__(self, produce: Callable[[], Awaitable[Response]]) -> None:
        super().__init__()
        self._produce = produce

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            response: Response = await self._produce()
        except ProblemError as exc:
            response = problem_response(
                exc.status, exc.slug, exc.title, exc.detail, headers=exc.headers or None, **exc.extra
            )
        await response(scope, receive, send)


@asynccontextmanager
async def follow_up_transaction(request: Request) -> AsyncIterator[AsyncSession]:
    """A new unit of work for the same caller, for an :class:`AfterTransaction` producer.

    It starts from what authentication put on the request's session (the organisation it is bound
    to, and any other per-caller scoping), so tenancy applies exactly as it did in the request.
    """
    first: AsyncSession = request.state.db_session
    info = {key: value for key, value in first.info.items() if key not in (_UNDO, READS_FIRST)}
    async with transaction(request.app.state.sessionmaker, info=info) as session:
        yield session
