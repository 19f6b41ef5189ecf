"""The board's projection of jobs, fed by ``job.*`` events.

Events arrive at least once and possibly out of order (a retried ``job.updated`` after a
``job.closed``). Each row remembers the job version it reflects, and an event carrying an older or
equal version changes nothing; closed and paused jobs leave a tombstone rather than no row, so a
late event cannot bring a closed posting back. The database search index is updated in the same
transaction, so it can never disagree with the projection.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.board import database_index
from rolecall.board.documents import search_document, summary_of
from rolecall.board.models import BoardPosting
from rolecall.jobs.events import JOB_EVENTS, JobEvent
from rolecall.platform.clock import utcnow
from rolecall.platform.events.registry import registry


async def project_job(session: AsyncSession, event: JobEvent) -> None:
    job_id, version = event.job.id, event.job.version
    posting = event.posting if event.job.status == "open" else None
    # Locked: two workers may handle two versions of one job at once; the later lock holder must
    # see the earlier one's write, or an older version could overwrite a newer one.
    row = await session.get(BoardPosting, job_id, with_for_update=True)
    if row is not None and row.job_version >= version:
        return
    now = utcnow()
    if row is None:
        row = BoardPosting(
            id=job_id, organisation_id=event.organisation_id, job_version=version, changed_at=now
        )
        session.add(row)
    row.job_version, row.changed_at = version, now
    if posting is None:
        was_live = row.live
        row.live, row.document, row.summary = False, None, None
        if was_live:
            await session.flush()
            await database_index.delete_documents(session, [job_id])
        return
    row.live = True
    row.document = posting
    row.summary = summary_of(posting)
    row.organisation_slug = posting["organisation"]["slug"]
    row.listed = bool(posting["organisation"]["listed"])
    row.published_at = datetime.fromisoformat(posting["published_at"])
    await session.flush()
    await database_index.upsert_documents(session, [search_document(posting)])


for _event_class in JOB_EVENTS:
    registry.subscribe(_event_class, name="board.project_job")(project_job)
