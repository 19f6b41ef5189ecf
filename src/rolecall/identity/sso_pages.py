"""Pages of single sign-on: domain routing on the sign-in page, the start route and the callback.

The sign-in form posts to ``/app/login``. When the address's domain belongs to an enabled connection
that route answers with a short page that moves on to ``/app/login/sso`` (a link, followed at once
by a meta refresh) instead of checking a password: the pages' Content-Security-Policy allows forms
to post only to Rolecall itself, and browsers apply that to every redirect after a form post, so the
jump to the provider must start from a plain navigation.

``/app/login/sso`` puts the sealed flow in a short-lived HttpOnly cookie and redirects to the
provider. ``/app/login/sso/callback`` always deletes that cookie; it either starts the page session
(the same cookie a password sign-in sets) or shows a page saying why not. Both are public: the
sealed cookie and the provider's signed ID token are the credentials.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.config import Settings
from rolecall.identity import sso
from rolecall.identity.auth import PAGE_COOKIE
from rolecall.identity.oauth import GrantContext
from rolecall.identity.sso_oidc import ProviderCache
from rolecall.identity.sso_outbound import Outbound, outbound_policy
from rolecall.platform.auth import PUBLIC, DbSession
from rolecall.platform.db import transaction
from rolecall.platform.http import pii_keyring
from rolecall.platform.net import client_address
from rolecall.platform.ratelimit import SIGN_IN, limited
from rolecall.web.security import LOGIN_CSRF_COOKIE, safe_next
from rolecall.web.templating import render

router = APIRouter(include_in_schema=False)
FLOW_COOKIE = "__Host-rolecall-sso"
_COOKIE = {"path": "/", "secure": True, "httponly": True, "samesite": "lax"}


def outbound(request: Request) -> Outbound:
    """The app's policy for calls to identity providers (tests may put their own in app.state)."""
    policy: Outbound | None = getattr(request.app.state, "sso_outbound", None)
    if policy is None:
        settings: Settings = request.app.state.settings
        policy = outbound_policy(settings.sso_allowed_hosts)
        request.app.state.sso_outbound = policy
    return policy


def provider_cache(request: Request) -> ProviderCache:
    cache: ProviderCache | None = getattr(request.app.state, "sso_cache", None)
    if cache is None:
        cache = ProviderCache()
        request.app.state.sso_cache = cache
    return cache


def start_url(domain: str, next_path: str) -> str:
    return "/app/login/sso?" + urlencode({"domain": domain, "next": next_path})


async def route_sign_in(request: Request, session: DbSession, email: str, next_path: str) -> Response | None:
    """The sign-in page's answer for an address whose domain signs in through a provider, else None.

    No password is checked (or counted as failed) for such an address: the organisation chose its
    provider as the way in.
    """
    domain = await sso.routed_domain(session, email)
    if domain is None:
        return None
    response = render(
        request, "identity/sso_continue.html", {"start": start_url(domain, next_path), "domain": domain}
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, **_COOKIE)  # type: ignore[arg-type]
    return response


def _refused(request: Request, refusal: sso.SsoRefused) -> Response:
    response = render(
        request,
        "identity/sso_refused.html",
        {"message": refusal.message, "reason": refusal.reason},
        status_code=refusal.status,
    )
    response.delete_cookie(FLOW_COOKIE, **_COOKIE)  # type: ignore[arg-type]
    return response


def _sessionmaker(request: Request) -> async_sessionmaker[AsyncSession]:
    maker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    return maker


@router.get("/app/login/sso", dependencies=[PUBLIC, limited(SIGN_IN)])
async def start(
    request: Request,
    domain: Annotated[str, Query(max_length=253)] = "",
    next: Annotated[str | None, Query(max_length=2000)] = None,
) -> Response:
    """Send the browser to the provider of the domain's connection. The connection is read in a
    short transaction; the provider's discovery document is fetched after it, outside any."""
    settings: Settings = request.app.state.settings
    try:
        async with transaction(_sessionmaker(request)) as session:
            target = await sso.target_for_domain(session, domain)
        url, flow = await sso.start(
            settings, target, safe_next(next), policy=outbound(request), cache=provider_cache(request)
        )
    except sso.SsoRefused as refusal:
        return _refused(request, refusal)
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(FLOW_COOKIE, flow, max_age=sso.FLOW_SECONDS, **_COOKIE)  # type: ignore[arg-type]
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/app/login/sso/callback", dependencies=[PUBLIC, limited(SIGN_IN)])
async def callback(
    request: Request,
    state: Annotated[str, Query(max_length=4000)] = "",
    code: Annotated[str, Query(max_length=4000)] = "",
    error: Annotated[str, Query(max_length=200)] = "",
    error_description: Annotated[str, Query(max_length=2000)] = "",
    error_uri: Annotated[str, Query(max_length=2000)] = "",
    iss: Annotated[str, Query(max_length=500)] = "",
    session_state: Annotated[str, Query(max_length=500)] = "",
) -> Response:
    """The provider's redirect back. ``error_description``, ``error_uri``, ``iss`` and
    ``session_state`` are accepted because providers send them; only ``state``, ``code`` and
    ``error`` are read (a description written by the provider is not shown or logged).

    Three steps, so that no transaction stays open while the provider is called: read the
    connection; redeem the code and verify the ID token; find or create the person and start the
    session. A refusal after the first step is written to the audit log in a transaction of its own.
    """
    settings: Settings = request.app.state.settings
    maker = _sessionmaker(request)
    try:
        flow = sso.open_flow(
            settings, request.cookies.get(FLOW_COOKIE), {"state": state, "code": code, "error": error}
        )
        async with transaction(maker) as session:
            target = await sso.target_for_flow(session, flow)
        email, claims = await sso.verify(
            settings,
            pii_keyring(request),
            target,
            flow,
            code,
            policy=outbound(request),
            cache=provider_cache(request),
        )
        async with transaction(maker) as session:
            ctx = GrantContext(
                session,
                settings,
                request.app.state.keyring,
                client_address(request, settings.trust_forwarded_for),
            )
            cookie = await sso.complete(ctx, target, flow, email, claims)
    except sso.SsoRefused as refusal:
        if isinstance(refusal, sso.SsoRefusedInFlow):
            async with transaction(maker) as session:
                sso.record_refusal(session, refusal)
        return _refused(request, refusal)
    response = RedirectResponse(flow.next, status_code=303)
    response.set_cookie(PAGE_COOKIE, cookie, max_age=settings.page_session_hours * 3600, **_COOKIE)  # type: ignore[arg-type]
    response.delete_cookie(FLOW_COOKIE, **_COOKIE)  # type: ignore[arg-type]
    response.headers["Cache-Control"] = "no-store"
    return response
