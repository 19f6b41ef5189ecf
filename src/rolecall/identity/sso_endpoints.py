"""The organisation's single sign-on connection: ``/v1/organisation/sso`` (read, replace, remove).

The connection is one sub-resource of the organisation, so it is read with ``organisation:read``
and changed with ``organisation:write`` (administrators). ``PUT`` creates it (201) or replaces it
whole (200, ``If-Match`` required); the client secret is write-only.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request, Response, status

from rolecall.config import Settings
from rolecall.identity import sso
from rolecall.identity.auth import OrganisationRead, OrganisationWrite
from rolecall.identity.sso_models import SsoConnection
from rolecall.identity.sso_pages import outbound, provider_cache
from rolecall.identity.sso_schemas import SsoConnectionIn, SsoConnectionOut
from rolecall.platform.auth import DbSession
from rolecall.platform.http import IfMatch, no_store, pii_keyring, set_etag

router = APIRouter(prefix="/v1", tags=["identity"])
PATH = "/organisation/sso"


def _out(request: Request, record: SsoConnection, domains: list[str], response: Response) -> SsoConnectionOut:
    settings: Settings = request.app.state.settings
    set_etag(response, record.id, record.version)
    no_store(response)
    return SsoConnectionOut(
        id=record.id,
        issuer=record.issuer,
        client_id=record.client_id,
        client_secret_set=bool(record.client_secret),
        domains=domains,
        mode=record.mode,
        default_role=record.default_role,
        enabled=record.enabled,
        redirect_uri=sso.redirect_uri(settings),
        created_at=record.created_at,
        updated_at=record.updated_at,
    )


@router.get(PATH, response_model=SsoConnectionOut, operation_id="organisation.sso.get")
async def get_sso_connection(
    request: Request, principal: OrganisationRead, session: DbSession, response: Response
) -> SsoConnectionOut:
    """Read the organisation's single sign-on connection (404 when there is none). The client
    secret is never returned; ``redirect_uri`` is what to register with the identity provider."""
    record, domains = await sso.get_connection(session, principal)
    return _out(request, record, domains, response)


@router.put(
    PATH,
    response_model=SsoConnectionOut,
    operation_id="organisation.sso.put",
    responses={
        201: {"model": SsoConnectionOut, "description": "The connection was created"},
        409: {"description": "A domain already signs in through another organisation's connection"},
    },
)
async def put_sso_connection(
    body: SsoConnectionIn,
    request: Request,
    principal: OrganisationWrite,
    session: DbSession,
    response: Response,
    if_match: Annotated[
        str | None,
        Header(alias="If-Match", description="The connection's ETag; required to replace one"),
    ] = None,
) -> SsoConnectionOut:
    """Create or replace the connection. An enabled connection's discovery document is fetched
    first, so a wrong issuer is a 422 now rather than a failed sign-in later. Leave
    ``client_secret`` out to keep the stored one."""
    record, domains, created = await sso.put_connection(
        session,
        principal,
        body,
        if_match.strip() if if_match and if_match.strip() else None,
        keyring=pii_keyring(request),
        policy=outbound(request),
        cache=provider_cache(request),
    )
    if created:
        response.status_code = status.HTTP_201_CREATED
        response.headers["Location"] = f"/v1{PATH}"
    return _out(request, record, domains, response)


@router.delete(PATH, status_code=status.HTTP_204_NO_CONTENT, operation_id="organisation.sso.delete")
async def delete_sso_connection(
    principal: OrganisationWrite, session: DbSession, if_match: IfMatch
) -> Response:
    """Remove the connection: its domains sign in with passwords again at once, and the people
    created just in time keep their accounts (with no password until an admin sets one)."""
    await sso.delete_connection(session, principal, if_match)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
