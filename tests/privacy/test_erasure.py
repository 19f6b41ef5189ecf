"""Erasure over HTTP: idempotent, optionally conditional, audited with a reason code, tenant-bound."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.platform.db import transaction
from rolecall.platform.events.models import OutboxEvent
from rolecall.platform.tenancy import all_tenants
from tests.factories import Tenant
from tests.platform.problems import assert_problem
from tests.privacy.support import erase, new_candidate, person_everywhere


async def _audit(client: httpx.AsyncClient, tenant: Tenant, target: str) -> list[dict[str, Any]]:
    response = await client.get("/v1/audit-events", headers=tenant.headers, params={"limit": 200})
    return [entry for entry in response.json()["items"] if entry["target_id"] == target]


async def _erased_events(
    sessionmaker: async_sessionmaker[AsyncSession], candidate_id: str
) -> list[dict[str, Any]]:
    async with transaction(sessionmaker) as session:
        stmt = (
            select(OutboxEvent.data)
            .where(
                OutboxEvent.type == "candidate.erased", OutboxEvent.subject == f"candidates/{candidate_id}"
            )
            .execution_options(**all_tenants())
        )
        return list((await session.scalars(stmt)).all())


async def test_erasing_twice_changes_nothing_the_second_time(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    person = await person_everywhere(client, app, tenant, "twice")
    first = await erase(client, tenant, person.candidate_id)
    assert first.status_code == 200, first.text
    assert first.json()["already_erased"] is False
    second = await erase(client, tenant, person.candidate_id)
    assert second.status_code == 200, second.text
    assert second.json() == {"candidate_id": person.candidate_id, "already_erased": True, "files_deleted": 0}

    entries = await _audit(client, tenant, person.candidate_id)
    assert [e["action"] for e in entries].count("candidate.erased") == 1
    [requested] = [e for e in entries if e["action"] == "candidate.erasure_requested"]
    assert requested["details"] == {"reason": "data_subject_request"}
    assert requested["actor"] == f"user:{tenant.admin_id}"
    [event] = await _erased_events(sessionmaker, person.candidate_id)
    assert event["candidate_id"] == person.candidate_id
    assert "twice" not in str(event).lower()

    # What is left is still exportable: the tombstone and the non-identifying pipeline facts.
    exported = (
        await client.get(f"/v1/candidates/{person.candidate_id}/export", headers=tenant.headers)
    ).json()
    assert exported["candidate"]["erased_at"] is not None
    assert exported["candidate"]["email"] is None
    assert exported["files"] == []
    assert exported["notes"] == []
    [application] = exported["applications"]
    assert application["answers"] == {}
    assert application["stage"]
    assert application["transitions"]
    assert exported["interviews"][0]["scorecards"][0]["notes"] is None


async def test_if_match_is_optional_but_checked_when_sent(client: httpx.AsyncClient, tenant: Tenant) -> None:
    candidate = await new_candidate(client, tenant, email="conditional@example.com")
    read = await client.get(f"/v1/candidates/{candidate['id']}", headers=tenant.headers)
    stale = read.headers["etag"]
    changed = await client.patch(
        f"/v1/candidates/{candidate['id']}",
        headers={**tenant.headers, "If-Match": stale},
        json={"location": "Leeds"},
    )
    assert changed.status_code == 200, changed.text
    assert_problem(await erase(client, tenant, candidate["id"], **{"If-Match": stale}), 412)
    assert (await client.get(f"/v1/candidates/{candidate['id']}", headers=tenant.headers)).json()[
        "location"
    ] == "Leeds"
    done = await erase(client, tenant, candidate["id"], **{"If-Match": changed.headers["etag"]})
    assert done.status_code == 200, done.text
    assert done.json()["already_erased"] is False


async def test_the_reason_is_a_code_not_free_text(client: httpx.AsyncClient, tenant: Tenant) -> None:
    candidate = await new_candidate(client, tenant, email="reason@example.com")
    path = f"/v1/candidates/{candidate['id']}/erase"
    for body in ({"reason": "Ada asked us on the phone"}, {}, {"reason": "other", "note": "x"}):
        assert_problem(await client.post(path, headers=tenant.headers, json=body), 422, "validation-error")
    read = await client.get(f"/v1/candidates/{candidate['id']}", headers=tenant.headers)
    assert read.json()["email"] == "reason@example.com"


async def test_another_organisations_candidate_cannot_be_erased(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    theirs = await new_candidate(client, other_tenant, email="theirs@example.com")
    assert_problem(await erase(client, tenant, theirs["id"]), 404, "not-found")
    read = await client.get(f"/v1/candidates/{theirs['id']}", headers=other_tenant.headers)
    assert read.json()["email"] == "theirs@example.com"
    assert read.json()["erased_at"] is None
