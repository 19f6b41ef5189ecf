"""E-mail to candidates through a real SMTP server: the status link, interviews, rejections, offers."""

from __future__ import annotations

import re
import uuid
from email.message import EmailMessage
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.notifications import reactions
from rolecall.notifications.models import NotificationMessage
from rolecall.platform.db import transaction
from rolecall.platform.tenancy import all_tenants, bind_organisation
from tests.assessments.support import job_with_blueprint
from tests.conftest import FrozenClock
from tests.factories import Tenant, apply_form, create_application, deliver, move_application, open_job
from tests.interviews.support import person, schedule
from tests.mail import STATUS_LINK, text_of
from tests.notifications.conftest import Inbox, send
from tests.offers.support import application_at_offer, sent_offer
from tests.privacy.support import erase


def html_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("html",))
    assert body is not None
    content: str = body.get_content()
    return content


async def rows(sessionmaker: async_sessionmaker[AsyncSession]) -> list[NotificationMessage]:
    async with transaction(sessionmaker) as session:
        stmt = select(NotificationMessage).order_by(NotificationMessage.id).execution_options(**all_tenants())
        return list((await session.scalars(stmt)).all())


async def candidate_email(client: httpx.AsyncClient, tenant: Tenant, candidate_id: str) -> str:
    found = (await client.get(f"/v1/candidates/{candidate_id}", headers=tenant.headers)).json()
    email: str = found["email"]
    return email


async def test_the_status_link_is_mailed_with_proper_headers_and_kept_only_sealed(
    client: httpx.AsyncClient,
    app: FastAPI,
    tenant: Tenant,
    inbox: Inbox,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    job = await open_job(client, app, tenant)
    form = apply_form(email="grace@example.com", full_name="Grace Hopper")
    response = await client.post(f"/v1/board/postings/{job['id']}/applications", **form)
    assert response.status_code == 202, response.text
    assert "status" not in response.headers.get("location", "")

    assert await send(app) == 1
    (received,) = inbox.received
    assert (received.mail_from, received.rcpt_tos) == ("hiring@rolecall.test", ["grace@example.com"])
    message = received.message
    assert message["From"] == "Rolecall Hiring <hiring@rolecall.test>"
    assert message["To"] == "Grace Hopper <grace@example.com>"
    assert message["Subject"] == f"We received your application for {job['title']}"
    assert message["Content-Language"] == "en"
    (row,) = await rows(sessionmaker)
    assert (
        message["Message-ID"]
        == f"<{row.event_id}.application_received.{row.recipient_hash[:16]}@rolecall.test>"
    )
    text = text_of(message)
    assert "Hello Grace Hopper" in text
    assert "Tenant A" in text
    link = STATUS_LINK.search(text)
    assert link is not None
    assert link.group(0).startswith("http://rolecall.test/status/")
    assert f'<a href="{link.group(0)}">' in html_of(message)
    status = await client.get(f"/v1/application-status/{link.group(1)}")
    assert (status.status_code, status.json()["job_title"]) == (200, job["title"])

    # Neither the address nor the link is stored in clear.
    assert row.status == "sent"
    assert row.sent_at is not None
    for column in (row.recipient, row.payload):
        assert column is not None
        assert "grace" not in column
        assert link.group(1) not in column
    assert "grace" not in str(row.context)
    assert await send(app) == 0  # sent once


async def test_a_candidates_mail_never_reaches_another_candidate(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, inbox: Inbox
) -> None:
    job = await open_job(client, app, tenant)
    people = {"ada@example.com": "Ada Lovelace", "bob@example.com": "Bob Bobson"}
    for email, name in people.items():
        response = await client.post(
            f"/v1/board/postings/{job['id']}/applications", **apply_form(email=email, full_name=name)
        )
        assert response.status_code == 202
    assert await send(app) == 2
    for email, name in people.items():
        (message,) = inbox.to(email)
        assert message["To"] == f"{name} <{email}>"
        text = text_of(message)
        other = next(n for e, n in people.items() if e != email)
        assert name in text
        assert other not in text
        link = STATUS_LINK.search(text)
        assert link is not None
        status = (await client.get(f"/v1/application-status/{link.group(1)}")).json()
        application = (
            await client.get(f"/v1/applications/{status['application_id']}", headers=tenant.headers)
        ).json()
        assert await candidate_email(client, tenant, application["candidate_id"]) == email


def calendar_of(message: EmailMessage) -> str:
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_filename() == "invite.ics"
    content = attachment.get_content()
    return content.decode() if isinstance(content, bytes) else str(content)


async def test_interview_invitation_update_and_cancellation_share_one_calendar_uid(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, inbox: Inbox
) -> None:
    application = await create_application(client, app, tenant, full_name="Ada Lovelace")
    email = await candidate_email(client, tenant, application["candidate_id"])
    interviewer = await person(client, tenant, "interviewer")
    interview = await schedule(client, tenant, application["id"], interviewer)
    await deliver(app)
    assert await send(app) == 1
    (invitation,) = inbox.to(email)
    assert invitation["Subject"].startswith("Interview invitation: ")
    assert "Room 4.2" in text_of(invitation)
    assert "https://meet.example.com/abc-defg" in text_of(invitation)
    first = calendar_of(invitation)
    assert "METHOD:REQUEST" in first
    uid = re.search(r"UID:(\S+)", first)
    assert uid is not None

    path = f"/v1/interviews/{interview['id']}"
    etag = (await client.get(path, headers=tenant.headers)).headers["etag"]
    moved = await client.patch(
        path, headers={**tenant.headers, "If-Match": etag}, json={"duration_minutes": 30}
    )
    assert moved.status_code == 200, moved.text
    assert (await client.post(f"{path}/cancel", headers=tenant.headers)).status_code == 200
    await deliver(app)
    assert await send(app) == 2
    _, update, cancellation = inbox.to(email)
    assert update["X-Rolecall-Template"] == "interview_updated"
    assert cancellation["X-Rolecall-Template"] == "interview_cancelled"
    # Both attach the interview's current invite: by the time they leave it is cancelled.
    for message in (update, cancellation):
        ics = calendar_of(message)
        assert f"UID:{uid.group(1)}" in ics
    assert "METHOD:CANCEL" in calendar_of(cancellation)


async def test_a_redelivered_event_queues_and_sends_its_message_once(
    client: httpx.AsyncClient,
    app: FastAPI,
    tenant: Tenant,
    inbox: Inbox,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    application = await create_application(client, app, tenant)
    email = await candidate_email(client, tenant, application["candidate_id"])
    interviewer = await person(client, tenant, "interviewer")
    interview = await schedule(client, tenant, application["id"], interviewer)
    event_id = uuid.uuid4()
    data: dict[str, Any] = {
        "interview": {
            "id": interview["id"],
            "job_id": application["job_id"],
            "application_id": application["id"],
            "candidate_id": application["candidate_id"],
        }
    }
    for _ in range(3):  # the same event, as a broker would redeliver it
        async with transaction(sessionmaker) as session:
            bind_organisation(session, tenant.organisation_id)
            await reactions.interview_changed(
                session, tenant.organisation_id, event_id, "interview.scheduled", data
            )
    queued = [r for r in await rows(sessionmaker) if r.event_id == event_id]
    assert len(queued) == 1
    await send(app)
    await send(app)
    assert len([m for m in inbox.to(email) if str(event_id) in str(m["Message-ID"])]) == 1


async def test_a_rejection_waits_for_the_delay_and_can_be_cancelled(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, inbox: Inbox, clock: FrozenClock
) -> None:
    settings = await client.put(
        "/v1/notifications/settings", headers=tenant.headers, json={"rejection_delay_hours": 12}
    )
    assert settings.status_code == 200, settings.text
    assert settings.json()["rejection_delay_hours"] == 12
    job = await open_job(client, app, tenant)
    kept, dropped, restored = [await create_application(client, app, tenant, job=job) for _ in range(3)]
    emails = {
        a["id"]: await candidate_email(client, tenant, a["candidate_id"]) for a in (kept, dropped, restored)
    }
    for application in (kept, dropped, restored):
        response = await client.post(
            f"/v1/applications/{application['id']}/reject",
            headers=tenant.headers,
            json={"reason": "skills_gap"},
        )
        assert response.status_code == 200, response.text
    await deliver(app)
    assert await send(app) == 0  # not yet

    listed = await client.get(
        "/v1/notifications/messages",
        headers=tenant.headers,
        params={"application_id": dropped["id"], "template": "rejection"},
    )
    (pending,) = listed.json()["items"]
    assert pending["status"] == "queued"
    cancelled = await client.post(
        f"/v1/notifications/messages/{pending['id']}/cancel", headers=tenant.headers
    )
    assert (cancelled.status_code, cancelled.json()["status"]) == (200, "cancelled")
    again = await client.post(f"/v1/notifications/messages/{pending['id']}/cancel", headers=tenant.headers)
    assert again.status_code == 409
    # Taking the rejection back cancels its message too.
    assert (
        await client.post(f"/v1/applications/{restored['id']}/unreject", headers=tenant.headers)
    ).status_code == 200
    await deliver(app)

    clock.advance(hours=11)
    assert await send(app) == 0
    clock.advance(hours=2)
    assert await send(app) == 1
    (message,) = [r.message for r in inbox.received]
    assert message["X-Rolecall-Template"] == "rejection"
    assert inbox.to(emails[kept["id"]]) == [message]


async def test_a_sent_offer_is_mailed_to_its_candidate(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, inbox: Inbox
) -> None:
    application = await application_at_offer(client, app, tenant)
    email = await candidate_email(client, tenant, application["candidate_id"])
    await sent_offer(client, tenant, application)
    await deliver(app)
    await send(app)
    (message,) = inbox.to(email)
    assert message["X-Rolecall-Template"] == "offer_sent"
    assert "The offer is open until" in text_of(message)


async def test_an_automatic_assessment_invitation_mails_a_working_link(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, inbox: Inbox
) -> None:
    job = await job_with_blueprint(client, app, tenant)
    application = await create_application(client, app, tenant, job=job)
    email = await candidate_email(client, tenant, application["candidate_id"])
    await move_application(client, tenant, application, "Skills assessment")
    await deliver(app)  # the assessments context invites; its event reaches the e-mail queue
    await deliver(app)
    await send(app)
    (message,) = inbox.to(email)
    assert message["X-Rolecall-Template"] == "assessment_invitation"
    link = re.search(r"http://rolecall\.test/assessments/([A-Za-z0-9_-]{20,100})", text_of(message))
    assert link is not None
    assert (await client.get(f"/v1/assessment-links/{link.group(1)}")).status_code == 200


async def test_a_retried_application_with_an_idempotency_key_replays_and_mails_once(
    client: httpx.AsyncClient,
    app: FastAPI,
    tenant: Tenant,
    inbox: Inbox,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    job = await open_job(client, app, tenant)
    request = client.build_request(
        "POST",
        f"/v1/board/postings/{job['id']}/applications",
        headers={"Idempotency-Key": "apply-once-7f3a"},
        **apply_form(email="retry@example.com"),
    )
    request.read()  # the same bytes (multipart boundary included) for the retry
    first, retry = await client.send(request), await client.send(request)
    assert (first.status_code, retry.status_code) == (202, 202)
    assert retry.json() == first.json()
    assert retry.headers.get("idempotent-replayed") == "true"
    assert await send(app) == 1
    assert len(inbox.to("retry@example.com")) == 1
    assert [r.template for r in await rows(sessionmaker)] == ["application_received"]


async def test_a_candidates_messages_are_exported_and_erased_with_them(
    client: httpx.AsyncClient,
    app: FastAPI,
    tenant: Tenant,
    inbox: Inbox,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    job = await open_job(client, app, tenant)
    form = apply_form(email="export@example.com", full_name="Ex Port")
    assert (await client.post(f"/v1/board/postings/{job['id']}/applications", **form)).status_code == 202
    await send(app)
    (row,) = await rows(sessionmaker)
    assert row.candidate_id is not None
    exported = await client.get(f"/v1/candidates/{row.candidate_id}/export", headers=tenant.headers)
    assert exported.status_code == 200, exported.text
    (message,) = exported.json()["notifications"]
    assert (message["template"], message["to"], message["status"]) == (
        "application_received",
        "export@example.com",
        "sent",
    )
    erased = await erase(client, tenant, str(row.candidate_id))
    assert erased.status_code in (200, 202), erased.text
    assert await rows(sessionmaker) == []
