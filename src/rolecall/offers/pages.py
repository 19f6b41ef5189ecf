"""Offer pages: the offers list with an "awaiting my approval" inbox, drafting an offer for an
application at an offer stage, and one offer's page, where each person sees the actions their
role and the offer's status allow (approve or ask for changes, revise, send, record the answer,
withdraw). Every action calls the same service function as its API route.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.candidates import service as candidates
from rolecall.identity import service as identity
from rolecall.jobs import service as jobs
from rolecall.offers import records, service
from rolecall.offers.schemas import Decision, DeclineOffer, OfferCreate, OfferRevision, SendOffer
from rolecall.pipeline import service as pipeline
from rolecall.platform.auth import DbSession, Principal
from rolecall.platform.errors import Conflict, Forbidden, PreconditionFailed, Unprocessable
from rolecall.platform.http import etag_for, pii_keyring
from rolecall.platform.pagination import PageParams
from rolecall.web.auth import page_requires
from rolecall.web.forms import field_errors
from rolecall.web.templating import flash, render

router = APIRouter(include_in_schema=False)
OffersReader = Annotated[Principal, Depends(page_requires("offers:read"))]
OffersWriter = Annotated[Principal, Depends(page_requires("offers:read", "offers:write"))]
OffersApprover = Annotated[Principal, Depends(page_requires("offers:read", "offers:approve"))]
OPEN = ("pending_approval", "changes_requested", "approved", "sent")
LISTED = 100
STATUS_WORDS = {
    "pending_approval": "Waiting for approval",
    "changes_requested": "Changes requested",
    "approved": "Approved, not sent",
    "sent": "Sent to the candidate",
    "accepted": "Accepted",
    "declined": "Declined",
    "expired": "Expired",
    "withdrawn": "Withdrawn",
}
TERMS_FIELDS = ("salary", "currency", "period", "start_date", "terms", "override_reason")


async def _names(
    session: AsyncSession, principal: Principal, request: Request, candidate_ids: list[uuid.UUID]
) -> dict[uuid.UUID, str]:
    labels = await candidates.candidate_labels(
        session, principal, candidate_ids, keyring=pii_keyring(request), purpose="offers page"
    )
    return {candidate_id: label.full_name for candidate_id, label in labels.items()}


async def _titles(
    session: AsyncSession, principal: Principal, job_ids: set[uuid.UUID]
) -> dict[uuid.UUID, str]:
    found, _cursor = await jobs.list_jobs(session, principal, PageParams(limit=200, after=None), None)
    return {job.id: job.title for job in found if job.id in job_ids}


def _mine_to_approve(principal: Principal, view: records.OfferView) -> bool:
    step = view.pending_step
    if step is None or "offers:approve" not in principal.scopes:
        return False
    return step["role"] in principal.roles or "admin" in principal.roles


@router.get("/app/offers")
async def offers_page(request: Request, session: DbSession, principal: OffersReader) -> Response:
    offers, _cursor = await service.list_offers(session, principal, PageParams(limit=LISTED, after=None))
    offers = sorted(offers, key=lambda offer: offer.created_at, reverse=True)
    keyring = pii_keyring(request)
    waiting = []
    for offer in offers:
        if offer.status == "pending_approval":
            view = await service.get_offer(session, principal, offer.id, keyring=keyring)
            if _mine_to_approve(principal, view):
                waiting.append(view)
    names = await _names(session, principal, request, [offer.candidate_id for offer in offers])
    titles = await _titles(session, principal, {offer.job_id for offer in offers})
    context = {
        "waiting": waiting,
        "open": [offer for offer in offers if offer.status in OPEN],
        "closed": [offer for offer in offers if offer.status not in OPEN],
        "names": names,
        "titles": titles,
        "words": STATUS_WORDS,
    }
    return render(request, "offers/list.html", context)


def _terms(form: dict[str, str], *, partial: bool) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for name in TERMS_FIELDS:
        value = form.get(name, "").strip()
        if value or (not partial and name in ("salary", "currency", "start_date")):
            body[name] = value
    if "currency" in body:
        body["currency"] = str(body["currency"]).upper()
    return body


async def _new_page(
    request: Request,
    session: AsyncSession,
    principal: Principal,
    application_id: uuid.UUID,
    form: dict[str, str],
    errors: dict[str, str],
    status: int = 200,
) -> Response:
    facts = await pipeline.application_facts(session, application_id)
    job = await jobs.get_job(session, principal, facts.job_id)
    names = await _names(session, principal, request, [facts.candidate_id])
    context = {
        "facts": facts,
        "job": job,
        "name": names.get(facts.candidate_id, "This candidate"),
        "form": form,
        "errors": errors,
    }
    return render(request, "offers/new.html", context, status_code=status)


@router.get("/app/applications/{application_id}/offers/new")
async def new_offer(
    application_id: uuid.UUID, request: Request, session: DbSession, principal: OffersWriter
) -> Response:
    facts = await pipeline.application_facts(session, application_id)
    job = await jobs.get_job(session, principal, facts.job_id)
    salary = job.salary or {}
    form = {
        "salary": str(salary.get("min", "")),
        "currency": str(salary.get("currency", "")),
        "period": str(salary.get("period", "year")),
        "start_date": (date.today() + timedelta(days=30)).isoformat(),
    }
    return await _new_page(request, session, principal, application_id, form, {})


@router.post("/app/applications/{application_id}/offers/new")
async def create_offer(
    application_id: uuid.UUID, request: Request, session: DbSession, principal: OffersWriter
) -> Response:
    form = {key: str(value) for key, value in (await request.form()).items()}
    try:
        body = OfferCreate.model_validate(_terms(form, partial=False))
        view = await service.create_offer(
            session, principal, application_id, body, keyring=pii_keyring(request)
        )
    except (ValidationError, Unprocessable, Conflict) as exc:
        errors = field_errors(exc) if not isinstance(exc, Conflict) else {"form": exc.detail or exc.title}
        return await _new_page(request, session, principal, application_id, form, errors, status=422)
    response = RedirectResponse(f"/app/offers/{view.offer.id}", status_code=303)
    flash(request, response, "Offer drafted. It now waits for approval.")
    return response


async def _offer_page(
    request: Request,
    session: AsyncSession,
    principal: Principal,
    offer_id: uuid.UUID,
    *,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    view = await service.get_offer(session, principal, offer_id, keyring=pii_keyring(request))
    offer = view.offer
    names = await _names(session, principal, request, [offer.candidate_id])
    job = await jobs.get_job(session, principal, offer.job_id)
    may_write = "offers:write" in principal.scopes
    staff, _cursor = await identity.list_users(session, principal, PageParams(limit=500, after=None))
    people = {f"user:{user.id}": user.full_name for user in staff}
    context = {
        "people": people,
        "view": view,
        "offer": offer,
        "name": names.get(offer.candidate_id, "The candidate"),
        "job": job,
        "words": STATUS_WORDS,
        "may_approve": _mine_to_approve(principal, view),
        "may_write": may_write,
        "may_revise": may_write and offer.status in ("pending_approval", "changes_requested", "approved"),
        "may_withdraw": may_write and offer.status in OPEN,
        "errors": errors or {},
        "form": form or {},
        "default_expiry": (date.today() + timedelta(days=7)).isoformat(),
    }
    return render(request, "offers/offer.html", context, status_code=status)


@router.get("/app/offers/{offer_id}")
async def offer_page(
    offer_id: uuid.UUID, request: Request, session: DbSession, principal: OffersReader
) -> Response:
    return await _offer_page(request, session, principal, offer_id)


Action = Callable[[AsyncSession, Principal, uuid.UUID, dict[str, str], Request], Awaitable[Any]]


async def _act(
    request: Request,
    session: AsyncSession,
    principal: Principal,
    offer_id: uuid.UUID,
    action: Action,
    done: str,
) -> Response:
    form = {key: str(value) for key, value in (await request.form()).items()}
    try:
        await action(session, principal, offer_id, form, request)
    except ValidationError as exc:
        return await _offer_page(
            request, session, principal, offer_id, errors=field_errors(exc), form=form, status=422
        )
    except PreconditionFailed:
        message = "Someone else changed this offer since you opened it; here is the current version."
        return await _offer_page(request, session, principal, offer_id, errors={"form": message}, status=409)
    except (Conflict, Forbidden, Unprocessable) as exc:
        errors = field_errors(exc) if exc.extra.get("errors") else {"form": exc.detail or exc.title}
        return await _offer_page(
            request, session, principal, offer_id, errors=errors, form=form, status=exc.status
        )
    response = RedirectResponse(f"/app/offers/{offer_id}", status_code=303)
    flash(request, response, done)
    return response


def _note(form: dict[str, str]) -> Decision:
    return Decision.model_validate({"note": form["note"].strip()} if form.get("note", "").strip() else {})


@router.post("/app/offers/{offer_id}/approve")
async def approve(
    offer_id: uuid.UUID, request: Request, session: DbSession, principal: OffersApprover
) -> Response:
    async def run(s: AsyncSession, p: Principal, o: uuid.UUID, form: dict[str, str], r: Request) -> Any:
        return await service.decide(s, p, o, "approved", _note(form), keyring=pii_keyring(r))

    return await _act(request, session, principal, offer_id, run, "You approved your step of the offer.")


@router.post("/app/offers/{offer_id}/request-changes")
async def request_changes(
    offer_id: uuid.UUID, request: Request, session: DbSession, principal: OffersApprover
) -> Response:
    async def run(s: AsyncSession, p: Principal, o: uuid.UUID, form: dict[str, str], r: Request) -> Any:
        return await service.decide(s, p, o, "rejected", _note(form), keyring=pii_keyring(r))

    return await _act(request, session, principal, offer_id, run, "You asked for changes to the offer.")


@router.post("/app/offers/{offer_id}/revise")
async def revise(
    offer_id: uuid.UUID, request: Request, session: DbSession, principal: OffersWriter
) -> Response:
    async def run(s: AsyncSession, p: Principal, o: uuid.UUID, form: dict[str, str], r: Request) -> Any:
        body = OfferRevision.model_validate(_terms(form, partial=True))
        version = form.get("version", "")
        if_match = etag_for(o, int(version)) if version.isdigit() else ""
        return await service.revise_offer(s, p, o, body, if_match, keyring=pii_keyring(r))

    done = "A new version of the offer was saved; it needs approving again."
    return await _act(request, session, principal, offer_id, run, done)


@router.post("/app/offers/{offer_id}/send")
async def send(
    offer_id: uuid.UUID, request: Request, session: DbSession, principal: OffersWriter
) -> Response:
    async def run(s: AsyncSession, p: Principal, o: uuid.UUID, form: dict[str, str], r: Request) -> Any:
        day = form.get("expires_on", "").strip()
        try:
            expires = datetime.combine(date.fromisoformat(day), time(23, 59), tzinfo=UTC) if day else None
        except ValueError as exc:
            problem = {"field": "expires_on", "message": "Enter the last day as YYYY-MM-DD."}
            raise Unprocessable("The expiry date is not a date.", extra={"errors": [problem]}) from exc
        return await service.send_offer(s, p, o, SendOffer(expires_at=expires), keyring=pii_keyring(r))

    return await _act(request, session, principal, offer_id, run, "The offer is marked as sent.")


@router.post("/app/offers/{offer_id}/accept")
async def accept(
    offer_id: uuid.UUID, request: Request, session: DbSession, principal: OffersWriter
) -> Response:
    async def run(s: AsyncSession, p: Principal, o: uuid.UUID, _form: dict[str, str], r: Request) -> Any:
        return await service.accept_offer(s, p, o, keyring=pii_keyring(r))

    done = "Recorded as accepted. The hire is being completed: the candidate moves to Hired shortly."
    return await _act(request, session, principal, offer_id, run, done)


@router.post("/app/offers/{offer_id}/decline")
async def decline(
    offer_id: uuid.UUID, request: Request, session: DbSession, principal: OffersWriter
) -> Response:
    async def run(s: AsyncSession, p: Principal, o: uuid.UUID, form: dict[str, str], r: Request) -> Any:
        reason = form.get("reason", "").strip()
        body = DeclineOffer.model_validate({"reason": reason} if reason else {})
        return await service.decline_offer(s, p, o, body, keyring=pii_keyring(r))

    return await _act(request, session, principal, offer_id, run, "Recorded as declined.")


@router.post("/app/offers/{offer_id}/withdraw")
async def withdraw(
    offer_id: uuid.UUID, request: Request, session: DbSession, principal: OffersWriter
) -> Response:
    async def run(s: AsyncSession, p: Principal, o: uuid.UUID, _form: dict[str, str], r: Request) -> Any:
        return await service.withdraw_offer(s, p, o, keyring=pii_keyring(r))

    return await _act(request, session, principal, offer_id, run, "The offer was withdrawn.")
