"""A job's applications with their candidates' contact details, as rows for a CSV export.

Exporting copies personal data out of Rolecall, so it is its own scope (``candidates:export``) on
top of reading candidates and applications, and it is audited twice over: the candidates context
records a ``candidate.listed`` entry naming every person in the file (as any list of people does),
and this module records one ``applications.exported`` entry saying who exported which job and how
many rows. Applications are read in pages of :data:`PAGE` ordered by id, so a job with many
applicants never loads as one result set; candidates are looked up once per page.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.audit import service as audit
from rolecall.candidates import service as candidates
from rolecall.jobs import service as jobs
from rolecall.pipeline.models import Application
from rolecall.platform.auth import Principal
from rolecall.platform.pii import KeyRing

PAGE = 500
COLUMNS = (
    "application_id",
    "candidate_id",
    "candidate_name",
    "email",
    "phone",
    "stage",
    "status",
    "source",
    "applied_at",
    "updated_at",
)
_APPLICATION_COLUMNS = (
    Application.id,
    Application.candidate_id,
    Application.stage,
    Application.status,
    Application.source,
    Application.created_at,
    Application.updated_at,
)


async def job_applications_rows(
    session: AsyncSession, principal: Principal, job_id: uuid.UUID, *, keyring: KeyRing
) -> tuple[str, list[Sequence[Any]]]:
    """(the job's title, one row per live application in :data:`COLUMNS` order), audited.

    404 for an unknown job or another organisation's. Applications folded into another by a
    candidate merge are left out, as everywhere else.
    """
    job = await jobs.get_job(session, principal, job_id)
    rows: list[Sequence[Any]] = []
    after: uuid.UUID | None = None
    while True:
        stmt = select(*_APPLICATION_COLUMNS).where(
            Application.job_id == job_id, Application.merged_into_id.is_(None)
        )
        if after is not None:
            stmt = stmt.where(Application.id > after)
        page = (await session.execute(stmt.order_by(Application.id).limit(PAGE))).all()
        if not page:
            break
        people = await candidates.candidate_contacts(
            session, principal, (row.candidate_id for row in page), keyring=keyring, purpose="job_export"
        )
        for row in page:
            person = people.get(row.candidate_id)
            rows.append(
                (
                    row.id,
                    row.candidate_id,
                    person.full_name if person else None,
                    person.email if person else None,
                    person.phone if person else None,
                    row.stage,
                    row.status,
                    row.source,
                    row.created_at,
                    row.updated_at,
                )
            )
        after = page[-1].id
        if len(page) < PAGE:
            break
    audit.record(
        session,
        actor=principal.actor,
        action="applications.exported",
        target_type="job",
        target_id=job_id,
        rows=len(rows),
        format="csv",
    )
    return job.title, rows
