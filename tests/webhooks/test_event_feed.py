"""GET /v1/events: the organisation's public events in order, resumable, filtered, redacted per the
caller's scopes; GET /v1/events/types: the published catalogue, open to anyone."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.platform.events.base import DomainEvent
from tests.conftest import FrozenClock
from tests.factories import Tenant, login
from tests.identity.support import add_api_client, client_token
from tests.platform.problems import assert_problem
from tests.webhooks.events import SAMPLE, sample
from tests.webhooks.support import emit_as

Events = tuple[type[DomainEvent], type[DomainEvent]]


async def test_a_reader_follows_the_feed_by_cursor_and_sees_only_its_organisation(
    client: httpx.AsyncClient,
    tenant: Tenant,
    other_tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    sample_events: Events,
) -> None:
    sampled, internal = sample_events
    mine = [sample(sampled) for _ in range(5)]
    await emit_as(
        sessionmaker, tenant, *mine[:3], internal.model_validate({"sample_id": uuid.uuid4()}), *mine[3:]
    )
    await emit_as(sessionmaker, other_tenant, sample(sampled))

    seen: list[dict[str, Any]] = []
    cursor = None
    for _ in range(10):
        params: dict[str, str | int] = {"type": SAMPLE, "limit": 2}
        if cursor:
            params["after"] = cursor
        page = await client.get("/v1/events", headers=tenant.headers, params=params)
        assert page.status_code == 200, page.text
        assert page.headers["cache-control"] == "no-store"
        body = page.json()
        if not body["items"]:
            assert body["next_cursor"] == cursor  # nothing new: keep the same cursor
            break
        seen += body["items"]
        cursor = body["next_cursor"]
    assert [item["data"]["sample_id"] for item in seen] == [str(e.sample_id) for e in mine]  # type: ignore[attr-defined]
    first = seen[0]
    assert first["specversion"] == "1.0"
    assert first["type"] == SAMPLE
    assert first["source"] == "/rolecall/tests"
    assert first["organisationid"] == str(tenant.organisation_id)
    # The admin holds candidates:read: personal members are in, internal ones never.
    assert first["data"]["email"] == "ada@example.com"
    assert "owner_user_id" not in first["data"]

    everything = (await client.get("/v1/events", headers=tenant.headers, params={"limit": 200})).json()
    types = {item["type"] for item in everything["items"]}
    assert SAMPLE in types
    assert "webhooks_test.internal_step" not in types  # not public
    wildcard = (
        await client.get("/v1/events", headers=tenant.headers, params={"type": "webhooks_test.*"})
    ).json()
    assert len(wildcard["items"]) == 5
    assert_problem(await client.get("/v1/events", headers=tenant.headers, params={"type": "nope.never"}), 422)


async def test_personal_data_needs_candidates_read(
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    sample_events: Events,
) -> None:
    sampled, _ = sample_events
    await emit_as(sessionmaker, tenant, sample(sampled))
    integration = await add_api_client(client, tenant, "events:read")
    token = (await client_token(client, integration)).json()["access_token"]
    page = await client.get(
        "/v1/events", headers={"Authorization": f"Bearer {token}"}, params={"type": SAMPLE}
    )
    [item] = page.json()["items"]
    assert "email" not in item["data"]
    assert item["data"]["people"][0].keys() == {"person_id"}

    nobody = await add_api_client(client, tenant, "jobs:read")
    token = (await client_token(client, nobody)).json()["access_token"]
    assert_problem(await client.get("/v1/events", headers={"Authorization": f"Bearer {token}"}), 403)


async def test_a_cursor_older_than_the_retention_is_gone(
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FrozenClock,
    sample_events: Events,
) -> None:
    sampled, _ = sample_events
    await emit_as(sessionmaker, tenant, sample(sampled))
    cursor = (await client.get("/v1/events", headers=tenant.headers)).json()["next_cursor"]
    clock.advance(days=8)
    token = (await login(client, tenant.admin_email))["access_token"]
    response = await client.get(
        "/v1/events", headers={"Authorization": f"Bearer {token}"}, params={"after": cursor}
    )
    assert_problem(response, 410, "gone")


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_the_catalogue_is_public_and_carries_a_schema_per_type(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/events/types")
    assert response.status_code == 200, response.text
    by_type = {entry["type"]: entry for entry in response.json()}
    disabled = by_type["webhook.endpoint_disabled"]
    assert disabled["schema_version"] == 1
    assert disabled["public"] is True
    assert disabled["source"] == "/rolecall/webhooks"
    assert "sustained failure" in disabled["description"]
    assert disabled["schema"]["properties"]["url"]["x-rolecall-visibility"] == "internal"
    assert disabled["schema"]["title"] == "webhook.endpoint_disabled"
    assert all(entry["public"] for entry in by_type.values())
