"""Read-only access to the audit log; there is deliberately no route that changes it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from rolecall.audit import service
from rolecall.audit.auth import AuditRead
from rolecall.audit.schemas import AuditEntryOut
from rolecall.platform.auth import DbSession
from rolecall.platform.pagination import Page, PageParams, page_params

router = APIRouter(prefix="/v1", tags=["audit"])


@router.get("/audit-events", response_model=Page[AuditEntryOut])
async def list_audit_events(
    principal: AuditRead,
    session: DbSession,
    paging: Annotated[PageParams, Depends(page_params)],
    action: Annotated[str | None, Query(max_length=80, description="Only entries with this action")] = None,
) -> Page[AuditEntryOut]:
    entries, cursor = await service.list_entries(session, paging, action)
    return Page[AuditEntryOut](
        items=[AuditEntryOut.model_validate(e) for e in entries],
        next_cursor=cursor,
        next_updated_since=paging.next_updated_since,
    )
