"""Candidate pages: the candidate list, one candidate's page (contact details, resume text, files,
notes) and the file download.

Each read calls the same service function as its API route, so the audit log gets the same entries
(``candidate.listed``, ``candidate.viewed``, ``candidate.file_viewed`` for the resume text shown,
``candidate.notes_listed``, ``candidate.file_downloaded``). The candidate's applications, scorecards
and offers belong to other contexts, which this one may not import: the page loads their sections
from those contexts' own routes (htmx, with a plain link for people without JavaScript), and shows
a section only to people whose scopes let them open it.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.candidates import phones, service
from rolecall.candidates.file_endpoints import attachment
from rolecall.candidates.schemas import SOURCE_LABELS, NoteCreate
from rolecall.platform.auth import DbSession, Principal
from rolecall.platform.http import file_store, pii_keyring
from rolecall.platform.pagination import PageParams, decode_cursor
from rolecall.web import words
from rolecall.web.auth import page_requires
from rolecall.web.forms import field_errors
from rolecall.web.templating import flash, render

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, Depends(page_requires("candidates:read"))]
Writer = Annotated[Principal, Depends(page_requires("candidates:write"))]
Cursor = Annotated[str | None, Query(max_length=200)]
LISTED = 50
NOTES_SHOWN = 50
KINDS = {"resume": "Resume", "cover_letter": "Cover letter", "other": "Other file"}
MEDIA = {
    "application/pdf": "PDF",
    "text/plain": "Plain text",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word (DOCX)",
}
# Sections other contexts serve for a candidate, with the scopes their routes ask for.
SECTIONS = (
    ("applications", "Applications", frozenset({"applications:read"})),
    ("scorecards", "Scorecards", frozenset({"applications:read", "interviews:read"})),
    ("offers", "Offers", frozenset({"offers:read"})),
)


def _page(cursor: str | None, limit: int) -> PageParams:
    return PageParams(limit=limit, after=decode_cursor(cursor) if cursor else None)


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


@router.get("/app/candidates")
async def candidates_page(
    request: Request, session: DbSession, principal: Reader, cursor: Cursor = None
) -> Response:
    views, next_cursor = await service.list_candidates(
        session, principal, _page(cursor, LISTED), keyring=pii_keyring(request)
    )
    context = {"candidates": views, "next_cursor": next_cursor, "paged": cursor is not None}
    return render(request, "candidates/list.html", context)


async def _candidate_page(
    request: Request,
    session: AsyncSession,
    principal: Principal,
    candidate_id: uuid.UUID,
    *,
    notes_cursor: str | None = None,
    note: str = "",
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    keyring = pii_keyring(request)
    candidate = await service.get_candidate(session, principal, candidate_id, keyring=keyring)
    context: dict[str, Any] = {
        "candidate": candidate,
        "phone": phones.for_display(candidate.phone) if candidate.phone else None,
        "sources": SOURCE_LABELS,
        "note": note,
        "errors": errors or {},
        "may_write": "candidates:write" in principal.scopes,
        "sections": [(key, title) for key, title, needs in SECTIONS if needs <= principal.scopes],
    }
    if candidate.erased_at is not None:
        return render(request, "candidates/candidate.html", context, status_code=status)
    files = await service.list_files(session, candidate_id)
    resumes = [f for f in files if f.kind == "resume"]
    newest = max(resumes, key=lambda f: (f.created_at, f.id)) if resumes else None
    resume = None
    if newest is not None:
        resume = await service.get_file(session, principal, candidate_id, newest.id, keyring=keyring)
    notes, older = await service.list_notes(
        session, principal, candidate_id, _page(notes_cursor, NOTES_SHOWN), keyring=keyring
    )
    context.update(
        {
            "files": sorted(files, key=lambda f: (f.created_at, f.id), reverse=True),
            "resume": resume,
            "kinds": KINDS,
            "media": MEDIA,
            "size": _size,
            "notes": notes,
            "older_notes": older,
            "who": lambda actor: words.actor(actor, principal, capital=True),
            "may_delete": lambda author: (
                context["may_write"] and (author == principal.actor or "admin" in principal.roles)
            ),
        }
    )
    return render(request, "candidates/candidate.html", context, status_code=status)


@router.get("/app/candidates/{candidate_id}")
async def candidate_page(
    candidate_id: uuid.UUID,
    request: Request,
    session: DbSession,
    principal: Reader,
    notes: Cursor = None,
) -> Response:
    return await _candidate_page(request, session, principal, candidate_id, notes_cursor=notes)


@router.get("/app/candidates/{candidate_id}/files/{file_id}")
async def download_file(
    candidate_id: uuid.UUID, file_id: uuid.UUID, request: Request, session: DbSession, principal: Reader
) -> Response:
    """The stored bytes, exactly as ``GET /v1/candidates/{id}/files/{file_id}/content`` sends them:
    always an attachment with ``nosniff``, so a browser never renders an upload in our origin."""
    content = await service.file_content(session, principal, candidate_id, file_id, store=file_store(request))
    return attachment(content)


def _note_errors(exc: ValidationError, body: str) -> dict[str, str]:
    if not body.strip():
        return {"body": "Write the note before adding it."}
    return {"body": field_errors(exc).get("body", "This note cannot be saved.")}


@router.post("/app/candidates/{candidate_id}/notes")
async def add_note(
    candidate_id: uuid.UUID,
    request: Request,
    session: DbSession,
    principal: Writer,
    body: Annotated[str, Form(max_length=20_000)] = "",
) -> Response:
    try:
        note = NoteCreate(body=body)
    except ValidationError as exc:
        errors = _note_errors(exc, body)
        return await _candidate_page(
            request, session, principal, candidate_id, note=body, errors=errors, status=422
        )
    await service.add_note(session, principal, candidate_id, note.body, keyring=pii_keyring(request))
    response = RedirectResponse(f"/app/candidates/{candidate_id}#notes", status_code=303)
    flash(request, response, "Your note was added.")
    return response


@router.post("/app/candidates/{candidate_id}/notes/{note_id}/delete")
async def delete_note(
    candidate_id: uuid.UUID, note_id: uuid.UUID, request: Request, session: DbSession, principal: Writer
) -> Response:
    await service.remove_note(session, principal, candidate_id, note_id)
    response = RedirectResponse(f"/app/candidates/{candidate_id}#notes", status_code=303)
    flash(request, response, "The note was deleted.")
    return response
