"""Template overrides: read, replace, preview, the sandbox, languages, and the fall-back at send time."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.notifications.models import NotificationTemplate
from rolecall.platform.db import transaction
from rolecall.platform.tenancy import bind_organisation
from tests.factories import Tenant, apply_form, create_user, open_job
from tests.mail import text_of
from tests.notifications.conftest import Inbox, send
from tests.platform.problems import assert_problem

PATH = "/v1/notifications/templates/application_received"
OVERRIDE = {
    "subject": "Thanks, {{ recipient_name }}!",
    "text": "Dear {{ recipient_name }},\n\nyour application for {{ job_title }}: {{ status_link }}\n",
    "html": '<p>Dear {{ recipient_name }}, <a href="{{ status_link }}">your application</a></p>',
}


async def _apply(client: httpx.AsyncClient, job: dict[str, str], name: str, email: str) -> None:
    form = apply_form(email=email, full_name=name)
    assert (await client.post(f"/v1/board/postings/{job['id']}/applications", **form)).status_code == 202


async def test_an_override_is_previewed_saved_and_used_with_html_escaped(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, inbox: Inbox
) -> None:
    default = await client.get(PATH, headers=tenant.headers)
    assert default.status_code == 200, default.text
    assert (default.json()["overridden"], default.json()["language"]) == (False, "en")
    assert "status_link" in default.json()["variables"]
    assert "{{ status_link }}" in default.json()["text"]

    preview = await client.post(f"{PATH}/preview", headers=tenant.headers, json=OVERRIDE)
    assert preview.status_code == 200, preview.text
    assert preview.json()["subject"] == "Thanks, Alex Example!"
    assert "https://jobs.example.com/status/EXAMPLE-LINK" in preview.json()["text"]

    saved = await client.put(PATH, headers=tenant.headers, json=OVERRIDE)
    assert (saved.status_code, saved.json()["overridden"]) == (200, True)
    assert (await client.get(PATH, headers=tenant.headers)).json()["subject"] == OVERRIDE["subject"]

    job = await open_job(client, app, tenant)
    await _apply(client, job, "<b>Mallory</b>", "mallory@example.com")
    await send(app)
    (message,) = inbox.to("mallory@example.com")
    assert message["Subject"] == "Thanks, <b>Mallory</b>!"  # a subject is text
    html = message.get_body(preferencelist=("html",))
    assert html is not None
    assert "&lt;b&gt;Mallory&lt;/b&gt;" in html.get_content()  # HTML is autoescaped
    assert "<b>Mallory</b>" not in html.get_content()

    # Back to the default.
    assert (await client.delete(PATH, headers=tenant.headers)).status_code == 204
    assert (await client.get(PATH, headers=tenant.headers)).json()["overridden"] is False


async def test_the_sandbox_refuses_an_escape_and_oversized_or_broken_templates(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    escapes = [
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
        "{% for c in [].__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
        "{{ status_link.__class__.__init__.__globals__ }}",
    ]
    for source in escapes:
        response = await client.put(PATH, headers=tenant.headers, json={**OVERRIDE, "text": source})
        assert_problem(response, 422)
        preview = await client.post(
            f"{PATH}/preview", headers=tenant.headers, json={**OVERRIDE, "text": source}
        )
        assert_problem(preview, 422)
    assert_problem(await client.put(PATH, headers=tenant.headers, json={**OVERRIDE, "text": "{% if %}"}), 422)
    huge = {**OVERRIDE, "text": "{% for i in range(100000) %}xxxxxxxxxx{% endfor %}"}
    assert_problem(await client.put(PATH, headers=tenant.headers, json=huge), 422)
    assert (await client.get(PATH, headers=tenant.headers)).json()["overridden"] is False
    assert_problem(await client.get("/v1/notifications/templates/nope", headers=tenant.headers), 404)


async def test_a_broken_override_falls_back_to_the_default_at_send_time(
    client: httpx.AsyncClient,
    app: FastAPI,
    tenant: Tenant,
    inbox: Inbox,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async with transaction(sessionmaker) as session:  # written past the API's check, as if stored long ago
        bind_organisation(session, tenant.organisation_id)
        session.add(
            NotificationTemplate(
                name="application_received",
                language="en",
                subject="Broken",
                text="{{ recipient_name.__class__.__mro__[1].__subclasses__() }}",
                updated_by="test",
            )
        )
    job = await open_job(client, app, tenant)
    await _apply(client, job, "Grace Hopper", "grace@example.com")
    await send(app)
    (message,) = inbox.to("grace@example.com")
    assert message["Subject"] == f"We received your application for {job['title']}"


async def test_the_organisation_language_picks_the_german_defaults(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, inbox: Inbox
) -> None:
    changed = await client.put("/v1/notifications/settings", headers=tenant.headers, json={"language": "de"})
    assert (changed.status_code, changed.json()["language"]) == (200, "de")
    assert_problem(
        await client.put("/v1/notifications/settings", headers=tenant.headers, json={"language": "xx"}), 422
    )
    job = await open_job(client, app, tenant)
    await _apply(client, job, "Grete Beispiel", "grete@example.com")
    await send(app)
    (message,) = inbox.to("grete@example.com")
    assert message["Subject"] == f"Ihre Bewerbung als {job['title']} ist eingegangen"
    assert message["Content-Language"] == "de"
    assert "Guten Tag Grete Beispiel" in text_of(message)


async def test_recruiters_read_templates_and_only_admins_change_them(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    _, recruiter = await create_user(client, tenant, "recruiter")
    _, interviewer = await create_user(client, tenant, "interviewer")
    as_recruiter = {"Authorization": f"Bearer {recruiter}"}
    assert (await client.get(PATH, headers=as_recruiter)).status_code == 200
    assert_problem(await client.put(PATH, headers=as_recruiter, json=OVERRIDE), 403)
    assert_problem(await client.get(PATH, headers={"Authorization": f"Bearer {interviewer}"}), 403)
