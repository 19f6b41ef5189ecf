"""A recruiter creates a job in Chromium, watches the description preview follow the form, opens the
job and finds it on the jobs list; every page passes axe on the way."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.factories import PASSWORD
from tests.web.browser import LiveApi, assert_accessible, screenshot


def test_a_recruiter_creates_previews_and_opens_a_job(page: Page, live_api: LiveApi) -> None:
    tenant = live_api.create_tenant("Jobs Ltd")
    email = "recruiter-jobs@example.com"
    person = {
        "email": email,
        "full_name": "Rae Cruiter",
        "password": PASSWORD,
        "roles": ["recruiter"],
        "sees_all_jobs": True,
    }
    live_api.call("POST", "/v1/users", tenant, json=person)
    live_api.call("POST", "/v1/role-profiles", tenant, json={"from_library": "backend-engineer"})

    page.goto("/app/login?next=/app")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1, name="Jobs")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("button", name="New job").click()
    expect(page.get_by_role("heading", level=1, name="New job")).to_be_visible()
    page.get_by_role("button", name="Create draft job").click()
    expect(page.locator("#error-summary")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Role profile and level").select_option(label="Lead Back-End Engineer")
    page.get_by_label("Department").fill("Payments")
    page.get_by_label("Work arrangement").select_option("hybrid")
    page.get_by_label("Location 1: city").fill("Berlin")
    page.get_by_label("Location 1: country").fill("DE")
    page.get_by_label("Recruiter: Rae Cruiter").check()
    page.get_by_role("button", name="Create draft job").click()

    expect(page.get_by_role("heading", level=1, name="Lead Back-End Engineer")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Draft job")
    preview = page.locator("#job-preview")
    expect(preview).to_contain_text("Payments")
    page.get_by_label("Department").fill("Card Payments")
    expect(preview).to_contain_text("Card Payments")  # the live preview, before saving
    assert_accessible(page)
    screenshot(page, "job-editor")

    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("status")).to_contain_text("Job saved.")
    page.get_by_role("button", name="Open job").click()
    expect(page.get_by_role("status")).to_contain_text("Job opened.")
    expect(page.locator(".job-facts .job-status")).to_have_text("Open")
    assert_accessible(page)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Jobs").click()
    row = page.get_by_role("row", name=re.compile("Lead Back-End Engineer"))
    expect(row).to_contain_text("Open")
    expect(row).to_contain_text("Card Payments")
    expect(row).to_contain_text("Applied 0")
    assert_accessible(page)
    screenshot(page, "jobs-list")
    jobs = live_api.call("GET", "/v1/jobs", tenant)["items"]
    assert [(j["department"], j["status"]) for j in jobs] == [("Card Payments", "open")]
