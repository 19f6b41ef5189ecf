"""The candidate's side: open the link, start the clock, autosave answers, submit, see the result.

**Time is the server's.** Starting sets a deadline (time limit plus any granted extra time); answers
and the submission are accepted until the deadline plus a short grace window that covers the last
autosave in flight, and refused after it. A started session left open past that is submitted by the
worker with the answers saved in time. There is one attempt: a submitted session accepts nothing.

**Integrity signals** (focus lost, paste, a change of network address, time per item) are recorded
as facts with their limits and shown to recruiters; nothing here rejects or penalises anyone.
The network address itself is never stored, only a keyed digest that can show a change.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.assessments import grading, invitations, repository, sandbox, scoring
from rolecall.assessments import items as documents
from rolecall.assessments.events import (
    AssessmentExpired,
    AssessmentScored,
    AssessmentStarted,
    AssessmentSubmitted,
)
from rolecall.assessments.models import AssessmentResponse, AssessmentSession, AssessmentSignal
from rolecall.platform.auth import Principal
from rolecall.platform.clock import utcnow
from rolecall.platform.db import transaction
from rolecall.platform.errors import Conflict, NotFound, ProblemError, Unprocessable
from rolecall.platform.ids import new_id
from rolecall.platform.pii import BlindIndex, KeyRing
from rolecall.platform.tenancy import bind_organisation

ADDRESS_PURPOSE = "assessment-address"
SIGNAL_KINDS = ("focus_lost", "paste", "address_changed", "address_seen", "item_time")
MAX_SIGNALS = 500  # per session: a noisy page cannot fill the table


class LinkExpired(ProblemError):
    status = 410
    slug = "assessment-link-expired"
    title = "Assessment link expired"


class TimeUp(ProblemError):
    status = 409
    slug = "assessment-time-up"
    title = "The time for this assessment is over"


def _problem(field: str, message: str) -> Unprocessable:
    return Unprocessable(message, extra={"errors": [{"field": field, "message": message}]})


async def by_token(
    session: AsyncSession, token: str, index: BlindIndex
) -> tuple[AssessmentSession, Principal]:
    """The session behind a link, bound to its organisation; 404 for an unknown link, 410 for one that
    can no longer be used (expired unused, or cancelled)."""
    if not token or len(token) > 100:
        raise NotFound("Assessment not found.")
    record = await repository.session_by_token(session, index.digest(invitations.LINK_PURPOSE, token))
    if record is None:
        raise NotFound("Assessment not found.")
    bind_organisation(session, record.organisation_id)
    principal = Principal.acting_for("applicant", record.organisation_id, record.candidate_id)
    if record.status == "cancelled" or (record.status == "invited" and record.expires_at <= utcnow()):
        raise LinkExpired(
            "This assessment link has expired or was withdrawn. Ask the recruiter for a new one."
        )
    return record, principal


def allowed_seconds(record: AssessmentSession) -> int:
    return int(record.time_limit_minutes * 60 * (100 + record.extra_time_percent) / 100)


def remaining_seconds(record: AssessmentSession, now: datetime | None = None) -> int | None:
    if record.deadline_at is None:
        return None
    return max(0, int((record.deadline_at - (now or utcnow())).total_seconds()))


def _accepting(record: AssessmentSession, now: datetime) -> None:
    if record.status in ("marking", "scored", "expired"):
        raise Conflict("This assessment was submitted; answers can no longer change.")
    if record.status != "started" or record.deadline_at is None:
        raise Conflict("Start the assessment before answering.")
    if now > record.deadline_at + timedelta(seconds=record.grace_seconds):
        raise TimeUp("The time for this assessment is over; answers saved before the deadline count.")


def overview(record: AssessmentSession) -> dict[str, Any]:
    """What the start page and the candidate API show: never scores, weights or other people."""
    return {
        "status": record.status,
        "items": len(record.items),
        "time_limit_minutes": record.time_limit_minutes,
        "extra_time_percent": record.extra_time_percent,
        "requested_extra_time_percent": record.requested_extra_time_percent,
        "allowed_seconds": allowed_seconds(record),
        "expires_at": record.expires_at,
        "started_at": record.started_at,
        "deadline_at": record.deadline_at,
        "remaining_seconds": remaining_seconds(record),
        "submitted_at": record.submitted_at,
    }


async def request_extra_time(
    session: AsyncSession, token: str, index: BlindIndex, percent: int
) -> AssessmentSession:
    """The candidate asks; a recruiter grants. The request never reaches the people who score."""
    record, _ = await by_token(session, token, index)
    invitations.check_extra_time(percent, "percent")
    if record.status != "invited":
        raise Conflict("Extra time can only be requested before starting.")
    record.requested_extra_time_percent = percent or None
    record.version += 1
    await session.flush()
    return record


async def _address_signal(
    session: AsyncSession, record: AssessmentSession, address_digest: str | None
) -> None:
    if address_digest is None:
        return
    seen = [
        s
        for s in await repository.signals(session, record.id)
        if s.kind in ("address_seen", "address_changed")
    ]
    last = seen[-1].detail.get("address") if seen else None
    if last == address_digest:
        return
    kind = "address_seen" if last is None else "address_changed"
    session.add(
        AssessmentSignal(
            organisation_id=record.organisation_id,
            session_id=record.id,
            kind=kind,
            detail={"address": address_digest},
        )
    )


def address_digest(index: BlindIndex, address: str | None) -> str | None:
    return index.digest(ADDRESS_PURPOSE, address) if address else None


async def start(
    session: AsyncSession, token: str, index: BlindIndex, *, address: str | None = None
) -> AssessmentSession:
    """Start the clock (idempotent: a second start, from a reload, changes nothing)."""
    record, principal = await by_token(session, token, index)
    if record.status == "started":
        return record
    if record.status != "invited":
        raise Conflict("This assessment was already taken; there is one attempt.")
    now = utcnow()
    record.status, record.started_at = "started", now
    record.deadline_at = now + timedelta(seconds=allowed_seconds(record))
    record.version += 1
    await _address_signal(session, record, address_digest(index, address))
    await session.flush()
    invitations.emit(session, principal, AssessmentStarted, record)
    return record


async def questions(
    session: AsyncSession, token: str, index: BlindIndex, keyring: KeyRing
) -> tuple[AssessmentSession, list[dict[str, Any]]]:
    """The attempt's items as the candidate sees them, each with the answer saved so far."""
    record, _ = await by_token(session, token, index)
    if record.status == "invited":
        raise Conflict("Start the assessment to see its questions.")
    versions = await grading.pinned_versions(session, record)
    latest = grading.latest_responses(await repository.responses(session, record.id))
    out = []
    for item in record.items:
        position = item["position"]
        content = grading.content_of(versions[position])
        saved = latest.get(position)
        out.append(
            {
                "position": position,
                **documents.candidate_view(content, record.seed + position),
                "answer": grading.answer_of(keyring, saved) if saved else None,
                "saved_at": saved.recorded_at if saved else None,
            }
        )
    return record, out


def query_errors(content: documents.ItemContent, answer: dict[str, Any]) -> list[str]:
    """An SQL answer checked against the item's tables with no rows in them: the candidate learns
    that the query is refused or does not compile (ATTACH, a write, a syntax error, a missing column)
    without learning anything about the hidden data. Other items have nothing to check."""
    if not isinstance(content, documents.Sql) or not answer.get("query"):
        return []
    try:
        empty = sandbox.prepare(content.schema_, "")
    except sandbox.DatasetError:
        return []  # the item's own schema is broken: scoring names that to staff
    error = sandbox.run_query(empty, str(answer["query"])).error
    return [error] if error else []


async def save_answer(
    session: AsyncSession,
    token: str,
    index: BlindIndex,
    keyring: KeyRing,
    position: int,
    answer: dict[str, Any],
    *,
    address: str | None = None,
) -> tuple[AssessmentResponse, list[str]]:
    """Autosave one answer (a new response row; the newest counts), with the problems an SQL query
    has on the item's empty tables. Refused after the deadline's grace, for a position not in this
    attempt, or in the wrong shape; nothing is stored then."""
    record, _ = await by_token(session, token, index)
    _accepting(record, utcnow())
    pinned = next((i for i in record.items if i["position"] == position), None)
    if pinned is None:
        raise _problem("position", f"This assessment has no question {position + 1}.")
    versions = await repository.versions_by_id(session, [uuid.UUID(pinned["version_id"])])
    content = grading.content_of(next(iter(versions.values())))
    try:
        clean = scoring.check_answer(content, answer)
    except ValueError as exc:
        raise _problem("answer", str(exc)) from exc
    response_id = new_id()
    text = json.dumps(clean, separators=(",", ":"), sort_keys=True)
    response = AssessmentResponse(
        id=response_id,
        organisation_id=record.organisation_id,
        session_id=record.id,
        position=position,
        item_version_id=uuid.UUID(pinned["version_id"]),
        answer=keyring.encrypt(text, context=grading.response_context(response_id)),
    )
    session.add(response)
    await _address_signal(session, record, address_digest(index, address))
    await session.flush()
    return response, await asyncio.to_thread(query_errors, content, clean)


async def record_signal(
    session: AsyncSession,
    token: str,
    index: BlindIndex,
    kind: str,
    position: int | None,
    detail: dict[str, Any],
) -> None:
    record, _ = await by_token(session, token, index)
    if kind not in ("focus_lost", "paste", "item_time"):
        raise _problem("kind", "kind must be focus_lost, paste or item_time.")
    if record.status != "started":
        return  # signals outside the attempt say nothing; ignore rather than alarm the candidate
    if len(await repository.signals(session, record.id)) >= MAX_SIGNALS:
        return
    safe = {k: v for k, v in detail.items() if k in ("seconds", "characters") and isinstance(v, int | float)}
    session.add(
        AssessmentSignal(
            organisation_id=record.organisation_id,
            session_id=record.id,
            kind=kind,
            position=position,
            detail=safe,
        )
    )
    await session.flush()


async def finish(
    session: AsyncSession, principal: Principal, record: AssessmentSession, keyring: KeyRing, *, late: bool
) -> AssessmentSession:
    """Close the attempt and score it at once (also used by the worker for overdue sessions)."""
    record.submitted_at = utcnow()
    record.status = "marking"
    record.version += 1
    await session.flush()
    invitations.emit(session, principal, AssessmentSubmitted, record, auto_submitted=late)
    summary = await grading.grade(session, record, keyring)
    record.status = "marking" if summary.pending else "scored"
    record.scored_at = utcnow()
    await session.flush()
    invitations.emit(session, principal, AssessmentScored, record, final=not summary.pending)
    return record


async def submit(session: AsyncSession, token: str, index: BlindIndex, keyring: KeyRing) -> AssessmentSession:
    record, principal = await by_token(session, token, index)
    _accepting(record, utcnow())
    return await finish(session, principal, record, keyring, late=False)


async def finish_overdue(sessionmaker: async_sessionmaker[AsyncSession], keyring: KeyRing) -> dict[str, int]:
    """Worker job: submit started sessions past deadline + grace, expire unused links.

    Each session is finished in its own transaction, bound to its own organisation, so one failure
    (or one tenant) never holds up the others; the next round retries what failed.
    """
    now = utcnow()
    counts = {"assessments_auto_submitted": 0, "assessment_links_expired": 0}
    async with transaction(sessionmaker) as session:
        due = [(r.id, r.organisation_id) for r in await repository.overdue_sessions(session, now)]
    for session_id, organisation_id in due:
        async with transaction(sessionmaker) as session:
            bind_organisation(session, organisation_id)
            record = await repository.get_session(session, session_id)
            if record is None:
                continue
            system = Principal.acting_for("system", organisation_id)
            if record.status == "started" and record.deadline_at is not None:
                if now <= record.deadline_at + timedelta(seconds=record.grace_seconds):
                    continue
                await finish(session, system, record, keyring, late=True)
                counts["assessments_auto_submitted"] += 1
            elif record.status == "invited" and record.expires_at < now:
                record.status, record.token_hash = "expired", None
                record.version += 1
                await session.flush()
                invitations.emit(session, system, AssessmentExpired, record)
                counts["assessment_links_expired"] += 1
    return counts


async def candidate_result(session: AsyncSession, token: str, index: BlindIndex) -> dict[str, Any] | None:
    """The result a candidate may see: only when the blueprint allows it and marking is done."""
    record, _ = await by_token(session, token, index)
    if record.status != "scored":
        return None
    stored = await repository.blueprint_version(session, record.blueprint_id, record.blueprint_version)
    if stored is None or not stored.document.get("show_result_to_candidate"):
        return None
    return {
        "total": record.total,
        "skills": [{"name": s["name"], "score": s["score"]} for s in record.skill_scores or []],
    }
