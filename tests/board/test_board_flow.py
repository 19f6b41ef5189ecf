"""From a forked profile to a searchable posting and back off the board, through the public API."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.factories import create_tenant, deliver, open_job


async def test_opened_job_is_searchable_and_closing_removes_it(
    client: httpx.AsyncClient, app: FastAPI, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    tenant = await create_tenant(client, sessionmaker, name="Acme Robotics")
    job = await open_job(client, app, tenant)

    found = await client.get("/v1/board/postings", params={"q": "back-end"})
    assert found.status_code == 200, found.text
    body = found.json()
    assert [item["id"] for item in body["items"]] == [job["id"]]
    assert body["total"] == 1
    assert body["facets"]["level"] == [{"value": "lead", "count": 1}]

    detail = await client.get(f"/v1/board/postings/{job['id']}")
    assert detail.status_code == 200, detail.text
    assert detail.json()["organisation"]["name"] == "Acme Robotics"
    assert detail.headers["cache-control"].startswith("public")

    closed = await client.post(
        f"/v1/jobs/{job['id']}/close", headers=tenant.headers, json={"reason": "filled"}
    )
    assert closed.status_code == 200, closed.text
    await deliver(app)
    assert (await client.get("/v1/board/postings", params={"q": "back-end"})).json()["total"] == 0
    assert (await client.get(f"/v1/board/postings/{job['id']}")).status_code == 404


async def test_organisation_rename_and_settings_reach_open_postings(
    client: httpx.AsyncClient, app: FastAPI, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    tenant = await create_tenant(client, sessionmaker, name="Acme Robotics")
    job = await open_job(client, app, tenant)

    organisation = await client.get("/v1/organisation", headers=tenant.headers)
    renamed = await client.patch(
        "/v1/organisation",
        headers={**tenant.headers, "If-Match": organisation.headers["etag"]},
        json={"name": "Acme Automation"},
    )
    assert renamed.status_code == 200, renamed.text
    await deliver(app)  # organisation.updated -> job.updated -> projection -> index
    detail = (await client.get(f"/v1/board/postings/{job['id']}")).json()
    assert detail["organisation"]["name"] == "Acme Automation"

    settings = await client.get("/v1/job-settings", headers=tenant.headers)
    hidden = await client.patch(
        "/v1/job-settings",
        headers={**tenant.headers, "If-Match": settings.headers["etag"]},
        json={"show_salary": False},
    )
    assert hidden.status_code == 200, hidden.text
    await deliver(app)
    detail = (await client.get(f"/v1/board/postings/{job['id']}")).json()
    assert detail["salary"] is None
    assert "110,000" not in detail["description"]["markdown"]
