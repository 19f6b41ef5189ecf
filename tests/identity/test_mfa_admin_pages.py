"""Admins manage two-step sign-in from the settings: require it for the organisation on the
sign-in security page, and reset a colleague's factor on the staff page (same service functions and
audit as PATCH /v1/organisation and DELETE /v1/users/{id}/mfa)."""

from __future__ import annotations

import re

import httpx

from tests.conftest import FrozenClock
from tests.factories import Tenant, login
from tests.identity.mfa_support import enrol
from tests.identity.test_mfa_pages import _password_step
from tests.web.support import create_staff, csrf_of, sign_in

_VERSION = re.compile(r'name="version" value="(\d+)"')


async def _organisation(client: httpx.AsyncClient, tenant: Tenant) -> dict[str, object]:
    response = await client.get("/v1/organisation", headers=tenant.headers)
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


async def test_an_admin_requires_two_step_sign_in_and_the_next_sign_in_asks_to_enrol(
    client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant
) -> None:
    _, email = await create_staff(client, tenant, "recruiter")
    await sign_in(pages, tenant.admin_email)
    settings = await pages.get("/app/settings")
    assert 'href="/app/settings/security"' in settings.text
    page = await pages.get("/app/settings/security")
    assert page.status_code == 200
    version = _VERSION.search(page.text)
    assert version

    saved = await pages.post(
        "/app/settings/security",
        data={"csrf_token": csrf_of(page.text), "version": version.group(1), "require_mfa": "true"},
    )

    assert saved.status_code == 303, saved.text
    assert (await _organisation(client, tenant))["require_mfa"] is True
    shown = await pages.get("/app/settings/security")
    assert "Two-step sign-in is now required." in shown.text
    assert re.search(r'value="true" checked', shown.text)
    audit = await client.get(
        "/v1/audit-events", headers=tenant.headers, params={"action": "organisation.updated"}
    )
    assert any("require_mfa" in e["details"].get("changed_fields", []) for e in audit.json()["items"])

    recruiter = httpx.AsyncClient(transport=pages._transport, base_url="https://rolecall.test")
    async with recruiter:
        step = await _password_step(recruiter, email, "/app")
    assert step.headers["location"] == "/app/login/mfa/enrol?next=/app"


async def test_a_stale_security_form_is_reported_and_saves_nothing(
    client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant
) -> None:
    await sign_in(pages, tenant.admin_email)
    page = await pages.get("/app/settings/security")
    current = await client.get("/v1/organisation", headers=tenant.headers)
    renamed = await client.patch(
        "/v1/organisation",
        headers={**tenant.headers, "If-Match": current.headers["etag"]},
        json={"name": "Acme Renamed"},
    )
    assert renamed.status_code == 200
    version = _VERSION.search(page.text)
    assert version

    stale = await pages.post(
        "/app/settings/security",
        data={"csrf_token": csrf_of(page.text), "version": version.group(1), "require_mfa": "true"},
    )

    assert stale.status_code == 409
    assert "Someone else changed this setting" in stale.text
    assert (await _organisation(client, tenant))["require_mfa"] is False


async def test_only_admins_reach_the_security_page(
    client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant
) -> None:
    _, email = await create_staff(client, tenant, "recruiter")
    await sign_in(pages, email)
    assert (await pages.get("/app/settings/security")).status_code == 403
    refused = await pages.post(
        "/app/settings/security",
        data={
            "csrf_token": csrf_of((await pages.get("/app/account")).text),
            "version": "1",
            "require_mfa": "true",
        },
    )
    assert refused.status_code == 403
    assert (await _organisation(client, tenant))["require_mfa"] is False


async def test_an_admin_resets_a_colleagues_second_factor_from_the_staff_page(
    client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant, clock: FrozenClock
) -> None:
    user_id, email = await create_staff(client, tenant, "hiring_manager")
    await enrol(client, (await login(client, email))["access_token"], clock)
    await sign_in(pages, tenant.admin_email)
    staff = await pages.get("/app/settings/users")
    reset_form = f'action="/app/settings/users/{user_id}/mfa-reset"'
    assert reset_form in staff.text
    assert f'action="/app/settings/users/{tenant.admin_id}/mfa-reset"' not in staff.text  # not for oneself

    reset = await pages.post(
        f"/app/settings/users/{user_id}/mfa-reset", data={"csrf_token": csrf_of(staff.text)}
    )

    assert reset.status_code == 303, reset.text
    after = await pages.get("/app/settings/users")
    assert "is reset and their sign-ins have ended" in after.text
    assert reset_form not in after.text
    audit = await client.get("/v1/audit-events", headers=tenant.headers, params={"action": "user.mfa_reset"})
    assert [e["target_id"] for e in audit.json()["items"]] == [user_id]
    # Their next password sign-in needs no code: the factor is gone.
    colleague = httpx.AsyncClient(transport=pages._transport, base_url="https://rolecall.test")
    async with colleague:
        step = await _password_step(colleague, email, "/app")
    assert step.headers["location"] == "/app"


async def test_a_recruiter_cannot_reset_a_second_factor_from_the_pages(
    client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant, clock: FrozenClock
) -> None:
    user_id, email = await create_staff(client, tenant, "hiring_manager")
    await enrol(client, (await login(client, email))["access_token"], clock)
    _, recruiter = await create_staff(client, tenant, "recruiter")
    await sign_in(pages, recruiter)
    account = await pages.get("/app/account")

    refused = await pages.post(
        f"/app/settings/users/{user_id}/mfa-reset", data={"csrf_token": csrf_of(account.text)}
    )

    assert refused.status_code == 403
    status = await client.get(f"/v1/users/{user_id}", headers=tenant.headers)
    assert status.status_code == 200
    audit = await client.get("/v1/audit-events", headers=tenant.headers, params={"action": "user.mfa_reset"})
    assert audit.json()["items"] == []
