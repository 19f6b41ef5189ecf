"""Building blocks of the candidate page tests: staff, a candidate with every detail, an application."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from fastapi import FastAPI

from tests.candidates.support import RESUME_LINES, make_pdf, upload
from tests.factories import Tenant, create_user, move_application, open_job
from tests.interviews.support import Person

HX = {"HX-Request": "true"}
SECTIONS = ("applications", "scorecards", "offers")


async def staff(client: httpx.AsyncClient, tenant: Tenant, *roles: str) -> tuple[Person, str]:
    """A staff user: (id and API token, e-mail for signing in on the pages)."""
    user_id, token = await create_user(client, tenant, *roles)
    found = await client.get(f"/v1/users/{user_id}", headers=tenant.headers)
    assert found.status_code == 200, found.text
    return Person(user_id, token), found.json()["email"]


async def candidate_with_details(client: httpx.AsyncClient, tenant: Tenant, **fields: Any) -> dict[str, Any]:
    body = {
        "full_name": "Ada Lovelace",
        "email": f"ada-{uuid.uuid4().hex[:8]}@example.com",
        "phone": "+44 20 7946 0958",
        "links": ["https://ada.example.com/portfolio"],
        "location": "London",
        "tags": ["python", "remote"],
        "source": "referral",
        **fields,
    }
    response = await client.post("/v1/candidates", headers=tenant.headers, json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def applied(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, candidate: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The candidate (with a resume on file) applied to a new open job, moved on one stage."""
    uploaded = await upload(client, tenant, candidate["id"], make_pdf([RESUME_LINES]))
    assert uploaded.status_code == 201, uploaded.text
    job = await open_job(client, app, tenant)
    response = await client.post(
        "/v1/applications",
        headers=tenant.headers,
        json={"candidate_id": candidate["id"], "job_id": job["id"]},
    )
    assert response.status_code == 201, response.text
    application = await move_application(client, tenant, response.json(), "Recruiter screen")
    return job, application


async def note_by(client: httpx.AsyncClient, token: str, candidate_id: str, body: str) -> dict[str, Any]:
    response = await client.post(
        f"/v1/candidates/{candidate_id}/notes",
        headers={"Authorization": f"Bearer {token}"},
        json={"body": body},
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created
