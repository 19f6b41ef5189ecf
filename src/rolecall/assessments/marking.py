"""Human marking of short-text answers against their rubric, and corrections of any mark.

Marking is blind: the queue shows the question, the rubric and the answer, never the candidate's
name, their other scores, or any accommodation they were granted. Every mark is a new row (the
newest counts), so a correction keeps the mark it replaced and who gave it.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.assessments import grading, invitations, repository, scoring
from rolecall.assessments.events import AssessmentScored
from rolecall.assessments.models import AssessmentMark, AssessmentSession
from rolecall.platform.auth import Principal
from rolecall.platform.clock import utcnow
from rolecall.platform.errors import Conflict, Unprocessable
from rolecall.platform.pii import KeyRing

MAX_COMMENT = 2000


async def queue(
    session: AsyncSession, principal: Principal, keyring: KeyRing, *, job_id: uuid.UUID | None = None
) -> list[dict[str, Any]]:
    """Every answer waiting for a person, oldest submission first."""
    out: list[dict[str, Any]] = []
    for record in await repository.marking_sessions(session, job_id):
        versions = await grading.pinned_versions(session, record)
        marks = grading.latest_marks(await repository.marks(session, record.id))
        latest = grading.latest_responses(await repository.responses(session, record.id))
        for position, mark in sorted(marks.items()):
            if mark.status != "pending_marking":
                continue
            content = grading.content_of(versions[position])
            response = latest.get(position)
            out.append(
                {
                    "session_id": record.id,
                    "job_id": record.job_id,
                    "position": position,
                    "skill_id": versions[position].skill_id,
                    "prompt": content.prompt,
                    "rubric": [c.model_dump() for c in getattr(content, "rubric", [])],
                    "model_answer": getattr(content, "model_answer", None),
                    "answer": grading.answer_of(keyring, response).get("text", "") if response else "",
                    "submitted_at": record.submitted_at,
                }
            )
    return out


async def mark(
    session: AsyncSession,
    principal: Principal,
    session_id: uuid.UUID,
    position: int,
    awarded: dict[str, int],
    comment: str | None = None,
) -> AssessmentSession:
    """Give points per rubric criterion (short text) and re-total; the last pending answer marked
    finishes the session and publishes the final score."""
    record = await invitations.get_session(session, session_id)
    if record.status not in ("marking", "scored"):
        raise Conflict("Only submitted assessments can be marked.")
    if comment is not None and len(comment) > MAX_COMMENT:
        raise Unprocessable(
            "The comment is too long.",
            extra={"errors": [{"field": "comment", "message": f"at most {MAX_COMMENT} characters"}]},
        )
    versions = await grading.pinned_versions(session, record)
    version = versions.get(position)
    if version is None:
        raise Unprocessable(
            f"This assessment has no question {position + 1}.",
            extra={"errors": [{"field": "position", "message": "not in this attempt"}]},
        )
    content = grading.content_of(version)
    if content.type != "short_text":
        raise Conflict("Only short-text answers are marked by people; the others are scored automatically.")
    try:
        credit = scoring.rubric_credit(content, awarded)
    except ValueError as exc:
        raise Unprocessable(str(exc), extra={"errors": [{"field": "awarded", "message": str(exc)}]}) from exc
    latest = grading.latest_responses(await repository.responses(session, record.id)).get(position)
    session.add(
        AssessmentMark(
            organisation_id=record.organisation_id,
            session_id=record.id,
            position=position,
            item_version_id=version.id,
            response_id=latest.id if latest else None,
            credit=credit,
            status="scored",
            source="human",
            detail={"awarded": dict(awarded), "comment": comment or ""},
            marker=principal.actor,
        )
    )
    await session.flush()
    was = record.status
    summary = await grading.refresh_summary(session, record)
    record.status = "marking" if summary.pending else "scored"
    record.version += 1
    if record.status == "scored":
        record.scored_at = utcnow()
    await session.flush()
    if record.status == "scored":
        invitations.emit(session, principal, AssessmentScored, record, final=True, corrected=was == "scored")
    return record
