"""Offers over HTTP: drafting rules, the approval chain, versions, sending, answers and expiry."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from rolecall.offers import service
from rolecall.offers.models import Offer, OfferApproval
from rolecall.platform.db import transaction
from rolecall.platform.events.models import OutboxEvent
from rolecall.platform.tenancy import all_tenants, bind_organisation
from tests.conftest import FrozenClock
from tests.factories import Tenant, create_application, create_user, login
from tests.offers.support import (
    application_at_offer,
    approved_offer,
    draft_offer,
    offer_body,
    sent_offer,
)
from tests.platform.problems import assert_problem


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _relogin(client: httpx.AsyncClient, tenant: Tenant) -> dict[str, str]:
    """Fresh headers after the frozen clock moved past the access token's lifetime."""
    return _bearer((await login(client, tenant.admin_email))["access_token"])


async def _events(app: FastAPI, offer_id: str) -> list[OutboxEvent]:
    async with transaction(app.state.sessionmaker) as session:
        stmt = (
            select(OutboxEvent)
            .where(OutboxEvent.subject == f"offers/{offer_id}")
            .order_by(OutboxEvent.id)
            .execution_options(**all_tenants())
        )
        return list((await session.scalars(stmt)).all())


async def test_draft_offer_waits_for_the_default_chain(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    application = await application_at_offer(client, app, tenant)
    response = await client.post(
        f"/v1/applications/{application['id']}/offers", headers=tenant.headers, json=offer_body()
    )
    assert response.status_code == 201, response.text
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["location"] == f"/v1/offers/{response.json()['id']}"
    offer = response.json()
    assert offer["status"] == "pending_approval"
    assert offer["approval_chain"] == ["hiring_manager", "admin"]
    assert offer["pending_step"] == {"step": 0, "role": "hiring_manager"}
    assert offer["terms"]["salary"] == 130_000
    assert offer["terms"]["number"] == 1
    assert [v["number"] for v in offer["versions"]] == [1]
    assert offer["application_id"] == application["id"]
    assert offer["candidate_id"] == application["candidate_id"]
    [created] = await _events(app, offer["id"])
    assert created.type == "offer.created"
    assert created.data["schema_version"] == 1
    assert created.data["offer_id"] == offer["id"]
    assert "salary" not in created.data
    again = await client.post(
        f"/v1/applications/{application['id']}/offers", headers=tenant.headers, json=offer_body()
    )
    assert_problem(again, 409, "conflict")


async def test_offers_need_an_active_application_at_an_offer_stage(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    application = await create_application(client, app, tenant)  # still at "Applied"
    response = await client.post(
        f"/v1/applications/{application['id']}/offers", headers=tenant.headers, json=offer_body()
    )
    assert_problem(response, 409, "conflict")
    missing = await client.post(
        f"/v1/applications/{uuid.uuid4()}/offers", headers=tenant.headers, json=offer_body()
    )
    assert_problem(missing, 404, "not-found")


async def test_terms_must_fit_the_job_unless_a_reason_is_given(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    application = await application_at_offer(client, app, tenant)
    path = f"/v1/applications/{application['id']}/offers"
    too_high = await client.post(path, headers=tenant.headers, json=offer_body(salary=180_000))
    assert assert_problem(too_high, 422, "unprocessable")["errors"][0]["field"] == "salary"
    other_currency = await client.post(path, headers=tenant.headers, json=offer_body(currency="EUR"))
    assert assert_problem(other_currency, 422)["errors"][0]["field"] == "currency"
    past = await client.post(path, headers=tenant.headers, json=offer_body(start_date="2020-01-01"))
    assert assert_problem(past, 422)["errors"][0]["field"] == "start_date"
    assert_problem(await client.post(path, headers=tenant.headers, json=offer_body(period="week")), 422)
    reasoned = await client.post(
        path, headers=tenant.headers, json=offer_body(salary=180_000, override_reason="Counter-offer matched")
    )
    assert reasoned.status_code == 201, reasoned.text
    assert reasoned.json()["terms"]["override_reason"] == "Counter-offer matched"


async def test_each_step_is_decided_by_its_role_once(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    application = await application_at_offer(client, app, tenant)
    offer = await draft_offer(client, tenant, application)
    path = f"/v1/offers/{offer['id']}"
    _, recruiter = await create_user(client, tenant, "recruiter")
    _, manager = await create_user(client, tenant, "hiring_manager")

    assert_problem(await client.post(f"{path}/approve", headers=_bearer(recruiter)), 403, "forbidden")
    first = await client.post(
        f"{path}/approve", headers=_bearer(manager), json={"note": "Fair for the level"}
    )
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "pending_approval"
    assert first.json()["pending_step"] == {"step": 1, "role": "admin"}
    # The second step is the admin's: the hiring manager cannot take it too.
    assert_problem(await client.post(f"{path}/approve", headers=_bearer(manager)), 403, "forbidden")
    second = await client.post(f"{path}/approve", headers=tenant.headers)
    assert second.status_code == 200, second.text
    approved = second.json()
    assert approved["status"] == "approved"
    assert approved["pending_step"] is None
    assert [(a["step"], a["role"], a["decision"]) for a in approved["approvals"]] == [
        (0, "hiring_manager", "approved"),
        (1, "admin", "approved"),
    ]
    assert approved["approvals"][0]["note"] == "Fair for the level"
    assert_problem(await client.post(f"{path}/approve", headers=tenant.headers), 409, "conflict")
    events = await _events(app, offer["id"])
    # Each step's approval is an event (the next step's approvers are asked); the last one approves.
    assert [event.type for event in events] == ["offer.created", "offer.step_approved", "offer.approved"]
    assert [(e.data["step"], e.data["role"], e.data["decision"]) for e in events[1:]] == [
        (0, "hiring_manager", "approved"),
        (1, "admin", "approved"),
    ]

    # The note is sealed at rest.
    async with transaction(app.state.sessionmaker) as session:
        bind_organisation(session, tenant.organisation_id)
        notes = (await session.scalars(select(OfferApproval.note))).all()
        assert all(note is None or "Fair" not in note for note in notes)


async def test_rejected_step_needs_a_new_version_approved_from_the_start(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    application = await application_at_offer(client, app, tenant)
    offer = await draft_offer(client, tenant, application)
    path = f"/v1/offers/{offer['id']}"
    await client.post(f"{path}/approve", headers=tenant.headers)  # admins may take any step
    rejected = await client.post(f"{path}/reject-approval", headers=tenant.headers, json={"note": "Too high"})
    assert rejected.json()["status"] == "changes_requested"
    assert_problem(await client.post(f"{path}/send", headers=tenant.headers), 409, "conflict")
    assert_problem(await client.post(f"{path}/approve", headers=tenant.headers), 409, "conflict")

    assert_problem(await client.post(f"{path}/versions", headers=tenant.headers, json={}), 428)
    stale = await client.post(
        f"{path}/versions", headers={**tenant.headers, "If-Match": '"stale"'}, json={"salary": 120_000}
    )
    assert_problem(stale, 412)
    revised = await client.post(
        f"{path}/versions",
        headers={**tenant.headers, "If-Match": rejected.headers["etag"]},
        json={"salary": 120_000},
    )
    assert revised.status_code == 201, revised.text
    body = revised.json()
    assert body["status"] == "pending_approval"
    assert body["current_version"] == 2
    assert body["terms"]["salary"] == 120_000
    assert body["terms"]["start_date"] == offer["terms"]["start_date"]  # kept from version 1
    assert [v["salary"] for v in body["versions"]] == [130_000, 120_000]
    assert body["pending_step"] == {"step": 0, "role": "hiring_manager"}  # earlier approvals lapse
    assert len(body["approvals"]) == 2  # still shown, against version 1
    assert "offer.revised" in [event.type for event in await _events(app, offer["id"])]


async def test_custom_chain_send_and_lazy_expiry(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, clock: FrozenClock
) -> None:
    application = await application_at_offer(client, app, tenant)
    offer = await draft_offer(client, tenant, application, approval_chain=["admin"])
    path = f"/v1/offers/{offer['id']}"
    assert (await client.post(f"{path}/approve", headers=tenant.headers)).json()["status"] == "approved"
    past = (clock.now - timedelta(days=1)).isoformat()
    assert_problem(await client.post(f"{path}/send", headers=tenant.headers, json={"expires_at": past}), 422)
    sent = await client.post(f"{path}/send", headers=tenant.headers)
    assert sent.status_code == 200, sent.text
    assert sent.json()["status"] == "sent"
    clock.advance(days=6)
    assert (await client.get(path, headers=await _relogin(client, tenant))).json()["status"] == "sent"
    clock.advance(days=2)
    headers = await _relogin(client, tenant)
    assert (await client.get(path, headers=headers)).json()["status"] == "expired"
    assert_problem(await client.post(f"{path}/accept", headers=headers), 409, "conflict")
    assert [e.type for e in await _events(app, offer["id"])][-1] == "offer.expired"


async def test_worker_expires_sent_offers(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, clock: FrozenClock
) -> None:
    application = await application_at_offer(client, app, tenant)
    offer = await approved_offer(client, tenant, application)
    until = (clock.now + timedelta(days=2)).isoformat()
    await client.post(f"/v1/offers/{offer['id']}/send", headers=tenant.headers, json={"expires_at": until})
    assert await service.expire_offers(app.state.sessionmaker) == 0
    clock.advance(days=3)
    assert await service.expire_offers(app.state.sessionmaker) == 1
    assert await service.expire_offers(app.state.sessionmaker) == 0
    read = await client.get(f"/v1/offers/{offer['id']}", headers=await _relogin(client, tenant))
    assert read.json()["status"] == "expired"


async def test_decline_withdraw_list_and_tenancy(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, other_tenant: Tenant
) -> None:
    application = await application_at_offer(client, app, tenant)
    offer = await sent_offer(client, tenant, application)
    path = f"/v1/offers/{offer['id']}"
    declined = await client.post(
        f"{path}/decline", headers=tenant.headers, json={"reason": "Took another job"}
    )
    assert declined.status_code == 200, declined.text
    assert declined.json()["status"] == "declined"
    assert declined.json()["decline_reason"] == "Took another job"
    assert_problem(await client.post(f"{path}/withdraw", headers=tenant.headers), 409, "conflict")
    async with transaction(app.state.sessionmaker) as session:
        bind_organisation(session, tenant.organisation_id)
        stored = await session.get(Offer, uuid.UUID(offer["id"]))
        assert stored is not None
        assert stored.decline_reason is not None
        assert "another" not in stored.decline_reason

    second = await draft_offer(client, tenant, application)  # a declined offer no longer blocks
    withdrawn = await client.post(f"/v1/offers/{second['id']}/withdraw", headers=tenant.headers)
    assert withdrawn.json()["status"] == "withdrawn"

    listed = await client.get(
        "/v1/offers", headers=tenant.headers, params={"application_id": application["id"]}
    )
    assert [o["id"] for o in listed.json()["items"]] == [offer["id"], second["id"]]
    only = await client.get("/v1/offers", headers=tenant.headers, params={"status": "withdrawn"})
    assert [o["id"] for o in only.json()["items"]] == [second["id"]]
    assert (await client.get("/v1/offers", headers=other_tenant.headers)).json()["items"] == []
    assert_problem(await client.get(path, headers=other_tenant.headers), 404, "not-found")
    assert_problem(await client.post(f"{path}/withdraw", headers=other_tenant.headers), 404, "not-found")


async def test_export_and_erase_candidate(client: httpx.AsyncClient, app: FastAPI, tenant: Tenant) -> None:
    application = await application_at_offer(client, app, tenant)
    offer = await approved_offer(client, tenant, application)
    await client.post(f"/v1/offers/{offer['id']}/send", headers=tenant.headers)
    await client.post(
        f"/v1/offers/{offer['id']}/decline", headers=tenant.headers, json={"reason": "Relocating"}
    )
    candidate_id = uuid.UUID(application["candidate_id"])
    keyring = app.state.pii_keyring
    async with transaction(app.state.sessionmaker) as session:
        bind_organisation(session, tenant.organisation_id)
        [exported] = await service.export_candidate(session, candidate_id, keyring=keyring)
        assert exported["decline_reason"] == "Relocating"
        assert exported["versions"][0]["salary"] == 130_000
        assert len(exported["approvals"]) == 2
        await service.erase_candidate(session, candidate_id)
    async with transaction(app.state.sessionmaker) as session:
        bind_organisation(session, tenant.organisation_id)
        [after] = await service.export_candidate(session, candidate_id, keyring=keyring)
        assert after["decline_reason"] is None
        assert all(a["note"] is None for a in after["approvals"])
        assert after["versions"] == exported["versions"]  # terms are the organisation's records
        assert await service.export_candidate(session, uuid.uuid4(), keyring=keyring) == []


async def test_readers_without_offer_scopes_are_refused(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    application = await application_at_offer(client, app, tenant)
    _, interviewer = await create_user(client, tenant, "interviewer")
    _, manager = await create_user(client, tenant, "hiring_manager")
    assert_problem(await client.get("/v1/offers", headers=_bearer(interviewer)), 403)
    drafted = await client.post(
        f"/v1/applications/{application['id']}/offers", headers=_bearer(manager), json=offer_body()
    )
    assert_problem(drafted, 403)  # hiring managers approve offers; recruiters draft them
    offer: dict[str, Any] = await draft_offer(client, tenant, application)
    assert (await client.get(f"/v1/offers/{offer['id']}", headers=_bearer(manager))).status_code == 200


async def test_two_offers_drafted_at_once_leave_one(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    import asyncio

    from tests.offers.support import application_at_offer, offer_body

    application = await application_at_offer(client, app, tenant)
    url = f"/v1/applications/{application['id']}/offers"
    first, second = await asyncio.gather(
        client.post(url, headers=tenant.headers, json=offer_body()),
        client.post(url, headers=tenant.headers, json=offer_body(salary=131_000)),
    )
    assert sorted([first.status_code, second.status_code]) == [201, 409], (first.text, second.text)
    listed = await client.get(
        "/v1/offers", headers=tenant.headers, params={"application_id": application["id"]}
    )
    assert len(listed.json()["items"]) == 1
