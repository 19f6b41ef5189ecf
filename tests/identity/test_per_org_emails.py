"""Staff addresses are unique per organisation: creating, signing in with and without `organisation`."""

from __future__ import annotations

import httpx

from rolecall.config import Settings
from tests.factories import PASSWORD, Tenant
from tests.identity.support import (
    assert_oauth_error,
    assert_slowed_down,
    claims_of,
    new_email,
    password_grant,
)
from tests.web.support import csrf_of

OTHER_PASSWORD = "another-long-enough-password"


async def _create(client: httpx.AsyncClient, tenant: Tenant, email: str, password: str = PASSWORD) -> str:
    response = await client.post(
        "/v1/users",
        headers=tenant.headers,
        json={"email": email, "full_name": "Shared Address", "password": password, "roles": ["recruiter"]},
    )
    assert response.status_code == 201, response.text
    user_id: str = response.json()["id"]
    return user_id


async def test_different_passwords_find_each_organisations_account(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    email = new_email("shared")
    mine = await _create(client, tenant, email)
    theirs = await _create(client, other_tenant, email.upper(), OTHER_PASSWORD)
    assert mine != theirs

    first = await password_grant(client, email, PASSWORD)
    assert first.status_code == 200, first.text
    assert claims_of(first.json()["access_token"])["org"] == str(tenant.organisation_id)
    second = await password_grant(client, email.upper(), OTHER_PASSWORD)
    assert second.status_code == 200, second.text
    assert claims_of(second.json()["access_token"])["org"] == str(other_tenant.organisation_id)
    assert_oauth_error(await password_grant(client, email, "neither-of-the-two"), 400, "invalid_grant")


async def test_the_same_password_in_two_organisations_asks_which_one_without_naming_them(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    email = new_email("twin")
    await _create(client, tenant, email)
    await _create(client, other_tenant, email)

    ambiguous = await password_grant(client, email, PASSWORD)
    assert_oauth_error(ambiguous, 400, "organisation_required")
    for secret in (str(tenant.organisation_id), str(other_tenant.organisation_id), "Tenant A", "Tenant B"):
        assert secret not in ambiguous.text

    chosen = await password_grant(client, email, PASSWORD, organisation=str(other_tenant.organisation_id))
    assert chosen.status_code == 200, chosen.text
    assert claims_of(chosen.json()["access_token"])["org"] == str(other_tenant.organisation_id)
    ours = await password_grant(client, email, PASSWORD, organisation=str(tenant.organisation_id))
    assert claims_of(ours.json()["access_token"])["org"] == str(tenant.organisation_id)


async def test_naming_an_organisation_without_the_address_is_a_wrong_password(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    email = new_email("only-a")
    await _create(client, tenant, email)
    elsewhere = await password_grant(client, email, PASSWORD, organisation=str(other_tenant.organisation_id))
    assert_oauth_error(elsewhere, 400, "invalid_grant")
    assert_oauth_error(
        await password_grant(client, email, PASSWORD, organisation="acme"), 400, "invalid_request"
    )


async def test_the_throttle_counts_per_address_across_organisations(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant, settings: Settings
) -> None:
    email = new_email("guessed")
    await _create(client, tenant, email)
    await _create(client, other_tenant, email)
    for target in (tenant, other_tenant, tenant, other_tenant, tenant):
        wrong = await password_grant(
            client, email, "wrong-guess-xyz", organisation=str(target.organisation_id)
        )
        assert_oauth_error(wrong, 400, "invalid_grant")
    refused = await password_grant(client, email, PASSWORD, organisation=str(tenant.organisation_id))
    assert_slowed_down(refused, settings.login_failure_window_seconds)


async def test_the_sign_in_page_asks_for_the_organisation_when_the_password_fits_two(
    client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    email = new_email("page-twin")
    await _create(client, tenant, email)
    await _create(client, other_tenant, email)
    form = await pages.get("/app/login")
    assert 'name="organisation"' not in form.text
    data = {"email": email, "password": PASSWORD, "csrf_token": csrf_of(form.text), "next": "/app/account"}

    asked = await pages.post("/app/login", data=data)
    assert asked.status_code == 400
    assert 'name="organisation"' in asked.text
    assert 'for="field-organisation"' in asked.text
    assert "Tenant A" not in asked.text
    assert "Tenant B" not in asked.text

    signed_in = await pages.post(
        "/app/login", data={**data, "organisation": str(other_tenant.organisation_id)}
    )
    assert signed_in.status_code == 303, signed_in.text
    account = await pages.get("/app/account")
    assert "Tenant B" in account.text
    assert str(other_tenant.organisation_id) in account.text
