"""Need-to-know access: staff who are not organisation-wide see only their hiring teams' jobs.

Focused checks beside the cross-team walk (tests/test_cross_team_walk.py): lists and search are
filtered, an interviewer sees their own interview and what running it needs, an admin toggles the
organisation-wide flag (audited, effective at once), the demo still shows its people, and a Core
statement that cannot carry the rule is refused.
"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.candidates.models import Candidate
from rolecall.config import Settings
from rolecall.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, load_demo
from rolecall.platform import access
from rolecall.platform.clock import utcnow
from rolecall.platform.db import transaction
from rolecall.platform.tenancy import bind_organisation
from tests.factories import PASSWORD, Tenant, create_candidate, create_user, job_body, login, open_job
from tests.web.support import sign_in


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def put_on_team(
    client: httpx.AsyncClient, tenant: Tenant, job: dict[str, Any], user_id: str, role: str
) -> None:
    current = await client.get(f"/v1/jobs/{job['id']}", headers=tenant.headers)
    assert current.status_code == 200, current.text
    team = [*current.json()["hiring_team"], {"user_id": user_id, "role": role}]
    response = await client.patch(
        f"/v1/jobs/{job['id']}",
        headers={**tenant.headers, "If-Match": current.headers["etag"]},
        json={"hiring_team": team},
    )
    assert response.status_code == 200, response.text


async def applied(
    client: httpx.AsyncClient, tenant: Tenant, job: dict[str, Any], name: str, email: str
) -> dict[str, Any]:
    candidate = await create_candidate(
        client, tenant, full_name=name, email=email, phone=f"+49 30 123456{len(name) % 10}"
    )
    response = await client.post(
        "/v1/applications",
        headers=tenant.headers,
        json={"candidate_id": candidate["id"], "job_id": job["id"]},
    )
    assert response.status_code == 201, response.text
    return {"candidate": candidate, "application": response.json()}


async def two_jobs(client: httpx.AsyncClient, app: FastAPI, tenant: Tenant) -> dict[str, Any]:
    """Jobs A and B with one applicant each, and a hiring manager on A's team only."""
    job_a = await open_job(client, app, tenant, title="Job A engineer")
    job_b = await open_job(client, app, tenant, job_a["role_profile_id"], title="Job B engineer")
    a = await applied(client, tenant, job_a, "Alma Ames", f"alma-{uuid.uuid4().hex[:6]}@example.com")
    b = await applied(client, tenant, job_b, "Bert Bloom", f"bert-{uuid.uuid4().hex[:6]}@example.com")
    manager_id, manager_token = await create_user(client, tenant, "hiring_manager", sees_all_jobs=False)
    await put_on_team(client, tenant, job_a, manager_id, "hiring_manager")
    return {
        "job_a": job_a,
        "job_b": job_b,
        "a": a,
        "b": b,
        "manager_id": manager_id,
        "manager": bearer(manager_token),
    }


async def test_lists_and_search_show_only_the_teams_jobs(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    world = await two_jobs(client, app, tenant)
    manager = world["manager"]
    a, b = world["a"], world["b"]

    jobs = await client.get("/v1/jobs", headers=manager, params={"limit": 200})
    assert {j["id"] for j in jobs.json()["items"]} == {world["job_a"]["id"]}
    apps = await client.get("/v1/applications", headers=manager, params={"limit": 200})
    assert {x["id"] for x in apps.json()["items"]} == {a["application"]["id"]}
    people = await client.get("/v1/candidates", headers=manager, params={"limit": 200})
    assert {c["id"] for c in people.json()["items"]} == {a["candidate"]["id"]}

    # Search by name token, e-mail and phone: B's person is simply not there.
    for params, expected in (
        ({"name": "Bert"}, set()),
        ({"name": "Alma"}, {a["candidate"]["id"]}),
        ({"email": b["candidate"]["email"]}, set()),
        ({"email": a["candidate"]["email"]}, {a["candidate"]["id"]}),
        ({"phone": b["candidate"]["phone"]}, set()),
        ({"job_id": world["job_b"]["id"]}, set()),
    ):
        found = await client.get("/v1/candidates", headers=manager, params=params)
        assert found.status_code == 200, found.text
        assert {c["id"] for c in found.json()["items"]} == expected, params

    # B's objects answer exactly like objects that never existed.
    for path in (
        f"/v1/jobs/{world['job_b']['id']}",
        f"/v1/applications/{b['application']['id']}",
        f"/v1/candidates/{b['candidate']['id']}",
    ):
        foreign = await client.get(path, headers=manager)
        missing = await client.get(path.rsplit("/", 1)[0] + f"/{uuid.uuid4()}", headers=manager)
        assert foreign.status_code == missing.status_code == 404, path
        assert foreign.json() == missing.json()
    assert (
        await client.get(f"/v1/applications/{a['application']['id']}", headers=manager)
    ).status_code == 200

    # The admin still sees both; analytics for the manager count only job A.
    everything = await client.get("/v1/applications", headers=tenant.headers, params={"limit": 200})
    assert {a["application"]["id"], b["application"]["id"]} <= {x["id"] for x in everything.json()["items"]}
    funnel = await client.get(f"/v1/analytics/jobs/{world['job_b']['id']}/funnel", headers=manager)
    assert funnel.status_code == 404, funnel.text
    # Organisation-wide reports, read by the manager, are the admin's reports of job A alone.
    for report in ("/v1/analytics/funnel", "/v1/analytics/sources"):
        theirs = await client.get(report, headers=manager)
        only_a = await client.get(report, headers=tenant.headers, params={"job_id": world["job_a"]["id"]})
        both = await client.get(report, headers=tenant.headers)
        assert theirs.status_code == only_a.status_code == 200, theirs.text
        label = {"job_id": None, "job_title": None}  # the report says which job it was narrowed to
        assert theirs.json() == {**only_a.json(), **label}
        assert theirs.json() != both.json()


async def test_interviewer_sees_own_interview_and_its_candidate_only(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    world = await two_jobs(client, app, tenant)
    interviewer_id, interviewer_token = await create_user(client, tenant, "interviewer", sees_all_jobs=False)
    other_id, _ = await create_user(client, tenant, "interviewer", sees_all_jobs=False)
    starts = (utcnow() + timedelta(days=3)).replace(microsecond=0).isoformat()

    async def schedule(application: dict[str, Any], who: str) -> str:
        response = await client.post(
            f"/v1/applications/{application['id']}/interviews",
            headers=tenant.headers,
            json={"title": "Panel", "starts_at": starts, "duration_minutes": 45, "interviewer_ids": [who]},
        )
        assert response.status_code == 201, response.text
        interview_id: str = response.json()["id"]
        return interview_id

    mine = await schedule(world["b"]["application"], interviewer_id)
    theirs = await schedule(world["a"]["application"], other_id)
    me = bearer(interviewer_token)

    assert (await client.get(f"/v1/interviews/{mine}", headers=me)).status_code == 200
    assert (await client.get(f"/v1/interviews/{theirs}", headers=me)).status_code == 404
    listed = await client.get("/v1/interviews", headers=me, params={"limit": 200})
    assert {i["id"] for i in listed.json()["items"]} == {mine}
    # What running the interview needs: the application and the candidate behind it, the job.
    async with transaction(app.state.sessionmaker) as session:
        bind_organisation(session, tenant.organisation_id)
        access.restrict_session(session, uuid.UUID(interviewer_id))
        names = set((await session.scalars(select(Candidate.id))).all())
    assert names == {uuid.UUID(world["b"]["candidate"]["id"])}

    # A hiring manager on job A's team sees A's interview (their job) but not B's (not theirs).
    manager = world["manager"]
    assert (await client.get(f"/v1/interviews/{theirs}", headers=manager)).status_code == 200
    assert (await client.get(f"/v1/interviews/{mine}", headers=manager)).status_code == 404


async def test_admin_toggles_organisation_wide_access(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    world = await two_jobs(client, app, tenant)
    manager = world["manager"]
    url = f"/v1/users/{world['manager_id']}"
    job_b = f"/v1/jobs/{world['job_b']['id']}"
    user = await client.get(url, headers=tenant.headers)
    assert user.json()["sees_all_jobs"] is False
    assert (await client.get(job_b, headers=manager)).status_code == 404

    # Only users:write (admins) may change it; a recruiter may not.
    _, recruiter_token = await create_user(client, tenant, "recruiter")
    refused = await client.patch(
        url,
        headers={**bearer(recruiter_token), "If-Match": user.headers["etag"]},
        json={"sees_all_jobs": True},
    )
    assert refused.status_code == 403
    null = await client.patch(
        url, headers={**tenant.headers, "If-Match": user.headers["etag"]}, json={"sees_all_jobs": None}
    )
    assert null.status_code == 422

    granted = await client.patch(
        url, headers={**tenant.headers, "If-Match": user.headers["etag"]}, json={"sees_all_jobs": True}
    )
    assert granted.status_code == 200, granted.text
    assert granted.json()["sees_all_jobs"] is True
    # Takes effect on the next request, with the same token.
    assert (await client.get(job_b, headers=manager)).status_code == 200
    audit = await client.get("/v1/audit-events", headers=tenant.headers, params={"limit": 200})
    entries = [
        e
        for e in audit.json()["items"]
        if e["action"] == "user.updated" and e["target_id"] == world["manager_id"]
    ]
    assert entries
    assert entries[0]["details"]["changed_fields"] == ["sees_all_jobs"]
    assert entries[0]["details"]["sees_all_jobs"] is True

    revoked = await client.patch(
        url, headers={**tenant.headers, "If-Match": granted.headers["etag"]}, json={"sees_all_jobs": False}
    )
    assert revoked.status_code == 200, revoked.text
    assert (await client.get(job_b, headers=manager)).status_code == 404


async def test_new_users_are_not_organisation_wide_unless_asked(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    plain = await client.post(
        "/v1/users",
        headers=tenant.headers,
        json={
            "email": f"p-{uuid.uuid4().hex[:6]}@example.com",
            "full_name": "Pat",
            "password": PASSWORD,
            "roles": ["recruiter"],
        },
    )
    wide = await client.post(
        "/v1/users",
        headers=tenant.headers,
        json={
            "email": f"w-{uuid.uuid4().hex[:6]}@example.com",
            "full_name": "Wim",
            "password": PASSWORD,
            "roles": ["recruiter"],
            "sees_all_jobs": True,
        },
    )
    assert plain.json()["sees_all_jobs"] is False
    assert wide.json()["sees_all_jobs"] is True
    audit = await client.get("/v1/audit-events", headers=tenant.headers, params={"limit": 200})
    created = {e["target_id"]: e["details"] for e in audit.json()["items"] if e["action"] == "user.created"}
    assert created[wide.json()["id"]] == {"sees_all_jobs": True}
    assert created[plain.json()["id"]] == {}


async def test_restricted_recruiter_sources_a_candidate_and_creates_a_job(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    """Whoever adds a person keeps seeing them; whoever creates a job joins its team."""
    recruiter_id, token = await create_user(client, tenant, "recruiter", sees_all_jobs=False)
    me = bearer(token)
    profile = (
        await client.post("/v1/role-profiles", headers=me, json={"from_library": "backend-engineer"})
    ).json()
    job = await client.post("/v1/jobs", headers=me, json=job_body(profile["id"]))
    assert job.status_code == 201, job.text
    assert {"user_id": recruiter_id, "role": "recruiter"} in job.json()["hiring_team"]
    assert (await client.post(f"/v1/jobs/{job.json()['id']}/open", headers=me)).status_code == 200
    person = await client.post(
        "/v1/candidates",
        headers=me,
        json={"full_name": "Sourced Person", "email": f"s-{uuid.uuid4().hex[:6]}@example.com"},
    )
    assert person.status_code == 201, person.text
    assert (await client.get(f"/v1/candidates/{person.json()['id']}", headers=me)).status_code == 200
    added = await client.post(
        "/v1/applications", headers=me, json={"candidate_id": person.json()["id"], "job_id": job.json()["id"]}
    )
    assert added.status_code == 201, added.text


async def test_core_statement_on_a_restricted_table_is_refused(
    sessionmaker: async_sessionmaker[AsyncSession], tenant: Tenant
) -> None:
    async with transaction(sessionmaker) as session:
        bind_organisation(session, tenant.organisation_id)
        access.restrict_session(session, tenant.admin_id)
        core = select(Candidate.__table__.c.id).execution_options(all_tenants=True)
        from rolecall.platform.tenancy import all_tenants

        with pytest.raises(access.AccessViolation):
            await session.execute(core.execution_options(**all_tenants()))
        # Said out loud, it runs (for statements whose answer reveals nothing of the rows).
        await session.execute(core.execution_options(**all_tenants(), **access.everything()))


async def test_demo_recruiter_and_manager_see_the_demo_job(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    await load_demo(app.state.sessionmaker, settings)
    tokens = {a.role: (await login(client, a.email, DEMO_PASSWORD))["access_token"] for a in DEMO_ACCOUNTS}
    recruiter, manager = bearer(tokens["recruiter"]), bearer(tokens["hiring_manager"])
    everything = await client.get("/v1/jobs", headers=recruiter, params={"limit": 200})
    assert len(everything.json()["items"]) == 7
    own = await client.get("/v1/jobs", headers=manager, params={"limit": 200})
    assert [j["title"] for j in own.json()["items"]] == ["Lead Back-End Engineer"]
    applications = await client.get("/v1/applications", headers=manager, params={"limit": 200})
    assert len(applications.json()["items"]) == 9
    users = await client.get("/v1/users", headers=bearer(tokens["admin"]), params={"limit": 200})
    flags = {u["email"]: u["sees_all_jobs"] for u in users.json()["items"]}
    assert flags["recruiter@acme.example"] is True
    assert flags["manager@acme.example"] is False


async def test_staff_pages_follow_the_same_rule(
    app: FastAPI, client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant
) -> None:
    world = await two_jobs(client, app, tenant)
    user = await client.get(f"/v1/users/{world['manager_id']}", headers=tenant.headers)
    await sign_in(pages, user.json()["email"])
    jobs = await pages.get("/app/jobs")
    assert jobs.status_code == 200
    assert "Job A engineer" in jobs.text
    assert "Job B engineer" not in jobs.text
    people = await pages.get("/app/candidates")
    assert "Alma Ames" in people.text
    assert "Bert Bloom" not in people.text
    assert (await pages.get(f"/app/candidates/{world['a']['candidate']['id']}")).status_code == 200
    assert (await pages.get(f"/app/candidates/{world['b']['candidate']['id']}")).status_code == 404


async def test_admin_sets_the_flag_on_the_staff_page(
    app: FastAPI, client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant
) -> None:
    user_id, _ = await create_user(client, tenant, "hiring_manager", sees_all_jobs=False)
    csrf = await sign_in(pages, tenant.admin_email)
    listing = await pages.get("/app/settings/users")
    assert "Their hiring teams" in listing.text
    version = re.search(
        rf'/app/settings/users/{user_id}">.*?name="version" value="(\d+)"', listing.text, re.S
    )
    assert version is not None
    changed = await pages.post(
        f"/app/settings/users/{user_id}",
        data={
            "csrf_token": csrf,
            "version": version.group(1),
            "roles": ["hiring_manager"],
            "is_active": "true",
            "sees_all_jobs": "true",
        },
    )
    assert changed.status_code == 303, changed.text
    assert (await client.get(f"/v1/users/{user_id}", headers=tenant.headers)).json()["sees_all_jobs"] is True


async def test_the_team_query_runs_at_most_once_per_request(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hot path: one query for the caller's jobs when a request reads job-bound rows, none else;
    the next requests reuse its answer (for up to a second, while no job is written)."""
    world = await two_jobs(client, app, tenant)
    monkeypatch.setattr(access._Teams, "ttl", 60.0)  # a slow machine must not age the answer out mid-test
    engine = app.state.sessionmaker.kw["bind"].sync_engine
    team_queries: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "hiring_team" in statement and "LIKE" in statement.upper():
            team_queries.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        for path, expected in (
            ("/v1/applications", 1),
            (f"/v1/candidates/{world['a']['candidate']['id']}", 0),
            ("/v1/me", 0),
        ):
            team_queries.clear()
            response = await client.get(path, headers=world["manager"])
            assert response.status_code == 200, response.text
            assert len(team_queries) == expected, path
    finally:
        event.remove(engine, "before_cursor_execute", count)


async def test_a_panel_seat_shows_the_application_but_does_not_open_it_to_changes(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    """A recruiter interviewing for another team's job reads what the interview needs, changes none."""
    world = await two_jobs(client, app, tenant)
    recruiter_id, token = await create_user(client, tenant, "recruiter", sees_all_jobs=False)
    starts = (utcnow() + timedelta(days=3)).replace(microsecond=0).isoformat()
    application = world["b"]["application"]
    scheduled = await client.post(
        f"/v1/applications/{application['id']}/interviews",
        headers=tenant.headers,
        json={
            "title": "Panel",
            "starts_at": starts,
            "duration_minutes": 45,
            "interviewer_ids": [recruiter_id],
        },
    )
    assert scheduled.status_code == 201, scheduled.text
    me = bearer(token)
    assert (await client.get(f"/v1/applications/{application['id']}", headers=me)).status_code == 200
    assert (await client.get(f"/v1/jobs/{world['job_b']['id']}", headers=me)).status_code == 200
    moved = await client.post(
        f"/v1/applications/{application['id']}/move", headers=me, json={"stage": "Recruiter screen"}
    )
    assert moved.status_code == 404, moved.text
    renamed = await client.patch(
        f"/v1/jobs/{world['job_b']['id']}", headers={**me, "If-Match": "*"}, json={"title": "Not mine"}
    )
    assert renamed.status_code == 404, renamed.text
    unchanged = await client.get(f"/v1/applications/{application['id']}", headers=tenant.headers)
    assert unchanged.json()["stage"] == application["stage"]


# Tables that name a job-bound object yet need no criterion, and why.
UNRESTRICTED = {
    # Queued by the worker for the team member it names, read only by the worker's digest job.
    "notification_digest_items": "worker-only, per named member",
}


def test_every_table_that_names_a_job_bound_object_declares_its_criterion() -> None:
    """A new table holding a job's, candidate's or application's id cannot be forgotten by the rule."""
    import rolecall.models  # noqa: F401 - every table mapped
    from rolecall.platform.db import Base

    keys = {"job_id", "candidate_id", "application_id", "interview_id", "offer_id"}
    named = {table.name for table in Base.metadata.tables.values() if keys & set(table.c.keys())}
    assert named - set(UNRESTRICTED) <= access.restricted_tables(), named - access.restricted_tables()
    assert set(UNRESTRICTED) <= named, "an exemption names a table that no longer needs one"
