"""The worker: housekeeping drops what has expired and nothing else; the process delivers events."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.config import Settings
from rolecall.identity.models import LoginThrottle, RefreshToken, RevokedAccessToken
from rolecall.identity.tokens import KeyRing
from rolecall.platform import schema
from rolecall.platform.db import transaction
from rolecall.platform.events.envelope import CloudEvent
from rolecall.platform.events.models import OutboxEvent
from rolecall.platform.events.outbox import record_event
from rolecall.platform.events.registry import ALL, registry
from rolecall.platform.idempotency import IdempotencyRecord
from rolecall.platform.tenancy import all_tenants, bind_organisation
from rolecall.worker import housekeeping, run_worker
from tests.conftest import FrozenClock
from tests.factories import PASSWORD, Tenant, create_tenant, login
from tests.scratch import scratch_database

IDEMPOTENCY_TTL = 600  # ten minutes; access tokens live fifteen


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"idempotency_ttl_seconds": IDEMPOTENCY_TTL})


async def rows(sessionmaker: async_sessionmaker[AsyncSession], model: type[Any]) -> list[Any]:
    async with transaction(sessionmaker) as session:
        return list((await session.scalars(select(model).execution_options(**all_tenants()))).all())


async def idempotent_create(client: httpx.AsyncClient, token: str, key: str) -> httpx.Response:
    return await client.post(
        "/v1/users",
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key},
        json={
            "email": f"{key}@example.com",
            "full_name": "Idem Potent",
            "password": PASSWORD,
            "roles": ["recruiter"],
        },
    )


async def revoke(client: httpx.AsyncClient, token: str) -> None:
    assert (await client.post("/v1/oauth/revoke", data={"token": token})).status_code == 200


async def test_housekeeping_purges_expired_idempotency_keys_and_revoked_token_ids(
    clock: FrozenClock,
    app: FastAPI,
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    keyring: KeyRing = app.state.keyring
    # Start ten minutes in the past, so that tokens issued now are still valid on the real clock that
    # token verification uses, while the frozen clock that expiry uses can move past them.
    clock.advance(minutes=-10)
    tenant = await create_tenant(client, sessionmaker)
    assert (await idempotent_create(client, tenant.token, "old-key")).status_code == 201
    old_jti = keyring.verify(tenant.token)["jti"]
    await revoke(client, tenant.token)

    clock.advance(minutes=10)
    fresh = (await login(client, tenant.admin_email))["access_token"]
    assert (await idempotent_create(client, fresh, "new-key")).status_code == 201
    doomed = (await login(client, tenant.admin_email))["access_token"]
    live_jti = keyring.verify(doomed)["jti"]
    await revoke(client, doomed)

    assert {r.key for r in await rows(sessionmaker, IdempotencyRecord)} == {"old-key", "new-key"}
    assert {r.jti for r in await rows(sessionmaker, RevokedAccessToken)} == {old_jti, live_jti}

    # Nothing has expired yet.
    counts = await housekeeping(sessionmaker)
    assert counts["idempotency_keys"] == 0
    assert counts["revoked_access_tokens"] == 0

    # 17 minutes after the start: the old key (10 min) and the old token (15 min) have expired,
    # the new key (20 min) and the newer token (25 min) have not.
    clock.advance(minutes=7)
    counts = await housekeeping(sessionmaker)
    assert counts["idempotency_keys"] == 1
    assert counts["revoked_access_tokens"] == 1
    assert {r.key for r in await rows(sessionmaker, IdempotencyRecord)} == {"new-key"}
    assert {r.jti for r in await rows(sessionmaker, RevokedAccessToken)} == {live_jti}

    # What was kept still works: the retry is replayed, the revoked token is still refused.
    replay = await idempotent_create(client, fresh, "new-key")
    assert replay.status_code == 201
    assert replay.headers["idempotent-replayed"] == "true"
    assert (await client.get("/v1/me", headers={"Authorization": f"Bearer {doomed}"})).status_code == 401

    # Running it again finds nothing more to do.
    again = await housekeeping(sessionmaker)
    assert again["idempotency_keys"] == again["revoked_access_tokens"] == 0


@pytest.fixture
async def second_address(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("198.51.100.9", 52000))
    async with httpx.AsyncClient(transport=transport, base_url="http://rolecall.test") as http:
        yield http


async def test_housekeeping_purges_expired_refresh_tokens_and_stale_throttles(
    clock: FrozenClock,
    client: httpx.AsyncClient,
    second_address: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    tenant = await create_tenant(client, sessionmaker)
    wrong = {"grant_type": "password", "username": "nobody@example.com", "password": "wrong-password-1"}
    assert (await client.post("/v1/oauth/token", data=wrong)).status_code == 400
    old_refresh = {r.id for r in await rows(sessionmaker, RefreshToken)}
    old_throttles = {r.key for r in await rows(sessionmaker, LoginThrottle)}
    assert len(old_refresh) == 1
    assert len(old_throttles) == 2  # the account and the address

    clock.advance(days=31)  # past the 30-day refresh lifetime and the one-day throttle retention
    await login(second_address, tenant.admin_email)
    wrong["username"] = "someone-else@example.com"
    assert (await second_address.post("/v1/oauth/token", data=wrong)).status_code == 400
    new_refresh = {r.id for r in await rows(sessionmaker, RefreshToken)} - old_refresh
    new_throttles = {r.key for r in await rows(sessionmaker, LoginThrottle)} - old_throttles
    assert len(new_refresh) == 1
    assert len(new_throttles) == 2

    counts = await housekeeping(sessionmaker)
    assert counts["refresh_tokens"] == 1
    assert counts["login_throttles"] == 2
    assert {r.id for r in await rows(sessionmaker, RefreshToken)} == new_refresh
    assert {r.key for r in await rows(sessionmaker, LoginThrottle)} == new_throttles


async def test_worker_process_delivers_events_and_stops_cleanly(
    settings: Settings, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    event_type = f"test.worker.{uuid.uuid4().hex}"
    handled: list[tuple[uuid.UUID, uuid.UUID]] = []

    async def handler(session: AsyncSession, event: CloudEvent) -> None:
        if event.type == event_type:
            handled.append((event.id, event.organisationid))

    registry.subscribe_all(name="worker-probe")(handler)
    stop = asyncio.Event()
    worker = asyncio.create_task(
        run_worker(settings.model_copy(update={"outbox_poll_seconds": 0.05}), stop=stop)
    )
    try:
        async with transaction(sessionmaker) as session:
            bind_organisation(session, tenant.organisation_id)
            event = record_event(session, type=event_type, source="/tests", subject="w/1", data={})
        started = time.monotonic()
        while not handled:
            assert time.monotonic() - started < 5, "the worker did not deliver the event"
            await asyncio.sleep(0.02)
        assert handled == [(event.id, tenant.organisation_id)]
        stop.set()
        await asyncio.wait_for(worker, timeout=5)
    finally:
        registry.unregister(ALL, "worker-probe")
        if not worker.done():
            worker.cancel()
    async with transaction(sessionmaker) as session:
        stmt = select(OutboxEvent).where(OutboxEvent.id == event.id).execution_options(**all_tenants())
        assert (await session.scalars(stmt)).one().dispatched_at is not None


async def test_worker_command_stops_gracefully_on_sigterm(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Container runtimes stop processes with SIGTERM: the worker must shut down, not be killed."""
    async with scratch_database("sqlite", tmp_path, request) as url:
        schema.upgrade(url)
        env = {k: v for k, v in os.environ.items() if not k.startswith("ROLECALL_")}
        env.update(
            ROLECALL_DATABASE_URL=url,
            ROLECALL_LOG_JSON="true",
            PYTHONUNBUFFERED="1",
            ROLECALL_FILE_STORE_PATH=str(tmp_path / "files"),  # not ./var, the demo's
        )
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "rolecall",
            "worker",
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        assert process.stdout is not None
        try:
            events = []
            while "housekeeping_done" not in events:
                line = await asyncio.wait_for(process.stdout.readline(), timeout=20)
                assert line, "the worker exited before it started"
                if line.startswith(b"{"):
                    events.append(json.loads(line)["event"])
            process.send_signal(signal.SIGTERM)
            rest, _ = await asyncio.wait_for(process.communicate(), timeout=20)
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
        assert process.returncode == 0, rest.decode()
        events += [json.loads(line)["event"] for line in rest.decode().splitlines() if line.startswith("{")]
        assert events[-1] == "worker_stopped"
        assert "outbox_relay_cancelled" not in events


async def test_housekeeping_rotates_a_signing_key_older_than_the_rotation_period(
    client: httpx.AsyncClient,
    app: FastAPI,
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FrozenClock,
) -> None:
    before = {key["kid"] for key in (await client.get("/.well-known/jwks.json")).json()["keys"]}

    await housekeeping(sessionmaker, settings)  # a young key is left alone
    ring = KeyRing(settings)
    async with transaction(sessionmaker) as session:
        await ring.load(session)
    assert {key["kid"] for key in ring.jwks()["keys"]} == before

    clock.advance(days=settings.signing_key_rotation_days + 1)
    await housekeeping(sessionmaker, settings)
    async with transaction(sessionmaker) as session:
        await ring.load(session)
    after = {key["kid"] for key in ring.jwks()["keys"]}
    assert len(after - before) == 1, "a new key is published"
    assert before <= after, "the old key stays verifiable for its tokens' lifetime"


async def test_housekeeping_deletes_delivered_events_past_retention_and_keeps_pending_ones(
    client: httpx.AsyncClient,
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    tenant: Tenant,
    clock: FrozenClock,
) -> None:
    from rolecall.identity.events import UserCreated
    from rolecall.platform.events.models import ProcessedEvent
    from rolecall.platform.events.registry import HandlerRegistry
    from rolecall.platform.events.relay import InProcessRelay, OutboxDispatcher

    local = HandlerRegistry()

    @local.subscribe(UserCreated, name="test.receipt")
    async def _receipt(session: AsyncSession, event: UserCreated) -> None:
        return None

    dispatcher = OutboxDispatcher(sessionmaker, InProcessRelay(sessionmaker, local))
    delivered = await dispatcher.drain()
    assert delivered >= 2
    assert len(await rows(sessionmaker, ProcessedEvent)) == 1

    clock.advance(days=settings.outbox_retention_days + 1)
    async with transaction(sessionmaker) as session:
        bind_organisation(session, tenant.organisation_id)
        pending = record_event(session, type="test.pending", source="/tests", subject="x", data={})

    counts = await housekeeping(sessionmaker, settings)
    assert counts["outbox_events"] == delivered
    assert [row.id for row in await rows(sessionmaker, OutboxEvent)] == [pending.id]
    assert await rows(sessionmaker, ProcessedEvent) == []


async def test_scheduled_jobs_expire_offers_and_apply_retention_at_most_hourly(
    client: httpx.AsyncClient,
    app: FastAPI,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    clock: FrozenClock,
) -> None:
    from rolecall.worker import run_scheduled_jobs
    from tests.offers.support import application_at_offer, sent_offer

    application = await application_at_offer(client, app, tenant)
    offer = await sent_offer(client, tenant, application)
    last_runs: dict[str, datetime] = {}
    nothing = await run_scheduled_jobs(sessionmaker, settings, last_runs)
    assert nothing["offers_expired"] == 0
    assert "retention" in last_runs  # it ran to the end
    counts = await run_scheduled_jobs(sessionmaker, settings, last_runs)
    assert "candidates_erased" not in counts  # retention waits an hour after its last run
    clock.advance(days=8)  # the default validity is seven days
    counts = await run_scheduled_jobs(sessionmaker, settings, last_runs)
    assert counts["offers_expired"] == 1
    assert "candidates_erased" in counts
    login_again = await client.post(
        "/v1/oauth/token",
        data={"grant_type": "password", "username": tenant.admin_email, "password": PASSWORD},
    )
    token = login_again.json()["access_token"]
    expired = await client.get(f"/v1/offers/{offer['id']}", headers={"Authorization": f"Bearer {token}"})
    assert expired.json()["status"] == "expired"
