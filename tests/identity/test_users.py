"""Staff users over HTTP: listing, creation, optimistic updates, role-based access and deactivation."""

from __future__ import annotations

import anyio
import httpx

from rolecall.identity.permissions import SCOPES, scopes_for_roles
from tests.factories import PASSWORD, Tenant, create_user
from tests.identity.support import (
    add_api_client,
    add_user,
    assert_oauth_error,
    bearer,
    client_token,
    me_status,
    new_email,
    password_grant,
)


async def etag_of(client: httpx.AsyncClient, tenant: Tenant, user_id: str) -> str:
    response = await client.get(f"/v1/users/{user_id}", headers=tenant.headers)
    assert response.status_code == 200
    etag: str = response.headers["etag"]
    return etag


async def patch_user(
    client: httpx.AsyncClient, tenant: Tenant, user_id: str, body: dict[str, object]
) -> httpx.Response:
    etag = await etag_of(client, tenant, user_id)
    return await client.patch(f"/v1/users/{user_id}", headers={**tenant.headers, "If-Match": etag}, json=body)


async def test_me_is_the_signed_in_user_and_never_cached(client: httpx.AsyncClient, tenant: Tenant) -> None:
    response = await client.get("/v1/me", headers=tenant.headers)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["etag"]
    body = response.json()
    assert body["id"] == str(tenant.admin_id)
    assert body["email"] == tenant.admin_email
    assert body["roles"] == ["admin"]
    assert body["is_active"] is True
    assert "password_hash" not in body
    assert "password" not in body


async def test_create_user_and_read_it_back(client: httpx.AsyncClient, tenant: Tenant) -> None:
    email = new_email("new")
    response = await client.post(
        "/v1/users",
        headers=tenant.headers,
        json={
            "email": email.upper(),
            "full_name": "  Nia Newcomer ",
            "password": PASSWORD,
            "roles": ["recruiter", "interviewer", "recruiter"],
        },
    )
    assert response.status_code == 201, response.text
    assert response.headers["cache-control"] == "no-store"
    created = response.json()
    assert response.headers["location"] == f"/v1/users/{created['id']}"
    assert created["email"] == email  # stored lower-case: it is the login name
    assert created["full_name"] == "Nia Newcomer"
    assert created["roles"] == ["interviewer", "recruiter"]
    assert created["is_active"] is True
    assert created["sees_all_jobs"] is False  # need-to-know access: off unless an admin grants it
    assert set(created) == {
        "id",
        "email",
        "full_name",
        "roles",
        "is_active",
        "sees_all_jobs",
        "created_at",
        "updated_at",
    }

    read = await client.get(response.headers["location"], headers=tenant.headers)
    assert read.status_code == 200
    assert read.json() == created
    assert read.headers["etag"] == response.headers["etag"]

    listed = await client.get("/v1/users", headers=tenant.headers)
    assert listed.headers["cache-control"] == "no-store"
    assert {u["id"] for u in listed.json()["items"]} == {str(tenant.admin_id), created["id"]}

    assert (await password_grant(client, email, PASSWORD)).status_code == 200


async def test_users_are_listed_in_pages(client: httpx.AsyncClient, tenant: Tenant) -> None:
    created = [(await add_user(client, tenant, "interviewer"))[0] for _ in range(2)]
    first = await client.get("/v1/users", params={"limit": 2}, headers=tenant.headers)
    assert first.status_code == 200
    page = first.json()
    assert len(page["items"]) == 2
    assert page["next_cursor"]
    second = await client.get(
        "/v1/users", params={"limit": 2, "cursor": page["next_cursor"]}, headers=tenant.headers
    )
    rest = second.json()
    assert rest["next_cursor"] is None
    ids = [u["id"] for u in page["items"] + rest["items"]]
    assert ids == [str(tenant.admin_id), *created]


async def test_duplicate_email_is_a_conflict_within_the_organisation_only(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    _, email = await add_user(client, tenant, "recruiter")
    for address in (email, email.upper()):
        response = await client.post(
            "/v1/users",
            headers=tenant.headers,
            json={"email": address, "full_name": "Twin", "password": PASSWORD, "roles": ["recruiter"]},
        )
        assert response.status_code == 409, address
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["status"] == 409
    # Another organisation learns nothing: the same address is simply a new account there.
    elsewhere = await client.post(
        "/v1/users",
        headers=other_tenant.headers,
        json={"email": email, "full_name": "Twin", "password": PASSWORD, "roles": ["recruiter"]},
    )
    assert elsewhere.status_code == 201, elsewhere.text


async def test_invalid_user_bodies_are_422_problems(client: httpx.AsyncClient, tenant: Tenant) -> None:
    base = {"email": new_email(), "full_name": "X", "password": PASSWORD, "roles": ["recruiter"]}
    cases = {
        "body.email": {**base, "email": "not-an-address"},
        "body.roles": {**base, "roles": []},
        "body.roles.0": {**base, "roles": ["superuser"]},
        "body.full_name": {**base, "full_name": "   "},
        "body.is_admin": {**base, "is_admin": True},
    }
    for field, body in cases.items():
        response = await client.post("/v1/users", headers=tenant.headers, json=body)
        assert response.status_code == 422, field
        assert response.headers["content-type"] == "application/problem+json"
        assert field in [e["field"] for e in response.json()["errors"]], (field, response.text)


async def test_update_needs_the_current_etag(client: httpx.AsyncClient, tenant: Tenant) -> None:
    user_id, _ = await add_user(client, tenant, "recruiter")
    url = f"/v1/users/{user_id}"
    etag = await etag_of(client, tenant, user_id)

    missing = await client.patch(url, headers=tenant.headers, json={"full_name": "Renamed"})
    assert missing.status_code == 428
    assert missing.headers["content-type"] == "application/problem+json"

    stale = await client.patch(
        url, headers={**tenant.headers, "If-Match": '"stale"'}, json={"full_name": "R"}
    )
    assert stale.status_code == 412
    assert stale.headers["content-type"] == "application/problem+json"
    assert stale.headers["etag"] == etag

    weak = await client.patch(
        url, headers={**tenant.headers, "If-Match": f"W/{etag}"}, json={"full_name": "R"}
    )
    assert weak.status_code == 412

    updated = await client.patch(
        url, headers={**tenant.headers, "If-Match": etag}, json={"full_name": "Renamed"}
    )
    assert updated.status_code == 200
    assert updated.json()["full_name"] == "Renamed"
    new_etag = updated.headers["etag"]
    assert new_etag != etag
    assert await etag_of(client, tenant, user_id) == new_etag

    # The ETag that just succeeded is now stale: a second writer with it loses.
    again = await client.patch(url, headers={**tenant.headers, "If-Match": etag}, json={"full_name": "Lost"})
    assert again.status_code == 412
    assert (await client.get(url, headers=tenant.headers)).json()["full_name"] == "Renamed"


async def test_an_empty_update_is_refused(client: httpx.AsyncClient, tenant: Tenant) -> None:
    user_id, _ = await add_user(client, tenant, "recruiter")
    etag = await etag_of(client, tenant, user_id)
    empty = await client.patch(f"/v1/users/{user_id}", headers={**tenant.headers, "If-Match": etag}, json={})
    assert empty.status_code == 422
    assert empty.headers["content-type"] == "application/problem+json"
    # An explicit null is not "no change": it would otherwise bump the version (or, for is_active,
    # end the user's sessions) while changing nothing.
    for field in ("full_name", "roles", "is_active", "password"):
        response = await client.patch(
            f"/v1/users/{user_id}", headers={**tenant.headers, "If-Match": etag}, json={field: None}
        )
        assert response.status_code == 422, field
        assert [e["field"] for e in response.json()["errors"]] == [f"body.{field}"]
    assert await etag_of(client, tenant, user_id) == etag


async def test_roles_decide_what_a_user_may_do(client: httpx.AsyncClient, tenant: Tenant) -> None:
    _, recruiter = await create_user(client, tenant, "recruiter")
    _, interviewer = await create_user(client, tenant, "interviewer")
    body = {"email": new_email(), "full_name": "X", "password": PASSWORD, "roles": ["admin"]}

    forbidden = await client.post("/v1/users", headers=bearer(recruiter), json=body)
    assert forbidden.status_code == 403
    assert forbidden.headers["content-type"] == "application/problem+json"
    assert "users:write" in forbidden.json()["detail"]
    assert (await client.get("/v1/users", headers=bearer(recruiter))).status_code == 200

    assert (await client.get("/v1/users", headers=bearer(interviewer))).status_code == 403
    assert (await client.get(f"/v1/users/{tenant.admin_id}", headers=bearer(interviewer))).status_code == 403
    assert (await client.get("/v1/me", headers=bearer(interviewer))).status_code == 200
    assert (await client.get("/v1/organisation", headers=bearer(interviewer))).status_code == 200

    # Nothing was created by the refused request.
    assert_oauth_error(await password_grant(client, body["email"], PASSWORD), 400, "invalid_grant")


async def test_deactivating_a_user_ends_their_access_at_once(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    user_id, email = await add_user(client, tenant, "recruiter")
    login = (await password_grant(client, email, PASSWORD)).json()
    assert await me_status(client, login["access_token"]) == 200

    response = await patch_user(client, tenant, user_id, {"is_active": False})

    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert await me_status(client, login["access_token"]) == 401
    assert_oauth_error(await password_grant(client, email, PASSWORD), 400, "invalid_grant")

    reactivated = await patch_user(client, tenant, user_id, {"is_active": True})
    assert reactivated.status_code == 200
    # Old tokens stay dead; the user signs in again.
    assert await me_status(client, login["access_token"]) == 401
    assert (await password_grant(client, email, PASSWORD)).status_code == 200


async def test_changing_roles_or_password_ends_existing_sessions(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    user_id, email = await add_user(client, tenant, "recruiter")
    before = (await password_grant(client, email, PASSWORD)).json()["access_token"]

    demoted = await patch_user(client, tenant, user_id, {"roles": ["interviewer"]})
    assert demoted.status_code == 200
    assert await me_status(client, before) == 401
    after = (await password_grant(client, email, PASSWORD)).json()
    assert after["scope"].split() == sorted(scopes_for_roles(["interviewer"]))

    new_password = "a-brand-new-passphrase"
    assert (await patch_user(client, tenant, user_id, {"password": new_password})).status_code == 200
    assert await me_status(client, after["access_token"]) == 401
    assert_oauth_error(await password_grant(client, email, PASSWORD), 400, "invalid_grant")
    assert (await password_grant(client, email, new_password)).status_code == 200


async def test_renaming_does_not_end_sessions(client: httpx.AsyncClient, tenant: Tenant) -> None:
    user_id, email = await add_user(client, tenant, "recruiter")
    token = (await password_grant(client, email, PASSWORD)).json()["access_token"]
    assert (await patch_user(client, tenant, user_id, {"full_name": "New Name"})).status_code == 200
    assert await me_status(client, token) == 200


async def test_an_admin_cannot_lock_themselves_out(client: httpx.AsyncClient, tenant: Tenant) -> None:
    admin_id = str(tenant.admin_id)
    for body in ({"is_active": False}, {"roles": ["recruiter"]}):
        response = await patch_user(client, tenant, admin_id, body)
        assert response.status_code == 409, body
        assert response.headers["content-type"] == "application/problem+json"
    assert await me_status(client, tenant.token) == 200


async def client_headers(client: httpx.AsyncClient, tenant: Tenant, *scopes: str) -> dict[str, str]:
    response = await client_token(client, await add_api_client(client, tenant, *scopes))
    assert response.status_code == 200, response.text
    return bearer(response.json()["access_token"])


async def test_a_client_cannot_create_or_take_over_a_more_powerful_account(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    # Exactly a recruiter's scopes plus user management: enough to create recruiters, not admins.
    provisioner = await client_headers(client, tenant, *scopes_for_roles(["recruiter"]), "users:write")
    body = {"email": new_email(), "full_name": "Synced", "password": PASSWORD, "roles": ["recruiter"]}

    recruiter = await client.post("/v1/users", headers=provisioner, json=body)
    assert recruiter.status_code == 201, recruiter.text

    admin = await client.post(
        "/v1/users", headers=provisioner, json={**body, "email": new_email(), "roles": ["admin"]}
    )
    assert admin.status_code == 403
    assert admin.headers["content-type"] == "application/problem+json"

    etag = await etag_of(client, tenant, str(tenant.admin_id))
    for change in ({"password": "attacker-chosen-password"}, {"is_active": False}, {"full_name": "Pwned"}):
        response = await client.patch(
            f"/v1/users/{tenant.admin_id}", headers={**provisioner, "If-Match": etag}, json=change
        )
        assert response.status_code == 403, change
    promote = await client.patch(
        f"/v1/users/{recruiter.json()['id']}",
        headers={**provisioner, "If-Match": recruiter.headers["etag"]},
        json={"roles": ["admin"]},
    )
    assert promote.status_code == 403
    assert await me_status(client, tenant.token) == 200
    assert await etag_of(client, tenant, str(tenant.admin_id)) == etag


async def test_the_last_active_admin_cannot_be_removed(client: httpx.AsyncClient, tenant: Tenant) -> None:
    everything = await client_headers(client, tenant, *SCOPES)
    admin_url = f"/v1/users/{tenant.admin_id}"

    for change in ({"is_active": False}, {"roles": ["recruiter"]}):
        etag = await etag_of(client, tenant, str(tenant.admin_id))
        response = await client.patch(admin_url, headers={**everything, "If-Match": etag}, json=change)
        assert response.status_code == 409, change

    await add_user(client, tenant, "admin")
    etag = await etag_of(client, tenant, str(tenant.admin_id))
    response = await client.patch(
        admin_url, headers={**everything, "If-Match": etag}, json={"is_active": False}
    )
    assert response.status_code == 200
    assert await me_status(client, tenant.token) == 401


async def test_concurrent_creation_of_one_address_yields_one_user(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    body = {"email": new_email(), "full_name": "Twin", "password": PASSWORD, "roles": ["recruiter"]}
    results: list[httpx.Response] = []

    async def create() -> None:
        results.append(await client.post("/v1/users", headers=tenant.headers, json=body))

    async with anyio.create_task_group() as tg:
        for _ in range(3):
            tg.start_soon(create)

    assert sorted(r.status_code for r in results) == [201, 409, 409]
    assert all(
        r.headers["content-type"] == "application/problem+json" for r in results if r.status_code == 409
    )
