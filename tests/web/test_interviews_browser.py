"""An interviewer signs in, finds the interview in "My interviews" and fills in the scorecard with
the keyboard; the list, the interview page and the scorecard form pass axe-core's WCAG checks."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from playwright.sync_api import Page, expect
from sqlalchemy import update

from rolecall.interviews.models import Interview
from rolecall.platform.db import create_engine, create_sessionmaker, transaction
from rolecall.platform.tenancy import all_tenants
from tests.factories import PASSWORD, job_body
from tests.web.browser import LiveApi, _run_apart, assert_accessible, screenshot


def _interview(live_api: LiveApi) -> tuple[str, dict[str, Any], str]:
    """An interviewer's e-mail, their interview and the token they read the API with."""
    tenant = live_api.create_tenant("Interviewing Ltd")
    profile = live_api.call("POST", "/v1/role-profiles", tenant, json={"from_library": "backend-engineer"})
    job = live_api.call("POST", "/v1/jobs", tenant, json=job_body(profile["id"]))
    live_api.call("POST", f"/v1/jobs/{job['id']}/open", tenant, expect=200)
    candidate = live_api.call(
        "POST", "/v1/candidates", tenant, json={"full_name": "Ada Lovelace", "email": "ada@example.com"}
    )
    applied = live_api.call(
        "POST", "/v1/applications", tenant, json={"candidate_id": candidate["id"], "job_id": job["id"]}
    )
    email = f"ivy-{uuid.uuid4().hex[:6]}@example.com"
    user = live_api.call(
        "POST",
        "/v1/users",
        tenant,
        json={"email": email, "full_name": "Ivy Interviewer", "password": PASSWORD, "roles": ["interviewer"]},
    )
    starts = (datetime.now(UTC) + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    interview = live_api.call(
        "POST",
        f"/v1/applications/{applied['id']}/interviews",
        tenant,
        json={
            "title": "Technical interview",
            "starts_at": starts.isoformat(),
            "duration_minutes": 60,
            "interviewer_ids": [user["id"]],
            "location": "Room 4.2",
            "video_url": "https://meet.example.com/abc-defg",
        },
    )
    _under_way(live_api, interview["id"])
    return email, interview, live_api.login(email)["access_token"]


def _under_way(live_api: LiveApi, interview_id: str) -> None:
    """Let the interview start ten minutes ago: scorecards open only once it has started, and
    scheduling accepts only times still to come."""

    async def move() -> None:
        engine = create_engine(live_api.settings.database_url)
        try:
            async with transaction(create_sessionmaker(engine)) as session:
                await session.execute(
                    update(Interview)
                    .where(Interview.id == uuid.UUID(interview_id))
                    .values(starts_at=datetime.now(UTC) - timedelta(minutes=10))
                    .execution_options(**all_tenants(), synchronize_session=False)
                )
        finally:
            await engine.dispose()

    _run_apart(move())


def test_an_interviewer_fills_in_a_scorecard_with_the_keyboard(page: Page, live_api: LiveApi) -> None:
    email, interview, token = _interview(live_api)
    draft = live_api.call(
        "GET",
        f"/v1/interviews/{interview['id']}/scorecards/mine",
        headers={"Authorization": f"Bearer {token}"},
    )
    skills = [attribute["name"] for attribute in draft["attributes"]]
    assert skills

    page.goto("/app/login?next=/app/interviews")  # /app opens on Jobs, a page of its own
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Interviews")
    ).to_have_attribute("aria-current", "page")

    expect(page.get_by_role("heading", level=1)).to_have_text("My interviews")
    started = page.get_by_role("region", name="Past")  # it began ten minutes ago
    expect(started.get_by_role("link", name="Technical interview", exact=True)).to_be_visible()
    expect(started).to_contain_text("Draft")  # started over the API above
    assert_accessible(page)
    screenshot(page, "interviews-mine")

    started.get_by_role("link", name="Technical interview", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Technical interview")
    expect(page.get_by_role("link", name="Download calendar invite (.ics)")).to_be_visible()
    expect(page.get_by_role("button", name="Cancel interview")).to_have_count(0)
    assert_accessible(page)
    screenshot(page, "interview")

    page.get_by_role("link", name="My scorecard").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My scorecard")
    for name in skills:
        expect(page.get_by_role("group", name=name, exact=True)).to_be_visible()
    assert_accessible(page)
    screenshot(page, "scorecard-form")

    # Keyboard only: Space picks the focused option, the arrow keys move within a group, Tab to the next.
    page.get_by_role("group", name=skills[0], exact=True).get_by_role("radio").first.focus()
    for _ in skills:
        page.keyboard.press("Space")
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowRight")  # 3 — Yes
        page.keyboard.press("Tab")
    expect(
        page.get_by_role("group", name="Overall recommendation").get_by_role("radio").first
    ).to_be_focused()
    page.keyboard.press("Space")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")  # Yes
    page.keyboard.press("Tab")
    expect(page.get_by_label("Summary notes (optional)")).to_be_focused()
    page.keyboard.type("Clear explanations of trade-offs.")
    for name in skills:
        expect(page.get_by_role("group", name=name, exact=True).get_by_label("3 — Yes")).to_be_checked()
    expect(
        page.get_by_role("group", name="Overall recommendation").get_by_label("Yes", exact=True)
    ).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Save draft")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Submit")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(rf"/app/interviews/{interview['id']}$"))
    expect(page.get_by_role("status").first).to_contain_text("Scorecard submitted")
    expect(page.get_by_text("Recommendation:")).to_contain_text("Yes")
    assert_accessible(page)

    submitted = live_api.call(
        "GET",
        f"/v1/interviews/{interview['id']}/scorecards/mine",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert submitted["status"] == "submitted"
    assert submitted["recommendation"] == "yes"
    assert {attribute["rating"] for attribute in submitted["attributes"]} == {3}
    assert submitted["notes"] == "Clear explanations of trade-offs."

    page.goto(f"/app/interviews/{interview['id']}/scorecard")
    expect(page.get_by_role("radio")).to_have_count(0)
    expect(page.get_by_text("A submitted scorecard cannot be changed.")).to_be_visible()
    assert_accessible(page)


def test_a_recruiter_schedules_an_interview_and_fixes_the_times(page: Page, live_api: LiveApi) -> None:
    tenant = live_api.create_tenant("Scheduling Ltd")
    profile = live_api.call("POST", "/v1/role-profiles", tenant, json={"from_library": "backend-engineer"})
    job = live_api.call("POST", "/v1/jobs", tenant, json=job_body(profile["id"]))
    live_api.call("POST", f"/v1/jobs/{job['id']}/open", tenant, expect=200)
    candidate = live_api.call(
        "POST", "/v1/candidates", tenant, json={"full_name": "Ada Lovelace", "email": "ada@example.com"}
    )
    applied = live_api.call(
        "POST", "/v1/applications", tenant, json={"candidate_id": candidate["id"], "job_id": job["id"]}
    )
    url = f"/app/applications/{applied['id']}/interviews/new"
    page.goto(f"/app/login?next={url}")
    page.get_by_label("E-mail address").fill(tenant.admin_email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Schedule an interview")
    assert_accessible(page)

    page.get_by_label("Title").fill("Pairing session")
    page.get_by_label("Ends").fill("2020-01-01T09:00")
    page.get_by_label("Time zone").select_option("Europe/Berlin")
    page.get_by_role("group", name="Interviewers").get_by_role("checkbox").first.check()
    page.get_by_role("button", name="Schedule interview").click()
    expect(page.locator(".error-summary")).to_contain_text("The end must be after the start.")
    expect(page.get_by_label("Title")).to_have_value("Pairing session")
    expect(page.get_by_label("Time zone")).to_have_value("Europe/Berlin")
    assert_accessible(page)
    screenshot(page, "interview-schedule-errors")

    start = (datetime.now(UTC) + timedelta(days=3)).strftime("%Y-%m-%d")
    page.get_by_label("Starts").fill(f"{start}T10:00")
    page.get_by_label("Ends").fill(f"{start}T11:15")
    page.get_by_role("button", name="Schedule interview").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pairing session")
    expect(page.get_by_role("status").first).to_contain_text("Interview scheduled")
    expect(page.get_by_text("75 minutes")).to_be_visible()
    assert_accessible(page)
