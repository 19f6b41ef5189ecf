"""Need-to-know access for assessments (see :mod:`rolecall.platform.access`).

A job's blueprint, settings, sessions and their answers, marks and signals are visible with the job.
The question bank, partner keys and vendors belong to the organisation, not to a job, and stay
visible to all staff whose scopes reach them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, select

from rolecall.assessments.models import AssessmentBlueprint, AssessmentSession
from rolecall.platform.access import AccessScope, restrict


@restrict("assessment_sessions")
@restrict("assessment_blueprints")
@restrict("assessment_job_settings")
def _by_job(cls: Any, scope: AccessScope) -> ColumnElement[bool]:
    return and_(cls.job_id.in_(scope.job_ids))


@restrict("assessment_responses")
@restrict("assessment_marks")
@restrict("assessment_signals")
def _by_session(cls: Any, scope: AccessScope) -> ColumnElement[bool]:
    of_jobs = select(AssessmentSession.id).where(AssessmentSession.job_id.in_(scope.job_ids))
    return and_(cls.session_id.in_(of_jobs))


@restrict("assessment_blueprint_versions")
def _by_blueprint(cls: Any, scope: AccessScope) -> ColumnElement[bool]:
    of_jobs = select(AssessmentBlueprint.id).where(AssessmentBlueprint.job_id.in_(scope.job_ids))
    return and_(cls.blueprint_id.in_(of_jobs))
