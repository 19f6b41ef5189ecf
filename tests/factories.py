"""Test data built through the public API and service functions, never by writing rows directly."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import rolecall.worker  # noqa: F401 - registers every context's event handlers
from rolecall.identity import service as identity
from rolecall.platform.db import transaction
from rolecall.platform.events.models import OutboxEvent
from rolecall.platform.events.registry import registry
from rolecall.platform.events.relay import InProcessRelay, OutboxDispatcher
from rolecall.platform.tenancy import all_tenants

PASSWORD = "correct-horse-battery-staple"


@dataclass
class Tenant:
    organisation_id: uuid.UUID
    admin_id: uuid.UUID
    admin_email: str
    token: str
    refresh_token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def login(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> dict[str, str]:
    response = await client.post(
        "/v1/oauth/token", data={"grant_type": "password", "username": email, "password": password}
    )
    assert response.status_code == 200, response.text
    body: dict[str, str] = response.json()
    return body


async def create_tenant(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession], name: str = "Example Ltd"
) -> Tenant:
    email = f"admin-{uuid.uuid4().hex[:8]}@example.test"
    async with transaction(sessionmaker) as session:
        created = await identity.create_organisation(
            session, name=name, admin_email=email, admin_password=PASSWORD
        )
    tokens = await login(client, email)
    return Tenant(
        created.organisation.id, created.admin.id, email, tokens["access_token"], tokens["refresh_token"]
    )


async def create_user(
    client: httpx.AsyncClient, tenant: Tenant, *roles: str, sees_all_jobs: bool = True
) -> tuple[str, str]:
    """Create a staff user through the API; returns (user id, access token).

    Organisation-wide unless ``sees_all_jobs=False``: most tests are about something other than
    need-to-know access (tests/test_need_to_know.py and the cross-team walk are about that)."""
    email = f"{'-'.join(roles) or 'user'}-{uuid.uuid4().hex[:8]}@example.com"
    response = await client.post(
        "/v1/users",
        headers=tenant.headers,
        json={
            "email": email,
            "full_name": "Test Person",
            "password": PASSWORD,
            "roles": list(roles),
            "sees_all_jobs": sees_all_jobs,
        },
    )
    assert response.status_code == 201, response.text
    return response.json()["id"], (await login(client, email))["access_token"]


async def fork_profile(
    client: httpx.AsyncClient, tenant: Tenant, library_id: str = "backend-engineer", **extra: object
) -> dict[str, Any]:
    """Fork a starter-library profile into the tenant's profiles; returns the API response body."""
    response = await client.post(
        "/v1/role-profiles", headers=tenant.headers, json={"from_library": library_id, **extra}
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def job_body(profile_id: str, **overrides: object) -> dict[str, Any]:
    body: dict[str, Any] = {
        "role_profile_id": profile_id,
        "level": "lead",
        "department": "Engineering",
        "work_arrangement": "hybrid",
        "locations": [{"city": "Berlin", "country": "DE"}],
        "salary": {"min": 110_000, "max": 150_000, "currency": "USD"},
    }
    body.update(overrides)
    return body


async def create_job(
    client: httpx.AsyncClient, tenant: Tenant, profile_id: str | None = None, **overrides: object
) -> dict[str, Any]:
    """A draft job (forking the back-end profile first when no profile id is given)."""
    if profile_id is None:
        profile_id = (await fork_profile(client, tenant))["id"]
    response = await client.post("/v1/jobs", headers=tenant.headers, json=job_body(profile_id, **overrides))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def deliver(app: FastAPI) -> None:
    """Run what the worker and the index follower would run in the background, once, to completion."""
    settings = app.state.settings
    relay = InProcessRelay(app.state.sessionmaker, registry)
    await OutboxDispatcher(app.state.sessionmaker, relay, max_attempts=settings.outbox_max_attempts).drain()
    if app.state.index_sync is not None:
        await app.state.index_sync.sync_once()


async def open_job(
    client: httpx.AsyncClient,
    app: FastAPI,
    tenant: Tenant,
    profile_id: str | None = None,
    **overrides: object,
) -> dict[str, Any]:
    """A job created, opened, and delivered to the board (projection and search index)."""
    job = await create_job(client, tenant, profile_id, **overrides)
    response = await client.post(f"/v1/jobs/{job['id']}/open", headers=tenant.headers)
    assert response.status_code == 200, response.text
    await deliver(app)
    body: dict[str, Any] = response.json()
    return body


async def update_job_settings(client: httpx.AsyncClient, tenant: Tenant, **changes: object) -> dict[str, Any]:
    """PATCH /v1/job-settings with the current ETag; returns the new settings."""
    current = await client.get("/v1/job-settings", headers=tenant.headers)
    assert current.status_code == 200, current.text
    response = await client.patch(
        "/v1/job-settings", headers={**tenant.headers, "If-Match": current.headers["etag"]}, json=changes
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def job_events(sessionmaker: async_sessionmaker[AsyncSession], job_id: str) -> list[OutboxEvent]:
    """The outbox events about one job, oldest first."""
    async with transaction(sessionmaker) as session:
        stmt = (
            select(OutboxEvent)
            .where(OutboxEvent.subject == f"jobs/{job_id}")
            .order_by(OutboxEvent.id)
            .execution_options(**all_tenants())
        )
        return list((await session.scalars(stmt)).all())


async def create_candidate(client: httpx.AsyncClient, tenant: Tenant, **fields: object) -> dict[str, Any]:
    """A candidate added by staff (a unique e-mail unless one is given)."""
    body: dict[str, Any] = {"full_name": "Ada Example", "email": f"ada-{uuid.uuid4().hex[:8]}@example.com"}
    body.update(fields)
    response = await client.post("/v1/candidates", headers=tenant.headers, json=body)
    assert response.status_code in (200, 201), response.text
    created: dict[str, Any] = response.json()
    return created


async def create_application(
    client: httpx.AsyncClient,
    app: FastAPI,
    tenant: Tenant,
    job: dict[str, Any] | None = None,
    **candidate_fields: object,
) -> dict[str, Any]:
    """A staff-added application of a new candidate to ``job`` (an open back-end job by default)."""
    if job is None:
        job = await open_job(client, app, tenant)
    candidate = await create_candidate(client, tenant, **candidate_fields)
    response = await client.post(
        "/v1/applications",
        headers=tenant.headers,
        json={"candidate_id": candidate["id"], "job_id": job["id"]},
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def move_application(
    client: httpx.AsyncClient, tenant: Tenant, application: dict[str, Any], stage: str
) -> dict[str, Any]:
    """Move an application to the stage called ``stage`` of its job."""
    response = await client.post(
        f"/v1/applications/{application['id']}/move", headers=tenant.headers, json={"stage": stage}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def apply_form(
    *,
    email: str | None = None,
    consent_version: str = "rolecall-default-1",
    resume: bytes | None = None,
    files: dict[str, bytes] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """Keyword arguments for ``client.post`` of a public application (multipart)."""
    import json

    body: dict[str, Any] = {
        "full_name": "Grace Applicant",
        "email": email or f"grace-{uuid.uuid4().hex[:8]}@example.com",
        "consent": {"given": True, "text_version": consent_version},
    }
    body.update(fields)
    parts: list[tuple[str, tuple[str | None, Any, str]]] = [
        ("application", (None, json.dumps(body), "application/json"))
    ]
    if resume is not None:
        parts.append(("resume", ("cv.pdf", resume, "application/octet-stream")))
    for key, data in (files or {}).items():
        parts.append((f"file_{key}", (f"{key}.txt", data, "application/octet-stream")))
    return {"files": parts}


async def apply(client: httpx.AsyncClient, posting_id: str, **kwargs: Any) -> dict[str, Any]:
    """Apply to an open posting through the public endpoint, then read the status link from the e-mail
    the applicant receives; returns the answer with the application's id and its link added."""
    from tests.mail import send_mail, status_token

    email = kwargs.pop("email", None) or f"grace-{uuid.uuid4().hex[:8]}@example.com"
    response = await client.post(
        f"/v1/board/postings/{posting_id}/applications", **apply_form(email=email, **kwargs)
    )
    assert response.status_code == 202, response.text
    transport = client._transport
    assert isinstance(transport, httpx.ASGITransport)
    token = status_token(await send_mail(transport.app), email)  # type: ignore[arg-type]
    status = await client.get(f"/v1/application-status/{token}")
    assert status.status_code == 200, status.text
    body: dict[str, Any] = {
        **response.json(),
        "application_id": status.json()["application_id"],
        "status_token": token,
        "status_url": f"/v1/application-status/{token}",
    }
    return body
