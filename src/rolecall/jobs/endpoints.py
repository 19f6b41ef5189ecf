"""Job routes: the organisation's jobs, their lifecycle, their descriptions, and job settings."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse

from rolecall.jobs import posting, preview, render_ahead, service
from rolecall.jobs.auth import DescriptionFromProfile, JobSettingsWrite, JobsRead, JobsWrite, LibraryRead
from rolecall.jobs.description import JobDescriptionInput, TemplateOverrideError
from rolecall.jobs.description.schema import DescriptionDocument
from rolecall.jobs.models import Job, JobSettings
from rolecall.jobs.posting import Format
from rolecall.jobs.repository import JobFilter
from rolecall.jobs.schemas import (
    DEFAULT_STAGES,
    CloseJob,
    JobCreate,
    JobOut,
    JobSettingsOut,
    JobSettingsUpdate,
    JobStatus,
    JobUpdate,
)
from rolecall.platform import sorting as sorts
from rolecall.platform.auth import DbSession, Principal
from rolecall.platform.clock import utcnow
from rolecall.platform.errors import Unprocessable
from rolecall.platform.http import AfterTransaction, IfMatch, follow_up_transaction, set_etag
from rolecall.platform.pagination import Page, PageParams, page_params
from rolecall.platform.strict import IsoDateTime
from rolecall.roles.library.schema import Level

router = APIRouter(prefix="/v1", tags=["jobs"])
Paging = Annotated[PageParams, Depends(page_params)]
JobSort = Literal["created", "-created", "updated", "-updated", "title", "-title"]
_JOB_SORT_KINDS: dict[str, type] = {"created": datetime, "updated": datetime, "title": str}
FormatQuery = Annotated[Format, Query(description="markdown, html (with JSON-LD) or json")]
_DESCRIPTION_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "model": DescriptionDocument,
        "content": {"text/markdown": {}, "text/html": {}, "application/json": {}},
    }
}


async def _job_out(session: DbSession, principal: Principal, job: Job, response: Response) -> JobOut:
    set_etag(response, job.id, job.version)
    settings = await service.get_settings(session, principal)
    return JobOut.model_validate(service.job_out(job, settings))


def _after(out: JobOut, response: Response) -> Response:
    return JSONResponse(out.model_dump(mode="json"), headers={"ETag": response.headers["ETag"]})


def _settings_out(settings: JobSettings, response: Response) -> JobSettingsOut:
    set_etag(response, settings.id, settings.version)
    return JobSettingsOut(
        board_slug=settings.board_slug,
        listed=settings.listed,
        show_salary=settings.show_salary,
        about=settings.about,
        website=settings.website,
        logo_url=settings.logo_url,
        benefits=settings.benefits,
        equal_opportunity=settings.equal_opportunity,
        template_overrides=settings.template_overrides,
        stage_template=settings.stage_template or [stage.model_dump() for stage in DEFAULT_STAGES],
        accent_colour=settings.accent_colour,
        careers_intro=settings.careers_intro,
        version=settings.version,
        board_url=f"/v1/board/{settings.board_slug}/postings",
    )


async def _render_later(data: JobDescriptionInput, fmt: Format, settings: JobSettings) -> Response:
    """Render once the request's transaction has ended; a failing override is a 422 saying why."""
    try:
        return _rendered(await posting.render(data, fmt, settings), fmt)
    except TemplateOverrideError as exc:
        raise Unprocessable(
            "An organisation template override cannot be rendered.",
            extra={"errors": [{"field": f"template_overrides.{exc.name}", "message": str(exc)}]},
        ) from exc


def _rendered(content: str | dict[str, Any], fmt: Format) -> Response:
    if fmt == "json":
        return JSONResponse(content)
    if fmt == "html":
        return HTMLResponse(str(content))
    return PlainTextResponse(str(content), media_type="text/markdown; charset=utf-8")


@router.get("/job-settings", response_model=JobSettingsOut)
async def read_job_settings(principal: JobsRead, session: DbSession, response: Response) -> JobSettingsOut:
    return _settings_out(await service.get_settings(session, principal), response)


@router.patch("/job-settings", response_model=JobSettingsOut)
async def update_job_settings(
    request: Request,
    body: JobSettingsUpdate,
    principal: JobSettingsWrite,
    if_match: IfMatch,
    response: Response,
) -> Response:
    # Overrides are checked and rendered with no transaction open, then saved: (1) the trial
    # renders, (2) a short read of the open jobs' description inputs under the new settings, (3)
    # their renders into the render cache, (4) the write, whose republish finds every description
    # ready. Steps 1 and 3 run in budgeted child processes and hold no database lock; the request's
    # own unit of work only authenticated the caller.

    async def produce() -> Response:
        await render_ahead.settings(request, principal, body)
        async with follow_up_transaction(request) as writing:
            settings = await service.update_settings(
                writing, principal, body, if_match, overrides_checked=True
            )
            out = _settings_out(settings, response)
        return JSONResponse(out.model_dump(mode="json"), headers={"ETag": response.headers["ETag"]})

    return AfterTransaction(produce)


@router.get("/jobs", response_model=Page[JobOut])
async def list_jobs(
    request: Request,
    principal: JobsRead,
    session: DbSession,
    paging: Paging,
    status_filter: Annotated[
        list[JobStatus] | None, Query(alias="status", description="Repeat for several statuses")
    ] = None,
    department: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    hiring_team_member: Annotated[
        uuid.UUID | None, Query(description="Only jobs whose hiring team includes this user id")
    ] = None,
    created_after: Annotated[IsoDateTime | None, Query(description="Created at or after")] = None,
    created_before: Annotated[IsoDateTime | None, Query(description="Created before")] = None,
    updated_after: Annotated[IsoDateTime | None, Query(description="Last changed at or after")] = None,
    updated_before: Annotated[IsoDateTime | None, Query(description="Last changed before")] = None,
    sort: Annotated[
        JobSort | None, Query(description="created, updated or title; a leading - sorts descending")
    ] = None,
) -> Page[JobOut]:
    where = JobFilter(
        statuses=tuple(status_filter or ()),
        department=department,
        hiring_team_member=hiring_team_member,
        created_after=created_after,
        created_before=created_before,
        updated_after=updated_after,
        updated_before=updated_before,
    )
    sorting = sorts.parse(sort, request.query_params.get("cursor"), paging, _JOB_SORT_KINDS)
    jobs, cursor = await service.list_jobs(session, principal, paging, where=where, sorting=sorting)
    settings = await service.get_settings(session, principal)
    return Page[JobOut](
        items=[JobOut.model_validate(service.job_out(j, settings)) for j in jobs],
        next_cursor=cursor,
        next_updated_since=paging.next_updated_since,
    )


@router.post(
    "/jobs", response_model=JobOut, status_code=status.HTTP_201_CREATED, summary="Create a draft job"
)
async def create_job(body: JobCreate, principal: JobsWrite, session: DbSession, response: Response) -> JobOut:
    job = await service.create_job(session, principal, body)
    response.headers["Location"] = f"/v1/jobs/{job.id}"
    return await _job_out(session, principal, job, response)


@router.get("/jobs/{job_id}", response_model=JobOut)
async def read_job(job_id: uuid.UUID, principal: JobsRead, session: DbSession, response: Response) -> JobOut:
    return await _job_out(session, principal, await service.get_job(session, principal, job_id), response)


@router.patch("/jobs/{job_id}", response_model=JobOut)
async def update_job(
    job_id: uuid.UUID,
    body: JobUpdate,
    request: Request,
    principal: JobsWrite,
    session: DbSession,
    if_match: IfMatch,
    response: Response,
) -> Response:
    await service.get_job(session, principal, job_id)  # 404 before anything else
    changes = preview.acceptable(body.model_dump(mode="json", exclude_unset=True))

    async def produce() -> Response:
        await render_ahead.job(request, principal, job_id, changes)
        async with follow_up_transaction(request) as writing:
            updated = await service.update_job(writing, principal, job_id, body, if_match)
            return _after(await _job_out(writing, principal, updated, response), response)

    return AfterTransaction(produce)


@router.post("/jobs/{job_id}/open", response_model=JobOut, summary="Publish (or resume) the job")
async def open_job(
    job_id: uuid.UUID, request: Request, principal: JobsWrite, session: DbSession, response: Response
) -> Response:
    await service.get_job(session, principal, job_id)  # 404 before anything else

    async def produce() -> Response:
        now = utcnow()
        await render_ahead.job(request, principal, job_id, {}, opening_at=now)
        async with follow_up_transaction(request) as writing:
            job = await service.transition(writing, principal, job_id, "open", at=now)
            return _after(await _job_out(writing, principal, job, response), response)

    return AfterTransaction(produce)


@router.post("/jobs/{job_id}/pause", response_model=JobOut, summary="Take the posting off the board for now")
async def pause_job(
    job_id: uuid.UUID, principal: JobsWrite, session: DbSession, response: Response
) -> JobOut:
    job = await service.transition(session, principal, job_id, "pause")
    return await _job_out(session, principal, job, response)


@router.post("/jobs/{job_id}/close", response_model=JobOut, summary="Close the job for good")
async def close_job(
    job_id: uuid.UUID, body: CloseJob, principal: JobsWrite, session: DbSession, response: Response
) -> JobOut:
    job = await service.transition(session, principal, job_id, "close", body)
    return await _job_out(session, principal, job, response)


@router.get("/jobs/{job_id}/description", response_class=Response, responses=_DESCRIPTION_RESPONSES)
async def job_description(
    job_id: uuid.UUID, principal: JobsRead, session: DbSession, format: FormatQuery = "markdown"
) -> Response:
    data, settings = await service.description_input(session, principal, job_id)
    return AfterTransaction(lambda: _render_later(data, format, settings))


@router.get(
    "/role-profiles/{profile_id}/levels/{level}/description",
    response_class=Response,
    responses=_DESCRIPTION_RESPONSES,
    summary="A job description for one level of an organisation profile",
)
async def profile_description(
    profile_id: uuid.UUID,
    level: Level,
    principal: DescriptionFromProfile,
    session: DbSession,
    format: FormatQuery = "markdown",
) -> Response:
    data, settings = await service.profile_description_input(session, principal, profile_id, level)
    return AfterTransaction(lambda: _render_later(data, format, settings))


@router.get(
    "/role-library/{library_id}/levels/{level}/description",
    response_class=Response,
    responses=_DESCRIPTION_RESPONSES,
    summary="A job description for one level of a library profile",
)
async def library_description(
    library_id: str, level: Level, principal: LibraryRead, format: FormatQuery = "markdown"
) -> Response:
    return _rendered(await service.library_description(library_id, level, format), format)
