"""Public entry point for every context that needs to leave an audit trail."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.audit import repository
from rolecall.audit.models import AuditEntry
from rolecall.platform.pagination import PageParams, page_of

_FORBIDDEN_DETAIL_KEYS = {"password", "secret", "token", "email", "phone", "name", "full_name"}


def record(
    session: AsyncSession,
    *,
    actor: str,
    action: str,
    target_type: str,
    target_id: uuid.UUID | None = None,
    changed_fields: Iterable[str] = (),
    **facts: Any,
) -> AuditEntry:
    """Append an entry in the caller's transaction, so it exists exactly when the change does.

    Only field *names* are kept for changes: the log must be safe to show to any admin and to keep
    after a person's data has been erased.
    """
    leaked = _FORBIDDEN_DETAIL_KEYS & set(facts)
    if leaked:
        raise ValueError(f"audit details must not carry personal data or secrets: {sorted(leaked)}")
    details: dict[str, Any] = dict(facts)
    fields = sorted(changed_fields)
    if fields:
        details["changed_fields"] = fields
    request_id = structlog.contextvars.get_contextvars().get("request_id")
    entry = AuditEntry(
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=target_id,
        request_id=request_id,
        details=details,
    )
    session.add(entry)
    return entry


async def list_entries(
    session: AsyncSession, params: PageParams, action: str | None = None
) -> tuple[list[AuditEntry], str | None]:
    return page_of(await repository.list_entries(session, params, action), params)
