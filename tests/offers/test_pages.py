"""Offer pages: drafting, the approval inbox, approving, sending, recording the answer — through the
same services as the API, each action shown only to the roles that may take it."""

from __future__ import annotations

import re
from typing import Any

import httpx
from fastapi import FastAPI

from tests.factories import Tenant, open_job
from tests.offers.support import application_at_offer, approved_offer, draft_offer, sent_offer
from tests.web.support import create_staff, sign_in


async def _offer(client: httpx.AsyncClient, tenant: Tenant, offer_id: str) -> dict[str, Any]:
    response = await client.get(f"/v1/offers/{offer_id}", headers=tenant.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_recruiter_drafts_an_offer_and_a_refusal_keeps_the_terms(
    app: FastAPI, client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant
) -> None:
    application = await application_at_offer(client, app, tenant)
    _, recruiter = await create_staff(client, tenant, "recruiter")
    csrf = await sign_in(pages, recruiter)
    form = await pages.get(f"/app/applications/{application['id']}/offers/new")
    assert form.status_code == 200
    assert 'value="110000"' in form.text  # the job's range starts the form

    outside = await pages.post(
        f"/app/applications/{application['id']}/offers/new",
        data={
            "csrf_token": csrf,
            "salary": "990000",
            "currency": "usd",
            "period": "year",
            "start_date": "2027-02-01",
            "terms": "Remote <b>first</b>",
        },
    )
    drafted = await pages.post(
        f"/app/applications/{application['id']}/offers/new",
        data={
            "csrf_token": csrf,
            "salary": "130000",
            "currency": "usd",
            "period": "year",
            "start_date": "2027-02-01",
            "terms": "Remote first",
        },
    )

    assert outside.status_code == 422
    assert 'value="990000"' in outside.text
    assert "Remote &lt;b&gt;first&lt;/b&gt;" in outside.text
    assert 'id="error-override_reason"' in outside.text or 'id="error-salary"' in outside.text
    assert drafted.status_code == 303
    offer_id = drafted.headers["location"].rsplit("/", 1)[-1]
    offer = await _offer(client, tenant, offer_id)
    assert offer["status"] == "pending_approval"
    assert offer["terms"]["currency"] == "USD"


async def test_the_inbox_shows_an_offer_to_the_role_whose_step_is_next_and_approving_moves_it_on(
    app: FastAPI, client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant
) -> None:
    offer = await draft_offer(client, tenant, await application_at_offer(client, app, tenant))
    _, manager = await create_staff(client, tenant, "hiring_manager")
    _, recruiter = await create_staff(client, tenant, "recruiter")

    await sign_in(pages, recruiter)
    assert f"/app/offers/{offer['id']}" not in (await pages.get("/app/offers")).text.split("Open offers")[0]
    assert "Approve" not in (await pages.get(f"/app/offers/{offer['id']}")).text

    pages.cookies.clear()
    csrf = await sign_in(pages, manager)
    inbox = await pages.get("/app/offers")
    assert f"/app/offers/{offer['id']}" in inbox.text.split("Open offers")[0]
    approved = await pages.post(
        f"/app/offers/{offer['id']}/approve", data={"csrf_token": csrf, "note": "Fair"}
    )

    assert approved.status_code == 303
    after = await _offer(client, tenant, offer["id"])
    assert after["pending_step"] == {"step": 1, "role": "admin"}
    assert after["approvals"][0]["note"] == "Fair"
    assert f"/app/offers/{offer['id']}" not in (await pages.get("/app/offers")).text.split("Open offers")[0]


async def test_asking_for_changes_then_revising_starts_the_approvals_again(
    app: FastAPI, client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant
) -> None:
    offer = await draft_offer(client, tenant, await application_at_offer(client, app, tenant))
    csrf = await sign_in(pages, tenant.admin_email)

    await pages.post(
        f"/app/offers/{offer['id']}/request-changes", data={"csrf_token": csrf, "note": "Too low"}
    )
    page = (await pages.get(f"/app/offers/{offer['id']}")).text
    version = re.search(r'name="version" value="(\d+)"', page)
    assert version
    revised = await pages.post(
        f"/app/offers/{offer['id']}/revise",
        data={"csrf_token": csrf, "version": version.group(1), "salary": "140000"},
    )
    stale = await pages.post(
        f"/app/offers/{offer['id']}/revise",
        data={"csrf_token": csrf, "version": version.group(1), "salary": "141000"},
    )

    assert revised.status_code == 303
    after = await _offer(client, tenant, offer["id"])
    assert after["status"] == "pending_approval"
    assert after["terms"]["salary"] == 140000
    assert after["current_version"] == 2
    assert stale.status_code == 409


async def test_sending_and_recording_the_answer(
    app: FastAPI, client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant
) -> None:
    job = await open_job(client, app, tenant)
    approved = await approved_offer(client, tenant, await application_at_offer(client, app, tenant, job))
    declined = await sent_offer(client, tenant, await application_at_offer(client, app, tenant, job))
    csrf = await sign_in(pages, tenant.admin_email)

    bad_day = await pages.post(
        f"/app/offers/{approved['id']}/send", data={"csrf_token": csrf, "expires_on": "soon"}
    )
    sent = await pages.post(
        f"/app/offers/{approved['id']}/send", data={"csrf_token": csrf, "expires_on": "2099-01-31"}
    )
    answer = await pages.post(
        f"/app/offers/{declined['id']}/decline", data={"csrf_token": csrf, "reason": "Counter-offer"}
    )

    assert bad_day.status_code == 422
    assert "Enter the last day as YYYY-MM-DD." in bad_day.text
    assert sent.status_code == 303
    assert (await _offer(client, tenant, approved["id"]))["expires_at"].startswith("2099-01-31")
    assert answer.status_code == 303
    declined_now = await _offer(client, tenant, declined["id"])
    assert declined_now["status"] == "declined"
    assert declined_now["decline_reason"] == "Counter-offer"


async def test_a_hiring_manager_cannot_send_and_another_organisation_sees_nothing(
    app: FastAPI, client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    approved = await approved_offer(client, tenant, await application_at_offer(client, app, tenant))
    _, manager = await create_staff(client, tenant, "hiring_manager")
    csrf = await sign_in(pages, manager)

    page = await pages.get(f"/app/offers/{approved['id']}")
    refused = await pages.post(f"/app/offers/{approved['id']}/send", data={"csrf_token": csrf})

    assert page.status_code == 200
    assert "Mark as sent" not in page.text
    assert refused.status_code == 403
    pages.cookies.clear()
    other = await sign_in(pages, other_tenant.admin_email)
    assert (await pages.get(f"/app/offers/{approved['id']}")).status_code == 404
    assert (
        await pages.post(f"/app/offers/{approved['id']}/send", data={"csrf_token": other})
    ).status_code == 404
    assert (await _offer(client, tenant, approved["id"]))["status"] == "approved"
