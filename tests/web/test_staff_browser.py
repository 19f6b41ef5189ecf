"""Browser journeys through the staff app's offers, settings and analytics pages."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from playwright.sync_api import Page, expect

from tests.factories import PASSWORD, Tenant
from tests.web.browser import LiveApi, assert_accessible, screenshot


def _sign_in(page: Page, email: str) -> None:
    page.goto("/app/login?next=/app/account")
    assert_accessible(page)
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("link", name="Your account")).to_be_visible()


def _staff(live_api: LiveApi, tenant: Tenant, role: str) -> str:
    email = f"{role}-{tenant.organisation_id.hex[:6]}@example.com"
    body = {
        "email": email,
        "full_name": f"{role.replace('_', ' ').title()} Person",
        "password": PASSWORD,
        "roles": [role],
        "sees_all_jobs": True,  # these journeys are about roles, not hiring teams
    }
    live_api.call("POST", "/v1/users", tenant, json=body)
    return email


def _offer_waiting_for_the_manager(live_api: LiveApi, tenant: Tenant) -> dict[str, Any]:
    profile = live_api.call("POST", "/v1/role-profiles", tenant, json={"from_library": "backend-engineer"})
    job = live_api.call(
        "POST",
        "/v1/jobs",
        tenant,
        json={
            "role_profile_id": profile["id"],
            "level": "senior",
            "department": "Engineering",
            "work_arrangement": "remote",
            "remote_countries": ["DE"],
            "salary": {"min": 70_000, "max": 90_000, "currency": "EUR"},
        },
    )
    live_api.call("POST", f"/v1/jobs/{job['id']}/open", tenant, expect=200)
    person = {"full_name": "Grace Offerton", "email": "grace.offerton@example.org"}
    candidate = live_api.call("POST", "/v1/candidates", tenant, json=person)
    application = live_api.call(
        "POST", "/v1/applications", tenant, json={"candidate_id": candidate["id"], "job_id": job["id"]}
    )
    live_api.call(
        "POST", f"/v1/applications/{application['id']}/move", tenant, json={"stage": "Offer"}, expect=200
    )
    terms = {
        "salary": 80_000,
        "currency": "EUR",
        "period": "year",
        "start_date": (date.today() + timedelta(days=40)).isoformat(),
    }
    offer: dict[str, Any] = live_api.call(
        "POST", f"/v1/applications/{application['id']}/offers", tenant, json=terms
    )
    return offer


def test_a_hiring_manager_approves_an_offer_from_the_inbox(page: Page, live_api: LiveApi) -> None:
    tenant = live_api.create_tenant("Offerton Ltd")
    offer = _offer_waiting_for_the_manager(live_api, tenant)
    manager = _staff(live_api, tenant, "hiring_manager")

    _sign_in(page, manager)
    page.get_by_role("link", name="Offers").click()
    inbox = page.get_by_role("region", name="Awaiting your approval")
    expect(inbox).to_contain_text("Grace Offerton")
    assert_accessible(page)
    screenshot(page, "offers-inbox")

    inbox.get_by_role("link", name="Grace Offerton").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Offer for Grace Offerton")
    assert_accessible(page)
    page.get_by_label("Note (optional)").fill("Within the band; approved.")
    page.get_by_role("button", name="Approve").click()

    expect(page.get_by_role("status")).to_contain_text("You approved your step of the offer.")
    after = live_api.call("GET", f"/v1/offers/{offer['id']}", tenant)
    assert after["pending_step"]["role"] == "admin"
    assert after["approvals"][0]["note"] == "Within the band; approved."
    screenshot(page, "offer")


def test_an_admin_changes_the_accent_colour_and_sees_it_on_the_careers_site(
    page: Page, live_api: LiveApi
) -> None:
    tenant = live_api.create_tenant("Colourful Co")
    slug = live_api.call("GET", "/v1/job-settings", tenant)["board_slug"]
    _sign_in(page, tenant.admin_email)
    page.goto("/app/settings")
    assert_accessible(page)
    page.get_by_role("link", name="Careers site").click()
    assert_accessible(page)

    page.get_by_label("Accent colour").fill("#ffd700")  # too light for white text: refused, kept
    page.get_by_role("button", name="Save careers site settings").click()
    expect(page.locator("#error-accent_colour")).to_be_visible()
    expect(page.get_by_label("Accent colour")).to_have_value("#ffd700")
    assert_accessible(page)

    page.get_by_label("Accent colour").fill("#6b2fa2")
    page.get_by_label("Introduction on the careers site").fill("We make colour work for everyone.")
    page.get_by_role("button", name="Save careers site settings").click()
    expect(page.get_by_role("status")).to_contain_text("Careers site settings saved.")

    page.goto(f"/careers/{slug}")
    expect(page.get_by_text("We make colour work for everyone.")).to_be_visible()
    primary = page.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--pico-primary')")
    assert primary.strip().lower() == "#6b2fa2"
    assert_accessible(page)


def test_the_analytics_and_settings_pages_are_accessible(page: Page, live_api: LiveApi) -> None:
    tenant = live_api.create_tenant("Figures Inc")
    _offer_waiting_for_the_manager(live_api, tenant)
    _sign_in(page, tenant.admin_email)

    for path in (
        "/app/analytics",
        "/app/settings/stages",
        "/app/settings/pipeline",
        "/app/settings/users",
        "/app/account",
    ):
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert_accessible(page)
    page.goto("/app/analytics")
    expect(page.locator("svg[role=img]").first).to_be_visible()
    screenshot(page, "analytics")
    job_link = page.get_by_role("region", name="One job's funnel").get_by_role("link").first
    job_link.click()
    expect(page).to_have_url(re.compile(r"/app/analytics/jobs/"))
    assert_accessible(page)
