"""A candidate takes an assessment in Chromium: the start page, an answer saved by itself, the timer
counting down on the server's clock, submitting with the confirmation, and the result shown."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Page, expect

from tests.factories import Tenant, job_body
from tests.web.browser import LiveApi, assert_accessible, playwright_turn, screenshot


def _invitation(live_api: LiveApi) -> tuple[Tenant, str, str]:
    """A job whose assessment asks single-choice questions and shows results: the tenant, the link's
    token and the session's id."""
    tenant = live_api.create_tenant("Assessing Ltd")
    profile = live_api.call("POST", "/v1/role-profiles", tenant, json={"from_library": "backend-engineer"})
    job = live_api.call("POST", "/v1/jobs", tenant, json=job_body(profile["id"]))
    live_api.call("POST", f"/v1/jobs/{job['id']}/open", tenant, expect=200)
    blueprint = live_api.call("POST", f"/v1/jobs/{job['id']}/assessment-blueprint", tenant)
    current = live_api.http.get(f"/v1/jobs/{job['id']}/assessment-blueprint", headers=tenant.headers)
    document: dict[str, Any] = {
        **blueprint["document"],
        "skills": [{**skill, "items": 1} for skill in blueprint["document"]["skills"]],
        "item_types": ["single_choice"],
        "show_result_to_candidate": True,
    }
    live_api.call(
        "PUT",
        f"/v1/jobs/{job['id']}/assessment-blueprint",
        tenant,
        headers={"If-Match": current.headers["etag"]},
        json=document,
    )
    candidate = live_api.call(
        "POST", "/v1/candidates", tenant, json={"full_name": "Ada Candidate", "email": "ada@example.com"}
    )
    applied = live_api.call(
        "POST", "/v1/applications", tenant, json={"candidate_id": candidate["id"], "job_id": job["id"]}
    )
    invited = live_api.call(
        "POST", "/v1/assessments/invitations", tenant, json={"application_id": applied["id"]}
    )
    return tenant, invited["link"].rsplit("/", 1)[1], invited["session"]["id"]


def test_a_candidate_answers_sees_it_saved_watches_the_timer_and_submits(
    page: Page, live_api: LiveApi
) -> None:
    with playwright_turn():
        tenant, token, session_id = _invitation(live_api)
        page.goto(f"/assessments/{token}")
        expect(page.get_by_role("heading", level=1)).to_contain_text("assessment")
        expect(page.get_by_role("heading", name="What is recorded while you answer")).to_be_visible()
        assert_accessible(page)
        screenshot(page, "assessment-start")

        page.get_by_role("button", name="Start the assessment").click()
        expect(page).to_have_url(re.compile(rf"/assessments/{re.escape(token)}/take$"))
        timer = page.locator("#timer-value")
        expect(timer).to_have_text(re.compile(r"^\d+:\d\d(:\d\d)?$"))
        first = timer.inner_text()
        expect(timer).not_to_have_text(first, timeout=5000)  # the clock ticks every second

        question = page.get_by_role("group", name="Question 1: choose one answer")
        question.get_by_role("radio").first.check()
        expect(page.locator("#saved-1")).to_contain_text("Saved", timeout=5000)
        expect(page.locator("#answered-count")).to_contain_text("1 of")
        assert_accessible(page)
        screenshot(page, "assessment-take")
        with page.expect_response(lambda response: response.url.endswith("/signals")) as reported:
            page.evaluate("() => window.dispatchEvent(new Event('blur'))")  # the window loses focus
        assert reported.value.status == 204

        page.get_by_text("Submit my answers", exact=True).click()
        page.get_by_role("button", name="Yes, submit my answers now").click()
        expect(page.get_by_role("heading", name="Your answers were submitted")).to_be_visible()
        expect(page.get_by_role("heading", name="Your result")).to_be_visible()
        expect(page.get_by_role("img", name="Your score per skill", exact=False)).to_be_visible()
        assert_accessible(page)
        screenshot(page, "assessment-submitted")
    result = live_api.call("GET", f"/v1/assessments/sessions/{session_id}/result", tenant)
    assert {s["kind"]: s["count"] for s in result["signals"]}.get("focus_lost") == 1
