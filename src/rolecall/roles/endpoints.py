"""Role-profile routes: the read-only starter library and the organisation's own profiles."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status

from rolecall.platform.auth import DbSession
from rolecall.platform.errors import Unprocessable
from rolecall.platform.http import IfMatch, set_etag
from rolecall.platform.pagination import Page, PageParams, page_params
from rolecall.platform.strict import INT4_MAX
from rolecall.roles import service
from rolecall.roles.auth import RolesRead, RolesWrite
from rolecall.roles.library.schema import Level, RoleProfile
from rolecall.roles.models import RoleProfileRecord
from rolecall.roles.schemas import (
    PathsOut,
    ProfileSummary,
    RoleProfileCreate,
    RoleProfileOut,
    RoleProfileUpdate,
    VersionOut,
    VersionSummary,
)
from rolecall.roles.service import stored_document

router = APIRouter(prefix="/v1", tags=["roles"])
Paging = Annotated[PageParams, Depends(page_params)]
LevelQuery = Annotated[Level, Query(description="Level of the profile")]
YAML_TYPE = "application/yaml"
MAX_YAML_BYTES = 256_000


def _out(record: RoleProfileRecord, document: RoleProfile, response: Response) -> RoleProfileOut:
    set_etag(response, record.id, record.version)
    return RoleProfileOut(
        id=record.id,
        slug=record.slug,
        title=record.title,
        forked_from=record.forked_from,
        version=record.version,
        created_at=record.created_at,
        updated_at=record.updated_at,
        document=document,
    )


@router.get("/role-library", response_model=list[ProfileSummary], summary="Starter library profiles")
async def list_library(principal: RolesRead) -> list[ProfileSummary]:
    return service.library_summaries()


@router.get("/role-library/{library_id}", response_model=RoleProfile)
async def read_library_profile(library_id: str, principal: RolesRead) -> RoleProfile:
    return service.library_profile(library_id)


@router.get(
    "/role-library/{library_id}/paths", response_model=PathsOut, summary="Career paths, both directions"
)
async def library_paths(library_id: str, level: LevelQuery, principal: RolesRead) -> PathsOut:
    return service.library_paths(library_id, level)


@router.get("/role-profiles", response_model=Page[ProfileSummary])
async def list_profiles(principal: RolesRead, session: DbSession, paging: Paging) -> Page[ProfileSummary]:
    items, cursor = await service.list_profiles(session, principal, paging)
    return Page[ProfileSummary](items=items, next_cursor=cursor, next_updated_since=paging.next_updated_since)


@router.post(
    "/role-profiles",
    response_model=RoleProfileOut,
    status_code=status.HTTP_201_CREATED,
    summary="Fork a library profile or create one from a document",
)
async def create_profile(
    body: RoleProfileCreate, principal: RolesWrite, session: DbSession, response: Response
) -> RoleProfileOut:
    record, document = await service.create_profile(session, principal, body)
    response.headers["Location"] = f"/v1/role-profiles/{record.id}"
    return _out(record, document, response)


@router.post(
    "/role-profiles/import",
    response_model=RoleProfileOut,
    status_code=status.HTTP_201_CREATED,
    summary="Create a profile from a YAML document",
    openapi_extra={"requestBody": {"required": True, "content": {YAML_TYPE: {"schema": {"type": "string"}}}}},
)
async def import_profile(
    request: Request, principal: RolesWrite, session: DbSession, response: Response
) -> RoleProfileOut:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in {YAML_TYPE, "application/x-yaml", "text/yaml", "text/plain"}:
        raise Unprocessable(f"Send the profile as YAML with 'Content-Type: {YAML_TYPE}'.")
    raw = await request.body()
    if len(raw) > MAX_YAML_BYTES:
        raise Unprocessable(f"The YAML document is larger than {MAX_YAML_BYTES} bytes.")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Unprocessable("The YAML document must be UTF-8.") from exc
    record, document = await service.import_yaml(session, principal, text)
    response.headers["Location"] = f"/v1/role-profiles/{record.id}"
    return _out(record, document, response)


@router.get("/role-profiles/{profile_id:uuid}", response_model=RoleProfileOut)
async def read_profile(
    profile_id: uuid.UUID, principal: RolesRead, session: DbSession, response: Response
) -> RoleProfileOut:
    record, document = await service.get_profile(session, principal, profile_id)
    return _out(record, document, response)


@router.put("/role-profiles/{profile_id:uuid}", response_model=RoleProfileOut, summary="Save a new version")
async def update_profile(
    profile_id: uuid.UUID,
    body: RoleProfileUpdate,
    principal: RolesWrite,
    session: DbSession,
    if_match: IfMatch,
    response: Response,
) -> RoleProfileOut:
    record, document = await service.update_profile(session, principal, profile_id, body, if_match)
    return _out(record, document, response)


@router.get("/role-profiles/{profile_id}/versions", response_model=Page[VersionSummary])
async def list_versions(
    profile_id: uuid.UUID, principal: RolesRead, session: DbSession, paging: Paging
) -> Page[VersionSummary]:
    versions, cursor = await service.list_versions(session, principal, profile_id, paging)
    return Page[VersionSummary](
        items=[VersionSummary.model_validate(v, from_attributes=True) for v in versions],
        next_cursor=cursor,
        next_updated_since=paging.next_updated_since,
    )


@router.get("/role-profiles/{profile_id}/versions/{number}", response_model=VersionOut)
async def read_version(
    profile_id: uuid.UUID,
    number: Annotated[int, Path(ge=1, le=1_000_000)],
    principal: RolesRead,
    session: DbSession,
) -> VersionOut:
    version = await service.get_version(session, principal, profile_id, number)
    return VersionOut(
        number=version.number,
        created_at=version.created_at,
        author=version.author,
        note=version.note,
        document=stored_document(version.document),
    )


@router.get(
    "/role-profiles/{profile_id}/export",
    response_class=Response,
    responses={200: {"content": {YAML_TYPE: {"schema": {"type": "string"}}}}},
    summary="The profile (or one version of it) as YAML",
)
async def export_profile(
    profile_id: uuid.UUID,
    principal: RolesRead,
    session: DbSession,
    version: Annotated[int | None, Query(ge=1, le=INT4_MAX)] = None,
) -> Response:
    text = await service.export_yaml(session, principal, profile_id, version)
    return Response(content=text, media_type=YAML_TYPE)


@router.get("/role-profiles/{profile_id}/paths", response_model=PathsOut)
async def profile_paths(
    profile_id: uuid.UUID, level: LevelQuery, principal: RolesRead, session: DbSession
) -> PathsOut:
    return await service.profile_paths(session, principal, profile_id, level)
