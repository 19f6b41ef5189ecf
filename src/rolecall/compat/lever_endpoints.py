"""Lever's postings API over the careers board: ``/compat/lever/v0/postings/{board_slug}``.

Reads are public and answer JSON (``mode=json``; the HTML and iframe modes are not served). Applying
needs the organisation's board key as ``?key=``, as Lever's own route does, and answers Lever's
``{"ok": true, "applicationId": ...}`` or ``{"ok": false, "error": ...}``. Like the Greenhouse
routes these follow the vendor's published contract and are left out of Rolecall's OpenAPI document.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from rolecall.compat import service
from rolecall.compat.submitting import (
    Invalid,
    Submission,
    answer,
    check_rate,
    file_of,
    form_of,
    present,
    read_fields,
    submit,
    text,
    truthy,
)
from rolecall.platform.auth import PUBLIC, DbSession
from rolecall.platform.errors import NotFound, TooManyRequests
from rolecall.platform.http import public_base
from rolecall.platform.query_params import accepts_query
from rolecall.platform.ratelimit import BOARD, RateLimitedRoute, limited

router = APIRouter(
    prefix="/compat/lever/v0/postings",
    tags=["compat"],
    dependencies=[PUBLIC],
    include_in_schema=False,
    route_class=RateLimitedRoute,
)
READ = [limited(BOARD, per_client=True)]
MAX_LIMIT = 1000


def error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"ok": False, "error": message}, status_code=status, headers=headers)


def _ok(request: Request, body: Any) -> JSONResponse:
    seconds = request.app.state.settings.board_cache_seconds
    return JSONResponse(body, headers={"Cache-Control": f"public, max-age={seconds}"})


def _base(request: Request) -> str:
    return public_base(request)  # never the request's Host header


async def _board(request: Request, session: DbSession, slug: str) -> service.Board:
    return await service.read_board(session, slug, request.app.state.settings.public_base_url)


@router.get("/{board_slug}", dependencies=READ)
@accepts_query("*")  # the vendors ignore parameters they do not know
async def list_postings(
    board_slug: str,
    request: Request,
    session: DbSession,
    mode: str = "json",
    skip: str = "0",
    limit: str = "",
    location: list[str] = Query(default=[]),
    commitment: list[str] = Query(default=[]),
    team: list[str] = Query(default=[]),
    department: list[str] = Query(default=[]),
    level: list[str] = Query(default=[]),
    group: str | None = None,
) -> JSONResponse:
    if not skip.isdigit() or not (limit == "" or limit.isdigit()):
        return error(400, "skip and limit must be whole numbers")
    first, count = int(skip), (min(int(limit), MAX_LIMIT) if limit else None)
    if mode != "json":
        return error(400, "Only mode=json is served here")
    if group is not None and group not in service.LEVER_GROUPS:
        return error(400, f"group must be one of: {', '.join(service.LEVER_GROUPS)}")
    try:
        board = await _board(request, session, board_slug)
    except NotFound:
        return error(404, "Document not found")
    base = _base(request)
    filters = {"location": location, "commitment": commitment, "team": team, "department": department}
    filters["level"] = level
    postings = service.lever_filter((service.lever_posting(p, base) for p in board.postings), filters)
    postings = postings[first:] if count is None else postings[first : first + count]
    if group is not None:
        return _ok(request, service.lever_group(postings, group))
    return _ok(request, postings)


@router.get("/{board_slug}/{posting_id}", dependencies=READ)
@accepts_query("*")  # the vendors ignore parameters they do not know
async def read_posting(
    board_slug: str, posting_id: str, request: Request, session: DbSession
) -> JSONResponse:
    try:
        board = await _board(request, session, board_slug)
        posting = service.lever_find(board, posting_id)
    except NotFound:
        return error(404, "Document not found")
    return _ok(request, service.lever_posting(posting, _base(request)))


def _urls(fields: dict[str, Any]) -> list[str]:
    """Lever's ``urls``: a JSON object ``{"GitHub": "https://..."}`` or form fields ``urls[GitHub]``."""
    found: list[str] = []
    nested = fields.get("urls")
    if isinstance(nested, dict):
        found.extend(str(v) for v in nested.values() if text(v))
    for name, value in fields.items():
        if name.startswith("urls[") and text(value):
            found.append(str(text(value)))
    return list(dict.fromkeys(found))


def _processing_consent(fields: dict[str, Any]) -> bool:
    nested = fields.get("consent")
    if isinstance(nested, dict) and truthy(nested.get("processing")):
        return True
    return truthy(fields.get("consent[processing]"))


async def translate(fields: dict[str, Any], form: dict[str, Any]) -> Submission:
    """Lever's application fields as Rolecall's application and files.

    Lever's API exposes no custom questions; here a field named like a question key of the job's form
    answers it (``comments`` and ``org`` too, when the form has such questions).
    """
    problems: list[tuple[str, str]] = []
    name, email = text(fields.get("name")), text(fields.get("email"))
    if name is None:
        problems.append(("name", "is required"))
    if email is None:
        problems.append(("email", "is required"))
    files: dict[str, tuple[str, bytes]] = {}
    resume = await file_of(fields.get("resume"))
    if resume is not None:
        files["resume"] = resume
    answers: dict[str, Any] = {}
    for question in form["questions"]:
        key = question["key"]
        value = fields.get(key, fields.get(f"file_{key}"))
        uploaded = await file_of(value)
        if uploaded is not None:
            files[f"file_{key}"] = uploaded
        elif question["type"] != "file" and present(value):
            answers[key] = answer(question, value)
    if problems:
        raise Invalid(problems)
    application: dict[str, Any] = {
        "full_name": name,
        "email": email,
        "links": _urls(fields),
        "answers": answers,
        "consent": {"given": _processing_consent(fields), "text_version": form["consent_version"]},
    }
    if text(fields.get("phone")):
        application["phone"] = text(fields.get("phone"))
    if text(fields.get("source")):
        application["tracking"] = {"utm_source": str(text(fields.get("source")))[:200]}
    return Submission(application, files)


_FIELD_NAMES = {
    "full_name": "name",
    "consent.given": "consent[processing]",
    "consent.text_version": "consent",
    "links": "urls",
}


def _vendor_field(name: str) -> str:
    for prefix in ("answers.", "files."):
        if name.startswith(prefix):
            return name.removeprefix(prefix)
    return _FIELD_NAMES.get(name.split(".")[0] if name.startswith("links.") else name, name)


@router.post("/{board_slug}/{posting_id}")
@accepts_query("*")  # the vendors ignore parameters they do not know
async def apply(
    board_slug: str, posting_id: str, request: Request, session: DbSession, key: str | None = None
) -> JSONResponse:
    try:
        await check_rate(request)
    except TooManyRequests as exc:
        return error(429, exc.detail or "Too many requests", headers=exc.headers)
    try:
        board = await _board(request, session, board_slug)
    except NotFound:
        return error(404, "Document not found")
    if not await service.check_key(session, board.organisation_id, key):
        return error(401, "Invalid API key")
    try:
        posting = service.lever_find(board, posting_id)
    except NotFound:
        return error(404, "Document not found")
    try:
        fields = await read_fields(request)
        form = await form_of(session, posting.id)
        outcome = await submit(request, session, posting.id, await translate(fields, form))
    except Invalid as exc:
        return error(400, "; ".join(f"{_vendor_field(name)} {message}" for name, message in exc.problems))
    return JSONResponse({"ok": True, "applicationId": str(outcome.application_id)})
