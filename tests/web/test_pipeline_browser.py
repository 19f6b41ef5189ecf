"""A recruiter works the pipeline board in Chromium: drags a card, moves one with the keyboard only,
rejects one with a reason and moves two at once; the board passes axe at every step."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Locator, Page, expect

from tests.factories import PASSWORD, job_body
from tests.web.browser import LiveApi, assert_accessible, screenshot

NAMES = ["Ada Drag", "Ben Keys", "Cy Reject", "Di Bulk", "Ed Bulk"]


def _board(live_api: LiveApi) -> tuple[Any, dict[str, Any], dict[str, str], str]:
    tenant = live_api.create_tenant("Board Ltd")
    email = "recruiter-board@example.com"
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
    profile = live_api.call("POST", "/v1/role-profiles", tenant, json={"from_library": "backend-engineer"})
    job = live_api.call("POST", "/v1/jobs", tenant, json=job_body(profile["id"]))
    live_api.call("POST", f"/v1/jobs/{job['id']}/open", tenant, expect=200)
    ids: dict[str, str] = {}
    for index, name in enumerate(NAMES):
        candidate = live_api.call(
            "POST", "/v1/candidates", tenant, json={"full_name": name, "email": f"c{index}@example.com"}
        )
        body = {"candidate_id": candidate["id"], "job_id": job["id"]}
        ids[name] = live_api.call("POST", "/v1/applications", tenant, json=body)["id"]
    return tenant, job, ids, email


def _stage(live_api: LiveApi, tenant: Any, application_id: str) -> tuple[str, str]:
    body = live_api.call("GET", f"/v1/applications/{application_id}", tenant)
    return body["stage"], body["status"]


def _drag(page: Page, card: Locator, target: Locator) -> None:
    """Real mouse events, in small steps: SortableJS ignores a synthetic drop."""
    start, end = card.locator(".card-waited").bounding_box(), target.bounding_box()
    assert start is not None
    assert end is not None
    page.mouse.move(start["x"] + 20, start["y"] + 5)
    page.mouse.down()
    page.mouse.move(start["x"] + 40, start["y"] + 30, steps=5)
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + 30, steps=20)
    page.mouse.up()


def test_a_recruiter_drags_moves_rejects_and_bulk_moves(page: Page, live_api: LiveApi) -> None:
    tenant, job, ids, email = _board(live_api)
    board_url = f"/app/jobs/{job['id']}/pipeline"
    page.goto(f"/app/login?next={board_url}")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Pipeline")
    expect(page.locator("#count-0")).to_contain_text("5")
    assert_accessible(page)
    screenshot(page, "pipeline-board")

    # Drag and drop: Applied -> Recruiter screen.
    _drag(page, page.locator(f"#card-{ids['Ada Drag']}"), page.locator("#cards-1"))
    expect(page.locator("#board-status")).to_have_text("Ada Drag: moved to Recruiter screen.")
    expect(page.locator(f"#cards-1 #card-{ids['Ada Drag']}")).to_be_visible()
    expect(page.locator("#count-1")).to_contain_text("1")
    page.reload()
    expect(page.locator(f"#cards-1 #card-{ids['Ada Drag']}")).to_be_visible()
    assert _stage(live_api, tenant, ids["Ada Drag"]) == ("Recruiter screen", "active")

    # Keyboard only: from the card, Tab to its stage list, choose, Tab to the button, Enter.
    page.locator(f"#card-{ids['Ben Keys']}").focus()
    for _ in range(3):  # the selection box, the name link, the stage list
        page.keyboard.press("Tab")
    select = page.locator(f"#move-{ids['Ben Keys']}")
    expect(select).to_be_focused()
    select.select_option("Skills assessment")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator(f"#cards-2 #card-{ids['Ben Keys']}")).to_be_focused()
    expect(page.locator("#board-status")).to_have_text("Ben Keys: moved to Skills assessment.")
    assert _stage(live_api, tenant, ids["Ben Keys"]) == ("Skills assessment", "active")

    # Reject with a reason.
    rejected = page.locator(f"#card-{ids['Cy Reject']}")
    rejected.locator("summary").click()
    rejected.get_by_label("Reason").select_option(label="Position filled")
    rejected.get_by_role("button", name="Reject").click()
    expect(page.locator(f"#card-{ids['Cy Reject']}")).to_have_count(0)
    expect(page.locator("#closed-count-rejected")).to_contain_text("1")
    assert _stage(live_api, tenant, ids["Cy Reject"]) == ("Rejected", "rejected")

    # Bulk move of two.
    page.get_by_label("Select Di Bulk").check()
    page.get_by_label("Select Ed Bulk").check()
    page.get_by_label("Move selected to").select_option("Team interview")
    page.get_by_role("button", name="Move selected").click()
    expect(page.locator(".bulk-result h2")).to_have_text("Moved 2, failed 0")
    expect(page.locator("#count-4")).to_contain_text("2")
    for name in ("Di Bulk", "Ed Bulk"):
        assert _stage(live_api, tenant, ids[name]) == ("Team interview", "active")
    assert_accessible(page)
    screenshot(page, "pipeline-board-after")


def test_a_refused_drop_snaps_back_and_says_why(page: Page, live_api: LiveApi) -> None:
    tenant, job, ids, email = _board(live_api)
    page.goto(f"/app/login?next=/app/jobs/{job['id']}/pipeline")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#count-0")).to_contain_text("5")
    # A colleague moves the card first, so the version the board drew is stale.
    live_api.call(
        "POST", f"/v1/applications/{ids['Ada Drag']}/move", tenant, expect=200, json={"stage": "Offer"}
    )

    _drag(page, page.locator(f"#card-{ids['Ada Drag']}"), page.locator("#cards-1"))

    expect(page.locator("#board-alert")).to_contain_text("Someone else changed this application")
    expect(page.locator(f"#cards-0 #card-{ids['Ada Drag']}")).to_be_visible()
    assert _stage(live_api, tenant, ids["Ada Drag"]) == ("Offer", "active")
    assert_accessible(page)
