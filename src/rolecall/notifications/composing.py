"""Turning a queued row into an e-mail: who it goes to, what it says, what is attached.

Everything is looked up at send time through the owning contexts' services, acting as the system for
the row's organisation: the candidate's or staff member's name and address, the job title, the
interview with its iCalendar invite, the offer, a fresh assessment link. So a message reflects the
state when it leaves, an erased candidate gets nothing, and no personal data waits in the queue
except what cannot be looked up again (a status link), which is sealed.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.assessments import service as assessments
from rolecall.candidates import service as candidates
from rolecall.identity import service as identity
from rolecall.interviews import service as interviews
from rolecall.jobs import service as jobs
from rolecall.notifications import rendering, service
from rolecall.notifications.models import NotificationMessage
from rolecall.offers import service as offers
from rolecall.platform.auth import Principal
from rolecall.platform.clock import utcnow
from rolecall.platform.errors import NotFound, ProblemError
from rolecall.platform.pii import BlindIndex, KeyRing


class Undeliverable(Exception):
    """The message can never go (the person has no address any more, was erased, or left)."""


@dataclass(frozen=True)
class Tools:
    keyring: KeyRing
    index: BlindIndex
    mail_from: str
    base_url: str  # public pages (status links, assessments)
    app_url: str  # the staff app


@dataclass
class Draft:
    to_name: str
    to_address: str
    variables: dict[str, Any]
    attachments: list[tuple[bytes, str, str, dict[str, str]]] = field(default_factory=list)


def _utc(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _id(context: dict[str, Any], key: str) -> uuid.UUID:
    return uuid.UUID(str(context[key]))


async def _recipient(
    session: AsyncSession, system: Principal, row: NotificationMessage, tools: Tools
) -> tuple[str, str]:
    """Name and address. A sealed address (given when queued) wins; otherwise the owner's current one."""
    sealed: str | None = None
    if row.recipient is not None:
        sealed = tools.keyring.decrypt(row.recipient, context=service.sealed_context(row.id, "recipient"))
    if row.recipient_kind == "candidate" and row.candidate_id is not None:
        try:
            person = await candidates.get_candidate(session, system, row.candidate_id, keyring=tools.keyring)
        except ProblemError as exc:
            raise Undeliverable("the candidate no longer exists") from exc
        if person.erased_at is not None:
            raise Undeliverable("the candidate's personal data was erased")
        address = sealed or person.email
        if not address:
            raise Undeliverable("the candidate has no e-mail address")
        return person.full_name, address
    if row.recipient_kind == "user" and row.user_id is not None:
        try:
            user = await identity.get_user(session, system, row.user_id)
        except ProblemError as exc:
            raise Undeliverable("the staff member no longer exists") from exc
        if not user.is_active:
            raise Undeliverable("the staff member's account is deactivated")
        return user.full_name, sealed or user.email
    raise Undeliverable("the message has no recipient")


def _payload(row: NotificationMessage, keyring: KeyRing) -> dict[str, Any]:
    if row.payload is None:
        return {}
    loaded: dict[str, Any] = json.loads(
        keyring.decrypt(row.payload, context=service.sealed_context(row.id, "payload"))
    )
    return loaded


async def _job_title(session: AsyncSession, system: Principal, context: dict[str, Any]) -> str:
    if "job_id" not in context:
        return ""
    try:
        return (await jobs.get_job(session, system, _id(context, "job_id"))).title
    except ProblemError:
        return ""


async def _variables(
    session: AsyncSession, system: Principal, row: NotificationMessage, tools: Tools, draft: Draft
) -> None:
    context, variables = row.context, draft.variables
    payload = _payload(row, tools.keyring)
    if "status_link" in payload:
        variables["status_link"] = tools.base_url + str(payload["status_link"])
    if row.template.startswith("interview_") or row.template == "scorecard_due":
        interview = await interviews.get_interview(session, system, _id(context, "interview_id"))
        variables["interview"] = {
            "starts_at": _utc(interview.starts_at),
            "duration_minutes": interview.duration_minutes,
            "location": interview.location or "",
            "video_url": interview.video_url or "",
        }
        if row.template.startswith("interview_"):
            body, method, _ = await interviews.invite(session, system, interview.id)
            draft.attachments.append((body, "text", "calendar", {"method": method, "name": "invite.ics"}))
        else:
            variables["scorecard_link"] = f"{tools.app_url}/app/interviews/{interview.id}"
    if row.template in ("offer_sent", "approval_requested"):
        view = await offers.get_offer(session, system, _id(context, "offer_id"), keyring=tools.keyring)
        variables["offer"] = {"expires_at": _utc(view.offer.expires_at)}
        variables["offer_link"] = f"{tools.app_url}/app/offers/{view.offer.id}"
        variables["step"] = int(context.get("step", 0)) + 1
        variables["role"] = str(context.get("role", "")).replace("_", " ")
    if row.template == "assessment_invitation":
        try:
            record, token = await assessments.reissue_link(
                session, system, _id(context, "session_id"), tools.index
            )
        except ProblemError as exc:
            raise Undeliverable("the assessment can no longer be taken") from exc
        variables["assessment_link"] = f"{tools.base_url}/assessments/{token}"
        variables["expires_at"] = _utc(record.expires_at)
    if row.template == "webhook_disabled":
        # The endpoint's URL is not repeated here: receiver URLs often carry a credential.
        variables["endpoint_id"] = str(context.get("endpoint_id", ""))
        variables["reason"] = str(context.get("reason", "")).replace("_", " ")
        variables["failing_since"] = str(context.get("failing_since") or "")
        variables["endpoint_link"] = f"{tools.app_url}/v1/webhooks/endpoints/{variables['endpoint_id']}"
    if row.template == "application_digest":
        variables["total"] = int(context.get("total", 0))
        variables["jobs"] = [
            {"title": await _job_title(session, system, item), "count": item.get("count", 0)}
            for item in context.get("jobs", [])
        ]
        variables["app_link"] = f"{tools.app_url}/app"


def domain_of(mail_from: str) -> str:
    address = parseaddr(mail_from)[1]
    return address.rpartition("@")[2] or "rolecall.invalid"


@dataclass(frozen=True)
class Composed:
    """Everything a message needs, read from the database; rendering it needs no database."""

    template: str
    message_id: str
    to_user: bool
    language: str
    override: rendering.Source | None
    draft: Draft


async def compose(session: AsyncSession, row: NotificationMessage, tools: Tools) -> Composed:
    """What the e-mail for a queued row says, read in the caller's transaction; raises
    :class:`Undeliverable` when it can never go. :func:`render` turns it into the e-mail after
    the transaction has ended, so an organisation's slow template holds no database lock."""
    system = Principal.acting_for("system", row.organisation_id)
    name, address = await _recipient(session, system, row, tools)
    settings = await service.get_settings(session, row.organisation_id)
    draft = Draft(
        to_name=name,
        to_address=address,
        variables={
            "organisation_name": await identity.organisation_name(session, row.organisation_id),
            "recipient_name": name,
            "job_title": await _job_title(session, system, row.context),
        },
    )
    try:
        await _variables(session, system, row, tools, draft)
    except NotFound as exc:  # the interview or offer is gone: nothing left to tell
        raise Undeliverable(f"what the message is about no longer exists: {exc.detail}") from exc
    return Composed(
        template=row.template,
        message_id=row.message_id,
        to_user=row.recipient_kind == "user",
        language=settings.language,
        override=await service.override_source(session, row.template, settings.language),
        draft=draft,
    )


async def render(composed: Composed, tools: Tools) -> EmailMessage:
    """The e-mail: an override renders in a budgeted child process (the default if it fails)."""
    draft = composed.draft
    rendered, _ = await rendering.render_or_default(
        composed.template, composed.language, composed.override, draft.variables
    )
    message = EmailMessage()
    message["Subject"] = rendered.subject
    message["From"] = tools.mail_from
    message["To"] = formataddr((draft.to_name, draft.to_address))
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = f"<{composed.message_id}@{domain_of(tools.mail_from)}>"
    message["X-Rolecall-Template"] = composed.template
    if composed.to_user:
        message["Auto-Submitted"] = "auto-generated"
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    for data, maintype, subtype, params in draft.attachments:
        params = dict(params)
        filename = params.pop("name", "attachment")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename, params=params)
    # After the body: setting the content moves Content-* headers into the parts.
    message["Content-Language"] = composed.language
    return message
