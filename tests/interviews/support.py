"""Building blocks of the interview tests: an active application, interviewers, an interview."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select, update

from rolecall.interviews.models import Interview
from rolecall.pipeline import service as pipeline
from rolecall.platform.auth import Principal
from rolecall.platform.db import transaction
from rolecall.platform.events.models import OutboxEvent
from rolecall.platform.tenancy import all_tenants, bind_organisation
from tests.factories import Tenant, create_user, open_job

NOTES_CANARY = "Qwxz canary opinion about the candidate"


@dataclass
class Person:
    id: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def soon(days: float = 2, **delta: float) -> str:
    return (datetime.now(UTC) + timedelta(days=days, **delta)).isoformat()


async def person(client: httpx.AsyncClient, tenant: Tenant, *roles: str) -> Person:
    user_id, token = await create_user(client, tenant, *roles)
    return Person(user_id, token)


async def application(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, job: dict[str, Any] | None = None
) -> dict[str, str]:
    """An active application of a new candidate to an open job (a new one unless given)."""
    job = job or await open_job(client, app, tenant)
    email = f"cand-{uuid.uuid4().hex[:8]}@example.com"
    response = await client.post(
        "/v1/candidates", headers=tenant.headers, json={"full_name": "Ada Lovelace", "email": email}
    )
    assert response.status_code == 201, response.text
    candidate_id = uuid.UUID(response.json()["id"])
    async with transaction(app.state.sessionmaker) as session:
        bind_organisation(session, tenant.organisation_id)
        created = await pipeline.add_application(
            session,
            Principal.acting_for("system", tenant.organisation_id),
            job_id=uuid.UUID(job["id"]),
            candidate_id=candidate_id,
            source="sourced",
        )
    return {"id": str(created.id), "job_id": job["id"], "candidate_id": str(candidate_id)}


async def withdraw(app: FastAPI, tenant: Tenant, application_id: str) -> None:
    async with transaction(app.state.sessionmaker) as session:
        bind_organisation(session, tenant.organisation_id)
        principal = Principal.acting_for("system", tenant.organisation_id)
        await pipeline.withdraw(session, principal, uuid.UUID(application_id))


def interview_body(*interviewers: Person, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "Technical interview",
        "starts_at": soon(),
        "duration_minutes": 60,
        "interviewer_ids": [p.id for p in interviewers],
        "location": "Room 4.2",
        "video_url": "https://meet.example.com/abc-defg",
    }
    body.update(overrides)
    return body


async def schedule(
    client: httpx.AsyncClient, tenant: Tenant, application_id: str, *interviewers: Person, **overrides: Any
) -> dict[str, Any]:
    response = await client.post(
        f"/v1/applications/{application_id}/interviews",
        headers=tenant.headers,
        json=interview_body(*interviewers, **overrides),
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def events(app: FastAPI, subject: str) -> list[OutboxEvent]:
    """The outbox events about one subject (``interviews/<id>``), oldest first."""
    async with transaction(app.state.sessionmaker) as session:
        stmt = (
            select(OutboxEvent)
            .where(OutboxEvent.subject == subject)
            .order_by(OutboxEvent.id)
            .execution_options(**all_tenants())
        )
        return list((await session.scalars(stmt)).all())


async def audit_actions(client: httpx.AsyncClient, tenant: Tenant) -> list[dict[str, Any]]:
    response = await client.get("/v1/audit-events", headers=tenant.headers, params={"limit": 200})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def took_place(app: FastAPI, interview: dict[str, Any], *, minutes_ago: float = 10) -> None:
    """Move the interview's start into the past (by default it is under way: lists of upcoming
    interviews still show it). Scorecards open only once an interview has started, and scheduling
    accepts only times still to come, so a test lets the interview happen this way."""
    async with transaction(app.state.sessionmaker) as session:
        await session.execute(
            update(Interview)
            .where(Interview.id == uuid.UUID(interview["id"]))
            .values(starts_at=datetime.now(UTC) - timedelta(minutes=minutes_ago))
            .execution_options(**all_tenants(), synchronize_session=False)
        )


def app_of(client: httpx.AsyncClient) -> FastAPI:
    """The application behind the tests' in-process client (its ASGI transport holds it)."""
    transport = client._transport
    assert isinstance(transport, httpx.ASGITransport)
    app = transport.app
    assert isinstance(app, FastAPI)
    return app


def mine(interview: dict[str, Any]) -> str:
    return f"/v1/interviews/{interview['id']}/scorecards/mine"


async def fill(
    client: httpx.AsyncClient, interview: dict[str, Any], who: Person, rating: int, recommendation: str
) -> dict[str, Any]:
    """Let the interview take place, then open the caller's scorecard, rate every skill ``rating``,
    recommend, write notes and submit."""
    await took_place(app_of(client), interview)
    draft = await client.get(mine(interview), headers=who.headers)
    assert draft.status_code == 200, draft.text
    ratings = {attribute["skill"]: rating for attribute in draft.json()["attributes"]}
    body = {"ratings": ratings, "recommendation": recommendation, "notes": NOTES_CANARY}
    updated = await client.put(
        mine(interview), headers={**who.headers, "If-Match": draft.headers["etag"]}, json=body
    )
    assert updated.status_code == 200, updated.text
    submitted = await client.post(f"{mine(interview)}/submit", headers=who.headers)
    assert submitted.status_code == 200, submitted.text
    result: dict[str, Any] = submitted.json()
    return result
