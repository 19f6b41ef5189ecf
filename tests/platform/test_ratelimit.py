"""Rate limits on the public board and the apply form: IETF headers, 429 with Retry-After, one count
per address or API client, shared through Redis by every process."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from pydantic import SecretStr

from rolecall.app import create_app
from rolecall.config import Settings
from tests.factories import Tenant, open_job
from tests.platform.problems import assert_problem

REDIS = "redis://127.0.0.1:6379/0"
BOARD = "/v1/board/postings"


def parse(header: str) -> dict[str, Any]:
    """'"board";r=2;t=60' -> {"name": "board", "r": 2, "t": 60}."""
    name, *params = header.split(";")
    found: dict[str, Any] = {"name": name.strip('"')}
    for param in params:
        key, value = param.split("=")
        found[key] = int(value)
    return found


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"rate_limit_board_per_minute": 3, "rate_limit_client_per_minute": 5, "apply_rate_per_hour": 2}
    )


def client_for(app: FastAPI, address: str = "203.0.113.7") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 51000))
    return httpx.AsyncClient(transport=transport, base_url="http://rolecall.test")


async def test_board_answers_carry_the_policy_and_what_is_left_then_a_429(client: httpx.AsyncClient) -> None:
    for remaining in (2, 1, 0):
        response = await client.get(BOARD)
        assert response.status_code == 200, response.text
        assert response.headers["ratelimit-policy"] == '"board";q=3;w=60'
        state = parse(response.headers["ratelimit"])
        assert state["name"] == "board"
        assert state["r"] == remaining
        assert 0 < state["t"] <= 60

    refused = await client.get(BOARD)
    assert_problem(refused, 429)
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert parse(refused.headers["ratelimit"])["r"] == 0
    assert refused.headers["ratelimit-policy"] == '"board";q=3;w=60'


async def test_board_pages_and_feeds_count_too(app: FastAPI, client: httpx.AsyncClient) -> None:
    page = await client.get("/jobs")
    assert page.status_code == 200
    assert page.headers["ratelimit-policy"] == '"board";q=3;w=60'
    assert parse(page.headers["ratelimit"])["r"] == 2
    # The pages and the API count against the same address.
    assert parse((await client.get(BOARD)).headers["ratelimit"])["r"] == 1


async def test_addresses_and_api_clients_are_counted_apart(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    for _ in range(3):
        await client.get(BOARD)
    assert (await client.get(BOARD)).status_code == 429

    async with client_for(app, "198.51.100.20") as elsewhere:
        assert parse((await elsewhere.get(BOARD)).headers["ratelimit"])["r"] == 2

    # A caller with a valid token is counted as its API client (or user), on the client policy,
    # even from the exhausted address.
    signed = await client.get(BOARD, headers=tenant.headers)
    assert signed.status_code == 200
    assert signed.headers["ratelimit-policy"] == '"client";q=5;w=60'
    assert parse(signed.headers["ratelimit"])["r"] == 4
    # A token that does not verify is an anonymous caller.
    forged = await client.get(BOARD, headers={"Authorization": "Bearer not-a-token"})
    assert forged.status_code == 429


@pytest.mark.parametrize("trusted", [False, True])
async def test_the_address_behind_a_trusted_proxy_is_the_one_counted(
    trusted: bool, settings: Settings
) -> None:
    app = create_app(settings.model_copy(update={"trust_forwarded_for": trusted}))
    async with LifespanManager(app), client_for(app, "10.0.0.1") as proxy:

        async def left(forwarded: str) -> int:
            response = await proxy.get(BOARD, headers={"X-Forwarded-For": forwarded})
            return int(parse(response.headers["ratelimit"])["r"])

        assert await left("192.0.2.1") == 2
        # Another client behind the proxy; the spoofable first entry counts for nothing.
        assert await left("192.0.2.99, 192.0.2.2") == (2 if trusted else 1)
        assert await left("192.0.2.77, 192.0.2.1") == (1 if trusted else 0)


async def test_the_apply_form_shares_one_count_between_the_api_and_the_page(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    job = await open_job(client, app, tenant)
    posting = job["id"]
    api = await client.post(f"/v1/board/postings/{posting}/applications", data={"nothing": "here"})
    assert api.status_code in (400, 404, 422), api.text
    assert api.headers["ratelimit-policy"] == '"apply";q=2;w=3600'
    assert parse(api.headers["ratelimit"])["r"] == 1
    page = await client.post(f"/jobs/{posting}/apply", data={"nothing": "here"})
    assert page.headers["ratelimit-policy"] == '"apply";q=2;w=3600'
    refused = await client.post(f"/v1/board/postings/{posting}/applications", data={"nothing": "here"})
    assert_problem(refused, 429)
    assert int(refused.headers["retry-after"]) > 60
    refused_page = await client.post(f"/jobs/{posting}/apply", data={"nothing": "here"})
    assert refused_page.status_code == 429
    assert "retry-after" in refused_page.headers


async def test_the_openapi_document_declares_the_limits(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    for path, method in (
        ("/v1/board/postings", "get"),
        ("/v1/board/{org_slug}/feed.xml", "get"),
        ("/v1/board/postings/{posting_id}/application-form", "get"),
        ("/v1/board/postings/{posting_id}/applications", "post"),
    ):
        too_many = spec["paths"][path][method]["responses"]["429"]
        assert "application/problem+json" in too_many["content"], path
        assert {"RateLimit", "RateLimit-Policy", "Retry-After"} <= set(too_many["headers"]), path
    assert "429" not in spec["paths"]["/v1/candidates"]["get"]["responses"]


@pytest.fixture
async def redis_prefix() -> AsyncIterator[str]:
    prefix = f"rolecall-test-{uuid.uuid4().hex[:12]}"
    yield prefix
    connection = aioredis.from_url(REDIS)
    try:
        keys = [key async for key in connection.scan_iter(match=f"{prefix}*")]
        if keys:
            await connection.delete(*keys)
    finally:
        await connection.aclose()


async def test_two_processes_sharing_redis_share_the_count(settings: Settings, redis_prefix: str) -> None:
    shared = settings.model_copy(
        update={"redis_url": SecretStr(REDIS), "rate_limit_key_prefix": redis_prefix}
    )
    first, second = create_app(shared), create_app(shared)
    async with (
        LifespanManager(first),
        LifespanManager(second),
        client_for(first) as one,
        client_for(second) as two,
    ):
        assert parse((await one.get(BOARD)).headers["ratelimit"])["r"] == 2
        assert parse((await two.get(BOARD)).headers["ratelimit"])["r"] == 1
        assert parse((await one.get(BOARD)).headers["ratelimit"])["r"] == 0
        refused = await two.get(BOARD)
        assert_problem(refused, 429)
        assert 1 <= int(refused.headers["retry-after"]) <= 60
    connection = aioredis.from_url(REDIS)
    try:
        keys = [key.decode() async for key in connection.scan_iter(match=f"{redis_prefix}*")]
    finally:
        await connection.aclose()
    assert keys, "the count lives in Redis"
    assert not any(re.search(r"203\.0\.113", key) for key in keys), "addresses are not stored in clear"


async def test_an_unreachable_redis_lets_requests_through(settings: Settings) -> None:
    broken = settings.model_copy(update={"redis_url": SecretStr("redis://127.0.0.1:1/0")})
    app = create_app(broken)
    async with LifespanManager(app), client_for(app) as client:
        for _ in range(5):
            response = await client.get(BOARD)
            assert response.status_code == 200
            assert "ratelimit" not in response.headers


async def test_limits_can_be_switched_off(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"rate_limit_enabled": False}))
    async with LifespanManager(app), client_for(app) as client:
        for _ in range(5):
            assert (await client.get(BOARD)).status_code == 200
