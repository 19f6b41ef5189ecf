"""Bulk moves and rejections: one request, each application handled and recorded on its own.

Each item runs in a savepoint, so one application that cannot move (already rejected, changed by a
colleague a moment ago, not in this organisation) fails alone and the others still move. Every
successful item writes its own transition, audit entry and event, tagged with the request's
``bulk_id`` so the batch can be found again.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from rolecall.pipeline import service
from rolecall.pipeline.schemas import BulkMove, BulkReject, BulkResult, BulkResultItem
from rolecall.platform.auth import Principal
from rolecall.platform.errors import ProblemError
from rolecall.platform.ids import new_id


async def run(session: AsyncSession, principal: Principal, body: BulkMove | BulkReject) -> BulkResult:
    bulk_id = new_id()
    items: list[BulkResultItem] = []
    for application_id in dict.fromkeys(body.application_ids):  # a repeated id is handled once
        try:
            async with session.begin_nested():
                if isinstance(body, BulkMove):
                    application = await service.move(
                        session, principal, application_id, body.stage, bulk_id=bulk_id
                    )
                else:
                    application = await service.reject(
                        session, principal, application_id, body.reason, bulk_id=bulk_id
                    )
        except ProblemError as exc:
            items.append(
                BulkResultItem(
                    application_id=application_id, outcome="failed", status=exc.status, detail=exc.detail
                )
            )
            continue
        except StaleDataError:
            detail = "The application changed while the bulk action ran; retry it."
            items.append(
                BulkResultItem(application_id=application_id, outcome="failed", status=412, detail=detail)
            )
            continue
        items.append(
            BulkResultItem(application_id=application_id, outcome="done", status=200, stage=application.stage)
        )
    done = sum(item.outcome == "done" for item in items)
    return BulkResult(bulk_id=bulk_id, done=done, failed=len(items) - done, items=items)
