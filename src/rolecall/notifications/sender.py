"""Sending queued messages: SMTP in production, ``.eml`` files in development; at least once.

A round leases due rows (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, a five-minute lease, so several
workers share the queue), composes each in its own transaction, hands it to the transport, and marks
it sent only after the SMTP server accepted it. A crash between acceptance and the mark sends the
message again after the lease; its ``Message-ID`` is the same, which lets mail clients fold the copy.
Failures are retried with backoff (1, 2, 4 … minutes, capped at an hour) up to :data:`MAX_ATTEMPTS`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib
import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.notifications import composing, service
from rolecall.notifications.models import CANCELLED, FAILED, QUEUED, SENT, NotificationMessage
from rolecall.notifications.repository import due_messages
from rolecall.platform.clock import utcnow
from rolecall.platform.db import transaction
from rolecall.platform.tenancy import bind_organisation

log = structlog.get_logger("rolecall.notifications")
LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 8
SMTP_TIMEOUT = 30.0


class Transport(Protocol):
    async def send(self, message: EmailMessage) -> None:
        """Hand the message over or raise."""


class SmtpTransport:
    """``smtp://user:pass@host:587`` (STARTTLS when offered; ``?starttls=require`` insists) or
    ``smtps://user:pass@host:465`` (TLS from the first byte)."""

    def __init__(self, url: str, *, timeout: float = SMTP_TIMEOUT) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("ROLECALL_SMTP_URL must be smtp://host[:port] or smtps://host[:port]")
        query = parse_qs(parts.query)
        self.implicit_tls = parts.scheme == "smtps"
        self.require_starttls = query.get("starttls", [""])[0] == "require"
        self.hostname = parts.hostname
        self.port = parts.port or (465 if self.implicit_tls else 587)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.timeout = timeout

    async def send(self, message: EmailMessage) -> None:
        options: dict[str, Any] = {
            "hostname": self.hostname,
            "port": self.port,
            "timeout": self.timeout,
            "username": self.username,
            "password": self.password,
        }
        if self.implicit_tls:
            options["use_tls"] = True
        else:
            # None: upgrade when the server offers STARTTLS; True: refuse to send without it.
            options["start_tls"] = True if self.require_starttls else None
        await aiosmtplib.send(message, **options)


class FileOutbox:
    """Writes each message as an ``.eml`` file: the development mailbox (``/app/dev/mail``)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def send(self, message: EmailMessage) -> None:
        digest = hashlib.sha256(str(message["Message-ID"]).encode()).hexdigest()[:16]
        name = f"{utcnow().strftime('%Y%m%dT%H%M%S%f')}-{digest}.eml"
        await asyncio.to_thread(self._write, name, bytes(message))

    def _write(self, name: str, data: bytes) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        (self.directory / name).write_bytes(data)


def transport_for(settings: Any) -> Transport:
    if settings.smtp_url is not None:
        return SmtpTransport(settings.smtp_url.get_secret_value())
    if settings.environment == "production":
        log.warning(
            "mail_written_to_files",
            reason="ROLECALL_SMTP_URL is not set",
            directory=str(settings.mail_outbox_dir),
        )
    return FileOutbox(Path(settings.mail_outbox_dir))


def tools_for(settings: Any) -> composing.Tools:
    issuer = str(settings.issuer).rstrip("/")
    public = str(settings.public_base)  # ROLECALL_PUBLIC_BASE_URL, else the issuer
    return composing.Tools(
        keyring=settings.pii_keyring(),
        index=settings.blind_index(),
        mail_from=settings.mail_from,
        base_url=public,
        app_url=issuer,
    )


async def _lease(sessionmaker: async_sessionmaker[AsyncSession], limit: int) -> list[tuple[Any, Any]]:
    now = utcnow()
    async with transaction(sessionmaker) as session:
        rows = list(await due_messages(session, now, limit))
        for row in rows:
            row.leased_until = now + LEASE
        return [(row.id, row.organisation_id) for row in rows]


async def _prepare(
    sessionmaker: async_sessionmaker[AsyncSession],
    message_id: Any,
    organisation_id: Any,
    tools: composing.Tools,
) -> EmailMessage | None:
    async with transaction(sessionmaker) as session:
        bind_organisation(session, organisation_id)
        row = await session.get(NotificationMessage, message_id)
        if row is None or row.status != QUEUED:
            return None
        try:
            composed = await composing.compose(session, row, tools)
        except composing.Undeliverable as exc:
            row.status, row.last_error, row.leased_until = CANCELLED, str(exc)[:500], None
            log.info(
                "notification_undeliverable", message_id=str(row.id), template=row.template, reason=str(exc)
            )
            return None
        if row.recipient is None:
            # Record where it went, sealed, for export and for the audit of what was sent.
            row.recipient = tools.keyring.encrypt(
                composed.draft.to_address, context=service.sealed_context(row.id, "recipient")
            )
    # Rendered after the transaction: an organisation's template runs under its budget, no lock held.
    return await composing.render(composed, tools)


async def _finish(
    sessionmaker: async_sessionmaker[AsyncSession],
    message_id: Any,
    organisation_id: Any,
    error: Exception | None,
) -> None:
    async with transaction(sessionmaker) as session:
        bind_organisation(session, organisation_id)
        row = await session.get(NotificationMessage, message_id)
        if row is None:
            return
        row.leased_until = None
        row.version += 1
        if error is None:
            row.status, row.sent_at, row.last_error = SENT, utcnow(), None
            return
        row.attempts += 1
        row.last_error = f"{type(error).__name__}: {error}"[:500]
        if row.attempts >= MAX_ATTEMPTS:
            row.status = FAILED
        else:
            row.send_after = utcnow() + timedelta(minutes=min(60, 2 ** (row.attempts - 1)))


async def deliver_due(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Any,
    *,
    transport: Transport | None = None,
    limit: int = 100,
) -> int:
    """One round: send what is due; returns how many messages were accepted."""
    transport = transport or transport_for(settings)
    tools = tools_for(settings)
    sent = 0
    for message_id, organisation_id in await _lease(sessionmaker, limit):
        try:
            message = await _prepare(sessionmaker, message_id, organisation_id, tools)
        except Exception as exc:
            log.exception("notification_compose_failed", message_id=str(message_id))
            await _finish(sessionmaker, message_id, organisation_id, exc)
            continue
        if message is None:
            continue
        try:
            await transport.send(message)
        except Exception as exc:
            log.warning("notification_send_failed", message_id=str(message_id), error=type(exc).__name__)
            await _finish(sessionmaker, message_id, organisation_id, exc)
            continue
        await _finish(sessionmaker, message_id, organisation_id, None)
        sent += 1
    return sent


async def run_sender(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Any, stop: asyncio.Event
) -> None:
    """The sender as its own loop (every ``ROLECALL_MAIL_POLL_SECONDS``), for the worker to run."""
    transport = transport_for(settings)
    while not stop.is_set():
        try:
            await deliver_due(sessionmaker, settings, transport=transport)
        except Exception:
            log.exception("notification_round_failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=settings.mail_poll_seconds)
