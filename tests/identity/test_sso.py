"""OpenID Connect single sign-on against a real provider running in the test process.

Every test runs on SQLite and PostgreSQL. Rolecall calls the provider (discovery, token endpoint,
key set) over a real socket; the browser side is the ``pages`` client plus plain httpx for the
provider's authorisation form.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from limits.aio.storage import MemoryStorage
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.config import Settings
from rolecall.identity.context import CONTEXT
from rolecall.identity.sso_models import SsoConnection
from rolecall.identity.sso_outbound import outbound_policy
from rolecall.platform.db import transaction
from rolecall.platform.pii import KeyRing
from rolecall.platform.ratelimit import SIGN_IN, Policy, RateLimits, policies_from
from rolecall.platform.tenancy import all_tenants
from tests.conftest import FrozenClock
from tests.factories import PASSWORD, Tenant, create_user
from tests.identity.sso_support import (
    CLIENT_ID,
    CLIENT_SECRET,
    Provider,
    authorise,
    connection_body,
    refusal_reason,
    route_at_sign_in,
    run_provider,
    sso_sign_in,
    with_query,
)
from tests.web.support import csrf_of

VERIFIED = {"email_verified": True, "name": "Ada Lovelace"}


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    yield from run_provider()


@pytest.fixture(autouse=True)
def untampered(provider: Provider) -> Iterator[None]:
    provider.tamper, provider.foreign_key = {}, False
    yield
    provider.tamper, provider.foreign_key = {}, False


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # The provider listens on loopback, which the outbound guard refuses unless allow-listed.
    return settings.model_copy(update={"sso_allowed_hosts": ("127.0.0.1",)})


async def configure(
    client: httpx.AsyncClient, tenant: Tenant, provider: Provider, **overrides: Any
) -> httpx.Response:
    response = await client.put(
        "/v1/organisation/sso", headers=tenant.headers, json=connection_body(provider, **overrides)
    )
    assert response.status_code == 201, response.text
    return response


async def reconfigure(
    client: httpx.AsyncClient, tenant: Tenant, provider: Provider, **overrides: Any
) -> httpx.Response:
    current = await client.get("/v1/organisation/sso", headers=tenant.headers)
    body = connection_body(provider, **overrides)
    body.pop("client_secret")
    response = await client.put(
        "/v1/organisation/sso",
        headers={**tenant.headers, "If-Match": current.headers["etag"]},
        json=body,
    )
    assert response.status_code == 200, response.text
    return response


async def audit_entries(client: httpx.AsyncClient, tenant: Tenant, action: str) -> list[dict[str, Any]]:
    response = await client.get(
        "/v1/audit-events", headers=tenant.headers, params={"action": action, "limit": 100}
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def users_named(client: httpx.AsyncClient, tenant: Tenant, email: str) -> list[dict[str, Any]]:
    response = await client.get("/v1/users", headers=tenant.headers, params={"limit": 200})
    assert response.status_code == 200, response.text
    return [user for user in response.json()["items"] if user["email"] == email]


async def at_callback(pages: httpx.AsyncClient, provider: Provider, address: str) -> tuple[str, str]:
    """Everything up to the provider's redirect back: (the start URL, Rolecall's callback path)."""
    provider.set_user(address, {"email": address, **VERIFIED})
    start = await route_at_sign_in(pages, address)
    return start, await authorise(pages, start, address)


def email() -> str:
    return f"ada-{uuid.uuid4().hex[:8]}@acme.example.com"


# --- the happy paths ---------------------------------------------------------------------------------


async def test_a_person_is_created_just_in_time_and_signed_in(
    client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant, provider: Provider
) -> None:
    await configure(client, tenant, provider)
    address = email()

    answer = await sso_sign_in(pages, provider, address, VERIFIED)

    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/app/account"
    assert "__Host-rolecall-session" in answer.headers["set-cookie"]
    account = await pages.get("/app/account")
    assert account.status_code == 200
    assert address in account.text
    [user] = await users_named(client, tenant, address)
    assert user["roles"] == ["recruiter"]
    assert user["full_name"] == "Ada Lovelace"
    logins = await audit_entries(client, tenant, "auth.login")
    assert any(e["details"].get("method") == "sso" for e in logins)
    created = await audit_entries(client, tenant, "user.created")
    assert any(e["target_id"] == user["id"] and e["actor"] == "system:sso" for e in created)

    # A second sign-in finds the same account instead of creating another.
    await pages.post("/app/logout", data={"csrf_token": csrf_of(account.text)})
    again = await sso_sign_in(pages, provider, address, VERIFIED)
    assert again.status_code == 303, again.text
    assert len(await users_named(client, tenant, address)) == 1


async def test_invite_only_signs_in_an_existing_account_and_refuses_an_unknown_one(
    client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant, provider: Provider
) -> None:
    await configure(client, tenant, provider, mode="invite_only", default_role=None)
    invited = email()
    created = await client.post(
        "/v1/users",
        headers=tenant.headers,
        json={"email": invited, "full_name": "Invited One", "password": PASSWORD, "roles": ["interviewer"]},
    )
    assert created.status_code == 201, created.text

    stranger = await sso_sign_in(pages, provider, email(), VERIFIED)
    assert stranger.status_code == 403
    assert refusal_reason(stranger) == "not_invited"
    assert "__Host-rolecall-session" not in stranger.headers.get("set-cookie", "")

    welcome = await sso_sign_in(pages, provider, invited, VERIFIED)
    assert welcome.status_code == 303, welcome.text
    account = await pages.get("/app/account")
    assert account.status_code == 200
    assert invited in account.text
    # Invite-only never creates anyone, and the invited account keeps its name and role.
    [user] = await users_named(client, tenant, invited)
    assert user["roles"] == ["interviewer"]
    assert user["full_name"] == "Invited One"
    refusals = await audit_entries(client, tenant, "auth.sso_refused")
    assert [e["details"]["reason"] for e in refusals] == ["not_invited"]


async def test_the_sign_in_page_routes_sso_domains_and_leaves_others_to_passwords(
    client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant, provider: Provider
) -> None:
    await configure(client, tenant, provider, domains=["acme.example.com", "acme-labs.example.com"])
    form = await pages.get("/app/login")

    # A routed domain: a page moving on to the start route, whatever password was typed.
    routed = await pages.post(
        "/app/login",
        data={
            "email": "Someone@ACME-labs.example.com",
            "password": "anything",
            "csrf_token": csrf_of(form.text),
        },
    )
    assert routed.status_code == 200
    assert 'http-equiv="refresh"' in routed.text
    assert "/app/login/sso?domain=acme-labs.example.com" in routed.text
    assert "__Host-rolecall-session" not in routed.headers.get("set-cookie", "")

    # The start route sends the browser to the provider with PKCE, state and nonce.
    start = await route_at_sign_in(pages, "ada@acme.example.com", "/app/jobs")
    started = await pages.get(start)
    assert started.status_code == 303
    location = httpx.URL(started.headers["location"])
    assert str(location).startswith(f"{provider.issuer}/oauth2/authorize?")
    params = dict(location.params)
    assert params["response_type"] == "code"
    assert params["scope"] == "openid email profile"
    assert params["code_challenge_method"] == "S256"
    assert len(params["code_challenge"]) == 43
    assert params["state"]
    assert params["nonce"]
    assert params["redirect_uri"] == "http://rolecall.test/app/login/sso/callback"
    flow_cookie = started.headers["set-cookie"]
    assert flow_cookie.startswith("__Host-rolecall-sso=")
    assert "HttpOnly" in flow_cookie
    assert "Secure" in flow_cookie
    assert "Max-Age=600" in flow_cookie
    assert params["state"] not in flow_cookie
    assert params["nonce"] not in flow_cookie

    # Another domain still signs in with a password.
    _user_id, token = await create_user(client, tenant, "recruiter")
    me = (await client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})).json()
    form = await pages.get("/app/login")
    password = await pages.post(
        "/app/login", data={"email": me["email"], "password": PASSWORD, "csrf_token": csrf_of(form.text)}
    )
    assert password.status_code == 303


async def test_the_redirect_uri_comes_from_configuration_not_the_host_header(
    client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant, provider: Provider
) -> None:
    await configure(client, tenant, provider)
    started = await pages.get("/app/login/sso?domain=acme.example.com", headers={"Host": "evil.example"})
    assert started.status_code == 303
    location = httpx.URL(started.headers["location"])
    assert location.params["redirect_uri"] == "http://rolecall.test/app/login/sso/callback"


# --- refusals ---------------------------------------------------------------------------------------


# Each case breaks one check of OpenID Connect Core 3.1.3.7 with a token the provider really issued:
# tampered claims are re-signed with the provider's own key (except the "foreign key" case), so only
# the check under test can refuse them.
TOKEN_REFUSALS = [
    pytest.param({"tamper": {"aud": "some-other-client"}}, "audience", id="wrong-audience"),
    pytest.param(
        {"tamper": {"aud": [CLIENT_ID, "other-client"], "azp": "other-client"}},
        "audience",
        id="shared-audience-for-another-party",
    ),
    pytest.param({"tamper": {"iss": "https://idp.example.net"}}, "issuer", id="wrong-issuer"),
    pytest.param({"foreign_key": True}, "signature", id="signed-with-another-key"),
    pytest.param({"request": {"nonce": "replayed-nonce-from-elsewhere"}}, "nonce", id="wrong-nonce"),
    pytest.param({"tamper": {"exp": 1_700_000_000, "iat": 1_699_990_000}}, "expired", id="expired"),
    pytest.param({"tamper": {"iat": 4_000_000_000, "exp": 4_000_003_600}}, "expired", id="issued-in-future"),
    pytest.param({"tamper": {"at_hash": "bm90LXRoZS1hY2Nlc3MtdG9rZW4"}}, "at_hash", id="wrong-at-hash"),
    pytest.param(
        {"claims": {"email_verified": False, "name": "Mallory"}}, "email_unverified", id="unverified-email"
    ),
    pytest.param({"claims": {"email": None, "email_verified": True}}, "email_missing", id="no-email"),
]


@pytest.mark.parametrize(("case", "reason"), TOKEN_REFUSALS)
async def test_an_id_token_that_fails_a_check_is_refused(
    client: httpx.AsyncClient,
    pages: httpx.AsyncClient,
    tenant: Tenant,
    provider: Provider,
    case: dict[str, Any],
    reason: str,
) -> None:
    await configure(client, tenant, provider)
    provider.tamper = case.get("tamper", {})
    provider.foreign_key = case.get("foreign_key", False)
    address = email()

    answer = await sso_sign_in(
        pages, provider, address, case.get("claims", VERIFIED), **case.get("request", {})
    )

    assert answer.status_code == 400
    assert refusal_reason(answer) == reason
    assert "__Host-rolecall-session" not in answer.headers.get("set-cookie", "")
    assert (await pages.get("/app/account")).status_code == 303  # not signed in
    assert await users_named(client, tenant, address) == []
    [entry] = await audit_entries(client, tenant, "auth.sso_refused")
    assert entry["details"] == {"reason": reason}  # the reason only: no address, code or token
    assert entry["actor"] == "system:sso"


async def test_an_expired_id_token_is_refused(
    client: httpx.AsyncClient,
    pages: httpx.AsyncClient,
    tenant: Tenant,
    provider: Provider,
    clock: FrozenClock,
) -> None:
    await configure(client, tenant, provider)
    # The provider's tokens live an hour; to Rolecall this one arrives two hours after it was made.
    clock.advance(hours=2)
    address = email()

    answer = await sso_sign_in(pages, provider, address, VERIFIED)

    assert answer.status_code == 400
    assert refusal_reason(answer) == "expired"
    clock.advance(hours=-2)  # back to when the admin's access token is valid
    assert await users_named(client, tenant, address) == []


async def test_a_state_that_does_not_match_is_refused(
    client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant, provider: Provider
) -> None:
    await configure(client, tenant, provider)
    address = email()
    _start, callback = await at_callback(pages, provider, address)

    answer = await pages.get(with_query(callback, state="forged-state"))

    assert answer.status_code == 400
    assert refusal_reason(answer) == "state"
    # The flow cookie is gone: the genuine callback cannot be used after a failed one either.
    assert "__Host-rolecall-sso=" in answer.headers["set-cookie"]
    assert (await pages.get(callback)).status_code == 400
    assert await users_named(client, tenant, address) == []


async def test_a_callback_cannot_be_replayed(
    client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant, provider: Provider
) -> None:
    await configure(client, tenant, provider)
    _start, path = await at_callback(pages, provider, email())
    flow_cookie = pages.cookies.get("__Host-rolecall-sso")
    assert flow_cookie
    assert (await pages.get(path)).status_code == 303

    # The same browser again: the flow cookie was spent.
    replay = await pages.get(path)
    assert refusal_reason(replay) == "state"

    # Someone who copied the flow cookie as well: the provider redeems a code only once.
    async with httpx.AsyncClient(
        transport=pages._transport,
        base_url="https://rolecall.test",
        cookies={"__Host-rolecall-sso": flow_cookie},
    ) as thief:
        stolen = await thief.get(path)
    assert stolen.status_code == 400
    assert refusal_reason(stolen) == "token_exchange"
    assert "__Host-rolecall-session" not in stolen.headers.get("set-cookie", "")


async def test_an_address_outside_the_connections_domains_is_refused(
    client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant, provider: Provider
) -> None:
    """The provider may vouch for any address; only the connection's domains may enter."""
    await configure(client, tenant, provider)
    start = await route_at_sign_in(pages, "ada@acme.example.com")
    provider.set_user("ceo@victim.example.net", {"email": "ceo@victim.example.net", **VERIFIED})
    callback = await authorise(pages, start, "ceo@victim.example.net")

    answer = await pages.get(callback)

    assert refusal_reason(answer) == "domain"
    assert await users_named(client, tenant, "ceo@victim.example.net") == []


async def test_a_disabled_connection_refuses_and_gives_the_domain_back_to_passwords(
    client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant, provider: Provider
) -> None:
    await configure(client, tenant, provider)
    address = email()
    start, callback = await at_callback(pages, provider, address)
    await reconfigure(client, tenant, provider, enabled=False)

    # Turned off while the person was at the provider.
    answer = await pages.get(callback)
    assert answer.status_code == 403
    assert refusal_reason(answer) == "disabled"

    # And from now on: the start route refuses, and the sign-in page asks for a password again.
    refused = await pages.get(start)
    assert refused.status_code == 403
    assert refusal_reason(refused) == "disabled"
    form = await pages.get("/app/login")
    password = await pages.post(
        "/app/login", data={"email": address, "password": "wrong-password", "csrf_token": csrf_of(form.text)}
    )
    assert password.status_code == 400
    assert "incorrect" in password.text


async def test_a_domain_without_a_connection_is_a_clear_page(pages: httpx.AsyncClient) -> None:
    answer = await pages.get("/app/login/sso?domain=nobody.example.com")
    assert answer.status_code == 404
    assert refusal_reason(answer) == "not_configured"


# --- the administration API ---------------------------------------------------------------------------


async def test_the_client_secret_is_sealed_and_never_returned(
    client: httpx.AsyncClient,
    tenant: Tenant,
    provider: Provider,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    created = await configure(client, tenant, provider)
    body = created.json()
    assert CLIENT_SECRET not in created.text
    assert body["client_secret_set"] is True
    assert "client_secret" not in body
    assert body["redirect_uri"] == "http://rolecall.test/app/login/sso/callback"
    assert created.headers["cache-control"] == "no-store"

    read = await client.get("/v1/organisation/sso", headers=tenant.headers)
    assert read.status_code == 200
    assert CLIENT_SECRET not in read.text
    assert read.headers["etag"] == created.headers["etag"]
    assert read.json()["domains"] == ["acme.example.com"]

    updated = await reconfigure(client, tenant, provider, domains=["acme.example.com", "acme.example.org"])
    assert CLIENT_SECRET not in updated.text
    audit = await client.get("/v1/audit-events", headers=tenant.headers, params={"limit": 200})
    assert CLIENT_SECRET not in audit.text

    async with transaction(sessionmaker) as session:
        [stored] = (await session.scalars(select(SsoConnection).execution_options(**all_tenants()))).all()
    assert stored.client_secret.startswith("v1.")
    assert CLIENT_SECRET not in stored.client_secret


async def test_updates_need_the_etag_and_deleting_ends_the_routing(
    client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant, provider: Provider
) -> None:
    created = await configure(client, tenant, provider)
    body = connection_body(provider)

    missing = await client.put("/v1/organisation/sso", headers=tenant.headers, json=body)
    assert missing.status_code == 428
    stale = await client.put(
        "/v1/organisation/sso", headers={**tenant.headers, "If-Match": '"stale"'}, json=body
    )
    assert stale.status_code == 412
    no_delete = await client.delete("/v1/organisation/sso", headers=tenant.headers)
    assert no_delete.status_code == 428

    gone = await client.delete(
        "/v1/organisation/sso", headers={**tenant.headers, "If-Match": created.headers["etag"]}
    )
    assert gone.status_code == 204
    assert (await client.get("/v1/organisation/sso", headers=tenant.headers)).status_code == 404
    removed = await audit_entries(client, tenant, "sso.connection_deleted")
    assert len(removed) == 1
    form = await pages.get("/app/login")
    password = await pages.post(
        "/app/login",
        data={"email": "ada@acme.example.com", "password": "nope", "csrf_token": csrf_of(form.text)},
    )
    assert password.status_code == 400  # back to passwords


async def test_a_domain_belongs_to_one_organisation_only(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant, provider: Provider
) -> None:
    await configure(client, tenant, provider, domains=["acme.example.com"])

    taken = await client.put(
        "/v1/organisation/sso",
        headers=other_tenant.headers,
        json=connection_body(provider, domains=["other.example.org", "ACME.example.com"]),
    )

    assert taken.status_code == 409, taken.text
    assert (await client.get("/v1/organisation/sso", headers=other_tenant.headers)).status_code == 404


async def test_bad_input_is_a_clear_problem(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant, provider: Provider
) -> None:
    async def put(**overrides: Any) -> httpx.Response:
        return await client.put(
            "/v1/organisation/sso", headers=tenant.headers, json=connection_body(provider, **overrides)
        )

    assert (await put(domains=["gmail.com"])).status_code == 422
    assert (await put(domains=["not a domain"])).status_code == 422
    assert (await put(mode="jit", default_role=None)).status_code == 422
    assert (await put(default_role="admin")).status_code == 422
    assert (await put(client_secret=None)).status_code == 422
    query = await put(issuer=f"{provider.issuer}?tenant=1")
    assert query.status_code == 422
    assert query.json()["errors"][0]["field"] == "issuer"

    # Without the allow-list, a loopback issuer is refused before anything is fetched.
    app.state.sso_outbound = outbound_policy(())
    inside = await put()
    assert inside.status_code == 422
    assert "private, loopback" in inside.json()["errors"][0]["message"]


async def test_only_administrators_change_the_connection(
    client: httpx.AsyncClient, tenant: Tenant, provider: Provider
) -> None:
    _user_id, token = await create_user(client, tenant, "recruiter")
    refused = await client.put(
        "/v1/organisation/sso", headers={"Authorization": f"Bearer {token}"}, json=connection_body(provider)
    )
    assert refused.status_code == 403


async def test_an_issuer_that_is_not_a_provider_is_a_clear_page_at_sign_in(
    client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant, provider: Provider
) -> None:
    # Saving does not call the provider (that would hold the request's transaction open); the
    # first sign-in reads the discovery document and says what is wrong.
    await configure(client, tenant, provider, issuer=f"{provider.issuer}/nowhere")

    answer = await pages.get("/app/login/sso?domain=acme.example.com")

    assert answer.status_code == 502
    assert refusal_reason(answer) == "discovery"
    assert "__Host-rolecall-session" not in answer.headers.get("set-cookie", "")


async def test_key_rotation_reseals_the_client_secret(
    client: httpx.AsyncClient,
    tenant: Tenant,
    provider: Provider,
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await configure(client, tenant, provider)
    ring = KeyRing.from_setting(f"fresh:{KeyRing.generate_key()},{settings.pii_keyring().to_setting()}")

    # The identity context's port, as `rolecall rotate-keys` calls it.
    port = CONTEXT.personal_data
    assert port is not None
    assert await port.rotate_keys(sessionmaker, ring, batch_size=10) >= 1

    async with transaction(sessionmaker) as session:
        [stored] = (await session.scalars(select(SsoConnection).execution_options(**all_tenants()))).all()
    assert KeyRing.key_id(stored.client_secret) == "fresh"
    assert (
        ring.decrypt(stored.client_secret, context=f"sso_connection:{stored.id}:client_secret")
        == CLIENT_SECRET
    )


# --- rate limit ----------------------------------------------------------------------------------------


async def test_sso_starts_and_callbacks_share_a_per_address_limit(
    client: httpx.AsyncClient, pages: httpx.AsyncClient, app: FastAPI, tenant: Tenant, provider: Provider
) -> None:
    await configure(client, tenant, provider)
    app.state.rate_limits = RateLimits(
        MemoryStorage(),
        {**policies_from(app.state.settings), SIGN_IN: Policy(SIGN_IN, 3, 60)},
        key_secret="k",
    )
    address = email()
    # A whole sign-in is two counted requests (the start and the provider's redirect back).
    signed_in = await sso_sign_in(pages, provider, address, VERIFIED)
    assert signed_in.status_code == 303, signed_in.text
    assert (await pages.get("/app/login/sso", params={"domain": "acme.example.com"})).status_code == 303

    refused = await pages.get("/app/login/sso", params={"domain": "acme.example.com"})
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert "<h1>Too many attempts</h1>" in refused.text
    callback = await pages.get("/app/login/sso/callback", params={"state": "s", "code": "c"})
    assert callback.status_code == 429

    # Another address has its own allowance.
    transport = httpx.ASGITransport(app=app, client=("198.51.100.20", 52000))
    async with httpx.AsyncClient(transport=transport, base_url="https://rolecall.test") as other:
        assert (await other.get("/app/login/sso", params={"domain": "acme.example.com"})).status_code == 303
