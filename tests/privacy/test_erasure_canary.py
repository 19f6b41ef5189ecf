"""The erasure canary: after erasing a person, nothing anywhere still holds their data.

A person applies through the public form with a marker in every personal field, gets a note, an
interview and a scorecard; then they are erased. Every row of every table (outbox payloads, pending
and delivered, included) and every file of the store is searched for the marker in clear, and every
``v1.`` token found is tried against every context that could belong to one of the person's rows.
The same search run before the erasure must find them, so the test cannot pass by looking nowhere.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import JSON, String, Text, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.platform.db import Base, transaction
from rolecall.platform.events.models import OutboxEvent
from rolecall.platform.pii import BlindIndex, KeyRing
from rolecall.platform.tenancy import all_tenants
from tests.factories import Tenant, deliver, open_job
from tests.mail import send_mail, status_token
from tests.platform.problems import assert_problem
from tests.privacy.support import (
    QUESTION,
    canaries_in,
    candidate_row,
    dump_files,
    dump_tables,
    erase,
    new_candidate,
    opened,
    person_everywhere,
    public_apply,
    tokens_in,
)

MARKER = "qwzx"
PHONE_DIGITS = ("7946 0958", "79460958")
# What the candidates context seals into an erased row's NOT NULL fields: neutral, not personal.
ERASED_PLACEHOLDERS = {"Erased candidate", "[]"}


def _uuids(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set().union(*(_uuids(item) for item in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_uuids(item) for item in value)) if value else set()
    if isinstance(value, str):
        try:
            return {str(uuid.UUID(value))}
        except ValueError:
            return set()
    return set()


def _contexts(ids: set[str]) -> list[str]:
    """``<table or its singular>:<id>:<text column>`` for every id of the person's rows."""
    contexts = []
    for table in Base.metadata.sorted_tables:
        # JSON too: campaign details are one token held in a JSON column (ADR 0017).
        columns = [c.name for c in table.columns if isinstance(c.type, String | Text | JSON)]
        for prefix in {table.name, table.name.removesuffix("s")}:
            contexts += [f"{prefix}:{row_id}:{column}" for row_id in sorted(ids) for column in columns]
    return contexts


async def _outbox_states(sessionmaker: async_sessionmaker[AsyncSession]) -> set[bool]:
    async with transaction(sessionmaker) as session:
        stmt = select(OutboxEvent.dispatched_at).execution_options(**all_tenants())
        return {dispatched is not None for dispatched in (await session.scalars(stmt)).all()}


def _leaks(dump: dict[str, list[str]], canaries: list[str]) -> dict[str, list[str]]:
    needles = [MARKER, *PHONE_DIGITS, *canaries]
    return {table: found for table, rows in dump.items() if (found := canaries_in("\n".join(rows), needles))}


async def test_erasure_leaves_no_personal_data_behind(
    client: httpx.AsyncClient,
    app: FastAPI,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    keyring: KeyRing = app.state.pii_keyring
    index: BlindIndex = app.state.blind_index
    store_root = Path(app.state.file_store.root)
    person = await person_everywhere(client, app, tenant, MARKER)
    bystander = await new_candidate(
        client, tenant, full_name="Bystander Person", email="bystander@example.com"
    )
    await deliver(app)

    exported = await client.get(f"/v1/candidates/{person.candidate_id}/export", headers=tenant.headers)
    assert exported.status_code == 200, exported.text
    contexts = _contexts(_uuids(exported.json()) | {person.candidate_id})

    # Before: the detectors find the person (or this test would prove nothing).
    before = await dump_tables(sessionmaker)
    tokens = tokens_in("\n".join(row for rows in before.values() for row in rows))
    plaintexts = {plain for _, plain in opened(keyring, tokens, contexts)}
    for canary in person.canaries[:8] + person.canaries[9:]:  # the campaign (6) is sealed too
        assert any(canary in plain for plain in plaintexts), canary
    assert any(MARKER.encode() in data.lower() for data in dump_files(store_root).values())

    response = await erase(client, tenant, person.candidate_id)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    assert response.json() == {
        "candidate_id": person.candidate_id,
        "already_erased": False,
        "files_deleted": 1,
    }
    assert await _outbox_states(sessionmaker) == {True, False}  # delivered events and the new, pending ones

    for delivered in (False, True):
        if delivered:
            await deliver(app)
        after = await dump_tables(sessionmaker)
        assert _leaks(after, person.canaries) == {}
        tokens = tokens_in("\n".join(row for rows in after.values() for row in rows))
        still_open = opened(keyring, tokens, contexts)
        assert {plain for _, plain in still_open} <= ERASED_PLACEHOLDERS, still_open
        files = dump_files(store_root)
        assert [name for name, data in files.items() if MARKER.encode() in data.lower()] == []

    # What erasure keeps: the row as a tombstone with the keyed email hash, and other people.
    row = await candidate_row(sessionmaker, person.candidate_id)
    assert row["erased_at"] is not None
    assert row["email_index"] is None
    assert row["phone_index"] is None
    assert row["erased_email_index"] == index.email(person.email)
    kept = await client.get(f"/v1/candidates/{bystander['id']}", headers=tenant.headers)
    assert kept.status_code == 200
    assert kept.json()["full_name"] == "Bystander Person"

    # The same person applying again is recognised as someone erased before, and is a new candidate.
    again = await public_apply(
        client, person.job_id, {"full_name": "Returning Person", "email": person.email.upper()}
    )
    assert again.status_code == 202, again.text
    token = status_token(await send_mail(app), person.email.upper())
    again_id = (await client.get(f"/v1/application-status/{token}")).json()["application_id"]
    application = await client.get(f"/v1/applications/{again_id}", headers=tenant.headers)
    returning_id = application.json()["candidate_id"]
    assert returning_id != person.candidate_id
    returning = await client.get(f"/v1/candidates/{returning_id}", headers=tenant.headers)
    assert returning.json()["previously_erased"] is True


async def test_erasing_a_merged_person_reaches_what_the_duplicate_brought(
    client: httpx.AsyncClient,
    app: FastAPI,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    """Two records of one person, each with applications, interviews and notes, merged, then erased."""
    keyring: KeyRing = app.state.pii_keyring
    kept = await person_everywhere(client, app, tenant, "qwka")
    other_job = await open_job(
        client,
        app,
        tenant,
        (await client.get(f"/v1/jobs/{kept.job_id}", headers=tenant.headers)).json()["role_profile_id"],
        application_form=[QUESTION],
    )
    # The duplicate applied to the same job and to another one.
    same_job = await person_everywhere(
        client, app, tenant, "qwkb", job={"id": kept.job_id}, phone="+44 20 7946 0111"
    )
    duplicate = same_job.candidate_id
    elsewhere = await public_apply(
        client,
        other_job["id"],
        {
            "full_name": "qwkb Fullname",
            "email": same_job.email,
            "answers": {"motivation": "qwkb second answer"},
        },
    )
    assert elsewhere.status_code == 202, elsewhere.text
    etag = (await client.get(f"/v1/candidates/{kept.candidate_id}", headers=tenant.headers)).headers["etag"]
    merged = await client.post(
        f"/v1/candidates/{kept.candidate_id}/merge",
        headers={**tenant.headers, "If-Match": etag},
        json={"duplicate_id": duplicate},
    )
    assert merged.status_code == 200, merged.text
    # Until the merge has reached every context, part of the person is out of erasure's reach.
    early = await erase(client, tenant, kept.candidate_id)
    assert "still being applied" in assert_problem(early, 409)["detail"]
    assert early.headers["retry-after"] == "5"
    await deliver(app)  # applications, interviews and offers follow the merge

    exported = (await client.get(f"/v1/candidates/{kept.candidate_id}/export", headers=tenant.headers)).json()
    assert {a["id"] for a in exported["applications"]} >= {kept.application_id, same_job.application_id}
    assert len(exported["interviews"]) == 2
    contexts = _contexts(_uuids(exported) | {kept.candidate_id, duplicate})

    assert (await erase(client, tenant, kept.candidate_id)).status_code == 200
    await deliver(app)
    after = await dump_tables(sessionmaker)
    canaries = [*kept.canaries, *same_job.canaries, "qwkb second answer"]
    assert _leaks(after, canaries) == {}
    tokens = tokens_in("\n".join(row for rows in after.values() for row in rows))
    assert {plain for _, plain in opened(keyring, tokens, contexts)} <= ERASED_PLACEHOLDERS
