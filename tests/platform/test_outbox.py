"""The transactional outbox: events exist exactly when the change they describe was committed."""

from __future__ import annotations

import uuid
from datetime import datetime

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.identity import service as identity
from rolecall.identity.models import User
from rolecall.identity.schemas import UserCreate
from rolecall.platform.auth import Principal
from rolecall.platform.db import transaction
from rolecall.platform.events.envelope import CloudEvent
from rolecall.platform.events.models import OutboxEvent
from rolecall.platform.events.outbox import backlog, on_commit_wakeup, record_event, to_envelope
from rolecall.platform.events.registry import HandlerRegistry
from rolecall.platform.events.relay import InProcessRelay, OutboxDispatcher
from rolecall.platform.tenancy import all_tenants, bind_organisation
from tests.factories import PASSWORD, Tenant


class Boom(RuntimeError):
    pass


async def outbox_rows(sessionmaker: async_sessionmaker[AsyncSession]) -> list[OutboxEvent]:
    async with transaction(sessionmaker) as session:
        stmt = select(OutboxEvent).order_by(OutboxEvent.id).execution_options(**all_tenants())
        return list((await session.scalars(stmt)).all())


def admin_principal(tenant: Tenant) -> Principal:
    return Principal("user", tenant.admin_id, tenant.organisation_id, frozenset(), frozenset({"admin"}))


async def test_created_user_is_announced_with_a_cloudevents_envelope(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    canary_email = f"canary-{uuid.uuid4().hex[:8]}@example.com"
    response = await client.post(
        "/v1/users",
        headers=tenant.headers,
        json={
            "email": canary_email,
            "full_name": "Canary Person",
            "password": PASSWORD,
            "roles": ["recruiter"],
        },
    )
    assert response.status_code == 201, response.text
    user_id = response.json()["id"]

    rows = [r for r in await outbox_rows(sessionmaker) if r.subject == f"users/{user_id}"]
    assert len(rows) == 1
    row = rows[0]
    assert row.organisation_id == tenant.organisation_id
    assert row.dispatched_at is None
    assert row.attempts == 0

    envelope = to_envelope(row).model_dump(mode="json")
    assert envelope["specversion"] == "1.0"
    assert envelope["id"] == str(row.id)
    assert envelope["source"] == "/rolecall/identity"
    assert envelope["type"] == "user.created"
    assert envelope["subject"] == f"users/{user_id}"
    assert envelope["datacontenttype"] == "application/json"
    assert envelope["organisationid"] == str(tenant.organisation_id)
    assert envelope["data"]["user_id"] == user_id
    assert envelope["data"]["roles"] == ["recruiter"]
    # RFC 3339 with an explicit offset, as CloudEvents requires.
    assert datetime.fromisoformat(envelope["time"]).utcoffset() is not None
    # Events carry ids, never personal data.
    assert canary_email not in str(envelope)
    assert "Canary Person" not in str(envelope)
    # A consumer can parse what we publish back into the same envelope.
    assert CloudEvent.model_validate_json(to_envelope(row).model_dump_json()) == to_envelope(row)


async def test_organisation_creation_records_both_events_in_its_transaction(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with transaction(sessionmaker) as session:
        created = await identity.create_organisation(
            session, name="Outbox Ltd", admin_email="outbox@example.test", admin_password=PASSWORD
        )
    rows = await outbox_rows(sessionmaker)
    assert {(r.type, r.subject) for r in rows} == {
        ("organisation.created", f"organisations/{created.organisation.id}"),
        ("user.created", f"users/{created.admin.id}"),
    }
    assert {r.organisation_id for r in rows} == {created.organisation.id}


async def test_no_event_survives_a_rolled_back_transaction(
    tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    before = await outbox_rows(sessionmaker)

    async def create_user_then_fail() -> None:
        async with transaction(sessionmaker) as session:
            bind_organisation(session, tenant.organisation_id)
            user = await identity.create_user(
                session,
                admin_principal(tenant),
                UserCreate(
                    email="rolled-back@example.com", full_name="Never", password=PASSWORD, roles=["recruiter"]
                ),
            )
            await session.flush()  # the row reached the database inside the transaction...
            assert (await session.scalar(select(func.count()).select_from(OutboxEvent))) == len(before) + 1
            raise Boom(f"failed after recording the event for {user.id}")

    with pytest.raises(Boom):
        await create_user_then_fail()

    assert [r.id for r in await outbox_rows(sessionmaker)] == [r.id for r in before]
    async with transaction(sessionmaker) as session:
        bind_organisation(session, tenant.organisation_id)
        assert (
            await session.scalars(select(User).where(User.email == "rolled-back@example.com"))
        ).first() is None


async def test_failed_request_leaves_no_event(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    body = {"email": "twice@example.com", "full_name": "Dup", "password": PASSWORD, "roles": ["recruiter"]}
    assert (await client.post("/v1/users", headers=tenant.headers, json=body)).status_code == 201
    before = await outbox_rows(sessionmaker)
    response = await client.post("/v1/users", headers=tenant.headers, json=body)
    assert response.status_code == 409, response.text
    assert [r.id for r in await outbox_rows(sessionmaker)] == [r.id for r in before]


async def test_commit_wakeup_fires_only_for_committed_events(
    tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    calls: list[str] = []
    unsubscribe = on_commit_wakeup(lambda: calls.append("wake"))

    async def record_then_fail() -> None:
        async with transaction(sessionmaker) as session:
            bind_organisation(session, tenant.organisation_id)
            record_event(session, type="test.rolled_back", source="/tests", subject="x", data={})
            raise Boom

    try:
        with pytest.raises(Boom):
            await record_then_fail()
        assert calls == []

        async with transaction(sessionmaker) as session:
            bind_organisation(session, tenant.organisation_id)
            await session.scalar(select(func.count()).select_from(OutboxEvent))
        assert calls == [], "a commit without events must not wake the relay"

        async with transaction(sessionmaker) as session:
            bind_organisation(session, tenant.organisation_id)
            record_event(session, type="test.committed", source="/tests", subject="x", data={})
        assert calls == ["wake"]
    finally:
        unsubscribe()


async def test_backlog_counts_pending_events_and_ages_the_oldest(
    clock: object, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    from tests.conftest import FrozenClock

    assert isinstance(clock, FrozenClock)
    async with transaction(sessionmaker) as session:
        start_count, _ = await backlog(session)
    # The tenant fixture recorded its organisation.created and user.created events.
    assert start_count == 2

    clock.advance(seconds=10)
    async with transaction(sessionmaker) as session:
        bind_organisation(session, tenant.organisation_id)
        for n in range(3):
            record_event(session, type="test.backlog", source="/tests", subject=f"n/{n}", data={"n": n})
    clock.advance(seconds=30)

    async with transaction(sessionmaker) as session:
        count, age = await backlog(session)
    assert count == 5
    # The oldest pending event is the tenant's, 40 seconds old on the frozen clock.
    assert age == pytest.approx(40.0, abs=0.01)

    dispatcher = OutboxDispatcher(sessionmaker, InProcessRelay(sessionmaker, HandlerRegistry()))
    assert await dispatcher.drain() == 5
    async with transaction(sessionmaker) as session:
        assert await backlog(session) == (0, 0.0)


async def test_backlog_of_an_empty_outbox_is_zero(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    async with transaction(sessionmaker) as session:
        assert await backlog(session) == (0, 0.0)
