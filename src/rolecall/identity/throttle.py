"""Failed-login throttling per account and per client address.

Counters are keyed by an HMAC of the normalised e-mail or the address, so the table holds no personal
data, and unknown e-mails get counters exactly like known ones — the throttle itself cannot reveal
which accounts exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.config import Settings
from rolecall.identity.models import LoginThrottle
from rolecall.platform.clock import utcnow
from rolecall.platform.crypto import keyed_hash


@dataclass(frozen=True)
class ThrottleKeys:
    account: str
    address: str


def keys_for(settings: Settings, email: str, address: str) -> ThrottleKeys:
    return ThrottleKeys(
        account="acct:" + keyed_hash(settings.secret_key, "login-throttle", email.strip().lower())[:64],
        address="addr:" + keyed_hash(settings.secret_key, "login-throttle", address)[:64],
    )


async def _row(session: AsyncSession, key: str) -> LoginThrottle | None:
    return (await session.scalars(select(LoginThrottle).where(LoginThrottle.key == key))).first()


async def retry_after(session: AsyncSession, settings: Settings, keys: ThrottleKeys) -> int | None:
    """Seconds until another attempt is allowed, or ``None`` if the caller may try now."""
    now = utcnow()
    window = timedelta(seconds=settings.login_failure_window_seconds)
    limits = (
        (keys.account, settings.login_max_failures_per_account),
        (keys.address, settings.login_max_failures_per_address),
    )
    wait = 0
    for key, limit in limits:
        row = await _row(session, key)
        if row is not None and row.window_start + window > now and row.failures >= limit:
            wait = max(wait, int((row.window_start + window - now).total_seconds()) + 1)
    return wait or None


async def record_failure(session: AsyncSession, settings: Settings, keys: ThrottleKeys) -> None:
    now = utcnow()
    window = timedelta(seconds=settings.login_failure_window_seconds)
    for key in (keys.account, keys.address):
        row = await _row(session, key)
        if row is None:
            session.add(LoginThrottle(key=key, window_start=now, failures=1))
        elif row.window_start + window <= now:
            row.window_start, row.failures = now, 1
        else:
            row.failures += 1
    await session.flush()


async def clear_account(session: AsyncSession, keys: ThrottleKeys) -> None:
    row = await _row(session, keys.account)
    if row is not None:
        await session.delete(row)
