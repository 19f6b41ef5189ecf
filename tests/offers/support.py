"""Offers built through the API, from an application moved to the job's offer stage."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from rolecall.platform.clock import utcnow
from tests.factories import Tenant, create_application, create_user, move_application

OFFER_STAGE = "Offer"


async def application_at_offer(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, job: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A new candidate's application to ``job`` (a new open job if none), moved to the offer stage."""
    application = await create_application(client, app, tenant, job=job)
    return await move_application(client, tenant, application, OFFER_STAGE)


def offer_body(**overrides: Any) -> dict[str, Any]:
    """Terms inside the default test job's range (110,000-150,000 USD a year), starting next month."""
    body: dict[str, Any] = {
        "salary": 130_000,
        "currency": "USD",
        "period": "year",
        "start_date": (utcnow() + timedelta(days=30)).date().isoformat(),
        "terms": "Permanent, 30 days' holiday.",
    }
    body.update(overrides)
    return body


async def draft_offer(
    client: httpx.AsyncClient, tenant: Tenant, application: dict[str, Any], **overrides: Any
) -> dict[str, Any]:
    response = await client.post(
        f"/v1/applications/{application['id']}/offers", headers=tenant.headers, json=offer_body(**overrides)
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def approved_offer(
    client: httpx.AsyncClient, tenant: Tenant, application: dict[str, Any], **overrides: Any
) -> dict[str, Any]:
    """Drafted and approved by a hiring manager (step 1) and the admin (step 2)."""
    offer = await draft_offer(client, tenant, application, **overrides)
    _, manager = await create_user(client, tenant, "hiring_manager")
    first = await client.post(
        f"/v1/offers/{offer['id']}/approve", headers={"Authorization": f"Bearer {manager}"}
    )
    assert first.status_code == 200, first.text
    second = await client.post(f"/v1/offers/{offer['id']}/approve", headers=tenant.headers)
    assert second.status_code == 200, second.text
    body: dict[str, Any] = second.json()
    assert body["status"] == "approved", body
    return body


async def sent_offer(
    client: httpx.AsyncClient, tenant: Tenant, application: dict[str, Any], **overrides: Any
) -> dict[str, Any]:
    offer = await approved_offer(client, tenant, application, **overrides)
    response = await client.post(f"/v1/offers/{offer['id']}/send", headers=tenant.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body
