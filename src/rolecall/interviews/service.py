"""Use cases for interviews, and this context's public functions for other contexts.

An interview belongs to one application and lists one to ten interviewers, who must be active staff
of the organisation. Every change that calendar clients must see (reschedule, cancel) raises the
iCalendar SEQUENCE, so the invite served afterwards replaces the one they hold (same UID).

Events and audit entries carry ids, times and field names only: an interview's title is free text
and may name the candidate, so it never leaves this context except in API responses to staff.
Services never commit; scorecards live in :mod:`rolecall.interviews.scorecards`.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, Literal, cast

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.audit import service as audit
from rolecall.identity import service as identity
from rolecall.interviews import repository
from rolecall.interviews.events import (
    InterviewCancelled,
    InterviewEvent,
    InterviewRescheduled,
    InterviewScheduled,
    InterviewSnapshot,
)
from rolecall.interviews.models import Interview, Scorecard
from rolecall.interviews.repository import InterviewFilter
from rolecall.interviews.schemas import InterviewCreate, InterviewUpdate
from rolecall.jobs import service as jobs
from rolecall.pipeline import service as pipeline
from rolecall.platform import ics
from rolecall.platform.auth import Principal
from rolecall.platform.clock import utcnow
from rolecall.platform.errors import Conflict, NotFound, Unprocessable
from rolecall.platform.events.outbox import emit
from rolecall.platform.http import check_if_match
from rolecall.platform.ids import new_id
from rolecall.platform.pagination import PageParams, page_of
from rolecall.platform.pii import KeyRing
from rolecall.platform.pii_rotation import SealedColumn, rotate_columns
from rolecall.platform.sorting import Sorting, sorted_page_of

ERASED_TITLE = "Interview"


def _problem(field: str, message: str) -> Unprocessable:
    return Unprocessable(message, extra={"errors": [{"field": field, "message": message}]})


def ends_at(interview: Interview) -> datetime:
    return interview.starts_at + timedelta(minutes=interview.duration_minutes)


def invite_uid(interview_id: uuid.UUID) -> str:
    """Stable for the interview's whole life, so every later invite updates the same calendar entry."""
    return f"interview-{interview_id}@rolecall"


def notes_context(scorecard_id: uuid.UUID) -> str:
    return f"scorecard:{scorecard_id}:notes"


# --- who sees what ------------------------------------------------------------------------------


def only_own_interviews(principal: Principal) -> bool:
    """Interviewers (and nobody else) see only the interviews they sit on."""
    return "interviews:write" not in principal.scopes and principal.roles == frozenset({"interviewer"})


def sits_on(interview: Interview, principal: Principal) -> bool:
    return principal.kind == "user" and str(principal.subject_id) in interview.interviewer_ids


async def get_interview(session: AsyncSession, principal: Principal, interview_id: uuid.UUID) -> Interview:
    """The interview, or 404 also when the caller may not see it (no hint that it exists)."""
    interview = await repository.get_interview(session, interview_id)
    if interview is None or (only_own_interviews(principal) and not sits_on(interview, principal)):
        raise NotFound("Interview not found.")
    return interview


async def list_interviews(
    session: AsyncSession,
    principal: Principal,
    where: InterviewFilter,
    params: PageParams,
    sorting: Sorting | None = None,
    *,
    before_field: str = "to",
) -> tuple[list[Interview], str | None]:
    """A page of interviews (an interviewer sees only their own); with ``sorting`` in that order.

    ``before_field`` names the end of the date range in a 422, as the caller spelled it."""
    if where.starts_from and where.starts_before and where.starts_from >= where.starts_before:
        raise _problem(before_field, f"'{before_field}' must be later than the start of the range.")
    if only_own_interviews(principal):
        if where.interviewer_id not in (None, principal.subject_id):
            return [], None
        where = dataclasses.replace(where, interviewer_id=principal.subject_id)
    rows = await repository.list_interviews(session, where, params, sorting)
    if sorting is None:
        return page_of(rows, params)
    column = repository.SORT_COLUMNS[sorting.key].key
    return sorted_page_of(rows, params, sorting, lambda row: getattr(row, column))


# --- checks -------------------------------------------------------------------------------------


async def _active_application(session: AsyncSession, application_id: uuid.UUID) -> pipeline.ApplicationFacts:
    facts = await pipeline.application_facts(session, application_id)
    if facts.status != "active":
        raise Conflict(f"The application is {facts.status}; interviews are for active applications only.")
    return facts


def _check_future(starts_at: datetime) -> None:
    if starts_at <= utcnow():
        raise _problem("starts_at", "starts_at must be in the future.")


async def _check_interviewers(
    session: AsyncSession, principal: Principal, interviewer_ids: list[uuid.UUID]
) -> list[str]:
    for i, user_id in enumerate(interviewer_ids):
        field = f"interviewer_ids.{i}"
        try:
            user = await identity.get_user(session, principal, user_id)
        except NotFound as exc:
            raise _problem(field, "No staff user with this id in the organisation.") from exc
        if not user.is_active:
            raise _problem(field, "This user is deactivated.")
    return [str(user_id) for user_id in interviewer_ids]


# --- scheduling ---------------------------------------------------------------------------------


async def schedule_interview(
    session: AsyncSession, principal: Principal, application_id: uuid.UUID, body: InterviewCreate
) -> Interview:
    facts = await _active_application(session, application_id)
    _check_future(body.starts_at)
    interviewers = await _check_interviewers(session, principal, body.interviewer_ids)
    interview = Interview(
        id=new_id(),
        organisation_id=principal.organisation_id,
        application_id=facts.id,
        job_id=facts.job_id,
        candidate_id=facts.candidate_id,
        title=body.title,
        starts_at=body.starts_at,
        duration_minutes=body.duration_minutes,
        interviewer_ids=interviewers,
        location=body.location,
        video_url=body.video_url,
        status="scheduled",
        sequence=0,
        version=1,
    )
    session.add(interview)
    await session.flush()
    _emit(session, principal, InterviewScheduled, interview)
    return interview


async def reschedule_interview(
    session: AsyncSession,
    principal: Principal,
    interview_id: uuid.UUID,
    body: InterviewUpdate,
    if_match: str,
) -> Interview:
    interview = await get_interview(session, principal, interview_id)
    check_if_match(if_match, interview.id, interview.version)
    if interview.status == "cancelled":
        raise Conflict("A cancelled interview cannot be rescheduled; schedule a new one.")
    sent = body.model_dump(exclude_unset=True)
    if "interviewer_ids" in sent:
        sent["interviewer_ids"] = [str(user_id) for user_id in sent["interviewer_ids"]]
    changed = sorted(field for field, value in sent.items() if value != getattr(interview, field))
    if not changed:
        return interview  # nothing changed: no new version, no new invite
    await _active_application(session, interview.application_id)
    if "starts_at" in changed:
        _check_future(sent["starts_at"])
    if "interviewer_ids" in changed:
        await _check_interviewers(session, principal, [uuid.UUID(v) for v in sent["interviewer_ids"]])
    for field in changed:
        setattr(interview, field, sent[field])
    interview.sequence += 1
    interview.version += 1
    await session.flush()
    _emit(session, principal, InterviewRescheduled, interview, changed)
    return interview


async def cancel_interview(session: AsyncSession, principal: Principal, interview_id: uuid.UUID) -> Interview:
    interview = await get_interview(session, principal, interview_id)
    if interview.status == "cancelled":
        raise Conflict("The interview is already cancelled.")
    await _cancel(session, principal, interview)
    return interview


async def cancel_upcoming(session: AsyncSession, principal: Principal, application_id: uuid.UUID) -> int:
    """Cancel the application's interviews that have not started yet; how many were cancelled.

    Called when the application ends (rejected, withdrawn, hired), so calendars drop the slots.
    Interviews already under way or past stay as they are: their scorecards are still wanted.
    """
    upcoming = await repository.upcoming_of_application(session, application_id, utcnow())
    for interview in upcoming:
        await _cancel(session, principal, interview)
    return len(upcoming)


async def _cancel(session: AsyncSession, principal: Principal, interview: Interview) -> None:
    interview.status = "cancelled"
    interview.sequence += 1
    interview.version += 1
    await session.flush()
    _emit(session, principal, InterviewCancelled, interview, ["status"])


def interview_state(interview: Interview) -> dict[str, Any]:
    """What events say about an interview: ids and times, never the title, place or link."""
    return {
        "id": str(interview.id),
        "application_id": str(interview.application_id),
        "job_id": str(interview.job_id),
        "candidate_id": str(interview.candidate_id),
        "status": interview.status,
        "starts_at": interview.starts_at.isoformat(),
        "ends_at": ends_at(interview).isoformat(),
        "duration_minutes": interview.duration_minutes,
        "interviewer_ids": list(interview.interviewer_ids),
        "sequence": interview.sequence,
        "version": interview.version,
    }


def snapshot(interview: Interview) -> InterviewSnapshot:
    """What events say about an interview: ids and times, never the title, place or link."""
    return InterviewSnapshot(
        id=interview.id,
        application_id=interview.application_id,
        job_id=interview.job_id,
        candidate_id=interview.candidate_id,
        status=cast(Literal["scheduled", "cancelled"], interview.status),
        starts_at=interview.starts_at,
        ends_at=ends_at(interview),
        duration_minutes=interview.duration_minutes,
        interviewer_ids=[uuid.UUID(str(user_id)) for user_id in interview.interviewer_ids],
        sequence=interview.sequence,
        version=interview.version,
    )


def _emit(
    session: AsyncSession,
    principal: Principal,
    event_class: type[InterviewEvent],
    interview: Interview,
    changed: Iterable[str] = (),
) -> None:
    changed = sorted(changed)
    audit.record(
        session,
        actor=principal.actor,
        action=event_class.event_type,
        target_type="interview",
        target_id=interview.id,
        changed_fields=changed,
        application_id=str(interview.application_id),
    )
    emit(session, event_class(interview=snapshot(interview), changed_fields=changed))


# --- the invite ---------------------------------------------------------------------------------


async def invite(
    session: AsyncSession, principal: Principal, interview_id: uuid.UUID
) -> tuple[bytes, ics.Method, Interview]:
    """The current iCalendar message: a REQUEST while scheduled, a CANCEL once cancelled.

    Attendees are the interviewers; the first of them is the organiser (replies reach a person who
    can act on them). The candidate is not written into the invite: it is staff's calendar entry and
    carries no personal data of theirs. DTSTAMP is the interview's last change, so the same version
    always gives the same bytes.
    """
    interview = await get_interview(session, principal, interview_id)
    people: list[ics.Person] = []
    for user_id in interview.interviewer_ids:
        try:
            user = await identity.get_user(session, principal, uuid.UUID(user_id))
        except NotFound:
            continue
        people.append((user.full_name, user.email))
    job = await jobs.get_job(session, principal, interview.job_id)
    method: ics.Method = "CANCEL" if interview.status == "cancelled" else "REQUEST"
    body = ics.invite(
        uid=invite_uid(interview.id),
        sequence=interview.sequence,
        start=interview.starts_at,
        duration=timedelta(minutes=interview.duration_minutes),
        summary=interview.title,
        description=f"Interview for {job.title}.",
        location=interview.location,
        url=interview.video_url,
        organizer=people[0],
        attendees=people,
        method=method,
        stamp=interview.updated_at,
    )
    return body, method, interview


# --- for other contexts (privacy) ---------------------------------------------------------------


async def export_candidate(
    session: AsyncSession, candidate_id: uuid.UUID, *, keyring: KeyRing
) -> list[dict[str, Any]]:
    """Every interview of the candidate with its scorecards, notes decrypted (a data-subject export)."""
    interviews = await repository.interviews_of_candidate(session, candidate_id)
    cards = await repository.scorecards_of_interviews(session, [i.id for i in interviews])
    return [
        {
            **interview_state(interview),
            "title": interview.title,
            "location": interview.location,
            "video_url": interview.video_url,
            "created_at": interview.created_at.isoformat(),
            "scorecards": [_exported(card, keyring) for card in cards if card.interview_id == interview.id],
        }
        for interview in interviews
    ]


def _exported(card: Scorecard, keyring: KeyRing) -> dict[str, Any]:
    notes = None if card.notes is None else keyring.decrypt(card.notes, context=notes_context(card.id))
    return {
        "id": str(card.id),
        "interviewer_id": str(card.interviewer_id),
        "status": card.status,
        "attributes": [dict(attribute) for attribute in card.attributes],
        "recommendation": card.recommendation,
        "notes": notes,
        "submitted_at": card.submitted_at.isoformat() if card.submitted_at else None,
    }


async def erase_candidate(session: AsyncSession, candidate_id: uuid.UUID) -> None:
    """Drop what is written about the candidate; keep ratings and recommendations for reporting.

    Scorecard notes go, and interview titles (free text that often names the candidate) become a
    neutral one. Times, interviewers, ratings and recommendations stay.
    """
    interviews = await repository.interviews_of_candidate(session, candidate_id)
    for interview in interviews:
        if interview.title != ERASED_TITLE:
            interview.title = ERASED_TITLE
            interview.version += 1
    for card in await repository.scorecards_of_interviews(session, [i.id for i in interviews]):
        if card.notes is not None:
            card.notes = None
            card.version += 1
    await session.flush()


SEALED_COLUMNS = (SealedColumn(Scorecard, "notes", "scorecard"),)


async def rotate_keys(
    sessionmaker: async_sessionmaker[AsyncSession], keyring: KeyRing, *, batch_size: int
) -> int:
    """Re-seal this context's encrypted columns under the active key (``rolecall rotate-keys``)."""
    return await rotate_columns(sessionmaker, keyring, SEALED_COLUMNS, batch_size=batch_size)


async def follow_candidate_merge(
    session: AsyncSession, from_candidate: uuid.UUID, to_candidate: uuid.UUID
) -> int:
    """Point the interviews of a merged-away candidate at the surviving one (idempotent).

    Export and erasure find a person's interviews by candidate id, so after a merge they must follow.
    """
    result = await session.execute(
        update(Interview)
        .where(Interview.candidate_id == from_candidate)
        .values(candidate_id=to_candidate)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def job_rating_means(
    session: AsyncSession, job_id: uuid.UUID
) -> dict[uuid.UUID, tuple[dict[str, tuple[str, float]], int]]:
    """Per application of a job: each skill's mean rating over submitted scorecards, and how many
    scorecards there are (one query, for ranking thousands of applications)."""
    sums: dict[uuid.UUID, dict[str, list[float]]] = {}
    names: dict[str, str] = {}
    cards: dict[uuid.UUID, int] = {}
    for application_id, attributes in await repository.submitted_scorecards_of_job(session, job_id):
        cards[application_id] = cards.get(application_id, 0) + 1
        per_skill = sums.setdefault(application_id, {})
        for attribute in attributes:
            names.setdefault(attribute["skill"], attribute["name"])
            if attribute.get("rating") is not None:
                per_skill.setdefault(attribute["skill"], []).append(float(attribute["rating"]))
    return {
        application_id: (
            {skill: (names[skill], sum(got) / len(got)) for skill, got in per_skill.items() if got},
            cards[application_id],
        )
        for application_id, per_skill in sums.items()
    }


# --- for other contexts (notifications) ----------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class MissingScorecard:
    organisation_id: uuid.UUID
    interview_id: uuid.UUID
    job_id: uuid.UUID
    interviewer_id: uuid.UUID


async def missing_scorecards(
    session: AsyncSession, *, ended_before: datetime, ended_after: datetime
) -> list[MissingScorecard]:
    """Interviewers of held interviews that ended in the window without submitting their scorecard.

    Across organisations: the notifications worker's sweep for reminders. Ids only.
    """
    from sqlalchemy import select

    from rolecall.platform.tenancy import all_tenants

    stmt = (
        select(Interview)
        .where(
            Interview.status == "scheduled",
            Interview.starts_at < ended_before,
            Interview.starts_at >= ended_after - timedelta(days=1),
        )
        .execution_options(**all_tenants())
    )
    held = [i for i in (await session.scalars(stmt)).all() if ended_after <= ends_at(i) < ended_before]
    if not held:
        return []
    cards = select(Scorecard.interview_id, Scorecard.interviewer_id).where(
        Scorecard.interview_id.in_([i.id for i in held]), Scorecard.status == "submitted"
    )
    submitted = {
        (row[0], str(row[1])) for row in await session.execute(cards.execution_options(**all_tenants()))
    }
    return [
        MissingScorecard(i.organisation_id, i.id, i.job_id, uuid.UUID(user_id))
        for i in held
        for user_id in i.interviewer_ids
        if (i.id, user_id) not in submitted
    ]
