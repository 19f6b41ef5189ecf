"""Interview and scorecard routes.

Interviews carry a title and a place that may name people, and scorecards carry notes about the
candidate, so every response here is ``Cache-Control: no-store``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response, status

from rolecall.interviews import scorecards, service
from rolecall.interviews.auth import InterviewsRead, InterviewsWrite, ScorecardsSummaryRead, ScorecardsWrite
from rolecall.interviews.models import Interview
from rolecall.interviews.repository import InterviewFilter
from rolecall.interviews.schemas import (
    InterviewCreate,
    InterviewListItem,
    InterviewOut,
    InterviewStatus,
    InterviewUpdate,
    ScorecardList,
    ScorecardOut,
    ScorecardSummary,
    ScorecardUpdate,
)
from rolecall.pipeline import service as pipeline
from rolecall.platform import ics
from rolecall.platform import sorting as sorts
from rolecall.platform.auth import DbSession
from rolecall.platform.http import IfMatch, no_store, set_etag
from rolecall.platform.http import pii_keyring as _keyring
from rolecall.platform.pagination import Page, PageParams, page_params
from rolecall.platform.strict import IsoDateTime

router = APIRouter(prefix="/v1", tags=["interviews"])
Paging = Annotated[PageParams, Depends(page_params)]


def _model(interview: Interview) -> InterviewOut:
    return InterviewOut.model_validate(
        {
            **{field: getattr(interview, field) for field in InterviewOut.model_fields if field != "ends_at"},
            "ends_at": service.ends_at(interview),
        }
    )


def _out(interview: Interview, response: Response) -> InterviewOut:
    set_etag(response, interview.id, interview.version)
    no_store(response)
    return _model(interview)


def _card(view: scorecards.ScorecardView, response: Response) -> ScorecardOut:
    set_etag(response, view.id, view.version)
    no_store(response)
    return ScorecardOut.model_validate(view)


@router.post(
    "/applications/{application_id}/interviews",
    response_model=InterviewOut,
    status_code=status.HTTP_201_CREATED,
    summary="Schedule an interview for an active application",
)
async def schedule_interview(
    application_id: uuid.UUID,
    body: InterviewCreate,
    principal: InterviewsWrite,
    session: DbSession,
    response: Response,
) -> InterviewOut:
    interview = await service.schedule_interview(session, principal, application_id, body)
    response.headers["Location"] = f"/v1/interviews/{interview.id}"
    return _out(interview, response)


InterviewSort = Literal["scheduled", "-scheduled", "created", "-created"]
_SORT_KINDS: dict[str, type] = {"scheduled": datetime, "created": datetime}


@router.get(
    "/interviews", response_model=Page[InterviewListItem], summary="Interviews (interviewers: their own)"
)
async def list_interviews(
    principal: InterviewsRead,
    session: DbSession,
    paging: Paging,
    request: Request,
    response: Response,
    application: Annotated[uuid.UUID | None, Query(description="Interviews of this application")] = None,
    interviewer: Annotated[uuid.UUID | None, Query(description="Interviews this user conducts")] = None,
    status: InterviewStatus | None = None,
    job: Annotated[uuid.UUID | None, Query(description="Interviews for this job")] = None,
    scheduled_after: Annotated[IsoDateTime | None, Query(description="Starts at or after")] = None,
    scheduled_before: Annotated[IsoDateTime | None, Query(description="Starts before")] = None,
    sort: Annotated[
        InterviewSort | None, Query(description="scheduled or created; a leading - for descending")
    ] = None,
    application_id: Annotated[uuid.UUID | None, Query(description="Older spelling of application")] = None,
    interviewer_id: Annotated[uuid.UUID | None, Query(description="Older spelling of interviewer")] = None,
    starts_from: Annotated[
        IsoDateTime | None, Query(alias="from", description="Older spelling of scheduled_after")
    ] = None,
    starts_before: Annotated[
        IsoDateTime | None, Query(alias="to", description="Older spelling of scheduled_before")
    ] = None,
) -> Page[InterviewListItem]:
    sorting = sorts.parse(sort, request.query_params.get("cursor"), paging, _SORT_KINDS)
    where = InterviewFilter(
        application_id=application or application_id,
        interviewer_id=interviewer or interviewer_id,
        starts_from=scheduled_after or starts_from,
        starts_before=scheduled_before or starts_before,
        status=status,
        job_id=job,
    )
    before_field = "scheduled_before" if scheduled_before is not None else "to"
    rows, cursor = await service.list_interviews(
        session, principal, where, paging, sorting, before_field=before_field
    )
    shown = await pipeline.display_fields(
        session,
        principal,
        candidate_ids=[row.candidate_id for row in rows],
        job_ids={row.job_id for row in rows},
        keyring=_keyring(request),
        purpose="interviews list",
    )
    no_store(response)
    items = [
        InterviewListItem.model_validate(
            {
                **_model(row).model_dump(),
                "candidate_name": shown.candidate_names.get(row.candidate_id),
                "job_title": shown.job_titles.get(row.job_id),
            }
        )
        for row in rows
    ]
    return Page[InterviewListItem](
        items=items, next_cursor=cursor, next_updated_since=paging.next_updated_since
    )


@router.get("/interviews/{interview_id}", response_model=InterviewOut)
async def read_interview(
    interview_id: uuid.UUID, principal: InterviewsRead, session: DbSession, response: Response
) -> InterviewOut:
    return _out(await service.get_interview(session, principal, interview_id), response)


@router.patch("/interviews/{interview_id}", response_model=InterviewOut, summary="Reschedule an interview")
async def reschedule_interview(
    interview_id: uuid.UUID,
    body: InterviewUpdate,
    principal: InterviewsWrite,
    session: DbSession,
    if_match: IfMatch,
    response: Response,
) -> InterviewOut:
    interview = await service.reschedule_interview(session, principal, interview_id, body, if_match)
    return _out(interview, response)


@router.post("/interviews/{interview_id}/cancel", response_model=InterviewOut, summary="Cancel an interview")
async def cancel_interview(
    interview_id: uuid.UUID, principal: InterviewsWrite, session: DbSession, response: Response
) -> InterviewOut:
    return _out(await service.cancel_interview(session, principal, interview_id), response)


@router.get(
    "/interviews/{interview_id}/invite.ics",
    response_class=Response,
    summary="The interview's current iCalendar invite (REQUEST, or CANCEL once cancelled)",
    responses={200: {"content": {"text/calendar": {}}}},
)
async def interview_invite(
    interview_id: uuid.UUID, principal: InterviewsRead, session: DbSession
) -> Response:
    body, method, interview = await service.invite(session, principal, interview_id)
    response = Response(content=body, media_type=ics.content_type(method))
    response.headers["Content-Disposition"] = f'attachment; filename="interview-{interview.id}.ics"'
    set_etag(response, interview.id, interview.version)
    no_store(response)
    return response


@router.get(
    "/interviews/{interview_id}/scorecards/mine",
    response_model=ScorecardOut,
    summary="Your scorecard for the interview (started as a draft the first time)",
)
async def read_my_scorecard(
    interview_id: uuid.UUID,
    principal: ScorecardsWrite,
    session: DbSession,
    request: Request,
    response: Response,
) -> ScorecardOut:
    view = await scorecards.my_scorecard(session, principal, interview_id, keyring=_keyring(request))
    return _card(view, response)


@router.put("/interviews/{interview_id}/scorecards/mine", response_model=ScorecardOut)
async def update_my_scorecard(
    interview_id: uuid.UUID,
    body: ScorecardUpdate,
    principal: ScorecardsWrite,
    session: DbSession,
    if_match: IfMatch,
    request: Request,
    response: Response,
) -> ScorecardOut:
    view = await scorecards.update_my_scorecard(
        session, principal, interview_id, body, if_match, keyring=_keyring(request)
    )
    return _card(view, response)


@router.post(
    "/interviews/{interview_id}/scorecards/mine/submit",
    response_model=ScorecardOut,
    summary="Submit your scorecard; it cannot be changed afterwards",
)
async def submit_my_scorecard(
    interview_id: uuid.UUID,
    principal: ScorecardsWrite,
    session: DbSession,
    request: Request,
    response: Response,
) -> ScorecardOut:
    view = await scorecards.submit_my_scorecard(session, principal, interview_id, keyring=_keyring(request))
    return _card(view, response)


@router.get(
    "/interviews/{interview_id}/scorecards",
    response_model=ScorecardList,
    summary="Submitted scorecards (an interviewer must submit theirs first: 403 until then)",
)
async def list_scorecards(
    interview_id: uuid.UUID,
    principal: InterviewsRead,
    session: DbSession,
    request: Request,
    response: Response,
) -> ScorecardList:
    views = await scorecards.interview_scorecards(session, principal, interview_id, keyring=_keyring(request))
    no_store(response)
    return ScorecardList(items=[ScorecardOut.model_validate(view) for view in views])


@router.get(
    "/applications/{application_id}/scorecards",
    response_model=ScorecardSummary,
    summary="Submitted scorecards of an application: average rating per skill and recommendations",
)
async def application_scorecards(
    application_id: uuid.UUID, principal: ScorecardsSummaryRead, session: DbSession
) -> ScorecardSummary:
    return ScorecardSummary.model_validate(
        await scorecards.application_summary(session, principal, application_id)
    )
