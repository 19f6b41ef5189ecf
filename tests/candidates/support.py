"""Helpers shared by the tests of candidate files, notes, pools and privacy functions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.platform.db import transaction
from rolecall.platform.events.models import OutboxEvent
from rolecall.platform.tenancy import all_tenants
from tests.candidates.test_resumes import make_docx, make_pdf
from tests.factories import Tenant

CANARY = "Qwxz Canary"
RESUME_LINES = [CANARY, "Skills: Python, PostgreSQL, Kubernetes", "Led a team of five engineers."]

__all__ = ["CANARY", "RESUME_LINES", "make_docx", "make_pdf"]


async def new_candidate(client: httpx.AsyncClient, tenant: Tenant, **fields: Any) -> dict[str, Any]:
    body = {"full_name": "Ada Lovelace", "email": "ada@example.com", **fields}
    response = await client.post("/v1/candidates", headers=tenant.headers, json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def upload(
    client: httpx.AsyncClient,
    tenant: Tenant,
    candidate_id: str,
    data: bytes,
    *,
    filename: str = "cv.pdf",
    content_type: str = "application/pdf",
    kind: str | None = None,
) -> httpx.Response:
    form = {} if kind is None else {"kind": kind}
    return await client.post(
        f"/v1/candidates/{candidate_id}/files",
        headers=tenant.headers,
        files={"file": (filename, data, content_type)},
        data=form,
    )


async def audit_entries(client: httpx.AsyncClient, tenant: Tenant, action: str) -> list[dict[str, Any]]:
    response = await client.get("/v1/audit-events", headers=tenant.headers, params={"limit": 200})
    assert response.status_code == 200, response.text
    return [entry for entry in response.json()["items"] if entry["action"] == action]


async def events(sessionmaker: async_sessionmaker[AsyncSession], event_type: str) -> list[OutboxEvent]:
    async with transaction(sessionmaker) as session:
        stmt = (
            select(OutboxEvent)
            .where(OutboxEvent.type == event_type)
            .order_by(OutboxEvent.id)
            .execution_options(**all_tenants())
        )
        return list((await session.scalars(stmt)).all())


def stored_files(app: FastAPI) -> list[Path]:
    """Every file in the app's file store (temporary files included)."""
    root: Path = app.state.file_store.root
    return sorted(path for path in root.rglob("*") if path.is_file())
