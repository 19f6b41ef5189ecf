"""Interviews: scheduling against an active application, rescheduling, cancelling, invites, visibility."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from icalendar import Calendar

from tests.factories import Tenant, deliver
from tests.interviews.support import (
    application,
    audit_actions,
    events,
    interview_body,
    person,
    schedule,
    soon,
    withdraw,
)
from tests.platform.problems import assert_problem


def parse(data: bytes) -> tuple[Any, Any]:
    """The calendar and its one event (the library's value types are too loose to check statically)."""
    calendar: Any = Calendar.from_ical(data)
    [event] = calendar.walk("VEVENT")
    return calendar, event


async def test_schedule_returns_the_interview_with_etag_location_event_and_audit(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    applied = await application(client, app, tenant)
    ann = await person(client, tenant, "interviewer")
    bob = await person(client, tenant, "hiring_manager")
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    response = await client.post(
        f"/v1/applications/{applied['id']}/interviews",
        headers=tenant.headers,
        json=interview_body(ann, bob, starts_at=starts.isoformat(), duration_minutes=45),
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["location"] == f"/v1/interviews/{body['id']}"
    assert response.headers["etag"]
    assert response.headers["cache-control"] == "no-store"
    assert body["application_id"] == applied["id"]
    assert body["job_id"] == applied["job_id"]
    assert body["candidate_id"] == applied["candidate_id"]
    assert body["interviewer_ids"] == [ann.id, bob.id]
    assert datetime.fromisoformat(body["starts_at"]) == starts
    assert datetime.fromisoformat(body["ends_at"]) == starts + timedelta(minutes=45)
    assert (body["status"], body["sequence"], body["version"]) == ("scheduled", 0, 1)

    read = await client.get(f"/v1/interviews/{body['id']}", headers=tenant.headers)
    assert read.status_code == 200
    assert read.json() == body

    [event] = await events(app, f"interviews/{body['id']}")
    assert event.type == "interview.scheduled"
    assert event.data["schema_version"] == 1
    state = event.data["interview"]
    assert state["interviewer_ids"] == [ann.id, bob.id]
    assert state["candidate_id"] == applied["candidate_id"]
    assert datetime.fromisoformat(state["starts_at"]) == starts
    # The title, place and link are free text: they stay out of the event.
    assert "Technical interview" not in str(event.data)
    assert "Room 4.2" not in str(event.data)
    scheduled = [a for a in await audit_actions(client, tenant) if a["action"] == "interview.scheduled"]
    assert [a["target_id"] for a in scheduled] == [body["id"]]


async def test_schedule_validates_time_duration_interviewers_and_link(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, other_tenant: Tenant
) -> None:
    applied = await application(client, app, tenant)
    ann = await person(client, tenant, "interviewer")
    stranger = await person(client, other_tenant, "interviewer")
    path = f"/v1/applications/{applied['id']}/interviews"

    async def problem_field(status: int, **overrides: object) -> str:
        response = await client.post(path, headers=tenant.headers, json=interview_body(ann, **overrides))
        body = assert_problem(response, status)
        field: str = body["errors"][0]["field"]
        return field

    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    assert await problem_field(422, starts_at=past) == "starts_at"
    assert await problem_field(422, starts_at="2030-01-01T10:00:00") == "body.starts_at"  # no offset
    assert await problem_field(422, duration_minutes=14) == "body.duration_minutes"
    assert await problem_field(422, duration_minutes=481) == "body.duration_minutes"
    assert await problem_field(422, interviewer_ids=[]) == "body.interviewer_ids"
    assert await problem_field(422, interviewer_ids=[ann.id] * 2) == "body.interviewer_ids"
    eleven = [str(uuid.uuid4()) for _ in range(11)]
    assert await problem_field(422, interviewer_ids=eleven) == "body.interviewer_ids"
    assert await problem_field(422, interviewer_ids=[ann.id, stranger.id]) == "interviewer_ids.1"
    assert await problem_field(422, video_url="javascript:alert(1)") == "body.video_url"
    assert await problem_field(422, video_url="ftp://example.com/x") == "body.video_url"

    # A deactivated user cannot be put on an interview.
    gone = await person(client, tenant, "interviewer")
    current = await client.get(f"/v1/users/{gone.id}", headers=tenant.headers)
    deactivated = await client.patch(
        f"/v1/users/{gone.id}",
        headers={**tenant.headers, "If-Match": current.headers["etag"]},
        json={"is_active": False},
    )
    assert deactivated.status_code == 200, deactivated.text
    assert await problem_field(422, interviewer_ids=[gone.id]) == "interviewer_ids.0"


async def test_schedule_needs_an_active_application_of_the_organisation(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, other_tenant: Tenant
) -> None:
    ann = await person(client, tenant, "interviewer")
    applied = await application(client, app, tenant)
    await withdraw(app, tenant, applied["id"])
    response = await client.post(
        f"/v1/applications/{applied['id']}/interviews", headers=tenant.headers, json=interview_body(ann)
    )
    assert "withdrawn" in assert_problem(response, 409, "conflict")["detail"]

    theirs = await application(client, app, other_tenant)
    response = await client.post(
        f"/v1/applications/{theirs['id']}/interviews", headers=tenant.headers, json=interview_body(ann)
    )
    assert_problem(response, 404, "not-found")
    missing = await client.post(
        f"/v1/applications/{uuid.uuid4()}/interviews", headers=tenant.headers, json=interview_body(ann)
    )
    assert_problem(missing, 404, "not-found")


async def test_reschedule_needs_if_match_bumps_sequence_and_emits(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    applied = await application(client, app, tenant)
    ann = await person(client, tenant, "interviewer")
    bob = await person(client, tenant, "interviewer")
    interview = await schedule(client, tenant, applied["id"], ann)
    path = f"/v1/interviews/{interview['id']}"
    read = await client.get(path, headers=tenant.headers)
    etag = read.headers["etag"]

    assert_problem(await client.patch(path, headers=tenant.headers, json={"duration_minutes": 30}), 428)
    later = soon(days=3)
    changes = {"starts_at": later, "interviewer_ids": [ann.id, bob.id], "video_url": None}
    response = await client.patch(path, headers={**tenant.headers, "If-Match": etag}, json=changes)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["sequence"], body["version"]) == (1, 2)
    assert body["interviewer_ids"] == [ann.id, bob.id]
    assert body["video_url"] is None
    assert datetime.fromisoformat(body["starts_at"]) == datetime.fromisoformat(later)
    assert response.headers["etag"] != etag

    stale = await client.patch(path, headers={**tenant.headers, "If-Match": etag}, json={"title": "X"})
    assert_problem(stale, 412)
    headers = {**tenant.headers, "If-Match": response.headers["etag"]}
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    assert_problem(await client.patch(path, headers=headers, json={"starts_at": past}), 422)
    assert_problem(await client.patch(path, headers=headers, json={"starts_at": None}), 422)
    unchanged = await client.patch(path, headers=headers, json={"duration_minutes": 60})
    assert unchanged.json()["sequence"] == 1  # nothing changed: no new invite

    kinds = [(e.type, e.data["changed_fields"]) for e in await events(app, f"interviews/{interview['id']}")]
    assert kinds == [
        ("interview.scheduled", []),
        ("interview.rescheduled", ["interviewer_ids", "starts_at", "video_url"]),
    ]


async def test_cancel_bumps_sequence_and_turns_the_invite_into_a_cancel(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    applied = await application(client, app, tenant)
    ann = await person(client, tenant, "interviewer")
    bob = await person(client, tenant, "recruiter")
    interview = await schedule(client, tenant, applied["id"], ann, bob, title="Pairing session")
    path = f"/v1/interviews/{interview['id']}"

    invite = await client.get(f"{path}/invite.ics", headers=tenant.headers)
    assert invite.status_code == 200, invite.text
    assert invite.headers["content-type"] == "text/calendar; method=REQUEST; charset=UTF-8"
    assert invite.headers["cache-control"] == "no-store"
    calendar, event = parse(invite.content)
    assert calendar["METHOD"] == "REQUEST"
    assert str(event["UID"]) == f"interview-{interview['id']}@rolecall"
    assert int(event["SEQUENCE"]) == 0
    assert str(event["SUMMARY"]) == "Pairing session"
    assert event["DTSTART"].dt == datetime.fromisoformat(interview["starts_at"]).replace(microsecond=0)
    attendees = event["ATTENDEE"]
    assert len(attendees) == 2
    # The same version gives the same bytes (DTSTAMP is the last change, not the clock).
    again = await client.get(f"{path}/invite.ics", headers=tenant.headers)
    assert again.content == invite.content

    cancelled = await client.post(f"{path}/cancel", headers=tenant.headers)
    assert cancelled.status_code == 200, cancelled.text
    assert (cancelled.json()["status"], cancelled.json()["sequence"]) == ("cancelled", 1)
    assert_problem(await client.post(f"{path}/cancel", headers=tenant.headers), 409)
    etag = cancelled.headers["etag"]
    refused = await client.patch(path, headers={**tenant.headers, "If-Match": etag}, json={"title": "Y"})
    assert_problem(refused, 409)

    invite = await client.get(f"{path}/invite.ics", headers=tenant.headers)
    assert invite.headers["content-type"] == "text/calendar; method=CANCEL; charset=UTF-8"
    calendar, event = parse(invite.content)
    assert calendar["METHOD"] == "CANCEL"
    assert str(event["UID"]) == f"interview-{interview['id']}@rolecall"
    assert int(event["SEQUENCE"]) == 1
    assert str(event["STATUS"]) == "CANCELLED"
    kinds = [e.type for e in await events(app, f"interviews/{interview['id']}")]
    assert kinds == ["interview.scheduled", "interview.cancelled"]


async def test_interviewers_see_only_their_own_interviews(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    applied = await application(client, app, tenant)
    ann = await person(client, tenant, "interviewer")
    bob = await person(client, tenant, "interviewer")
    hm = await person(client, tenant, "hiring_manager")
    ann_only = await schedule(client, tenant, applied["id"], ann)
    both = await schedule(client, tenant, applied["id"], ann, bob)
    bob_only = await schedule(client, tenant, applied["id"], bob)

    async def listed(who: dict[str, str], **params: str) -> list[str]:
        response = await client.get("/v1/interviews", headers=who, params=params)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert await listed(ann.headers) == [ann_only["id"], both["id"]]
    assert await listed(bob.headers) == [both["id"], bob_only["id"]]
    assert await listed(ann.headers, interviewer_id=bob.id) == []
    assert await listed(hm.headers) == [ann_only["id"], both["id"], bob_only["id"]]
    assert await listed(hm.headers, interviewer_id=bob.id) == [both["id"], bob_only["id"]]

    assert (await client.get(f"/v1/interviews/{both['id']}", headers=ann.headers)).status_code == 200
    hidden = await client.get(f"/v1/interviews/{bob_only['id']}", headers=ann.headers)
    never = await client.get(f"/v1/interviews/{uuid.uuid4()}", headers=ann.headers)
    assert_problem(hidden, 404)
    assert hidden.content == never.content
    assert_problem(await client.get(f"/v1/interviews/{bob_only['id']}/invite.ics", headers=ann.headers), 404)
    # Interviewers read interviews but do not schedule or cancel them.
    assert_problem(await client.post(f"/v1/interviews/{both['id']}/cancel", headers=ann.headers), 403)
    response = await client.post(
        f"/v1/applications/{applied['id']}/interviews", headers=ann.headers, json=interview_body(ann)
    )
    assert_problem(response, 403)


async def test_list_filters_by_application_and_time_window(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    first = await application(client, app, tenant)
    second = await application(client, app, tenant, {"id": first["job_id"]})
    ann = await person(client, tenant, "interviewer")
    now = datetime.now(UTC)
    early = await schedule(client, tenant, first["id"], ann, starts_at=(now + timedelta(days=1)).isoformat())
    late = await schedule(client, tenant, first["id"], ann, starts_at=(now + timedelta(days=5)).isoformat())
    other = await schedule(client, tenant, second["id"], ann, starts_at=(now + timedelta(days=3)).isoformat())

    async def listed(**params: str) -> list[str]:
        response = await client.get("/v1/interviews", headers=tenant.headers, params=params)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert await listed(application_id=first["id"]) == [early["id"], late["id"]]
    window = {"from": (now + timedelta(days=2)).isoformat(), "to": (now + timedelta(days=4)).isoformat()}
    assert await listed(**window) == [other["id"]]
    assert await listed(**{"from": (now + timedelta(days=4)).isoformat()}) == [late["id"]]
    page = await client.get("/v1/interviews", headers=tenant.headers, params={"limit": 2})
    assert [i["id"] for i in page.json()["items"]] == [early["id"], late["id"]]
    rest = await client.get(
        "/v1/interviews", headers=tenant.headers, params={"cursor": page.json()["next_cursor"]}
    )
    assert [i["id"] for i in rest.json()["items"]] == [other["id"]]
    backwards = {"from": window["to"], "to": window["from"]}
    assert_problem(await client.get("/v1/interviews", headers=tenant.headers, params=backwards), 422)
    naive = {"from": "2030-01-01T10:00:00"}
    assert_problem(await client.get("/v1/interviews", headers=tenant.headers, params=naive), 422)


async def test_an_application_that_ends_cancels_its_upcoming_interviews(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    applied = await application(client, app, tenant)
    kept = await application(client, app, tenant, {"id": applied["job_id"]})
    ann = await person(client, tenant, "interviewer")
    upcoming = await schedule(client, tenant, applied["id"], ann)
    unaffected = await schedule(client, tenant, kept["id"], ann)

    await withdraw(app, tenant, applied["id"])
    await deliver(app)
    await deliver(app)  # a second delivery changes nothing

    read = (await client.get(f"/v1/interviews/{upcoming['id']}", headers=tenant.headers)).json()
    assert (read["status"], read["sequence"]) == ("cancelled", 1)
    other = (await client.get(f"/v1/interviews/{unaffected['id']}", headers=tenant.headers)).json()
    assert other["status"] == "scheduled"
    kinds = [e.type for e in await events(app, f"interviews/{upcoming['id']}")]
    assert kinds == ["interview.scheduled", "interview.cancelled"]


async def test_reschedule_needs_the_application_still_active(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    applied = await application(client, app, tenant)
    ann = await person(client, tenant, "interviewer")
    interview = await schedule(client, tenant, applied["id"], ann)
    etag = (await client.get(f"/v1/interviews/{interview['id']}", headers=tenant.headers)).headers["etag"]
    await withdraw(app, tenant, applied["id"])  # not delivered yet: the interview is still scheduled
    response = await client.patch(
        f"/v1/interviews/{interview['id']}",
        headers={**tenant.headers, "If-Match": etag},
        json={"duration_minutes": 30},
    )
    assert "withdrawn" in assert_problem(response, 409, "conflict")["detail"]
    cancelled = await client.post(f"/v1/interviews/{interview['id']}/cancel", headers=tenant.headers)
    assert cancelled.status_code == 200, cancelled.text  # cancelling is always possible
