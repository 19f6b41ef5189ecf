"""The ranked list of a job's active applications, read in a fixed number of queries however many there are.

Applications come from the pipeline (light rows with the match score), interview ratings from the
interviews context (one query over the job's submitted scorecards), assessment results from this
context's sessions. Ranking itself is the pure :mod:`rolecall.assessments.ranking`. Only the page
asked for is explained, and only its entries read what the explanation alone needs: the sessions'
per-skill scores and the match score's missing must-haves (stored documents, too heavy to decode
for thousands when fifty are shown).
"""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.assessments import invitations, ranking
from rolecall.assessments.models import AssessmentSession
from rolecall.interviews import service as interviews
from rolecall.jobs import service as jobs
from rolecall.pipeline import service as pipeline
from rolecall.platform.auth import Principal
from rolecall.platform.errors import BadRequest, Unprocessable

MAX_LIMIT = 200


async def _assessments(
    session: AsyncSession, job_id: uuid.UUID
) -> dict[uuid.UUID, tuple[uuid.UUID, float, int]]:
    """The newest scored (or marking) session per application of the job: its id, total, pending."""
    stmt = (
        select(
            AssessmentSession.application_id,
            AssessmentSession.id,
            AssessmentSession.total,
            AssessmentSession.pending_marking,
        )
        .where(
            AssessmentSession.job_id == job_id,
            AssessmentSession.status.in_(("scored", "marking")),
            AssessmentSession.total.is_not(None),
        )
        .order_by(AssessmentSession.submitted_at)
    )
    out: dict[uuid.UUID, tuple[uuid.UUID, float, int]] = {}
    for application_id, session_id, total, pending in (await session.execute(stmt)).all():
        if application_id is not None and total is not None:  # the query excludes a null total
            out[application_id] = (session_id, float(total), int(pending or 0))
    return out


async def _skill_scores(session: AsyncSession, session_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[Any]]:
    if not session_ids:
        return {}
    stmt = select(AssessmentSession.id, AssessmentSession.skill_scores).where(
        AssessmentSession.id.in_(session_ids)
    )
    return {session_id: list(skills or []) for session_id, skills in (await session.execute(stmt)).all()}


async def ranked(
    session: AsyncSession,
    principal: Principal,
    job_id: uuid.UUID,
    *,
    stage: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> dict[str, Any]:
    if not 1 <= limit <= MAX_LIMIT:
        raise Unprocessable(
            f"limit must be between 1 and {MAX_LIMIT}.",
            extra={"errors": [{"field": "limit", "message": f"between 1 and {MAX_LIMIT}"}]},
        )
    if offset < 0:
        raise BadRequest("The cursor is not valid.")
    await jobs.get_job(session, principal, job_id)  # 404 for an unknown job or another tenant's
    settings = await invitations.job_settings(session, principal, job_id)
    rows = await pipeline.ranking_rows(session, job_id, stage=stage)
    results = await _assessments(session, job_id)
    ratings = await interviews.job_rating_means(session, job_id)
    candidates = []
    for row in rows:
        _, total, pending = results.get(row.id, (None, None, 0))
        skill_means, cards = ratings.get(row.id, ({}, 0))
        candidates.append(
            ranking.Candidate(
                application_id=row.id,
                candidate_id=row.candidate_id,
                stage=row.stage,
                applied_at=row.created_at,
                match_score=float(row.match_score) if row.match_score is not None else None,
                assessment_total=total,
                assessment_pending=pending,
                scorecard_skills=skill_means,
                scorecards=cards,
            )
        )
    everyone = ranking.order(candidates, settings.weights)
    window = everyone[offset : offset + limit]
    sessions = {
        c.application_id: results[c.application_id][0] for _, _, c in window if c.application_id in results
    }
    skills = await _skill_scores(session, list(sessions.values()))
    page = []
    for place, score, candidate in window:
        session_id = sessions.get(candidate.application_id)
        found = skills.get(session_id, []) if session_id is not None else []
        page.append(ranking.explained(place, score, dataclasses.replace(candidate, assessment_skills=found)))
    matches = await pipeline.match_details(session, [r.candidate.application_id for r in page])
    entries = []
    for entry in page:
        lowered = list(entry.lowered)
        gaps = [
            str(component.get("skill"))
            for component in matches.get(entry.candidate.application_id, {}).get("components", [])
            if component.get("kind") == "missing_must_have"
        ]
        if gaps:
            lowered.append("Resume does not show the must-have skills " + ", ".join(gaps))
        entries.append(
            {
                "rank": entry.rank,
                "application_id": entry.candidate.application_id,
                "candidate_id": entry.candidate.candidate_id,
                "stage": entry.candidate.stage,
                "score": entry.score,
                "evidence": entry.parts,
                "lifted": entry.lifted,
                "lowered": lowered,
                "missing": entry.missing,
            }
        )
    following = offset + limit if offset + limit < len(everyone) else None
    return {
        "job_id": job_id,
        "weights": ranking.normalised(settings.weights),
        "total": len(everyone),
        "items": entries,
        "next_offset": following,
    }


async def set_weights(
    session: AsyncSession, principal: Principal, job_id: uuid.UUID, weights: dict[str, float]
) -> dict[str, float]:
    await jobs.get_job(session, principal, job_id)
    unknown = sorted(set(weights) - set(ranking.EVIDENCE))
    if unknown or any(v < 0 for v in weights.values()) or sum(weights.values()) <= 0:
        raise Unprocessable(
            "Weights are non-negative numbers for assessment, match and scorecards, not all zero.",
            extra={
                "errors": [
                    {"field": "weights", "message": "keys assessment, match, scorecards; >= 0; sum > 0"}
                ]
            },
        )
    settings = await invitations.job_settings(session, principal, job_id)
    settings.weights = {k: float(weights.get(k, 0.0)) for k in ranking.EVIDENCE}
    settings.version += 1
    await session.flush()
    return ranking.normalised(settings.weights)
