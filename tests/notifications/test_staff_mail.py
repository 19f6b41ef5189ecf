"""E-mail to staff: offer approval requested, scorecards due, and the daily digest with its opt-out."""

from __future__ import annotations

import uuid

import httpx
from fastapi import FastAPI

from rolecall.notifications import jobs
from tests.conftest import FrozenClock
from tests.factories import Tenant, apply_form, create_user, deliver, open_job
from tests.interviews.support import application, fill, person, schedule, soon
from tests.mail import text_of
from tests.notifications.conftest import Inbox, send
from tests.offers.support import application_at_offer, draft_offer


async def _email_of(client: httpx.AsyncClient, tenant: Tenant, user_id: str) -> str:
    email: str = (await client.get(f"/v1/users/{user_id}", headers=tenant.headers)).json()["email"]
    return email


async def test_the_approver_of_the_waiting_step_is_told(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, inbox: Inbox
) -> None:
    manager_id, manager = await create_user(client, tenant, "hiring_manager")
    recruiter_id, _ = await create_user(client, tenant, "recruiter")
    application = await application_at_offer(client, app, tenant)
    offer = await draft_offer(client, tenant, application)
    await deliver(app)
    await send(app)
    (asked,) = inbox.to(await _email_of(client, tenant, manager_id))
    assert asked["X-Rolecall-Template"] == "approval_requested"
    assert asked["Auto-Submitted"] == "auto-generated"
    assert f"/app/offers/{offer['id']}" in text_of(asked)
    assert inbox.to(await _email_of(client, tenant, recruiter_id)) == []

    # The manager approves step 1: the admins are asked for step 2.
    approved = await client.post(
        f"/v1/offers/{offer['id']}/approve", headers={"Authorization": f"Bearer {manager}"}
    )
    assert approved.status_code == 200, approved.text
    inbox.clear()
    await deliver(app)
    await send(app)
    assert [
        m["X-Rolecall-Template"] for m in inbox.to(await _email_of(client, tenant, str(tenant.admin_id)))
    ] == ["approval_requested"]


async def test_an_interviewer_without_a_scorecard_is_reminded_once(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, inbox: Inbox, clock: FrozenClock
) -> None:
    candidate = await application(client, app, tenant)
    done, late = await person(client, tenant, "interviewer"), await person(client, tenant, "interviewer")
    interview = await schedule(
        client, tenant, candidate["id"], done, late, starts_at=soon(days=1), duration_minutes=60
    )
    await fill(client, interview, done, 3, "yes")
    emails = {who.id: await _email_of(client, tenant, who.id) for who in (done, late)}
    clock.advance(days=1, minutes=150)  # ended half an hour past the one-hour grace
    sessionmaker = app.state.sessionmaker
    assert await jobs.queue_scorecard_reminders(sessionmaker) == 1
    assert await jobs.queue_scorecard_reminders(sessionmaker) == 0  # once
    await send(app)
    reminded = inbox.to(emails[late.id])
    assert [m["X-Rolecall-Template"] for m in reminded] == ["scorecard_due"]
    assert inbox.to(emails[done.id]) == []


async def test_the_hiring_team_gets_a_daily_digest_unless_they_opt_out(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, inbox: Inbox
) -> None:
    keen_id, keen = await create_user(client, tenant, "hiring_manager")
    quiet_id, quiet = await create_user(client, tenant, "recruiter")
    job = await open_job(
        client,
        app,
        tenant,
        hiring_team=[
            {"user_id": keen_id, "role": "hiring_manager"},
            {"user_id": quiet_id, "role": "recruiter"},
        ],
    )
    off = await client.put(
        "/v1/notifications/preferences/me",
        headers={"Authorization": f"Bearer {quiet}"},
        json={"application_digest": False},
    )
    assert (off.status_code, off.json()) == (200, {"application_digest": False})
    mine = await client.get("/v1/notifications/preferences/me", headers={"Authorization": f"Bearer {keen}"})
    assert mine.json() == {"application_digest": True}
    for n in range(3):
        form = apply_form(email=f"digest-{n}-{uuid.uuid4().hex[:6]}@example.com")
        assert (await client.post(f"/v1/board/postings/{job['id']}/applications", **form)).status_code == 202
    await deliver(app)
    assert await jobs.queue_digests(app.state.sessionmaker) == 1
    assert await jobs.queue_digests(app.state.sessionmaker) == 0
    await send(app)
    (digest,) = [
        m
        for m in inbox.to(await _email_of(client, tenant, keen_id))
        if m["X-Rolecall-Template"] == "application_digest"
    ]
    assert digest["Subject"] == "3 new applications for your jobs"
    assert f"- {job['title']}: 3" in text_of(digest)
    assert inbox.to(await _email_of(client, tenant, quiet_id)) == []


async def test_admins_hear_when_a_webhook_endpoint_is_disabled(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, inbox: Inbox
) -> None:
    from rolecall.platform.db import transaction
    from rolecall.platform.events.outbox import emit
    from rolecall.platform.tenancy import bind_organisation
    from rolecall.webhooks.events import WebhookEndpointDisabled

    recruiter_id, _ = await create_user(client, tenant, "recruiter")
    endpoint_id = uuid.uuid4()
    secret_url = "https://hooks.example.com/services/T000/B000/secret-token"
    async with transaction(app.state.sessionmaker) as session:
        bind_organisation(session, tenant.organisation_id)
        emit(
            session,
            WebhookEndpointDisabled(endpoint_id=endpoint_id, url=secret_url, reason="too_many_failed_events"),
        )
    await deliver(app)
    await send(app)
    (notice,) = inbox.to(await _email_of(client, tenant, str(tenant.admin_id)))
    assert notice["X-Rolecall-Template"] == "webhook_disabled"
    body = text_of(notice)
    assert str(endpoint_id) in body
    assert "too many failed events" in body
    assert "secret-token" not in body  # the receiver's URL may carry a credential
    assert inbox.to(await _email_of(client, tenant, recruiter_id)) == []
