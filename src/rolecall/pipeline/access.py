"""Need-to-know access for applications (see :mod:`rolecall.platform.access`).

Applications and their history are visible with their job; an interviewer also sees the application
of an interview they sit on (the ``interviewed_applications`` set, filled by the interviews context).
The pipeline is also what makes a candidate visible: it contributes the candidates of the caller's
jobs to the ``candidates`` set the candidates context filters by.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, and_, or_, select

from rolecall.pipeline.models import Application
from rolecall.platform.access import AccessScope, contribute, restrict, visible


@restrict("applications")
def _applications(cls: Any, scope: AccessScope) -> ColumnElement[bool]:
    return or_(cls.job_id.in_(scope.job_ids), cls.id.in_(visible("interviewed_applications", scope)))


@restrict("application_transitions")
def _transitions(cls: Any, scope: AccessScope) -> ColumnElement[bool]:
    return and_(cls.job_id.in_(scope.job_ids))


@contribute("candidates")
def _candidates_of_jobs(scope: AccessScope) -> Select[Any]:
    return select(Application.candidate_id).where(Application.job_id.in_(scope.job_ids))
