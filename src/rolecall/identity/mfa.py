"""The TOTP second factor (RFC 6238: 30-second steps, 6 digits, SHA-1, one step of clock drift).

A user enrols in two steps: ``start_enrolment`` makes a secret (sealed with the key ring, never
stored in clear) and shows it as an ``otpauth://`` URI and a QR code; ``confirm_enrolment`` takes a
first code, and only then is the factor active and ten recovery codes are shown, once (only keyed
hashes are kept). Every accepted code moves ``last_used_step`` forward with a conditional update,
so a code cannot be replayed in its window, not even by two requests racing. Wrong codes count in
the same failed-login throttle as wrong passwords (per account and per client address).

A password sign-in that needs a second step gets an :class:`MfaChallenge` instead of tokens: a
random ``mfa_token`` (only its hash is stored), short-lived, single-use, bound to one user and to
the channel (token endpoint or sign-in page) it was issued for.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, cast

import pyotp
import segno
from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.audit import service as audit
from rolecall.config import Settings
from rolecall.identity import repository, throttle
from rolecall.identity.mfa_models import MfaChallenge, MfaRecoveryCode, UserTotp
from rolecall.identity.models import User
from rolecall.identity.permissions import scopes_for_roles
from rolecall.platform.auth import Principal
from rolecall.platform.clock import utcnow
from rolecall.platform.crypto import keyed_hash
from rolecall.platform.errors import Conflict, Forbidden, NotFound
from rolecall.platform.ids import new_id
from rolecall.platform.pii import KeyRing
from rolecall.platform.tenancy import all_tenants

ISSUER = "Rolecall"
STEP_SECONDS = 30
DIGITS = 6
DRIFT_STEPS = 1
RECOVERY_CODE_COUNT = 10
CHALLENGE_SECONDS = 300
_CODE = re.compile(r"\d{6}")
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read aloud or copied by hand
_RECOVERY_LENGTH = 10  # about 49 bits each

Purpose = Literal["verify", "enrol"]
Channel = Literal["api", "page"]
Method = Literal["totp", "recovery_code"]


class CodeRejected(Exception):
    """A wrong, reused or malformed code; the caller records it in the throttle and answers."""

    def __init__(self, keys: throttle.ThrottleKeys) -> None:
        super().__init__("The code is not valid.")
        self.keys = keys


class CodeThrottled(Exception):
    """Too many wrong codes (or passwords) for this account or address."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("Too many failed attempts; try again later.")
        self.retry_after = retry_after


@dataclass(frozen=True)
class Enrolment:
    """What a person needs to add Rolecall to an authenticator app."""

    secret: str
    otpauth_uri: str
    qr_svg: str


@dataclass(frozen=True)
class MfaStatus:
    enabled: bool
    pending: bool
    confirmed_at: datetime | None
    recovery_codes_left: int
    required_by_organisation: bool


def secret_context(row_id: uuid.UUID) -> str:
    return f"user_totp:{row_id}:secret"


def _keyring(settings: Settings) -> KeyRing:
    return settings.pii_keyring()


def _step(when: datetime) -> int:
    return int(when.timestamp()) // STEP_SECONDS


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS, issuer=ISSUER)


def _throttle_keys(settings: Settings, user_id: uuid.UUID, address: str) -> throttle.ThrottleKeys:
    # The account key is the user's id (an address may hold several accounts); the address key is
    # the one password sign-ins count against, so guessing codes and passwords share one budget.
    return throttle.ThrottleKeys(
        account="mfa:" + keyed_hash(settings.secret_key, "login-throttle", f"user:{user_id}")[:64],
        address=throttle.keys_for(settings, "", address).address,
    )


def _recovery_hash(settings: Settings, user_id: uuid.UUID, code: str) -> str:
    return keyed_hash(settings.secret_key, "mfa-recovery-code", f"{user_id}:{code}")


def _normalise_recovery(code: str) -> str:
    return re.sub(r"[\s-]", "", code).lower()


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


def qr_svg(uri: str) -> str:
    """The URI as an inline SVG QR code (no script, no external reference), for the pages and API."""
    svg: str = segno.make(uri, error="m").svg_inline(scale=4, title="QR code for your authenticator app")
    return svg


async def _totp_row(session: AsyncSession, user_id: uuid.UUID) -> UserTotp | None:
    return (await session.scalars(select(UserTotp).where(UserTotp.user_id == user_id))).first()


async def is_enrolled(session: AsyncSession, user_id: uuid.UUID) -> bool:
    row = await _totp_row(session, user_id)
    return row is not None and row.confirmed_at is not None


async def enrolled_among(session: AsyncSession, user_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """Which of these users have a confirmed second factor (one query, for the staff list)."""
    if not user_ids:
        return set()
    stmt = select(UserTotp.user_id).where(UserTotp.user_id.in_(user_ids), UserTotp.confirmed_at.is_not(None))
    return set((await session.scalars(stmt)).all())


async def required_step(session: AsyncSession, user: User) -> Purpose | None:
    """What a password sign-in of ``user`` still needs: a code, an enrolment, or nothing.

    The session must be bound to the user's organisation.
    """
    if await is_enrolled(session, user.id):
        return "verify"
    organisation = await repository.get_organisation(session, user.organisation_id)
    if organisation is not None and organisation.require_mfa:
        return "enrol"
    return None


async def status(session: AsyncSession, principal: Principal) -> MfaStatus:
    _ensure_user(principal)
    row = await _totp_row(session, principal.subject_id)
    left = await session.scalar(
        select(func.count())
        .select_from(MfaRecoveryCode)
        .where(MfaRecoveryCode.user_id == principal.subject_id, MfaRecoveryCode.used_at.is_(None))
    )
    organisation = await repository.get_organisation(session, principal.organisation_id)
    return MfaStatus(
        enabled=row is not None and row.confirmed_at is not None,
        pending=row is not None and row.confirmed_at is None,
        confirmed_at=row.confirmed_at if row is not None else None,
        recovery_codes_left=int(left or 0) if row is not None and row.confirmed_at is not None else 0,
        required_by_organisation=bool(organisation and organisation.require_mfa),
    )


def _ensure_user(principal: Principal) -> None:
    if principal.kind != "user":
        raise Forbidden("Only a signed-in user has a second factor; API clients do not.")


async def start_enrolment(session: AsyncSession, settings: Settings, user: User, actor: str) -> Enrolment:
    """A fresh secret for ``user``, pending until confirmed; replaces an unconfirmed one."""
    row = await _totp_row(session, user.id)
    if row is not None and row.confirmed_at is not None:
        raise Conflict("Two-step sign-in is already on. Turn it off first to set up a new authenticator.")
    if row is not None:
        await session.delete(row)
        await session.flush()
    secret = pyotp.random_base32()
    row = UserTotp(id=new_id(), user_id=user.id, secret="")
    row.secret = _keyring(settings).encrypt(secret, context=secret_context(row.id))
    session.add(row)
    await session.flush()
    audit.record(
        session, actor=actor, action="user.mfa_enrolment_started", target_type="user", target_id=user.id
    )
    uri = _totp(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
    return Enrolment(secret=secret, otpauth_uri=uri, qr_svg=qr_svg(uri))


async def pending_enrolment(session: AsyncSession, settings: Settings, user: User) -> Enrolment | None:
    """The enrolment started and not yet confirmed, to show its QR code again."""
    row = await _totp_row(session, user.id)
    if row is None or row.confirmed_at is not None:
        return None
    secret = _keyring(settings).decrypt(row.secret, context=secret_context(row.id))
    uri = _totp(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
    return Enrolment(secret=secret, otpauth_uri=uri, qr_svg=qr_svg(uri))


async def _check_throttle(session: AsyncSession, settings: Settings, keys: throttle.ThrottleKeys) -> None:
    wait = await throttle.retry_after(session, settings, keys)
    if wait is not None:
        raise CodeThrottled(wait)


async def _accept_totp(session: AsyncSession, settings: Settings, row: UserTotp, code: str) -> bool:
    """Whether ``code`` is a current code not used before; if so, it is spent."""
    if not _CODE.fullmatch(code):
        return False
    secret = _keyring(settings).decrypt(row.secret, context=secret_context(row.id))
    totp = _totp(secret)
    now = _step(utcnow())
    matched = [
        step
        for step in range(now - DRIFT_STEPS, now + DRIFT_STEPS + 1)
        if hmac.compare_digest(totp.generate_otp(step), code)
    ]
    if not matched:
        return False
    step = matched[-1]
    # Conditional on the stored step, so of two requests with the same code only one wins.
    stmt = (
        update(UserTotp)
        .where(
            UserTotp.id == row.id,
            (UserTotp.last_used_step.is_(None)) | (UserTotp.last_used_step < step),
        )
        .values(last_used_step=step)
        .execution_options(synchronize_session="fetch")
    )
    result = cast("CursorResult[Any]", await session.execute(stmt))
    return result.rowcount == 1


async def _accept_recovery_code(
    session: AsyncSession, settings: Settings, user_id: uuid.UUID, code: str
) -> bool:
    normalised = _normalise_recovery(code)
    if len(normalised) != _RECOVERY_LENGTH:
        return False
    stmt = (
        update(MfaRecoveryCode)
        .where(
            MfaRecoveryCode.user_id == user_id,
            MfaRecoveryCode.code_hash == _recovery_hash(settings, user_id, normalised),
            MfaRecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session="fetch")
    )
    result = cast("CursorResult[Any]", await session.execute(stmt))
    return result.rowcount == 1


async def verify_second_factor(
    session: AsyncSession, settings: Settings, user: User, code: str, address: str
) -> Method:
    """Check a TOTP code or a recovery code of an enrolled user; raises on a wrong or reused one."""
    keys = _throttle_keys(settings, user.id, address)
    await _check_throttle(session, settings, keys)
    row = await _totp_row(session, user.id)
    if row is None or row.confirmed_at is None:
        raise CodeRejected(keys)
    code = code.strip()
    if await _accept_totp(session, settings, row, code):
        method: Method = "totp"
    elif await _accept_recovery_code(session, settings, user.id, code):
        method = "recovery_code"
    else:
        raise CodeRejected(keys)
    await throttle.clear_account(session, keys)
    return method


async def record_rejection(session: AsyncSession, settings: Settings, rejected: CodeRejected) -> None:
    await throttle.record_failure(session, settings, rejected.keys)


async def confirm_enrolment(
    session: AsyncSession, settings: Settings, user: User, code: str, address: str, actor: str
) -> list[str]:
    """Activate the pending authenticator with a first code; returns the recovery codes, once."""
    keys = _throttle_keys(settings, user.id, address)
    await _check_throttle(session, settings, keys)
    row = await _totp_row(session, user.id)
    if row is None:
        raise Conflict("Start setting up an authenticator first.")
    if row.confirmed_at is not None:
        raise Conflict("Two-step sign-in is already on.")
    if not await _accept_totp(session, settings, row, code.strip()):
        raise CodeRejected(keys)
    await throttle.clear_account(session, keys)
    row.confirmed_at = utcnow()
    codes = await _replace_recovery_codes(session, settings, user.id)
    await session.flush()
    audit.record(session, actor=actor, action="user.mfa_enabled", target_type="user", target_id=user.id)
    return codes


async def _replace_recovery_codes(session: AsyncSession, settings: Settings, user_id: uuid.UUID) -> list[str]:
    await session.execute(delete(MfaRecoveryCode).where(MfaRecoveryCode.user_id == user_id))
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    now = utcnow()
    for code in codes:
        session.add(
            MfaRecoveryCode(
                user_id=user_id,
                code_hash=_recovery_hash(settings, user_id, _normalise_recovery(code)),
                created_at=now,
            )
        )
    return codes


async def _remove_factor(session: AsyncSession, user_id: uuid.UUID) -> None:
    await session.execute(delete(MfaRecoveryCode).where(MfaRecoveryCode.user_id == user_id))
    await session.execute(delete(UserTotp).where(UserTotp.user_id == user_id))
    await session.execute(delete(MfaChallenge).where(MfaChallenge.user_id == user_id))


async def disable(
    session: AsyncSession, settings: Settings, principal: Principal, code: str, address: str
) -> None:
    """Turn one's own second factor off; it takes a current code (or a recovery code)."""
    _ensure_user(principal)
    user = await _user(session, principal.subject_id)
    if not await is_enrolled(session, user.id):
        raise Conflict("Two-step sign-in is not on.")
    await verify_second_factor(session, settings, user, code, address)
    await _remove_factor(session, user.id)
    audit.record(
        session, actor=principal.actor, action="user.mfa_disabled", target_type="user", target_id=user.id
    )


async def admin_reset(session: AsyncSession, principal: Principal, user_id: uuid.UUID) -> None:
    """Remove another user's second factor (a lost phone and no recovery codes); ends their logins.

    An admin cannot reset their own factor this way: that needs a code, like any disabling.
    Delegation never escalates: only someone holding every scope of the user's roles may do it.
    """
    user = await _user(session, user_id)
    if user.id == principal.subject_id:
        raise Conflict("Turn off your own two-step sign-in from your account, with a current code.")
    beyond = scopes_for_roles(frozenset(user.roles)) - (principal.scopes | scopes_for_roles(principal.roles))
    if beyond:
        raise Forbidden(f"This needs scope(s) you do not hold: {', '.join(sorted(beyond))}.")
    if await _totp_row(session, user.id) is None:
        return  # nothing to remove: a DELETE is idempotent
    await _remove_factor(session, user.id)
    await repository.revoke_auth_sessions(session, user_id=user.id, reason="mfa_reset")
    audit.record(
        session, actor=principal.actor, action="user.mfa_reset", target_type="user", target_id=user.id
    )


async def _user(session: AsyncSession, user_id: uuid.UUID) -> User:
    user = await repository.get_user(session, user_id)
    if user is None:
        raise NotFound()
    return user


# --- challenges (the mfa_token) ----------------------------------------------------------------


def _challenge_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_challenge(
    session: AsyncSession, user: User, purpose: Purpose, channel: Channel, scope: str | None
) -> str:
    """Issue an ``mfa_token`` for ``user``; only its hash is stored."""
    token = "mfa_" + secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        MfaChallenge(
            user_id=user.id,
            token_hash=_challenge_hash(token),
            purpose=purpose,
            channel=channel,
            scope=scope,
            created_at=now,
            expires_at=now + timedelta(seconds=CHALLENGE_SECONDS),
        )
    )
    await session.flush()
    return token


async def find_challenge(session: AsyncSession, token: str, channel: Channel) -> MfaChallenge | None:
    """The live challenge behind ``token`` for this channel, or ``None``. Binds nothing."""
    if not token:
        return None
    stmt = (
        select(MfaChallenge)
        .where(MfaChallenge.token_hash == _challenge_hash(token))
        .execution_options(**all_tenants(), populate_existing=True)
    )
    row = (await session.scalars(stmt)).first()
    if row is None or row.channel != channel or row.used_at is not None or row.expires_at <= utcnow():
        return None
    return row


async def spend_challenge(session: AsyncSession, challenge: MfaChallenge) -> bool:
    """Use the challenge up; ``False`` if a concurrent request already did."""
    stmt = (
        update(MfaChallenge)
        .where(MfaChallenge.id == challenge.id, MfaChallenge.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session="fetch")
    )
    result = cast("CursorResult[Any]", await session.execute(stmt))
    return result.rowcount == 1
