"""A new organisation's careers board answers from the start, before anyone reads the job settings."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.factories import create_tenant, deliver


async def test_a_new_organisations_board_is_live_without_reading_the_settings(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    tenant = await create_tenant(client, sessionmaker, "Brand New Co")
    await deliver(app)  # what the worker (or the API's embedded one) does within seconds
    # Nobody has called /v1/job-settings: the board, its feed and the careers page still answer.
    board = await client.get("/v1/board/brand-new-co/postings")
    assert board.status_code == 200, board.text
    assert board.json()["items"] == []
    assert (await client.get("/v1/board/brand-new-co/feed.xml")).status_code == 200
    assert (await client.get("/careers/brand-new-co")).status_code == 200
    # The address is the one the settings then report, and reading them creates nothing new.
    settings = await client.get("/v1/job-settings", headers=tenant.headers)
    assert settings.status_code == 200, settings.text
    assert settings.json()["board_slug"] == "brand-new-co"
    assert settings.json()["version"] == 1


async def test_a_second_organisation_of_the_same_name_gets_its_own_board(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    first = await create_tenant(client, sessionmaker, "Same Name")
    second = await create_tenant(client, sessionmaker, "Same Name")
    await deliver(app)
    await deliver(app)  # a redelivery changes nothing
    slugs = [
        (await client.get("/v1/job-settings", headers=tenant.headers)).json()["board_slug"]
        for tenant in (first, second)
    ]
    assert sorted(slugs) == ["same-name", "same-name-2"]
    for slug in slugs:
        assert (await client.get(f"/v1/board/{slug}/postings")).status_code == 200


async def test_the_worker_and_a_first_read_creating_the_settings_at_once_both_succeed(
    app: FastAPI, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    # The live server's embedded worker and an admin's first GET /v1/job-settings raced to insert
    # the row: the loser answered 500 (seen in the browser tests on PostgreSQL).
    import asyncio

    tenant = await create_tenant(client, sessionmaker, "Racing Co")
    reads = [client.get("/v1/job-settings", headers=tenant.headers) for _ in range(4)]
    answers = await asyncio.gather(deliver(app), *reads)
    for answer in answers[1:]:
        assert answer.status_code == 200, answer.text
        assert answer.json()["board_slug"] == "racing-co"
