"""Talent pools: unique names per organisation, idempotent membership, audited member lists."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.candidates.support import audit_entries, events, new_candidate
from tests.factories import Tenant, create_user
from tests.platform.problems import assert_problem


async def new_pool(
    client: httpx.AsyncClient, tenant: Tenant, name: str = "Silver medallists"
) -> dict[str, Any]:
    response = await client.post(
        "/v1/talent-pools", headers=tenant.headers, json={"name": name, "description": "Close calls"}
    )
    assert response.status_code == 201, response.text
    assert response.headers["location"] == f"/v1/talent-pools/{response.json()['id']}"
    assert response.headers["etag"]
    body: dict[str, Any] = response.json()
    return body


async def test_pools_are_created_read_renamed_listed_and_deleted(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    pool = await new_pool(client, tenant)
    assert (pool["name"], pool["description"], pool["version"]) == ("Silver medallists", "Close calls", 1)
    url = f"/v1/talent-pools/{pool['id']}"
    read = await client.get(url, headers=tenant.headers)
    assert read.json() == pool

    assert_problem(await client.patch(url, headers=tenant.headers, json={"name": "x"}), 428)
    stale = await client.patch(url, headers={**tenant.headers, "If-Match": '"stale"'}, json={"name": "x"})
    assert_problem(stale, 412)
    renamed = await client.patch(
        url,
        headers={**tenant.headers, "If-Match": read.headers["etag"]},
        json={"name": "Backend bench", "description": None},
    )
    assert renamed.status_code == 200, renamed.text
    assert (renamed.json()["name"], renamed.json()["description"], renamed.json()["version"]) == (
        "Backend bench",
        None,
        2,
    )
    assert renamed.headers["etag"] != read.headers["etag"]
    null_name = await client.patch(url, headers={**tenant.headers, "If-Match": "*"}, json={"name": None})
    assert_problem(null_name, 422)

    second = await new_pool(client, tenant, "Designers")
    listing = await client.get("/v1/talent-pools", headers=tenant.headers, params={"limit": 1})
    assert [p["id"] for p in listing.json()["items"]] == [pool["id"]]
    rest = await client.get(
        "/v1/talent-pools", headers=tenant.headers, params={"cursor": listing.json()["next_cursor"]}
    )
    assert [p["id"] for p in rest.json()["items"]] == [second["id"]]

    assert (await client.delete(url, headers=tenant.headers)).status_code == 204
    assert_problem(await client.get(url, headers=tenant.headers), 404)
    created = await events(sessionmaker, "talent_pool.created")
    assert [e.data for e in created] == [
        {"schema_version": 1, "pool_id": pool["id"]},
        {"schema_version": 1, "pool_id": second["id"]},
    ]
    (updated,) = await audit_entries(client, tenant, "talent_pool.updated")
    assert updated["details"] == {"changed_fields": ["description", "name"]}


async def test_a_pool_name_is_unique_per_organisation(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    first = await new_pool(client, tenant, "Bench")
    duplicate = await client.post("/v1/talent-pools", headers=tenant.headers, json={"name": " Bench "})
    assert_problem(duplicate, 409)
    await new_pool(client, other_tenant, "Bench")  # another organisation may use it
    other = await new_pool(client, tenant, "Other")
    rename = await client.patch(
        f"/v1/talent-pools/{other['id']}", headers={**tenant.headers, "If-Match": "*"}, json={"name": "Bench"}
    )
    assert_problem(rename, 409)
    keep = await client.patch(
        f"/v1/talent-pools/{first['id']}", headers={**tenant.headers, "If-Match": "*"}, json={"name": "Bench"}
    )
    assert keep.status_code == 200
    assert keep.json()["version"] == 1  # nothing changed


async def test_membership_is_idempotent_and_the_member_list_is_audited(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    pool = await new_pool(client, tenant)
    ada = await new_candidate(client, tenant)
    grace = await new_candidate(client, tenant, full_name="Grace Hopper", email="grace@example.com")
    members = f"/v1/talent-pools/{pool['id']}/candidates"
    for candidate in (ada, grace, ada):
        response = await client.put(f"{members}/{candidate['id']}", headers=tenant.headers)
        assert response.status_code == 204, response.text
    assert len(await events(sessionmaker, "talent_pool.candidate_added")) == 2

    page = await client.get(members, headers=tenant.headers, params={"limit": 1})
    assert page.status_code == 200, page.text
    assert page.headers["cache-control"] == "no-store"
    assert [(c["id"], c["full_name"]) for c in page.json()["items"]] == [(ada["id"], "Ada Lovelace")]
    rest = await client.get(members, headers=tenant.headers, params={"cursor": page.json()["next_cursor"]})
    assert [c["id"] for c in rest.json()["items"]] == [grace["id"]]
    assert rest.json()["next_cursor"] is None
    listed = await audit_entries(client, tenant, "candidate.listed")
    assert [entry["details"]["candidate_ids"] for entry in listed] == [[ada["id"]], [grace["id"]]]
    assert {entry["details"]["pool_id"] for entry in listed} == {pool["id"]}

    assert (await client.delete(f"{members}/{ada['id']}", headers=tenant.headers)).status_code == 204
    assert_problem(await client.delete(f"{members}/{ada['id']}", headers=tenant.headers), 404)
    remaining = await client.get(members, headers=tenant.headers)
    assert [c["id"] for c in remaining.json()["items"]] == [grace["id"]]


async def test_pools_and_candidates_of_other_organisations_are_not_found(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    mine = await new_pool(client, tenant)
    theirs = await new_pool(client, other_tenant)
    my_candidate = await new_candidate(client, tenant)
    their_candidate = await new_candidate(client, other_tenant)
    assert_problem(await client.get(f"/v1/talent-pools/{theirs['id']}", headers=tenant.headers), 404)
    cross = await client.put(
        f"/v1/talent-pools/{mine['id']}/candidates/{their_candidate['id']}", headers=tenant.headers
    )
    assert_problem(cross, 404)
    into_theirs = await client.put(
        f"/v1/talent-pools/{theirs['id']}/candidates/{my_candidate['id']}", headers=tenant.headers
    )
    assert_problem(into_theirs, 404)
    listing = await client.get("/v1/talent-pools", headers=tenant.headers)
    assert [p["id"] for p in listing.json()["items"]] == [mine["id"]]


async def test_pools_need_the_candidate_scopes(client: httpx.AsyncClient, tenant: Tenant) -> None:
    _, token = await create_user(client, tenant, "interviewer")
    headers = {"Authorization": f"Bearer {token}"}
    assert_problem(await client.get("/v1/talent-pools", headers=headers), 403)
    assert_problem(await client.post("/v1/talent-pools", headers=headers, json={"name": "x"}), 403)
