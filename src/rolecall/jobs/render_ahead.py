"""Rendering a job's description before the write that publishes it, with no transaction open.

An organisation's template overrides render in a budgeted child process that may take up to its
budget (``description.budgeted.RENDER_BUDGET``). On SQLite a unit of work holds the one writer lock
from its first statement, and on PostgreSQL a write holds its row locks, so a write that publishes
a posting must not be the one to render it. Every route and page that publishes, and the worker's
republish, takes the same three steps: a short read of what the write will render from, the render
(into ``budgeted``'s cache, which the write then hits), and the write itself. The API
(``endpoints``) and the staff pages (``pages``, ``settings_pages``) both call this module, so the
two adapters cannot drift apart.

When the input changes between the read and the write (someone saved in between), the write misses
the cache and renders under the same budget: correct, just not lock-free, and rare.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.jobs import posting, preview, service
from rolecall.jobs.schemas import JobSettingsUpdate
from rolecall.platform.auth import Principal
from rolecall.platform.db import transaction
from rolecall.platform.http import follow_up_transaction
from rolecall.platform.tenancy import bind_organisation


async def job(
    request: Request,
    principal: Principal,
    job_id: uuid.UUID,
    changes: Mapping[str, Any],
    *,
    opening_at: datetime | None = None,
) -> None:
    """Render what a write of ``changes`` to the job (or opening it at ``opening_at``) publishes.

    A job opened for the first time shows its opening date, so the caller picks that moment here
    and hands the same value to :func:`service.transition`; otherwise the prerendered input would
    differ from the written one by a few milliseconds and the write would render again.
    """
    async with follow_up_transaction(request) as reading:
        found = await service.get_job(reading, principal, job_id)
        opening = opening_at is not None and found.status in ("draft", "paused")
        if found.status != "open" and not opening:
            return  # nothing of this write reaches the board
        wanted = dict(changes)
        if opening and found.first_opened_at is None:
            wanted["first_opened_at"] = opening_at
        try:
            data, settings = await preview.description_input(reading, principal, found, wanted)
        except ValueError:  # changes the write will refuse, with the proper problem document
            return
    await posting.prerender([data], posting.overrides_of(settings))


async def settings(request: Request, principal: Principal, body: JobSettingsUpdate) -> None:
    """Check new overrides and render the open jobs as they will read once ``body`` is saved.

    Raises the problem the write would raise for overrides that fail their trial render, so the
    caller answers before writing anything; the write is then called with ``overrides_checked``.
    """
    await service.check_template_overrides(body)
    async with follow_up_transaction(request) as reading:
        inputs, overrides = await service.republish_inputs(reading, principal, body)
    await posting.prerender(inputs, overrides)


async def organisation(
    sessionmaker: async_sessionmaker[AsyncSession], principal: Principal, organisation_id: uuid.UUID
) -> None:
    """Render the open jobs of an organisation whose facts changed, before the worker republishes
    them in its handler's transaction (see ``handlers.republish_on_organisation_change``)."""
    async with transaction(sessionmaker) as reading:
        bind_organisation(reading, organisation_id)
        inputs, overrides = await service.current_inputs(reading, principal)
    await posting.prerender(inputs, overrides)
