"""Staff routes for applications: list, read, move through stages, bulk actions, settings.

Reads of a single application return its answers (personal data): ``no-store`` and audited.
Moves accept an optional ``If-Match``; without it the version column still turns a concurrent move
into 412 instead of a lost update.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Query, Request, Response, status

from rolecall.candidates import service as candidates
from rolecall.jobs import service as jobs
from rolecall.pipeline import bulk, service
from rolecall.pipeline.auth import (
    ApplicationsRead,
    ApplicationsWrite,
    PipelineSettingsRead,
    PipelineSettingsWrite,
)
from rolecall.pipeline.models import Application, PipelineSettings
from rolecall.pipeline.schemas import (
    AllowedActions,
    ApplicationCreate,
    ApplicationDetail,
    ApplicationListItem,
    ApplicationOut,
    ApplicationStatus,
    BulkAction,
    BulkResult,
    MoveApplication,
    PipelineSettingsOut,
    PipelineSettingsUpdate,
    RejectApplication,
    Source,
    TransitionOut,
)
from rolecall.platform import sorting as sorts
from rolecall.platform.auth import DbSession
from rolecall.platform.http import IfMatch, no_store, set_etag
from rolecall.platform.http import pii_keyring as _keyring
from rolecall.platform.pagination import Page, PageParams, page_params
from rolecall.platform.strict import IsoDateTime

router = APIRouter(prefix="/v1", tags=["applications"])
Paging = Annotated[PageParams, Depends(page_params)]
OptionalIfMatch = Annotated[str | None, Header(alias="If-Match")]


def _out(application: Application, response: Response) -> ApplicationOut:
    set_etag(response, application.id, application.version)
    return ApplicationOut.model_validate(application)


def _settings_out(settings: PipelineSettings, response: Response) -> PipelineSettingsOut:
    set_etag(response, settings.id, settings.version)
    return PipelineSettingsOut.model_validate(settings, from_attributes=True)


@router.get("/pipeline-settings", response_model=PipelineSettingsOut, tags=["pipeline settings"])
async def read_settings(
    principal: PipelineSettingsRead, session: DbSession, response: Response
) -> PipelineSettingsOut:
    return _settings_out(await service.get_settings(session, principal.organisation_id), response)


@router.patch("/pipeline-settings", response_model=PipelineSettingsOut, tags=["pipeline settings"])
async def update_settings(
    body: PipelineSettingsUpdate,
    principal: PipelineSettingsWrite,
    session: DbSession,
    if_match: IfMatch,
    response: Response,
) -> PipelineSettingsOut:
    return _settings_out(await service.update_settings(session, principal, body, if_match), response)


@router.post("/applications", response_model=ApplicationOut, status_code=status.HTTP_201_CREATED)
async def create_application(
    body: ApplicationCreate,
    principal: ApplicationsWrite,
    session: DbSession,
    response: Response,
) -> ApplicationOut:
    source = await candidates.candidate_source(session, body.candidate_id)
    application = await service.create_application(session, principal, body, candidate_source=source)
    response.headers["Location"] = f"/v1/applications/{application.id}"
    return _out(application, response)


ApplicationSort = Literal["applied", "-applied", "updated", "-updated", "last_activity", "-last_activity"]
_SORT_KINDS: dict[str, type] = {"applied": datetime, "updated": datetime, "last_activity": datetime}


@router.get("/applications", response_model=Page[ApplicationListItem])
async def list_applications(
    request: Request,
    principal: ApplicationsRead,
    session: DbSession,
    paging: Paging,
    response: Response,
    job: Annotated[uuid.UUID | None, Query(description="Applications to this job")] = None,
    candidate: Annotated[uuid.UUID | None, Query(description="Applications of this candidate")] = None,
    job_id: Annotated[uuid.UUID | None, Query(description="Older spelling of job")] = None,
    candidate_id: Annotated[uuid.UUID | None, Query(description="Older spelling of candidate")] = None,
    status: ApplicationStatus | None = None,
    stage: Annotated[str | None, Query(min_length=1, max_length=200, description="Stage, any case")] = None,
    source: Source | None = None,
    hiring_team_member: Annotated[
        uuid.UUID | None,
        Query(description="Only applications to jobs whose hiring team includes this user id"),
    ] = None,
    applied_after: Annotated[IsoDateTime | None, Query(description="Applied at or after")] = None,
    applied_before: Annotated[IsoDateTime | None, Query(description="Applied before")] = None,
    sort: Annotated[
        ApplicationSort | None,
        Query(description="applied, updated or last_activity; a leading - sorts descending"),
    ] = None,
) -> Page[ApplicationListItem]:
    sorting = sorts.parse(sort, request.query_params.get("cursor"), paging, _SORT_KINDS)
    job_ids = None
    if hiring_team_member is not None:
        job_ids = await jobs.job_ids_with_team_member(session, principal, hiring_team_member)
    rows, cursor = await service.list_applications(
        session,
        paging,
        sorting=sorting,
        job_id=job or job_id,
        candidate_id=candidate or candidate_id,
        status=status,
        stage=stage,
        source=source,
        job_ids=job_ids,
        applied_after=applied_after,
        applied_before=applied_before,
    )
    shown = await service.display_fields(
        session,
        principal,
        candidate_ids=[row.candidate_id for row in rows],
        job_ids=[row.job_id for row in rows],
        keyring=_keyring(request),
        purpose="applications list",
    )
    no_store(response)  # may carry candidates' names
    items = [
        ApplicationListItem.model_validate(row).model_copy(
            update={
                "candidate_name": shown.candidate_names.get(row.candidate_id),
                "job_title": shown.job_titles.get(row.job_id),
            }
        )
        for row in rows
    ]
    return Page[ApplicationListItem](
        items=items, next_cursor=cursor, next_updated_since=paging.next_updated_since
    )


@router.get(
    "/jobs/{job_id}/ranking",
    response_model=list[ApplicationOut],
    summary="A job's active applications, best match score first, each with the reasons for its score",
)
async def ranking(
    job_id: uuid.UUID,
    principal: ApplicationsRead,
    session: DbSession,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[ApplicationOut]:
    return [ApplicationOut.model_validate(r) for r in await service.ranked(session, principal, job_id, limit)]


@router.get("/applications/{application_id:uuid}", response_model=ApplicationDetail)
async def read_application(
    application_id: uuid.UUID,
    principal: ApplicationsRead,
    session: DbSession,
    request: Request,
    response: Response,
) -> ApplicationDetail:
    application, answers, tracking = await service.read_application(
        session, principal, application_id, keyring=_keyring(request)
    )
    set_etag(response, application.id, application.version)
    no_store(response)
    return ApplicationDetail.model_validate(
        {
            **ApplicationOut.model_validate(application).model_dump(),
            "answers": answers,
            "source_details": tracking,
        }
    )


@router.post("/applications/{application_id}/move", response_model=ApplicationOut)
async def move(
    application_id: uuid.UUID,
    body: MoveApplication,
    principal: ApplicationsWrite,
    session: DbSession,
    response: Response,
    if_match: OptionalIfMatch = None,
) -> ApplicationOut:
    return _out(
        await service.move(session, principal, application_id, body.stage, if_match=if_match), response
    )


@router.post("/applications/{application_id}/reject", response_model=ApplicationOut)
async def reject(
    application_id: uuid.UUID,
    body: RejectApplication,
    principal: ApplicationsWrite,
    session: DbSession,
    response: Response,
    if_match: OptionalIfMatch = None,
) -> ApplicationOut:
    application = await service.reject(session, principal, application_id, body.reason, if_match=if_match)
    return _out(application, response)


@router.post("/applications/{application_id}/withdraw", response_model=ApplicationOut)
async def withdraw(
    application_id: uuid.UUID,
    principal: ApplicationsWrite,
    session: DbSession,
    response: Response,
    if_match: OptionalIfMatch = None,
) -> ApplicationOut:
    return _out(await service.withdraw(session, principal, application_id, if_match=if_match), response)


@router.post("/applications/{application_id}/unreject", response_model=ApplicationOut)
async def unreject(
    application_id: uuid.UUID,
    principal: ApplicationsWrite,
    session: DbSession,
    response: Response,
    if_match: OptionalIfMatch = None,
) -> ApplicationOut:
    return _out(await service.unreject(session, principal, application_id, if_match=if_match), response)


@router.get("/applications/{application_id}/allowed-actions", response_model=AllowedActions)
async def allowed_actions(
    application_id: uuid.UUID, principal: ApplicationsRead, session: DbSession
) -> AllowedActions:
    application, actions = await service.allowed_actions(session, principal, application_id)
    return AllowedActions.model_validate(
        {
            "application_id": application.id,
            "status": application.status,
            "stage": application.stage,
            "actions": actions,
        }
    )


@router.get("/applications/{application_id}/transitions", response_model=list[TransitionOut])
async def transitions(
    application_id: uuid.UUID, principal: ApplicationsRead, session: DbSession
) -> list[TransitionOut]:
    return [
        TransitionOut.model_validate(row).model_copy(update={"seconds_in_stage": seconds})
        for row, seconds in await service.history(session, application_id)
    ]


@router.post(
    "/applications/bulk",
    response_model=BulkResult,
    summary="Move or reject many applications; each succeeds or fails on its own, recorded one by one",
)
async def bulk_action(body: BulkAction, principal: ApplicationsWrite, session: DbSession) -> BulkResult:
    return await bulk.run(session, principal, body)
