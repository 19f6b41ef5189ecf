"""The candidate's assessment pages, reached through the link's token: start, take, save, submit.

They are the HTML twin of the public ``/v1/assessment-links/{token}`` routes and call the same
service functions, so the server's clock, the one attempt and the answer shapes are enforced once.
Like the application status link there is no CSRF token: nobody is signed in, the 256-bit token
in the path is the credential, and a forged request could do nothing the link's holder could not.

Every answer form works without JavaScript (a Save button posting here and coming back). With
JavaScript (``static/js/assessment.js``) the same forms save themselves through htmx, a timer counts
down from the server's deadline, and focus losses and pastes are reported as integrity signals.

Refusals are pages in words a candidate understands: a link that expired (410), the time that is
over (409), an answer in the wrong shape (422, the form shown again with what was typed).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import PlainTextResponse, RedirectResponse
from starlette.datastructures import FormData

from rolecall.assessments import service
from rolecall.assessments.models import AssessmentSession
from rolecall.platform.auth import PUBLIC, DbSession
from rolecall.platform.clock import utcnow
from rolecall.platform.errors import NotFound, ProblemError, Unprocessable
from rolecall.platform.http import blind_index, pii_keyring
from rolecall.web.templating import flash, is_htmx, render

router = APIRouter(include_in_schema=False)
NOINDEX = {"X-Robots-Tag": "noindex"}
SUBMITTED = ("marking", "scored")
MAX_POSITION_DIGITS = 4
ANSWER_FIELDS = {
    "single_choice": "choice",
    "multiple_choice": "choices",
    "numeric": "value",
    "ordering": "order",
    "short_text": "text",
    "sql": "query",
}


# --- reading forms ------------------------------------------------------------------------------


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _texts(form: FormData, name: str) -> list[str]:
    return [value for value in form.getlist(name) if isinstance(value, str)]


def _index(raw: str) -> int | str | None:
    """An option index as the API takes it; anything else is passed on for the service to refuse."""
    raw = raw.strip()
    if not raw:
        return None
    return int(raw) if raw.isdigit() and len(raw) <= MAX_POSITION_DIGITS else raw


def _number(raw: str) -> float | str:
    try:
        value = float(raw.strip())
    except ValueError:
        return raw  # the service answers "The answer must be a number."
    return value if math.isfinite(value) else raw


def _plain(raw: str) -> str:
    """Browsers send a textarea's line breaks as CRLF; the answer keeps the candidate's lines."""
    return raw.replace("\r\n", "\n")


def answer_from_form(kind: str, form: FormData) -> dict[str, Any] | None:
    """The JSON answer the API would receive for this question's form (None: an unknown type)."""
    if kind == "single_choice":
        return {"choice": _index(_text(form, "choice"))}
    if kind == "multiple_choice":
        return {"choices": [_index(v) for v in _texts(form, "choices")]}
    if kind == "numeric":
        return {"value": _number(_text(form, "value"))}
    if kind == "ordering":
        return {"order": [_index(v) for v in _texts(form, "order")]}
    if kind == "short_text":
        return {"text": _plain(_text(form, "text"))}
    if kind == "sql":
        return {"query": _plain(_text(form, "query"))}
    return None


def _position(raw: str) -> int:
    if not raw.isdigit() or len(raw) > MAX_POSITION_DIGITS:
        raise NotFound("This assessment has no such question.")
    return int(raw)


def _query_int(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name, "")
    return int(raw) if raw.isdigit() and len(raw) <= MAX_POSITION_DIGITS else default


# --- words and views ----------------------------------------------------------------------------


def duration(seconds: int) -> str:
    """A span of time in words: "1 hour 15 minutes", "45 minutes", "30 seconds"."""
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    hours, minutes = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if minutes:
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    return " ".join(parts)


def clock_text(seconds: int) -> str:
    """What the timer shows: ``1:05:09`` or ``4:07``."""
    hours, rest = divmod(max(0, seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _iso(moment: datetime) -> str:
    """An ISO timestamp with its offset, which a browser's ``Date`` reads the same everywhere."""
    return moment.isoformat() if moment.tzinfo else moment.isoformat() + "+00:00"


def _shown_number(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def question_view(question: dict[str, Any], typed: dict[str, Any] | None) -> dict[str, Any]:
    """One question as its form shows it: options in the candidate's display order, each with the
    index the answer refers to, and the current answer (what was typed, else what was saved)."""
    answer = typed if typed is not None else question.get("answer") or {}
    view = dict(question)
    indexes = question.get("option_indexes") or []
    view["choices"] = list(zip(indexes, question.get("options") or [], strict=True))
    view["chosen"] = {str(answer.get("choice"))} | {str(c) for c in answer.get("choices") or []}
    order = answer.get("order")
    view["order"] = [str(i) for i in order] if isinstance(order, list) else [str(i) for i in indexes]
    view["value"] = _shown_number(answer.get("value"))
    view["text"] = answer.get("text") or answer.get("query") or ""
    view["answered"] = question.get("answer") is not None
    return view


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _deadline_passed(record: AssessmentSession) -> bool:
    """Past the deadline and its grace window: nothing more is accepted (the worker submits)."""
    if record.deadline_at is None:
        return False
    return utcnow() > _aware(record.deadline_at) + timedelta(seconds=record.grace_seconds)


# --- refusals -----------------------------------------------------------------------------------


MESSAGES = {
    "expired": (
        "This assessment link has expired",
        "The link was withdrawn or its time to start has passed. Ask the recruiter for a new link; "
        "it will work at once and this one will not.",
    ),
    "time_up": (
        "The time for this assessment is over",
        "Answers saved before the deadline count, and they are submitted for you. You do not need "
        "to do anything else.",
    ),
    "not_found": (
        "We could not find this assessment",
        "Check that the whole link was copied. A link stops working when it expires unused or when "
        "a new one is issued, so use the newest one the recruiter sent, or ask them for a new one.",
    ),
}


def _message(request: Request, kind: str, status: int, token: str | None = None) -> Response:
    title, text = MESSAGES[kind]
    context = {"title": title, "text": text, "token": token, "kind": kind}
    return render(request, "assessments/candidate_message.html", context, status_code=status, headers=NOINDEX)


def _refused(request: Request, token: str, exc: ProblemError) -> Response:
    """A refusal as a page: its own words for an expired link, the time that is over, a bad link;
    any other conflict (already submitted, not started) sends the person to the start page."""
    if exc.status == 410:
        return _message(request, "expired", 410)
    if isinstance(exc, service.TimeUp):
        return _message(request, "time_up", 409, token)
    if exc.status == 404:
        return _message(request, "not_found", 404)
    response = RedirectResponse(f"/assessments/{token}", status_code=303)
    flash(request, response, exc.detail or exc.title)
    return response


# --- the start page -----------------------------------------------------------------------------


@router.get("/assessments/{token}", dependencies=[PUBLIC])
async def start_page(token: str, request: Request, session: DbSession) -> Response:
    index = blind_index(request)
    try:
        record, _ = await service.by_token(session, token, index)
        result = await service.candidate_result(session, token, index)
    except ProblemError as exc:
        return _refused(request, token, exc)
    blueprint, _version = await service.blueprint_by_id(session, record.blueprint_id)
    overview = service.overview(record)
    context = {
        "token": token,
        "title": blueprint.title,
        "overview": overview,
        "allowed": duration(overview["allowed_seconds"]),
        "remaining": duration(overview["remaining_seconds"] or 0),
        "submitted": record.status in SUBMITTED,
        "over": _deadline_passed(record),
        "result": result,
        "extra_choices": [c for c in service.EXTRA_TIME_CHOICES if c],
    }
    return render(request, "assessments/start.html", context, headers=NOINDEX)


@router.post("/assessments/{token}/extra-time", dependencies=[PUBLIC])
async def request_extra_time(token: str, request: Request, session: DbSession) -> Response:
    raw = _text(await request.form(), "percent")
    percent = int(raw) if raw.isdigit() and len(raw) <= 3 else -1
    response = RedirectResponse(f"/assessments/{token}", status_code=303)
    try:
        async with session.begin_nested():
            await service.request_extra_time(session, token, blind_index(request), percent)
    except ProblemError as exc:
        if exc.status in (404, 410):
            return _refused(request, token, exc)
        flash(request, response, exc.detail or exc.title)
        return response
    if percent:
        flash(
            request,
            response,
            f"Your request for {percent}% extra time was sent. A recruiter grants it; this page shows "
            "the time you have once they do, so wait for it before you start.",
        )
    else:
        flash(request, response, "Your request for extra time was withdrawn.")
    return response


@router.post("/assessments/{token}/start", dependencies=[PUBLIC])
async def start(token: str, request: Request, session: DbSession) -> Response:
    address = request.client.host if request.client else None
    try:
        async with session.begin_nested():
            await service.start(session, token, blind_index(request), address=address)
    except ProblemError as exc:
        return _refused(request, token, exc)
    return RedirectResponse(f"/assessments/{token}/take", status_code=303)


# --- taking -------------------------------------------------------------------------------------


async def _take_page(
    request: Request,
    session: DbSession,
    token: str,
    *,
    typed: dict[int, dict[str, Any]] | None = None,
    errors: dict[int, str] | None = None,
    status: int = 200,
) -> Response:
    try:
        record, questions = await service.questions(
            session, token, blind_index(request), pii_keyring(request)
        )
    except ProblemError as exc:
        return _refused(request, token, exc)
    if record.status != "started":
        return RedirectResponse(f"/assessments/{token}", status_code=303)
    if _deadline_passed(record):
        return _message(request, "time_up", 409, token)
    typed, errors = typed or {}, errors or {}
    views = [question_view(q, typed.get(q["position"])) for q in questions]
    one = request.query_params.get("one") == "1"
    current = min(max(_query_int(request, "q", 1), 1), max(len(views), 1))
    if typed and one:
        current = next(iter(typed)) + 1
    shown = [views[current - 1]] if one and views else views
    overview = service.overview(record)
    assert record.deadline_at is not None
    context = {
        "token": token,
        "title": (await service.blueprint_by_id(session, record.blueprint_id))[0].title,
        "questions": shown,
        "count": len(views),
        "answered": sum(1 for v in views if v["answered"]),
        "one": one,
        "current": current,
        "errors": errors,
        "deadline": _aware(record.deadline_at),
        "deadline_iso": _iso(_aware(record.deadline_at)),
        "now_iso": _iso(utcnow()),
        "remaining": clock_text(overview["remaining_seconds"] or 0),
        "remaining_words": duration(overview["remaining_seconds"] or 0),
    }
    return render(request, "assessments/take.html", context, status_code=status, headers=NOINDEX)


@router.get("/assessments/{token}/take", dependencies=[PUBLIC])
async def take_page(token: str, request: Request, session: DbSession) -> Response:
    return await _take_page(request, session, token)


def _back(token: str, form: FormData, position: int) -> str:
    if _text(form, "one") == "1":
        return f"/assessments/{token}/take?one=1&q={position + 1}"
    return f"/assessments/{token}/take#question-{position + 1}"


@router.post("/assessments/{token}/answers/{position}", dependencies=[PUBLIC])
async def save_answer(token: str, position: str, request: Request, session: DbSession) -> Response:
    form = await request.form()
    htmx = is_htmx(request)
    number, answer = -1, None
    try:
        number = _position(position)
        answer = answer_from_form(_text(form, "type"), form)
        if answer is None:
            raise Unprocessable("This answer could not be read. Reload the page and try again.")
        async with session.begin_nested():
            saved, problems = await service.save_answer(
                session,
                token,
                blind_index(request),
                pii_keyring(request),
                number,
                answer,
                address=request.client.host if request.client else None,
            )
    except ProblemError as exc:
        if htmx:
            return _fragment(request, exc.detail or exc.title, error=True, status=exc.status, kind=_kind(exc))
        if exc.status == 422 and answer is not None:
            return await _take_page(
                request,
                session,
                token,
                typed={number: answer},
                errors={number: exc.detail or exc.title},
                status=422,
            )
        return _refused(request, token, exc)
    when = saved.recorded_at.strftime("%H:%M:%S")
    # An SQL query is saved either way; what would make it fail is said next to it.
    note = f" It would not run: {problems[0]}" if problems else ""
    if htmx:
        kind = "warning" if problems else "saved"
        return _fragment(request, f"Saved {when} UTC.{note}", error=False, status=200, kind=kind)
    response = RedirectResponse(_back(token, form, number), status_code=303)
    flash(request, response, f"Your answer to question {number + 1} was saved at {when} UTC.{note}")
    return response


def _kind(exc: ProblemError) -> str:
    if isinstance(exc, service.TimeUp):
        return "time_up"
    return {410: "expired", 404: "not_found"}.get(exc.status, "refused")


def _fragment(request: Request, message: str, *, error: bool, status: int, kind: str) -> Response:
    """What an autosave answers: the sentence shown beside the question's Save button."""
    context = {"message": message, "error": error, "kind": kind}
    return render(request, "assessments/_saved.html", context, status_code=status, headers=NOINDEX)


@router.post("/assessments/{token}/signals", dependencies=[PUBLIC])
async def record_signal(token: str, request: Request, session: DbSession) -> Response:
    """An integrity signal from the page's script: recorded as a fact, never acted on."""
    form = await request.form()
    raw_position = _text(form, "position")
    position = int(raw_position) if raw_position.isdigit() and len(raw_position) <= 4 else None
    detail: dict[str, Any] = {}
    for name in ("characters", "seconds"):
        value = _text(form, name)
        if value.isdigit() and len(value) <= 7:
            detail[name] = int(value)
    try:
        async with session.begin_nested():
            await service.record_signal(
                session, token, blind_index(request), _text(form, "kind"), position, detail
            )
    except ProblemError as exc:
        return PlainTextResponse(exc.detail or exc.title, status_code=exc.status, headers=NOINDEX)
    return Response(status_code=204, headers={"Cache-Control": "no-store"})


@router.post("/assessments/{token}/submit", dependencies=[PUBLIC])
async def submit(token: str, request: Request, session: DbSession) -> Response:
    try:
        async with session.begin_nested():
            await service.submit(session, token, blind_index(request), pii_keyring(request))
    except ProblemError as exc:
        return _refused(request, token, exc)
    return RedirectResponse(f"/assessments/{token}", status_code=303)
