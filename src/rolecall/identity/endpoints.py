"""Staff-facing identity routes: the organisation, its users and its API clients."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from rolecall.identity import service
from rolecall.identity.auth import (
    AnyStaff,
    ClientsRead,
    ClientsWrite,
    OrganisationRead,
    OrganisationWrite,
    UsersRead,
    UsersWrite,
)
from rolecall.identity.schemas import (
    ApiClientCreate,
    ApiClientCreated,
    ApiClientOut,
    OrganisationOut,
    OrganisationUpdate,
    UserCreate,
    UserOut,
    UserUpdate,
)
from rolecall.platform.auth import DbSession
from rolecall.platform.errors import Forbidden
from rolecall.platform.http import IfMatch, no_store, set_etag
from rolecall.platform.pagination import Page, PageParams, page_params

router = APIRouter(prefix="/v1", tags=["identity"])
Paging = Annotated[PageParams, Depends(page_params)]


@router.get("/organisation", response_model=OrganisationOut)
async def read_organisation(
    principal: OrganisationRead, session: DbSession, response: Response
) -> OrganisationOut:
    organisation = await service.get_organisation(session, principal)
    set_etag(response, organisation.id, organisation.version)
    return OrganisationOut.model_validate(organisation)


@router.patch("/organisation", response_model=OrganisationOut)
async def update_organisation(
    body: OrganisationUpdate,
    principal: OrganisationWrite,
    session: DbSession,
    if_match: IfMatch,
    response: Response,
) -> OrganisationOut:
    organisation = await service.update_organisation(session, principal, body, if_match)
    set_etag(response, organisation.id, organisation.version)
    return OrganisationOut.model_validate(organisation)


@router.get("/me", response_model=UserOut, summary="The signed-in user")
async def read_me(principal: AnyStaff, session: DbSession, response: Response) -> UserOut:
    no_store(response)
    if principal.kind != "user":
        raise Forbidden("Only a signed-in user has a profile; API clients do not.")
    user = await service.get_user(session, principal, principal.subject_id)
    set_etag(response, user.id, user.version)
    return UserOut.model_validate(user)


@router.get("/users", response_model=Page[UserOut])
async def list_users(
    principal: UsersRead, session: DbSession, paging: Paging, response: Response
) -> Page[UserOut]:
    no_store(response)
    users, cursor = await service.list_users(session, principal, paging)
    return Page[UserOut](
        items=[UserOut.model_validate(u) for u in users],
        next_cursor=cursor,
        next_updated_since=paging.next_updated_since,
    )


@router.post("/users", response_model=UserOut, status_code=status.HTTP_201_CREATED)
async def create_user(
    body: UserCreate, principal: UsersWrite, session: DbSession, response: Response
) -> UserOut:
    no_store(response)
    user = await service.create_user(session, principal, body)
    set_etag(response, user.id, user.version)
    response.headers["Location"] = f"/v1/users/{user.id}"
    return UserOut.model_validate(user)


@router.get("/users/{user_id}", response_model=UserOut)
async def read_user(
    user_id: uuid.UUID, principal: UsersRead, session: DbSession, response: Response
) -> UserOut:
    no_store(response)
    user = await service.get_user(session, principal, user_id)
    set_etag(response, user.id, user.version)
    return UserOut.model_validate(user)


@router.patch("/users/{user_id}", response_model=UserOut)
async def update_user(
    user_id: uuid.UUID,
    body: UserUpdate,
    principal: UsersWrite,
    session: DbSession,
    if_match: IfMatch,
    response: Response,
) -> UserOut:
    no_store(response)
    user = await service.update_user(session, principal, user_id, body, if_match)
    set_etag(response, user.id, user.version)
    return UserOut.model_validate(user)


@router.get("/api-clients", response_model=Page[ApiClientOut])
async def list_api_clients(principal: ClientsRead, session: DbSession, paging: Paging) -> Page[ApiClientOut]:
    clients, cursor = await service.list_api_clients(session, principal, paging)
    return Page[ApiClientOut](
        items=[ApiClientOut.model_validate(c) for c in clients],
        next_cursor=cursor,
        next_updated_since=paging.next_updated_since,
    )


@router.post("/api-clients", response_model=ApiClientCreated, status_code=status.HTTP_201_CREATED)
async def create_api_client(
    body: ApiClientCreate, principal: ClientsWrite, session: DbSession, response: Response
) -> ApiClientCreated:
    no_store(response)
    client, secret = await service.create_api_client(session, principal, body)
    response.headers["Location"] = f"/v1/api-clients/{client.id}"
    return ApiClientCreated(**ApiClientOut.model_validate(client).model_dump(), client_secret=secret)


@router.get("/api-clients/{client_id}", response_model=ApiClientOut)
async def read_api_client(client_id: uuid.UUID, principal: ClientsRead, session: DbSession) -> ApiClientOut:
    return ApiClientOut.model_validate(await service.get_api_client(session, principal, client_id))


@router.delete("/api-clients/{client_id}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_api_client(client_id: uuid.UUID, principal: ClientsWrite, session: DbSession) -> Response:
    await service.revoke_api_client(session, principal, client_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
