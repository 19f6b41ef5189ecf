"""The context's scheduled work: send due messages, remind interviewers of scorecards, daily digests."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.interviews import service as interviews
from rolecall.notifications import repository, sender, service
from rolecall.notifications.service import Recipient
from rolecall.platform.clock import utcnow
from rolecall.platform.contexts import JobScope
from rolecall.platform.db import transaction
from rolecall.platform.tenancy import bind_organisation

#: A scorecard is due this long after the interview ended; older interviews are not chased any more.
SCORECARD_GRACE = timedelta(hours=1)
SCORECARD_HORIZON = timedelta(days=7)
DIGEST_NAMESPACE = uuid.UUID("0b8f5f8e-7c55-4a8e-9f5e-6d1c2b3a4f50")


async def send_due(scope: JobScope) -> int:
    return await sender.deliver_due(scope.sessionmaker, scope.settings)


async def queue_scorecard_reminders(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    """One reminder per interviewer and interview (the interview id is the message's event id)."""
    now = utcnow()
    async with transaction(sessionmaker) as session:
        missing = await interviews.missing_scorecards(
            session, ended_before=now - SCORECARD_GRACE, ended_after=now - SCORECARD_HORIZON
        )
    queued = 0
    for item in missing:
        async with transaction(sessionmaker) as session:
            bind_organisation(session, item.organisation_id)
            row = await service.queue(
                session,
                item.organisation_id,
                event_id=item.interview_id,
                template="scorecard_due",
                recipient=Recipient("user", item.interviewer_id),
                context={"interview_id": str(item.interview_id), "job_id": str(item.job_id)},
            )
            queued += row is not None
    return queued


async def scorecard_reminders(scope: JobScope) -> int:
    return await queue_scorecard_reminders(scope.sessionmaker)


async def queue_digests(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    """One message per hiring-team member with new applications since their last digest."""
    async with transaction(sessionmaker) as session:
        organisations = await repository.organisations_with_pending_digests(session)
    queued = 0
    for organisation_id in organisations:
        async with transaction(sessionmaker) as session:
            bind_organisation(session, organisation_id)
            per_user: dict[uuid.UUID, dict[uuid.UUID, int]] = defaultdict(lambda: defaultdict(int))
            last: dict[uuid.UUID, uuid.UUID] = {}
            for item in await repository.pending_digest_items(session):
                per_user[item.user_id][item.job_id] += 1
                last[item.user_id] = item.id
                item.digested_at = utcnow()
            for user_id, counts in per_user.items():
                if not await service.wants_digest(session, user_id):
                    continue
                row = await service.queue(
                    session,
                    organisation_id,
                    # The newest item names the digest: a rerun over the same items queues nothing new.
                    event_id=uuid.uuid5(DIGEST_NAMESPACE, f"{user_id}:{last[user_id]}"),
                    template="application_digest",
                    recipient=Recipient("user", user_id),
                    context={
                        "total": sum(counts.values()),
                        "jobs": [{"job_id": str(job), "count": n} for job, n in sorted(counts.items())],
                    },
                )
                queued += row is not None
    return queued


async def application_digest(scope: JobScope) -> int:
    return await queue_digests(scope.sessionmaker)
