"""A job seeker in Chromium: the job board, filters swapped in by htmx, a careers site, a job page."""

from __future__ import annotations

import re
import time
from typing import Any

from playwright.sync_api import Page, expect

from tests.factories import job_body
from tests.web.browser import LiveApi, assert_accessible, screenshot


def _board(live_api: LiveApi) -> tuple[str, dict[str, dict[str, Any]]]:
    """A branded organisation with three open jobs that differ in arrangement and level."""
    tenant = live_api.create_tenant("Harbour Robotics")
    settings = live_api.http.get("/v1/job-settings", headers=tenant.headers)
    live_api.call(
        "PATCH",
        "/v1/job-settings",
        tenant,
        json={"accent_colour": "#0b6e4f", "careers_intro": "We build robots for harbours."},
        headers={"If-Match": settings.headers["etag"]},
    )
    profile = live_api.call("POST", "/v1/role-profiles", tenant, json={"from_library": "backend-engineer"})
    variants: dict[str, dict[str, Any]] = {
        "Lead Lantern Engineer": {},
        "Remote Harbour Engineer": {
            "level": "senior",
            "work_arrangement": "remote",
            "locations": [],
            "remote_countries": ["PT"],
        },
        "Onsite Orchard Engineer": {"level": "senior", "work_arrangement": "onsite"},
    }
    jobs = {}
    for title, fields in variants.items():
        job = live_api.call("POST", "/v1/jobs", tenant, json=job_body(profile["id"], title=title, **fields))
        live_api.call("POST", f"/v1/jobs/{job['id']}/open", tenant, expect=200)
        jobs[title] = job
    deadline = time.monotonic() + 20
    while live_api.http.get("/v1/board/postings").json()["total"] < 3:  # the worker publishes them
        assert time.monotonic() < deadline, "the postings never went live"
        time.sleep(0.2)
    slug: str = live_api.call("GET", "/v1/job-settings", tenant)["board_slug"]
    return slug, jobs


def test_a_job_seeker_filters_the_board_and_opens_a_job(page: Page, live_api: LiveApi) -> None:
    slug, jobs = _board(live_api)

    page.goto("/jobs")
    expect(page.get_by_role("heading", level=1)).to_have_text("Open jobs")
    expect(page.locator(".job-card")).to_have_count(3)
    assert_accessible(page)
    screenshot(page, "job-board")

    # Ticking a filter swaps the results in place (htmx) and puts the filter in the address.
    remote = page.get_by_role("group", name="Work arrangement").get_by_role("checkbox", name="Remote (1)")
    remote.check()
    expect(page).to_have_url(re.compile(r"work_arrangement=remote"))
    expect(page.locator(".job-card")).to_have_count(1)
    expect(page.locator(".job-card h3")).to_have_text("Remote Harbour Engineer")
    # The box ticked keeps the focus across the swap (stable ids), and stays ticked.
    expect(
        page.get_by_role("group", name="Work arrangement").get_by_role("checkbox", name="Remote (1)")
    ).to_be_checked()
    expect(page.get_by_role("heading", name=re.compile("Showing 1\u20131 of 1 job"))).to_be_visible()
    assert_accessible(page)

    # A search with no match lists the filters; removing one brings results back.
    page.get_by_label("Search jobs by title, skill or keyword").fill("zeppelin")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name="No jobs match")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "job-board-no-results")
    page.get_by_role("link", name=re.compile("Search: “zeppelin”")).click()
    expect(page.locator(".job-card")).to_have_count(1)
    page.get_by_role("link", name="Clear all").click()
    expect(page.locator(".job-card")).to_have_count(3)

    # The organisation's careers site: its name, introduction and colours.
    page.goto(f"/careers/{slug}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Careers at Harbour Robotics")
    expect(page.get_by_text("We build robots for harbours.")).to_be_visible()
    apply_colour = page.evaluate(
        "getComputedStyle(document.documentElement).getPropertyValue('--pico-primary')"
    )
    assert apply_colour.strip() == "#0b6e4f"
    assert_accessible(page)
    screenshot(page, "careers-site")

    page.get_by_role("link", name="Onsite Orchard Engineer").click()
    expect(page).to_have_url(re.compile(rf"/jobs/{jobs['Onsite Orchard Engineer']['id']}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Onsite Orchard Engineer")
    apply = page.get_by_role("button", name="Apply for this job")
    expect(apply).to_have_attribute("href", f"/jobs/{jobs['Onsite Orchard Engineer']['id']}/apply")
    assert_accessible(page)
    screenshot(page, "job-page")
