"""Notes about candidates: sealed at rest, newest first, audited reads, deletable by author or admin."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.candidates.models import CandidateNote
from rolecall.platform.db import transaction
from rolecall.platform.tenancy import all_tenants
from tests.candidates.support import CANARY, audit_entries, events, new_candidate
from tests.factories import Tenant, create_user
from tests.platform.problems import assert_problem


def notes_url(candidate: dict[str, object]) -> str:
    return f"/v1/candidates/{candidate['id']}/notes"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_notes_are_sealed_listed_newest_first_and_audited(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    candidate = await new_candidate(client, tenant)
    created = []
    for i in range(3):
        response = await client.post(
            notes_url(candidate), headers=tenant.headers, json={"body": f"  {CANARY} note {i}  "}
        )
        assert response.status_code == 201, response.text
        assert response.headers["cache-control"] == "no-store"
        created.append(response.json())
    assert created[0]["body"] == f"{CANARY} note 0"
    assert created[0]["author"] == f"user:{tenant.admin_id}"
    assert created[0]["candidate_id"] == candidate["id"]

    first = await client.get(notes_url(candidate), headers=tenant.headers, params={"limit": 2})
    assert first.status_code == 200, first.text
    assert first.headers["cache-control"] == "no-store"
    assert [n["body"] for n in first.json()["items"]] == [f"{CANARY} note 2", f"{CANARY} note 1"]
    cursor = first.json()["next_cursor"]
    assert cursor
    second = await client.get(
        notes_url(candidate), headers=tenant.headers, params={"limit": 2, "cursor": cursor}
    )
    assert [n["id"] for n in second.json()["items"]] == [created[0]["id"]]
    assert second.json()["next_cursor"] is None

    async with transaction(sessionmaker) as session:
        rows = (await session.scalars(select(CandidateNote).execution_options(**all_tenants()))).all()
    assert len(rows) == 3
    assert all(CANARY not in row.body for row in rows)

    listed = await audit_entries(client, tenant, "candidate.notes_listed")
    assert [entry["details"]["note_ids"] for entry in listed] == [
        [created[2]["id"], created[1]["id"]],
        [created[0]["id"]],
    ]
    added = await events(sessionmaker, "candidate.note_added")
    assert [event.data for event in added] == [
        {"schema_version": 1, "candidate_id": candidate["id"], "note_id": note["id"]} for note in created
    ]


async def test_a_note_must_have_a_body_of_at_most_ten_thousand_characters(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    candidate = await new_candidate(client, tenant)
    for body in ({"body": "   "}, {"body": "x" * 10_001}, {}, {"body": "ok", "author": "someone"}):
        assert_problem(await client.post(notes_url(candidate), headers=tenant.headers, json=body), 422)
    longest = await client.post(notes_url(candidate), headers=tenant.headers, json={"body": "x" * 10_000})
    assert longest.status_code == 201, longest.text


async def test_only_the_author_or_an_admin_may_delete_a_note(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    candidate = await new_candidate(client, tenant)
    _, author = await create_user(client, tenant, "recruiter")
    _, colleague = await create_user(client, tenant, "recruiter")
    notes = []
    for _ in range(2):
        response = await client.post(notes_url(candidate), headers=bearer(author), json={"body": "Strong"})
        assert response.status_code == 201, response.text
        notes.append(f"{notes_url(candidate)}/{response.json()['id']}")

    assert_problem(await client.delete(notes[0], headers=bearer(colleague)), 403)
    assert (await client.delete(notes[0], headers=bearer(author))).status_code == 204
    assert (await client.delete(notes[1], headers=tenant.headers)).status_code == 204  # an admin
    assert_problem(await client.delete(notes[0], headers=bearer(author)), 404)
    listing = await client.get(notes_url(candidate), headers=tenant.headers)
    assert listing.json()["items"] == []
    removed = await audit_entries(client, tenant, "candidate.note_removed")
    assert len(removed) == 2
    assert len(await events(sessionmaker, "candidate.note_removed")) == 2


async def test_notes_are_invisible_to_other_organisations(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    candidate = await new_candidate(client, tenant)
    note = (await client.post(notes_url(candidate), headers=tenant.headers, json={"body": "Hi"})).json()
    assert_problem(await client.get(notes_url(candidate), headers=other_tenant.headers), 404)
    assert_problem(
        await client.post(notes_url(candidate), headers=other_tenant.headers, json={"body": "x"}), 404
    )
    gone = await client.delete(f"{notes_url(candidate)}/{note['id']}", headers=other_tenant.headers)
    assert_problem(gone, 404)
    other = await new_candidate(client, tenant, email="grace@example.com")
    wrong_candidate = await client.delete(f"{notes_url(other)}/{note['id']}", headers=tenant.headers)
    assert_problem(wrong_candidate, 404)
