"""Assessment routes: the bank, blueprints, invitations, results, marking and the ranking (staff), and
the candidate's link (public).

Results and answers are about a person, so every response here is ``Cache-Control: no-store``.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request, Response, status
from fastapi.responses import PlainTextResponse

from rolecall.assessments import service
from rolecall.assessments.auth import AssessmentsMark, AssessmentsRank, AssessmentsRead, AssessmentsWrite
from rolecall.assessments.models import AssessmentBlueprint, AssessmentBlueprintVersion, AssessmentSession
from rolecall.assessments.schemas import (
    AccommodationIn,
    AnswerIn,
    AnswerSaved,
    BlueprintOut,
    BlueprintVersionOut,
    CandidateResultOut,
    ExtraTimeRequest,
    ImportReportOut,
    InvitationOut,
    InviteIn,
    ItemCreate,
    ItemDetail,
    ItemOut,
    ItemStatisticsOut,
    ItemVersionOut,
    MarkIn,
    MarkingEntry,
    OverviewOut,
    QuestionsOut,
    RankingOut,
    ResultOut,
    SessionOut,
    SignalIn,
    VersionStatus,
    WeightsIn,
)
from rolecall.platform.auth import PUBLIC, DbSession
from rolecall.platform.errors import BadRequest, NotFound
from rolecall.platform.http import IfMatch, blind_index, no_store, pii_keyring, set_etag
from rolecall.platform.pagination import Page, PageParams, page_params

router = APIRouter(prefix="/v1", tags=["assessments"])
candidate_router = APIRouter(prefix="/v1/assessment-links", tags=["assessment links"], dependencies=[PUBLIC])
MAX_BANK_BYTES = 2_000_000


def link_for(request: Request, token: str) -> str:
    settings = request.app.state.settings
    base = (settings.public_base_url or settings.issuer).rstrip("/")
    return f"{base}/assessments/{token}"


def session_out(record: AssessmentSession) -> SessionOut:
    return SessionOut.model_validate(
        {
            **{f: getattr(record, f) for f in SessionOut.model_fields if f != "items"},
            "items": len(record.items),
        }
    )


def _session(record: AssessmentSession, response: Response) -> SessionOut:
    set_etag(response, record.id, record.version)
    no_store(response)
    return session_out(record)


def _blueprint(
    blueprint: AssessmentBlueprint, version: AssessmentBlueprintVersion, response: Response
) -> BlueprintOut:
    set_etag(response, blueprint.id, blueprint.version)
    return BlueprintOut(
        id=blueprint.id,
        job_id=blueprint.job_id,
        title=blueprint.title,
        version=version.number,
        created_at=version.created_at,
        created_by=version.created_by,
        document=version.document,
    )


# --- the bank ---------------------------------------------------------------------------------------


@router.get("/assessments/items", response_model=Page[ItemOut], summary="The organisation's question bank")
async def list_items(
    principal: AssessmentsRead,
    session: DbSession,
    paging: Annotated[PageParams, Depends(page_params)],
    skill: Annotated[str | None, Query(max_length=120, description="A skill name or id")] = None,
    flagged: bool | None = None,
    ready: bool | None = None,
) -> Page[ItemOut]:
    rows, cursor = await service.list_items(
        session, principal, paging, skill=skill, flagged=flagged, ready=ready
    )
    return Page[ItemOut](
        items=[ItemOut.model_validate(r, from_attributes=True) for r in rows], next_cursor=cursor
    )


async def _detail(session: DbSession, item_id: uuid.UUID, response: Response) -> ItemDetail:
    item, versions = await service.item_with_versions(session, item_id)
    set_etag(response, item.id, item.version)
    return ItemDetail.model_validate(
        {
            **ItemOut.model_validate(item, from_attributes=True).model_dump(),
            "versions": [ItemVersionOut.model_validate(v, from_attributes=True) for v in versions],
        }
    )


@router.post(
    "/assessments/items",
    response_model=ItemDetail,
    status_code=status.HTTP_201_CREATED,
    summary="Add an item",
)
async def create_item(
    body: ItemCreate, principal: AssessmentsWrite, session: DbSession, response: Response
) -> ItemDetail:
    item = await service.create_item(session, principal, body.document, publish=body.publish)
    response.headers["Location"] = f"/v1/assessments/items/{item.id}"
    return await _detail(session, item.id, response)


@router.get(
    "/assessments/items/{item_id}", response_model=ItemDetail, summary="An item with all its versions"
)
async def read_item(
    item_id: uuid.UUID, principal: AssessmentsWrite, session: DbSession, response: Response
) -> ItemDetail:
    return await _detail(session, item_id, response)


@router.post(
    "/assessments/items/{item_id}/versions",
    response_model=ItemDetail,
    status_code=status.HTTP_201_CREATED,
    summary="Revise an item: a new version (the earlier ones never change)",
)
async def revise_item(
    item_id: uuid.UUID,
    body: ItemCreate,
    principal: AssessmentsWrite,
    session: DbSession,
    if_match: IfMatch,
    response: Response,
) -> ItemDetail:
    await service.revise_item(session, principal, item_id, body.document, if_match, publish=body.publish)
    return await _detail(session, item_id, response)


@router.put(
    "/assessments/items/{item_id}/versions/{number}/status",
    response_model=ItemDetail,
    summary="Publish (ready) or retire a version",
)
async def set_version_status(
    item_id: uuid.UUID,
    number: int,
    body: VersionStatus,
    principal: AssessmentsWrite,
    session: DbSession,
    if_match: IfMatch,
    response: Response,
) -> ItemDetail:
    await service.set_version_status(session, principal, item_id, number, body.status, if_match)
    return await _detail(session, item_id, response)


@router.get(
    "/assessments/items/{item_id}/statistics",
    response_model=ItemStatisticsOut,
    summary="Difficulty (p-value) and discrimination (point-biserial) per version, with review flags",
)
async def item_statistics(
    item_id: uuid.UUID, principal: AssessmentsRead, session: DbSession
) -> ItemStatisticsOut:
    await service.item_with_versions(session, item_id)  # 404 for an unknown item
    return ItemStatisticsOut.model_validate(await service.item_statistics(session, item_id))


@router.post(
    "/assessments/bank/import",
    response_model=ImportReportOut,
    summary="Import a YAML bank file (all or nothing)",
    openapi_extra={
        "requestBody": {"content": {"application/yaml": {"schema": {"type": "string"}}}, "required": True}
    },
)
async def import_bank(
    request: Request, principal: AssessmentsWrite, session: DbSession, publish: bool = True
) -> ImportReportOut:
    raw = await request.body()
    if len(raw) > MAX_BANK_BYTES:
        raise BadRequest(f"A bank file is at most {MAX_BANK_BYTES} bytes.")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest("The bank file must be UTF-8 text.") from exc
    report = await service.import_bank(session, principal, text, publish=publish)
    return ImportReportOut(created=report.created, revised=report.revised, unchanged=report.unchanged)


@router.get(
    "/assessments/bank/export",
    response_class=PlainTextResponse,
    summary="Every item's ready version as a YAML bank file",
    responses={200: {"content": {"application/yaml": {}}}},
)
async def export_bank(principal: AssessmentsWrite, session: DbSession) -> PlainTextResponse:
    text = await service.export_bank(session, principal)
    return PlainTextResponse(text, media_type="application/yaml")


# --- blueprints ---------------------------------------------------------------------------------------


@router.post(
    "/jobs/{job_id}/assessment-blueprint",
    response_model=BlueprintOut,
    status_code=status.HTTP_201_CREATED,
    summary="Generate the job's blueprint from its pinned role profile level",
)
async def generate_blueprint(
    job_id: uuid.UUID, principal: AssessmentsWrite, session: DbSession, response: Response
) -> BlueprintOut:
    blueprint, version = await service.generate_blueprint(session, principal, job_id)
    response.headers["Location"] = f"/v1/jobs/{job_id}/assessment-blueprint"
    return _blueprint(blueprint, version, response)


@router.get("/jobs/{job_id}/assessment-blueprint", response_model=BlueprintOut, summary="The job's blueprint")
async def read_blueprint(
    job_id: uuid.UUID, principal: AssessmentsRead, session: DbSession, response: Response
) -> BlueprintOut:
    blueprint, version = await service.get_blueprint(session, principal, job_id)
    return _blueprint(blueprint, version, response)


@router.put(
    "/jobs/{job_id}/assessment-blueprint",
    response_model=BlueprintOut,
    summary="Edit the blueprint (a new version; sessions keep the version they drew)",
)
async def update_blueprint(
    job_id: uuid.UUID,
    principal: AssessmentsWrite,
    session: DbSession,
    if_match: IfMatch,
    response: Response,
    body: Annotated[dict[str, Any], Body(description="The blueprint document")],
) -> BlueprintOut:
    blueprint, version = await service.update_blueprint(session, principal, job_id, body, if_match)
    return _blueprint(blueprint, version, response)


@router.get(
    "/jobs/{job_id}/assessment-blueprint/versions",
    response_model=list[BlueprintVersionOut],
    summary="Every version of the job's blueprint",
)
async def blueprint_versions(
    job_id: uuid.UUID, principal: AssessmentsRead, session: DbSession
) -> list[BlueprintVersionOut]:
    return [
        BlueprintVersionOut.model_validate(v, from_attributes=True)
        for v in await service.versions(session, principal, job_id)
    ]


# --- invitations and sessions -------------------------------------------------------------------------


@router.post(
    "/assessments/invitations",
    response_model=InvitationOut,
    status_code=status.HTTP_201_CREATED,
    summary="Invite an application's candidate to the job's assessment",
)
async def invite(
    body: InviteIn, request: Request, principal: AssessmentsWrite, session: DbSession, response: Response
) -> InvitationOut:
    record, token = await service.invite(
        session,
        principal,
        body.application_id,
        blind_index(request),
        extra_time_percent=body.extra_time_percent,
        link_days=body.link_days,
    )
    response.headers["Location"] = f"/v1/assessments/sessions/{record.id}"
    return InvitationOut(session=_session(record, response), link=link_for(request, token) if token else None)


@router.get(
    "/assessments/sessions", response_model=Page[SessionOut], summary="Sessions, by job or application"
)
async def list_sessions(
    principal: AssessmentsWrite,
    session: DbSession,
    response: Response,
    paging: Annotated[PageParams, Depends(page_params)],
    job_id: uuid.UUID | None = None,
    application_id: uuid.UUID | None = None,
    status_: Annotated[str | None, Query(alias="status", max_length=12)] = None,
) -> Page[SessionOut]:
    rows, cursor = await service.list_sessions(
        session, paging, job_id=job_id, application_id=application_id, status=status_
    )
    no_store(response)
    return Page[SessionOut](items=[session_out(r) for r in rows], next_cursor=cursor)


@router.get(
    "/assessments/sessions/{session_id}",
    response_model=SessionOut,
    summary="A session, as recruiters manage it",
)
async def read_session(
    session_id: uuid.UUID, principal: AssessmentsWrite, session: DbSession, response: Response
) -> SessionOut:
    return _session(await service.get_session(session, session_id), response)


@router.post(
    "/assessments/sessions/{session_id}/link",
    response_model=InvitationOut,
    summary="Issue a new link for an open session (the previous link stops working)",
)
async def reissue_link(
    session_id: uuid.UUID,
    request: Request,
    principal: AssessmentsWrite,
    session: DbSession,
    response: Response,
) -> InvitationOut:
    record, token = await service.reissue_link(session, principal, session_id, blind_index(request))
    return InvitationOut(session=_session(record, response), link=link_for(request, token))


@router.put(
    "/assessments/sessions/{session_id}/accommodation",
    response_model=SessionOut,
    summary="Grant extra time (before the candidate starts)",
)
async def set_accommodation(
    session_id: uuid.UUID,
    body: AccommodationIn,
    principal: AssessmentsWrite,
    session: DbSession,
    if_match: IfMatch,
    response: Response,
) -> SessionOut:
    record = await service.set_accommodation(
        session, principal, session_id, body.extra_time_percent, if_match
    )
    return _session(record, response)


@router.post(
    "/assessments/sessions/{session_id}/cancel",
    response_model=SessionOut,
    summary="Withdraw an open invitation",
)
async def cancel(
    session_id: uuid.UUID,
    principal: AssessmentsWrite,
    session: DbSession,
    if_match: IfMatch,
    response: Response,
) -> SessionOut:
    return _session(await service.cancel(session, principal, session_id, if_match), response)


@router.get(
    "/assessments/sessions/{session_id}/result",
    response_model=ResultOut,
    summary="Scores per skill and item, percentile and integrity signals (never accommodations)",
)
async def read_result(
    session_id: uuid.UUID, principal: AssessmentsRead, session: DbSession, response: Response
) -> ResultOut:
    no_store(response)
    return ResultOut.model_validate(await service.result(session, principal, session_id))


# --- marking and ranking ------------------------------------------------------------------------------


@router.get(
    "/assessments/marking", response_model=list[MarkingEntry], summary="Answers waiting for a person (blind)"
)
async def marking_queue(
    request: Request,
    principal: AssessmentsMark,
    session: DbSession,
    response: Response,
    job_id: uuid.UUID | None = None,
) -> list[MarkingEntry]:
    no_store(response)
    entries = await service.queue(session, principal, pii_keyring(request), job_id=job_id)
    return [MarkingEntry.model_validate(e) for e in entries]


@router.post(
    "/assessments/sessions/{session_id}/marks/{position}",
    response_model=ResultOut,
    summary="Mark a short-text answer against its rubric (a correction is a new mark)",
)
async def mark(
    session_id: uuid.UUID,
    position: int,
    body: MarkIn,
    principal: AssessmentsMark,
    session: DbSession,
    response: Response,
) -> ResultOut:
    await service.mark(session, principal, session_id, position, body.awarded, body.comment)
    no_store(response)
    return ResultOut.model_validate(await service.result(session, principal, session_id))


@router.get(
    "/jobs/{job_id}/candidate-ranking",
    response_model=RankingOut,
    summary="The job's active applications ranked from assessment, match score and scorecards, explained",
)
async def ranking(
    job_id: uuid.UUID,
    principal: AssessmentsRank,
    session: DbSession,
    response: Response,
    stage: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=20, pattern=r"^\d+$")] = None,
) -> RankingOut:
    result = await service.ranked(
        session, principal, job_id, stage=stage, offset=int(cursor or 0), limit=limit
    )
    no_store(response)
    following = result.pop("next_offset")
    return RankingOut.model_validate(
        {**result, "next_cursor": str(following) if following is not None else None}
    )


@router.put(
    "/jobs/{job_id}/ranking-weights", response_model=dict[str, float], summary="Set the job's ranking weights"
)
async def set_weights(
    job_id: uuid.UUID, body: WeightsIn, principal: AssessmentsWrite, session: DbSession
) -> dict[str, float]:
    return await service.set_weights(session, principal, job_id, body.model_dump())


# --- the candidate's link (public) --------------------------------------------------------------------


@candidate_router.get("/{token}", response_model=OverviewOut, summary="The assessment behind a link")
async def overview(token: str, request: Request, session: DbSession, response: Response) -> OverviewOut:
    record, _ = await service.by_token(session, token, blind_index(request))
    no_store(response)
    return OverviewOut.model_validate(service.overview(record))


@candidate_router.post(
    "/{token}/extra-time", response_model=OverviewOut, summary="Ask for extra time before starting"
)
async def request_extra_time(
    token: str, body: ExtraTimeRequest, request: Request, session: DbSession, response: Response
) -> OverviewOut:
    record = await service.request_extra_time(session, token, blind_index(request), body.percent)
    no_store(response)
    return OverviewOut.model_validate(service.overview(record))


@candidate_router.post(
    "/{token}/start", response_model=QuestionsOut, summary="Start the clock and get the questions"
)
async def start(token: str, request: Request, session: DbSession, response: Response) -> QuestionsOut:
    index = blind_index(request)
    await service.start(session, token, index, address=request.client.host if request.client else None)
    return await _questions(token, request, session, response)


async def _questions(token: str, request: Request, session: DbSession, response: Response) -> QuestionsOut:
    record, questions = await service.questions(session, token, blind_index(request), pii_keyring(request))
    no_store(response)
    return QuestionsOut(overview=OverviewOut.model_validate(service.overview(record)), questions=questions)


@candidate_router.get(
    "/{token}/questions", response_model=QuestionsOut, summary="The questions and the answers saved"
)
async def questions(token: str, request: Request, session: DbSession, response: Response) -> QuestionsOut:
    return await _questions(token, request, session, response)


@candidate_router.put(
    "/{token}/answers/{position}",
    response_model=AnswerSaved,
    summary="Save an answer (autosave; the newest counts)",
)
async def save_answer(
    token: str, position: int, body: AnswerIn, request: Request, session: DbSession, response: Response
) -> AnswerSaved:
    index = blind_index(request)
    saved, errors = await service.save_answer(
        session,
        token,
        index,
        pii_keyring(request),
        position,
        body.answer,
        address=request.client.host if request.client else None,
    )
    record, _ = await service.by_token(session, token, index)
    no_store(response)
    return AnswerSaved(
        position=position,
        saved_at=saved.recorded_at,
        remaining_seconds=service.overview(record)["remaining_seconds"],
        errors=errors,
    )


@candidate_router.post(
    "/{token}/signals", status_code=status.HTTP_204_NO_CONTENT, summary="Record an integrity signal"
)
async def record_signal(token: str, body: SignalIn, request: Request, session: DbSession) -> Response:
    detail = {k: v for k, v in (("seconds", body.seconds), ("characters", body.characters)) if v is not None}
    await service.record_signal(session, token, blind_index(request), body.kind, body.position, detail)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@candidate_router.post("/{token}/submit", response_model=OverviewOut, summary="Submit: scored at once")
async def submit(token: str, request: Request, session: DbSession, response: Response) -> OverviewOut:
    record = await service.submit(session, token, blind_index(request), pii_keyring(request))
    no_store(response)
    return OverviewOut.model_validate(service.overview(record))


@candidate_router.get(
    "/{token}/result",
    response_model=CandidateResultOut,
    summary="The candidate's own result, when the job shows it",
    responses={404: {"description": "No result to show (not marked yet, or the job does not show results)"}},
)
async def candidate_result(
    token: str, request: Request, session: DbSession, response: Response
) -> CandidateResultOut:
    result = await service.candidate_result(session, token, blind_index(request))
    no_store(response)
    if result is None:
        raise NotFound("There is no result to show for this assessment.")
    return CandidateResultOut.model_validate(result)
