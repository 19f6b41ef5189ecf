"""Failed-login throttling per account and per client address.

Counters are keyed by an HMAC of the normalised e-mail or the address, so the table holds no personal
data, and unknown e-mails get counters exactly like known ones — the throttle itself cannot reveal
which accounts exist.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
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
    # populate_existing: the counters change under the ORM's feet (upserts), never serve a stale copy.
    stmt = select(LoginThrottle).where(LoginThrottle.key == key).execution_options(populate_existing=True)
    return (await session.scalars(stmt)).first()


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


def _insert(session: AsyncSession) -> Callable[..., Any]:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert
    if dialect == "sqlite":
        return sqlite.insert
    raise RuntimeError(f"login throttling does not support the {dialect} dialect")


async def record_failure(session: AsyncSession, settings: Settings, keys: ThrottleKeys) -> None:
    """Count a failure against both keys, atomically.

    One upsert per key instead of read-modify-write: concurrent failures are neither lost nor
    turned into duplicate-key errors when the first failures for a key arrive together.
    """
    now = utcnow()
    window_over = LoginThrottle.window_start <= now - timedelta(seconds=settings.login_failure_window_seconds)
    insert = _insert(session)
    for key in sorted((keys.account, keys.address)):  # a fixed order, so two requests cannot deadlock
        stmt = insert(LoginThrottle).values(key=key, window_start=now, failures=1)
        stmt = stmt.on_conflict_do_update(
            index_elements=[LoginThrottle.key],
            set_={
                "failures": case((window_over, 1), else_=LoginThrottle.failures + 1),
                "window_start": case((window_over, now), else_=LoginThrottle.window_start),
            },
        )
        await session.execute(stmt)


async def clear_account(session: AsyncSession, keys: ThrottleKeys) -> None:
    await session.execute(delete(LoginThrottle).where(LoginThrottle.key == keys.account))
