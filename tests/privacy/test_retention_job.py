"""The retention job on a frozen clock: erase exactly when a rule's months have passed, and no one else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.audit.models import AuditEntry
from rolecall.platform.db import transaction
from rolecall.platform.tenancy import all_tenants
from rolecall.privacy.models import RetentionRule
from rolecall.privacy.retention import apply_retention
from tests.conftest import FrozenClock
from tests.factories import Tenant, login, open_job
from tests.privacy.support import apply, candidate_row, new_candidate, reject, withdraw

START = datetime(2026, 1, 15, 10, 0, tzinfo=UTC)
SIX_MONTHS_LATER = datetime(2026, 7, 15, 10, 0, tzinfo=UTC)


@pytest.fixture
def frozen(clock: FrozenClock) -> FrozenClock:
    """The clock at START before anything else (tokens included) is made."""
    clock.now = START
    return clock


async def _person(
    client: httpx.AsyncClient, tenant: Tenant, name: str, *jobs: dict[str, Any]
) -> tuple[str, list[str]]:
    candidate = await new_candidate(client, tenant, full_name=name, email=f"{name.lower()}@example.com")
    applications = [(await apply(client, tenant, candidate["id"], job["id"]))["id"] for job in jobs]
    return candidate["id"], applications


async def _at(client: httpx.AsyncClient, frozen: FrozenClock, moment: datetime, tenant: Tenant) -> None:
    """Move the clock, and sign the admin in again: access tokens live minutes, not days."""
    frozen.now = moment
    tenant.token = (await login(client, tenant.admin_email))["access_token"]


async def _erased(sessionmaker: async_sessionmaker[AsyncSession], *candidate_ids: str) -> list[bool]:
    return [(await candidate_row(sessionmaker, cid))["erased_at"] is not None for cid in candidate_ids]


async def test_rules_erase_at_exactly_their_age_and_spare_everyone_else(
    frozen: FrozenClock,
    client: httpx.AsyncClient,
    app: FastAPI,
    tenant: Tenant,
    other_tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    job = await open_job(client, app, tenant)
    second_job = await open_job(client, app, tenant, job["role_profile_id"])
    their_job = await open_job(client, app, other_tenant)

    old, [old_app] = await _person(client, tenant, "Old", job)
    await reject(client, tenant, old_app)
    active, [lost, _live] = await _person(client, tenant, "Active", job, second_job)
    await reject(client, tenant, lost)
    left, [left_app] = await _person(client, tenant, "Left", job)
    await withdraw(client, tenant, left_app)
    noted, [noted_app] = await _person(client, tenant, "Noted", job)
    await reject(client, tenant, noted_app)
    theirs, [their_app] = await _person(client, other_tenant, "Theirs", their_job)
    await reject(client, other_tenant, their_app)
    for headers, outcome, months in [
        (tenant.headers, "rejected", 6),
        (tenant.headers, "withdrawn", 3),
        (other_tenant.headers, "rejected", 12),
    ]:
        response = await client.put(
            f"/v1/retention-rules/{outcome}", headers=headers, json={"months": months}
        )
        assert response.status_code == 201, response.text

    await _at(client, frozen, START + timedelta(days=1), tenant)
    recent, [recent_app] = await _person(client, tenant, "Recent", job)
    await reject(client, tenant, recent_app)
    await _at(client, frozen, START + timedelta(days=40), tenant)
    note = await client.post(
        f"/v1/candidates/{noted}/notes", headers=tenant.headers, json={"body": "Call back"}
    )
    assert note.status_code == 201, note.text

    keyring, store = app.state.pii_keyring, app.state.file_store
    everyone = (old, active, left, noted, recent, theirs)

    # One second short of six months: only the withdrawn candidate (three months) is due.
    frozen.now = SIX_MONTHS_LATER - timedelta(seconds=1)
    counts = await apply_retention(sessionmaker, keyring=keyring, store=store)
    assert counts == {
        "organisations": 2,
        "organisations_failed": 0,
        "candidates_erased": 1,
        "candidates_failed": 0,
    }
    assert await _erased(sessionmaker, *everyone) == [False, False, True, False, False, False]

    # Exactly six months after the rejection: the old candidate goes; the others stay.
    frozen.now = SIX_MONTHS_LATER
    counts = await apply_retention(sessionmaker, keyring=keyring, store=store)
    assert counts["candidates_erased"] == 1
    assert await _erased(sessionmaker, *everyone) == [True, False, True, False, False, False]

    # Running again erases nobody new; a day later the candidate rejected a day later goes too.
    assert (await apply_retention(sessionmaker, keyring=keyring, store=store))["candidates_erased"] == 0
    counts = await apply_retention(
        sessionmaker, keyring=keyring, store=store, now=SIX_MONTHS_LATER + timedelta(days=1)
    )
    assert counts["candidates_erased"] == 1
    assert await _erased(sessionmaker, *everyone) == [True, False, True, False, True, False]

    async with transaction(sessionmaker) as session:
        stmt = (
            select(AuditEntry).where(AuditEntry.target_type == "candidate").execution_options(**all_tenants())
        )
        entries = [e for e in (await session.scalars(stmt)).all() if e.action.startswith("candidate.eras")]
        rules = (await session.scalars(select(RetentionRule).execution_options(**all_tenants()))).all()
    system = f"system:{'0' * 8}-{'0' * 4}-{'0' * 4}-{'0' * 4}-{'0' * 12}"
    assert {(str(e.target_id), e.action, e.actor) for e in entries} == {
        (cid, action, system)
        for cid in (old, left, recent)
        for action in ("candidate.erased", "candidate.erasure_requested")
    }
    assert {e.details["reason"] for e in entries if e.action == "candidate.erasure_requested"} == {
        "retention"
    }
    assert {rule.last_run_at for rule in rules} == {SIX_MONTHS_LATER + timedelta(days=1)}


async def test_erased_candidates_are_not_visited_again(
    frozen: FrozenClock,
    client: httpx.AsyncClient,
    app: FastAPI,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    """Every run would otherwise read each erased tombstone again, and audit that read, forever."""
    job = await open_job(client, app, tenant)
    old, [old_app] = await _person(client, tenant, "Old", job)
    await reject(client, tenant, old_app)
    await client.put("/v1/retention-rules/rejected", headers=tenant.headers, json={"months": 1})
    keyring, store = app.state.pii_keyring, app.state.file_store

    async def entries() -> int:
        async with transaction(sessionmaker) as session:
            stmt = (
                select(AuditEntry)
                .where(AuditEntry.target_type == "candidate")
                .execution_options(**all_tenants())
            )
            return len((await session.scalars(stmt)).all())

    first = await apply_retention(sessionmaker, keyring=keyring, store=store, now=START + timedelta(days=40))
    assert first["candidates_erased"] == 1
    assert await _erased(sessionmaker, old) == [True]
    before = await entries()
    for days in (80, 400):
        counts = await apply_retention(
            sessionmaker, keyring=keyring, store=store, now=START + timedelta(days=days)
        )
        assert counts["candidates_erased"] == 0
    assert await entries() == before
