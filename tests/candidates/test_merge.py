"""Explicit merge of two candidates: the target keeps its values and gains what it lacks."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.platform.db import transaction
from rolecall.platform.events.models import OutboxEvent
from rolecall.platform.tenancy import all_tenants
from tests.factories import Tenant
from tests.platform.problems import assert_problem


async def create(client: httpx.AsyncClient, tenant: Tenant, **fields: Any) -> httpx.Response:
    response = await client.post("/v1/candidates", headers=tenant.headers, json=fields)
    assert response.status_code == 201, response.text
    return response


async def merge(
    client: httpx.AsyncClient, tenant: Tenant, target: str, duplicate: str, etag: str = "*"
) -> httpx.Response:
    return await client.post(
        f"/v1/candidates/{target}/merge",
        headers={**tenant.headers, "If-Match": etag},
        json={"duplicate_id": duplicate},
    )


async def test_merge_fills_gaps_unions_lists_and_deletes_the_duplicate(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    target = await create(
        client,
        tenant,
        full_name="Ada Lovelace",
        email="ada@example.com",
        links=["https://a.example"],
        tags=["backend"],
        source_details={"utm_source": "board"},
    )
    duplicate = await create(
        client,
        tenant,
        full_name="A. Lovelace",
        email="ada.l@example.com",
        phone="+49 30 1234567",
        location="London",
        links=["https://b.example", "https://a.example"],
        tags=["python", "backend"],
        source_details={"utm_source": "newsletter", "utm_medium": "email"},
    )
    target_id, duplicate_id = target.json()["id"], duplicate.json()["id"]

    response = await merge(client, tenant, target_id, duplicate_id, target.headers["etag"])
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["etag"] != target.headers["etag"]
    body = response.json()
    assert body["full_name"] == "Ada Lovelace"
    assert body["email"] == "ada@example.com"
    assert body["phone"] == "+49301234567"  # stored in E.164
    assert body["location"] == "London"
    assert body["links"] == ["https://a.example", "https://b.example"]
    assert body["tags"] == ["backend", "python"]
    assert body["source_details"] == {"utm_source": "board", "utm_medium": "email"}
    assert body["version"] == 2

    gone = await client.get(f"/v1/candidates/{duplicate_id}", headers=tenant.headers)
    assert_problem(gone, 404, "not-found")
    # The phone's blind index moved to the target: applying with it finds the merged candidate.
    again = await client.post(
        "/v1/candidates", headers=tenant.headers, json={"full_name": "X", "phone": "+49 30 1234567"}
    )
    assert again.status_code == 200, again.text
    assert again.json()["id"] == target_id
    # The duplicate's email is dropped with it, so it is free again.
    fresh = await client.post(
        "/v1/candidates", headers=tenant.headers, json={"full_name": "Y", "email": "ada.l@example.com"}
    )
    assert fresh.status_code == 201, fresh.text

    async with transaction(sessionmaker) as session:
        stmt = select(OutboxEvent).where(OutboxEvent.type == "candidate.merged")
        events = list((await session.scalars(stmt.execution_options(**all_tenants()))).all())
    assert [e.data for e in events] == [
        {"schema_version": 1, "candidate_id": target_id, "merged_id": duplicate_id}
    ]
    audit = await client.get("/v1/audit-events", headers=tenant.headers, params={"limit": 200})
    merged = [e for e in audit.json()["items"] if e["action"] == "candidate.merged"]
    assert len(merged) == 1
    assert merged[0]["target_id"] == target_id
    assert "Lovelace" not in audit.text
    assert "1234567" not in audit.text


async def test_merge_takes_the_duplicates_email_when_the_target_has_none(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    target = (await create(client, tenant, full_name="T", phone="+49 30 7654321")).json()
    duplicate = (await create(client, tenant, full_name="D", email="d@example.com")).json()
    response = await merge(client, tenant, target["id"], duplicate["id"])
    assert response.status_code == 200, response.text
    assert response.json()["email"] == "d@example.com"
    found = await client.post(
        "/v1/candidates", headers=tenant.headers, json={"full_name": "Z", "email": "d@example.com"}
    )
    assert found.status_code == 200
    assert found.json()["id"] == target["id"]


async def test_merge_refuses_self_unknown_foreign_and_stale(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    target = await create(client, tenant, full_name="T", email="t@example.com")
    target_id = target.json()["id"]
    foreign = (await create(client, other_tenant, full_name="F", email="f@example.com")).json()["id"]

    assert_problem(await merge(client, tenant, target_id, target_id), 422, "unprocessable")
    unknown = await merge(client, tenant, target_id, str(uuid.uuid4()))
    theirs = await merge(client, tenant, target_id, foreign)
    assert_problem(unknown, 404, "not-found")
    assert theirs.status_code == 404
    assert theirs.content == unknown.content
    still = await client.get(f"/v1/candidates/{foreign}", headers=other_tenant.headers)
    assert still.status_code == 200

    duplicate = (await create(client, tenant, full_name="D", email="d@example.com")).json()["id"]
    missing = await client.post(
        f"/v1/candidates/{target_id}/merge", headers=tenant.headers, json={"duplicate_id": duplicate}
    )
    assert_problem(missing, 428, "precondition-required")
    stale = await merge(client, tenant, target_id, duplicate, '"stale"')
    assert_problem(stale, 412, "precondition-failed")
    assert (await client.get(f"/v1/candidates/{duplicate}", headers=tenant.headers)).status_code == 200


async def test_merge_moves_files_notes_and_pool_memberships_to_the_target(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    from tests.candidates.support import RESUME_LINES, make_pdf, upload

    target = (await create(client, tenant, full_name="T", email="t@example.com")).json()
    duplicate = (await create(client, tenant, full_name="D", email="d@example.com")).json()
    resume = await upload(client, tenant, duplicate["id"], make_pdf([RESUME_LINES]))
    assert resume.status_code == 201, resume.text
    note = await client.post(
        f"/v1/candidates/{duplicate['id']}/notes", headers=tenant.headers, json={"body": "Call back in May"}
    )
    assert note.status_code == 201, note.text
    pools = []
    for name in ("Shared", "Duplicate only"):
        response = await client.post("/v1/talent-pools", headers=tenant.headers, json={"name": name})
        assert response.status_code == 201, response.text
        pools.append(response.json()["id"])
    memberships = [(pools[0], target), (pools[0], duplicate), (pools[1], duplicate)]
    for pool_id, candidate in memberships:
        put = await client.put(
            f"/v1/talent-pools/{pool_id}/candidates/{candidate['id']}", headers=tenant.headers
        )
        assert put.status_code == 204, put.text

    response = await merge(client, tenant, target["id"], duplicate["id"])
    assert response.status_code == 200, response.text

    files = await client.get(f"/v1/candidates/{target['id']}/files", headers=tenant.headers)
    assert [f["id"] for f in files.json()] == [resume.json()["id"]]
    detail = await client.get(
        f"/v1/candidates/{target['id']}/files/{resume.json()['id']}", headers=tenant.headers
    )
    assert "Skills: Python" in detail.json()["text"]  # still opens: sealed for the file, not the person
    notes = await client.get(f"/v1/candidates/{target['id']}/notes", headers=tenant.headers)
    assert [n["body"] for n in notes.json()["items"]] == ["Call back in May"]
    for pool_id in pools:
        members = await client.get(f"/v1/talent-pools/{pool_id}/candidates", headers=tenant.headers)
        assert [m["id"] for m in members.json()["items"]] == [target["id"]]
