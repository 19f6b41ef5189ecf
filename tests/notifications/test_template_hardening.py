"""E-mail template overrides under attack: runaway templates are stopped within the render budget
(at save, in a preview and at send time, where the default takes over), a slow template holds no
database lock while the sender renders it, and an override's HTML cannot carry script or unsafe
links."""

from __future__ import annotations

import asyncio
import time

import httpx
from fastapi import FastAPI
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.jobs.models import JobSettings
from rolecall.notifications.models import NotificationTemplate
from rolecall.notifications.rendering import RENDER_BUDGET
from rolecall.platform.db import transaction
from rolecall.platform.tenancy import bind_organisation
from tests.factories import Tenant, apply_form, open_job
from tests.notifications.conftest import Inbox, send
from tests.platform.problems import assert_problem

PATH = "/v1/notifications/templates/application_received"
# A billion iterations that write almost nothing: only the time budget can stop it. (Writing `{{ a }}`
# in the innermost loop, a fast machine reaches the memory budget within the test's first half second.)
NESTED_LOOPS = (
    "{% for a in range(1000) %}{% for b in range(1000) %}{% for c in range(1000) %}"
    "{% endfor %}{% endfor %}{{ a }}{% endfor %}"
)
DEADLINE = RENDER_BUDGET.seconds + 3.0
QUICK = 1.0
HOSTILE_HTML = (
    "<p>Dear {{ recipient_name }}</p><script>alert('x1')</script>"
    '<img src="https://example.com/a.png" onerror="alert(\'x2\')">'
    '<a href="javascript:alert(\'x3\')">click</a> <a href="{{ status_link }}">status</a>'
)


def _template(text: str, html: str | None = None) -> dict[str, str | None]:
    return {"subject": "Hello {{ recipient_name }}", "text": text, "html": html}


async def _write_meanwhile(sessionmaker: async_sessionmaker[AsyncSession], tenant: Tenant) -> float:
    began = time.monotonic()
    async with transaction(sessionmaker) as session:
        bind_organisation(session, tenant.organisation_id)
        await session.execute(update(JobSettings).values(careers_intro="Written meanwhile."))
    return time.monotonic() - began


def _assert_clean(html: str) -> None:
    for forbidden in ("alert(", "onerror", "javascript:", "<script"):
        assert forbidden not in html, forbidden


async def test_a_runaway_template_is_refused_at_save_while_the_api_carries_on(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    began = time.monotonic()
    saving = asyncio.create_task(client.put(PATH, headers=tenant.headers, json=_template(NESTED_LOOPS)))
    await asyncio.sleep(0.5)
    asked = time.monotonic()
    assert (await client.get("/v1/notifications/templates", headers=tenant.headers)).status_code == 200
    assert time.monotonic() - asked < QUICK
    assert await _write_meanwhile(sessionmaker, tenant) < QUICK
    assert not saving.done()

    body = assert_problem(await saving, 422, "unprocessable")
    assert time.monotonic() - began < DEADLINE
    assert "budget" in body["errors"][0]["message"]
    assert (await client.get(PATH, headers=tenant.headers)).json()["overridden"] is False


async def test_ways_around_escaping_and_memory_bombs_are_refused(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    cases = {
        "<p>{{ recipient_name|safe }}</p>": "not allowed",
        "{% autoescape false %}<p>{{ recipient_name }}</p>{% endautoescape %}": "not allowed",
        '<p>{{ "x"|center(1500000000) }}</p>': "memory",
    }
    for html, expected in cases.items():
        response = await client.put(PATH, headers=tenant.headers, json=_template("Hi", html))
        body = assert_problem(response, 422, "unprocessable")
        assert expected in body["errors"][0]["message"], html


async def test_an_overrides_html_loses_script_and_unsafe_links(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, inbox: Inbox
) -> None:
    template = _template("Dear {{ recipient_name }}: {{ status_link }}", HOSTILE_HTML)
    preview = await client.post(f"{PATH}/preview", headers=tenant.headers, json=template)
    assert preview.status_code == 200, preview.text
    _assert_clean(preview.json()["html"])
    assert 'href="https://jobs.example.com/status/EXAMPLE-LINK"' in preview.json()["html"]
    assert (await client.put(PATH, headers=tenant.headers, json=template)).status_code == 200

    job = await open_job(client, app, tenant)
    form = apply_form(email="ada@example.com", full_name="Ada")
    assert (await client.post(f"/v1/board/postings/{job['id']}/applications", **form)).status_code == 202
    await send(app)

    (message,) = inbox.to("ada@example.com")
    html = message.get_body(preferencelist=("html",))
    assert html is not None
    _assert_clean(html.get_content())
    assert "Dear Ada" in html.get_content()
    assert 'rel="noopener nofollow"' in html.get_content()


async def test_a_runaway_template_at_send_time_holds_no_lock_and_the_default_goes_out(
    client: httpx.AsyncClient,
    app: FastAPI,
    tenant: Tenant,
    inbox: Inbox,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async with transaction(sessionmaker) as session:  # stored past the API's check, as if long ago
        bind_organisation(session, tenant.organisation_id)
        session.add(
            NotificationTemplate(
                name="application_received",
                language="en",
                subject="Slow",
                text=NESTED_LOOPS,
                updated_by="test",
            )
        )
    job = await open_job(client, app, tenant)
    form = apply_form(email="grace@example.com", full_name="Grace")
    assert (await client.post(f"/v1/board/postings/{job['id']}/applications", **form)).status_code == 202

    began = time.monotonic()
    sending = asyncio.create_task(send(app))
    await asyncio.sleep(0.5)
    assert await _write_meanwhile(sessionmaker, tenant) < QUICK
    assert not sending.done()
    assert await sending >= 1
    assert time.monotonic() - began < DEADLINE

    (message,) = inbox.to("grace@example.com")
    assert message["Subject"] != "Slow"  # the packaged default replaced the runaway override
