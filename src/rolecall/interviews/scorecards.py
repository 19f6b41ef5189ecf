"""Use cases for scorecards: one per interviewer per interview, written blind, then frozen.

A scorecard is started lazily the first time its interviewer opens it, with one attribute per skill
the job's pinned role profile lists for the job's level, so every interviewer of a job rates the same
things. Ratings run 1-4 (no middle to hide in); a skill the interview did not cover is marked
``not_assessed`` instead, and every aggregate (the summary, the ranking's means) leaves it out rather
than counting it as a low rating. Other interviewers' scorecards stay hidden from an
interviewer until they have submitted their own, so nobody anchors on a colleague's verdict; staff
who are not on the interview (recruiters, hiring managers) see submitted scorecards only.

Notes are an opinion about a person: sealed with the KeyRing for ``scorecard:<id>:notes`` and never
put into events or audit entries. Services never commit.

A scorecard is evidence of an interview that took place: none is started, changed or submitted
before the interview's start (less :data:`START_LEEWAY`, for a panel that begins a few minutes
early) nor for a cancelled interview; both answer 409, like any other state conflict here.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, cast

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.audit import service as audit
from rolecall.interviews import repository
from rolecall.interviews.events import ScorecardSubmitted
from rolecall.interviews.models import Interview, Scorecard
from rolecall.interviews.schemas import RECOMMENDATIONS, Recommendation, ScorecardUpdate
from rolecall.interviews.service import get_interview, notes_context, sits_on
from rolecall.jobs import service as jobs
from rolecall.pipeline import service as pipeline
from rolecall.platform.auth import Principal
from rolecall.platform.clock import utcnow
from rolecall.platform.errors import Conflict, Forbidden, NotFound, Unprocessable
from rolecall.platform.events.outbox import emit
from rolecall.platform.http import check_if_match
from rolecall.platform.ids import new_id
from rolecall.platform.pii import KeyRing
from rolecall.roles import service as roles

#: How long before the scheduled start a scorecard may be opened: a panel may begin a few minutes
#: early, and interviewers' notes are written as it runs. Anything earlier is not a scorecard of the
#: interview (one was once accepted six days ahead).
START_LEEWAY: Final = timedelta(minutes=5)
NOT_ASSESSED: Final = "not_assessed"


@dataclass(frozen=True)
class ScorecardView:
    """A scorecard with its notes decrypted, for one response."""

    id: uuid.UUID
    interview_id: uuid.UUID
    application_id: uuid.UUID
    interviewer_id: uuid.UUID
    attributes: list[dict[str, Any]]
    recommendation: str | None
    notes: str | None
    status: str
    submitted_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime


def attribute_view(attribute: dict[str, Any]) -> dict[str, Any]:
    """One stored attribute as every reader sees it; rows written before 0017 have no flag."""
    return {**attribute, "not_assessed": bool(attribute.get(NOT_ASSESSED))}


def _view(keyring: KeyRing, card: Scorecard) -> ScorecardView:
    notes = None if card.notes is None else keyring.decrypt(card.notes, context=notes_context(card.id))
    return ScorecardView(
        id=card.id,
        interview_id=card.interview_id,
        application_id=card.application_id,
        interviewer_id=card.interviewer_id,
        attributes=[attribute_view(attribute) for attribute in card.attributes],
        recommendation=card.recommendation,
        notes=notes,
        status=card.status,
        submitted_at=card.submitted_at,
        version=card.version,
        created_at=card.created_at,
        updated_at=card.updated_at,
    )


async def _interview_i_sit_on(
    session: AsyncSession, principal: Principal, interview_id: uuid.UUID
) -> Interview:
    interview = await get_interview(session, principal, interview_id)
    if not sits_on(interview, principal):
        raise Forbidden("Only the interview's interviewers write scorecards for it.")
    return interview


async def _attributes(
    session: AsyncSession, principal: Principal, interview: Interview
) -> list[dict[str, Any]]:
    """One unrated attribute per skill the job's pinned profile gives a proficiency for at its level."""
    job = await jobs.get_job(session, principal, interview.job_id)
    profile = (await roles.pinned_profile(session, job.role_profile_id, job.profile_version)).document
    return [
        {"skill": skill.skill_id, "name": skill.name, "rating": None, NOT_ASSESSED: False}
        for skill in profile.skills
        if job.level in skill.proficiency
    ]


async def my_scorecard(
    session: AsyncSession, principal: Principal, interview_id: uuid.UUID, *, keyring: KeyRing
) -> ScorecardView:
    """The caller's scorecard for the interview, started as an empty draft the first time."""
    interview = await _interview_i_sit_on(session, principal, interview_id)
    card = await repository.get_scorecard(session, interview.id, principal.subject_id)
    if card is not None:
        return _view(keyring, card)
    _check_open(interview, "started")
    card = Scorecard(
        id=new_id(),
        organisation_id=principal.organisation_id,
        interview_id=interview.id,
        application_id=interview.application_id,
        interviewer_id=principal.subject_id,
        attributes=await _attributes(session, principal, interview),
        status="draft",
        version=1,
    )
    try:
        async with session.begin_nested():
            session.add(card)
            await session.flush()
    except IntegrityError:
        # The same interviewer opened it twice at once: the other request's draft is the one.
        existing = await repository.get_scorecard(session, interview.id, principal.subject_id)
        if existing is None:
            raise
        return _view(keyring, existing)
    _audit(session, principal, "scorecard.created", card)
    return _view(keyring, card)


def _check_open(interview: Interview, doing: str) -> None:
    """409 unless the interview may take scorecards now: not cancelled, and started (with leeway)."""
    if interview.status == "cancelled":
        raise Conflict(f"The interview is cancelled; no scorecard can be {doing} for it.")
    starts_at = interview.starts_at
    if utcnow() < starts_at - START_LEEWAY:
        raise Conflict(
            f"The interview starts at {starts_at:%Y-%m-%d %H:%M} UTC; a scorecard can be {doing} from "
            f"{int(START_LEEWAY.total_seconds() // 60)} minutes before its start, not earlier."
        )


async def _my_draft(
    session: AsyncSession, principal: Principal, interview_id: uuid.UUID, doing: str
) -> Scorecard:
    interview = await _interview_i_sit_on(session, principal, interview_id)
    card = await repository.get_scorecard(session, interview.id, principal.subject_id)
    if card is None:
        raise NotFound("You have no scorecard for this interview yet; GET it to start one.")
    if card.status == "submitted":
        raise Conflict("This scorecard is submitted and can no longer be changed.")
    # A draft started under older rules, or before the interview moved later, waits too.
    _check_open(interview, doing)
    return card


async def update_my_scorecard(
    session: AsyncSession,
    principal: Principal,
    interview_id: uuid.UUID,
    body: ScorecardUpdate,
    if_match: str,
    *,
    keyring: KeyRing,
) -> ScorecardView:
    card = await _my_draft(session, principal, interview_id, "changed")
    check_if_match(if_match, card.id, card.version)
    sent = body.model_dump(exclude_unset=True)
    changed: list[str] = []
    if sent.get("ratings"):
        attributes = _rated(card.attributes, sent["ratings"])
        if attributes != card.attributes:
            card.attributes = attributes  # a new list: JSON columns only notice reassignment
            changed.append("attributes")
    if "recommendation" in sent and sent["recommendation"] != card.recommendation:
        card.recommendation = sent["recommendation"]
        changed.append("recommendation")
    if "notes" in sent:
        current = _view(keyring, card).notes
        if sent["notes"] != current:
            notes = sent["notes"]
            card.notes = None if notes is None else keyring.encrypt(notes, context=notes_context(card.id))
            changed.append("notes")
    if changed:
        card.version += 1
        await session.flush()
        _audit(session, principal, "scorecard.updated", card, changed)
    return _view(keyring, card)


def _rated(attributes: list[dict[str, Any]], ratings: dict[str, int | str | None]) -> list[dict[str, Any]]:
    """Apply ``ratings``: 1-4 rates a skill, ``"not_assessed"`` marks it so, null clears both."""
    known = {attribute["skill"] for attribute in attributes}
    unknown = [skill for skill in ratings if skill not in known]
    if unknown:
        errors = [
            {"field": f"ratings.{skill}", "message": "Not a skill on this scorecard."} for skill in unknown
        ]
        raise Unprocessable("Rate only the skills listed on the scorecard.", extra={"errors": errors})
    updated = []
    for attribute in attributes:
        if attribute["skill"] not in ratings:
            updated.append(dict(attribute))
            continue
        value = ratings[attribute["skill"]]
        skipped = value == NOT_ASSESSED
        rating = None if skipped or value is None else int(value)
        updated.append({**attribute, "rating": rating, NOT_ASSESSED: skipped})
    return updated


async def submit_my_scorecard(
    session: AsyncSession, principal: Principal, interview_id: uuid.UUID, *, keyring: KeyRing
) -> ScorecardView:
    """Freeze the caller's draft: every skill rated or marked not assessed, and a recommendation."""
    card = await _my_draft(session, principal, interview_id, "submitted")
    errors = [
        {
            "field": f"attributes.{attribute['skill']}",
            "message": f"Rate {attribute['name']} (1-4) or mark it not assessed.",
        }
        for attribute in card.attributes
        if attribute["rating"] is None and not attribute.get(NOT_ASSESSED)
    ]
    if card.recommendation is None:
        errors.append({"field": "recommendation", "message": "Give a recommendation."})
    if errors:
        raise Unprocessable(
            "Rate every skill (or mark it not assessed) and give a recommendation before submitting.",
            extra={"errors": errors},
        )
    card.status = "submitted"
    card.submitted_at = utcnow()
    card.version += 1
    await session.flush()
    _audit(session, principal, ScorecardSubmitted.event_type, card)
    interview = await get_interview(session, principal, interview_id)
    event = ScorecardSubmitted(
        scorecard_id=card.id,
        interview_id=card.interview_id,
        application_id=card.application_id,
        job_id=interview.job_id,
        interviewer_id=card.interviewer_id,
        recommendation=cast(Recommendation, card.recommendation),
        ratings={a["skill"]: a["rating"] for a in card.attributes if a["rating"] is not None},
        not_assessed=[a["skill"] for a in card.attributes if a.get(NOT_ASSESSED)],
        submitted_at=card.submitted_at,
    )
    emit(session, event)
    return _view(keyring, card)


async def interview_scorecards(
    session: AsyncSession, principal: Principal, interview_id: uuid.UUID, *, keyring: KeyRing
) -> list[ScorecardView]:
    """Submitted scorecards of the interview, for those allowed to read them.

    An interviewer on the interview gets 403 until their own scorecard is submitted (rather than an
    empty list, which would read as "nobody has submitted"). Anyone else needs ``applications:read``.
    """
    interview = await get_interview(session, principal, interview_id)
    if sits_on(interview, principal):
        mine = await repository.get_scorecard(session, interview.id, principal.subject_id)
        if mine is None or mine.status != "submitted":
            raise Forbidden("Submit your own scorecard for this interview before reading the others'.")
    elif "applications:read" not in principal.scopes:
        raise Forbidden("Reading scorecards needs applications:read, or being one of the interviewers.")
    cards = await repository.scorecards_of_interviews(session, [interview.id], submitted_only=True)
    audit.record(
        session,
        actor=principal.actor,
        action="scorecard.listed",
        target_type="interview",
        target_id=interview.id,
        scorecard_ids=[str(card.id) for card in cards],
    )
    return [_view(keyring, card) for card in cards]


async def application_summary(
    session: AsyncSession, principal: Principal, application_id: uuid.UUID
) -> dict[str, Any]:
    """Per-skill average rating and recommendation counts over the application's submitted scorecards.

    A skill marked not assessed is counted apart (``not_assessed``) and is no part of the average.

    The blind-review rule holds here too: someone on one of the application's (not cancelled)
    interviews who has not submitted their scorecard for it gets 403, or the averages would tell
    them what their colleagues thought.
    """
    facts = await pipeline.application_facts(session, application_id)
    for interview in await repository.interviews_of_application(session, facts.id):
        if interview.status == "cancelled" or not sits_on(interview, principal):
            continue
        mine = await repository.get_scorecard(session, interview.id, principal.subject_id)
        if mine is None or mine.status != "submitted":
            raise Forbidden(
                "Submit your scorecards for this application's interviews before reading the summary."
            )
    cards = await repository.submitted_scorecards_of_application(session, facts.id)
    names: dict[str, str] = {}
    ratings: dict[str, list[int]] = {}
    skipped: dict[str, int] = {}
    recommendations = dict.fromkeys(RECOMMENDATIONS, 0)
    for card in cards:
        if card.recommendation in recommendations:
            recommendations[card.recommendation] += 1
        for attribute in card.attributes:
            names.setdefault(attribute["skill"], attribute["name"])
            if attribute["rating"] is not None:
                ratings.setdefault(attribute["skill"], []).append(int(attribute["rating"]))
            elif attribute.get(NOT_ASSESSED):
                skipped[attribute["skill"]] = skipped.get(attribute["skill"], 0) + 1
    skills = [
        {
            "skill": skill,
            "name": name,
            "average_rating": round(sum(got) / len(got), 2) if (got := ratings.get(skill)) else None,
            "ratings": len(ratings.get(skill, [])),
            "not_assessed": skipped.get(skill, 0),
        }
        for skill, name in names.items()
    ]
    return {
        "application_id": facts.id,
        "scorecards": len(cards),
        "skills": skills,
        "recommendations": recommendations,
    }


def _audit(
    session: AsyncSession,
    principal: Principal,
    action: str,
    card: Scorecard,
    changed: list[str] | None = None,
) -> None:
    audit.record(
        session,
        actor=principal.actor,
        action=action,
        target_type="scorecard",
        target_id=card.id,
        changed_fields=changed or (),
        interview_id=str(card.interview_id),
    )
