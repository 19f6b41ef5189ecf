"""The candidate side of export, erasure and retention, and what an erased candidate becomes."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.candidates import service
from rolecall.candidates.models import Candidate, CandidateFile, CandidateNote, TalentPoolMember
from rolecall.platform.auth import Principal
from rolecall.platform.db import transaction
from rolecall.platform.tenancy import all_tenants, bind_organisation
from tests.candidates.support import (
    CANARY,
    RESUME_LINES,
    audit_entries,
    events,
    make_pdf,
    new_candidate,
    stored_files,
    upload,
)
from tests.conftest import FrozenClock
from tests.factories import Tenant
from tests.platform.problems import assert_problem


def admin(tenant: Tenant) -> Principal:
    return Principal("user", tenant.admin_id, tenant.organisation_id, frozenset(), frozenset({"admin"}))


async def a_full_candidate(client: httpx.AsyncClient, tenant: Tenant, **fields: Any) -> dict[str, Any]:
    """A candidate with a phone, a resume, a note and a pool membership."""
    candidate = await new_candidate(
        client,
        tenant,
        full_name=CANARY,
        phone="+49 30 1234567",
        location="Berlin",
        tags=["backend"],
        **fields,
    )
    resume = await upload(client, tenant, candidate["id"], make_pdf([RESUME_LINES]))
    assert resume.status_code == 201, resume.text
    note = await client.post(
        f"/v1/candidates/{candidate['id']}/notes",
        headers=tenant.headers,
        json={"body": "Great systems sense"},
    )
    assert note.status_code == 201, note.text
    pool = await client.post("/v1/talent-pools", headers=tenant.headers, json={"name": "Silver medallists"})
    assert pool.status_code == 201, pool.text
    put = await client.put(
        f"/v1/talent-pools/{pool.json()['id']}/candidates/{candidate['id']}", headers=tenant.headers
    )
    assert put.status_code == 204, put.text
    return candidate | {"file": resume.json(), "note": note.json(), "pool": pool.json()}


async def erase(app: FastAPI, tenant: Tenant, candidate_id: str) -> list[str]:
    async with transaction(app.state.sessionmaker) as session:
        bind_organisation(session, tenant.organisation_id)
        return await service.erase_candidate(
            session,
            admin(tenant),
            uuid.UUID(candidate_id),
            keyring=app.state.pii_keyring,
            store=app.state.file_store,
        )


async def test_export_holds_everything_the_context_keeps(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    candidate = await a_full_candidate(client, tenant)
    async with transaction(app.state.sessionmaker) as session:
        bind_organisation(session, tenant.organisation_id)
        export = await service.export_candidate(
            session, admin(tenant), uuid.UUID(candidate["id"]), keyring=app.state.pii_keyring
        )
    assert export["id"] == candidate["id"]
    assert export["full_name"] == CANARY
    assert export["email"] == "ada@example.com"
    assert export["phone"] == "+49301234567"  # stored in E.164
    assert export["location"] == "Berlin"
    assert export["tags"] == ["backend"]
    assert export["source"] == "other"
    (file,) = export["files"]
    assert file["id"] == candidate["file"]["id"]
    assert CANARY in file["text"]
    assert file["skills"] == candidate["file"]["skills"]
    (note,) = export["notes"]
    assert (note["body"], note["author"]) == ("Great systems sense", f"user:{tenant.admin_id}")
    assert export["talent_pools"] == ["Silver medallists"]
    (entry,) = await audit_entries(client, tenant, "candidate.exported")
    assert entry["target_id"] == candidate["id"]
    assert entry["details"] == {}


async def test_erasure_drops_personal_data_files_notes_and_memberships_once(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    candidate = await a_full_candidate(client, tenant)
    (key,) = [path.name for path in stored_files(app)]

    assert await erase(app, tenant, candidate["id"]) == [key]
    assert stored_files(app) == []

    read = await client.get(f"/v1/candidates/{candidate['id']}", headers=tenant.headers)
    assert read.status_code == 200, read.text
    body = read.json()
    assert body["full_name"] == "Erased candidate"
    assert (body["email"], body["phone"], body["location"]) == (None, None, None)
    assert (body["links"], body["tags"], body["source_details"]) == ([], [], {})
    assert body["erased_at"] is not None
    assert body["version"] == candidate["version"] + 1

    async with transaction(sessionmaker) as session:
        row = (await session.scalars(select(Candidate).execution_options(**all_tenants()))).one()
        assert row.email_index is None
        assert row.phone_index is None
        assert row.erased_email_index is not None
        for model in (CandidateFile, CandidateNote, TalentPoolMember):
            assert (await session.scalars(select(model).execution_options(**all_tenants()))).all() == []
    (erased,) = await events(sessionmaker, "candidate.erased")
    assert erased.data == {
        "schema_version": 1,
        "candidate_id": candidate["id"],
        "version": body["version"],
        "file_keys": [key],
    }

    # Twice is a no-op: no new version, event or audit entry.
    assert await erase(app, tenant, candidate["id"]) == []
    again = await client.get(f"/v1/candidates/{candidate['id']}", headers=tenant.headers)
    assert again.json()["version"] == body["version"]
    assert len(await events(sessionmaker, "candidate.erased")) == 1
    assert len(await audit_entries(client, tenant, "candidate.erased")) == 1


async def test_an_erased_candidate_cannot_be_changed_or_added_to(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    candidate = await new_candidate(client, tenant)
    other = await new_candidate(client, tenant, email="grace@example.com")
    await erase(app, tenant, candidate["id"])
    base = f"/v1/candidates/{candidate['id']}"
    if_match = {**tenant.headers, "If-Match": "*"}
    assert_problem(await client.patch(base, headers=if_match, json={"location": "Paris"}), 409)
    assert_problem(await client.post(f"{base}/notes", headers=tenant.headers, json={"body": "x"}), 409)
    assert_problem(await upload(client, tenant, candidate["id"], make_pdf([RESUME_LINES])), 409)
    merge_in = await client.post(
        f"/v1/candidates/{other['id']}/merge", headers=if_match, json={"duplicate_id": candidate["id"]}
    )
    assert_problem(merge_in, 409)
    merge_into = await client.post(f"{base}/merge", headers=if_match, json={"duplicate_id": other["id"]})
    assert_problem(merge_into, 409)


async def test_someone_erased_who_applies_again_is_a_new_candidate_marked_as_returning(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, other_tenant: Tenant
) -> None:
    first = await new_candidate(client, tenant, email="ada@example.com")
    assert first["previously_erased"] is False
    await erase(app, tenant, first["id"])

    again = await client.post(
        "/v1/candidates", headers=tenant.headers, json={"full_name": "Ada", "email": " ADA@example.com"}
    )
    assert again.status_code == 201, again.text
    assert again.json()["id"] != first["id"]
    assert again.json()["previously_erased"] is True
    read = await client.get(f"/v1/candidates/{again.json()['id']}", headers=tenant.headers)
    assert read.json()["previously_erased"] is True
    # The erased row stays a tombstone, not linked to the new one.
    old = await client.get(f"/v1/candidates/{first['id']}", headers=tenant.headers)
    assert old.json()["email"] is None
    # Another organisation never learns about this organisation's erasures.
    elsewhere = await new_candidate(client, other_tenant, email="ada@example.com")
    assert elsewhere["previously_erased"] is False
    stranger = await new_candidate(client, tenant, email="grace@example.com")
    assert stranger["previously_erased"] is False


async def test_activity_is_the_latest_change_to_the_candidate_its_files_or_notes(
    client: httpx.AsyncClient,
    app: FastAPI,
    tenant: Tenant,
    other_tenant: Tenant,
    clock: FrozenClock,
) -> None:
    quiet = await new_candidate(client, tenant, email="quiet@example.com")
    started = clock.now
    noted = await new_candidate(client, tenant, email="noted@example.com")
    filed = await new_candidate(client, tenant, email="filed@example.com")
    clock.advance(minutes=3)
    note = await client.post(
        f"/v1/candidates/{noted['id']}/notes", headers=tenant.headers, json={"body": "x"}
    )
    assert note.status_code == 201
    clock.advance(minutes=2)
    assert (await upload(client, tenant, filed["id"], make_pdf([RESUME_LINES]))).status_code == 201
    theirs = await new_candidate(client, other_tenant)

    ids = [uuid.UUID(c["id"]) for c in (quiet, noted, filed, theirs)] + [uuid.uuid4()]
    async with transaction(app.state.sessionmaker) as session:
        bind_organisation(session, tenant.organisation_id)
        activity = await service.candidate_activity(session, ids)
        assert await service.candidate_activity(session, []) == {}
    assert activity == {
        ids[0]: started,
        ids[1]: started + timedelta(minutes=3),
        ids[2]: started + timedelta(minutes=5),
    }
