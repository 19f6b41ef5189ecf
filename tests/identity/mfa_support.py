"""Helpers for the second-factor tests: real TOTP codes from pyotp at the test clock's time."""

from __future__ import annotations

from typing import Any

import httpx
import pyotp

from tests.conftest import FrozenClock
from tests.identity.support import bearer, token_request

MFA_GRANT = "urn:rolecall:params:oauth:grant-type:mfa-otp"


def code_at(secret: str, clock: FrozenClock, steps: int = 0) -> str:
    """The code an authenticator app shows at the clock's time, ``steps`` 30-second steps away."""
    return pyotp.TOTP(secret).at(clock.now, counter_offset=steps)


async def enrol(client: httpx.AsyncClient, token: str, clock: FrozenClock) -> tuple[str, list[str]]:
    """Turn TOTP on for the token's user through the API; returns (secret, recovery codes).

    The clock then moves one step on, so the confirming code is not the one a test uses next.
    """
    started = await client.post("/v1/me/mfa/totp", headers=bearer(token))
    assert started.status_code == 201, started.text
    secret: str = started.json()["secret"]
    confirmed = await client.post(
        "/v1/me/mfa/totp/confirm", headers=bearer(token), json={"code": code_at(secret, clock)}
    )
    assert confirmed.status_code == 200, confirmed.text
    clock.advance(seconds=30)
    codes: list[str] = confirmed.json()["recovery_codes"]
    return secret, codes


async def mfa_grant(client: httpx.AsyncClient, mfa_token: str, otp: str) -> httpx.Response:
    return await token_request(client, grant_type=MFA_GRANT, mfa_token=mfa_token, otp=otp)


def challenge_of(response: httpx.Response, error: str = "mfa_required") -> str:
    """The mfa_token of a documented MFA challenge, after checking the challenge's shape."""
    assert response.status_code == 401, response.text
    assert response.headers["cache-control"] == "no-store"
    body: dict[str, Any] = response.json()
    assert set(body) == {"error", "error_description", "mfa_token"}
    assert body["error"] == error
    assert "access_token" not in body
    token: str = body["mfa_token"]
    return token
