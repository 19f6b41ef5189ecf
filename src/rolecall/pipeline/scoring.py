"""The match score of an application: the candidate's evidence against the job's pinned profile level.

Evidence is the skills found in the candidate's newest resume and the years of experience they
stated (unknown for people a recruiter added). The score and its components come from
:func:`rolecall.candidates.matching.score`; the evidence is kept next to them in ``match`` so a
recruiter sees what the score was computed from, and so a new resume can be scored with the years
given earlier.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.candidates import service as candidates
from rolecall.candidates.matching import CandidateEvidence, score
from rolecall.jobs import service as jobs
from rolecall.pipeline import repository
from rolecall.pipeline.records import emit
from rolecall.platform.auth import Principal
from rolecall.roles import service as roles


async def match_for(
    session: AsyncSession,
    principal: Principal,
    job_id: uuid.UUID,
    *,
    skills: list[str],
    years: float | None,
    resume_file_id: uuid.UUID | None,
) -> dict[str, Any]:
    job = await jobs.get_job(session, principal, job_id)
    profile = (await roles.pinned_profile(session, job.role_profile_id, job.profile_version)).document
    evidence = CandidateEvidence(skills=dict.fromkeys(skills), years_experience=years)
    result = score(profile, job.level, evidence).model_dump(mode="json")
    result["evidence"] = {
        "skills": sorted(skills),
        "years_experience": years,
        "resume_file_id": str(resume_file_id) if resume_file_id else None,
    }
    return result


async def newest_resume(session: AsyncSession, candidate_id: uuid.UUID) -> tuple[uuid.UUID | None, list[str]]:
    """The candidate's newest resume and its skills (no personal data is read, so nothing is audited)."""
    resumes = [f for f in await candidates.list_files(session, candidate_id) if f.kind == "resume"]
    if not resumes:
        return None, []
    newest = max(resumes, key=lambda f: (f.created_at, f.id))
    return newest.id, list(newest.skills)


def stated_years(match: dict[str, Any] | None) -> float | None:
    evidence = (match or {}).get("evidence") or {}
    years = evidence.get("years_experience")
    return float(years) if isinstance(years, int | float) else None


async def rescore_for_resume(
    session: AsyncSession, principal: Principal, candidate_id: uuid.UUID, file_id: uuid.UUID
) -> int:
    """A new resume re-scores the person's active applications (years stated earlier are kept).

    Idempotent: an application already scored from this file is left alone, so a redelivered event
    changes nothing. Returns how many applications were re-scored.
    """
    resume_id, skills = await newest_resume(session, candidate_id)
    if resume_id != file_id:
        return 0  # an older upload, or one removed since: the newest resume already counts
    rescored = 0
    for application in await repository.applications_where(
        session, candidate_id=candidate_id, status="active"
    ):
        if application.resume_file_id == file_id:
            continue
        years = stated_years(application.match)
        match = await match_for(
            session, principal, application.job_id, skills=skills, years=years, resume_file_id=file_id
        )
        application.match, application.match_score = match, int(match["total"])
        application.resume_file_id = file_id
        application.version += 1
        await session.flush()
        emit(session, principal, "application.rescored", application)
        rescored += 1
    return rescored
