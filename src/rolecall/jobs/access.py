"""Need-to-know access for jobs (see :mod:`rolecall.platform.access`).

A restricted staff member sees the jobs whose hiring team names them, plus the jobs of the interviews
they sit on (an interviewer needs the job's title). The team query registered here is the one query
that computes a session's scope (run by the platform at most once a second per staff member and
process, and again after any job is written).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ColumnElement, Select, String, cast, or_, select

from rolecall.jobs.models import Job
from rolecall.platform.access import AccessScope, resolve_teams, restrict, visible


@resolve_teams
def team_jobs(user_id: uuid.UUID) -> Select[Any]:
    # hiring_team is a JSON list of {"user_id": "<canonical uuid>", "role": ...}: the quoted id in the
    # column's text finds that member on SQLite and PostgreSQL alike (as the job list's filter does).
    return select(Job.id).where(cast(Job.hiring_team, String).like(f'%"{user_id}"%'))


@restrict("jobs", job="id")
def _jobs(cls: Any, scope: AccessScope) -> ColumnElement[bool]:
    return or_(cls.id.in_(scope.job_ids), cls.id.in_(visible("interviewed_jobs", scope)))
