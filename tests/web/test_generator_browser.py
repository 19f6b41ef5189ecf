"""Browser journeys through the public tools: role guides and the job-description generator."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from tests.web.browser import assert_accessible, screenshot


def test_role_guides_are_accessible_and_lead_to_the_generator(page: Page) -> None:
    page.goto("/roles")
    assert_accessible(page)
    screenshot(page, "role-guides")

    page.get_by_role("link", name="Back-End Engineer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Back-End Engineer")
    expect(page.get_by_role("table", name="Technical skills")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "role-guide")

    page.get_by_role("link", name="Write a job description for this role").first.click()
    expect(page).to_have_url("/tools/job-description?profile=backend-engineer&level=senior")
    expect(page.get_by_label("Role", exact=True)).to_have_value("backend-engineer")
    expect(page.get_by_label("Level")).to_have_value("senior")


def _settled(page: Page) -> None:
    """Leave the field (its change event sends one more preview) and wait until no preview request
    is in flight: a preview that lands between the press and release of a click replaces the button
    under the pointer, and the browser then sends no click at all."""
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    page.wait_for_function("() => !document.querySelector('.htmx-request')")


def test_the_generator_previews_as_one_types_and_copies_the_markdown(page: Page, live_server: str) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    page.goto("/tools/job-description")
    assert_accessible(page)

    page.get_by_label("Role", exact=True).select_option("platform-engineer")
    page.get_by_label("Level").select_option("lead")
    page.get_by_label("Company name").fill("Globex")
    markdown = page.locator("#markdown-source")
    expect(markdown).to_have_value(re.compile(r"^# Lead Platform / DevOps Engineer\n\nGlobex · Full-time"))
    expect(page.locator(".description-preview h2").first).to_have_text("Lead Platform / DevOps Engineer")
    assert page.url.endswith("/tools/job-description")  # the live preview does not change the address

    page.get_by_label("Lowest").fill("90000")
    page.get_by_label("Highest").fill("80000")
    expect(page.locator("#error-salary_max")).to_have_text(
        "The highest pay must not be less than the lowest."
    )
    page.get_by_label("Highest").fill("110000")
    expect(page.locator("#error-salary_max")).to_have_text("")
    expect(page.locator(".description-preview")).to_contain_text("USD 90,000 \u2013 110,000 per year")
    assert_accessible(page)
    screenshot(page, "job-description-generator")

    _settled(page)
    page.get_by_role("button", name="Copy Markdown").click()
    expect(page.locator("#copy-status")).to_have_text("Copied to the clipboard.")
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert copied == markdown.input_value()
    assert copied.startswith("# Lead Platform / DevOps Engineer\n\nGlobex · Full-time")
    assert "**Salary:** USD 90,000 \u2013 110,000 per year" in copied


def test_copy_still_answers_when_the_browser_refuses_the_async_clipboard(
    page: Page, live_server: str
) -> None:
    """A window that is not focused makes writeText reject; the click must still copy and say so."""
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    page.goto("/tools/job-description")
    page.get_by_label("Company name").fill("Globex")
    markdown = page.locator("#markdown-source")
    expect(markdown).to_have_value(re.compile("Globex · Full-time"))
    page.evaluate(
        "() => { navigator.clipboard.writeText = () => Promise.reject(new DOMException('not focused')); }"
    )

    _settled(page)
    page.get_by_role("button", name="Copy Markdown").click()
    expect(page.locator("#copy-status")).to_have_text("Copied to the clipboard.")
    assert page.evaluate("() => navigator.clipboard.readText()") == markdown.input_value()


def test_the_generator_works_without_javascript(browser: Browser, live_server: str) -> None:
    context = browser.new_context(base_url=live_server, java_script_enabled=False)
    page = context.new_page()
    page.goto("/tools/job-description")
    page.get_by_label("Company name").fill("Initech")
    page.get_by_label("Lowest").fill("abc")
    page.get_by_label("Highest").fill("100")
    page.get_by_role("button", name="Show description").click()

    expect(page).to_have_url(re.compile(r"company=Initech"))
    expect(page.locator("#error-summary")).to_be_visible()
    expect(page.locator("#error-salary_min")).to_have_text("Enter the amount as a number, such as 85000.")
    expect(page.get_by_label("Company name")).to_have_value("Initech")
    expect(page.locator("#markdown-source")).to_have_value(re.compile("Initech · Full-time"))
    context.close()
