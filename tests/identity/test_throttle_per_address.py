"""Failed-login throttling per client address, with a small limit so few (argon2-slow) attempts are needed."""

from __future__ import annotations

import httpx
import pytest

from rolecall.config import Settings
from tests.factories import PASSWORD, Tenant
from tests.identity.support import UNKNOWN, WRONG, assert_oauth_error, assert_slowed_down, password_grant

LIMIT = 3


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"login_max_failures_per_address": LIMIT, "login_max_failures_per_account": 50}
    )


async def test_an_address_is_throttled_across_accounts(
    client: httpx.AsyncClient, elsewhere: httpx.AsyncClient, tenant: Tenant, settings: Settings
) -> None:
    window = settings.login_failure_window_seconds
    for n in range(LIMIT):
        assert_oauth_error(
            await password_grant(client, f"guess-{n}@example.com", WRONG), 400, "invalid_grant"
        )

    assert_slowed_down(await password_grant(client, tenant.admin_email, PASSWORD), window)
    assert_slowed_down(await password_grant(client, UNKNOWN, WRONG), window)
    # Another address is unaffected, and its success does not lift this address's throttle.
    assert (await password_grant(elsewhere, tenant.admin_email, PASSWORD)).status_code == 200
    assert_slowed_down(await password_grant(client, tenant.admin_email, PASSWORD), window)


async def test_forwarded_for_is_ignored_unless_trusted(
    client: httpx.AsyncClient, tenant: Tenant, settings: Settings
) -> None:
    assert settings.trust_forwarded_for is False
    for n in range(LIMIT):
        response = await client.post(
            "/v1/oauth/token",
            data={"grant_type": "password", "username": f"guess-{n}@example.com", "password": WRONG},
            headers={"X-Forwarded-For": f"192.0.2.{n}"},
        )
        assert_oauth_error(response, 400, "invalid_grant")
    assert_slowed_down(await password_grant(client, tenant.admin_email, PASSWORD), 900)
