"""The interview pages over HTTP: lists, scheduling, the interview, invites, reschedule and cancel,
the scorecard form, blind review, who may do what, other organisations, CSRF and escaping."""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from fastapi import FastAPI
from markupsafe import escape

from tests.factories import Tenant, login
from tests.interviews.support import NOTES_CANARY, Person, application, fill, mine, schedule, took_place
from tests.web.support import create_staff, sign_in

HOSTILE = '<script>alert(1)</script> "quoted" \u202eabc'


async def staff(client: httpx.AsyncClient, tenant: Tenant, *roles: str) -> tuple[Person, str]:
    """A staff user: (id and API token, e-mail for signing in on the pages)."""
    user_id, email = await create_staff(client, tenant, *roles)
    return Person(user_id, (await login(client, email))["access_token"]), email


@asynccontextmanager
async def browser(app: FastAPI, email: str) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    """Another signed-in browser (its own cookies), and its CSRF token."""
    transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 51002))
    async with httpx.AsyncClient(transport=transport, base_url="https://rolecall.test") as http:
        yield http, await sign_in(http, email)


def local(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M")


def legends(page: str) -> list[str]:
    return [html.unescape(text) for text in re.findall(r"<legend>(.*?)</legend>", page)]


def checked(page: str) -> dict[str, str]:
    """name → value of every checked radio button."""
    found: dict[str, str] = {}
    for tag in re.findall(r"<input[^>]*type=\"radio\"[^>]*>", page):
        if " checked" in tag:
            name = re.search(r'name="([^"]+)"', tag)
            value = re.search(r'value="([^"]+)"', tag)
            assert name
            assert value
            found[name.group(1)] = value.group(1)
    return found


async def api_interview(client: httpx.AsyncClient, tenant: Tenant, interview_id: str) -> dict[str, Any]:
    response = await client.get(f"/v1/interviews/{interview_id}", headers=tenant.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_an_interviewer_sees_their_own_interviews_and_a_recruiter_all_upcoming(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, pages: httpx.AsyncClient
) -> None:
    applied = await application(client, app, tenant)
    ann, ann_email = await staff(client, tenant, "interviewer")
    bob, _bob_email = await staff(client, tenant, "interviewer")
    _rec, rec_email = await staff(client, tenant, "recruiter")
    mine_ = await schedule(client, tenant, applied["id"], ann, title="Ann's pairing session")
    theirs = await schedule(client, tenant, applied["id"], bob, title="Bob's system design")

    await sign_in(pages, ann_email)
    listed = await pages.get("/app/interviews")
    assert listed.status_code == 200
    assert listed.headers["cache-control"] == "no-store"
    assert "Ann&#39;s pairing session" in listed.text
    assert "Bob&#39;s system design" not in listed.text
    assert f'href="/app/interviews/{mine_["id"]}/scorecard"' in listed.text
    assert "All upcoming interviews" not in listed.text
    assert "Not started" in listed.text
    assert (await pages.get(f"/app/interviews/{theirs['id']}")).status_code == 404
    assert (await pages.get(f"/app/interviews/{theirs['id']}/invite.ics")).status_code == 404
    assert (await pages.get(f"/app/interviews/{theirs['id']}/scorecard")).status_code == 404
    own = await pages.get(f"/app/interviews/{mine_['id']}")
    assert own.status_code == 200
    assert "<h1>Ann&#39;s pairing session</h1>" in own.text
    assert "/app/candidates/" not in own.text  # interviewers cannot read candidates

    await sign_in(pages, rec_email)
    everyone = await pages.get("/app/interviews")
    section = everyone.text.split("All upcoming interviews", 1)[1]
    assert "Ann&#39;s pairing session" in section
    assert "Bob&#39;s system design" in section
    detail = await pages.get(f"/app/interviews/{theirs['id']}")
    assert f'href="/app/candidates/{applied["candidate_id"]}"' in detail.text


async def test_scheduling_through_the_form_keeps_values_on_errors_and_creates_the_interview(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, pages: httpx.AsyncClient
) -> None:
    applied = await application(client, app, tenant)
    ann, _ = await staff(client, tenant, "interviewer")
    bob, _ = await staff(client, tenant, "hiring_manager")
    _rec, rec_email = await staff(client, tenant, "recruiter")
    csrf = await sign_in(pages, rec_email)
    url = f"/app/applications/{applied['id']}/interviews/new"

    form_page = await pages.get(url)
    assert form_page.status_code == 200
    assert 'type="datetime-local"' in form_page.text
    assert f'value="{ann.id}"' in form_page.text
    assert f'value="{bob.id}"' in form_page.text
    assert '<option value="UTC" selected>' in form_page.text

    start = (datetime.now(UTC) + timedelta(days=5)).replace(hour=9, minute=30, second=0, microsecond=0)
    fields: dict[str, Any] = {
        "csrf_token": csrf,
        "title": "Culture & values chat",
        "starts_at": local(start),
        "ends_at": local(start - timedelta(minutes=30)),
        "time_zone": "Europe/Berlin",
        "location": "Room 7",
        "video_url": "",
        "interviewer_ids": [ann.id, bob.id],
    }
    refused = await pages.post(url, data=fields)
    assert refused.status_code == 422
    assert "The end must be after the start." in refused.text
    assert 'value="Culture &amp; values chat"' in refused.text
    assert 'value="Room 7"' in refused.text
    assert f'value="{local(start)}"' in refused.text
    assert '<option value="Europe/Berlin" selected>' in refused.text
    assert re.search(rf'value="{ann.id}" checked', refused.text)
    listed = await client.get(
        "/v1/interviews", headers=tenant.headers, params={"application_id": applied["id"]}
    )
    assert listed.json()["items"] == []

    no_one = await pages.post(
        url, data={**fields, "ends_at": local(start + timedelta(minutes=45)), "interviewer_ids": []}
    )
    assert no_one.status_code == 422
    assert 'id="error-interviewer_ids"' in no_one.text

    made = await pages.post(url, data={**fields, "ends_at": local(start + timedelta(minutes=45))})
    assert made.status_code == 303, made.text
    interview_id = made.headers["location"].rsplit("/", 1)[1]
    body = await api_interview(client, tenant, interview_id)
    wall = start.replace(tzinfo=None).replace(tzinfo=ZoneInfo("Europe/Berlin"))
    assert datetime.fromisoformat(body["starts_at"]) == wall
    assert body["duration_minutes"] == 45
    assert body["interviewer_ids"] == [ann.id, bob.id]
    assert (body["title"], body["location"], body["video_url"]) == ("Culture & values chat", "Room 7", None)
    shown = await pages.get(made.headers["location"])
    assert 'role="status">Interview scheduled.' in shown.text
    utc = wall.astimezone(UTC)
    assert utc.strftime("%H:%M") in shown.text
    assert " UTC" in shown.text


async def test_invite_reschedule_and_cancel_through_the_pages(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, pages: httpx.AsyncClient
) -> None:
    applied = await application(client, app, tenant)
    ann, _ = await staff(client, tenant, "interviewer")
    bob, _ = await staff(client, tenant, "interviewer")
    interview = await schedule(client, tenant, applied["id"], ann)
    _rec, rec_email = await staff(client, tenant, "recruiter")
    csrf = await sign_in(pages, rec_email)
    page_url = f"/app/interviews/{interview['id']}"

    page = await pages.get(page_url)
    assert f'href="{page_url}/invite.ics"' in page.text
    assert "Download calendar invite (.ics)" in page.text
    invite = await pages.get(f"{page_url}/invite.ics")
    assert invite.status_code == 200
    assert invite.headers["content-type"].startswith("text/calendar")
    assert invite.headers["content-disposition"] == f'attachment; filename="interview-{interview["id"]}.ics"'
    assert f"UID:interview-{interview['id']}@rolecall" in invite.text
    from_api = await client.get(f"/v1/interviews/{interview['id']}/invite.ics", headers=tenant.headers)
    assert invite.content == from_api.content

    version = re.search(r'name="version" value="(\d+)"', page.text)
    assert version
    later = (datetime.now(UTC) + timedelta(days=9)).replace(hour=14, minute=0, second=0, microsecond=0)
    change = {
        "csrf_token": csrf,
        "version": version.group(1),
        "title": "Technical interview (moved)",
        "starts_at": local(later),
        "ends_at": local(later + timedelta(minutes=90)),
        "time_zone": "UTC",
        "location": "",
        "video_url": "https://meet.example.com/new",
        "interviewer_ids": [ann.id, bob.id],
    }
    moved = await pages.post(f"{page_url}/reschedule", data=change)
    assert moved.status_code == 303, moved.text
    body = await api_interview(client, tenant, interview["id"])
    assert body["title"] == "Technical interview (moved)"
    assert datetime.fromisoformat(body["starts_at"]) == later
    assert (body["duration_minutes"], body["location"], body["sequence"]) == (90, None, 1)
    assert body["interviewer_ids"] == [ann.id, bob.id]

    stale = await pages.post(f"{page_url}/reschedule", data={**change, "title": "Again"})
    assert stale.status_code == 422
    assert "Someone changed this interview" in stale.text
    assert 'value="Again"' in stale.text

    page = await pages.get(page_url)
    assert 'data-confirm="Cancel “Technical interview (moved)”?' in page.text
    cancelled = await pages.post(f"{page_url}/cancel", data={"csrf_token": csrf})
    assert cancelled.status_code == 303
    assert (await api_interview(client, tenant, interview["id"]))["status"] == "cancelled"
    page = await pages.get(page_url)
    assert "Cancelled" in page.text
    assert f'action="{page_url}/cancel"' not in page.text
    assert f'action="{page_url}/reschedule"' not in page.text
    invite = await pages.get(f"{page_url}/invite.ics")
    assert "METHOD:CANCEL" in invite.text


async def test_the_scorecard_form_lists_the_levels_skills_saves_a_draft_then_submits_read_only(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, pages: httpx.AsyncClient
) -> None:
    applied = await application(client, app, tenant)
    ann, ann_email = await staff(client, tenant, "interviewer")
    interview = await schedule(client, tenant, applied["id"], ann)
    await took_place(app, interview)
    csrf = await sign_in(pages, ann_email)
    url = f"/app/interviews/{interview['id']}/scorecard"

    form = await pages.get(url)
    assert form.status_code == 200
    draft = (await client.get(mine(interview), headers=ann.headers)).json()
    skills = [(a["skill"], a["name"]) for a in draft["attributes"]]
    assert len(skills) >= 2
    assert legends(form.text) == [name for _skill, name in skills] + ["Overall recommendation"]
    assert "1 — Strong no" in form.text
    assert "4 — Strong yes" in form.text
    version = re.search(r'name="version" value="(\d+)"', form.text)
    assert version

    first = skills[0][0]
    saved = await pages.post(
        url,
        data={
            "csrf_token": csrf,
            "version": version.group(1),
            f"rating.{first}": "3",
            "notes": "Good start",
            "action": "draft",
        },
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == url
    stored = (await client.get(mine(interview), headers=ann.headers)).json()
    assert stored["status"] == "draft"
    assert stored["notes"] == "Good start"
    assert [a["rating"] for a in stored["attributes"]] == [3] + [None] * (len(skills) - 1)
    reopened = await pages.get(url)
    assert checked(reopened.text) == {f"rating.{first}": "3"}
    version = re.search(r'name="version" value="(\d+)"', reopened.text)
    assert version

    incomplete = await pages.post(
        url,
        data={
            "csrf_token": csrf,
            "version": version.group(1),
            f"rating.{skills[1][0]}": "2",
            "notes": "Changed my mind",
            "action": "submit",
        },
    )
    assert incomplete.status_code == 422
    assert f'id="error-rating-{skills[2][0] if len(skills) > 2 else "recommendation"}"' in incomplete.text
    assert "Give a recommendation." in incomplete.text
    assert checked(incomplete.text) == {f"rating.{first}": "3", f"rating.{skills[1][0]}": "2"}
    assert ">Changed my mind</textarea>" in incomplete.text
    assert (await client.get(mine(interview), headers=ann.headers)).json()["status"] == "draft"

    version = re.search(r'name="version" value="(\d+)"', incomplete.text)
    assert version
    everything = {f"rating.{skill}": "4" for skill, _name in skills}
    done = await pages.post(
        url,
        data={
            "csrf_token": csrf,
            "version": version.group(1),
            **everything,
            "recommendation": "strong_yes",
            "notes": "Ready",
            "action": "submit",
        },
    )
    assert done.status_code == 303
    assert done.headers["location"] == f"/app/interviews/{interview['id']}"
    final = (await client.get(mine(interview), headers=ann.headers)).json()
    assert final["status"] == "submitted"
    assert final["recommendation"] == "strong_yes"
    assert {a["rating"] for a in final["attributes"]} == {4}

    read_only = await pages.get(url)
    assert 'type="radio"' not in read_only.text
    assert "<textarea" not in read_only.text
    assert "cannot be changed" in read_only.text
    assert "Strong yes" in read_only.text
    again = await pages.post(url, data={"csrf_token": csrf, "recommendation": "no", "action": "draft"})
    assert again.status_code == 409
    assert (await client.get(mine(interview), headers=ann.headers)).json()["recommendation"] == "strong_yes"
    listed = await pages.get("/app/interviews")
    assert "Submitted" in listed.text


async def test_blind_review_hides_others_scorecards_until_one_submits(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, pages: httpx.AsyncClient
) -> None:
    applied = await application(client, app, tenant)
    ann, _ann_email = await staff(client, tenant, "interviewer")
    bob, bob_email = await staff(client, tenant, "interviewer")
    interview = await schedule(client, tenant, applied["id"], ann, bob)
    await fill(client, interview, ann, 1, "strong_no")
    csrf = await sign_in(pages, bob_email)
    page_url = f"/app/interviews/{interview['id']}"

    blind = await pages.get(page_url)
    assert blind.status_code == 200
    assert NOTES_CANARY not in blind.text
    assert "Strong no" not in blind.text
    assert "Hidden until you submit yours" in blind.text
    assert "Blind review" in blind.text

    form = await pages.get(f"{page_url}/scorecard")
    version = re.search(r'name="version" value="(\d+)"', form.text)
    assert version
    skills = re.findall(r'name="rating\.([^"]+)" value="1"', form.text)
    data = {f"rating.{skill}": "3" for skill in skills}
    done = await pages.post(
        f"{page_url}/scorecard",
        data={
            "csrf_token": csrf,
            "version": version.group(1),
            **data,
            "recommendation": "yes",
            "action": "submit",
        },
    )
    assert done.status_code == 303
    open_ = await pages.get(page_url)
    assert NOTES_CANARY in open_.text
    assert "Recommendation: <strong>Strong no</strong>" in open_.text
    assert "1 — Strong no" in open_.text
    assert "3 — Yes" in open_.text


async def test_without_interviews_write_there_are_no_controls_and_the_posts_are_refused(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, pages: httpx.AsyncClient
) -> None:
    applied = await application(client, app, tenant)
    ann, ann_email = await staff(client, tenant, "interviewer")
    interview = await schedule(client, tenant, applied["id"], ann)
    csrf = await sign_in(pages, ann_email)
    page_url = f"/app/interviews/{interview['id']}"
    page = await pages.get(page_url)
    assert page.status_code == 200
    assert "/reschedule" not in page.text
    assert "/cancel" not in page.text
    assert (await pages.post(f"{page_url}/cancel", data={"csrf_token": csrf})).status_code == 403
    assert (
        await pages.post(f"{page_url}/reschedule", data={"csrf_token": csrf, "title": "x"})
    ).status_code == 403
    new = f"/app/applications/{applied['id']}/interviews/new"
    assert (await pages.get(new)).status_code == 403
    assert (await pages.post(new, data={"csrf_token": csrf, "title": "x"})).status_code == 403
    assert (await api_interview(client, tenant, interview["id"]))["status"] == "scheduled"

    # A hiring manager holds interviews:write (docs/pipeline.md) and gets the controls.
    _hm, hm_email = await staff(client, tenant, "hiring_manager")
    await sign_in(pages, hm_email)
    assert f'action="{page_url}/cancel"' in (await pages.get(page_url)).text


async def test_another_organisation_gets_404_and_missing_csrf_is_refused(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, other_tenant: Tenant, pages: httpx.AsyncClient
) -> None:
    applied = await application(client, app, tenant)
    ann, ann_email = await staff(client, tenant, "interviewer")
    interview = await schedule(client, tenant, applied["id"], ann)
    _outsider, outsider_email = await staff(client, other_tenant, "admin")
    csrf = await sign_in(pages, outsider_email)
    page_url = f"/app/interviews/{interview['id']}"
    for path in (page_url, f"{page_url}/invite.ics", f"/app/applications/{applied['id']}/interviews/new"):
        assert (await pages.get(path)).status_code == 404, path
    assert (await pages.post(f"{page_url}/cancel", data={"csrf_token": csrf})).status_code == 404
    assert interview["title"] not in (await pages.get("/app/interviews")).text

    _rec, rec_email = await staff(client, tenant, "recruiter")
    await sign_in(pages, rec_email)
    assert (await pages.post(f"{page_url}/cancel", data={})).status_code == 403
    new = f"/app/applications/{applied['id']}/interviews/new"
    assert (await pages.post(new, data={"title": "No token"})).status_code == 403
    async with browser(app, ann_email) as (ann_pages, _csrf):
        refused = await ann_pages.post(
            f"{page_url}/scorecard", data={"recommendation": "yes", "action": "draft"}
        )
        assert refused.status_code == 403
    assert (await api_interview(client, tenant, interview["id"]))["status"] == "scheduled"


async def test_hostile_text_is_escaped_everywhere(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, pages: httpx.AsyncClient
) -> None:
    applied = await application(client, app, tenant)
    long_name = HOSTILE + "x" * (200 - len(HOSTILE))
    response = await client.post(
        "/v1/users",
        headers=tenant.headers,
        json={
            "email": f"hostile-{uuid.uuid4().hex[:6]}@example.com",
            "full_name": long_name,
            "password": "correct-horse-battery-staple",
            "roles": ["interviewer"],
        },
    )
    assert response.status_code == 201, response.text
    ann = Person(response.json()["id"], (await login(client, response.json()["email"]))["access_token"])
    interview = await schedule(
        client, tenant, applied["id"], ann, title=HOSTILE, location=(HOSTILE + " " + "é" * 300)[:300]
    )
    _rec, rec_email = await staff(client, tenant, "recruiter")
    await sign_in(pages, rec_email)
    escaped = str(escape(HOSTILE))
    upcoming = await pages.get("/app/interviews")  # before it takes place: then it is no longer upcoming
    assert "<script>alert(1)</script>" not in upcoming.text
    assert escaped in upcoming.text
    await fill(client, interview, ann, 2, "no")
    hostile_notes_interview = await schedule(client, tenant, applied["id"], ann, title="Plain")
    await took_place(app, hostile_notes_interview)
    draft = await client.get(mine(hostile_notes_interview), headers=ann.headers)
    await client.put(
        mine(hostile_notes_interview),
        headers={**ann.headers, "If-Match": draft.headers["etag"]},
        json={"notes": HOSTILE + "n" * 500},
    )
    for path in (f"/app/interviews/{interview['id']}",):
        page = await pages.get(path)
        assert page.status_code == 200
        assert "<script>alert(1)</script>" not in page.text, path
        assert escaped in page.text, path
    detail = await pages.get(f"/app/interviews/{interview['id']}")
    assert str(escape(long_name)) in detail.text  # the interviewer's name, whole

    async with browser(app, response.json()["email"]) as (ann_pages, _csrf):
        form = await ann_pages.get(f"/app/interviews/{hostile_notes_interview['id']}/scorecard")
        assert "<script>alert(1)</script>" not in form.text
        assert escaped + "n" * 500 + "</textarea>" in form.text
