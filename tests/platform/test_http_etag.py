"""Optimistic concurrency: strong ETags on reads, a mandatory, strongly compared If-Match on updates."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event
from sqlalchemy.util import await_only

from rolecall.config import Settings
from tests.factories import Tenant, create_user
from tests.platform.problems import assert_problem

Target = Callable[[httpx.AsyncClient, Tenant], Awaitable[tuple[str, dict[str, Any]]]]


async def organisation(client: httpx.AsyncClient, tenant: Tenant) -> tuple[str, dict[str, Any]]:
    return "/v1/organisation", {"name": "Renamed Ltd"}


async def user(client: httpx.AsyncClient, tenant: Tenant) -> tuple[str, dict[str, Any]]:
    user_id, _ = await create_user(client, tenant, "recruiter")
    return f"/v1/users/{user_id}", {"full_name": "Renamed Person"}


TARGETS = pytest.mark.parametrize("target", [organisation, user], ids=["organisation", "user"])


async def read(client: httpx.AsyncClient, tenant: Tenant, url: str) -> httpx.Response:
    response = await client.get(url, headers=tenant.headers)
    assert response.status_code == 200, response.text
    return response


async def patch(
    client: httpx.AsyncClient, tenant: Tenant, url: str, body: dict[str, Any], if_match: str | None
) -> httpx.Response:
    headers = dict(tenant.headers)
    if if_match is not None:
        headers["If-Match"] = if_match
    return await client.patch(url, headers=headers, json=body)


def assert_strong_etag(value: str) -> None:
    assert value.startswith('"')
    assert value.endswith('"')
    assert len(value) > 2


@TARGETS
async def test_a_missing_if_match_is_a_428_problem(
    client: httpx.AsyncClient, tenant: Tenant, target: Target
) -> None:
    url, body = await target(client, tenant)
    before = await read(client, tenant, url)

    for if_match in (None, "", "   "):
        assert_problem(await patch(client, tenant, url, body, if_match), 428, "precondition-required")

    after = await read(client, tenant, url)
    assert after.json() == before.json()
    assert after.headers["etag"] == before.headers["etag"]


@TARGETS
async def test_the_current_etag_is_accepted_and_replaced(
    client: httpx.AsyncClient, tenant: Tenant, target: Target
) -> None:
    url, body = await target(client, tenant)
    etag = (await read(client, tenant, url)).headers["etag"]
    assert_strong_etag(etag)

    response = await patch(client, tenant, url, body, etag)

    assert response.status_code == 200, response.text
    new_etag = response.headers["etag"]
    assert_strong_etag(new_etag)
    assert new_etag != etag
    reread = await read(client, tenant, url)
    assert reread.headers["etag"] == new_etag
    assert reread.json() == response.json()
    assert all(reread.json()[field] == value for field, value in body.items())


@TARGETS
async def test_a_stale_etag_is_a_412_problem_carrying_the_current_one(
    client: httpx.AsyncClient, tenant: Tenant, target: Target
) -> None:
    url, body = await target(client, tenant)
    stale = (await read(client, tenant, url)).headers["etag"]
    current = (await patch(client, tenant, url, body, stale)).headers["etag"]
    before = await read(client, tenant, url)

    response = await patch(client, tenant, url, {**body, **{k: "Lost Update" for k in body}}, stale)

    assert_problem(response, 412, "precondition-failed")
    assert response.headers["etag"] == current
    after = await read(client, tenant, url)
    assert after.json() == before.json()
    assert after.headers["etag"] == current


@TARGETS
async def test_a_weak_etag_never_matches(client: httpx.AsyncClient, tenant: Tenant, target: Target) -> None:
    url, body = await target(client, tenant)
    current = (await read(client, tenant, url)).headers["etag"]

    response = await patch(client, tenant, url, body, f"W/{current}")

    assert_problem(response, 412, "precondition-failed")
    assert (await read(client, tenant, url)).headers["etag"] == current


@TARGETS
async def test_a_wildcard_or_a_list_containing_the_current_etag_is_accepted(
    client: httpx.AsyncClient, tenant: Tenant, target: Target
) -> None:
    url, body = await target(client, tenant)
    first = await patch(client, tenant, url, body, "*")
    assert first.status_code == 200, first.text

    listed = await patch(client, tenant, url, body, f'"0000", {first.headers["etag"]}')
    assert listed.status_code == 200, listed.text
    assert listed.headers["etag"] != first.headers["etag"]


async def test_if_match_star_does_not_conjure_a_missing_user(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    missing = "/v1/users/01890000-0000-7000-8000-000000000000"
    assert_problem(await patch(client, tenant, missing, {"full_name": "Ghost"}, "*"), 404, "not-found")


@TARGETS
async def test_of_two_concurrent_editors_with_the_same_etag_exactly_one_wins(
    app: FastAPI,
    client: httpx.AsyncClient,
    tenant: Tenant,
    settings: Settings,
    target: Target,
) -> None:
    """Both hold the same ETag; the version check must happen in the UPDATE, not only in Python."""
    url, body = await target(client, tenant)
    etag = (await read(client, tenant, url)).headers["etag"]
    table = "organisations" if url == "/v1/organisation" else "users"

    # Make the race real: on PostgreSQL both requests have read the row and checked its version
    # before either writes. (SQLite serialises writers from their first statement, so there the
    # second request cannot even read until the first has committed.)
    both_read = asyncio.Barrier(2)
    engine = app.state.engine.sync_engine

    def rendezvous(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.startswith(f"UPDATE {table} "):
            await_only(asyncio.wait_for(both_read.wait(), timeout=5))

    if not settings.is_sqlite:
        event.listen(engine, "before_cursor_execute", rendezvous)
    try:
        responses = await asyncio.gather(
            patch(client, tenant, url, {k: "Editor One" for k in body}, etag),
            patch(client, tenant, url, {k: "Editor Two" for k in body}, etag),
        )
    finally:
        if not settings.is_sqlite:
            event.remove(engine, "before_cursor_execute", rendezvous)

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200, 412], [response.text for response in responses]
    winner = next(response for response in responses if response.status_code == 200)
    loser = next(response for response in responses if response.status_code == 412)
    assert_problem(loser, 412, "precondition-failed")
    final = await read(client, tenant, url)
    assert final.json() == winner.json()
    assert final.headers["etag"] == winner.headers["etag"]
