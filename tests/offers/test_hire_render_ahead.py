"""A hire takes one of the job's openings, which republishes its posting: the saga renders that
posting before the step's transaction, so a slow organisation template holds no database lock."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.factories import Tenant, deliver, open_job
from tests.jobs.test_render_ahead import _holds_no_lock
from tests.jobs.test_template_hardening import NESTED_LOOPS, _store_overrides
from tests.offers.support import application_at_offer, sent_offer
from tests.offers.test_hire_saga import _accept, _hire


async def test_the_hire_saga_renders_the_posting_before_it_takes_an_opening(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    job = await open_job(client, app, tenant, openings=2)
    application = await application_at_offer(client, app, tenant, job)
    offer = await sent_offer(client, tenant, application)
    await _accept(client, tenant, offer)
    await _store_overrides(sessionmaker, tenant, {"html.about_role": NESTED_LOOPS})

    async def delivered() -> None:
        await deliver(app)

    await _holds_no_lock(delivered(), sessionmaker, tenant, within=None)  # every handler runs: no time bound

    assert (await _hire(client, tenant, offer))["state"] == "completed"
    posting = (await client.get(f"/v1/board/postings/{job['id']}")).json()
    assert "About the role" in posting["description"]["html"]  # the built-in section took its place
    after = await client.get(f"/v1/jobs/{job['id']}", headers=tenant.headers)
    assert after.json()["status"] == "open"  # one of two openings taken
