"""The candidate's link (public): the invitation token is the credential, as the status link's is.

Answers are about a person, so every response here is ``Cache-Control: no-store``.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from rolecall.assessments import service
from rolecall.assessments.schemas import (
    AnswerIn,
    AnswerSaved,
    CandidateResultOut,
    ExtraTimeRequest,
    OverviewOut,
    QuestionsOut,
    SignalIn,
)
from rolecall.platform.auth import PUBLIC, DbSession
from rolecall.platform.errors import NotFound
from rolecall.platform.http import blind_index, no_store, pii_keyring
from rolecall.platform.strict import PathNumber

candidate_router = APIRouter(prefix="/v1/assessment-links", tags=["assessment links"], dependencies=[PUBLIC])


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
    token: str, position: PathNumber, body: AnswerIn, request: Request, session: DbSession, response: Response
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
