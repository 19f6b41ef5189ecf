"""A candidate applies in Chromium, fixes a refused field, follows the status link and withdraws."""

from __future__ import annotations

import re
import time
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any, cast

from playwright.sync_api import Page, expect

from tests.candidates.test_resumes import make_pdf
from tests.factories import job_body
from tests.mail import status_token, to
from tests.web.browser import LiveApi, assert_accessible, screenshot

FORM = [
    {"key": "notice", "label": "Notice period (weeks)", "type": "number", "required": True, "max_value": 26},
    {"key": "visa", "label": "Do you need a visa?", "type": "yes_no", "required": True},
    {"key": "stack", "label": "Favourite stack", "type": "single_choice", "options": ["Python", "Go"]},
    {"key": "langs", "label": "Languages", "type": "multi_choice", "options": ["English", "German"]},
    {"key": "why", "label": "Why us?", "type": "long_text", "help_text": "A few sentences."},
    {"key": "portfolio", "label": "Portfolio", "type": "file"},
]


def _mailed_token(live_api: LiveApi, email: str) -> str:
    """The status link from the e-mail the applicant was sent.

    The live server runs the embedded worker, whose sender writes each message to the mail folder
    (no SMTP is configured): read it there, as a developer would at /app/dev/mail.
    """
    folder = Path(live_api.settings.mail_outbox_dir)
    deadline = time.monotonic() + 15
    while True:
        messages = [
            cast(EmailMessage, BytesParser(policy=policy.default).parsebytes(path.read_bytes()))
            for path in sorted(folder.glob("*.eml"))
        ]
        if any(to(m).lower() == email.lower() for m in messages) or time.monotonic() > deadline:
            return status_token(messages, email)
        time.sleep(0.1)


def _open_job(live_api: LiveApi) -> tuple[Any, dict[str, Any]]:
    tenant = live_api.create_tenant("Applying Ltd")
    profile = live_api.call("POST", "/v1/role-profiles", tenant, json={"from_library": "backend-engineer"})
    job = live_api.call("POST", "/v1/jobs", tenant, json=job_body(profile["id"], application_form=FORM))
    live_api.call("POST", f"/v1/jobs/{job['id']}/open", tenant, expect=200)
    deadline = time.monotonic() + 20
    while live_api.http.get(f"/jobs/{job['id']}/apply").status_code != 200:  # the worker publishes it
        assert time.monotonic() < deadline, "the posting never went live"
        time.sleep(0.2)
    return tenant, job


def test_a_candidate_applies_fixes_a_field_and_withdraws(
    page: Page, live_api: LiveApi, tmp_path: Path
) -> None:
    tenant, job = _open_job(live_api)
    resume = tmp_path / "cv.pdf"
    resume.write_bytes(make_pdf([["Back-end engineer, 7 years", "Python, PostgreSQL"]]))

    page.goto(f"/jobs/{job['id']}/apply")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Apply for {job['title']}")
    assert_accessible(page)
    screenshot(page, "apply-form")

    page.get_by_label("Full name").fill("Grace Applicant")
    page.get_by_label("E-mail address").fill("not-an-address")
    page.get_by_label("Notice period (weeks)").fill("4")
    page.get_by_role("group", name="Do you need a visa?").get_by_label("No").check()
    page.get_by_label("Go").check()
    page.get_by_label("German").check()
    page.get_by_label("Why us?").fill("Robots.")
    page.get_by_label("Resume (optional)").set_input_files(resume)
    page.get_by_label("I have read how my data is used").check()
    page.get_by_role("button", name="Send application").click()

    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("E-mail address")
    expect(page.locator("#again-resume")).to_contain_text("Please choose your resume again")
    expect(page.get_by_label("Full name")).to_have_value("Grace Applicant")
    expect(page.get_by_label("German")).to_be_checked()
    expect(page.get_by_label("Why us?")).to_have_value("Robots.")
    assert_accessible(page)
    screenshot(page, "apply-form-errors")

    summary.get_by_role("link").first.click()
    expect(page.get_by_label("E-mail address")).to_be_focused()
    page.get_by_label("E-mail address").fill("grace@example.com")
    page.get_by_label("Resume (optional)").set_input_files(resume)
    page.get_by_role("button", name="Send application").click()

    expect(page).to_have_url(re.compile(r"/jobs/[0-9a-f-]{36}/apply/received$"))
    expect(page.get_by_role("status").first).to_contain_text("We have e-mailed you a link")
    assert_accessible(page)

    page.goto(f"/status/{_mailed_token(live_api, 'grace@example.com')}")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Your application for {job['title']}")
    assert_accessible(page)
    screenshot(page, "application-status")
    (application,) = live_api.call("GET", f"/v1/applications?job_id={job['id']}", tenant)["items"]
    assert application["resume_file_id"] is not None

    page.get_by_role("button", name="Withdraw my application").click()
    expect(page.get_by_text("Are you sure? This cannot be undone.")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Yes, withdraw my application").click()
    expect(page.locator(".flash")).to_have_text("Your application has been withdrawn.")
    expect(page.get_by_role("heading", name="You have withdrawn this application")).to_be_visible()
    assert_accessible(page)
    status = live_api.call("GET", f"/v1/applications/{application['id']}", tenant)["status"]
    assert status == "withdrawn"
