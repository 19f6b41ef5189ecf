"""Use cases for applications: adding them, moving them through the job's stages, and the queries and
saga steps other contexts call (interviews, offers and the hire saga, privacy).

Every change of stage or status goes through :func:`rolecall.pipeline.records.change`. Concurrent
changes of one application are serialised by its version column: the loser of a race gets 412 and
loses nothing. Services never commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.audit import service as audit
from rolecall.candidates import service as candidates
from rolecall.jobs import service as jobs
from rolecall.pipeline import repository, scoring, stages
from rolecall.pipeline.events import (
    ApplicationCreated,
    ApplicationRejected,
    ApplicationStageChanged,
    ApplicationWithdrawn,
)
from rolecall.pipeline.hiring import mark_hired, revert_hire
from rolecall.pipeline.models import Application, ApplicationTransition
from rolecall.pipeline.personal_data import (
    SEALED_COLUMNS,
    erase_candidate,
    export_candidate,
    move_applications,
    retention_candidates,
    rotate_keys,
)
from rolecall.pipeline.records import (
    ApplicationFacts,
    answers_of,
    change,
    emit,
    facts,
    get_application,
    job_stages,
    problem,
    record_transition,
    seal_answers,
    seal_tracking,
    snapshot,
    tracking_of,
)
from rolecall.pipeline.schemas import ApplicationCreate
from rolecall.pipeline.scoring import rescore_for_resume
from rolecall.pipeline.settings import get_settings, update_settings
from rolecall.platform.auth import Principal
from rolecall.platform.clock import utcnow
from rolecall.platform.errors import Conflict, Unprocessable
from rolecall.platform.http import check_if_match
from rolecall.platform.ids import new_id
from rolecall.platform.pagination import PageParams, page_of
from rolecall.platform.pii import KeyRing
from rolecall.platform.sorting import Sorting, sorted_page_of

# The published surface other contexts and this context's routes use.
__all__ = [
    "SEALED_COLUMNS",
    "ApplicationFacts",
    "DisplayFields",
    "add_application",
    "allowed_actions",
    "application_facts",
    "candidate_applications",
    "display_fields",
    "erase_candidate",
    "export_candidate",
    "facts",
    "get_application",
    "get_settings",
    "job_applications",
    "mark_hired",
    "move",
    "move_applications",
    "problem",
    "reject",
    "rescore_for_resume",
    "retention_candidates",
    "revert_hire",
    "rotate_keys",
    "seal_answers",
    "seal_tracking",
    "unreject",
    "update_settings",
    "withdraw",
]


async def read_application(
    session: AsyncSession, principal: Principal, application_id: uuid.UUID, *, keyring: KeyRing
) -> tuple[Application, dict[str, Any], dict[str, Any]]:
    """One application with its answers and campaign details, decrypted; both are personal data, so
    reading them is audited."""
    application = await get_application(session, application_id)
    audit.record(
        session,
        actor=principal.actor,
        action="application.viewed",
        target_type="candidate",
        target_id=application.candidate_id,
        application_id=str(application.id),
    )
    return application, answers_of(keyring, application), tracking_of(keyring, application)


async def list_applications(
    session: AsyncSession, params: PageParams, *, sorting: Sorting | None = None, **filters: Any
) -> tuple[list[Application], str | None]:
    """A page of applications; with ``sorting`` in that order, its cursor carrying the sort value."""
    after, before = filters.get("applied_after"), filters.get("applied_before")
    if after is not None and before is not None and after >= before:
        message = "applied_before must be later than applied_after."
        raise Unprocessable(message, extra={"errors": [{"field": "applied_before", "message": message}]})
    rows = await repository.list_applications(session, params, sorting=sorting, **filters)
    if sorting is None:
        return page_of(rows, params)
    column = repository.SORT_COLUMNS[sorting.key].key
    return sorted_page_of(rows, params, sorting, lambda row: getattr(row, column))


# Seeing a candidate's name is reading their personal data: only with this scope, and audited.
CANDIDATE_NAMES_SCOPE = "candidates:read"


@dataclass(frozen=True)
class DisplayFields:
    """What a list screen shows beside ids, fetched once per page (no call per row)."""

    candidate_names: dict[uuid.UUID, str]
    job_titles: dict[uuid.UUID, str]


async def display_fields(
    session: AsyncSession,
    principal: Principal,
    *,
    candidate_ids: Iterable[uuid.UUID],
    job_ids: Iterable[uuid.UUID],
    keyring: KeyRing,
    purpose: str,
) -> DisplayFields:
    """Job titles for anyone who may read the list; candidate names only for callers holding
    ``candidates:read``, read in one batch that the candidates context audits (``purpose`` names
    the list). Interviews use this too, so they reach names through the pipeline's service."""
    titles = await jobs.job_titles(session, principal, job_ids)
    names: dict[uuid.UUID, str] = {}
    if CANDIDATE_NAMES_SCOPE in principal.scopes:
        labels = await candidates.candidate_labels(
            session, principal, candidate_ids, keyring=keyring, purpose=purpose
        )
        names = {candidate_id: label.full_name for candidate_id, label in labels.items()}
    return DisplayFields(candidate_names=names, job_titles=titles)


async def ranked(
    session: AsyncSession, principal: Principal, job_id: uuid.UUID, limit: int
) -> list[Application]:
    await jobs.get_job(session, principal, job_id)  # 404 for an unknown job
    return list(await repository.ranked_for_job(session, job_id, limit))


async def history(
    session: AsyncSession, application_id: uuid.UUID
) -> list[tuple[ApplicationTransition, float | None]]:
    """Transitions, oldest first, each with the seconds spent in the stage it entered (None: still there)."""
    await get_application(session, application_id)
    rows = list(await repository.transitions(session, application_id))
    spans: list[tuple[ApplicationTransition, float | None]] = []
    for index, row in enumerate(rows):
        following = rows[index + 1] if index + 1 < len(rows) else None
        spans.append((row, (following.at - row.at).total_seconds() if following else None))
    return spans


def already_applied() -> Conflict:
    return Conflict(
        "This person has already applied to this job; the first application's status link shows how it goes.",
    )


async def add_application(
    session: AsyncSession,
    principal: Principal,
    *,
    job_id: uuid.UUID,
    candidate_id: uuid.UUID,
    source: str,
    source_details: str | dict[str, Any] | None = None,
    answers: str | None = None,
    application_id: uuid.UUID | None = None,
    consent: dict[str, Any] | None = None,
    resume_file_id: uuid.UUID | None = None,
    match: dict[str, Any] | None = None,
    status_token_hash: str | None = None,
    status_token_expires_at: datetime | None = None,
) -> Application:
    """Put a candidate in the first stage of a job: the one place an application is born.

    A second live application of the same person to the same job is a 409, decided by the unique
    index so that two simultaneous submissions cannot both win.
    """
    job = await jobs.get_job(session, principal, job_id)
    if job.status in ("draft", "closed"):
        raise Conflict(f"The job is {job.status}; applications can be added to open or paused jobs only.")
    if await repository.live_application(session, job_id, candidate_id) is not None:
        raise already_applied()
    first = job.stages[0]
    now = utcnow()
    application = Application(
        id=application_id or new_id(),
        organisation_id=principal.organisation_id,
        job_id=job_id,
        candidate_id=candidate_id,
        stage=first["name"],
        stage_type=first["type"],
        status="active",
        answers=answers,
        consent=consent,
        source=source,
        source_details=source_details or {},  # sealed by the caller (seal_tracking), like answers
        resume_file_id=resume_file_id,
        match_score=None if match is None else int(match["total"]),
        match=match,
        status_token_hash=status_token_hash,
        status_token_expires_at=status_token_expires_at,
        stage_entered_at=now,
        last_activity_at=now,
        version=1,
    )
    try:
        # In a savepoint, so that losing the race on the unique index leaves the caller's
        # transaction usable (on PostgreSQL a failed statement would abort all of it).
        async with session.begin_nested():
            session.add(application)
            await session.flush()
    except IntegrityError as exc:
        raise already_applied() from exc
    record_transition(session, principal, application, "applied", from_stage=None, from_type=None)
    emit(session, principal, ApplicationCreated(application=snapshot(application)))
    return application


async def create_application(
    session: AsyncSession, principal: Principal, body: ApplicationCreate, *, candidate_source: str
) -> Application:
    """A recruiter adds someone; the score uses their newest resume (years unknown) if there is one."""
    resume = await scoring.newest_resume(session, body.candidate_id)
    resume_id = resume.id if resume else None
    match = await scoring.match_from_resume(session, principal, body.job_id, resume, None)
    return await add_application(
        session,
        principal,
        job_id=body.job_id,
        candidate_id=body.candidate_id,
        source=body.source or candidate_source,
        resume_file_id=resume_id,
        match=match,
    )


def _check_action(application: Application, action: stages.Action) -> None:
    if action not in stages.allowed(application.status):
        raise Conflict(stages.refusal(application.status, action))


async def _load(session: AsyncSession, application_id: uuid.UUID, if_match: str | None) -> Application:
    application = await get_application(session, application_id)
    if if_match is not None:
        check_if_match(if_match, application.id, application.version)
    return application


async def move(
    session: AsyncSession,
    principal: Principal,
    application_id: uuid.UUID,
    stage: str,
    *,
    if_match: str | None = None,
    bulk_id: uuid.UUID | None = None,
) -> Application:
    application = await _load(session, application_id, if_match)
    _check_action(application, "move")
    current_stages = await job_stages(session, principal, application)
    target = stages.find(current_stages, stage)
    targets = stages.move_targets(current_stages, application.stage)
    if target is None:
        raise problem(
            "stage",
            f"The job has no stage {stage!r}; its stages are: {', '.join(s['name'] for s in current_stages)}",
        )
    if target["type"] == "rejected":
        raise problem("stage", "Use the reject action (with a reason) to reject an application.")
    if target["type"] == "hired":
        raise problem("stage", "Applications are hired by accepting an offer, not by a move.")
    if target["name"] not in targets:
        raise Conflict(f"The application is already in {target['name']!r}.")
    return await change(
        session,
        principal,
        application,
        "move",
        to_stage=target,
        status="active",
        event_class=ApplicationStageChanged,
        bulk_id=bulk_id,
    )


async def reject(
    session: AsyncSession,
    principal: Principal,
    application_id: uuid.UUID,
    reason: str,
    *,
    if_match: str | None = None,
    bulk_id: uuid.UUID | None = None,
) -> Application:
    application = await _load(session, application_id, if_match)
    _check_action(application, "reject")
    settings = await get_settings(session, principal.organisation_id)
    keys = [item["key"] for item in settings.reject_reasons]
    if reason not in keys:
        raise problem(
            "reason", f"Unknown reject reason {reason!r}; the organisation's reasons are: {', '.join(keys)}."
        )
    target = stages.first_of_type(await job_stages(session, principal, application), "rejected")
    return await change(
        session,
        principal,
        application,
        "reject",
        to_stage=target,
        status="rejected",
        event_class=ApplicationRejected,
        reason=reason,
        bulk_id=bulk_id,
    )


async def withdraw(
    session: AsyncSession, principal: Principal, application_id: uuid.UUID, *, if_match: str | None = None
) -> Application:
    application = await _load(session, application_id, if_match)
    _check_action(application, "withdraw")
    return await change(
        session,
        principal,
        application,
        "withdraw",
        to_stage=None,
        status="withdrawn",
        event_class=ApplicationWithdrawn,
    )


async def unreject(
    session: AsyncSession, principal: Principal, application_id: uuid.UUID, *, if_match: str | None = None
) -> Application:
    application = await _load(session, application_id, if_match)
    _check_action(application, "unreject")
    current_stages = await job_stages(session, principal, application)
    last = await repository.last_transition(session, application.id, "reject")
    previous = stages.find(current_stages, last.from_stage) if last and last.from_stage else None
    if previous is None or previous["type"] in stages.TERMINAL_TYPES:
        previous = current_stages[0]
    return await change(
        session,
        principal,
        application,
        "unreject",
        to_stage=previous,
        status="active",
        event_class=ApplicationStageChanged,
    )


async def allowed_actions(
    session: AsyncSession, principal: Principal, application_id: uuid.UUID
) -> tuple[Application, list[dict[str, Any]]]:
    """What this caller may do next with the application, with where to send each request."""
    application = await get_application(session, application_id)
    base = f"/v1/applications/{application.id}"
    actions: list[dict[str, Any]] = []
    may_write = "applications:write" in principal.scopes
    for action in stages.allowed(application.status) if may_write else []:
        if action == "move":
            targets = stages.move_targets(
                await job_stages(session, principal, application), application.stage
            )
            if targets:
                actions.append({"action": "move", "stages": targets, "href": f"{base}/move"})
        elif action == "reject":
            settings = await get_settings(session, principal.organisation_id)
            actions.append({"action": "reject", "reasons": settings.reject_reasons, "href": f"{base}/reject"})
        else:
            actions.append({"action": action, "href": f"{base}/{action}"})
    if application.status == "active":
        if application.stage_type == "offer" and "offers:write" in principal.scopes:
            actions.append({"action": "make_offer", "href": f"{base}/offers"})
        if "interviews:write" in principal.scopes:
            actions.append({"action": "schedule_interview", "href": f"{base}/interviews"})
    return application, actions


async def application_facts(session: AsyncSession, application_id: uuid.UUID) -> ApplicationFacts:
    return facts(await get_application(session, application_id))


async def job_applications(
    session: AsyncSession, job_id: uuid.UUID, *, status: str | None = "active"
) -> list[ApplicationFacts]:
    if status is None:
        rows = await repository.applications_where(session, job_id=job_id)
    else:
        rows = await repository.applications_where(session, job_id=job_id, status=status)
    return [facts(row) for row in rows]


async def candidate_applications(session: AsyncSession, candidate_id: uuid.UUID) -> list[ApplicationFacts]:
    """A candidate's live applications, oldest first; 404 for a candidate not in this organisation."""
    await candidates.require_candidate(session, candidate_id)
    return [facts(row) for row in await repository.applications_where(session, candidate_id=candidate_id)]


async def candidate_ids_with_application(
    session: AsyncSession, *, job_id: uuid.UUID | None = None, stage: str | None = None
) -> list[uuid.UUID]:
    """Ids of candidates with a live application to ``job_id`` and/or in ``stage`` (any status), so
    the candidates list can filter by job and stage without reading this context's tables. Declared
    to the candidates context as its application filter (pipeline/context.py)."""
    equal: dict[str, Any] = {}
    if job_id is not None:
        equal["job_id"] = job_id
    if stage is not None:
        equal["stage"] = stage
    return await repository.candidate_ids_where(session, **equal)


@dataclass(frozen=True)
class RankingRow:
    """What a ranking needs of an application: no personal data, nothing but columns."""

    id: uuid.UUID
    candidate_id: uuid.UUID
    stage: str
    created_at: datetime
    match_score: int | None


async def ranking_rows(
    session: AsyncSession, job_id: uuid.UUID, *, stage: str | None = None
) -> list[RankingRow]:
    """A job's active applications, optionally in one stage, as light rows (for the ranking of a job)."""
    return [RankingRow(*row) for row in await repository.ranking_rows(session, job_id, stage)]


async def match_details(
    session: AsyncSession, application_ids: list[uuid.UUID]
) -> dict[uuid.UUID, dict[str, Any]]:
    """The stored match score breakdowns (components with reasons) of these applications."""
    return await repository.matches_of(session, application_ids)
