"""Candidates as people: encrypted personal data, dedup by blind index, audited reads."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.app import create_app
from rolecall.candidates.models import Candidate
from rolecall.config import Settings
from rolecall.platform.db import transaction
from rolecall.platform.pii import KeyRing
from rolecall.platform.tenancy import all_tenants
from tests.factories import Tenant, create_user
from tests.platform.problems import assert_problem

CANARY_NAME = "Zyxwv Canary"
CANARY_EMAIL = "Zyxwv.Canary@Example.com"
CANARY_PHONE = "+4915112345678"


async def create(client: httpx.AsyncClient, tenant: Tenant, **fields: Any) -> httpx.Response:
    body = {"full_name": "Ada Lovelace", "email": "ada@example.com", **fields}
    return await client.post("/v1/candidates", headers=tenant.headers, json=body)


async def count_rows(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    async with transaction(sessionmaker) as session:
        stmt = select(func.count(Candidate.id)).execution_options(**all_tenants())
        return int((await session.execute(stmt)).scalar_one())


async def audit_actions(client: httpx.AsyncClient, tenant: Tenant) -> list[dict[str, Any]]:
    response = await client.get("/v1/audit-events", headers=tenant.headers, params={"limit": 200})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_create_returns_the_candidate_decrypted_with_location_and_etag(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    response = await create(
        client,
        tenant,
        phone="+49 30 1234567",
        links=["https://github.com/ada"],
        location="London",
        source="referral",
        source_details={"utm_source": "newsletter"},
        tags=["backend", "backend", "python"],
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["location"] == f"/v1/candidates/{body['id']}"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["etag"]
    assert body["full_name"] == "Ada Lovelace"
    assert body["email"] == "ada@example.com"
    assert body["phone"] == "+49301234567"  # stored in E.164
    assert body["links"] == ["https://github.com/ada"]
    assert body["location"] == "London"
    assert body["source"] == "referral"
    assert body["source_details"] == {"utm_source": "newsletter"}
    assert body["tags"] == ["backend", "python"]
    assert body["version"] == 1

    read = await client.get(response.headers["location"], headers=tenant.headers)
    assert read.status_code == 200
    assert read.json() == body
    assert read.headers["etag"] == response.headers["etag"]
    assert read.headers["cache-control"] == "no-store"


async def test_same_email_written_differently_finds_the_existing_candidate(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    first = await create(client, tenant, email="ada@example.com")
    assert first.status_code == 201
    again = await create(
        client, tenant, email="  ADA@Example.COM ", full_name="A. Lovelace", location="Paris"
    )
    assert again.status_code == 200, again.text
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["location"] == f"/v1/candidates/{first.json()['id']}"
    # The name on file stays; the missing location is merged in.
    assert again.json()["full_name"] == "Ada Lovelace"
    assert again.json()["location"] == "Paris"
    assert again.json()["version"] == 2
    assert await count_rows(sessionmaker) == 1


async def test_same_phone_written_differently_finds_the_existing_candidate(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    first = await client.post(
        "/v1/candidates", headers=tenant.headers, json={"full_name": "Grace", "phone": "+49 30 1234567"}
    )
    assert first.status_code == 201, first.text
    again = await client.post(
        "/v1/candidates",
        headers=tenant.headers,
        json={"full_name": "Grace Hopper", "phone": "0049-30-1234567", "email": "grace@example.com"},
    )
    assert again.status_code == 200, again.text
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["email"] == "grace@example.com"  # merged in
    assert await count_rows(sessionmaker) == 1
    # The merged email now finds the same person too.
    third = await create(client, tenant, email="GRACE@example.com")
    assert third.status_code == 200
    assert third.json()["id"] == first.json()["id"]


async def test_the_same_person_in_two_organisations_is_two_candidates(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    mine = await create(client, tenant)
    theirs = await create(client, other_tenant)
    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["id"] != theirs.json()["id"]


async def test_list_is_paginated_decrypted_and_audited_without_personal_data(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    ids = [
        (await create(client, tenant, email=f"p{i}@example.com", full_name=f"P {i}")).json()["id"]
        for i in range(3)
    ]
    page = await client.get("/v1/candidates", headers=tenant.headers, params={"limit": 2})
    assert page.status_code == 200, page.text
    assert page.headers["cache-control"] == "no-store"
    first = page.json()
    assert [c["id"] for c in first["items"]] == ids[:2]
    assert first["items"][0]["full_name"] == "P 0"
    assert first["items"][0]["email"] == "p0@example.com"
    rest = await client.get(
        "/v1/candidates", headers=tenant.headers, params={"limit": 2, "cursor": first["next_cursor"]}
    )
    assert [c["id"] for c in rest.json()["items"]] == ids[2:]
    assert rest.json()["next_cursor"] is None

    listed = [e for e in await audit_actions(client, tenant) if e["action"] == "candidate.listed"]
    assert [e["details"]["count"] for e in listed] == [2, 1]
    assert listed[0]["details"]["candidate_ids"] == ids[:2]
    assert listed[0]["actor"] == f"user:{tenant.admin_id}"
    assert "p0@example.com" not in str(listed)
    assert "P 0" not in str(listed)


async def test_reading_a_candidate_is_audited(client: httpx.AsyncClient, tenant: Tenant) -> None:
    candidate = (await create(client, tenant)).json()
    _, token = await create_user(client, tenant, "hiring_manager")
    read = await client.get(f"/v1/candidates/{candidate['id']}", headers={"Authorization": f"Bearer {token}"})
    assert read.status_code == 200, read.text
    viewed = [e for e in await audit_actions(client, tenant) if e["action"] == "candidate.viewed"]
    assert len(viewed) == 1
    assert viewed[0]["target_id"] == candidate["id"]
    assert viewed[0]["target_type"] == "candidate"
    assert viewed[0]["actor"].startswith("user:")
    assert viewed[0]["actor"] != f"user:{tenant.admin_id}"
    assert viewed[0]["details"] == {}


async def test_patch_needs_if_match_and_re_encrypts_changed_fields(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    created = await create(client, tenant)
    url = f"/v1/candidates/{created.json()['id']}"
    missing = await client.patch(url, headers=tenant.headers, json={"location": "Berlin"})
    assert_problem(missing, 428, "precondition-required")
    stale = await client.patch(
        url, headers={**tenant.headers, "If-Match": '"stale"'}, json={"location": "Berlin"}
    )
    assert_problem(stale, 412, "precondition-failed")

    async with transaction(sessionmaker) as session:
        before = (await session.scalars(select(Candidate).execution_options(**all_tenants()))).one()
    etag = created.headers["etag"]
    changed = await client.patch(
        url,
        headers={**tenant.headers, "If-Match": etag},
        json={"email": "ada.l@example.com", "phone": "+44 20 7946 0958", "tags": ["x"]},
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["email"] == "ada.l@example.com"
    assert body["phone"] == "+442079460958"  # stored in E.164
    assert body["tags"] == ["x"]
    assert body["version"] == 2
    assert changed.headers["etag"] != etag
    assert changed.headers["cache-control"] == "no-store"
    async with transaction(sessionmaker) as session:
        after = (await session.scalars(select(Candidate).execution_options(**all_tenants()))).one()
    assert after.email != before.email
    assert after.email_index != before.email_index
    assert after.full_name == before.full_name  # unchanged fields keep their token
    # The new email finds the candidate; the old one no longer does.
    assert (await create(client, tenant, email="ADA.L@example.com")).json()["id"] == body["id"]
    assert (await create(client, tenant, email="ada@example.com")).status_code == 201

    clear_both = await client.patch(
        url,
        headers={**tenant.headers, "If-Match": changed.headers["etag"]},
        json={"email": None, "phone": None},
    )
    assert_problem(clear_both, 422, "unprocessable")


async def test_patch_to_another_candidates_email_or_phone_is_a_conflict(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    await create(client, tenant, email="taken@example.com", phone="+49 30 999999")
    mine = await create(client, tenant, email="mine@example.com")
    url, etag = f"/v1/candidates/{mine.json()['id']}", mine.headers["etag"]
    for change in ({"email": "Taken@Example.com"}, {"phone": "0049 30 999999"}):
        response = await client.patch(url, headers={**tenant.headers, "If-Match": etag}, json=change)
        assert_problem(response, 409, "conflict")
    unchanged = await client.get(url, headers=tenant.headers)
    assert unchanged.json()["email"] == "mine@example.com"
    assert unchanged.json()["phone"] is None
    assert unchanged.json()["version"] == 1


async def test_invalid_input_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    for body, field_hint in (
        ({"full_name": "No Contact"}, "at least one of email and phone"),
        ({"full_name": "Bad Phone", "phone": "call me maybe"}, "phone"),
        ({"full_name": "Short Phone", "phone": "+49 1"}, "phone"),
        ({"full_name": "Bad Email", "email": "not-an-email"}, "email"),
        ({"full_name": "", "email": "x@example.com"}, "full_name"),
        ({"full_name": "x" * 201, "email": "x@example.com"}, "full_name"),
        ({"full_name": "Bad Source", "email": "x@example.com", "source": "magic"}, "source"),
    ):
        response = await client.post("/v1/candidates", headers=tenant.headers, json=body)
        problem = assert_problem(response, 422)
        assert field_hint in response.text, (body, problem)
    assert await count_rows(sessionmaker) == 0
    bad_phone = await client.post(
        "/v1/candidates", headers=tenant.headers, json={"full_name": "P", "phone": "call me maybe"}
    )
    assert "phone number may hold only digits" in bad_phone.text


async def test_permissions(client: httpx.AsyncClient, tenant: Tenant) -> None:
    candidate = (await create(client, tenant)).json()
    _, interviewer = await create_user(client, tenant, "interviewer")
    _, manager = await create_user(client, tenant, "hiring_manager")
    _, recruiter = await create_user(client, tenant, "recruiter")
    as_interviewer = {"Authorization": f"Bearer {interviewer}"}
    for path in ("/v1/candidates", f"/v1/candidates/{candidate['id']}"):
        assert_problem(await client.get(path, headers=as_interviewer), 403, "forbidden")
    as_manager = {"Authorization": f"Bearer {manager}"}
    assert (await client.get("/v1/candidates", headers=as_manager)).status_code == 200
    denied = await client.post(
        "/v1/candidates", headers=as_manager, json={"full_name": "X", "email": "x@example.com"}
    )
    assert "candidates:write" in assert_problem(denied, 403, "forbidden")["detail"]
    created = await client.post(
        "/v1/candidates",
        headers={"Authorization": f"Bearer {recruiter}"},
        json={"full_name": "X", "email": "x@example.com"},
    )
    assert created.status_code == 201, created.text


async def test_events_and_audit_carry_ids_and_field_names_only(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    from rolecall.platform.events.models import OutboxEvent

    created = (await create(client, tenant, phone="+49 30 1234567")).json()
    async with transaction(sessionmaker) as session:
        stmt = select(OutboxEvent).where(OutboxEvent.subject == f"candidates/{created['id']}")
        events = list((await session.scalars(stmt.execution_options(**all_tenants()))).all())
    assert [e.type for e in events] == ["candidate.created"]
    assert events[0].data == {
        "schema_version": 1,
        "candidate_id": created["id"],
        "version": 1,
        "source": "other",
        "changed_fields": ["email", "full_name", "phone"],
    }


async def dump_database(app: FastAPI, backend: str) -> str:
    """Every row of every table as text, the way an attacker with a database dump would see it."""
    chunks: list[str] = []
    async with app.state.engine.connect() as connection:
        if backend == "sqlite":
            query = "SELECT name FROM sqlite_master WHERE type = 'table'"
        else:
            query = (
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
            )
        tables = [row[0] for row in (await connection.execute(text(query))).all()]
        assert {"candidates", "outbox", "audit_log"} <= set(tables)
        for table in tables:
            if backend == "sqlite":
                statement = text(f'SELECT * FROM "{table}"')  # noqa: S608 - names from the catalogue
                rows = (await connection.execute(statement)).all()
                chunks.extend(repr(tuple(row)) for row in rows)
            else:
                statement = text(f'SELECT t::text FROM "{table}" AS t')  # noqa: S608 - names from the catalogue
                rows = (await connection.execute(statement)).all()
                chunks.extend(row[0] for row in rows)
    return "\n".join(chunks)


async def test_a_database_dump_holds_no_plaintext_personal_data(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant, backend: str
) -> None:
    canary = {
        "full_name": CANARY_NAME,
        "email": CANARY_EMAIL,
        "phone": CANARY_PHONE,
        "links": ["https://zyxwv-canary.example.com/me"],
        "location": "Zyxwvtown",
    }
    # With an Idempotency-Key the response is kept for replays: sealed, since it is marked no-store.
    headers = {**tenant.headers, "Idempotency-Key": "canary-1"}
    created = await client.post("/v1/candidates", headers=headers, json=canary)
    replayed = await client.post("/v1/candidates", headers=headers, json=canary)
    assert replayed.headers["idempotent-replayed"] == "true"
    assert replayed.json() == created.json()
    assert created.status_code == 201, created.text
    url = f"/v1/candidates/{created.json()['id']}"
    patched = await client.patch(
        url, headers={**tenant.headers, "If-Match": created.headers["etag"]}, json={"location": "Zyxwvcity"}
    )
    assert patched.status_code == 200, patched.text
    assert (await client.get(url, headers=tenant.headers)).json()["full_name"] == CANARY_NAME
    assert (await client.get("/v1/candidates", headers=tenant.headers)).status_code == 200
    dedup = await create(client, tenant, full_name="Someone Else", email=CANARY_EMAIL.upper())
    assert dedup.status_code == 200

    dump = await dump_database(app, backend)
    assert created.json()["id"] in dump  # the dump does see the candidate's row
    for canary in (
        CANARY_NAME,
        "Zyxwv",
        "zyxwv",
        CANARY_EMAIL,
        CANARY_EMAIL.lower(),
        "zyxwv.canary@example.com",
        CANARY_PHONE,
        "4915112345678",
        "15112345678",
        "zyxwv-canary.example.com",
    ):
        assert canary not in dump, f"{canary!r} is in the database in clear"


async def test_rows_sealed_under_an_old_key_stay_readable_after_a_new_key_becomes_active(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant, settings: Settings
) -> None:
    old = await create(client, tenant, full_name="Old Key", email="old@example.com", phone="+49 30 7654321")
    assert old.status_code == 201
    old_ring: KeyRing = app.state.pii_keyring
    rotated = KeyRing.from_setting(f"k2:{KeyRing.generate_key()},{old_ring.to_setting()}")
    assert rotated.active_kid == "k2"
    new_settings = settings.model_copy(update={"pii_keys": SecretStr(rotated.to_setting())})
    new_app = create_app(new_settings)
    async with LifespanManager(new_app):
        transport = httpx.ASGITransport(app=new_app, client=("203.0.113.7", 51000))
        async with httpx.AsyncClient(transport=transport, base_url="http://rolecall.test") as new_client:
            read = await new_client.get(f"/v1/candidates/{old.json()['id']}", headers=tenant.headers)
            assert read.status_code == 200, read.text
            assert read.json()["full_name"] == "Old Key"
            assert read.json()["email"] == "old@example.com"
            # Dedup still finds the person: blind indexes do not depend on the data keys.
            again = await new_client.post(
                "/v1/candidates", headers=tenant.headers, json={"full_name": "X", "phone": "0049 30 7654321"}
            )
            assert again.status_code == 200
            assert again.json()["id"] == old.json()["id"]
            fresh = await new_client.post(
                "/v1/candidates",
                headers=tenant.headers,
                json={"full_name": "New Key", "email": "new@example.com"},
            )
            assert fresh.status_code == 201
        async with transaction(new_app.state.sessionmaker) as session:
            stmt = select(Candidate).where(Candidate.id == uuid.UUID(fresh.json()["id"]))
            row = (await session.scalars(stmt.execution_options(**all_tenants()))).one()
            old_row = await session.get(
                Candidate, uuid.UUID(old.json()["id"]), execution_options=all_tenants()
            )
    assert KeyRing.key_id(row.full_name) == "k2"
    assert old_row is not None
    assert KeyRing.key_id(old_row.full_name) == old_ring.active_kid
