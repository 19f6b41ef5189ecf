"""``Idempotency-Key`` for unsafe POSTs, as ASGI middleware.

The first response to a key is stored and replayed for retries; the same key with a different body is
a client bug (422); a retry that arrives while the first request is still running gets 409. Keys are
scoped per organisation and bound to the caller who used them: the middleware authenticates the
request with the app's authenticator (``app.state.authenticate``) before it looks a key up, and the
caller is part of the request fingerprint. So a replay is only ever served to the principal whose
request produced it, never to a colleague who guessed the key (and possibly lacks the scope the
original route required), nor to a revoked token. The record lives in its own short transactions
around the request, never inside the request's unit of work.

A public route (no caller) takes part only if its context lists it under ``Context.extra``
(:data:`PUBLIC_ROUTES`) with a resolver naming the organisation to scope the key to: the public
apply route, so that a retried submission neither applies twice nor e-mails twice. Its callers share
one identity; the route answers everyone the same, so a replay tells nobody anything.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, ForeignKey, LargeBinary, String, delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rolecall.platform.auth import Authenticator
from rolecall.platform.clock import utcnow
from rolecall.platform.db import Base, transaction
from rolecall.platform.errors import ProblemError, send_problem
from rolecall.platform.pii import KeyRing, MalformedToken

HEADER = b"idempotency-key"
MAX_KEY_LENGTH = 255
_REPLAY_HEADERS = {b"content-type", b"location", b"etag", b"cache-control"}
# Outcomes that say nothing about the request itself: let the client retry with the same key.
_TRANSIENT = {401, 403, 408, 409, 425, 429}
# A response marked ``Cache-Control: no-store`` carries personal data or secrets: its stored copy is
# sealed with the PII key ring (app.state.pii_keyring), so the table never holds it in clear.
_NO_STORE = b"no-store"
# A record still pending after this long belongs to a request that died with its process: take it over.
PENDING_TIMEOUT = timedelta(minutes=5)


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_keys"

    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))
    status_code: Mapped[int | None] = mapped_column(default=None)
    headers: Mapped[list[list[str]] | None] = mapped_column(JSON, default=None)
    body: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)


async def _claim(
    sessionmaker: async_sessionmaker[AsyncSession], org: uuid.UUID, key: str, fingerprint: str, ttl: int
) -> tuple[IdempotencyRecord | None, datetime]:
    """Insert a pending record stamped with the claim time, or return the live record holding the key.

    The claim time identifies this claim: once an abandoned record has been taken over, the request
    that abandoned it must not finish or release the new owner's record.
    """
    now = utcnow()
    for _ in range(2):
        try:
            async with transaction(sessionmaker) as session:
                session.add(
                    IdempotencyRecord(
                        organisation_id=org,
                        key=key,
                        fingerprint=fingerprint,
                        state="pending",
                        created_at=now,
                        expires_at=now + timedelta(seconds=ttl),
                    )
                )
            return None, now
        except IntegrityError:
            async with transaction(sessionmaker) as session:
                existing = await session.get(IdempotencyRecord, (org, key))
                if existing is None:
                    continue
                abandoned = existing.state == "pending" and existing.created_at < now - PENDING_TIMEOUT
                if existing.expires_at > now and not abandoned:
                    return existing, now
                await session.delete(existing)
    raise RuntimeError("could not claim idempotency key")


async def _finish(
    sessionmaker: async_sessionmaker[AsyncSession],
    org: uuid.UUID,
    key: str,
    claimed_at: datetime,
    status: int,
    headers: list[tuple[bytes, bytes]],
    body: bytes,
) -> None:
    async with transaction(sessionmaker) as session:
        record = await session.get(IdempotencyRecord, (org, key))
        if record is None or record.created_at != claimed_at:
            return  # taken over after we were presumed dead: the record is no longer ours
        if status >= 500 or status in _TRANSIENT:
            await session.delete(record)
            return
        record.state = "done"
        record.status_code = status
        record.headers = [
            [k.decode("latin-1"), v.decode("latin-1")] for k, v in headers if k.lower() in _REPLAY_HEADERS
        ]
        record.body = body


def _private(headers: list[tuple[bytes, bytes]]) -> bool:
    return any(k.lower() == b"cache-control" and _NO_STORE in v.lower() for k, v in headers)


def _seal(state: Any, org: uuid.UUID, key: str, headers: list[tuple[bytes, bytes]], body: bytes) -> bytes:
    keyring: KeyRing | None = getattr(state, "pii_keyring", None)
    if keyring is None or not _private(headers):
        return body
    return keyring.encrypt(body.decode("latin-1"), context=f"idempotency:{org}:{key}").encode("ascii")


def _open(state: Any, org: uuid.UUID, key: str, headers: list[tuple[bytes, bytes]], body: bytes) -> bytes:
    keyring: KeyRing | None = getattr(state, "pii_keyring", None)
    if keyring is None or not _private(headers):
        return body
    try:
        return keyring.decrypt(body.decode("ascii"), context=f"idempotency:{org}:{key}").encode("latin-1")
    except (MalformedToken, UnicodeDecodeError):  # pragma: no cover - records older than sealing
        return body  # stored before bodies were sealed


async def _release(
    sessionmaker: async_sessionmaker[AsyncSession], org: uuid.UUID, key: str, claimed_at: datetime
) -> None:
    async with transaction(sessionmaker) as session:
        record = await session.get(IdempotencyRecord, (org, key))
        if record is not None and record.created_at == claimed_at:
            await session.delete(record)


async def _caller(scope: Scope) -> tuple[uuid.UUID, str] | None:
    """The authenticated caller's organisation and identity, or ``None`` if the request has none."""
    state: Any = scope["app"].state
    authenticate: Authenticator = state.authenticate
    try:
        async with transaction(state.sessionmaker) as session:
            principal = await authenticate(Request(scope), session)
    except ProblemError:
        # Unauthenticated: the route will refuse it, and there is no one to scope the key to.
        return None
    return principal.organisation_id, principal.actor


#: ``Context.extra`` key under which a context lists public routes that honour Idempotency-Key:
#: ``(method, path template, resolver)``; the resolver gets a session and the path parameters and
#: returns the organisation the key is scoped to, or None (the request then runs without the key).
PUBLIC_ROUTES = "idempotent_public_routes"
PublicResolver = Callable[[AsyncSession, dict[str, str]], Awaitable[uuid.UUID | None]]
_public: list[tuple[str, re.Pattern[str], PublicResolver]] | None = None


def _public_routes() -> list[tuple[str, re.Pattern[str], PublicResolver]]:
    global _public
    if _public is None:
        from rolecall.platform.contexts import discover

        found = []
        for context in discover():
            for method, template, resolver in context.extra.get(PUBLIC_ROUTES, ()):
                pattern = re.sub(r"\\{(\w+)\\}", r"(?P<\1>[^/]+)", re.escape(template))
                found.append((method, re.compile(f"^{pattern}$"), resolver))
        _public = found
    return _public


async def _public_caller(scope: Scope) -> tuple[uuid.UUID, str] | None:
    """For a public route that opted in: the organisation it belongs to, and one shared identity.

    Nobody is signed in, so the key itself is the only link between a request and its retry; such
    routes answer the same to everyone (the public apply route does), so a replay reveals nothing.
    """
    for method, pattern, resolver in _public_routes():
        matched = pattern.match(scope["path"])
        if method != scope["method"] or matched is None:
            continue
        state: Any = scope["app"].state
        try:
            async with transaction(state.sessionmaker) as session:
                organisation = await resolver(session, matched.groupdict())
        except ProblemError:
            return None  # the route answers for itself (a closed posting's 404)
        return None if organisation is None else (organisation, "public")
    return None


async def purge_expired(session: AsyncSession) -> int:
    result = await session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.expires_at < utcnow()))
    return int(getattr(result, "rowcount", 0) or 0)


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers: dict[bytes, bytes] = dict(scope["headers"])
        raw_key = headers.get(HEADER)
        if raw_key is None:
            await self.app(scope, receive, send)
            return
        key = raw_key.decode("latin-1").strip()
        if not key or len(key) > MAX_KEY_LENGTH:
            await send_problem(
                send,
                400,
                "bad-request",
                "Bad request",
                f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters.",
            )
            return
        caller = await _caller(scope) if b"authorization" in headers else await _public_caller(scope)
        if caller is None:
            await self.app(scope, receive, send)
            return
        org, actor = caller

        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away before sending the whole body: nothing to answer
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        digest = hashlib.sha256()
        for part in (
            actor.encode(),
            scope["method"].encode(),
            scope["path"].encode(),
            scope.get("query_string", b""),
            headers.get(b"content-type", b""),
            body,
        ):
            digest.update(len(part).to_bytes(8, "big") + part)
        fingerprint = digest.hexdigest()

        state: Any = scope["app"].state
        sessionmaker: async_sessionmaker[AsyncSession] = state.sessionmaker
        existing, claimed_at = await _claim(
            sessionmaker, org, key, fingerprint, state.settings.idempotency_ttl_seconds
        )
        if existing is not None:
            if existing.fingerprint != fingerprint:
                await send_problem(
                    send,
                    422,
                    "idempotency-key-reused",
                    "Idempotency key reused",
                    "This Idempotency-Key was used with a different request; use a new key.",
                )
            elif existing.state != "done" or existing.status_code is None:
                await send_problem(
                    send,
                    409,
                    "idempotency-in-progress",
                    "Request in progress",
                    "A request with this Idempotency-Key is still being processed; retry shortly.",
                )
            else:
                stored = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in existing.headers or []]
                stored.append((b"idempotent-replayed", b"true"))
                await send({"type": "http.response.start", "status": existing.status_code, "headers": stored})
                replay = _open(state, org, key, stored, existing.body or b"")
                await send({"type": "http.response.body", "body": replay})
            return

        replayed = False

        async def replay_receive() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        status = 500
        response_headers: list[tuple[bytes, bytes]] = []
        response_body: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status, response_headers
            if message["type"] == "http.response.start":
                status = message["status"]
                response_headers = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                response_body.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, replay_receive, capture)
        except BaseException:
            await _release(sessionmaker, org, key, claimed_at)
            raise
        sealed = _seal(state, org, key, response_headers, b"".join(response_body))
        await _finish(sessionmaker, org, key, claimed_at, status, response_headers, sealed)
