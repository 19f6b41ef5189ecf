"""Staff sign-in on the pages: the cookie, the shared login throttle, sign-out, and where people land."""

from __future__ import annotations

import re

import httpx

from tests.factories import PASSWORD, Tenant, login
from tests.web.support import create_staff, csrf_of, sign_in


def _cookie_header(response: httpx.Response, name: str) -> str:
    found = [
        value
        for key, value in response.headers.multi_items()
        if key == "set-cookie" and value.startswith(name)
    ]
    assert found, f"no {name} cookie set"
    return found[0]


async def _post_login(
    pages: httpx.AsyncClient, email: str, password: str, next_path: str = "/app"
) -> httpx.Response:
    form = await pages.get("/app/login")
    return await pages.post(
        "/app/login",
        data={"email": email, "password": password, "csrf_token": csrf_of(form.text), "next": next_path},
    )


async def test_signing_in_sets_a_host_only_secure_http_only_cookie(
    pages: httpx.AsyncClient, tenant: Tenant
) -> None:
    response = await _post_login(pages, tenant.admin_email, PASSWORD, "/app/account")

    assert response.status_code == 303
    assert response.headers["location"] == "/app/account"
    cookie = _cookie_header(response, "__Host-rolecall-session=").lower()
    assert "httponly" in cookie
    assert "secure" in cookie
    assert "samesite=lax" in cookie
    assert "path=/" in cookie
    assert "domain=" not in cookie
    account = await pages.get("/app/account")
    assert account.status_code == 200
    assert tenant.admin_email in account.text


async def test_a_wrong_password_keeps_the_address_and_says_what_happened(
    pages: httpx.AsyncClient, tenant: Tenant
) -> None:
    response = await _post_login(pages, tenant.admin_email, "not-the-password")

    assert response.status_code == 400
    assert "The e-mail address or password is incorrect." in response.text
    assert f'value="{tenant.admin_email}"' in response.text
    assert "__Host-rolecall-session" not in response.headers.get("set-cookie", "")


async def test_failed_page_sign_ins_count_towards_the_same_throttle_as_the_token_endpoint(
    pages: httpx.AsyncClient, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    for _ in range(5):
        assert (await _post_login(pages, tenant.admin_email, "wrong-password")).status_code == 400

    refused = await _post_login(pages, tenant.admin_email, PASSWORD)
    assert refused.status_code == 429
    assert "Too many failed sign-in attempts" in refused.text
    token = await client.post(
        "/v1/oauth/token",
        data={"grant_type": "password", "username": tenant.admin_email, "password": PASSWORD},
    )
    assert token.status_code == 429


async def test_the_sign_in_form_needs_its_own_csrf_token(pages: httpx.AsyncClient, tenant: Tenant) -> None:
    await pages.get("/app/login")
    response = await pages.post(
        "/app/login", data={"email": tenant.admin_email, "password": PASSWORD, "csrf_token": "forged"}
    )

    assert response.status_code == 400
    assert "The form expired" in response.text


async def test_next_never_leads_off_the_staff_app(pages: httpx.AsyncClient, tenant: Tenant) -> None:
    for target in (
        "https://evil.example/app",
        "//evil.example/app",
        "/\\evil.example",
        "/jobs",
        "/application",
    ):
        response = await _post_login(pages, tenant.admin_email, PASSWORD, target)
        assert response.headers["location"] == "/app", target
    kept = await _post_login(pages, tenant.admin_email, PASSWORD, "/app/jobs?status=open")
    assert kept.headers["location"] == "/app/jobs?status=open"


async def test_a_page_that_needs_sign_in_redirects_with_the_way_back(pages: httpx.AsyncClient) -> None:
    response = await pages.get("/app/account?tab=1")

    assert response.status_code == 303
    assert response.headers["location"] == "/app/login?next=/app/account%3Ftab%3D1"


async def test_signing_out_ends_the_login_for_good(pages: httpx.AsyncClient, tenant: Tenant) -> None:
    csrf = await sign_in(pages, tenant.admin_email)
    stolen = pages.cookies.get("__Host-rolecall-session")

    response = await pages.post("/app/logout", data={"csrf_token": csrf})

    assert response.status_code == 303
    assert response.headers["location"] == "/app/login"
    pages.cookies.set("__Host-rolecall-session", stolen or "", domain="rolecall.test")
    assert (await pages.get("/app/account")).status_code == 303
    farewell = await pages.get("/app/login")
    assert "You have signed out." in farewell.text


async def test_sign_out_without_the_csrf_token_is_refused(pages: httpx.AsyncClient, tenant: Tenant) -> None:
    await sign_in(pages, tenant.admin_email)

    response = await pages.post("/app/logout", data={})

    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/html")
    assert (await pages.get("/app/account")).status_code == 200


async def test_deactivating_a_user_ends_their_page_session(
    pages: httpx.AsyncClient, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    user_id, email = await create_staff(client, tenant, "recruiter")
    await sign_in(pages, email)
    current = await client.get(f"/v1/users/{user_id}", headers=tenant.headers)

    changed = await client.patch(
        f"/v1/users/{user_id}",
        headers={**tenant.headers, "If-Match": current.headers["etag"]},
        json={"is_active": False},
    )

    assert changed.status_code == 200, changed.text
    assert (await pages.get("/app/account")).status_code == 303


async def test_changing_a_users_roles_ends_their_page_session_as_it_ends_their_tokens(
    pages: httpx.AsyncClient, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    user_id, email = await create_staff(client, tenant, "interviewer")
    await sign_in(pages, email)
    assert re.search(r'<span class="tag">interviewer</span>', (await pages.get("/app/account")).text)
    current = await client.get(f"/v1/users/{user_id}", headers=tenant.headers)

    await client.patch(
        f"/v1/users/{user_id}",
        headers={**tenant.headers, "If-Match": current.headers["etag"]},
        json={"roles": ["recruiter"]},
    )

    assert (await pages.get("/app/account")).status_code == 303
    await sign_in(pages, email)
    assert re.search(r'<span class="tag">recruiter</span>', (await pages.get("/app/account")).text)


async def test_a_page_sign_in_is_audited_as_a_login(
    pages: httpx.AsyncClient, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    await sign_in(pages, tenant.admin_email)
    tokens = await login(client, tenant.admin_email)

    entries = await client.get(
        "/v1/audit-events?action=auth.login", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )

    assert entries.status_code == 200, entries.text
    vias = [entry.get("details", entry).get("via") for entry in entries.json()["items"]]
    assert "sign-in page" in vias


async def test_the_account_page_shows_only_the_people_own_organisation(
    pages: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    await sign_in(pages, other_tenant.admin_email)

    account = await pages.get("/app/account")

    assert "Tenant B" in account.text
    assert "Tenant A" not in account.text
