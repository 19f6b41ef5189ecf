"""``Idempotency-Key`` for unsafe POSTs, as ASGI middleware.

The first response to a key is stored and replayed for retries; the same key with a different body is
a client bug (422); a retry that arrives while the first request is still running gets 409. Keys are
scoped per organisation (taken from the verified bearer token), so tenants cannot collide or probe
each other's keys. The record lives in its own short transactions around the request, never inside
the request's unit of work.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, ForeignKey, LargeBinary, String, delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rolecall.platform.clock import utcnow
from rolecall.platform.db import Base, transaction
from rolecall.platform.errors import problem_body

HEADER = b"idempotency-key"
MAX_KEY_LENGTH = 255
_REPLAY_HEADERS = {b"content-type", b"location", b"etag", b"cache-control"}
# Outcomes that say nothing about the request itself: let the client retry with the same key.
_TRANSIENT = {401, 403, 408, 409, 425, 429}

ScopeResolver = Callable[[dict[bytes, bytes]], uuid.UUID | None]


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


async def _problem(send: Send, status: int, slug: str, title: str, detail: str) -> None:
    body = json.dumps(problem_body(status, slug, title, detail)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _claim(
    sessionmaker: async_sessionmaker[AsyncSession], org: uuid.UUID, key: str, fingerprint: str, ttl: int
) -> IdempotencyRecord | None:
    """Insert a pending record; return the existing live record if the key was already used."""
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
                        expires_at=now + timedelta(seconds=ttl),
                    )
                )
            return None
        except IntegrityError:
            async with transaction(sessionmaker) as session:
                existing = await session.get(IdempotencyRecord, (org, key))
                if existing is None:
                    continue
                if existing.expires_at > now:
                    return existing
                await session.delete(existing)
    raise RuntimeError("could not claim idempotency key")


async def _finish(
    sessionmaker: async_sessionmaker[AsyncSession],
    org: uuid.UUID,
    key: str,
    status: int,
    headers: list[tuple[bytes, bytes]],
    body: bytes,
) -> None:
    async with transaction(sessionmaker) as session:
        if status >= 500 or status in _TRANSIENT:
            await session.execute(
                delete(IdempotencyRecord).where(
                    IdempotencyRecord.organisation_id == org, IdempotencyRecord.key == key
                )
            )
            return
        record = await session.get(IdempotencyRecord, (org, key))
        if record is None:
            return
        record.state = "done"
        record.status_code = status
        record.headers = [
            [k.decode("latin-1"), v.decode("latin-1")] for k, v in headers if k.lower() in _REPLAY_HEADERS
        ]
        record.body = body


async def _release(sessionmaker: async_sessionmaker[AsyncSession], org: uuid.UUID, key: str) -> None:
    async with transaction(sessionmaker) as session:
        await session.execute(
            delete(IdempotencyRecord).where(
                IdempotencyRecord.organisation_id == org, IdempotencyRecord.key == key
            )
        )


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
            await _problem(
                send,
                400,
                "bad-request",
                "Bad request",
                f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters.",
            )
            return
        state: Any = scope["app"].state
        resolve: ScopeResolver = state.idempotency_scope
        org = resolve(headers)
        if org is None:
            # Unauthenticated: the route will refuse it, and there is no tenant to scope the key to.
            await self.app(scope, receive, send)
            return

        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        digest = hashlib.sha256()
        for part in (
            scope["method"].encode(),
            scope["path"].encode(),
            scope.get("query_string", b""),
            headers.get(b"content-type", b""),
            body,
        ):
            digest.update(len(part).to_bytes(8, "big") + part)
        fingerprint = digest.hexdigest()

        sessionmaker: async_sessionmaker[AsyncSession] = state.sessionmaker
        existing = await _claim(sessionmaker, org, key, fingerprint, state.settings.idempotency_ttl_seconds)
        if existing is not None:
            if existing.fingerprint != fingerprint:
                await _problem(
                    send,
                    422,
                    "idempotency-key-reused",
                    "Idempotency key reused",
                    "This Idempotency-Key was used with a different request; use a new key.",
                )
            elif existing.state != "done" or existing.status_code is None:
                await _problem(
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
                await send({"type": "http.response.body", "body": existing.body or b""})
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
            await _release(sessionmaker, org, key)
            raise
        await _finish(sessionmaker, org, key, status, response_headers, b"".join(response_body))
