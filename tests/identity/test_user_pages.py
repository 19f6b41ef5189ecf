"""The staff page of the settings: listing, adding and changing people through the identity service."""

from __future__ import annotations

import re

import httpx

from tests.factories import PASSWORD, Tenant, login
from tests.web.support import create_staff, csrf_of, sign_in


async def test_an_admin_adds_a_person_who_can_then_sign_in(
    client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant
) -> None:
    csrf = await sign_in(pages, tenant.admin_email)

    added = await pages.post(
        "/app/settings/users",
        data={
            "csrf_token": csrf,
            "full_name": "Ivy <Interviewer>",
            "email": "ivy@example.com",
            "password": PASSWORD,
            "roles": ["interviewer"],
        },
    )

    assert added.status_code == 303, added.text
    listing = await pages.get("/app/settings/users")
    assert "Ivy &lt;Interviewer&gt;" in listing.text
    assert (await login(client, "ivy@example.com"))["access_token"]


async def test_a_refused_person_keeps_what_was_typed(pages: httpx.AsyncClient, tenant: Tenant) -> None:
    csrf = await sign_in(pages, tenant.admin_email)

    refused = await pages.post(
        "/app/settings/users",
        data={
            "csrf_token": csrf,
            "full_name": "Short Password",
            "email": "sp@example.com",
            "password": "short",
        },
    )

    assert refused.status_code == 422
    assert 'value="Short Password"' in refused.text
    assert 'value="sp@example.com"' in refused.text
    assert 'id="error-password"' in refused.text
    assert 'id="error-roles"' in refused.text


async def test_changing_roles_through_the_page_takes_effect(
    client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant
) -> None:
    user_id, _email = await create_staff(client, tenant, "interviewer")
    csrf = await sign_in(pages, tenant.admin_email)
    listing = (await pages.get("/app/settings/users")).text
    version = re.search(
        rf'action="/app/settings/users/{user_id}">.*?name="version" value="(\d+)"', listing, re.S
    )
    assert version

    changed = await pages.post(
        f"/app/settings/users/{user_id}",
        data={"csrf_token": csrf, "version": version.group(1), "roles": ["recruiter"], "is_active": "true"},
    )
    stale = await pages.post(
        f"/app/settings/users/{user_id}",
        data={"csrf_token": csrf, "version": version.group(1), "roles": ["interviewer"], "is_active": "true"},
    )

    assert changed.status_code == 303
    assert (await client.get(f"/v1/users/{user_id}", headers=tenant.headers)).json()["roles"] == ["recruiter"]
    assert stale.status_code == 409
    assert "Someone else changed this person" in stale.text


async def test_a_hiring_manager_sees_the_staff_list_but_cannot_change_it(
    client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    _, manager = await create_staff(client, tenant, "hiring_manager")
    csrf = await sign_in(pages, manager)

    listing = await pages.get("/app/settings/users")
    refused = await pages.post(
        "/app/settings/users",
        data={"csrf_token": csrf, "full_name": "X", "email": "x@example.com", "password": PASSWORD},
    )

    assert listing.status_code == 200
    assert tenant.admin_email in listing.text
    assert other_tenant.admin_email not in listing.text
    assert "Add a person" not in listing.text
    assert refused.status_code == 403
    assert csrf_of(listing.text) == csrf
