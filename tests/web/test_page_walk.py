"""Every staff page, opened by every role and by another organisation's admin.

Tenant A owns one object of each kind, with marker text in the candidate's name and e-mail address
and in the job title. Each GET page of the staff app is opened with A's ids:

- by A's admin: it must work (200, or a redirect to another page of the app), which proves the walk
  reaches real pages and that the refusals below come from the rules, not from broken URLs;
- by each of A's other roles: a page beyond the role's scopes is a 403 page; otherwise it works or is
  a 404 (an interviewer opening an interview they are not on, as in the API). A role without
  ``candidates:read`` never sees the candidate's e-mail address on any page;
- by tenant B's admin: every page that names one of A's objects is a 404, and no page shows any of
  A's marker text.

A new page with a new path parameter fails the walk until the parameter is mapped below.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
from fastapi import FastAPI

from rolecall.identity.permissions import Role, scopes_for_roles
from tests.factories import Tenant, create_user, open_job
from tests.interviews.support import Person, schedule, took_place
from tests.offers.support import application_at_offer, draft_offer
from tests.test_route_authorization import route_kinds
from tests.web.support import create_staff, sign_in

PARAM_KINDS = {
    "job_id": "job",
    "candidate_id": "candidate",
    "application_id": "application",
    "interview_id": "interview",
    "offer_id": "offer",
    "file_id": "candidate_file",
    "note_id": "candidate_note",
    "user_id": "user",
    "session_id": "assessment_session",
    "report": "analytics_report",
}
# Path parameters that name a kind of page, not an object of the tenant's.
NOT_OBJECTS = {"report"}
MARK = uuid.uuid4().hex[:10]
NAME = f"Zebulon Walkmarker {MARK}"
EMAIL = f"zebulon-{MARK}@example.org"
TITLE = f"Walkmarker Engineer {MARK}"
WORKS = {200, 303}
# The development mailbox is a 404 outside ROLECALL_ENVIRONMENT=development (tests/notifications).
DEV_ONLY = {"/app/dev/mail", "/app/dev/mail/{name}"}
# Pages with a rule of their own beyond scopes: people it does not apply to get a 403 page.
OWN_RULES = {
    "/app/settings": "only people who may change some setting",
    "/app/interviews/{interview_id}/scorecard": "only the interview's panel writes a scorecard",
}


async def objects_of(client: httpx.AsyncClient, app: FastAPI, tenant: Tenant) -> dict[str, str]:
    job = await open_job(client, app, tenant, title=TITLE)
    candidate = await client.post(
        "/v1/candidates", headers=tenant.headers, json={"full_name": NAME, "email": EMAIL}
    )
    assert candidate.status_code == 201, candidate.text
    candidate_id = candidate.json()["id"]
    application = await client.post(
        "/v1/applications", headers=tenant.headers, json={"candidate_id": candidate_id, "job_id": job["id"]}
    )
    assert application.status_code == 201, application.text
    file = await client.post(
        f"/v1/candidates/{candidate_id}/files",
        headers=tenant.headers,
        files={"file": ("cv.txt", b"Walk resume: Python, SQL", "text/plain")},
    )
    assert file.status_code == 201, file.text
    note = await client.post(
        f"/v1/candidates/{candidate_id}/notes", headers=tenant.headers, json={"body": f"Note {MARK}"}
    )
    assert note.status_code == 201, note.text
    interviewer_id, interviewer_token = await create_user(client, tenant, "interviewer")
    # The admin sits on the panel too, so "my scorecard" is a page the admin may open.
    interview = await schedule(
        client,
        tenant,
        application.json()["id"],
        Person(interviewer_id, interviewer_token),
        Person(str(tenant.admin_id), tenant.token),
    )
    await took_place(app, interview)  # scorecards open once the interview has started
    blueprint = await client.post(f"/v1/jobs/{job['id']}/assessment-blueprint", headers=tenant.headers)
    assert blueprint.status_code == 201, blueprint.text
    invited = await client.post(
        "/v1/assessments/invitations",
        headers=tenant.headers,
        json={"application_id": application.json()["id"]},
    )
    assert invited.status_code == 201, invited.text
    at_offer = await application_at_offer(client, app, tenant, job=job)
    offer = await draft_offer(client, tenant, at_offer)
    return {
        "job": job["id"],
        "candidate": candidate_id,
        "application": application.json()["id"],
        "interview": interview["id"],
        "offer": offer["id"],
        "candidate_file": file.json()["id"],
        "candidate_note": note.json()["id"],
        "user": interviewer_id,
        "assessment_session": invited.json()["session"]["id"],
        "analytics_report": "funnel",  # /app/analytics/{report}.csv
    }


def _staff_pages(app: FastAPI) -> list[tuple[str, frozenset[str]]]:
    return sorted(
        (path, scopes)
        for (method, path), (kind, scopes) in route_kinds(app, pages=True).items()
        if method == "GET" and kind == "scopes" and path not in DEV_ONLY
    )


def _fill(path: str, objects: dict[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        assert name in PARAM_KINDS, f"map the path parameter {name!r} of {path} in PARAM_KINDS"
        return objects[PARAM_KINDS[name]]

    return re.sub(r"\{([^}]+)\}", one, path)


async def test_every_staff_page_shows_each_role_only_what_it_may_see(
    app: FastAPI, client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    objects = await objects_of(client, app, tenant)
    staff_pages = _staff_pages(app)
    assert len(staff_pages) >= 10, staff_pages

    await sign_in(pages, tenant.admin_email)
    for path, _scopes in staff_pages:
        response = await pages.get(_fill(path, objects))
        assert response.status_code in WORKS, (path, response.status_code, response.text[:500])

    for role in (Role.RECRUITER, Role.HIRING_MANAGER, Role.INTERVIEWER):
        pages.cookies.clear()
        _, email = await create_staff(client, tenant, role.value)
        await sign_in(pages, email)
        granted = scopes_for_roles([role.value])
        for path, scopes in staff_pages:
            response = await pages.get(_fill(path, objects))
            seen: dict[str, Any] = {"role": role.value, "path": path, "status": response.status_code}
            if not scopes <= granted:
                assert response.status_code == 403, seen
            else:
                allowed = WORKS | {404} | ({403} if path in OWN_RULES else set())
                assert response.status_code in allowed, seen
            if "candidates:read" not in granted:
                assert EMAIL not in response.text, seen

    pages.cookies.clear()
    await sign_in(pages, other_tenant.admin_email)
    for path, _scopes in staff_pages:
        response = await pages.get(_fill(path, objects))
        seen = {"path": path, "status": response.status_code}
        if set(re.findall(r"\{([^}]+)\}", path)) - NOT_OBJECTS:
            assert response.status_code == 404, seen  # another tenant's object
        for marker in (NAME, EMAIL, TITLE, MARK):
            assert marker not in response.text, seen
