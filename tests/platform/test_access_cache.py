"""A restricted staff member's hiring teams are looked up at most once a second per process, and at
once again after a job is written through the same process (rolecall.platform.access._Teams).
"""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from rolecall.jobs.models import Job
from rolecall.platform import access
from tests.factories import Tenant
from tests.test_need_to_know import two_jobs
from tests.web.support import counted_statements


async def test_taken_off_a_team_through_the_api_the_job_is_gone_on_the_next_request(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    setup = await two_jobs(client, app, tenant)
    path = f"/v1/jobs/{setup['job_a']['id']}"
    assert (await client.get(path, headers=setup["manager"])).status_code == 200
    current = await client.get(path, headers=tenant.headers)
    team = [member for member in current.json()["hiring_team"] if member["user_id"] != setup["manager_id"]]
    changed = await client.patch(
        path, headers={**tenant.headers, "If-Match": current.headers["etag"]}, json={"hiring_team": team}
    )
    assert changed.status_code == 200, changed.text
    assert (await client.get(path, headers=setup["manager"])).status_code == 404


async def test_taken_off_a_team_elsewhere_the_job_is_gone_within_a_second(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    setup = await two_jobs(client, app, tenant)
    path = f"/v1/jobs/{setup['job_a']['id']}"
    assert (await client.get(path, headers=setup["manager"])).status_code == 200
    async with app.state.engine.begin() as connection:  # another process: no event of this one sees it
        await connection.execute(
            update(Job.__table__)
            .where(Job.__table__.c.id == uuid.UUID(setup["job_a"]["id"]))
            .values(hiring_team=[])
        )
    await asyncio.sleep(1.05)
    assert (await client.get(path, headers=setup["manager"])).status_code == 404


async def test_the_team_query_runs_once_for_many_requests(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    setup = await two_jobs(client, app, tenant)
    monkeypatch.setattr(access._Teams, "ttl", 60.0)  # a slow machine must not age the answer out mid-test
    path = f"/v1/jobs/{setup['job_a']['id']}"
    assert (await client.get(path, headers=setup["manager"])).status_code == 200
    with counted_statements(app) as statements:
        for _ in range(3):
            assert (await client.get(path, headers=setup["manager"])).status_code == 200
    team_queries = [
        s for s in statements if "hiring_team" in s and s.lstrip().upper().startswith("SELECT JOBS.ID")
    ]
    assert team_queries == [], team_queries
