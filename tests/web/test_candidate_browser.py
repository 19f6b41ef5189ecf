"""A recruiter opens a candidate in Chromium: the applications, scorecards and offers sections load
from their own contexts, the resume text unfolds, a note is added; every page passes axe."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.candidates.support import CANARY, RESUME_LINES, make_pdf
from tests.factories import PASSWORD, job_body
from tests.web.browser import LiveApi, assert_accessible, screenshot


def test_a_recruiter_reads_a_candidate_and_adds_a_note(page: Page, live_api: LiveApi) -> None:
    tenant = live_api.create_tenant("Candidates Ltd")
    email = "recruiter-candidates@example.com"
    live_api.call(
        "POST",
        "/v1/users",
        tenant,
        json={
            "email": email,
            "full_name": "Rae Cruiter",
            "password": PASSWORD,
            "roles": ["recruiter"],
            "sees_all_jobs": True,  # organisation-wide: the candidates are on no team of theirs
        },
    )
    candidate = live_api.call(
        "POST",
        "/v1/candidates",
        tenant,
        json={
            "full_name": "Ada Lovelace",
            "email": "ada@example.com",
            "phone": "+44 20 7946 0958",
            "location": "London",
            "links": ["https://ada.example.com"],
            "tags": ["python"],
        },
    )
    live_api.call(
        "POST",
        f"/v1/candidates/{candidate['id']}/files",
        tenant,
        files={"file": ("cv.pdf", make_pdf([RESUME_LINES]), "application/pdf")},
    )
    profile = live_api.call("POST", "/v1/role-profiles", tenant, json={"from_library": "backend-engineer"})
    job = live_api.call("POST", "/v1/jobs", tenant, json=job_body(profile["id"]))
    live_api.call("POST", f"/v1/jobs/{job['id']}/open", tenant, expect=200)
    applied = live_api.call(
        "POST", "/v1/applications", tenant, json={"candidate_id": candidate["id"], "job_id": job["id"]}
    )
    live_api.call(
        "POST",
        f"/v1/applications/{applied['id']}/move",
        tenant,
        expect=200,
        json={"stage": "Recruiter screen"},
    )

    page.goto("/app/login?next=/app/candidates")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Candidates")
    assert_accessible(page)

    page.get_by_role("link", name="Ada Lovelace").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ada Lovelace")
    applications = page.locator("#applications-body")
    expect(applications.locator(".candidate-application")).to_have_count(1)
    expect(applications.get_by_role("link", name=job["title"])).to_be_visible()
    expect(applications.locator(".timeline li")).to_have_count(2)
    expect(page.locator("#scorecards-body")).to_contain_text("No interviews have been scheduled")
    expect(page.locator("#offers-body")).to_contain_text("No offer has been made")
    page.get_by_text("Resume text, from the resume added").click()
    expect(page.locator(".resume-text")).to_contain_text(CANARY)
    applications.get_by_text("what the score is made of").click()
    expect(applications.locator(".match-table")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "candidate")

    page.get_by_label("Add a note").fill("Phone screen went well; book the technical interview.")
    page.get_by_role("button", name="Add note").click()
    expect(page.get_by_role("status").first).to_contain_text("Your note was added.")
    expect(page.locator(".note-body").first).to_have_text(
        "Phone screen went well; book the technical interview."
    )
    expect(page.locator("#applications-body .candidate-application")).to_have_count(1)
    assert_accessible(page)
    notes = live_api.call("GET", f"/v1/candidates/{candidate['id']}/notes", tenant)["items"]
    assert [note["body"] for note in notes] == ["Phone screen went well; book the technical interview."]
