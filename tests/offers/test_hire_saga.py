"""The hire saga: accepted offer → application hired → opening taken → team told; or compensated.

The crash tests kill the worker mid-saga (a BaseException, which nothing in the relay catches, as
when the process dies) and then run the relay again as a restarted worker would, once the lease
on the interrupted event has run out. Whatever the interruption, the end state is whole: the
application is hired exactly when an opening was consumed for it.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.jobs import service as jobs
from rolecall.offers import saga
from rolecall.offers.models import HireSaga
from rolecall.pipeline import service as pipeline
from rolecall.platform.auth import Principal
from rolecall.platform.db import transaction
from rolecall.platform.events.models import OutboxEvent
from rolecall.platform.tenancy import all_tenants, bind_organisation
from tests.conftest import FrozenClock
from tests.factories import Tenant, deliver, open_job
from tests.offers.support import application_at_offer, sent_offer


class WorkerKilled(BaseException):
    """The worker process dying: not an Exception, so no handler or relay code swallows it."""


async def _facts(
    app: FastAPI, tenant: Tenant, application: dict[str, Any]
) -> tuple[str, int, str, str | None]:
    """(application status, job hires, job status, job close reason), read fresh."""
    async with transaction(app.state.sessionmaker) as session:
        bind_organisation(session, tenant.organisation_id)
        system = Principal.acting_for("system", tenant.organisation_id)
        facts = await pipeline.application_facts(session, uuid.UUID(application["id"]))
        job = await jobs.get_job(session, system, uuid.UUID(application["job_id"]))
        return facts.status, job.hires, job.status, job.close_reason


async def _events(sessionmaker: async_sessionmaker[AsyncSession], event_type: str) -> list[OutboxEvent]:
    async with transaction(sessionmaker) as session:
        stmt = (
            select(OutboxEvent)
            .where(OutboxEvent.type == event_type)
            .order_by(OutboxEvent.id)
            .execution_options(**all_tenants())
        )
        return list((await session.scalars(stmt)).all())


async def _hire(client: httpx.AsyncClient, tenant: Tenant, offer: dict[str, Any]) -> dict[str, Any]:
    response = await client.get(f"/v1/offers/{offer['id']}/hire", headers=tenant.headers)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body: dict[str, Any] = response.json()
    return body


def _actions(hire: dict[str, Any]) -> list[tuple[str, str]]:
    return [(s["step"], s["outcome"]) for s in hire["steps"] if s["kind"] != "restart"]


async def _accept(client: httpx.AsyncClient, tenant: Tenant, offer: dict[str, Any]) -> None:
    response = await client.post(f"/v1/offers/{offer['id']}/accept", headers=tenant.headers)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "accepted"


def _kill_inside(monkeypatch: pytest.MonkeyPatch, *, after_work: bool) -> Callable[..., Awaitable[int]]:
    """Make the consume_opening step die: before touching the job, or after, before its commit."""
    real = jobs.consume_opening

    async def dying(session: AsyncSession, principal: Principal, job_id: uuid.UUID) -> int:
        if after_work:
            await real(session, principal, job_id)
        raise WorkerKilled

    monkeypatch.setattr(jobs, "consume_opening", dying)
    return real


async def test_accepted_offer_hires_fills_the_job_and_tells_the_team(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    job = await open_job(client, app, tenant, openings=2)
    application = await application_at_offer(client, app, tenant, job)
    other = await application_at_offer(client, app, tenant, job)
    offer = await sent_offer(client, tenant, application)

    await _accept(client, tenant, offer)
    started = await _hire(client, tenant, offer)
    assert started["state"] == "running"
    assert _actions(started) == []

    await deliver(app)

    hire = await _hire(client, tenant, offer)
    assert hire["state"] == "completed"
    assert hire["failure_reason"] is None
    assert _actions(hire) == [("mark_hired", "done"), ("consume_opening", "done"), ("notify", "done")]
    assert await _facts(app, tenant, application) == ("hired", 1, "open", None)
    [completed] = await _events(app.state.sessionmaker, "hire.completed")
    assert completed.data["schema_version"] == 1
    assert completed.data["saga_id"] == hire["id"]
    assert completed.data["openings_left"] == 1
    assert completed.data["remaining_application_ids"] == [other["id"]]

    await deliver(app)  # nothing left to do: redelivery and reruns change nothing
    assert await saga.run_saga(app.state.sessionmaker, uuid.UUID(hire["id"])) == "completed"
    assert await _facts(app, tenant, application) == ("hired", 1, "open", None)
    assert len(await _events(app.state.sessionmaker, "application.hired")) == 1


@pytest.mark.parametrize("after_work", [False, True], ids=["between-steps", "inside-step-2"])
async def test_worker_killed_mid_saga_completes_after_restart(
    client: httpx.AsyncClient,
    app: FastAPI,
    tenant: Tenant,
    clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
    after_work: bool,
) -> None:
    application = await application_at_offer(client, app, tenant)
    offer = await sent_offer(client, tenant, application)
    await _accept(client, tenant, offer)

    _kill_inside(monkeypatch, after_work=after_work)
    with pytest.raises(WorkerKilled):
        await deliver(app)

    # Step 1 committed with its log entry; step 2's work (if any) died with its transaction.
    interrupted = await _hire(client, tenant, offer)
    assert interrupted["state"] == "running"
    assert _actions(interrupted) == [("mark_hired", "done")]
    assert await _facts(app, tenant, application) == ("hired", 0, "open", None)

    monkeypatch.undo()  # the restarted worker runs the real code
    clock.advance(seconds=61)  # the dead worker's lease on the event runs out
    await deliver(app)

    hire = await _hire(client, tenant, offer)
    assert hire["state"] == "completed"
    assert _actions(hire) == [("mark_hired", "done"), ("consume_opening", "done"), ("notify", "done")]
    assert await _facts(app, tenant, application) == ("hired", 1, "closed", "filled")
    assert len(await _events(app.state.sessionmaker, "application.hired")) == 1
    assert len(await _events(app.state.sessionmaker, "hire.completed")) == 1


async def test_no_opening_left_compensates_after_restart(
    client: httpx.AsyncClient,
    app: FastAPI,
    tenant: Tenant,
    clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    job = await open_job(client, app, tenant)  # one opening
    first = await application_at_offer(client, app, tenant, job)
    second = await application_at_offer(client, app, tenant, job)
    first_offer = await sent_offer(client, tenant, first)
    second_offer = await sent_offer(client, tenant, second)
    await _accept(client, tenant, first_offer)
    await deliver(app)
    assert await _facts(app, tenant, first) == ("hired", 1, "closed", "filled")

    await _accept(client, tenant, second_offer)
    _kill_inside(monkeypatch, after_work=False)
    with pytest.raises(WorkerKilled):
        await deliver(app)
    assert (await _facts(app, tenant, second))[0] == "hired"  # half-way, for now

    monkeypatch.undo()
    clock.advance(seconds=61)
    await deliver(app)

    hire = await _hire(client, tenant, second_offer)
    assert hire["state"] == "compensated"
    assert "No opening left" in hire["failure_reason"]
    assert _actions(hire) == [
        ("mark_hired", "done"),
        ("consume_opening", "failed"),
        ("revert_hire", "done"),
    ]
    # Whole again: the second application is back at the offer stage, the job untouched.
    assert await _facts(app, tenant, second) == ("active", 1, "closed", "filled")
    assert await _facts(app, tenant, first) == ("hired", 1, "closed", "filled")
    reverted = await client.get(f"/v1/offers/{second_offer['id']}", headers=tenant.headers)
    assert reverted.json()["status"] == "approved"
    [failed] = await _events(app.state.sessionmaker, "hire.failed")
    assert failed.data == {
        "schema_version": 1,
        "offer_id": second_offer["id"],
        "application_id": second["id"],
        "job_id": job["id"],
        "candidate_id": second["candidate_id"],
        "status": "approved",
        "offer_version": 1,
        "saga_id": hire["id"],
        "failed_step": "consume_opening",
    }

    # Sent and accepted again, the same saga runs afresh (and, the job still full, compensates again).
    resent = await client.post(f"/v1/offers/{second_offer['id']}/send", headers=tenant.headers)
    assert resent.status_code == 200, resent.text
    await _accept(client, tenant, second_offer)
    assert (await _hire(client, tenant, second_offer))["state"] == "running"
    await deliver(app)
    rerun = await _hire(client, tenant, second_offer)
    assert rerun["id"] == hire["id"]
    assert rerun["state"] == "compensated"
    assert [s["kind"] for s in rerun["steps"]].count("restart") == 2
    assert _actions(rerun)[3:] == _actions(hire)
    assert await _facts(app, tenant, second) == ("active", 1, "closed", "filled")


async def test_run_saga_resumes_a_saga_whose_worker_died(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker function path: one transaction per step, restartable from the log."""
    application = await application_at_offer(client, app, tenant)
    offer = await sent_offer(client, tenant, application)
    await _accept(client, tenant, offer)
    saga_id = uuid.UUID((await _hire(client, tenant, offer))["id"])

    _kill_inside(monkeypatch, after_work=True)
    with pytest.raises(WorkerKilled):
        await saga.run_saga(app.state.sessionmaker, saga_id)
    assert await _facts(app, tenant, application) == ("hired", 0, "open", None)

    monkeypatch.undo()
    assert await saga.run_saga(app.state.sessionmaker, saga_id) == "completed"
    assert await _facts(app, tenant, application) == ("hired", 1, "closed", "filled")
    await deliver(app)  # the queued offer.accepted finds nothing left to do
    async with transaction(app.state.sessionmaker) as session:
        bind_organisation(session, tenant.organisation_id)
        row = await session.get(HireSaga, saga_id)
        assert row is not None
        assert [s["step"] for s in saga.current_run(row)] == ["mark_hired", "consume_opening", "notify"]
    assert await _facts(app, tenant, application) == ("hired", 1, "closed", "filled")


async def test_hire_of_an_offer_never_accepted_is_404(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, other_tenant: Tenant
) -> None:
    application = await application_at_offer(client, app, tenant)
    offer = await sent_offer(client, tenant, application)
    response = await client.get(f"/v1/offers/{offer['id']}/hire", headers=tenant.headers)
    assert response.status_code == 404
    await _accept(client, tenant, offer)
    assert (await client.get(f"/v1/offers/{offer['id']}/hire", headers=tenant.headers)).status_code == 200
    foreign = await client.get(f"/v1/offers/{offer['id']}/hire", headers=other_tenant.headers)
    assert foreign.status_code == 404


async def test_sweep_finishes_stalled_sagas(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A saga whose event is stuck (leased by a dead worker, or out of attempts) is finished by the sweep."""
    application = await application_at_offer(client, app, tenant)
    offer = await sent_offer(client, tenant, application)
    await _accept(client, tenant, offer)
    _kill_inside(monkeypatch, after_work=False)
    with pytest.raises(WorkerKilled):
        await deliver(app)
    monkeypatch.undo()

    assert await saga.resume_sagas(app.state.sessionmaker) == 0  # not stalled long enough yet
    assert await saga.resume_sagas(app.state.sessionmaker, stalled_for=timedelta(0)) == 1
    assert (await _hire(client, tenant, offer))["state"] == "completed"
    assert await _facts(app, tenant, application) == ("hired", 1, "closed", "filled")


async def test_metrics_show_a_running_saga_and_its_age(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, clock: FrozenClock
) -> None:
    from tests.offers.support import application_at_offer, sent_offer

    def gauge(text: str, name: str) -> float:
        return next(float(line.split()[1]) for line in text.splitlines() if line.startswith(name + " "))

    application = await application_at_offer(client, app, tenant)
    offer = await sent_offer(client, tenant, application)
    accepted = await client.post(f"/v1/offers/{offer['id']}/accept", headers=tenant.headers)
    assert accepted.status_code == 200, accepted.text
    clock.advance(minutes=3)  # the saga's events are not delivered: it stays running
    metrics = (await client.get("/metrics")).text
    assert gauge(metrics, "rolecall_hire_sagas_running") == 1
    assert gauge(metrics, "rolecall_hire_saga_oldest_running_seconds") >= 180
    await deliver(app)
    metrics = (await client.get("/metrics")).text
    assert gauge(metrics, "rolecall_hire_sagas_running") == 0
    assert gauge(metrics, "rolecall_hire_saga_oldest_running_seconds") == 0
