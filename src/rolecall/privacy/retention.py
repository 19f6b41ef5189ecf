"""The scheduled retention job: erase candidates nobody has touched for longer than a rule allows.

A rule ``(outcome, months)`` selects candidates whose every application ended with ``outcome``
(``rejected`` or ``withdrawn``) and whose last activity anywhere, in the pipeline or on the candidate
record, is at least ``months`` calendar months old. One active application keeps the candidate.

The job crosses tenants only to find the organisations that have rules; each organisation is then
processed in its own transaction with the session bound to it, as a ``system`` principal, so the
usual tenant filter applies to everything it reads and erases. A failing candidate is rolled back
to its savepoint and logged without holding back the rest, and a failing organisation does not
hold back the others. Run it about once an hour: a rule counts in months, so nothing is gained by
running it more often, and every run re-reads each organisation's ended applications.
"""

from __future__ import annotations

import calendar
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Literal

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.candidates import service as candidates
from rolecall.pipeline import service as pipeline
from rolecall.platform.auth import Principal
from rolecall.platform.clock import utcnow
from rolecall.platform.db import transaction
from rolecall.platform.pii import KeyRing
from rolecall.platform.storage import FileStore
from rolecall.platform.tenancy import bind_organisation
from rolecall.privacy import repository, service

log = structlog.get_logger("rolecall.privacy.retention")
# Timestamps are stored to the microsecond on both databases; "at or before the cutoff" is
# "before the cutoff plus one microsecond" for a query that compares strictly.
_RESOLUTION = timedelta(microseconds=1)
_OUTCOMES: dict[str, Literal["rejected", "withdrawn"]] = {"rejected": "rejected", "withdrawn": "withdrawn"}


def months_before(moment: datetime, months: int) -> datetime:
    """``moment`` minus calendar months, the day clamped to the target month's length.

    31 March minus one month is 28 (or 29) February, as with ``dateutil.relativedelta``; the time of
    day and the time zone are kept.
    """
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


async def apply_retention(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    keyring: KeyRing,
    store: FileStore,
    now: datetime | None = None,
) -> dict[str, int]:
    """Run every organisation's retention rules once; returns counts for the worker's log."""
    moment = (now or utcnow()).astimezone(UTC)
    async with transaction(sessionmaker) as session:
        organisations = await repository.organisations_with_rules(session)
    counts: Counter[str] = Counter(organisations=len(organisations))
    for organisation_id in organisations:
        try:
            erased, failed = await _apply_for(sessionmaker, organisation_id, moment, keyring, store)
        except Exception:
            log.exception("retention_failed", organisation_id=str(organisation_id))
            counts["organisations_failed"] += 1
            continue
        counts["candidates_erased"] += erased
        counts["candidates_failed"] += failed
    return {key: counts[key] for key in _COUNTS}


_COUNTS = ("organisations", "organisations_failed", "candidates_erased", "candidates_failed")


async def _apply_for(
    sessionmaker: async_sessionmaker[AsyncSession],
    organisation_id: uuid.UUID,
    now: datetime,
    keyring: KeyRing,
    store: FileStore,
) -> tuple[int, int]:
    system = Principal.acting_for("system", organisation_id)
    erased = failed = 0
    async with transaction(sessionmaker) as session:
        bind_organisation(session, organisation_id)
        for candidate_id in sorted(await _due(session, now)):
            try:
                async with session.begin_nested():
                    erasure = await service.erase_candidate(
                        session, system, candidate_id, reason="retention", keyring=keyring, store=store
                    )
            except Exception:
                log.exception(
                    "retention_erasure_failed",
                    organisation_id=str(organisation_id),
                    candidate_id=str(candidate_id),
                )
                failed += 1
                continue
            erased += not erasure.already_erased
    return erased, failed


async def _due(session: AsyncSession, now: datetime) -> set[uuid.UUID]:
    """Candidates of the session's organisation that some rule says to erase now."""
    due: set[uuid.UUID] = set()
    for rule in await repository.list_rules(session):
        outcome = _OUTCOMES.get(rule.outcome)
        if outcome is None:
            continue
        cutoff = months_before(now, rule.months)
        found = await pipeline.retention_candidates(session, outcome, cutoff + _RESOLUTION)
        if found:
            # Activity on the candidate record itself (edits, notes, files) keeps them too; a
            # candidate the candidates context does not report (gone, merged, erased) is not due.
            activity = await candidates.candidate_activity(session, found)
            due.update(cid for cid in found if cid in activity and activity[cid] <= cutoff)
        rule.last_run_at = now
    return due
