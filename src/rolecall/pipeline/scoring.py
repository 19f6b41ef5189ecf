"""The match score of an application: the candidate's evidence against the job's pinned profile level.

Evidence is the skills found in the candidate's newest resume, the proficiency written next to each
skill and the years of experience found in its text (stored with the file, so a score made later
from the stored resume sees them too), and the years of experience the candidate stated (unknown for
people a recruiter added; stated years win over the resume's). Evidence with a resume
is scored as resume evidence: soft skills are "not assessed", not missing. The score and its
components come from :func:`rolecall.candidates.matching.score`; the evidence is kept next to them
in ``match`` so a recruiter sees what the score was computed from, and so a new resume can be scored
with the years given earlier (``years_experience`` there is only ever what the candidate stated).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.candidates import service as candidates
from rolecall.candidates.matching import CandidateEvidence, resume_evidence, score
from rolecall.jobs import service as jobs
from rolecall.pipeline import repository
from rolecall.pipeline.events import ApplicationRescored
from rolecall.pipeline.records import emit, snapshot
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
    proficiency: Mapping[str, int] | None = None,
    resume_years: float | None = None,
) -> dict[str, Any]:
    """Score the evidence against the job's pinned profile level; ``years`` are the stated ones.

    ``proficiency`` (levels stated next to skills) and ``resume_years`` come from a resume parsed
    in this request; both are ignored without a resume.
    """
    job = await jobs.get_job(session, principal, job_id)
    profile = (await roles.pinned_profile(session, job.role_profile_id, job.profile_version)).document
    levels = {s: level for s, level in (proficiency or {}).items() if s in skills} if resume_file_id else {}
    found_years = resume_years if resume_file_id else None
    evidence = _evidence(skills, levels, years, found_years, from_resume=resume_file_id is not None)
    result = score(profile, job.level, evidence).model_dump(mode="json")
    result["evidence"] = {
        "skills": sorted(skills),
        "proficiency": dict(sorted(levels.items())),
        "years_experience": years,
        "resume_years_experience": found_years,
        "source": evidence.source,
        "resume_file_id": str(resume_file_id) if resume_file_id else None,
    }
    return result


def _evidence(
    skills: list[str],
    proficiency: Mapping[str, int],
    years: float | None,
    resume_years: float | None,
    *,
    from_resume: bool,
) -> CandidateEvidence:
    """The match evidence of an application: resume evidence when there is a resume, else nothing
    but the stated years (a person without a resume has no skill evidence at all)."""
    if not from_resume:
        return CandidateEvidence(skills=dict.fromkeys(skills), years_experience=years)
    return resume_evidence(
        {s: proficiency.get(s) for s in skills}, stated_years=years, resume_years=resume_years
    )


async def newest_resume(session: AsyncSession, candidate_id: uuid.UUID) -> candidates.FileView | None:
    """The candidate's newest resume: its skills and stored facts (no personal data is read, so
    nothing is audited)."""
    resumes = [f for f in await candidates.list_files(session, candidate_id) if f.kind == "resume"]
    return max(resumes, key=lambda f: (f.created_at, f.id)) if resumes else None


async def match_from_resume(
    session: AsyncSession,
    principal: Principal,
    job_id: uuid.UUID,
    resume: candidates.FileView | None,
    years: float | None,
) -> dict[str, Any]:
    """The match score from a stored resume (its skills, stated levels and years) and stated years."""
    if resume is None:
        return await match_for(session, principal, job_id, skills=[], years=years, resume_file_id=None)
    return await match_for(
        session,
        principal,
        job_id,
        skills=list(resume.skills),
        years=years,
        resume_file_id=resume.id,
        proficiency=resume.proficiency,
        resume_years=resume.years_experience,
    )


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
    resume = await newest_resume(session, candidate_id)
    if resume is None or resume.id != file_id:
        return 0  # an older upload, or one removed since: the newest resume already counts
    rescored = 0
    for application in await repository.applications_where(
        session, candidate_id=candidate_id, status="active"
    ):
        if application.resume_file_id == file_id:
            continue
        years = stated_years(application.match)
        match = await match_from_resume(session, principal, application.job_id, resume, years)
        application.match, application.match_score = match, int(match["total"])
        application.resume_file_id = file_id
        application.version += 1
        await session.flush()
        emit(session, principal, ApplicationRescored(application=snapshot(application)))
        rescored += 1
    return rescored
