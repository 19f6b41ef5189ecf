"""Failed-login throttling per account, without revealing which accounts exist (per address: see
``test_throttle_per_address``)."""

from __future__ import annotations

import anyio
import httpx

from rolecall.config import Settings
from tests.conftest import FrozenClock
from tests.factories import PASSWORD, Tenant
from tests.identity.support import UNKNOWN, WRONG, assert_oauth_error, assert_slowed_down, password_grant


def test_default_limits() -> None:
    fields = Settings.model_fields
    assert fields["login_max_failures_per_account"].default == 5
    assert fields["login_max_failures_per_address"].default == 20


async def test_an_account_is_throttled_after_five_failures(
    client: httpx.AsyncClient,
    elsewhere: httpx.AsyncClient,
    tenant: Tenant,
    settings: Settings,
    clock: FrozenClock,
) -> None:
    assert settings.login_max_failures_per_account == 5
    for _ in range(5):
        assert_oauth_error(await password_grant(client, tenant.admin_email, WRONG), 400, "invalid_grant")

    window = settings.login_failure_window_seconds
    throttled = await password_grant(client, tenant.admin_email, PASSWORD)
    assert_slowed_down(throttled, window)
    assert int(throttled.headers["retry-after"]) == window + 1
    # The account is what is throttled, from any address; other accounts are not.
    assert_slowed_down(await password_grant(elsewhere, tenant.admin_email, PASSWORD), window)
    assert (await password_grant(client, "someone-else@example.com", WRONG)).status_code == 400

    clock.advance(seconds=window - 100)
    assert int((await password_grant(client, tenant.admin_email, PASSWORD)).headers["retry-after"]) == 101

    clock.advance(seconds=100)
    assert (await password_grant(client, tenant.admin_email, PASSWORD)).status_code == 200


async def test_a_successful_login_resets_the_account_counter(
    client: httpx.AsyncClient, tenant: Tenant, settings: Settings
) -> None:
    almost = settings.login_max_failures_per_account - 1
    for _ in range(almost):
        await password_grant(client, tenant.admin_email, WRONG)
    assert (await password_grant(client, tenant.admin_email, PASSWORD)).status_code == 200
    for _ in range(almost):
        assert_oauth_error(await password_grant(client, tenant.admin_email, WRONG), 400, "invalid_grant")
    assert (await password_grant(client, tenant.admin_email, PASSWORD)).status_code == 200


async def test_failures_are_forgotten_when_the_window_ends(
    client: httpx.AsyncClient, tenant: Tenant, settings: Settings, clock: FrozenClock
) -> None:
    limit = settings.login_max_failures_per_account
    for _ in range(limit - 1):
        await password_grant(client, tenant.admin_email, WRONG)
    clock.advance(seconds=settings.login_failure_window_seconds)

    # A new window starts with the next failure, so the old ones no longer count towards the limit.
    for _ in range(limit - 1):
        assert_oauth_error(await password_grant(client, tenant.admin_email, WRONG), 400, "invalid_grant")
    assert (await password_grant(client, tenant.admin_email, WRONG)).status_code == 400
    assert_oauth_error(await password_grant(client, tenant.admin_email, PASSWORD), 429, "slow_down")


async def test_unknown_and_known_accounts_get_byte_identical_answers(
    client: httpx.AsyncClient, tenant: Tenant, settings: Settings, clock: FrozenClock
) -> None:
    known: list[httpx.Response] = []
    unknown: list[httpx.Response] = []
    for _ in range(settings.login_max_failures_per_account + 1):
        known.append(await password_grant(client, tenant.admin_email, WRONG))
        unknown.append(await password_grant(client, UNKNOWN, WRONG))

    for mine, theirs in zip(known, unknown, strict=True):
        assert mine.status_code == theirs.status_code
        assert mine.content == theirs.content
        assert mine.headers.get("retry-after") == theirs.headers.get("retry-after")
    assert [r.status_code for r in known] == [400] * settings.login_max_failures_per_account + [429]
    # Throttled, even the right password gets the same answer as an account that does not exist.
    right = await password_grant(client, tenant.admin_email, PASSWORD)
    nobody = await password_grant(client, UNKNOWN, PASSWORD)
    assert right.status_code == nobody.status_code == 429
    assert right.content == nobody.content
    assert right.headers["retry-after"] == nobody.headers["retry-after"]


async def test_concurrent_failures_are_all_counted(
    client: httpx.AsyncClient, tenant: Tenant, settings: Settings
) -> None:
    limit = settings.login_max_failures_per_account
    results: list[httpx.Response] = []

    async def fail() -> None:
        results.append(await password_grant(client, tenant.admin_email, WRONG))

    async with anyio.create_task_group() as tg:
        for _ in range(limit):
            tg.start_soon(fail)

    for response in results:
        assert_oauth_error(response, 400, "invalid_grant")
    assert_oauth_error(await password_grant(client, tenant.admin_email, PASSWORD), 429, "slow_down")
