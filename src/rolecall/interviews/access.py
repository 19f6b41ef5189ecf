"""Need-to-know access for interviews and scorecards (see :mod:`rolecall.platform.access`).

A restricted staff member sees the interviews of their jobs and every interview they sit on; from the
latter, the candidate, the application and the job's title (the sets contributed below), which is
what running the interview needs. Scorecards: those of their jobs, and their own.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, or_, select

from rolecall.interviews.models import Interview
from rolecall.platform.access import AccessScope, contribute, restrict


@restrict("interviews")
def _interviews(cls: Any, scope: AccessScope) -> ColumnElement[bool]:
    return or_(cls.job_id.in_(scope.job_ids), scope.listed(cls.interviewer_ids))


@restrict("scorecards")
def _scorecards(cls: Any, scope: AccessScope) -> ColumnElement[bool]:
    of_jobs = select(Interview.id).where(Interview.job_id.in_(scope.job_ids))
    return or_(cls.interviewer_id == scope.user_id, cls.interview_id.in_(of_jobs))


def _sat_on(column: Any, scope: AccessScope) -> Select[Any]:
    return select(column).where(scope.listed(Interview.interviewer_ids))


@contribute("candidates")
def _interviewed_candidates(scope: AccessScope) -> Select[Any]:
    return _sat_on(Interview.candidate_id, scope)


@contribute("interviewed_applications")
def _interviewed_applications(scope: AccessScope) -> Select[Any]:
    return _sat_on(Interview.application_id, scope)


@contribute("interviewed_jobs")
def _interviewed_jobs(scope: AccessScope) -> Select[Any]:
    return _sat_on(Interview.job_id, scope)
