"""The pipeline board of a job: its applications by stage, moved by drag and drop, by a plain form
(keyboard, no JavaScript), or in bulk, and rejected with a reason.

Every change calls the same service functions as the API, with the version the card was drawn
from as the ``If-Match`` the API would send, so a card moved by a colleague a moment ago is refused
(412) instead of being moved twice. Without JavaScript a change answers 303 back to the board with a
message; with htmx it answers the changed card and the new column counts (out-of-band swaps), or a
plain-text sentence saying why nothing changed.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import PlainTextResponse, RedirectResponse
from markupsafe import Markup
from pydantic import ValidationError
from sqlalchemy.orm.exc import StaleDataError

from rolecall.candidates import service as candidates
from rolecall.jobs import service as jobs
from rolecall.pipeline import board as boards
from rolecall.pipeline import bulk, service
from rolecall.pipeline.board_view import card_helpers, move_options
from rolecall.pipeline.schemas import BulkMove, BulkReject, BulkResult
from rolecall.platform.auth import DbSession, Principal
from rolecall.platform.errors import NotFound, ProblemError
from rolecall.platform.http import etag_for
from rolecall.platform.http import pii_keyring as _keyring
from rolecall.web.auth import page_requires
from rolecall.web.security import csrf_token
from rolecall.web.templating import flash, is_htmx, render

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, Depends(page_requires("applications:read"))]
Writer = Annotated[Principal, Depends(page_requires("applications:write"))]
Version = Annotated[int | None, Form(ge=1)]
STALE = (
    "Someone else changed this application a moment ago, so nothing was changed. "
    "Reload the board to see where it is now."
)


def _board_url(job_id: uuid.UUID) -> str:
    return f"/app/jobs/{job_id}/pipeline"


def _if_match(application_id: uuid.UUID, version: int | None) -> str | None:
    """The ETag the API would have sent for the version the card showed."""
    return None if version is None else etag_for(application_id, version)


def _csrf_input(request: Request, principal: Principal) -> Markup:
    """The hidden CSRF field, built once: a board repeats it in two forms on each of its cards."""
    assert principal.session_id is not None
    return Markup('<input type="hidden" name="csrf_token" value="{}">').format(
        csrf_token(request, principal.session_id)
    )


def _page(request: Request, principal: Principal, board: boards.Board, **extra: Any) -> Response:
    cards = [card for column in board.columns for card in column.cards]
    cards += [card for closed in board.closed.values() for card in closed]
    return render(
        request,
        "pipeline/board.html",
        {
            "board": board,
            "move_options": move_options([column.name for column in board.columns if column.known]),
            "may_write": "applications:write" in principal.scopes,
            "may_note": "candidates:write" in principal.scopes,
            "names": {card.id: card.name for card in cards},
            "csrf_input": _csrf_input(request, principal),
            "bulk": None,
            "bulk_error": None,
            **card_helpers(board.reject_reasons),
            **extra,
        },
    )


@router.get("/app/jobs/{job_id}/pipeline")
async def pipeline_board(
    job_id: uuid.UUID, request: Request, session: DbSession, principal: Reader
) -> Response:
    board = await boards.load_board(session, principal, job_id, keyring=_keyring(request))
    return _page(request, principal, board)


def _refused(request: Request, job_id: uuid.UUID, message: str, status: int) -> Response:
    """Nothing changed: a sentence the board's script announces, or back to the board with it."""
    if is_htmx(request):
        return PlainTextResponse(message, status_code=status, headers={"Cache-Control": "no-store"})
    response = RedirectResponse(_board_url(job_id), status_code=303)
    flash(request, response, f"Nothing changed: {message}")
    return response


async def _changed(
    request: Request,
    session: DbSession,
    principal: Principal,
    job_id: uuid.UUID,
    application_id: uuid.UUID,
    done: str,
    *,
    placed: bool,
) -> Response:
    """After a change: back to the board, or (htmx) the card and every count that may have changed."""
    card = await boards.load_card(session, principal, job_id, application_id, keyring=_keyring(request))
    if not is_htmx(request):
        response = RedirectResponse(_board_url(card.job_id), status_code=303)
        flash(request, response, f"{done} {card.stage}." if card.status == "active" else f"{done}.")
        return response
    job = await jobs.get_job(session, principal, card.job_id)
    columns = boards.open_columns(list(job.stages))
    active, closed = await boards.stage_counts(session, card.job_id)
    target = next((c.index for c in columns if c.name.casefold() == card.stage.casefold()), None)
    who = card.name or "The application"
    settings = await service.get_settings(session, principal.organisation_id)
    return render(
        request,
        "pipeline/board_changed.html",
        {
            "card": card,
            "move_options": move_options([column.name for column in columns]),
            "column_counts": [(c.index, active.get(c.name.casefold(), 0)) for c in columns],
            "closed_counts": closed,
            "target_index": target,
            "placed": placed,
            "message": f"{who}: {done.lower()} {card.stage}."
            if card.status == "active"
            else f"{who}: {done.lower()}.",
            "may_write": True,
            "csrf_input": _csrf_input(request, principal),
            "may_note": "candidates:write" in principal.scopes,
            **card_helpers(list(settings.reject_reasons)),
        },
    )


@router.post("/app/applications/{application_id}/move")
async def move(
    application_id: uuid.UUID,
    request: Request,
    session: DbSession,
    principal: Writer,
    stage: Annotated[str, Form(max_length=200)] = "",
    version: Version = None,
    placed: Annotated[str, Form(max_length=1)] = "",
) -> Response:
    facts = await service.application_facts(session, application_id)  # 404 for anyone else's
    try:
        async with session.begin_nested():
            await service.move(
                session, principal, application_id, stage, if_match=_if_match(application_id, version)
            )
    except StaleDataError:
        return _refused(request, facts.job_id, STALE, 412)
    except ProblemError as exc:
        if isinstance(exc, NotFound):
            raise
        return _refused(
            request, facts.job_id, STALE if exc.status == 412 else exc.detail or exc.title, exc.status
        )
    return await _changed(
        request, session, principal, facts.job_id, application_id, "Moved to", placed=placed == "1"
    )


@router.post("/app/applications/{application_id}/reject")
async def reject(
    application_id: uuid.UUID,
    request: Request,
    session: DbSession,
    principal: Writer,
    reason: Annotated[str, Form(max_length=40)] = "",
    note: Annotated[str, Form(max_length=10_000)] = "",
    version: Version = None,
) -> Response:
    facts = await service.application_facts(session, application_id)
    try:
        async with session.begin_nested():
            await service.reject(
                session, principal, application_id, reason, if_match=_if_match(application_id, version)
            )
            if note.strip() and "candidates:write" in principal.scopes:
                # The note is about the person, so it is kept with the candidate (sealed, audited).
                await candidates.add_note(
                    session,
                    principal,
                    facts.candidate_id,
                    f"Rejected for {facts.stage} ({reason}): {note.strip()}",
                    keyring=_keyring(request),
                )
    except StaleDataError:
        return _refused(request, facts.job_id, STALE, 412)
    except ProblemError as exc:
        if isinstance(exc, NotFound):
            raise
        return _refused(
            request, facts.job_id, STALE if exc.status == 412 else exc.detail or exc.title, exc.status
        )
    return await _changed(request, session, principal, facts.job_id, application_id, "Rejected", placed=False)


def _bulk_body(action: str, ids: list[uuid.UUID], stage: str, reason: str) -> BulkMove | BulkReject | str:
    """The API's bulk body, or the sentence saying what is missing."""
    if not ids:
        return "Select at least one application first."
    if len(ids) > 200:
        return "Select at most 200 applications at a time."
    try:
        if action == "move":
            return BulkMove(action="move", application_ids=ids, stage=stage)
        if action == "reject":
            return BulkReject(action="reject", application_ids=ids, reason=reason)
    except ValidationError:
        return "Choose a stage to move to." if action == "move" else "Choose a reason to reject with."
    return "Choose whether to move or to reject the selected applications."


@router.post("/app/jobs/{job_id}/pipeline/bulk")
async def bulk_action(
    job_id: uuid.UUID,
    request: Request,
    session: DbSession,
    principal: Writer,
    action: Annotated[str, Form(max_length=10)] = "",
    stage: Annotated[str, Form(max_length=200)] = "",
    reason: Annotated[str, Form(max_length=40)] = "",
    application_ids: Annotated[list[uuid.UUID] | None, Form()] = None,
) -> Response:
    await jobs.get_job(session, principal, job_id)  # 404 for another organisation's job
    on_board = {facts.id for facts in await service.job_applications(session, job_id, status=None)}
    chosen = list(dict.fromkeys(application_ids or []))
    body = _bulk_body(action, [i for i in chosen if i in on_board], stage, reason)
    result: BulkResult | None = None
    if not isinstance(body, str):
        result = await bulk.run(session, principal, body)
    board = await boards.load_board(session, principal, job_id, keyring=_keyring(request))
    skipped = [i for i in chosen if i not in on_board]
    return _page(
        request,
        principal,
        board,
        bulk=result,
        bulk_action=action,
        bulk_skipped=len(skipped),
        bulk_error=body if isinstance(body, str) else None,
    )
