"""Assessment routes for staff: the bank, blueprints, marking and the ranking. Invitations and sessions
are in :mod:`session_endpoints`, the candidate's link in :mod:`link_endpoints`.

Results and answers are about a person, so every response here is ``Cache-Control: no-store``.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request, Response, status
from fastapi.responses import PlainTextResponse

from rolecall.assessments import service
from rolecall.assessments.auth import AssessmentsMark, AssessmentsRank, AssessmentsRead, AssessmentsWrite
from rolecall.assessments.models import AssessmentBlueprint, AssessmentBlueprintVersion
from rolecall.assessments.schemas import (
    BlueprintOut,
    BlueprintVersionOut,
    ImportReportOut,
    ItemCreate,
    ItemDetail,
    ItemOut,
    ItemStatisticsOut,
    ItemVersionOut,
    MarkIn,
    MarkingEntry,
    RankingOut,
    ResultOut,
    VersionStatus,
    WeightsIn,
)
from rolecall.platform.auth import DbSession
from rolecall.platform.errors import BadRequest
from rolecall.platform.http import IfMatch, no_store, pii_keyring, set_etag
from rolecall.platform.pagination import Page, PageParams, page_params
from rolecall.platform.strict import PathNumber

router = APIRouter(prefix="/v1", tags=["assessments"])
MAX_BANK_BYTES = 2_000_000


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
        items=[ItemOut.model_validate(r, from_attributes=True) for r in rows],
        next_cursor=cursor,
        next_updated_since=paging.next_updated_since,
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
    number: PathNumber,
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
    position: PathNumber,
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
