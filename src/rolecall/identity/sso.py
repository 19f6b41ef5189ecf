"""Single sign-on with OpenID Connect: the organisation's connection, and signing staff in through it.

An administrator stores one connection per organisation (issuer, client id, sealed client secret,
the e-mail domains routed to it, just-in-time creation or invite-only). The sign-in page sends a
person whose address is in one of those domains to the provider instead of asking for a password;
:func:`start` builds the authorisation request (code flow with PKCE S256, ``state`` and ``nonce``),
and the callback runs :func:`open_flow`, :func:`verify` and :func:`complete`, which ends in the same
cookie login a password sign-in gets.

The state of a sign-in in progress lives in the browser, not the database: a cookie sealed with
AES-GCM under a key derived from the secret key (so it can be neither read nor forged), HttpOnly,
and valid for ten minutes. The callback deletes it whatever happens, so a callback URL cannot be
used twice from the same browser, and the provider redeems a code only once.

The provider is called outside any database transaction (the page route reads the connection in
one short transaction and signs the person in with another), because on SQLite a transaction holds
the write lock and a slow provider must not stall everyone else. Services never commit. A refusal
is logged with its reason code; once the sealed flow names the organisation it is also audited as
``auth.sso_refused`` (:func:`record_refusal`).
"""

from __future__ import annotations

import binascii
import hmac
import json
import re
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

import structlog
from cryptography.exceptions import InvalidTag
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.audit import service as audit
from rolecall.config import Settings
from rolecall.identity import oauth, sso_oidc, sso_outbound, sso_repository
from rolecall.identity.events import UserCreated
from rolecall.identity.models import User
from rolecall.identity.oauth import GrantContext
from rolecall.identity.passwords import hash_password
from rolecall.identity.permissions import scopes_for_roles
from rolecall.identity.sso_models import JIT, SsoConnection, SsoDomain
from rolecall.identity.sso_oidc import OidcError, ProviderCache
from rolecall.identity.sso_outbound import Outbound, OutboundRefused
from rolecall.identity.sso_schemas import SsoConnectionIn
from rolecall.platform.auth import Principal
from rolecall.platform.clock import utcnow
from rolecall.platform.crypto import seal, unseal
from rolecall.platform.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    Unprocessable,
)
from rolecall.platform.events.outbox import emit
from rolecall.platform.http import check_if_match
from rolecall.platform.ids import new_id
from rolecall.platform.pii import KeyRing
from rolecall.platform.tenancy import bind_organisation
from rolecall.web.security import safe_next

log = structlog.get_logger("rolecall.identity.sso")

FLOW_PURPOSE = "rolecall.sso.flow.v1"
FLOW_SECONDS = 600
CALLBACK_PATH = "/app/login/sso/callback"
SYSTEM_ACTOR = "system:sso"
DOMAIN_TAKEN = "One of these domains already signs in through another organisation's connection."
_DOMAIN = re.compile(r"[a-z0-9.-]{1,253}")


class SsoRefused(Exception):
    """A single sign-on the page must refuse; ``message`` is safe to show the person."""

    def __init__(self, reason: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.status = status


def secret_context(connection_id: uuid.UUID) -> str:
    return f"sso_connection:{connection_id}:client_secret"


def redirect_uri(settings: Settings) -> str:
    """Where the provider sends the browser back: from configuration, never a request's Host header."""
    return (settings.public_base_url or settings.issuer).rstrip("/") + CALLBACK_PATH


# --- the connection, as administrators manage it ------------------------------------------------------


async def get_connection(session: AsyncSession, principal: Principal) -> tuple[SsoConnection, list[str]]:
    found = await sso_repository.connection(session)
    if found is None:
        raise NotFound("This organisation has no single sign-on connection.")
    return found, await sso_repository.domains(session, found.id)


def _field_problem(field: str, message: str) -> Unprocessable:
    return Unprocessable(message, extra={"errors": [{"field": field, "message": message}]})


async def _checked_issuer(issuer: str, policy: Outbound) -> str:
    if "?" in issuer or "#" in issuer:
        raise _field_problem("issuer", "The issuer URL must not have a query or fragment.")
    try:
        await sso_outbound.check(sso_oidc.discovery_url(issuer), policy)
    except OutboundRefused as exc:
        raise _field_problem("issuer", f"This issuer cannot be used: {exc}.") from exc
    return issuer


def _ensure_may_grant(principal: Principal, role: str | None) -> None:
    # Just-in-time accounts get this role: nobody may configure more power than they hold.
    if role is None:
        return
    beyond = scopes_for_roles([role]) - (principal.scopes | scopes_for_roles(principal.roles))
    if beyond:
        raise Forbidden("You cannot make single sign-on create accounts with more access than you have.")


async def put_connection(
    session: AsyncSession,
    principal: Principal,
    body: SsoConnectionIn,
    if_match: str | None,
    *,
    keyring: KeyRing,
    policy: Outbound,
    cache: ProviderCache,
) -> tuple[SsoConnection, list[str], bool]:
    """Create the connection or replace it whole; returns it, its domains and whether it is new.

    The issuer is checked against the outbound rules (scheme, addresses) but not fetched: this runs
    inside the request's transaction, and a slow provider must not hold it open. The discovery
    document is read at the next sign-in, outside any transaction.
    """
    existing = await sso_repository.connection(session)
    if existing is not None:
        if if_match is None:
            raise PreconditionRequired("Send the connection's ETag in If-Match to replace it.")
        check_if_match(if_match, existing.id, existing.version)
    elif if_match is not None and if_match != "*":
        raise PreconditionFailed("There is no connection yet; send the request without If-Match.")
    if existing is None and body.client_secret is None:
        raise _field_problem("client_secret", "A new connection needs the client secret.")
    role = body.default_role.value if body.default_role is not None else None
    _ensure_may_grant(principal, role)
    issuer = await _checked_issuer(body.issuer, policy)
    cache.forget(sso_oidc.discovery_url(issuer))  # the next sign-in reads the provider afresh
    if await sso_repository.claimed_elsewhere(session, body.domains, principal.organisation_id):
        raise Conflict(DOMAIN_TAKEN)

    record = existing or SsoConnection(id=new_id(), version=0)
    before = {} if existing is None else _facts(existing, await sso_repository.domains(session, existing.id))
    record.issuer = issuer
    record.client_id = body.client_id
    if body.client_secret is not None:
        record.client_secret = keyring.encrypt(body.client_secret, context=secret_context(record.id))
    record.mode = body.mode
    record.default_role = role
    record.enabled = body.enabled
    record.version += 1
    try:
        # The check above cannot see a concurrent claim; the unique constraint on the domain can.
        async with session.begin_nested():
            if existing is None:
                session.add(record)
                await session.flush()
            else:
                await sso_repository.delete_domains(session, record.id)
            for domain in body.domains:
                session.add(SsoDomain(connection_id=record.id, domain=domain))
            await session.flush()
    except IntegrityError as exc:
        # Another request claimed a domain, or created this organisation's connection, meanwhile.
        raise Conflict(f"{DOMAIN_TAKEN} (Or the connection changed meanwhile: read it and retry.)") from exc
    after = _facts(record, body.domains)
    changed = [name for name in after if before.get(name) != after[name]]
    if body.client_secret is not None and existing is not None:
        changed.append("client_secret")
    audit.record(
        session,
        actor=principal.actor,
        action="sso.connection_created" if existing is None else "sso.connection_updated",
        target_type="sso_connection",
        target_id=record.id,
        changed_fields=changed,
        domains=body.domains,
        mode=record.mode,
        enabled=record.enabled,
    )
    return record, list(body.domains), existing is None


def _facts(record: SsoConnection, domains: list[str]) -> dict[str, Any]:
    return {
        "issuer": record.issuer,
        "client_id": record.client_id,
        "domains": sorted(domains),
        "mode": record.mode,
        "default_role": record.default_role,
        "enabled": record.enabled,
    }


async def delete_connection(session: AsyncSession, principal: Principal, if_match: str) -> None:
    """Remove the connection; its domains go back to password sign-in at once."""
    record, _domains = await get_connection(session, principal)
    check_if_match(if_match, record.id, record.version)
    await sso_repository.delete_domains(session, record.id)
    await session.delete(record)
    await session.flush()
    audit.record(
        session,
        actor=principal.actor,
        action="sso.connection_deleted",
        target_type="sso_connection",
        target_id=record.id,
    )


# --- signing in -----------------------------------------------------------------------------------------


def domain_of(email: str) -> str | None:
    local, at, domain = email.strip().lower().rpartition("@")
    domain = domain.rstrip(".")
    return domain if at and local and _DOMAIN.fullmatch(domain) else None


async def routed_domain(session: AsyncSession, email: str) -> str | None:
    """The address's domain when an enabled connection takes its sign-ins, else ``None``."""
    domain = domain_of(email)
    if domain is None:
        return None
    found = await sso_repository.route(session, domain)
    return domain if found is not None and found.enabled else None


@dataclass(frozen=True)
class Flow:
    """A sign-in in progress: what the callback must find again, sealed into a cookie."""

    connection_id: uuid.UUID
    organisation_id: uuid.UUID
    state: str
    nonce: str
    verifier: str
    started: int
    next: str

    def seal(self, secret_key: str) -> str:
        data = {
            "c": str(self.connection_id),
            "o": str(self.organisation_id),
            "s": self.state,
            "n": self.nonce,
            "v": self.verifier,
            "t": self.started,
            "x": self.next,
        }
        sealed = seal(secret_key, FLOW_PURPOSE, json.dumps(data, separators=(",", ":")).encode())
        return sealed.replace("+", "-").replace("/", "_").rstrip("=")

    @classmethod
    def open(cls, secret_key: str, value: str | None) -> Flow | None:
        """The flow a cookie holds, or ``None`` if it is missing, forged, altered or too old."""
        if not value or len(value) > 4000:
            return None
        padded = value.replace("-", "+").replace("_", "/") + "=" * (-len(value) % 4)
        try:
            data = json.loads(unseal(secret_key, FLOW_PURPOSE, padded))
            flow = cls(
                uuid.UUID(data["c"]),
                uuid.UUID(data["o"]),
                str(data["s"]),
                str(data["n"]),
                str(data["v"]),
                int(data["t"]),
                safe_next(str(data["x"])),
            )
        except (InvalidTag, binascii.Error, ValueError, KeyError, TypeError):
            return None
        age = utcnow().timestamp() - flow.started
        return flow if -60 <= age <= FLOW_SECONDS else None


@dataclass(frozen=True)
class Target:
    """What a sign-in needs of a connection, read in a short transaction so that the calls to the
    provider happen outside any (on SQLite a transaction holds the database's write lock)."""

    connection_id: uuid.UUID
    organisation_id: uuid.UUID
    issuer: str
    client_id: str
    client_secret: str  # sealed
    enabled: bool

    @classmethod
    def of(cls, record: SsoConnection) -> Target:
        return cls(
            record.id,
            record.organisation_id,
            record.issuer,
            record.client_id,
            record.client_secret,
            record.enabled,
        )


async def target_for_domain(session: AsyncSession, domain: str) -> Target:
    """The enabled connection that takes this domain's sign-ins; refused when there is none."""
    domain = domain.strip().lower().rstrip(".")
    found = await sso_repository.route(session, domain) if _DOMAIN.fullmatch(domain) else None
    if found is None:
        log.info("sso_refused", reason="not_configured")
        raise SsoRefused(
            "not_configured", "No organisation signs in with single sign-on for this domain.", 404
        )
    if not found.enabled:
        log.info("sso_refused", reason="disabled", organisation_id=str(found.organisation_id))
        raise SsoRefused("disabled", MESSAGES["disabled"], 403)
    return Target.of(found)


async def start(
    settings: Settings, target: Target, next_path: str, *, policy: Outbound, cache: ProviderCache
) -> tuple[str, str]:
    """The provider's authorisation URL (code flow, PKCE S256, state, nonce) and the sealed flow."""
    try:
        discovery = await sso_oidc.discover(target.issuer, policy, cache)
    except OidcError as exc:
        log.warning("sso_refused", reason=exc.reason, organisation_id=str(target.organisation_id))
        raise SsoRefused(
            exc.reason, "Your organisation's identity provider cannot be reached. Try again later.", 502
        ) from exc
    verifier, challenge = sso_oidc.new_pkce()
    flow = Flow(
        connection_id=target.connection_id,
        organisation_id=target.organisation_id,
        state=secrets.token_urlsafe(32),
        nonce=secrets.token_urlsafe(32),
        verifier=verifier,
        started=int(utcnow().timestamp()),
        next=safe_next(next_path),
    )
    url = sso_oidc.authorization_url(
        discovery,
        client_id=target.client_id,
        redirect_uri=redirect_uri(settings),
        state=flow.state,
        nonce=flow.nonce,
        challenge=challenge,
    )
    return url, flow.seal(settings.secret_key)


# What each refusal tells the person; the reason code goes to the log and the audit entry.
MESSAGES = {
    "state": "This sign-in link is not for this browser, was already used, or is more than ten minutes "
    "old. Start again from the sign-in page.",
    "provider_error": "Your identity provider did not sign you in.",
    "disabled": "Single sign-on is turned off for your organisation. Ask your administrator.",
    "domain": "Your identity provider signed you in with an address this organisation does not use "
    "for single sign-on.",
    "not_invited": "You do not have an account in this organisation yet. Ask an administrator to invite you.",
    "inactive": "Your account in this organisation is deactivated. Ask an administrator.",
}
STATUS = {"disabled": 403, "not_invited": 403, "inactive": 403}


class SsoRefusedInFlow(SsoRefused):
    """A refusal once the sealed flow named the organisation: the page records it in the audit log."""

    def __init__(self, flow: Flow, reason: str, message: str | None = None) -> None:
        log.warning("sso_refused", reason=reason, organisation_id=str(flow.organisation_id))
        super().__init__(
            reason, message or MESSAGES.get(reason, "Single sign-on failed."), STATUS.get(reason, 400)
        )
        self.flow = flow


def open_flow(settings: Settings, cookie: str | None, params: dict[str, str]) -> Flow:
    """The sign-in this callback belongs to: the sealed cookie, matched against ``state``."""
    flow = Flow.open(settings.secret_key, cookie)
    given = params.get("state", "")
    if flow is None or not given or not hmac.compare_digest(given.encode(), flow.state.encode()):
        log.warning("sso_refused", reason="state")
        raise SsoRefused("state", MESSAGES["state"])
    if params.get("error"):
        raise SsoRefusedInFlow(flow, "provider_error")
    if not params.get("code"):
        raise SsoRefusedInFlow(flow, "state")
    return flow


async def target_for_flow(session: AsyncSession, flow: Flow) -> Target:
    bind_organisation(session, flow.organisation_id)
    found = await sso_repository.connection_by_id(session, flow.connection_id)
    if found is None or not found.enabled:
        raise SsoRefusedInFlow(flow, "disabled")
    return Target.of(found)


async def verify(
    settings: Settings,
    keyring: KeyRing,
    target: Target,
    flow: Flow,
    code: str,
    *,
    policy: Outbound,
    cache: ProviderCache,
) -> tuple[str, dict[str, Any]]:
    """Redeem the code and check the ID token; returns the verified address and the claims.

    Only network calls and checks: no database work, so it runs outside any transaction.
    """
    try:
        discovery = await sso_oidc.discover(target.issuer, policy, cache)
        tokens = await sso_oidc.exchange_code(
            discovery,
            policy,
            client_id=target.client_id,
            client_secret=keyring.decrypt(target.client_secret, context=secret_context(target.connection_id)),
            code=code,
            redirect_uri=redirect_uri(settings),
            verifier=flow.verifier,
        )
        access_token = tokens.get("access_token")
        claims = await sso_oidc.verify_id_token(
            str(tokens["id_token"]),
            discovery,
            policy,
            cache,
            client_id=target.client_id,
            nonce=flow.nonce,
            access_token=access_token if isinstance(access_token, str) else None,
            now=utcnow(),
        )
        return sso_oidc.email_of(claims), claims
    except OidcError as exc:
        raise SsoRefusedInFlow(flow, exc.reason, f"Single sign-on failed: {exc.message}") from exc


async def complete(ctx: GrantContext, target: Target, flow: Flow, email: str, claims: dict[str, Any]) -> str:
    """Find or create the person in the connection's organisation and start their page session.

    The connection is read again: it may have been changed or turned off while the person was at
    the provider. Returns the session cookie's value.
    """
    session = ctx.session
    bind_organisation(session, flow.organisation_id)
    connection = await sso_repository.connection_by_id(session, target.connection_id)
    if connection is None or not connection.enabled:
        raise SsoRefusedInFlow(flow, "disabled")
    if email.rpartition("@")[2] not in await sso_repository.domains(session, connection.id):
        raise SsoRefusedInFlow(flow, "domain")
    user = await sso_repository.user_by_email(session, email)
    if user is None:
        if connection.mode != JIT or connection.default_role is None:
            raise SsoRefusedInFlow(flow, "not_invited")
        user = await _create_user(session, connection, email, claims)
    elif not user.is_active:
        raise SsoRefusedInFlow(flow, "inactive")
    return await oauth.start_page_login(ctx, user, method="sso", connection=str(connection.id))


def record_refusal(session: AsyncSession, refusal: SsoRefusedInFlow) -> None:
    """The audit entry of a refused sign-in: the reason code only, never an address or a token."""
    bind_organisation(session, refusal.flow.organisation_id)
    audit.record(
        session,
        actor=SYSTEM_ACTOR,
        action="auth.sso_refused",
        target_type="sso_connection",
        target_id=refusal.flow.connection_id,
        reason=refusal.reason,
    )


def _display_name(claims: dict[str, Any], email: str) -> str:
    for candidate in (
        claims.get("name"),
        " ".join(str(claims.get(part) or "") for part in ("given_name", "family_name")),
    ):
        if isinstance(candidate, str) and candidate.strip():
            return candidate.strip()[:200]
    return email.partition("@")[0][:200]


async def _create_user(
    session: AsyncSession, connection: SsoConnection, email: str, claims: dict[str, Any]
) -> User:
    """Just-in-time account: the connection's default role and a random password nobody knows, so
    the account signs in through the provider only (an admin may set a password later)."""
    assert connection.default_role is not None
    user = User(
        email=email,
        full_name=_display_name(claims, email),
        password_hash=hash_password(secrets.token_urlsafe(32)),
        roles=[connection.default_role],
    )
    session.add(user)
    await session.flush()
    audit.record(
        session,
        actor=SYSTEM_ACTOR,
        action="user.created",
        target_type="user",
        target_id=user.id,
        via="sso",
        connection=str(connection.id),
    )
    emit(session, UserCreated(user_id=user.id, roles=list(user.roles), is_active=True))
    return user
