"""Use cases of the notifications context: queue messages, cancel them, settings, overrides, preferences.

Other contexts call :func:`queue_status_link` (pipeline, in the apply transaction). Everything else is
queued by this context's own event handlers. Queuing writes a row in the caller's transaction; the
sender (:mod:`rolecall.notifications.sender`) delivers due rows later. Services never commit.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.audit import service as audit
from rolecall.notifications import rendering, repository
from rolecall.notifications.models import (
    CANCELLED,
    QUEUED,
    NotificationDigestItem,
    NotificationMessage,
    NotificationPreference,
    NotificationSettings,
    NotificationTemplate,
)
from rolecall.notifications.schemas import PreferencesIn, SettingsIn, TemplateIn
from rolecall.platform.auth import Principal
from rolecall.platform.clock import utcnow
from rolecall.platform.errors import Conflict, NotFound, Unprocessable
from rolecall.platform.http import check_if_match
from rolecall.platform.ids import new_id
from rolecall.platform.pagination import PageParams, page_of
from rolecall.platform.pii import KeyRing

DEFAULT_REJECTION_DELAY_HOURS = 24


@dataclass(frozen=True)
class Recipient:
    """Who a message is for, by reference: the address is looked up (or was sealed) separately."""

    kind: str  # candidate | user
    id: uuid.UUID

    @property
    def hash(self) -> str:
        return hashlib.sha256(f"{self.kind}:{self.id}".encode()).hexdigest()


def sealed_context(message_id: uuid.UUID, column: str) -> str:
    return f"notification_messages:{message_id}:{column}"


async def queue(
    session: AsyncSession,
    organisation_id: uuid.UUID,
    *,
    event_id: uuid.UUID,
    template: str,
    recipient: Recipient,
    context: dict[str, Any],
    application_id: uuid.UUID | None = None,
    send_after: datetime | None = None,
    address: str | None = None,
    payload: dict[str, Any] | None = None,
    keyring: KeyRing | None = None,
) -> NotificationMessage | None:
    """Queue one message unless this event already queued it for this person (redelivery).

    ``context`` holds ids only; ``address`` and ``payload`` are personal or secret and are sealed, so
    they need the ``keyring``.
    """
    if template not in rendering.TEMPLATES:
        raise ValueError(f"unknown template {template}")
    if await repository.find_message(session, event_id, template, recipient.hash) is not None:
        return None
    row = NotificationMessage(
        id=new_id(),
        organisation_id=organisation_id,
        event_id=event_id,
        template=template,
        recipient_hash=recipient.hash,
        recipient_kind=recipient.kind,
        candidate_id=recipient.id if recipient.kind == "candidate" else None,
        user_id=recipient.id if recipient.kind == "user" else None,
        application_id=application_id,
        context=context,
        message_id=f"{event_id}.{template}.{recipient.hash[:16]}",
        status=QUEUED,
        send_after=send_after or utcnow(),
        attempts=0,
    )
    if address is not None or payload is not None:
        if keyring is None:
            raise ValueError("sealing an address or payload needs the key ring")
        if address is not None:
            row.recipient = keyring.encrypt(address, context=sealed_context(row.id, "recipient"))
        if payload is not None:
            row.payload = keyring.encrypt(json.dumps(payload), context=sealed_context(row.id, "payload"))
    session.add(row)
    await session.flush()
    return row


async def queue_status_link(
    session: AsyncSession,
    organisation_id: uuid.UUID,
    application_id: uuid.UUID,
    job_id: uuid.UUID,
    candidate_id: uuid.UUID,
    email: str,
    link: str,
    *,
    repeat: bool,
    keyring: KeyRing,
) -> NotificationMessage | None:
    """The e-mail carrying an applicant's status link, queued in the apply transaction.

    ``link`` is the path of the status page (``/status/<token>``); it and the address are sealed, so
    the working link exists in clear only in the e-mail. A repeat application gets the "you already
    applied" wording with a fresh link.
    """
    return await queue(
        session,
        organisation_id,
        event_id=new_id(),
        template="application_repeat" if repeat else "application_received",
        recipient=Recipient("candidate", candidate_id),
        context={"application_id": str(application_id), "job_id": str(job_id)},
        application_id=application_id,
        address=email,
        payload={"status_link": link},
        keyring=keyring,
    )


async def cancel_pending(session: AsyncSession, application_id: uuid.UUID, template: str) -> int:
    """Cancel queued messages of this template for an application (a rejection overtaken by events)."""
    rows = await repository.queued_for_application(session, application_id, template)
    for row in rows:
        row.status, row.last_error = CANCELLED, "cancelled: the application changed"
        row.version += 1
    await session.flush()
    return len(rows)


# --- messages (API) ------------------------------------------------------------------------------


async def list_messages(
    session: AsyncSession,
    principal: Principal,
    params: PageParams,
    *,
    application_id: uuid.UUID | None = None,
    status: str | None = None,
    template: str | None = None,
) -> tuple[list[NotificationMessage], str | None]:
    rows = await repository.list_messages(
        session, params, application_id=application_id, status=status, template=template
    )
    return page_of(rows, params)


async def get_message(
    session: AsyncSession, principal: Principal, message_id: uuid.UUID
) -> NotificationMessage:
    row = await repository.get_message(session, message_id)
    if row is None:
        raise NotFound("Message not found.")
    return row


async def cancel_message(
    session: AsyncSession, principal: Principal, message_id: uuid.UUID
) -> NotificationMessage:
    """Stop a message that has not gone yet (typically a rejection waiting for its delay)."""
    row = await get_message(session, principal, message_id)
    if row.status != QUEUED:
        raise Conflict(f"This message is {row.status}; only a queued message can be cancelled.")
    row.status, row.last_error = CANCELLED, f"cancelled by {principal.actor}"
    row.version += 1
    await session.flush()
    audit.record(
        session,
        actor=principal.actor,
        action="notification.cancelled",
        target_type="notification_message",
        target_id=row.id,
        template=row.template,
    )
    return row


# --- settings ------------------------------------------------------------------------------------


async def get_settings(session: AsyncSession, organisation_id: uuid.UUID) -> NotificationSettings:
    """The organisation's settings; the defaults (not stored) when it never changed them."""
    found = await repository.settings_of(session)
    if found is not None:
        return found
    return NotificationSettings(
        id=uuid.UUID(int=0),
        organisation_id=organisation_id,
        language=rendering.DEFAULT_LANGUAGE,
        rejection_delay_hours=DEFAULT_REJECTION_DELAY_HOURS,
        version=0,
    )


async def update_settings(
    session: AsyncSession, principal: Principal, body: SettingsIn, if_match: str | None
) -> NotificationSettings:
    current = await get_settings(session, principal.organisation_id)
    if if_match is not None:
        check_if_match(if_match, principal.organisation_id, current.version)
    stored = await repository.settings_of(session)
    if stored is None:
        stored = NotificationSettings(organisation_id=principal.organisation_id, version=0)
        session.add(stored)
    changed = []
    for name in ("language", "rejection_delay_hours"):
        value = getattr(body, name)
        if value is not None and value != getattr(stored, name, None):
            setattr(stored, name, value)
            changed.append(name)
    stored.language = stored.language or rendering.DEFAULT_LANGUAGE
    if stored.rejection_delay_hours is None:
        stored.rejection_delay_hours = DEFAULT_REJECTION_DELAY_HOURS
    stored.version = (stored.version or 0) + 1
    await session.flush()
    audit.record(
        session,
        actor=principal.actor,
        action="notification_settings.updated",
        target_type="organisation",
        target_id=principal.organisation_id,
        changed_fields=changed,
    )
    return stored


async def rejection_delay(session: AsyncSession, organisation_id: uuid.UUID) -> timedelta:
    return timedelta(hours=(await get_settings(session, organisation_id)).rejection_delay_hours)


# --- templates -----------------------------------------------------------------------------------


def _known(name: str) -> None:
    if name not in rendering.TEMPLATES:
        raise NotFound(f"There is no template called {name!r}.")


def _language(language: str | None, fallback: str) -> str:
    chosen = language or fallback
    if chosen not in rendering.LANGUAGES:
        raise Unprocessable(
            f"Templates exist in {', '.join(rendering.LANGUAGES)}.",
            extra={"errors": [{"field": "language", "message": f"must be one of {rendering.LANGUAGES}"}]},
        )
    return chosen


async def override_source(session: AsyncSession, name: str, language: str) -> rendering.Source | None:
    found = await repository.override(session, name, language)
    if found is None:
        return None
    return rendering.Source(subject=found.subject, text=found.text, html=found.html)


async def get_template(
    session: AsyncSession, principal: Principal, name: str, language: str | None
) -> tuple[rendering.Source, str, NotificationTemplate | None]:
    """The template in force (override or default), its language and the override row, if any."""
    _known(name)
    lang = _language(language, (await get_settings(session, principal.organisation_id)).language)
    found = await repository.override(session, name, lang)
    if found is not None:
        return rendering.Source(found.subject, found.text, found.html), lang, found
    return rendering.default(name, lang), lang, None


def _refuse(exc: rendering.TemplateProblem) -> Unprocessable:
    return Unprocessable(
        "The template cannot be used; nothing was saved.",
        extra={"errors": [{"field": "template", "message": str(exc)}]},
    )


async def check_template(name: str, body: TemplateIn) -> None:
    """Refuse (422) an override that does not render with the sample data: syntax, the sandbox, an
    ``autoescape`` block or ``|safe``, size, or the render budget. Needs no database, so the API
    runs it before the write transaction starts."""
    _known(name)
    try:
        await rendering.check(rendering.Source(body.subject, body.text, body.html))
    except rendering.TemplateProblem as exc:
        raise _refuse(exc) from exc


async def put_template(
    session: AsyncSession, principal: Principal, name: str, body: TemplateIn, *, checked: bool = False
) -> tuple[rendering.Source, str, NotificationTemplate]:
    """Create or replace the organisation's override; refused unless it renders in the sandbox.

    ``checked`` says the caller already ran :func:`check_template` outside the transaction."""
    _known(name)
    lang = _language(body.language, (await get_settings(session, principal.organisation_id)).language)
    source = rendering.Source(body.subject, body.text, body.html)
    if not checked:
        await check_template(name, body)
    found = await repository.override(session, name, lang)
    if found is None:
        found = NotificationTemplate(name=name, language=lang, version=0, updated_by=principal.actor)
        session.add(found)
    found.subject, found.text, found.html = body.subject, body.text, body.html
    found.updated_by = principal.actor
    found.version = (found.version or 0) + 1
    await session.flush()
    audit.record(
        session,
        actor=principal.actor,
        action="notification_template.updated",
        target_type="notification_template",
        target_id=found.id,
        template=name,
        language=lang,
    )
    return source, lang, found


async def delete_template(
    session: AsyncSession, principal: Principal, name: str, language: str | None
) -> None:
    """Drop the override: the default applies again."""
    _known(name)
    lang = _language(language, (await get_settings(session, principal.organisation_id)).language)
    found = await repository.override(session, name, lang)
    if found is None:
        raise NotFound("This template has no override in this language.")
    await session.delete(found)
    audit.record(
        session,
        actor=principal.actor,
        action="notification_template.reset",
        target_type="notification_template",
        target_id=found.id,
        template=name,
        language=lang,
    )


async def preview_source(
    session: AsyncSession, principal: Principal, name: str, body: TemplateIn | None, language: str | None
) -> rendering.Source:
    """The draft, or the template in force, that :func:`render_preview` renders; read-only."""
    if body is not None:
        _known(name)
        return rendering.Source(body.subject, body.text, body.html)
    source, _, _ = await get_template(session, principal, name, language)
    return source


async def render_preview(source: rendering.Source) -> rendering.Rendered:
    """``source`` rendered with sample data under the render budget; needs no database, so the API
    calls it after the request's transaction has ended."""
    try:
        return await rendering.render_budgeted(source, dict(rendering.SAMPLE))
    except rendering.TemplateProblem as exc:
        raise _refuse(exc) from exc


async def preview(
    session: AsyncSession, principal: Principal, name: str, body: TemplateIn | None, language: str | None
) -> rendering.Rendered:
    """Render the given draft, or the template in force, with sample data."""
    return await render_preview(await preview_source(session, principal, name, body, language))


# --- preferences ---------------------------------------------------------------------------------


def _person(principal: Principal) -> uuid.UUID:
    if principal.kind != "user":
        raise Unprocessable("Preferences belong to a person; an API client has none.")
    return principal.subject_id


async def get_preferences(session: AsyncSession, principal: Principal) -> NotificationPreference:
    user_id = _person(principal)
    found = await repository.preference(session, user_id)
    if found is None:
        return NotificationPreference(
            id=uuid.UUID(int=0),
            organisation_id=principal.organisation_id,
            user_id=user_id,
            version=0,
            application_digest=True,
        )
    return found


async def put_preferences(
    session: AsyncSession, principal: Principal, body: PreferencesIn
) -> NotificationPreference:
    user_id = _person(principal)
    found = await repository.preference(session, user_id)
    if found is None:
        found = NotificationPreference(user_id=user_id, version=0)
        session.add(found)
    found.application_digest = body.application_digest
    found.version = (found.version or 0) + 1
    await session.flush()
    return found


async def wants_digest(session: AsyncSession, user_id: uuid.UUID) -> bool:
    found = await repository.preference(session, user_id)
    return found is None or found.application_digest


async def add_digest_item(
    session: AsyncSession, user_id: uuid.UUID, job_id: uuid.UUID, application_id: uuid.UUID
) -> None:
    if await repository.digest_item(session, user_id, application_id) is None:
        session.add(NotificationDigestItem(user_id=user_id, job_id=job_id, application_id=application_id))
        await session.flush()


async def move_candidate_messages(
    session: AsyncSession, from_candidate: uuid.UUID, to_candidate: uuid.UUID
) -> int:
    """Point a merged-away candidate's messages at the surviving one (idempotent).

    The recipient hash stays: it names who a message was queued for, which keeps redeliveries of
    the old events deduplicated.
    """
    result = await session.execute(
        update(NotificationMessage)
        .where(NotificationMessage.candidate_id == from_candidate)
        .values(candidate_id=to_candidate)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
