"""The TOTP second factor over the API: enrolment, the password grant's challenge, codes, resets."""

from __future__ import annotations

import uuid

import httpx
import pyotp
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.config import Settings
from rolecall.identity.mfa_keys import rotate_keys
from rolecall.identity.mfa_models import MfaRecoveryCode, UserTotp
from rolecall.platform.db import transaction
from rolecall.platform.pii import KeyRing
from rolecall.platform.tenancy import all_tenants
from tests.conftest import FrozenClock
from tests.factories import PASSWORD, Tenant, login
from tests.identity.mfa_support import MFA_GRANT, challenge_of, code_at, enrol, mfa_grant
from tests.identity.support import (
    add_api_client,
    add_user,
    assert_oauth_error,
    bearer,
    claims_of,
    client_token,
    me_status,
    password_grant,
    token_request,
)


async def _user_token(client: httpx.AsyncClient, tenant: Tenant, *roles: str) -> tuple[str, str, str]:
    user_id, email = await add_user(client, tenant, *roles)
    return user_id, email, (await login(client, email))["access_token"]


async def _require_mfa(client: httpx.AsyncClient, tenant: Tenant, value: bool = True) -> httpx.Response:
    current = await client.get("/v1/organisation", headers=tenant.headers)
    return await client.patch(
        "/v1/organisation",
        headers={**tenant.headers, "If-Match": current.headers["etag"]},
        json={"require_mfa": value},
    )


async def test_enrolment_shows_a_qr_code_and_confirming_it_returns_ten_recovery_codes(
    client: httpx.AsyncClient,
    tenant: Tenant,
    clock: FrozenClock,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    user_id, email, token = await _user_token(client, tenant, "recruiter")
    before = await client.get("/v1/me/mfa", headers=bearer(token))
    assert before.status_code == 200
    assert before.json()["totp_enabled"] is False
    assert before.json()["required_by_organisation"] is False

    started = await client.post("/v1/me/mfa/totp", headers=bearer(token))
    assert started.status_code == 201, started.text
    body = started.json()
    secret = body["secret"]
    assert pyotp.parse_uri(body["otpauth_uri"]).secret == secret
    assert body["otpauth_uri"].startswith("otpauth://totp/Rolecall:")
    assert "issuer=Rolecall" in body["otpauth_uri"]
    assert body["qr_svg"].startswith("<svg")
    assert "<script" not in body["qr_svg"]
    pending = (await client.get("/v1/me/mfa", headers=bearer(token))).json()
    assert pending["enrolment_pending"] is True
    assert pending["totp_enabled"] is False
    # Not active yet: the password alone still signs in.
    assert (await password_grant(client, email, PASSWORD)).status_code == 200

    confirmed = await client.post(
        "/v1/me/mfa/totp/confirm", headers=bearer(token), json={"code": code_at(secret, clock)}
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.headers["cache-control"] == "no-store"
    codes = confirmed.json()["recovery_codes"]
    assert len(codes) == len(set(codes)) == 10
    after = (await client.get("/v1/me/mfa", headers=bearer(token))).json()
    assert after["totp_enabled"] is True
    assert after["recovery_codes_left"] == 10

    # The secret is sealed and the recovery codes are kept only as hashes.
    async with transaction(sessionmaker) as session:
        row = (
            await session.scalars(
                select(UserTotp)
                .where(UserTotp.user_id == uuid.UUID(user_id))
                .execution_options(**all_tenants())
            )
        ).one()
        hashes = (
            await session.scalars(
                select(MfaRecoveryCode.code_hash)
                .where(MfaRecoveryCode.user_id == uuid.UUID(user_id))
                .execution_options(**all_tenants())
            )
        ).all()
    assert secret not in row.secret
    assert row.secret.startswith("v1.")
    assert len(hashes) == 10
    assert not {code.replace("-", "") for code in codes} & set(hashes)

    again = await client.post("/v1/me/mfa/totp", headers=bearer(token))
    assert again.status_code == 409


async def test_a_wrong_confirmation_code_is_refused_and_leaves_the_factor_off(
    client: httpx.AsyncClient, tenant: Tenant, clock: FrozenClock
) -> None:
    _, email, token = await _user_token(client, tenant, "recruiter")
    secret = (await client.post("/v1/me/mfa/totp", headers=bearer(token))).json()["secret"]
    wrong = code_at(secret, clock, steps=5)
    refused = await client.post("/v1/me/mfa/totp/confirm", headers=bearer(token), json={"code": wrong})
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    assert (await client.get("/v1/me/mfa", headers=bearer(token))).json()["totp_enabled"] is False
    assert (await password_grant(client, email, PASSWORD)).status_code == 200


async def test_the_password_grant_answers_a_challenge_that_a_code_completes(
    client: httpx.AsyncClient, tenant: Tenant, clock: FrozenClock
) -> None:
    user_id, email, token = await _user_token(client, tenant, "recruiter")
    secret, _codes = await enrol(client, token, clock)

    challenged = await password_grant(client, email, PASSWORD, scope="jobs:read")
    mfa_token = challenge_of(challenged)
    assert "mfa-otp" in challenged.json()["error_description"]

    done = await mfa_grant(client, mfa_token, code_at(secret, clock))
    assert done.status_code == 200, done.text
    tokens = done.json()
    assert "recovery_codes" not in tokens
    assert tokens["scope"] == "jobs:read"  # the scope the password grant asked for
    assert claims_of(tokens["access_token"])["sub"] == user_id
    assert await me_status(client, tokens["access_token"]) == 200
    assert (
        await token_request(client, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    ).status_code == 200

    # The mfa_token is single-use.
    clock.advance(seconds=30)
    replay = await mfa_grant(client, mfa_token, code_at(secret, clock))
    assert_oauth_error(replay, 400, "invalid_grant")


async def test_a_wrong_password_never_reaches_the_second_step(
    client: httpx.AsyncClient, tenant: Tenant, clock: FrozenClock
) -> None:
    _, email, token = await _user_token(client, tenant, "recruiter")
    await enrol(client, token, clock)
    assert_oauth_error(await password_grant(client, email, "not-the-password!"), 400, "invalid_grant")


async def test_wrong_codes_are_refused_and_throttled_like_wrong_passwords(
    client: httpx.AsyncClient, tenant: Tenant, clock: FrozenClock, settings: Settings
) -> None:
    _, email, token = await _user_token(client, tenant, "recruiter")
    secret, _codes = await enrol(client, token, clock)
    mfa_token = challenge_of(await password_grant(client, email, PASSWORD))
    for attempt in ("000000", "12345", "abcdef", code_at(secret, clock, steps=3), "999999"):
        assert_oauth_error(await mfa_grant(client, mfa_token, attempt), 400, "invalid_grant")
    throttled = await mfa_grant(client, mfa_token, code_at(secret, clock))
    assert_oauth_error(throttled, 429, "slow_down")
    assert int(throttled.headers["retry-after"]) > 0
    # The window passes; the same token (still within its five minutes) completes.
    clock.advance(seconds=settings.login_failure_window_seconds)
    fresh = challenge_of(await password_grant(client, email, PASSWORD))
    assert (await mfa_grant(client, fresh, code_at(secret, clock))).status_code == 200


async def test_a_code_cannot_be_used_twice_in_its_window(
    client: httpx.AsyncClient, tenant: Tenant, clock: FrozenClock
) -> None:
    _, email, token = await _user_token(client, tenant, "recruiter")
    secret, _codes = await enrol(client, token, clock)
    code = code_at(secret, clock)
    first = challenge_of(await password_grant(client, email, PASSWORD))
    assert (await mfa_grant(client, first, code)).status_code == 200

    second = challenge_of(await password_grant(client, email, PASSWORD))
    assert_oauth_error(await mfa_grant(client, second, code), 400, "invalid_grant")
    # An older code of the window is refused too once a newer one was used.
    assert_oauth_error(
        await mfa_grant(client, second, code_at(secret, clock, steps=-1)), 400, "invalid_grant"
    )
    clock.advance(seconds=30)
    assert (await mfa_grant(client, second, code_at(secret, clock))).status_code == 200


async def test_codes_one_step_either_side_are_accepted_and_two_are_not(
    client: httpx.AsyncClient, tenant: Tenant, clock: FrozenClock
) -> None:
    _, email, token = await _user_token(client, tenant, "recruiter")
    secret, _codes = await enrol(client, token, clock)
    far = challenge_of(await password_grant(client, email, PASSWORD))
    assert_oauth_error(await mfa_grant(client, far, code_at(secret, clock, steps=2)), 400, "invalid_grant")
    assert (await mfa_grant(client, far, code_at(secret, clock, steps=1))).status_code == 200


async def test_a_recovery_code_signs_in_once(
    client: httpx.AsyncClient, tenant: Tenant, clock: FrozenClock
) -> None:
    _, email, token = await _user_token(client, tenant, "recruiter")
    _secret, codes = await enrol(client, token, clock)
    first = challenge_of(await password_grant(client, email, PASSWORD))
    used = await mfa_grant(client, first, f"  {codes[0].upper()} ")
    assert used.status_code == 200, used.text
    left = await client.get("/v1/me/mfa", headers=bearer(used.json()["access_token"]))
    assert left.json()["recovery_codes_left"] == 9

    second = challenge_of(await password_grant(client, email, PASSWORD))
    assert_oauth_error(await mfa_grant(client, second, codes[0]), 400, "invalid_grant")
    assert (await mfa_grant(client, second, codes[1].replace("-", ""))).status_code == 200


async def test_the_mfa_token_expires_after_five_minutes(
    client: httpx.AsyncClient, tenant: Tenant, clock: FrozenClock
) -> None:
    _, email, token = await _user_token(client, tenant, "recruiter")
    secret, _codes = await enrol(client, token, clock)
    mfa_token = challenge_of(await password_grant(client, email, PASSWORD))
    clock.advance(seconds=301)
    assert_oauth_error(await mfa_grant(client, mfa_token, code_at(secret, clock)), 400, "invalid_grant")
    assert_oauth_error(await mfa_grant(client, "mfa_made-up", code_at(secret, clock)), 400, "invalid_grant")
    assert_oauth_error(await token_request(client, grant_type=MFA_GRANT), 400, "invalid_request")


async def test_an_mfa_token_is_not_an_access_token(
    client: httpx.AsyncClient, tenant: Tenant, clock: FrozenClock
) -> None:
    _, email, token = await _user_token(client, tenant, "recruiter")
    await enrol(client, token, clock)
    mfa_token = challenge_of(await password_grant(client, email, PASSWORD))
    assert await me_status(client, mfa_token) == 401
    # Nor does an enrolment call take a token that was issued for a code.
    enrolment = await client.post("/v1/oauth/mfa/enrolment", data={"mfa_token": mfa_token})
    assert_oauth_error(enrolment, 400, "invalid_grant")


async def test_turning_it_off_needs_a_current_code(
    client: httpx.AsyncClient,
    tenant: Tenant,
    clock: FrozenClock,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    user_id, email, token = await _user_token(client, tenant, "recruiter")
    secret, _codes = await enrol(client, token, clock)
    refused = await client.post("/v1/me/mfa/totp/disable", headers=bearer(token), json={"code": "000000"})
    assert refused.status_code == 422
    assert (await client.get("/v1/me/mfa", headers=bearer(token))).json()["totp_enabled"] is True

    off = await client.post(
        "/v1/me/mfa/totp/disable", headers=bearer(token), json={"code": code_at(secret, clock)}
    )
    assert off.status_code == 204, off.text
    assert (await password_grant(client, email, PASSWORD)).status_code == 200
    async with transaction(sessionmaker) as session:
        left = (
            await session.scalars(
                select(MfaRecoveryCode)
                .where(MfaRecoveryCode.user_id == uuid.UUID(user_id))
                .execution_options(**all_tenants())
            )
        ).all()
    assert left == []
    audit = await client.get(
        "/v1/audit-events", params={"action": "user.mfa_disabled"}, headers=tenant.headers
    )
    assert [entry["target_id"] for entry in audit.json()["items"]] == [user_id]


async def test_an_admin_resets_another_users_factor_and_their_logins_end(
    client: httpx.AsyncClient, tenant: Tenant, clock: FrozenClock
) -> None:
    user_id, email, token = await _user_token(client, tenant, "recruiter")
    await enrol(client, token, clock)
    _, _, recruiter = await _user_token(client, tenant, "recruiter")

    refused = await client.delete(f"/v1/users/{user_id}/mfa", headers=bearer(recruiter))
    assert refused.status_code == 403
    own = await client.delete(f"/v1/users/{tenant.admin_id}/mfa", headers=tenant.headers)
    assert own.status_code == 409

    reset = await client.delete(f"/v1/users/{user_id}/mfa", headers=tenant.headers)
    assert reset.status_code == 204, reset.text
    assert await me_status(client, token) == 401
    assert (await password_grant(client, email, PASSWORD)).status_code == 200
    assert (await client.delete(f"/v1/users/{user_id}/mfa", headers=tenant.headers)).status_code == 204
    audit = await client.get("/v1/audit-events", params={"action": "user.mfa_reset"}, headers=tenant.headers)
    entries = audit.json()["items"]
    assert [(e["target_id"], e["actor"]) for e in entries] == [(user_id, f"user:{tenant.admin_id}")]


async def test_another_tenant_cannot_reset_a_users_factor(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant, clock: FrozenClock
) -> None:
    user_id, email, token = await _user_token(client, tenant, "recruiter")
    await enrol(client, token, clock)
    assert (await client.delete(f"/v1/users/{user_id}/mfa", headers=other_tenant.headers)).status_code == 404
    challenge_of(await password_grant(client, email, PASSWORD))


async def test_an_organisation_that_requires_mfa_makes_people_enrol_at_sign_in(
    client: httpx.AsyncClient, tenant: Tenant, clock: FrozenClock
) -> None:
    _, email, _token = await _user_token(client, tenant, "recruiter")
    _, _, recruiter = await _user_token(client, tenant, "recruiter")
    assert (await _require_mfa(client, tenant)).status_code == 200
    etag = (await client.get("/v1/organisation", headers=tenant.headers)).headers["etag"]
    refused = await client.patch(
        "/v1/organisation", headers={**bearer(recruiter), "If-Match": etag}, json={"require_mfa": False}
    )
    assert refused.status_code == 403
    organisation = (await client.get("/v1/organisation", headers=tenant.headers)).json()
    assert organisation["require_mfa"] is True

    challenged = await password_grant(client, email, PASSWORD)
    mfa_token = challenge_of(challenged, "mfa_enrolment_required")
    # Before an authenticator is set up, no code completes the sign-in.
    assert_oauth_error(await mfa_grant(client, mfa_token, "123456"), 400, "invalid_grant")

    started = await client.post("/v1/oauth/mfa/enrolment", data={"mfa_token": mfa_token})
    assert started.status_code == 200, started.text
    assert started.headers["cache-control"] == "no-store"
    secret = started.json()["secret"]
    assert started.json()["qr_svg"].startswith("<svg")

    done = await mfa_grant(client, mfa_token, code_at(secret, clock))
    assert done.status_code == 200, done.text
    assert len(done.json()["recovery_codes"]) == 10
    assert await me_status(client, done.json()["access_token"]) == 200

    # From now on it is an ordinary code challenge.
    clock.advance(seconds=30)
    again = challenge_of(await password_grant(client, email, PASSWORD))
    assert (await mfa_grant(client, again, code_at(secret, clock))).status_code == 200


async def test_the_enrolment_token_opens_nothing_else(
    client: httpx.AsyncClient, tenant: Tenant, clock: FrozenClock
) -> None:
    assert (await _require_mfa(client, tenant)).status_code == 200
    _, email = await add_user(client, tenant, "recruiter")
    mfa_token = challenge_of(await password_grant(client, email, PASSWORD), "mfa_enrolment_required")
    assert await me_status(client, mfa_token) == 401
    assert (await client.post("/v1/me/mfa/totp", headers=bearer(mfa_token))).status_code == 401
    clock.advance(seconds=301)
    expired = await client.post("/v1/oauth/mfa/enrolment", data={"mfa_token": mfa_token})
    assert_oauth_error(expired, 400, "invalid_grant")
    assert_oauth_error(await client.post("/v1/oauth/mfa/enrolment", data={}), 400, "invalid_request")


async def test_api_clients_have_no_second_factor(client: httpx.AsyncClient, tenant: Tenant) -> None:
    created = await add_api_client(client, tenant, "users:read")
    token = (await client_token(client, created)).json()["access_token"]
    assert (await client.get("/v1/me/mfa", headers=bearer(token))).status_code == 403
    assert (await client.post("/v1/me/mfa/totp", headers=bearer(token))).status_code == 403


async def test_key_rotation_reseals_the_authenticator_secret(
    client: httpx.AsyncClient,
    tenant: Tenant,
    clock: FrozenClock,
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    user_id, _email, token = await _user_token(client, tenant, "recruiter")
    secret, _codes = await enrol(client, token, clock)
    ring = KeyRing.from_setting(f"fresh:{KeyRing.generate_key()},{settings.pii_keyring().to_setting()}")

    assert await rotate_keys(sessionmaker, ring, batch_size=10) >= 1
    async with transaction(sessionmaker) as session:
        row = (
            await session.scalars(
                select(UserTotp)
                .where(UserTotp.user_id == uuid.UUID(user_id))
                .execution_options(**all_tenants())
            )
        ).one()
    assert KeyRing.key_id(row.secret) == "fresh"
    assert ring.decrypt(row.secret, context=f"user_totp:{row.id}:secret") == secret
