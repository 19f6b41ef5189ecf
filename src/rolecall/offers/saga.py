"""The hire saga: what follows an accepted offer, across contexts, one step per transaction.

Steps, in order: ``mark_hired`` (pipeline: the application becomes hired), ``consume_opening``
(jobs: one opening taken; the last one closes the job as filled) and ``notify`` (``hire.completed``
lists the job's other active applications so the hiring team can act). Each step commits together
with its entry in :attr:`HireSaga.steps`, so after a crash the log says exactly what is done: a
step is either applied *and* recorded, or neither. A step already recorded is never run again.

A business error (a :class:`ProblemError` such as "no opening left") ends the run: the steps done
are compensated in reverse (``revert_hire``, ``restore_opening``) in one transaction with the
failure record, the offer goes back to ``approved`` and the saga to ``compensated``, and
``hire.failed`` is emitted. Any other error (database down, a bug) rolls the step back and
propagates, so the event is redelivered and the step retried.

Driving it: the ``offer.accepted`` handler runs the first step and each step queues a
``hire.progressed`` event that runs the next, so every step is its own relay delivery (and a
worker restart resumes from the outbox). :func:`run_saga` drives a saga to its end directly, in a
transaction per step, for the worker's sweep of stalled sagas and for operators.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.jobs import service as jobs
from rolecall.offers import repository
from rolecall.offers import service as offers
from rolecall.offers.events import HireCompleted, HireFailed, HireProgressed
from rolecall.offers.models import HireSaga
from rolecall.pipeline import service as pipeline
from rolecall.platform.auth import Principal
from rolecall.platform.clock import utcnow
from rolecall.platform.db import transaction
from rolecall.platform.errors import ProblemError
from rolecall.platform.events.outbox import emit
from rolecall.platform.tenancy import bind_organisation

STEPS = ("mark_hired", "consume_opening", "notify")
COMPENSATIONS = {"mark_hired": "revert_hire", "consume_opening": "restore_opening"}


def current_run(saga: HireSaga) -> list[dict[str, Any]]:
    """Log entries since the latest start (an offer accepted again after compensation reruns)."""
    starts = [i for i, entry in enumerate(saga.steps) if entry.get("kind") == "restart"]
    return list(saga.steps[starts[-1] + 1 :] if starts else saga.steps)


def _entry(step: str, kind: str, outcome: str, **detail: Any) -> dict[str, Any]:
    return {"step": step, "kind": kind, "outcome": outcome, "at": utcnow().isoformat(), "detail": detail}


def _log(saga: HireSaga, *entries: dict[str, Any]) -> None:
    saga.steps = [*saga.steps, *entries]  # a new list: JSON columns only notice reassignment


async def _run_step(session: AsyncSession, principal: Principal, saga: HireSaga, step: str) -> dict[str, Any]:
    if step == "mark_hired":
        return {"changed": await pipeline.mark_hired(session, principal, saga.application_id)}
    if step == "consume_opening":
        return {"openings_left": await jobs.consume_opening(session, principal, saga.job_id)}
    return await _notify(session, principal, saga)


async def _notify(session: AsyncSession, principal: Principal, saga: HireSaga) -> dict[str, Any]:
    remaining = await pipeline.job_applications(session, saga.job_id, status="active")
    left = next(
        (e["detail"].get("openings_left") for e in current_run(saga) if e["step"] == "consume_opening"),
        None,
    )
    offer = await repository.get_offer(session, saga.offer_id)
    assert offer is not None
    offers.emit(
        session,
        principal,
        HireCompleted,
        offer,
        saga_id=saga.id,
        openings_left=left,
        remaining_application_ids=[app.id for app in remaining],
    )
    return {"remaining_applications": len(remaining)}


async def _compensate(
    session: AsyncSession, principal: Principal, saga: HireSaga, failed: str, error: ProblemError
) -> None:
    """Undo, newest first, what this run changed; then hand the offer back to the recruiter."""
    reason = f"{failed}: {error.detail or error.title}"
    entries = [_entry(failed, "action", "failed", error=error.slug)]
    for entry in reversed(current_run(saga)):
        if entry["kind"] != "action" or entry["outcome"] != "done" or entry["step"] not in COMPENSATIONS:
            continue
        if entry["step"] == "mark_hired" and not entry["detail"].get("changed", True):
            continue  # the application was hired before this saga: not ours to undo
        name = COMPENSATIONS[entry["step"]]
        if name == "revert_hire":
            changed = await pipeline.revert_hire(session, principal, saga.application_id)
            entries.append(_entry(name, "compensation", "done", changed=changed))
        else:
            left = await jobs.restore_opening(session, principal, saga.job_id)
            entries.append(_entry(name, "compensation", "done", openings_left=left))
    _log(saga, *entries)
    saga.state, saga.failure_reason = "compensated", reason
    offer = await repository.get_offer(session, saga.offer_id)
    assert offer is not None
    offer.status, offer.responded_at, offer.expires_at = "approved", None, None
    offer.version += 1
    await session.flush()
    offers.emit(session, principal, HireFailed, offer, saga_id=saga.id, failed_step=failed)


async def render_ahead(
    sessionmaker: async_sessionmaker[AsyncSession], organisation_id: uuid.UUID, saga_id: uuid.UUID
) -> None:
    """Render the job's posting before a step that changes the job's openings runs in its own
    transaction: the jobs context republishes the posting in that step, and an organisation's
    templates may take seconds to render. Warms a cache only, so a redelivery may run it again."""
    async with transaction(sessionmaker) as session:
        bind_organisation(session, organisation_id)
        found = await repository.get_saga(session, saga_id)
        if found is None or found.state != "running":
            return
        principal = Principal.acting_for("system", found.organisation_id)
        inputs, overrides = await jobs.open_job_input(session, principal, found.job_id)
    await jobs.render_ahead(inputs, overrides)


async def advance(session: AsyncSession, saga_id: uuid.UUID, *, chain: bool = False) -> bool:
    """Run the saga's next step in the caller's transaction; True while steps remain.

    With ``chain`` the step also queues ``hire.progressed`` so the relay runs the next one. The
    saga row's version column makes two concurrent runners safe: the loser's transaction fails at
    flush, its step rolls back with it, and its retry finds the step recorded.
    """
    saga = await repository.get_saga(session, saga_id)
    if saga is None or saga.state != "running":
        return False
    principal = Principal.acting_for("system", saga.organisation_id)
    done = {e["step"] for e in current_run(saga) if e["kind"] == "action" and e["outcome"] == "done"}
    step = next((s for s in STEPS if s not in done), None)
    saga.attempts += 1
    saga.version += 1
    if step is None:  # every step logged but the state not set (cannot happen; heal it anyway)
        saga.state = "completed"
        await session.flush()
        return False
    try:
        async with session.begin_nested():  # a failing step leaves nothing behind
            detail = await _run_step(session, principal, saga, step)
    except ProblemError as error:
        await _compensate(session, principal, saga, step, error)
        return False
    _log(saga, _entry(step, "action", "done", **detail))
    if step == STEPS[-1]:
        saga.state = "completed"
    await session.flush()
    more = saga.state == "running"
    if more and chain:
        emit(session, HireProgressed(saga_id=saga.id, offer_id=saga.offer_id, step=step))
    return more


async def run_saga(sessionmaker: async_sessionmaker[AsyncSession], saga_id: uuid.UUID) -> str | None:
    """Drive a saga to its end, one transaction per step; returns its final state (None: unknown).

    Safe to call at any time, also while the relay drives the same saga: recorded steps are
    skipped and concurrent runners are serialised by the saga's version column.
    """
    async with transaction(sessionmaker) as session:
        organisation_id = await repository.saga_organisation(session, saga_id)
    if organisation_id is None:
        return None
    more = True
    while more:
        async with transaction(sessionmaker) as session:
            bind_organisation(session, organisation_id)
            more = await advance(session, saga_id)
    async with transaction(sessionmaker) as session:
        bind_organisation(session, organisation_id)
        saga = await repository.get_saga(session, saga_id)
        return None if saga is None else saga.state


async def resume_sagas(
    sessionmaker: async_sessionmaker[AsyncSession], *, stalled_for: timedelta = timedelta(minutes=10)
) -> int:
    """Worker sweep: finish sagas left running (e.g. their event ran out of delivery attempts)."""
    async with transaction(sessionmaker) as session:
        stalled = await repository.stalled_sagas(session, utcnow() - stalled_for)
    for saga_id in stalled:
        await run_saga(sessionmaker, saga_id)
    return len(stalled)
