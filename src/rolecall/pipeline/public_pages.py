"""The candidate's pages: the apply form of a posting and the no-account status link.

They are the HTML twin of :mod:`rolecall.pipeline.public_endpoints` and share its intake
(:mod:`rolecall.pipeline.intake`): the same rate limit per address, honeypot, decoy answer and file
reading, and the same use cases in :mod:`rolecall.pipeline.applying`. There is no CSRF token: nobody
is signed in, so a forged request gains nothing a direct one would not; applying is braked by the
rate limit and the honeypot, and a status link is its own secret.

Submitting runs in a unit of work of its own, so a refused application (a disguised resume found
after the candidate row was written) is rolled back, stored bytes included, before the form is shown
again with everything the person typed.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, get_args

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from starlette.datastructures import FormData

from rolecall.pipeline import answers, applying, intake
from rolecall.pipeline.candidate_words import fields_of, in_words, page_errors, plain_status
from rolecall.pipeline.schemas import PublicApplication, UtmKey
from rolecall.platform.auth import PUBLIC, DbSession
from rolecall.platform.db import transaction
from rolecall.platform.errors import Conflict, NotFound, TooManyRequests, Unprocessable
from rolecall.platform.ratelimit import BOARD, RateLimitedRoute, limited
from rolecall.web.errors import error_page
from rolecall.web.templating import flash, render

router = APIRouter(include_in_schema=False, route_class=RateLimitedRoute)
TRACKING: tuple[str, ...] = get_args(UtmKey)
NOINDEX = {"X-Robots-Tag": "noindex"}


def _posting(posting_id: str) -> uuid.UUID:
    try:
        return uuid.UUID(posting_id)
    except ValueError:
        raise NotFound("There is no open posting with this id.") from None


def _brand(organisation: dict[str, Any]) -> dict[str, Any]:
    return organisation


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _typed(form: FormData, questions: list[dict[str, Any]]) -> dict[str, Any]:
    """What the person entered, as the form shows it again (text stays text, choices stay lists)."""
    values: dict[str, Any] = {
        name: _text(form, name)
        for name in ("full_name", "email", "phone", "location", "links", "years_experience")
    }
    for question in questions:
        name = f"answers.{question['key']}"
        if question["type"] == "multi_choice":
            values[name] = [v for v in form.getlist(name) if isinstance(v, str)]
        elif question["type"] != "file":
            values[name] = _text(form, name)
    values["consent.given"] = _text(form, "consent.given") == "true"
    return values


def _number(raw: str) -> Any:
    try:
        number = float(raw)
    except ValueError:
        return raw  # the service answers "must be a number", as it does for the API
    return int(number) if number.is_integer() and "." not in raw else number


def _answer(question: dict[str, Any], value: Any) -> Any:
    if question["type"] == "yes_no":
        return {"yes": True, "no": False}.get(value, value)
    if question["type"] == "number" and isinstance(value, str) and value.strip():
        return _number(value.strip())
    return value


def _application(form: FormData, values: dict[str, Any], questions: list[dict[str, Any]]) -> dict[str, Any]:
    """The ``PublicApplication`` the JSON route would receive for this form."""
    optional = {name: values[name].strip() or None for name in ("phone", "location", "years_experience")}
    return {
        "full_name": values["full_name"],
        "email": values["email"].strip(),
        **optional,
        "links": [line.strip() for line in values["links"].splitlines() if line.strip()],
        "answers": {
            q["key"]: _answer(q, values[f"answers.{q['key']}"]) for q in questions if q["type"] != "file"
        },
        "consent": {"given": values["consent.given"], "text_version": _text(form, "consent.text_version")},
        "tracking": {key: value for key in TRACKING if (value := _text(form, f"tracking.{key}"))},
    }


def _form_page(
    request: Request,
    page: dict[str, Any],
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    tracking: dict[str, str] | None = None,
    chosen: frozenset[str] = frozenset(),
) -> Response:
    return render(
        request,
        "pipeline/apply.html",
        {
            "page": page,
            "brand": _brand(page["organisation"]),
            "values": values or {},
            "errors": errors or {},
            "tracking": tracking or {},
            "chosen": chosen,
        },
        status_code=422 if errors else 200,
    )


@router.get("/jobs/{posting_id}/apply", dependencies=[PUBLIC, limited(BOARD)])
async def apply_form(posting_id: str, request: Request, session: DbSession) -> Response:
    page = await applying.apply_page(session, _posting(posting_id))
    tracking = {key: request.query_params[key][:200] for key in TRACKING if request.query_params.get(key)}
    return _form_page(request, page, tracking=tracking)


@router.post("/jobs/{posting_id}/apply", dependencies=[PUBLIC])
async def apply(posting_id: str, request: Request) -> Response:
    posting = _posting(posting_id)
    try:
        await intake.check_rate(request)
    except TooManyRequests as exc:
        wait = f" Please try again in {in_words(int(exc.headers['Retry-After']))}."
        detail = "Too many applications have been sent from this address." + wait
        return error_page(request, 429, detail, exc.headers)
    form = await request.form(max_files=intake.MAX_FORM_FILES)
    if intake.is_bot(form, posting):
        return _received(posting)
    sessionmaker = request.app.state.sessionmaker
    async with transaction(sessionmaker) as session:
        page = await applying.apply_page(session, posting)
    questions: list[dict[str, Any]] = page["questions"]
    values = _typed(form, questions)
    raw = _application(form, values, questions)
    chosen = frozenset(
        key for key, part in form.multi_items() if not isinstance(part, str) and (part.filename or part.size)
    )
    tracking = raw["tracking"]
    try:
        body = PublicApplication.model_validate(raw)
    except ValidationError as exc:
        # The service would check answers and consent next; show those problems in the same round.
        uploaded = {
            key.removeprefix(intake.FILE_PREFIX) for key in chosen if key.startswith(intake.FILE_PREFIX)
        }
        later = applying.consent_problems(
            values["consent.given"], raw["consent"]["text_version"], page["consent_version"]
        )
        later += answers.validate(questions, raw["answers"], uploaded)[1]
        errors = page_errors([*intake.problems(exc), *later], raw, fields_of(page))
        return _form_page(request, page, values=values, errors=errors, tracking=tracking, chosen=chosen)
    try:
        async with transaction(sessionmaker) as session:
            await intake.submit(request, session, posting, body, form)
    except Unprocessable as exc:
        errors = page_errors(exc.extra.get("errors") or [], raw, fields_of(page))
        if "consent.text_version" in {e["field"] for e in exc.extra.get("errors") or []}:
            values["consent.given"] = False  # the text changed: read the new one and agree again
        return _form_page(request, page, values=values, errors=errors, tracking=tracking, chosen=chosen)
    return _received(posting)


def _received(posting_id: uuid.UUID) -> Response:
    # The same answer for an application, a duplicate and a bot: the status link goes by e-mail.
    response = RedirectResponse(f"/jobs/{posting_id}/apply/received", status_code=303)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/jobs/{posting_id}/apply/received", dependencies=[PUBLIC])
async def received_page(posting_id: str, request: Request, session: DbSession) -> Response:
    page = await applying.apply_page(session, _posting(posting_id))
    context = {"job_title": page["job_title"], "brand": _brand(page["organisation"])}
    return render(request, "pipeline/apply_received.html", context, headers=NOINDEX)


@router.get("/status/{token}", dependencies=[PUBLIC])
async def status_page(
    token: str, request: Request, session: DbSession, new: Annotated[int, Query(ge=0, le=1)] = 0
) -> Response:
    try:
        status = await applying.status_page(session, token, request.app.state.blind_index)
    except NotFound:
        if not new:
            raise
        # Right after applying: the same 404 as the API's status link, in words that fit both a
        # first application gone wrong and a second one that was not stored.
        detail = (
            "We could not find an application behind this link. If you applied to this job before, "
            "the status link from your first application is still the one to use."
        )
        return error_page(request, 404, detail, NOINDEX)
    context = {"status": status, "token": token, "new": bool(new), "words": plain_status(status)}
    context["brand"] = _brand(status["organisation"])
    return render(request, "pipeline/status.html", context, headers=NOINDEX)


@router.get("/status/{token}/withdraw", dependencies=[PUBLIC])
async def withdraw_form(token: str, request: Request, session: DbSession) -> Response:
    status = await applying.status_page(session, token, request.app.state.blind_index)
    if not status["can_withdraw"]:
        return RedirectResponse(f"/status/{token}", status_code=303)
    context = {"status": status, "token": token, "brand": _brand(status["organisation"])}
    return render(request, "pipeline/status_withdraw.html", context, headers=NOINDEX)


@router.post("/status/{token}/withdraw", dependencies=[PUBLIC])
async def withdraw(token: str, request: Request) -> Response:
    response = RedirectResponse(f"/status/{token}", status_code=303)
    try:
        async with transaction(request.app.state.sessionmaker) as session:
            await applying.withdraw(session, token, request.app.state.blind_index)
    except Conflict as exc:
        flash(request, response, exc.detail or "This application can no longer be withdrawn.")
        return response
    flash(request, response, "Your application has been withdrawn.")
    return response
