"""Openings taken by hires: the last one closes the job as filled, and giving one back reopens it."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from rolecall.jobs import service
from rolecall.platform.auth import Principal
from rolecall.platform.db import transaction
from rolecall.platform.errors import Conflict
from rolecall.platform.tenancy import bind_organisation
from tests.factories import Tenant, job_events, open_job


async def _run(app: FastAPI, tenant: Tenant, fn: Any, job: dict[str, Any]) -> int:
    """One service call in its own committed transaction, as the hire saga makes it."""
    async with transaction(app.state.sessionmaker) as session:
        bind_organisation(session, tenant.organisation_id)
        system = Principal.acting_for("system", tenant.organisation_id)
        left: int = await fn(session, system, uuid.UUID(job["id"]))
        return left


async def _job(client: httpx.AsyncClient, tenant: Tenant, job: dict[str, Any]) -> dict[str, Any]:
    response = await client.get(f"/v1/jobs/{job['id']}", headers=tenant.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_last_opening_closes_the_job_and_restoring_reopens_it(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    job = await open_job(client, app, tenant, openings=2)

    assert await _run(app, tenant, service.consume_opening, job) == 1
    assert (await _job(client, tenant, job))["status"] == "open"
    assert await _run(app, tenant, service.consume_opening, job) == 0
    closed = await _job(client, tenant, job)
    assert (closed["status"], closed["close_reason"], closed["openings"]) == ("closed", "filled", 2)
    with pytest.raises(Conflict, match="No opening left"):
        await _run(app, tenant, service.consume_opening, job)

    assert await _run(app, tenant, service.restore_opening, job) == 1
    reopened = await _job(client, tenant, job)
    assert (reopened["status"], reopened["close_reason"], reopened["closed_at"]) == ("open", None, None)
    assert await _run(app, tenant, service.restore_opening, job) == 2
    assert await _run(app, tenant, service.restore_opening, job) == 2  # nothing taken, nothing to give

    types = [event.type for event in await job_events(app.state.sessionmaker, job["id"])]
    # opened, one taken, last one taken (closed), one given back (reopened), the other given back
    assert types[1:] == ["job.opened", "job.updated", "job.closed", "job.opened", "job.updated"]


async def test_a_job_closed_for_another_reason_has_no_opening(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    job = await open_job(client, app, tenant, openings=3)
    assert await _run(app, tenant, service.consume_opening, job) == 2
    response = await client.post(
        f"/v1/jobs/{job['id']}/close", headers=tenant.headers, json={"reason": "cancelled"}
    )
    assert response.status_code == 200, response.text
    with pytest.raises(Conflict):
        await _run(app, tenant, service.consume_opening, job)
    assert await _run(app, tenant, service.restore_opening, job) == 3
    assert (await _job(client, tenant, job))["status"] == "closed"  # only a "filled" close is undone
