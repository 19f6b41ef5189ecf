"""Applications through the staff API: adding, the state machine, history, allowed actions, bulk."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.platform.db import transaction
from rolecall.platform.events.models import OutboxEvent
from rolecall.platform.tenancy import all_tenants
from tests.conftest import FrozenClock
from tests.factories import (
    Tenant,
    create_application,
    create_candidate,
    create_user,
    fork_profile,
    move_application,
    open_job,
    update_job_settings,
)
from tests.platform.problems import assert_problem


async def events_of(sessionmaker: async_sessionmaker[AsyncSession], application_id: str) -> list[OutboxEvent]:
    async with transaction(sessionmaker) as session:
        stmt = (
            select(OutboxEvent)
            .where(OutboxEvent.subject == f"applications/{application_id}")
            .order_by(OutboxEvent.id)
            .execution_options(**all_tenants())
        )
        return list((await session.scalars(stmt)).all())


async def act(
    client: httpx.AsyncClient, tenant: Tenant, application: dict[str, Any], action: str, **body: Any
) -> httpx.Response:
    return await client.post(
        f"/v1/applications/{application['id']}/{action}", headers=tenant.headers, json=body or None
    )


async def test_an_application_starts_in_the_first_stage_and_emits_its_creation(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    application = await create_application(client, app, tenant)
    assert (application["stage"], application["stage_type"], application["status"]) == (
        "Applied",
        "applied",
        "active",
    )
    assert application["source"] == "other"  # the candidate's own source
    events = await events_of(sessionmaker, application["id"])
    assert [e.type for e in events] == ["application.created"]
    assert events[0].data["schema_version"] == 1
    assert events[0].data["application"]["stage"] == "Applied"

    listed = await client.get(
        "/v1/applications", headers=tenant.headers, params={"job_id": application["job_id"]}
    )
    assert [item["id"] for item in listed.json()["items"]] == [application["id"]]
    read = await client.get(f"/v1/applications/{application['id']}", headers=tenant.headers)
    assert read.status_code == 200
    assert read.json()["answers"] == {}
    assert read.headers["cache-control"] == "no-store"


async def test_a_person_applies_to_a_job_once(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    application = await create_application(client, app, tenant)
    again = await client.post(
        "/v1/applications",
        headers=tenant.headers,
        json={"candidate_id": application["candidate_id"], "job_id": application["job_id"]},
    )
    assert "already applied" in assert_problem(again, 409)["detail"]


async def test_draft_and_closed_jobs_take_no_applications(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    job = await open_job(client, app, tenant)
    closed = await client.post(
        f"/v1/jobs/{job['id']}/close", headers=tenant.headers, json={"reason": "cancelled"}
    )
    assert closed.status_code == 200, closed.text
    candidate = await create_candidate(client, tenant)
    response = await client.post(
        "/v1/applications",
        headers=tenant.headers,
        json={"candidate_id": candidate["id"], "job_id": job["id"]},
    )
    assert "closed" in assert_problem(response, 409)["detail"]


async def test_moves_follow_the_state_machine(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    application = await create_application(client, app, tenant)
    moved = await move_application(client, tenant, application, "technical interview")  # names ignore case
    assert (moved["stage"], moved["stage_type"]) == ("Technical interview", "interview")
    back = await move_application(client, tenant, application, "Recruiter screen")  # backwards is allowed
    assert back["stage"] == "Recruiter screen"

    unknown = await act(client, tenant, application, "move", stage="Lunch")
    assert assert_problem(unknown, 422)["errors"][0]["field"] == "stage"
    hired = await act(client, tenant, application, "move", stage="Hired")
    assert "offer" in assert_problem(hired, 422)["detail"]
    rejected = await act(client, tenant, application, "move", stage="Rejected")
    assert "reject action" in assert_problem(rejected, 422)["detail"]
    same = await act(client, tenant, application, "move", stage="Recruiter screen")
    assert_problem(same, 409)


async def test_reject_needs_a_known_reason_and_unreject_returns_to_the_stage(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    application = await create_application(client, app, tenant)
    await move_application(client, tenant, application, "Skills assessment")
    unknown = await act(client, tenant, application, "reject", reason="too_tall")
    problem = assert_problem(unknown, 422)
    assert problem["errors"][0]["field"] == "reason"
    assert "skills_gap" in problem["detail"]

    rejected = await act(client, tenant, application, "reject", reason="skills_gap")
    assert rejected.status_code == 200, rejected.text
    assert (rejected.json()["status"], rejected.json()["stage"], rejected.json()["reject_reason"]) == (
        "rejected",
        "Rejected",
        "skills_gap",
    )
    assert (
        "unreject it"
        in assert_problem(await act(client, tenant, application, "move", stage="Offer"), 409)["detail"]
    )

    restored = await act(client, tenant, application, "unreject")
    assert restored.status_code == 200, restored.text
    assert (restored.json()["status"], restored.json()["stage"], restored.json()["reject_reason"]) == (
        "active",
        "Skills assessment",
        None,
    )
    assert_problem(await act(client, tenant, application, "unreject"), 409)
    types = [e.type for e in await events_of(sessionmaker, application["id"])]
    assert types == [
        "application.created",
        "application.stage_changed",
        "application.rejected",
        "application.stage_changed",
    ]


async def test_withdrawn_is_final(client: httpx.AsyncClient, app: FastAPI, tenant: Tenant) -> None:
    application = await create_application(client, app, tenant)
    withdrawn = await act(client, tenant, application, "withdraw")
    assert (withdrawn.json()["status"], withdrawn.json()["stage"]) == ("withdrawn", "Applied")
    for action, body in (
        ("move", {"stage": "Offer"}),
        ("reject", {"reason": "other"}),
        ("withdraw", {}),
        ("unreject", {}),
    ):
        assert (
            "withdrew"
            in assert_problem(await act(client, tenant, application, action, **body), 409)["detail"]
        )


async def test_transitions_record_actor_and_time_in_stage(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, clock: FrozenClock
) -> None:
    application = await create_application(client, app, tenant)
    clock.advance(minutes=5)
    await move_application(client, tenant, application, "Recruiter screen")
    clock.advance(minutes=7)
    await act(client, tenant, application, "reject", reason="compensation")
    response = await client.get(f"/v1/applications/{application['id']}/transitions", headers=tenant.headers)
    rows = response.json()
    assert [(r["action"], r["from_stage"], r["to_stage"]) for r in rows] == [
        ("applied", None, "Applied"),
        ("move", "Applied", "Recruiter screen"),
        ("reject", "Recruiter screen", "Rejected"),
    ]
    assert [r["seconds_in_stage"] for r in rows] == [5 * 60, 7 * 60, None]
    assert {r["actor"] for r in rows} == {f"user:{tenant.admin_id}"}
    assert rows[2]["reason"] == "compensation"


async def test_allowed_actions_depend_on_status_stage_and_scopes(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    application = await create_application(client, app, tenant)
    url = f"/v1/applications/{application['id']}/allowed-actions"
    actions = {a["action"]: a for a in (await client.get(url, headers=tenant.headers)).json()["actions"]}
    assert set(actions) == {"move", "reject", "withdraw", "schedule_interview"}
    assert actions["move"]["stages"] == [
        "Recruiter screen",
        "Skills assessment",
        "Technical interview",
        "Team interview",
        "Offer",
    ]
    assert "skills_gap" in {r["key"] for r in actions["reject"]["reasons"]}

    await move_application(client, tenant, application, "Offer")
    names = {a["action"] for a in (await client.get(url, headers=tenant.headers)).json()["actions"]}
    assert "make_offer" in names

    _, manager_token = await create_user(client, tenant, "hiring_manager")
    seen = (await client.get(url, headers={"Authorization": f"Bearer {manager_token}"})).json()["actions"]
    assert {a["action"] for a in seen} == {"schedule_interview"}  # reads, may not move

    await act(client, tenant, application, "reject", reason="other")
    names = {a["action"] for a in (await client.get(url, headers=tenant.headers)).json()["actions"]}
    assert names == {"unreject"}


async def test_concurrent_moves_lose_no_update(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    application = await create_application(client, app, tenant)
    etag = (await client.get(f"/v1/applications/{application['id']}", headers=tenant.headers)).headers["etag"]
    url = f"/v1/applications/{application['id']}/move"
    first, second = await asyncio.gather(
        client.post(url, headers={**tenant.headers, "If-Match": etag}, json={"stage": "Recruiter screen"}),
        client.post(url, headers={**tenant.headers, "If-Match": etag}, json={"stage": "Offer"}),
    )
    assert sorted([first.status_code, second.status_code]) == [200, 412], (first.text, second.text)
    winner = first if first.status_code == 200 else second
    history = (
        await client.get(f"/v1/applications/{application['id']}/transitions", headers=tenant.headers)
    ).json()
    assert [r["to_stage"] for r in history] == ["Applied", winner.json()["stage"]]


async def test_bulk_actions_succeed_or_fail_per_application(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, other_tenant: Tenant
) -> None:
    job = await open_job(client, app, tenant)
    first = await create_application(client, app, tenant, job)
    second = await create_application(client, app, tenant, job)
    gone = await create_application(client, app, tenant, job)
    await act(client, tenant, gone, "withdraw")
    foreign = await create_application(client, app, other_tenant)
    ids = [first["id"], second["id"], gone["id"], foreign["id"]]
    response = await client.post(
        "/v1/applications/bulk",
        headers=tenant.headers,
        json={"action": "move", "application_ids": ids, "stage": "Recruiter screen"},
    )
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["done"], result["failed"]) == (2, 2)
    assert [(i["outcome"], i["status"]) for i in result["items"]] == [
        ("done", 200),
        ("done", 200),
        ("failed", 409),
        ("failed", 404),
    ]

    rejected = await client.post(
        "/v1/applications/bulk",
        headers=tenant.headers,
        json={"action": "reject", "application_ids": ids[:2], "reason": "position_filled"},
    )
    assert rejected.json()["done"] == 2
    for application in (first, second):
        history = (
            await client.get(f"/v1/applications/{application['id']}/transitions", headers=tenant.headers)
        ).json()
        assert [r["action"] for r in history] == ["applied", "move", "reject"]
        assert history[1]["bulk_id"] == result["bulk_id"]
        assert history[2]["bulk_id"] == rejected.json()["bulk_id"]
    bad = await client.post(
        "/v1/applications/bulk", headers=tenant.headers, json={"action": "hire", "application_ids": ids}
    )
    assert_problem(bad, 422)


async def test_reject_reasons_and_consent_text_are_the_organisations(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    current = await client.get("/v1/pipeline-settings", headers=tenant.headers)
    assert current.status_code == 200
    headers = {**tenant.headers, "If-Match": current.headers["etag"]}
    same_version = await client.patch(
        "/v1/pipeline-settings",
        headers=headers,
        json={"consent_text": "A new text about your data, long enough."},
    )
    assert_problem(same_version, 422)
    duplicate = await client.patch(
        "/v1/pipeline-settings",
        headers=headers,
        json={"reject_reasons": [{"key": "a", "label": "A"}, {"key": "a", "label": "B"}]},
    )
    assert_problem(duplicate, 422)
    changed = await client.patch(
        "/v1/pipeline-settings",
        headers=headers,
        json={"reject_reasons": [{"key": "timing", "label": "Timing"}]},
    )
    assert changed.status_code == 200, changed.text
    application = await create_application(client, app, tenant)
    assert_problem(await act(client, tenant, application, "reject", reason="skills_gap"), 422)
    assert (await act(client, tenant, application, "reject", reason="timing")).status_code == 200


async def test_a_job_copies_the_organisations_stage_template(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    template = [
        {"name": "New", "type": "applied"},
        {"name": "Call", "type": "screen"},
        {"name": "Offer", "type": "offer"},
        {"name": "Hired", "type": "hired"},
        {"name": "Declined", "type": "rejected"},
    ]
    settings = await update_job_settings(client, tenant, stage_template=template)
    assert settings["stage_template"] == template
    job = await open_job(client, app, tenant)
    assert job["stages"] == template
    application = await create_application(client, app, tenant, job)
    assert application["stage"] == "New"
    rejected = await act(client, tenant, application, "reject", reason="other")
    assert rejected.json()["stage"] == "Declined"


async def test_reading_answers_is_audited(client: httpx.AsyncClient, app: FastAPI, tenant: Tenant) -> None:
    application = await create_application(client, app, tenant)
    await client.get(f"/v1/applications/{application['id']}", headers=tenant.headers)
    audit = await client.get(
        "/v1/audit-events", headers=tenant.headers, params={"action": "application.viewed"}
    )
    assert audit.status_code == 200, audit.text
    entries = audit.json()["items"]
    assert [e["target_id"] for e in entries] == [application["candidate_id"]]


async def test_merging_candidates_moves_their_applications(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    from tests.factories import deliver

    profile = await fork_profile(client, tenant)
    job = await open_job(client, app, tenant, profile["id"])
    other_job = await open_job(client, app, tenant, profile["id"])
    keep = await create_application(client, app, tenant, job)
    duplicate_same_job = await create_application(client, app, tenant, job)
    candidate = await client.get(f"/v1/candidates/{keep['candidate_id']}", headers=tenant.headers)
    other = await create_application(client, app, tenant, other_job)
    # The duplicate person applied to both jobs under another address.
    dup_candidate = duplicate_same_job["candidate_id"]
    moved_app = await client.post(
        "/v1/applications",
        headers=tenant.headers,
        json={"candidate_id": dup_candidate, "job_id": other_job["id"]},
    )
    assert moved_app.status_code == 201, moved_app.text
    merged = await client.post(
        f"/v1/candidates/{keep['candidate_id']}/merge",
        headers={**tenant.headers, "If-Match": candidate.headers["etag"]},
        json={"duplicate_id": dup_candidate},
    )
    assert merged.status_code == 200, merged.text
    await deliver(app)
    mine = await client.get(
        "/v1/applications", headers=tenant.headers, params={"candidate_id": keep["candidate_id"]}
    )
    ids = {item["id"] for item in mine.json()["items"]}
    # Same job twice: the surviving candidate's application stays, the duplicate's no longer counts.
    assert ids == {keep["id"], moved_app.json()["id"]}
    assert other["candidate_id"] != keep["candidate_id"]
    gone = await client.get(f"/v1/applications/{duplicate_same_job['id']}", headers=tenant.headers)
    assert_problem(gone, 404)
    await deliver(app)  # redelivery is harmless
    again = await client.get(
        "/v1/applications", headers=tenant.headers, params={"candidate_id": keep["candidate_id"]}
    )
    assert {item["id"] for item in again.json()["items"]} == ids


async def test_adding_an_application_reads_no_personal_data_and_refuses_erased_people(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    job = await open_job(client, app, tenant)
    candidate = await create_candidate(client, tenant)
    body = {"candidate_id": candidate["id"], "job_id": job["id"]}
    added = await client.post("/v1/applications", headers=tenant.headers, json=body)
    assert added.status_code == 201, added.text
    viewed = await client.get(
        "/v1/audit-events", headers=tenant.headers, params={"action": "candidate.viewed"}
    )
    assert viewed.json()["items"] == []  # adding someone to a job is not reading their data

    other = await create_candidate(client, tenant)
    erased = await client.post(
        f"/v1/candidates/{other['id']}/erase", headers=tenant.headers, json={"reason": "data_subject_request"}
    )
    assert erased.status_code == 200, erased.text
    refused = await client.post(
        "/v1/applications", headers=tenant.headers, json={"candidate_id": other["id"], "job_id": job["id"]}
    )
    assert "erased" in assert_problem(refused, 409)["detail"]


async def test_every_application_is_scored_and_a_new_resume_rescores_it(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    from tests.factories import deliver

    application = await create_application(client, app, tenant)
    # No resume yet: still a score, with every must-have skill listed as missing and why.
    assert application["match_score"] == application["match"]["total"]
    assert application["match"]["evidence"] == {
        "skills": [],
        "proficiency": {},
        "years_experience": None,
        "resume_years_experience": None,
        "source": "stated",
        "resume_file_id": None,
    }
    assert any(c["kind"] == "missing_must_have" for c in application["match"]["components"])
    before = application["match_score"]

    resume = b"Lead back-end engineer. REST, microservices, system design, SQL, PostgreSQL, Docker, CI/CD.\n"
    uploaded = await client.post(
        f"/v1/candidates/{application['candidate_id']}/files",
        headers=tenant.headers,
        files={"file": ("cv.txt", resume)},
    )
    assert uploaded.status_code == 201, uploaded.text
    await deliver(app)
    await deliver(app)  # a redelivery changes nothing
    after = (await client.get(f"/v1/applications/{application['id']}", headers=tenant.headers)).json()
    assert after["match_score"] > before
    assert after["resume_file_id"] == uploaded.json()["id"]
    assert "postgresql" in after["match"]["evidence"]["skills"]
    # Scored as resume evidence: soft skills are not assessed rather than missing.
    assert after["match"]["evidence"]["source"] == "resume"
    kinds = {c["skill_id"]: c["kind"] for c in after["match"]["components"] if c["skill_id"]}
    assert kinds["leadership"] == "not_assessed"
    assert [e.type for e in await events_of(sessionmaker, application["id"])].count(
        "application.rescored"
    ) == 1
