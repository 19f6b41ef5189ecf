"""Deliveries reach a real receiver, signed so that the reference package verifies them; failures
are retried on the schedule, logged, and in the end disable the endpoint."""

from __future__ import annotations

import asyncio
import json
import ssl
import uuid
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from standardwebhooks import Webhook

from rolecall.config import Settings
from rolecall.platform.contexts import JobScope
from rolecall.platform.db import transaction
from rolecall.platform.events.base import DomainEvent
from rolecall.platform.events.models import OutboxEvent
from rolecall.platform.events.outbox import purge_dispatched, to_envelope
from rolecall.platform.tenancy import bind_organisation
from rolecall.webhooks import ssrf
from rolecall.webhooks.delivery import deliver_due, purge_job
from rolecall.webhooks.handlers import fan_out
from rolecall.webhooks.models import WebhookAttempt, WebhookDelivery
from tests.conftest import FrozenClock
from tests.factories import Tenant, deliver, login
from tests.platform.problems import assert_problem
from tests.webhooks.events import SAMPLE, sample
from tests.webhooks.support import FakeResolver, create_endpoint, emit_as, receiver

Events = tuple[type[DomainEvent], type[DomainEvent]]


async def test_a_delivery_is_signed_redacted_and_logged(
    app: FastAPI,
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    sample_events: Events,
) -> None:
    sampled, internal = sample_events
    with receiver(200, answer=b'{"ok": true}') as hook:
        endpoint = await create_endpoint(client, tenant, hook.url, event_types=["webhooks_test.*"])
        event = sample(sampled)
        await emit_as(sessionmaker, tenant, event, internal.model_validate({"sample_id": uuid.uuid4()}))
        await deliver(app)
        assert await deliver_due(sessionmaker, settings) == 1
        assert await deliver_due(sessionmaker, settings) == 0

    [received] = hook.requests
    assert received.path == "/hooks"
    assert received.headers["content-type"] == "application/json"
    payload = Webhook(endpoint["secret"]).verify(received.body, received.headers)
    assert payload["id"] == received.headers["webhook-id"]
    assert payload["type"] == SAMPLE
    assert payload["subject"] == f"samples/{event.sample_id}"  # type: ignore[attr-defined]
    # No personal data without the grant, never an internal member; ids stay.
    assert payload["data"] == {
        "schema_version": 1,
        "sample_id": str(event.sample_id),  # type: ignore[attr-defined]
        "people": [{"person_id": str(event.people[0].person_id)}],  # type: ignore[attr-defined]
    }

    log = await client.get(f"/v1/webhooks/endpoints/{endpoint['id']}/deliveries", headers=tenant.headers)
    [delivery] = log.json()["items"]
    assert delivery["event_id"] == payload["id"]
    assert delivery["status"] == "succeeded"
    assert delivery["attempts"] == 1
    assert delivery["last_status_code"] == 200
    assert delivery["last_latency_ms"] >= 0
    detail = await client.get(
        f"/v1/webhooks/endpoints/{endpoint['id']}/deliveries/{delivery['id']}", headers=tenant.headers
    )
    [attempt] = detail.json()["attempt_log"]
    assert attempt["status_code"] == 200
    assert attempt["response_excerpt"] == '{"ok": true}'


async def test_personal_data_goes_only_to_an_endpoint_granted_candidates_read(
    app: FastAPI,
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    sample_events: Events,
) -> None:
    sampled, _ = sample_events
    with receiver() as plain, receiver() as granted:
        await create_endpoint(client, tenant, plain.url)
        await create_endpoint(client, tenant, granted.url, grants_candidates_read=True)
        await emit_as(sessionmaker, tenant, sample(sampled))
        await deliver(app)
        await deliver_due(sessionmaker, settings)
    [without] = [json.loads(r.body)["data"] for r in plain.requests if SAMPLE in r.body.decode()]
    [with_grant] = [json.loads(r.body)["data"] for r in granted.requests if SAMPLE in r.body.decode()]
    assert "email" not in without
    assert with_grant["email"] == "ada@example.com"
    assert with_grant["people"][0]["name"] == "Ada Lovelace"
    assert "owner_user_id" not in with_grant


async def test_failures_are_retried_on_the_schedule_then_succeed(
    app: FastAPI,
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    clock: FrozenClock,
    sample_events: Events,
) -> None:
    sampled, _ = sample_events
    with receiver(500, 302, 204, answer=b"x" * 5000) as hook:
        endpoint = await create_endpoint(client, tenant, hook.url, event_types=[SAMPLE])
        await emit_as(sessionmaker, tenant, sample(sampled))
        await deliver(app)
        assert await deliver_due(sessionmaker, settings, jitter=0.0) == 1  # 500
        assert await deliver_due(sessionmaker, settings, jitter=0.0) == 0  # not due for 5 s
        clock.advance(seconds=4)
        assert await deliver_due(sessionmaker, settings, jitter=0.0) == 0
        clock.advance(seconds=2)
        assert await deliver_due(sessionmaker, settings, jitter=0.0) == 1  # 302, not followed
        clock.advance(minutes=5, seconds=1)
        assert await deliver_due(sessionmaker, settings, jitter=0.0) == 1  # 204
    assert len(hook.requests) == 3
    assert len({r.headers["webhook-id"] for r in hook.requests}) == 1
    assert len({r.body for r in hook.requests}) == 1  # the same body every time; only the timestamp moves
    log = await client.get(f"/v1/webhooks/endpoints/{endpoint['id']}/deliveries", headers=tenant.headers)
    [delivery] = log.json()["items"]
    assert (delivery["status"], delivery["attempts"], delivery["last_error"]) == ("succeeded", 3, None)
    detail = await client.get(
        f"/v1/webhooks/endpoints/{endpoint['id']}/deliveries/{delivery['id']}", headers=tenant.headers
    )
    attempts = detail.json()["attempt_log"]
    assert [a["status_code"] for a in attempts] == [500, 302, 204]
    assert len(attempts[0]["response_excerpt"]) == 1024
    ok = (await client.get(f"/v1/webhooks/endpoints/{endpoint['id']}", headers=tenant.headers)).json()
    assert ok["failing_since"] is None


async def test_sustained_failure_disables_the_endpoint_and_says_so(
    app: FastAPI,
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    clock: FrozenClock,
    sample_events: Events,
) -> None:
    sampled, _ = sample_events
    strict = settings.model_copy(update={"webhook_disable_after_failed_events": 2})
    schedule = (timedelta(seconds=1),)  # two attempts per delivery
    with receiver(503) as hook:
        endpoint = await create_endpoint(client, tenant, hook.url, event_types=[SAMPLE])
        start = clock.now
        await emit_as(sessionmaker, tenant, sample(sampled), sample(sampled))
        await deliver(app)
        assert await deliver_due(sessionmaker, strict, schedule=schedule, jitter=0.0) == 2
        clock.advance(seconds=2)
        assert await deliver_due(sessionmaker, strict, schedule=schedule, jitter=0.0) == 2
        await emit_as(sessionmaker, tenant, sample(sampled))
        await deliver(app)
        assert await deliver_due(sessionmaker, strict, schedule=schedule, jitter=0.0) == 0  # disabled
    assert len(hook.requests) == 4

    state = (await client.get(f"/v1/webhooks/endpoints/{endpoint['id']}", headers=tenant.headers)).json()
    assert state["enabled"] is False
    assert state["disabled_reason"] == "too_many_failed_events"
    failed = await client.get(
        f"/v1/webhooks/endpoints/{endpoint['id']}/deliveries",
        headers=tenant.headers,
        params={"status": "failed"},
    )
    assert [d["last_error"] for d in failed.json()["items"]] == ["HTTP 503", "HTTP 503"]
    events = await client.get(
        "/v1/events", headers=tenant.headers, params={"type": "webhook.endpoint_disabled"}
    )
    [notice] = events.json()["items"]
    assert notice["data"]["endpoint_id"] == endpoint["id"]
    assert notice["data"]["reason"] == "too_many_failed_events"
    assert "url" not in notice["data"]  # internal: a receiver URL may carry a credential
    audit = await client.get(
        "/v1/audit-events", headers=tenant.headers, params={"action": "webhook.endpoint_disabled"}
    )
    assert len(audit.json()["items"]) == 1

    # Nothing was queued while it was disabled; re-enabled, a replay sends what it missed.
    with receiver(204) as healed:
        changed = await client.patch(
            f"/v1/webhooks/endpoints/{endpoint['id']}",
            headers={**tenant.headers, "If-Match": "*"},
            json={"enabled": True, "url": healed.url},
        )
        assert changed.json()["failing_since"] is None
        assert await deliver_due(sessionmaker, strict, schedule=schedule, jitter=0.0) == 0
        window = {
            "since": (start - timedelta(seconds=1)).isoformat(),
            "until": (clock.now + timedelta(seconds=1)).isoformat(),
        }
        replayed = await client.post(
            f"/v1/webhooks/endpoints/{endpoint['id']}/replay", headers=tenant.headers, json=window
        )
        assert replayed.json() == {"events": 3, "created": 1, "requeued": 2}
        assert await deliver_due(sessionmaker, strict, schedule=schedule, jitter=0.0) == 3
    assert len(healed.requests) == 3


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_failing_for_days_disables_the_endpoint(
    app: FastAPI,
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    clock: FrozenClock,
    sample_events: Events,
) -> None:
    sampled, _ = sample_events
    with receiver(500) as hook:
        endpoint = await create_endpoint(client, tenant, hook.url, event_types=[SAMPLE])
        await emit_as(sessionmaker, tenant, sample(sampled))
        await deliver(app)
        await deliver_due(sessionmaker, settings, schedule=(), jitter=0.0)  # one attempt: exhausted
        clock.advance(hours=settings.webhook_disable_after_hours + 1)
        await emit_as(sessionmaker, tenant, sample(sampled))
        await deliver(app)
        await deliver_due(sessionmaker, settings, schedule=(), jitter=0.0)
    token = (await login(client, tenant.admin_email))["access_token"]  # days later: a fresh token
    headers = {"Authorization": f"Bearer {token}"}
    state = (await client.get(f"/v1/webhooks/endpoints/{endpoint['id']}", headers=headers)).json()
    assert (state["enabled"], state["disabled_reason"]) == (False, "failing_since_too_long")


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_during_a_rotation_both_secrets_sign(
    app: FastAPI,
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    clock: FrozenClock,
    sample_events: Events,
) -> None:
    sampled, _ = sample_events
    with receiver() as hook:
        endpoint = await create_endpoint(client, tenant, hook.url, event_types=[SAMPLE])
        rotated = await client.post(
            f"/v1/webhooks/endpoints/{endpoint['id']}/rotate-secret",
            headers=tenant.headers,
            json={"overlap_seconds": 600},
        )
        new_secret = rotated.json()["secret"]
        await emit_as(sessionmaker, tenant, sample(sampled))
        await deliver(app)
        await deliver_due(sessionmaker, settings)
        clock.advance(seconds=601)
        await emit_as(sessionmaker, tenant, sample(sampled))
        await deliver(app)
        await deliver_due(sessionmaker, settings)
    during, after = hook.requests
    Webhook(endpoint["secret"]).verify(during.body, during.headers)
    Webhook(new_secret).verify(during.body, during.headers)
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    assert len(after.headers["webhook-signature"].split(" ")) == 1


async def test_redelivery_and_replay(
    app: FastAPI,
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    clock: FrozenClock,
    sample_events: Events,
) -> None:
    sampled, _ = sample_events
    with receiver() as hook, receiver() as late:
        endpoint = await create_endpoint(client, tenant, hook.url, event_types=[SAMPLE])
        start = clock.now
        await emit_as(sessionmaker, tenant, sample(sampled), sample(sampled))
        await deliver(app)
        await deliver_due(sessionmaker, settings)
        log = await client.get(f"/v1/webhooks/endpoints/{endpoint['id']}/deliveries", headers=tenant.headers)
        first = log.json()["items"][0]
        again = await client.post(
            f"/v1/webhooks/endpoints/{endpoint['id']}/deliveries/{first['id']}/redeliver",
            headers=tenant.headers,
        )
        assert again.status_code == 202, again.text
        assert (again.json()["status"], again.json()["attempts"]) == ("pending", 0)
        assert await deliver_due(sessionmaker, settings) == 1
        assert [r.headers["webhook-id"] for r in hook.requests][-1] == first["event_id"]

        # An endpoint added later asks for what it missed; the first one gets the range again.
        newcomer = await create_endpoint(client, tenant, late.url, event_types=["webhooks_test.*"])
        window = {
            "since": (start - timedelta(seconds=1)).isoformat(),
            "until": (start + timedelta(minutes=1)).isoformat(),
        }
        replayed = await client.post(
            f"/v1/webhooks/endpoints/{newcomer['id']}/replay", headers=tenant.headers, json=window
        )
        assert replayed.json() == {"events": 2, "created": 2, "requeued": 0}
        replayed = await client.post(
            f"/v1/webhooks/endpoints/{endpoint['id']}/replay", headers=tenant.headers, json=window
        )
        assert replayed.json() == {"events": 2, "created": 0, "requeued": 2}
        assert await deliver_due(sessionmaker, settings) == 4
        empty = {
            "since": (start + timedelta(minutes=5)).isoformat(),
            "until": (start + timedelta(minutes=6)).isoformat(),
        }
        nothing = await client.post(
            f"/v1/webhooks/endpoints/{endpoint['id']}/replay", headers=tenant.headers, json=empty
        )
        assert nothing.json()["events"] == 0
        backwards = {"since": window["until"], "until": window["since"]}
        bad = await client.post(
            f"/v1/webhooks/endpoints/{endpoint['id']}/replay", headers=tenant.headers, json=backwards
        )
        assert bad.status_code == 422
    assert len(hook.requests) == 5
    assert len(late.requests) == 2


async def test_fan_out_queues_an_event_once_per_endpoint(
    app: FastAPI,
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    sample_events: Events,
) -> None:
    sampled, internal = sample_events
    with receiver() as hook:
        await create_endpoint(client, tenant, hook.url)
        await create_endpoint(client, tenant, hook.url, enabled=False)
        await emit_as(
            sessionmaker, tenant, sample(sampled), internal.model_validate({"sample_id": uuid.uuid4()})
        )
    async with transaction(sessionmaker) as session:
        bind_organisation(session, tenant.organisation_id)
        rows = (
            await session.scalars(select(OutboxEvent).where(OutboxEvent.type.like("webhooks_test.%")))
        ).all()
        for _ in range(2):
            for row in rows:
                await fan_out(session, to_envelope(row))
        queued = (await session.scalars(select(WebhookDelivery))).all()
    # The public event, once, to the enabled endpoint; the internal step to nobody.
    assert [(d.event_type, d.attempts) for d in queued if d.event_type.startswith("webhooks_test.")] == [
        (SAMPLE, 0)
    ]


async def test_concurrent_rounds_send_each_delivery_once(
    app: FastAPI,
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    sample_events: Events,
) -> None:
    sampled, _ = sample_events
    with receiver() as hook:
        await create_endpoint(client, tenant, hook.url, event_types=[SAMPLE])
        await emit_as(sessionmaker, tenant, *(sample(sampled) for _ in range(20)))
        await deliver(app)
        small = settings.model_copy(update={"webhook_batch_size": 5})
        while sum(await asyncio.gather(*(deliver_due(sessionmaker, small) for _ in range(3)))):
            pass
    ids = [r.headers["webhook-id"] for r in hook.requests]
    assert len(ids) == len(set(ids)) == 20


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_a_name_rebound_to_an_inside_address_is_refused_at_send_time(
    app: FastAPI,
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    sample_events: Events,
) -> None:
    sampled, _ = sample_events
    resolver = FakeResolver({"hooks.example.com": ["93.184.215.14"]})
    policy = ssrf.outbound_policy(resolver=resolver, timeout_seconds=2)
    app.state.webhook_outbound = policy
    endpoint = await create_endpoint(client, tenant, "https://hooks.example.com/in", event_types=[SAMPLE])
    resolver.answers["hooks.example.com"] = ["127.0.0.1"]
    await emit_as(sessionmaker, tenant, sample(sampled))
    await deliver(app)
    assert await deliver_due(sessionmaker, settings, outbound=policy) == 1
    log = await client.get(f"/v1/webhooks/endpoints/{endpoint['id']}/deliveries", headers=tenant.headers)
    [delivery] = log.json()["items"]
    assert delivery["status"] == "pending"
    assert delivery["last_status_code"] is None
    assert delivery["last_error"].startswith("refused: ")


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_the_delivery_loop_is_woken_by_queued_deliveries_and_stops(
    app: FastAPI,
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    sample_events: Events,
) -> None:
    from rolecall.webhooks.delivery import run_delivery_loop

    sampled, _ = sample_events
    stop = asyncio.Event()
    with receiver() as hook:
        await create_endpoint(client, tenant, hook.url, event_types=[SAMPLE])
        # A long poll: the fan-out's commit must wake the loop, not the timer.
        loop = asyncio.create_task(run_delivery_loop(sessionmaker, settings, stop, poll_seconds=60))
        await asyncio.sleep(0.2)  # the loop's first, empty round
        await emit_as(sessionmaker, tenant, sample(sampled))
        await deliver(app)
        for _ in range(100):
            if hook.requests:
                break
            await asyncio.sleep(0.02)
        stop.set()
        await asyncio.wait_for(loop, timeout=5)
    assert len(hook.requests) == 1


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_https_goes_to_the_checked_address_with_the_name_kept_for_tls(
    app: FastAPI,
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    sample_events: Events,
) -> None:
    """The name resolves (here) to an allow-listed block; the call connects to that address, and
    TLS still verifies the certificate against the name, which the Host header carries too."""
    sampled, _ = sample_events
    with receiver(tls_hostname="hooks.rolecall.test") as hook:
        trust = ssl.create_default_context(cadata=hook.certificate.decode())
        resolver = FakeResolver({"hooks.rolecall.test": ["127.0.0.1"]})
        policy = ssrf.outbound_policy(
            ["127.0.0.0/8"], resolver=resolver, transport=httpx.AsyncHTTPTransport(verify=trust)
        )
        app.state.webhook_outbound = policy
        endpoint = await create_endpoint(client, tenant, hook.url, event_types=[SAMPLE])
        await emit_as(sessionmaker, tenant, sample(sampled))
        await deliver(app)
        assert await deliver_due(sessionmaker, settings, outbound=policy) == 1
    [received] = hook.requests
    assert received.headers["host"] == hook.url.split("/")[2]
    Webhook(endpoint["secret"]).verify(received.body, received.headers)
    assert resolver.asked.count("hooks.rolecall.test") == 2  # when saved, and again when sent


async def test_finished_deliveries_leave_the_log_after_its_retention(
    app: FastAPI,
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    clock: FrozenClock,
    sample_events: Events,
) -> None:
    sampled, _ = sample_events
    with receiver(204) as ok, receiver(500) as broken:
        await create_endpoint(client, tenant, ok.url, event_types=[SAMPLE])
        await create_endpoint(client, tenant, broken.url, event_types=[SAMPLE])
        await emit_as(sessionmaker, tenant, sample(sampled))
        await deliver(app)
        await deliver_due(sessionmaker, settings)
    scope = JobScope(sessionmaker, settings)
    assert await purge_job(scope) == 0
    clock.advance(days=settings.webhook_log_retention_days + 1)
    assert await purge_job(scope) == 1  # the succeeded one; the pending retry stays
    async with transaction(sessionmaker) as session:
        bind_organisation(session, tenant.organisation_id)
        left = (
            await session.scalars(select(WebhookDelivery).where(WebhookDelivery.event_type == SAMPLE))
        ).all()
        attempts = (await session.scalars(select(WebhookAttempt))).all()
    assert [d.status for d in left] == ["pending"]
    assert [a.delivery_id for a in attempts] == [left[0].id]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_an_event_past_the_outbox_retention_is_not_sent_and_not_held_against_the_endpoint(
    app: FastAPI,
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    clock: FrozenClock,
    sample_events: Events,
) -> None:
    sampled, _ = sample_events
    with receiver() as hook:
        endpoint = await create_endpoint(client, tenant, hook.url, event_types=[SAMPLE])
        await emit_as(sessionmaker, tenant, sample(sampled))
        await deliver(app)  # queued, never sent: the worker was down for longer than the retention
        clock.advance(days=settings.outbox_retention_days + 1)
        async with transaction(sessionmaker) as session:
            await purge_dispatched(
                session, older_than=clock.now - timedelta(days=settings.outbox_retention_days)
            )
        assert await deliver_due(sessionmaker, settings) == 1
    assert hook.requests == []
    headers = {"Authorization": f"Bearer {(await login(client, tenant.admin_email))['access_token']}"}
    log = await client.get(f"/v1/webhooks/endpoints/{endpoint['id']}/deliveries", headers=headers)
    [delivery] = log.json()["items"]
    assert (delivery["status"], delivery["last_error"]) == ("failed", "the event is no longer retained")
    state = (await client.get(f"/v1/webhooks/endpoints/{endpoint['id']}", headers=headers)).json()
    assert state["failing_since"] is None
    again = await client.post(
        f"/v1/webhooks/endpoints/{endpoint['id']}/deliveries/{delivery['id']}/redeliver", headers=headers
    )
    assert_problem(again, 410, "gone")
