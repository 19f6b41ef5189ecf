"""Every way a posting gets published renders the organisation's templates before its write.

A runaway override is stored directly (as one saved before save-time checks existed), so each
publication below spends a whole render budget on it. While it does, another writer must get the
database at once (on SQLite that means the one writer lock is free), and the publication must spend
that budget once, ahead of its write, not again inside it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from typing import TypeVar

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.jobs.description.budgeted import RENDER_BUDGET
from tests.factories import Tenant, create_job, deliver, open_job
from tests.jobs.test_pages import form_values
from tests.jobs.test_settings_pages import _form_values as settings_form_values
from tests.jobs.test_template_hardening import NESTED_LOOPS, QUICK, _store_overrides, _write_meanwhile
from tests.web.support import sign_in

T = TypeVar("T")
ONE_BUDGET = 2 * RENDER_BUDGET.seconds  # one budget plus start-up; two budgets would exceed it


async def _holds_no_lock(
    publish: Awaitable[T],
    sessionmaker: async_sessionmaker[AsyncSession],
    tenant: Tenant,
    *,
    within: float | None = ONE_BUDGET,
) -> T:
    """Run ``publish`` while another writer commits again and again; each must get through at once."""
    began = time.monotonic()
    publishing = asyncio.ensure_future(publish)
    waits: list[float] = []
    while not publishing.done():
        await asyncio.sleep(0.2)
        waits.append(await _write_meanwhile(sessionmaker, tenant))
    result = await publishing
    assert len(waits) >= 3, waits  # the render ran long enough for the writes to say something
    assert max(waits) < QUICK, waits
    if within is not None:  # a single render, not one before the write and another inside it
        assert time.monotonic() - began < within
    return result


async def test_a_first_opening_renders_once_before_its_write(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    job = await create_job(client, tenant)
    await _store_overrides(sessionmaker, tenant, {"html.about_role": NESTED_LOOPS})

    opened = await _holds_no_lock(
        client.post(f"/v1/jobs/{job['id']}/open", headers=tenant.headers), sessionmaker, tenant
    )

    assert opened.status_code == 200, opened.text
    await deliver(app)
    posting = (await client.get(f"/v1/board/postings/{job['id']}")).json()
    assert "About the role" in posting["description"]["html"]  # the built-in section took its place
    assert posting["published_at"].startswith(opened.json()["first_opened_at"][:19])


async def test_the_editors_save_and_open_buttons_render_before_their_writes(
    client: httpx.AsyncClient,
    pages: httpx.AsyncClient,
    app: FastAPI,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    live = await open_job(client, app, tenant)
    draft = await create_job(client, tenant, live["role_profile_id"])
    await sign_in(pages, tenant.admin_email)
    values = form_values((await pages.get(f"/app/jobs/{live['id']}")).text)
    csrf = values["csrf_token"]
    await _store_overrides(sessionmaker, tenant, {"html.about_role": NESTED_LOOPS})

    values["department"] = "Robotics"
    saved = await _holds_no_lock(pages.post(f"/app/jobs/{live['id']}", data=values), sessionmaker, tenant)
    opened = await _holds_no_lock(
        pages.post(f"/app/jobs/{draft['id']}/open", data={"csrf_token": csrf}), sessionmaker, tenant
    )

    assert saved.status_code == 303, saved.text
    assert opened.status_code == 303, opened.text
    after = {j["id"]: j for j in (await client.get("/v1/jobs", headers=tenant.headers)).json()["items"]}
    assert after[live["id"]]["department"] == "Robotics"
    assert after[draft["id"]]["status"] == "open"
    assert "Job opened." in (await pages.get(f"/app/jobs/{draft['id']}")).text


async def test_the_settings_pages_render_the_postings_they_republish_before_their_writes(
    client: httpx.AsyncClient,
    pages: httpx.AsyncClient,
    app: FastAPI,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await open_job(client, app, tenant)
    await sign_in(pages, tenant.admin_email)
    careers = settings_form_values((await pages.get("/app/settings/careers")).text)
    await _store_overrides(sessionmaker, tenant, {"html.about_role": NESTED_LOOPS})

    careers["about"] = "We build robots that build robots."
    saved = await _holds_no_lock(pages.post("/app/settings/careers", data=careers), sessionmaker, tenant)

    assert saved.status_code == 303, saved.text
    settings = (await client.get("/v1/job-settings", headers=tenant.headers)).json()
    assert settings["about"] == "We build robots that build robots."


async def test_the_worker_renders_before_it_republishes_after_an_organisation_change(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    job = await open_job(client, app, tenant)
    await _store_overrides(sessionmaker, tenant, {"html.about_role": NESTED_LOOPS})
    current = await client.get("/v1/organisation", headers=tenant.headers)
    renamed = await client.patch(
        "/v1/organisation",
        headers={**tenant.headers, "If-Match": current.headers["etag"]},
        json={"name": "Acme Robotics Renamed"},
    )
    assert renamed.status_code == 200, renamed.text

    async def delivered() -> None:
        await deliver(app)

    # The whole delivery runs every handler of the change, so only the lock is checked, not the time.
    await _holds_no_lock(delivered(), sessionmaker, tenant, within=None)

    posting = (await client.get(f"/v1/board/postings/{job['id']}")).json()
    assert posting["organisation"]["name"] == "Acme Robotics Renamed"
    assert "About the role" in posting["description"]["html"]
