"""The caller's organisation: read with an ETag, change with If-Match."""

from __future__ import annotations

import httpx

from tests.factories import Tenant, create_user
from tests.identity.support import bearer


async def test_read_the_organisation(client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant) -> None:
    response = await client.get("/v1/organisation", headers=tenant.headers)
    assert response.status_code == 200
    assert response.headers["etag"].startswith('"')
    body = response.json()
    assert body["id"] == str(tenant.organisation_id)
    assert body["name"] == "Tenant A"
    assert set(body) == {"id", "name", "require_mfa", "created_at"}
    assert body["require_mfa"] is False

    theirs = await client.get("/v1/organisation", headers=other_tenant.headers)
    assert theirs.json()["name"] == "Tenant B"
    assert theirs.headers["etag"] != response.headers["etag"]


async def test_rename_with_if_match(client: httpx.AsyncClient, tenant: Tenant) -> None:
    etag = (await client.get("/v1/organisation", headers=tenant.headers)).headers["etag"]

    missing = await client.patch("/v1/organisation", headers=tenant.headers, json={"name": "Renamed"})
    assert missing.status_code == 428
    stale = await client.patch(
        "/v1/organisation", headers={**tenant.headers, "If-Match": '"0000"'}, json={"name": "Renamed"}
    )
    assert stale.status_code == 412
    assert stale.headers["etag"] == etag

    renamed = await client.patch(
        "/v1/organisation", headers={**tenant.headers, "If-Match": etag}, json={"name": "  Renamed Ltd "}
    )
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "Renamed Ltd"
    assert renamed.headers["etag"] != etag
    read = await client.get("/v1/organisation", headers=tenant.headers)
    assert read.json()["name"] == "Renamed Ltd"
    assert read.headers["etag"] == renamed.headers["etag"]

    replay = await client.patch(
        "/v1/organisation", headers={**tenant.headers, "If-Match": etag}, json={"name": "Lost update"}
    )
    assert replay.status_code == 412


async def test_invalid_names_are_refused(client: httpx.AsyncClient, tenant: Tenant) -> None:
    etag = (await client.get("/v1/organisation", headers=tenant.headers)).headers["etag"]
    for body in ({"name": ""}, {"name": "   "}, {"name": "x" * 201}, {}, {"name": "Ok", "plan": "gold"}):
        response = await client.patch(
            "/v1/organisation", headers={**tenant.headers, "If-Match": etag}, json=body
        )
        assert response.status_code == 422, body
        assert response.headers["content-type"] == "application/problem+json"
    assert (await client.get("/v1/organisation", headers=tenant.headers)).headers["etag"] == etag


async def test_only_admins_may_rename(client: httpx.AsyncClient, tenant: Tenant) -> None:
    _, recruiter = await create_user(client, tenant, "recruiter")
    read = await client.get("/v1/organisation", headers=bearer(recruiter))
    assert read.status_code == 200
    response = await client.patch(
        "/v1/organisation",
        headers={**bearer(recruiter), "If-Match": read.headers["etag"]},
        json={"name": "Hijacked"},
    )
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert (await client.get("/v1/organisation", headers=tenant.headers)).json()["name"] == "Tenant A"
