"""Greenhouse's Job Board API over the careers board: ``/compat/greenhouse/v1/boards/{board_slug}``.

``board_slug`` is the organisation's board address (the one of ``/v1/board/{org_slug}/...``). Reads
are public; applying needs the organisation's board key as the HTTP Basic user name (empty password),
as Greenhouse's own route does. Errors are Greenhouse's ``{"status": N, "error": "..."}`` bodies,
not Rolecall's problem documents, because that is what its clients parse. These routes follow
Greenhouse's published contract, so they are left out of Rolecall's OpenAPI document (see
docs/compat.md).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from rolecall.compat import service
from rolecall.compat.submitting import (
    Invalid,
    Submission,
    answer,
    check_rate,
    decoded,
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
    prefix="/compat/greenhouse/v1/boards",
    tags=["compat"],
    dependencies=[PUBLIC],
    include_in_schema=False,
    route_class=RateLimitedRoute,
)
READ = [limited(BOARD, per_client=True)]
SAVED = {"success": "Candidate saved successfully"}


def error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"status": status, "error": message}, status_code=status, headers=headers)


def _ok(request: Request, body: Any) -> JSONResponse:
    seconds = request.app.state.settings.board_cache_seconds
    return JSONResponse(body, headers={"Cache-Control": f"public, max-age={seconds}"})


def _base(request: Request) -> str:
    return public_base(request)  # never the request's Host header


async def _board(request: Request, session: DbSession, slug: str) -> service.Board:
    return await service.read_board(session, slug, request.app.state.settings.public_base_url)


def _int(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) < 20 else None


@router.get("/{board_slug}", dependencies=READ)
@accepts_query("*")  # the vendors ignore parameters they do not know
async def read_board(board_slug: str, request: Request, session: DbSession) -> JSONResponse:
    try:
        board = await _board(request, session, board_slug)
    except NotFound:
        return error(404, "Job board not found")
    return _ok(request, service.gh_board(board))


@router.get("/{board_slug}/jobs", dependencies=READ)
@accepts_query("*")  # the vendors ignore parameters they do not know
async def list_jobs(board_slug: str, request: Request, session: DbSession, content: str = "") -> JSONResponse:
    try:
        board = await _board(request, session, board_slug)
    except NotFound:
        return error(404, "Job board not found")
    base = _base(request)
    jobs = [service.gh_job(board, p, base, content=truthy(content)) for p in board.postings]
    return _ok(request, {"jobs": jobs, "meta": {"total": len(jobs)}})


@router.get("/{board_slug}/jobs/{job_id}", dependencies=READ)
@accepts_query("*")  # the vendors ignore parameters they do not know
async def read_job(
    board_slug: str,
    job_id: str,
    request: Request,
    session: DbSession,
    questions: str = "",
    pay_transparency: str = "",
) -> JSONResponse:
    number = _int(job_id)
    try:
        board = await _board(request, session, board_slug)
        if number is None:
            raise NotFound()
        posting = service.gh_find(board, number)
    except NotFound:
        return error(404, "Job not found")
    job = service.gh_job(board, posting, _base(request), content=True)
    job["data_compliance"] = service.GH_DATA_COMPLIANCE
    if truthy(questions):
        job["questions"] = service.gh_questions(posting.application_form)
    if truthy(pay_transparency):
        job["pay_input_ranges"] = service.gh_pay_ranges(posting)
    return _ok(request, job)


@router.get("/{board_slug}/departments", dependencies=READ)
@accepts_query("*")  # the vendors ignore parameters they do not know
async def list_departments(board_slug: str, request: Request, session: DbSession) -> JSONResponse:
    try:
        board = await _board(request, session, board_slug)
    except NotFound:
        return error(404, "Job board not found")
    return _ok(request, {"departments": service.gh_departments(board, _base(request))})


@router.get("/{board_slug}/departments/{department_id}", dependencies=READ)
@accepts_query("*")  # the vendors ignore parameters they do not know
async def read_department(
    board_slug: str, department_id: str, request: Request, session: DbSession
) -> JSONResponse:
    try:
        board = await _board(request, session, board_slug)
    except NotFound:
        return error(404, "Job board not found")
    for department in service.gh_departments(board, _base(request)):
        if department["id"] == _int(department_id):
            return _ok(request, department)
    return error(404, "Department not found")


@router.get("/{board_slug}/offices", dependencies=READ)
@accepts_query("*")  # the vendors ignore parameters they do not know
async def list_offices(board_slug: str, request: Request, session: DbSession) -> JSONResponse:
    try:
        board = await _board(request, session, board_slug)
    except NotFound:
        return error(404, "Job board not found")
    return _ok(request, {"offices": service.gh_offices(board, _base(request))})


@router.get("/{board_slug}/offices/{office_id}", dependencies=READ)
@accepts_query("*")  # the vendors ignore parameters they do not know
async def read_office(board_slug: str, office_id: str, request: Request, session: DbSession) -> JSONResponse:
    try:
        board = await _board(request, session, board_slug)
    except NotFound:
        return error(404, "Job board not found")
    for office in service.gh_offices(board, _base(request)):
        if office["id"] == _int(office_id):
            return _ok(request, office)
    return error(404, "Office not found")


def basic_user(request: Request) -> str | None:
    """The user name of an HTTP Basic ``Authorization`` header (Greenhouse: the key, no password)."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded_value = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, ValueError):
        return None
    return decoded_value.partition(":")[0] or None


def _consented(fields: dict[str, Any]) -> bool:
    nested = fields.get("data_compliance")
    names = ("gdpr_consent_given", "gdpr_processing_consent_given")
    if isinstance(nested, dict) and any(truthy(nested.get(n)) for n in names):
        return True
    return any(truthy(fields.get(f"data_compliance[{n}]")) for n in names)


_UNSUPPORTED_ATTACHMENTS = ("cover_letter", "cover_letter_text", "cover_letter_content", "cover_letter_url")


async def translate(fields: dict[str, Any], form: dict[str, Any]) -> Submission:
    """Greenhouse's application fields as Rolecall's application and files."""
    problems: list[tuple[str, str]] = []
    first, last = text(fields.get("first_name")), text(fields.get("last_name"))
    for name, value in (("first_name", first), ("last_name", last), ("email", text(fields.get("email")))):
        if value is None:
            problems.append((name, "is required"))
    for name in (*_UNSUPPORTED_ATTACHMENTS, "resume_url"):
        if present(fields.get(name)):
            what = "fetching files from a URL" if name.endswith("_url") else "a cover letter"
            problems.append((name, f"is not accepted: this board does not take {what}"))
    files: dict[str, tuple[str, bytes]] = {}
    resume = await file_of(fields.get("resume"))
    if resume is None and text(fields.get("resume_content")):
        resume = (
            text(fields.get("resume_content_filename")) or "resume",
            decoded("resume_content", fields["resume_content"]),
        )
    if resume is None and text(fields.get("resume_text")):
        resume = ("resume.txt", str(fields["resume_text"]).encode())
    if resume is not None:
        files["resume"] = resume
    answers: dict[str, Any] = {}
    questions = {q["key"]: q for q in form["questions"]}
    for name, value in fields.items():
        if not name.startswith("question_") or name.endswith(("_content_filename", "_url_filename")):
            continue
        key = name.removeprefix("question_")
        if key.endswith("_url"):
            problems.append((name, "is not accepted: this board does not fetch files from a URL"))
            continue
        if key.endswith("_content"):
            key = key.removesuffix("_content")
            filename = text(fields.get(f"{name}_filename")) or key
            files[f"file_{key}"] = (filename, decoded(name, value))
            continue
        question = questions.get(key)
        uploaded = await file_of(value)
        if uploaded is not None:
            files[f"file_{key}"] = uploaded
        elif question is None:
            problems.append((name, "is not a question of this job"))
        elif question["type"] != "file" and present(value):
            answers[key] = answer(question, value)
    if problems:
        raise Invalid(problems)
    application: dict[str, Any] = {
        "full_name": f"{first} {last}",
        "email": text(fields.get("email")),
        "answers": answers,
        "consent": {"given": _consented(fields), "text_version": form["consent_version"]},
    }
    for name in ("phone", "location"):
        if text(fields.get(name)):
            application[name] = text(fields.get(name))
    if text(fields.get("mapped_url_token")):
        application["tracking"] = {"utm_source": str(text(fields.get("mapped_url_token")))[:200]}
    return Submission(application, files)


# Rolecall's field names in a refusal, as the Greenhouse form calls them.
_FIELD_NAMES = {
    "full_name": "first_name/last_name",
    "consent.given": "data_compliance[gdpr_consent_given]",
    "consent.text_version": "data_compliance",
    "resume": "resume",
}


def _vendor_field(name: str) -> str:
    for prefix in ("answers.", "files."):
        if name.startswith(prefix):
            return "question_" + name.removeprefix(prefix)
    return _FIELD_NAMES.get(name, name)


@router.post("/{board_slug}/jobs/{job_id}")
@accepts_query("*")  # the vendors ignore parameters they do not know
async def apply(board_slug: str, job_id: str, request: Request, session: DbSession) -> JSONResponse:
    try:
        await check_rate(request)
    except TooManyRequests as exc:
        return error(429, exc.detail or "Too many requests", headers=exc.headers)
    try:
        board = await _board(request, session, board_slug)
    except NotFound:
        return error(404, "Job board not found")
    if not await service.check_key(session, board.organisation_id, basic_user(request)):
        return error(
            401, "Invalid Basic Auth credentials", headers={"WWW-Authenticate": 'Basic realm="board"'}
        )
    number = _int(job_id)
    try:
        if number is None:
            raise NotFound()
        posting = service.gh_find(board, number)
    except NotFound:
        return error(404, "Job not found")
    try:
        fields = await read_fields(request)
        form = await form_of(session, posting.id)
        await submit(request, session, posting.id, await translate(fields, form))
    except Invalid as exc:
        message = "; ".join(f"{_vendor_field(name)} {text_}" for name, text_ in exc.problems)
        return error(400, f"Invalid attributes: {message}")
    return JSONResponse(SAVED)
