"""Signing keys and RFC 9068 access tokens.

Keys are Ed25519 (EdDSA), identified by ``kid``, stored sealed in the database so every API replica
signs with the same key. Rotation retires a key from signing but keeps publishing it until every
token it signed has expired. Verification pins the algorithm, issuer, audience and ``typ`` (RFC 8725),
so ``alg=none``, HMAC-with-public-key confusion and tokens meant for another audience all fail.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.config import Settings
from rolecall.identity.models import SigningKey
from rolecall.platform.clock import utcnow
from rolecall.platform.crypto import seal, unseal
from rolecall.platform.ids import new_id

ALGORITHM = "EdDSA"
TOKEN_TYPE = "at+jwt"  # noqa: S105 - the JWT typ header, not a secret
_SEAL_PURPOSE = "signing-key"
LEEWAY_SECONDS = 5
# How long a process trusts its in-memory copy of the key table before it reads it again, so a key
# rotated by another replica or the CLI is used for signing (and published) without a restart.
RELOAD_AFTER_SECONDS = 60
_VERIFIED_CAPACITY = 10_000
_REQUIRED_CLAIMS = ("exp", "iat", "iss", "aud", "sub", "jti", "client_id", "org", "kind")


class InvalidToken(Exception):
    """The bearer token cannot be trusted; the reason stays server-side."""


def unverified_kid(token: str) -> str | None:
    """The ``kid`` a token claims, before anything about it is trusted."""
    try:
        kid = jwt.get_unverified_header(token).get("kid")
    except jwt.PyJWTError:
        return None
    return kid if isinstance(kid, str) else None


@dataclass(frozen=True)
class LoadedKey:
    kid: str
    private: Ed25519PrivateKey | None
    public_jwk: dict[str, Any]
    created_at: datetime
    retired_at: datetime | None
    public: Any = None  # the key object PyJWT verifies with, parsed from the JWK once per load


def _new_key_row(settings: Settings) -> SigningKey:
    private = Ed25519PrivateKey.generate()
    kid = new_id().hex
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    jwk = json.loads(OKPAlgorithm.to_jwk(private.public_key()))
    jwk.update({"kid": kid, "alg": ALGORITHM, "use": "sig"})
    return SigningKey(
        kid=kid,
        algorithm=ALGORITHM,
        private_key_sealed=seal(settings.secret_key, _SEAL_PURPOSE, pem),
        public_jwk=jwk,
        created_at=utcnow(),
    )


class KeyRing:
    """In-memory view of the signing keys; reloaded when a token names a kid it has not seen."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._keys: dict[str, LoadedKey] = {}
        self._loaded_at: datetime | None = None
        # token -> (kid, claims) of tokens whose signature, issuer and audience checked out. A token is
        # immutable, so that part of the answer cannot change; times and the key's presence are
        # checked again on every use. Bounded: cleared when full (a flood of distinct valid tokens
        # can only come from this service's own signing key).
        self._verified: dict[str, tuple[str, dict[str, Any]]] = {}

    @property
    def _grace(self) -> timedelta:
        return timedelta(seconds=self._settings.access_token_ttl_seconds + 60)

    async def load(self, session: AsyncSession) -> None:
        rows = (await session.scalars(select(SigningKey))).all()
        now = utcnow()
        keys: dict[str, LoadedKey] = {}
        for row in rows:
            if row.retired_at is not None and row.retired_at + self._grace < now:
                continue
            private = None
            if row.retired_at is None:
                loaded = serialization.load_pem_private_key(
                    unseal(self._settings.secret_key, _SEAL_PURPOSE, row.private_key_sealed), password=None
                )
                assert isinstance(loaded, Ed25519PrivateKey)
                private = loaded
            public = OKPAlgorithm.from_jwk(json.dumps(row.public_jwk))
            keys[row.kid] = LoadedKey(
                row.kid, private, row.public_jwk, row.created_at, row.retired_at, public
            )
        self._keys = keys
        self._loaded_at = now

    def loaded_within(self, seconds: float) -> bool:
        """Whether the key table was read in the last ``seconds`` (by the application clock)."""
        return self._loaded_at is not None and utcnow() - self._loaded_at < timedelta(seconds=seconds)

    async def refresh(self, session: AsyncSession, max_age: float = RELOAD_AFTER_SECONDS) -> None:
        """Reload the key table if this copy is older than ``max_age`` seconds."""
        if not self.loaded_within(max_age):
            await self.load(session)

    async def ensure_active(self, session: AsyncSession) -> None:
        """Create the first key, or rotate one older than the configured rotation period."""
        await self.load(session)
        active = self._active_or_none()
        max_age = timedelta(days=self._settings.signing_key_rotation_days)
        if active is None or active.created_at + max_age < utcnow():
            await self.rotate(session)

    async def rotate(self, session: AsyncSession) -> str:
        now = utcnow()
        for row in (await session.scalars(select(SigningKey).where(SigningKey.retired_at.is_(None)))).all():
            row.retired_at = now
        row = _new_key_row(self._settings)
        session.add(row)
        await session.flush()
        await self.load(session)
        return row.kid

    def _active_or_none(self) -> LoadedKey | None:
        active = [k for k in self._keys.values() if k.private is not None]
        return max(active, key=lambda k: k.created_at) if active else None

    def jwks(self) -> dict[str, Any]:
        return {"keys": [k.public_jwk for k in sorted(self._keys.values(), key=lambda k: k.created_at)]}

    def sign(self, claims: dict[str, Any]) -> str:
        key = self._active_or_none()
        if key is None or key.private is None:
            raise RuntimeError("no active signing key; run `rolecall migrate` and start the API once")
        return jwt.encode(
            claims, key.private, algorithm=ALGORITHM, headers={"kid": key.kid, "typ": TOKEN_TYPE}
        )

    def issue_access_token(
        self,
        *,
        subject: uuid.UUID,
        organisation_id: uuid.UUID,
        scopes: frozenset[str],
        client_id: str,
        kind: str,
        roles: frozenset[str] = frozenset(),
        session_id: uuid.UUID | None = None,
    ) -> tuple[str, str, int]:
        now = utcnow()
        ttl = self._settings.access_token_ttl_seconds
        jti = new_id().hex
        claims: dict[str, Any] = {
            "iss": self._settings.issuer,
            "aud": self._settings.audience,
            "sub": str(subject),
            "client_id": client_id,
            "iat": int(now.timestamp()),
            "exp": int((now + timedelta(seconds=ttl)).timestamp()),
            "jti": jti,
            "scope": " ".join(sorted(scopes)),
            "org": str(organisation_id),
            "kind": kind,
        }
        if roles:
            claims["roles"] = sorted(roles)
        if session_id is not None:
            claims["sid"] = str(session_id)
        return self.sign(claims), jti, ttl

    def _public_key_for(self, kid: str) -> Any:
        key = self._keys.get(kid)
        if key is None:
            raise InvalidToken("unknown kid")
        return key.public

    def knows(self, kid: str) -> bool:
        return kid in self._keys

    def verify(self, token: str, *, verify_exp: bool = True) -> dict[str, Any]:
        """The token's claims, once its signature, ``alg``, ``typ``, issuer, audience and times hold.

        The signature check (an Ed25519 verification, the costliest step of an authenticated read)
        runs once per token and process; every later use repeats only the time checks, and a token
        whose key has been dropped from the ring stops verifying at once.
        """
        known = self._verified.get(token)
        if known is not None and known[0] in self._keys:
            self._check_times(known[1], verify_exp=verify_exp)
            return dict(known[1])
        kid, claims = self._verify_signed(token)
        self._check_times(claims, verify_exp=verify_exp)
        if len(self._verified) >= _VERIFIED_CAPACITY:
            self._verified.clear()
        self._verified[token] = (kid, claims)
        return dict(claims)

    def _verify_signed(self, token: str) -> tuple[str, dict[str, Any]]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise InvalidToken("malformed") from exc
        if header.get("alg") != ALGORITHM or header.get("typ") != TOKEN_TYPE:
            raise InvalidToken("wrong alg or typ")
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise InvalidToken("no kid")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._public_key_for(kid),
                algorithms=[ALGORITHM],
                audience=self._settings.audience,
                issuer=self._settings.issuer,
                # Time is checked below against the application clock, the one that issued the token;
                # PyJWT would compare with the system clock instead.
                options={
                    "require": list(_REQUIRED_CLAIMS),
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                },
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(type(exc).__name__) from exc
        return kid, claims

    @staticmethod
    def _check_times(claims: dict[str, Any], *, verify_exp: bool) -> None:
        now = utcnow().timestamp()
        times: dict[str, float] = {}
        for name in ("exp", "iat", "nbf"):
            value = claims.get(name)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InvalidToken(f"{name} is not a number")
            times[name] = float(value)
        if verify_exp and times["exp"] <= now - LEEWAY_SECONDS:
            raise InvalidToken("expired")
        if times["iat"] > now + LEEWAY_SECONDS:
            raise InvalidToken("issued in the future")
        if "nbf" in times and times["nbf"] > now + LEEWAY_SECONDS:
            raise InvalidToken("not yet valid")
