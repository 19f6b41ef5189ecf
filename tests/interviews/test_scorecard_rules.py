"""Scorecards open only once the interview starts (5 minutes' leeway), and skills may be "not assessed".

A skill marked not assessed has no rating, satisfies the submission rule, and is left out of every
aggregate: the application summary, the ranking's interview evidence and the event's ratings.
"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from rolecall.interviews import service as interviews
from rolecall.platform.db import transaction
from rolecall.platform.tenancy import bind_organisation
from tests.conftest import FrozenClock
from tests.factories import Tenant, login, open_job
from tests.interviews.support import (
    Person,
    application,
    events,
    mine,
    person,
    schedule,
    took_place,
)
from tests.platform.problems import assert_problem
from tests.web.support import create_staff, sign_in


async def _rate(
    client: httpx.AsyncClient, interview: dict[str, Any], who: Person, ratings: dict[str, Any], **rest: Any
) -> httpx.Response:
    draft = await client.get(mine(interview), headers=who.headers)
    assert draft.status_code == 200, draft.text
    headers = {**who.headers, "If-Match": draft.headers["etag"]}
    return await client.put(mine(interview), headers=headers, json={"ratings": ratings, **rest})


async def _skills(client: httpx.AsyncClient, interview: dict[str, Any], who: Person) -> list[str]:
    draft = await client.get(mine(interview), headers=who.headers)
    assert draft.status_code == 200, draft.text
    return [a["skill"] for a in draft.json()["attributes"]]


async def test_no_scorecard_before_the_interview_starts_with_five_minutes_leeway(
    clock: FrozenClock, client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    applied = await application(client, app, tenant)
    ann = await person(client, tenant, "interviewer")
    starts = clock.now + timedelta(minutes=10)
    interview = await schedule(client, tenant, applied["id"], ann, starts_at=starts.isoformat())

    early = assert_problem(await client.get(mine(interview), headers=ann.headers), 409, "conflict")
    assert "5 minutes before its start" in early["detail"]
    clock.advance(minutes=4)  # six minutes before: still too early
    assert_problem(await client.get(mine(interview), headers=ann.headers), 409)
    clock.advance(minutes=2)  # four minutes before: within the leeway
    opened = await client.get(mine(interview), headers=ann.headers)
    assert opened.status_code == 200, opened.text

    # The interview moves two days later: the draft waits too, for changes and for submission.
    current = await client.get(f"/v1/interviews/{interview['id']}", headers=tenant.headers)
    moved = await client.patch(
        f"/v1/interviews/{interview['id']}",
        headers={**tenant.headers, "If-Match": current.headers["etag"]},
        json={"starts_at": (starts + timedelta(days=2)).isoformat()},
    )
    assert moved.status_code == 200, moved.text
    headers = {**ann.headers, "If-Match": opened.headers["etag"]}
    assert_problem(await client.put(mine(interview), headers=headers, json={"notes": "early"}), 409)
    assert_problem(await client.post(f"{mine(interview)}/submit", headers=ann.headers), 409)


async def test_a_skill_marked_not_assessed_counts_for_submission_and_in_no_average(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    job = await open_job(client, app, tenant, level="junior", salary=None)
    applied = await application(client, app, tenant, job)
    ann = await person(client, tenant, "interviewer")
    bob = await person(client, tenant, "interviewer")
    interview = await schedule(client, tenant, applied["id"], ann, bob)
    await took_place(app, interview)
    skills = await _skills(client, interview, ann)
    first, second, *rest = skills

    # The contract: 1-4, "not_assessed", or null; nothing else.
    bad = await _rate(client, interview, ann, {first: "skipped"})
    assert_problem(bad, 422)
    marked = await _rate(client, interview, ann, {first: "not_assessed", second: 4})
    assert marked.status_code == 200, marked.text
    attributes = {a["skill"]: a for a in marked.json()["attributes"]}
    assert (attributes[first]["rating"], attributes[first]["not_assessed"]) == (None, True)
    assert (attributes[second]["rating"], attributes[second]["not_assessed"]) == (4, False)

    # Neither rated nor marked: the submission names the skill and both ways out.
    incomplete = assert_problem(await client.post(f"{mine(interview)}/submit", headers=ann.headers), 422)
    assert incomplete["errors"][0] == {
        "field": f"attributes.{rest[0]}",
        "message": f"Rate {attributes[rest[0]]['name']} (1-4) or mark it not assessed.",
    }
    # null clears the mark as well as a rating.
    cleared = await _rate(client, interview, ann, {first: None})
    assert {a["skill"]: a["not_assessed"] for a in cleared.json()["attributes"]}[first] is False
    done = await _rate(
        client,
        interview,
        ann,
        {first: "not_assessed", second: 4, **dict.fromkeys(rest, 3)},
        recommendation="yes",
    )
    assert done.status_code == 200, done.text
    submitted = await client.post(f"{mine(interview)}/submit", headers=ann.headers)
    assert submitted.status_code == 200, submitted.text

    [event] = await events(app, f"scorecards/{submitted.json()['id']}")
    assert first not in event.data["ratings"]
    assert event.data["ratings"][second] == 4
    assert event.data["not_assessed"] == [first]

    # Bob rates the first skill 2 and marks the second not assessed.
    bob_done = await _rate(
        client,
        interview,
        bob,
        {first: 2, second: "not_assessed", **dict.fromkeys(rest, "not_assessed")},
        recommendation="no",
    )
    assert bob_done.status_code == 200, bob_done.text
    assert (await client.post(f"{mine(interview)}/submit", headers=bob.headers)).status_code == 200

    summary = await client.get(f"/v1/applications/{applied['id']}/scorecards", headers=tenant.headers)
    assert summary.status_code == 200, summary.text
    by_skill = {s["skill"]: s for s in summary.json()["skills"]}
    assert (
        by_skill[first]["average_rating"],
        by_skill[first]["ratings"],
        by_skill[first]["not_assessed"],
    ) == (
        2.0,
        1,
        1,
    )
    assert (by_skill[second]["average_rating"], by_skill[second]["ratings"]) == (4.0, 1)
    assert (by_skill[rest[0]]["average_rating"], by_skill[rest[0]]["not_assessed"]) == (3.0, 1)

    # The ranking reads the same means: a not-assessed mark is no low rating.
    async with transaction(app.state.sessionmaker) as session:
        bind_organisation(session, tenant.organisation_id)
        means = await interviews.job_rating_means(session, uuid.UUID(applied["job_id"]))
    skill_means, cards = means[uuid.UUID(applied["id"])]
    assert cards == 2
    assert skill_means[first][1] == 2.0
    assert skill_means[second][1] == 4.0
    ranking = await client.get(f"/v1/jobs/{applied['job_id']}/candidate-ranking", headers=tenant.headers)
    assert ranking.status_code == 200, ranking.text
    [entry] = [i for i in ranking.json()["items"] if i["application_id"] == applied["id"]]
    mean = sum(m for _, m in skill_means.values()) / len(skill_means)
    assert abs(entry["evidence"]["scorecards"] - 100 * (mean - 1) / 3) < 0.01
    reasons = " ".join(entry["lifted"] + entry["lowered"])
    assert f"{skill_means[second][0]}: rated 4.0 of 4 in interviews" in reasons
    assert f"{skill_means[first][0]}: rated 2.0 of 4 in interviews" in reasons  # Bob's 2 alone


async def test_the_scorecard_page_offers_not_assessed_and_keeps_the_choice(
    client: httpx.AsyncClient, pages: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    applied = await application(client, app, tenant)
    user_id, email = await create_staff(client, tenant, "interviewer")
    ann = Person(user_id, (await login(client, email))["access_token"])
    interview = await schedule(client, tenant, applied["id"], ann)
    path = f"/app/interviews/{interview['id']}/scorecard"
    csrf = await sign_in(pages, email)

    early = await pages.get(path)
    assert early.status_code == 409
    assert "minutes before its start" in early.text

    await took_place(app, interview)
    form = await pages.get(path)
    assert form.status_code == 200
    skills = await _skills(client, interview, ann)
    version = (await client.get(mine(interview), headers=ann.headers)).json()["version"]
    saved = await pages.post(
        path,
        data={
            "csrf_token": csrf,
            "version": str(version),
            f"rating.{skills[0]}": "not_assessed",
            "action": "draft",
        },
    )
    assert saved.status_code == 303, saved.text
    again = await pages.get(path)
    field = f"field-rating-{skills[0]}-not-assessed"
    assert re.search(rf'id="{field}" name="rating.{skills[0]}" value="not_assessed" checked', again.text)
    card = await client.get(mine(interview), headers=ann.headers)
    assert card.json()["attributes"][0] == {
        **card.json()["attributes"][0],
        "rating": None,
        "not_assessed": True,
    }
