"""Scorecards: started lazily from the pinned profile, sealed notes, blind until submitted, then frozen."""

from __future__ import annotations

import uuid

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from rolecall.interviews.models import Scorecard
from rolecall.platform.db import transaction
from rolecall.platform.tenancy import all_tenants
from rolecall.roles.library.loader import load_library
from tests.factories import Tenant, open_job
from tests.interviews.support import (
    NOTES_CANARY,
    application,
    audit_actions,
    events,
    fill,
    mine,
    person,
    schedule,
    took_place,
)
from tests.platform.problems import assert_problem


async def test_my_scorecard_is_started_once_from_the_pinned_profile_at_the_jobs_level(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    job = await open_job(client, app, tenant, level="junior", salary=None)
    applied = await application(client, app, tenant, job)
    ann = await person(client, tenant, "interviewer")
    interview = await schedule(client, tenant, applied["id"], ann)
    await took_place(app, interview)

    first = await client.get(mine(interview), headers=ann.headers)
    assert first.status_code == 200, first.text
    assert first.headers["cache-control"] == "no-store"
    card = first.json()
    profile = load_library().get("backend-engineer")
    expected = [
        {"skill": s.skill_id, "name": s.name, "rating": None, "not_assessed": False}
        for s in profile.skills
        if "junior" in s.proficiency
    ]
    assert card["attributes"] == expected
    assert "event-driven" not in [a["skill"] for a in card["attributes"]]  # not asked of juniors
    assert (card["status"], card["version"], card["recommendation"], card["notes"]) == (
        "draft",
        1,
        None,
        None,
    )
    assert card["interviewer_id"] == ann.id
    assert card["application_id"] == applied["id"]

    again = await client.get(mine(interview), headers=ann.headers)
    assert again.json()["id"] == card["id"]
    created = [a for a in await audit_actions(client, tenant) if a["action"] == "scorecard.created"]
    assert [a["target_id"] for a in created] == [card["id"]]


async def test_only_the_interviews_interviewers_write_and_not_after_cancelling(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    applied = await application(client, app, tenant)
    ann = await person(client, tenant, "interviewer")
    bob = await person(client, tenant, "interviewer")
    rita = await person(client, tenant, "recruiter")
    interview = await schedule(client, tenant, applied["id"], ann, bob)
    await took_place(app, interview)

    assert_problem(await client.get(mine(interview), headers=rita.headers), 403, "forbidden")
    other = await schedule(client, tenant, applied["id"], bob)
    assert_problem(await client.get(mine(other), headers=ann.headers), 404)  # not even visible to her

    draft = await client.get(mine(interview), headers=ann.headers)
    assert draft.status_code == 200
    cancelled = await client.post(f"/v1/interviews/{interview['id']}/cancel", headers=tenant.headers)
    assert cancelled.status_code == 200
    # Bob never started one: none can be started now. Ann may still read her draft, but a cancelled
    # interview takes no scorecard: neither changes nor a submission.
    assert_problem(await client.get(mine(interview), headers=bob.headers), 409, "conflict")
    again = await client.get(mine(interview), headers=ann.headers)
    assert again.json()["id"] == draft.json()["id"]
    headers = {**ann.headers, "If-Match": again.headers["etag"]}
    changed = assert_problem(await client.put(mine(interview), headers=headers, json={"notes": "x"}), 409)
    assert "cancelled" in changed["detail"]
    assert_problem(await client.post(f"{mine(interview)}/submit", headers=ann.headers), 409, "conflict")


async def test_update_validates_and_seals_notes_then_submit_freezes_the_card(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    applied = await application(client, app, tenant)
    ann = await person(client, tenant, "interviewer")
    interview = await schedule(client, tenant, applied["id"], ann)
    await took_place(app, interview)
    draft = await client.get(mine(interview), headers=ann.headers)
    skills = [a["skill"] for a in draft.json()["attributes"]]
    headers = {**ann.headers, "If-Match": draft.headers["etag"]}

    assert_problem(await client.put(mine(interview), headers=ann.headers, json={}), 428)
    unknown = await client.put(mine(interview), headers=headers, json={"ratings": {"cobol": 3}})
    assert assert_problem(unknown, 422)["errors"] == [
        {"field": "ratings.cobol", "message": "Not a skill on this scorecard."}
    ]
    assert_problem(await client.put(mine(interview), headers=headers, json={"ratings": {skills[0]: 5}}), 422)
    assert_problem(await client.put(mine(interview), headers=headers, json={"recommendation": "maybe"}), 422)
    too_long = {"notes": "x" * 10_001}
    assert_problem(await client.put(mine(interview), headers=headers, json=too_long), 422)

    partial = {"ratings": {skills[0]: 4, skills[1]: 1}, "notes": NOTES_CANARY}
    updated = await client.put(mine(interview), headers=headers, json=partial)
    assert updated.status_code == 200, updated.text
    body = updated.json()
    assert body["version"] == 2
    assert body["notes"] == NOTES_CANARY
    assert [a["rating"] for a in body["attributes"][:3]] == [4, 1, None]
    stale = await client.put(mine(interview), headers=headers, json={"recommendation": "yes"})
    assert_problem(stale, 412)

    async with transaction(app.state.sessionmaker) as session:
        stmt = (
            select(Scorecard.notes)
            .where(Scorecard.id == uuid.UUID(body["id"]))
            .execution_options(**all_tenants())
        )
        stored = (await session.execute(stmt)).scalar_one()
    assert stored is not None
    assert NOTES_CANARY not in stored

    incomplete = await client.post(f"{mine(interview)}/submit", headers=ann.headers)
    problem = assert_problem(incomplete, 422)
    fields = [error["field"] for error in problem["errors"]]
    assert fields == [f"attributes.{skill}" for skill in skills[2:]] + ["recommendation"]

    headers = {**ann.headers, "If-Match": updated.headers["etag"]}
    rest = {"ratings": dict.fromkeys(skills[2:], 3), "recommendation": "strong_yes"}
    assert (await client.put(mine(interview), headers=headers, json=rest)).status_code == 200
    submitted = await client.post(f"{mine(interview)}/submit", headers=ann.headers)
    assert submitted.status_code == 200, submitted.text
    card = submitted.json()
    assert card["status"] == "submitted"
    assert card["submitted_at"] is not None

    headers = {**ann.headers, "If-Match": submitted.headers["etag"]}
    assert_problem(await client.put(mine(interview), headers=headers, json={"notes": "x"}), 409, "conflict")
    assert_problem(await client.post(f"{mine(interview)}/submit", headers=ann.headers), 409, "conflict")

    [event] = await events(app, f"scorecards/{card['id']}")
    assert event.type == "scorecard.submitted"
    assert event.data["schema_version"] == 1
    assert event.data["recommendation"] == "strong_yes"
    assert event.data["interview_id"] == interview["id"]
    assert event.data["application_id"] == applied["id"]
    assert event.data["job_id"] == applied["job_id"]
    assert event.data["ratings"][skills[0]] == 4
    assert event.data["ratings"][skills[2]] == 3
    assert NOTES_CANARY not in str(event.data)
    audit = [a for a in await audit_actions(client, tenant) if a["target_id"] == card["id"]]
    assert NOTES_CANARY not in str(audit)
    assert [a["action"] for a in audit] == [
        "scorecard.created",
        "scorecard.updated",
        "scorecard.updated",
        "scorecard.submitted",
    ]


async def test_scorecards_are_hidden_from_an_interviewer_until_they_submit(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    applied = await application(client, app, tenant)
    ann = await person(client, tenant, "interviewer")
    bob = await person(client, tenant, "interviewer")
    cy = await person(client, tenant, "interviewer")
    outsider = await person(client, tenant, "interviewer")
    hm = await person(client, tenant, "hiring_manager")
    interview = await schedule(client, tenant, applied["id"], ann, bob, cy)
    path = f"/v1/interviews/{interview['id']}/scorecards"

    ann_card = await fill(client, interview, ann, 3, "yes")
    blind = await client.get(path, headers=bob.headers)
    assert "Submit your own scorecard" in assert_problem(blind, 403, "forbidden")["detail"]
    assert (await client.get(mine(interview), headers=cy.headers)).status_code == 200  # cy: a draft only

    bob_card = await fill(client, interview, bob, 2, "no")
    for reader in (ann, bob, hm):
        response = await client.get(path, headers=reader.headers)
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "no-store"
        items = response.json()["items"]
        assert [item["id"] for item in items] == [ann_card["id"], bob_card["id"]]  # no drafts
        assert items[0]["notes"] == NOTES_CANARY
    assert_problem(await client.get(path, headers=cy.headers), 403)
    assert_problem(await client.get(path, headers=outsider.headers), 404)


async def test_application_summary_averages_submitted_ratings_and_counts_recommendations(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    job = await open_job(client, app, tenant, level="junior", salary=None)
    applied = await application(client, app, tenant, job)
    ann = await person(client, tenant, "interviewer")
    bob = await person(client, tenant, "interviewer")
    cy = await person(client, tenant, "interviewer")
    hm = await person(client, tenant, "hiring_manager")
    first = await schedule(client, tenant, applied["id"], ann, cy)
    second = await schedule(client, tenant, applied["id"], bob)
    path = f"/v1/applications/{applied['id']}/scorecards"

    empty = await client.get(path, headers=hm.headers)
    assert empty.status_code == 200, empty.text
    assert empty.json()["scorecards"] == 0
    assert empty.json()["skills"] == []

    await fill(client, first, ann, 4, "strong_yes")
    await fill(client, second, bob, 1, "yes")
    draft = await client.get(mine(first), headers=cy.headers)  # a draft: never counted
    headers = {**cy.headers, "If-Match": draft.headers["etag"]}
    skills = [a["skill"] for a in draft.json()["attributes"]]
    await client.put(mine(first), headers=headers, json={"ratings": {skills[0]: 1}, "recommendation": "no"})

    response = await client.get(path, headers=hm.headers)
    assert response.status_code == 200, response.text
    summary = response.json()
    assert summary["application_id"] == applied["id"]
    assert summary["scorecards"] == 2
    assert summary["recommendations"] == {"strong_no": 0, "no": 0, "yes": 1, "strong_yes": 1}
    assert [s["skill"] for s in summary["skills"]] == skills
    assert {(s["average_rating"], s["ratings"]) for s in summary["skills"]} == {(2.5, 2)}

    assert_problem(await client.get(path, headers=ann.headers), 403)  # interviewers lack applications:read
    assert_problem(await client.get(f"/v1/applications/{first['id']}/scorecards", headers=hm.headers), 404)


async def test_the_summary_keeps_blind_review_for_panel_members_who_have_not_submitted(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    job = await open_job(client, app, tenant, level="junior", salary=None)
    applied = await application(client, app, tenant, job)
    ann = await person(client, tenant, "interviewer")
    hm = await person(client, tenant, "hiring_manager")  # may read applications, and sits on the panel
    interview = await schedule(client, tenant, applied["id"], ann, hm)
    path = f"/v1/applications/{applied['id']}/scorecards"
    await fill(client, interview, ann, 4, "strong_yes")

    refused = assert_problem(await client.get(path, headers=hm.headers), 403)
    assert "Submit your scorecards" in refused["detail"]
    await fill(client, interview, hm, 2, "no")
    summary = await client.get(path, headers=hm.headers)
    assert summary.status_code == 200, summary.text
    assert summary.json()["scorecards"] == 2
    assert (await client.get(path, headers=tenant.headers)).status_code == 200  # not on the panel
