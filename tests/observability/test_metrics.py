"""The Prometheus endpoint: bounded label sets, latency histograms, outbox and pool gauges."""

from __future__ import annotations

import uuid

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.config import Settings
from rolecall.platform.db import transaction
from rolecall.platform.events.outbox import record_event
from rolecall.platform.events.registry import HandlerRegistry
from rolecall.platform.events.relay import InProcessRelay, OutboxDispatcher
from rolecall.platform.tenancy import bind_organisation
from tests.conftest import FrozenClock
from tests.factories import PASSWORD, Tenant

Samples = list[tuple[str, dict[str, str], float]]


async def scrape(client: httpx.AsyncClient) -> Samples:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    return [
        (sample.name, dict(sample.labels), sample.value)
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    ]


def value(samples: Samples, name: str, **labels: str) -> float:
    matching = [v for n, ls, v in samples if n == name and all(ls.get(k) == w for k, w in labels.items())]
    assert len(matching) <= 1, f"{name} {labels} is ambiguous: {matching}"
    return matching[0] if matching else 0.0


async def test_request_counter_uses_route_templates_and_status(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    route = "/v1/users/{user_id}"
    before = await scrape(client)
    missing = uuid.uuid4()
    for _ in range(2):
        assert (await client.get(f"/v1/users/{tenant.admin_id}", headers=tenant.headers)).status_code == 200
    assert (await client.get(f"/v1/users/{missing}", headers=tenant.headers)).status_code == 404
    assert (await client.get(f"/v1/users/{tenant.admin_id}")).status_code == 401
    stray = f"/no/such/path/{uuid.uuid4()}"
    assert (await client.get(stray)).status_code == 404
    after = await scrape(client)

    def delta(status: str, path: str = route) -> float:
        labels = {"method": "GET", "route": path, "status": status}
        return value(after, "rolecall_http_requests_total", **labels) - value(
            before, "rolecall_http_requests_total", **labels
        )

    assert delta("200") == 2
    assert delta("404") == 1
    assert delta("401") == 1
    assert delta("404", "unmatched") == 1
    # Concrete ids and unmatched paths never become label values: cardinality stays bounded.
    routes = {labels.get("route", "") for _, labels, _ in after}
    assert not any(str(tenant.admin_id) in r or str(missing) in r or r == stray for r in routes)


async def test_request_latency_is_a_histogram_per_route(client: httpx.AsyncClient, tenant: Tenant) -> None:
    route = "/v1/users/{user_id}"
    before = await scrape(client)
    await client.get(f"/v1/users/{tenant.admin_id}", headers=tenant.headers)
    after = await scrape(client)

    labels = {"method": "GET", "route": route}
    buckets = {
        ls["le"]: v
        for n, ls, v in after
        if n == "rolecall_http_request_duration_seconds_bucket" and ls.items() >= labels.items()
    }
    assert {"0.005", "0.1", "1.0", "10.0", "+Inf"} <= set(buckets)
    ordered = sorted(buckets.items(), key=lambda kv: float(kv[0]))
    assert [v for _, v in ordered] == sorted(v for _, v in ordered), "buckets are cumulative"
    count = value(after, "rolecall_http_request_duration_seconds_count", **labels)
    assert buckets["+Inf"] == count
    assert count - value(before, "rolecall_http_request_duration_seconds_count", **labels) == 1
    assert value(after, "rolecall_http_request_duration_seconds_sum", **labels) > value(
        before, "rolecall_http_request_duration_seconds_sum", **labels
    )


async def test_outbox_gauges_follow_undispatched_events(
    client: httpx.AsyncClient,
    clock: FrozenClock,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    # The tenant's organisation.created and user.created are pending.
    samples = await scrape(client)
    assert value(samples, "rolecall_outbox_backlog") == 2

    clock.advance(seconds=5)
    created = await client.post(
        "/v1/users",
        headers=tenant.headers,
        json={"email": "gauge@example.com", "full_name": "G", "password": PASSWORD, "roles": ["recruiter"]},
    )
    assert created.status_code == 201
    async with transaction(sessionmaker) as session:
        bind_organisation(session, tenant.organisation_id)
        record_event(session, type="test.metric", source="/tests", subject="x", data={})
    clock.advance(seconds=37)

    samples = await scrape(client)
    assert value(samples, "rolecall_outbox_backlog") == 4
    assert value(samples, "rolecall_outbox_oldest_age_seconds") == pytest.approx(42.0, abs=0.01)

    assert await OutboxDispatcher(sessionmaker, InProcessRelay(sessionmaker, HandlerRegistry())).drain() == 4
    samples = await scrape(client)
    assert value(samples, "rolecall_outbox_backlog") == 0
    assert value(samples, "rolecall_outbox_oldest_age_seconds") == 0


async def test_database_pool_gauges_are_exported(
    client: httpx.AsyncClient, backend: str, settings: Settings
) -> None:
    samples = await scrape(client)
    names = {n for n, _, _ in samples}
    assert {"rolecall_db_pool_size", "rolecall_db_pool_checked_out", "rolecall_db_pool_overflow"} <= names
    if backend == "postgresql":
        assert value(samples, "rolecall_db_pool_size") == settings.database_pool_size
    else:
        assert value(samples, "rolecall_db_pool_size") == 0  # SQLite opens a connection per unit of work
    assert value(samples, "rolecall_db_pool_checked_out") >= 0
    assert value(samples, "rolecall_db_pool_overflow") >= 0
