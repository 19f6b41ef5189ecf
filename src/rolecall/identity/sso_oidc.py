"""The OpenID Connect relying party: discovery, PKCE, the code exchange and the ID-token checks.

Nothing here touches the database; :mod:`rolecall.identity.sso` decides what a verified sign-in
means for an organisation. Every failure is an :class:`OidcError` with a short ``reason`` code that
the refusal page, the log and the audit entry use; messages never quote tokens, codes or secrets.

The checks follow OpenID Connect Core 1.0, section 3.1.3.7: the signature with a key from the
provider's JWKS (asymmetric algorithms only: ``none`` and the HMAC family are refused), ``iss`` equal
to the discovered issuer, ``aud`` containing the client id (and ``azp`` equal to it when there are
several audiences), ``exp`` and ``iat`` against Rolecall's clock with a small leeway, the ``nonce``
this browser was given, and ``at_hash`` when the provider sends one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import jwt

from rolecall.identity import sso_outbound
from rolecall.identity.sso_outbound import Outbound, OutboundRefused

SCOPES = "openid email profile"
LEEWAY_SECONDS = 60
CACHE_SECONDS = 300.0
# Asymmetric signatures only: with an HMAC algorithm the "key" would be the client secret, which
# Rolecall shares with the provider, and "none" is no signature at all.
SIGNING_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
_ERROR_CODE = re.compile(r"[a-z_]{1,64}")


class OidcError(Exception):
    """A sign-in the provider's answers do not support; ``reason`` is a stable short code."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class Discovery:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    token_auth_methods: tuple[str, ...]
    algorithms: frozenset[str]


@dataclass
class ProviderCache:
    """Discovery documents and key sets by URL, kept briefly (one per API process, in app.state)."""

    seconds: float = CACHE_SECONDS
    _entries: dict[str, tuple[float, Any]] = field(default_factory=dict)

    def get(self, key: str) -> Any | None:
        found = self._entries.get(key)
        if found is None or time.monotonic() - found[0] > self.seconds:
            return None
        return found[1]

    def put(self, key: str, value: Any) -> None:
        self._entries[key] = (time.monotonic(), value)

    def forget(self, key: str) -> None:
        self._entries.pop(key, None)


def discovery_url(issuer: str) -> str:
    return issuer.rstrip("/") + "/.well-known/openid-configuration"


def _endpoint(document: dict[str, Any], name: str) -> str:
    value = document.get(name)
    if not isinstance(value, str) or urlsplit(value).scheme not in ("http", "https"):
        raise OidcError("discovery", f"The provider's discovery document has no usable {name}.")
    return value


async def discover(issuer: str, policy: Outbound, cache: ProviderCache) -> Discovery:
    """The provider's endpoints from ``<issuer>/.well-known/openid-configuration``, cached briefly.

    The document must name exactly the configured issuer (OpenID Connect Discovery 1.0, 4.3):
    otherwise one provider could pose as another.
    """
    url = discovery_url(issuer)
    cached = cache.get(url)
    if isinstance(cached, Discovery):
        return cached
    try:
        document = await sso_outbound.get_json(policy, url, "discovery document")
    except OutboundRefused as exc:
        raise OidcError("discovery", f"The provider's discovery document could not be read: {exc}.") from exc
    if document.get("issuer") != issuer:
        raise OidcError("discovery", "The provider's discovery document names a different issuer.")
    methods = document.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    algorithms = document.get("id_token_signing_alg_values_supported") or ["RS256"]
    found = Discovery(
        issuer=issuer,
        authorization_endpoint=_endpoint(document, "authorization_endpoint"),
        token_endpoint=_endpoint(document, "token_endpoint"),
        jwks_uri=_endpoint(document, "jwks_uri"),
        token_auth_methods=tuple(str(m) for m in methods),
        algorithms=frozenset(str(a) for a in algorithms) & SIGNING_ALGORITHMS,
    )
    cache.put(url, found)
    return found


def new_pkce() -> tuple[str, str]:
    """A code verifier and its S256 challenge (RFC 7636)."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def authorization_url(
    discovery: Discovery, *, client_id: str, redirect_uri: str, state: str, nonce: str, challenge: str
) -> str:
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "scope": SCOPES,
            "state": state,
            "nonce": nonce,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    separator = "&" if urlsplit(discovery.authorization_endpoint).query else "?"
    return f"{discovery.authorization_endpoint}{separator}{query}"


async def exchange_code(
    discovery: Discovery,
    policy: Outbound,
    *,
    client_id: str,
    client_secret: str,
    code: str,
    redirect_uri: str,
    verifier: str,
) -> dict[str, Any]:
    """Redeem the authorisation code at the token endpoint; returns the token response."""
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": verifier,
    }
    auth: tuple[str, str] | None = None
    if "client_secret_basic" in discovery.token_auth_methods:
        # RFC 6749 2.3.1: both halves are form-encoded before they go into the Basic header.
        auth = (quote(client_id, safe=""), quote(client_secret, safe=""))
    elif "client_secret_post" in discovery.token_auth_methods:
        data |= {"client_id": client_id, "client_secret": client_secret}
    else:
        raise OidcError(
            "token_exchange",
            "The provider supports neither client_secret_basic nor client_secret_post at its token endpoint.",
        )
    try:
        status, body = await sso_outbound.post_form(policy, discovery.token_endpoint, data, auth)
    except OutboundRefused as exc:
        raise OidcError("token_exchange", f"The provider's token endpoint failed: {exc}.") from exc
    if status != 200:
        error = body.get("error")
        code_name = error if isinstance(error, str) and _ERROR_CODE.fullmatch(error) else "unknown"
        raise OidcError("token_exchange", f"The provider refused to redeem the sign-in ({code_name}).")
    if not isinstance(body.get("id_token"), str):
        raise OidcError("token_exchange", "The provider's answer carries no ID token.")
    return body


async def key_set(
    discovery: Discovery, policy: Outbound, cache: ProviderCache, *, fresh: bool
) -> jwt.PyJWKSet:
    cached = None if fresh else cache.get(discovery.jwks_uri)
    if isinstance(cached, jwt.PyJWKSet):
        return cached
    try:
        document = await sso_outbound.get_json(policy, discovery.jwks_uri, "key set")
        keys = jwt.PyJWKSet.from_dict(document)
    except OutboundRefused as exc:
        raise OidcError("keys", f"The provider's signing keys could not be read: {exc}.") from exc
    except jwt.PyJWTError as exc:
        raise OidcError("keys", "The provider's key set holds no usable signing key.") from exc
    cache.put(discovery.jwks_uri, keys)
    return keys


def _candidates(keys: jwt.PyJWKSet, kid: str | None) -> list[jwt.PyJWK]:
    usable = [key for key in keys.keys if key.public_key_use in (None, "sig")]
    if kid is None:
        return usable
    return [key for key in usable if key.key_id == kid]


def _half_hash(value: str, algorithm: str) -> str:
    """``at_hash``: the left half of the access token's hash under the signature's hash function."""
    if algorithm == "EdDSA":
        digest = hashlib.sha512(value.encode("ascii")).digest()  # Ed25519, the usual EdDSA curve
    else:
        digest = hashlib.new(f"sha{algorithm[2:]}", value.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode("ascii")


async def verify_id_token(
    id_token: str,
    discovery: Discovery,
    policy: Outbound,
    cache: ProviderCache,
    *,
    client_id: str,
    nonce: str,
    access_token: str | None,
    now: datetime,
) -> dict[str, Any]:
    """The ID token's claims, once every check of OpenID Connect Core 3.1.3.7 passed."""
    try:
        header = jwt.get_unverified_header(id_token)
    except jwt.PyJWTError as exc:
        raise OidcError("malformed", "The ID token is not a signed JWT.") from exc
    algorithm = header.get("alg")
    if not isinstance(algorithm, str) or algorithm not in discovery.algorithms:
        raise OidcError("signature", "The ID token is signed with an algorithm Rolecall does not accept.")
    kid = header.get("kid") if isinstance(header.get("kid"), str) else None
    claims = await _signed_claims(id_token, discovery, policy, cache, algorithm, kid, client_id)
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise OidcError("audience", "The ID token was issued to another client.")
    moment = now.timestamp()
    expires, issued = claims.get("exp"), claims.get("iat")
    if not isinstance(expires, int | float) or not isinstance(issued, int | float):
        raise OidcError("claims", "The ID token's times are not numbers.")
    if moment > expires + LEEWAY_SECONDS:
        raise OidcError("expired", "The ID token has expired.")
    if issued > moment + LEEWAY_SECONDS:
        raise OidcError("expired", "The ID token was issued in the future; check the clocks.")
    not_before = claims.get("nbf")
    if isinstance(not_before, int | float) and not_before > moment + LEEWAY_SECONDS:
        raise OidcError("expired", "The ID token is not valid yet; check the clocks.")
    given = claims.get("nonce")
    if not isinstance(given, str) or not hmac.compare_digest(given.encode(), nonce.encode()):
        raise OidcError("nonce", "The ID token was not issued for this sign-in (its nonce differs).")
    at_hash = claims.get("at_hash")
    if (
        at_hash is not None
        and access_token is not None
        and (
            not isinstance(at_hash, str)
            or not hmac.compare_digest(at_hash.encode(), _half_hash(access_token, algorithm).encode())
        )
    ):
        raise OidcError("at_hash", "The ID token does not belong to the access token sent with it.")
    return claims


async def _signed_claims(
    id_token: str,
    discovery: Discovery,
    policy: Outbound,
    cache: ProviderCache,
    algorithm: str,
    kid: str | None,
    client_id: str,
) -> dict[str, Any]:
    """Decode with the provider's keys; a miss fetches the key set once more (the provider rotated)."""
    for fresh in (False, True):
        keys = _candidates(await key_set(discovery, policy, cache, fresh=fresh), kid)
        for key in keys:
            try:
                claims: dict[str, Any] = jwt.decode(
                    id_token,
                    key.key,
                    algorithms=[algorithm],
                    audience=client_id,
                    issuer=discovery.issuer,
                    options={
                        # Times are checked by the caller against Rolecall's clock.
                        "verify_exp": False,
                        "verify_iat": False,
                        "verify_nbf": False,
                        "require": ["iss", "aud", "sub", "exp", "iat"],
                    },
                )
            except jwt.InvalidSignatureError:
                continue
            except (jwt.InvalidAlgorithmError, jwt.InvalidKeyError):
                continue
            except jwt.InvalidAudienceError as exc:
                raise OidcError("audience", "The ID token was issued to another client.") from exc
            except jwt.InvalidIssuerError as exc:
                raise OidcError("issuer", "The ID token was issued by another provider.") from exc
            except jwt.MissingRequiredClaimError as exc:
                raise OidcError("claims", f"The ID token has no {exc.claim} claim.") from exc
            except jwt.PyJWTError as exc:
                raise OidcError("malformed", "The ID token could not be read.") from exc
            return claims
    raise OidcError("signature", "The ID token's signature does not verify with the provider's keys.")


def email_of(claims: dict[str, Any]) -> str:
    """The verified e-mail address the token asserts, lower-cased; refused when not verified."""
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email:
        raise OidcError("email_missing", "The provider did not send an e-mail address.")
    verified = claims.get("email_verified")
    # Some providers send the JSON string "true"; anything else is not a verified address.
    if verified is not True and verified != "true":
        raise OidcError("email_unverified", "The provider has not verified this e-mail address.")
    return email.strip().lower()
