"""The pipeline board page: the API's applications by stage, moved, rejected and bulk-handled with the
API's own services, for exactly the people whose scopes allow it."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import update

from rolecall.candidates.models import Candidate
from rolecall.platform.db import transaction
from rolecall.platform.tenancy import all_tenants
from tests.factories import Tenant, create_application, move_application, open_job
from tests.web.support import counted_statements, create_staff, sign_in

HX = {"HX-Request": "true"}
_COLUMN = re.compile(
    r'<h2 id="column-(\d+)" class="column-title">(.*?) <span class="count" id="count-\1">(\d+)<.*?'
    r'<ol class="cards" id="cards-\1"[^>]*>(.*?)</ol>',
    re.S,
)
_CARD = re.compile(r'<li class="card" id="card-([0-9a-f-]{36})"')


def columns(html: str) -> dict[str, tuple[int, list[str]]]:
    """Stage name -> (count shown, application ids of the cards in its list)."""
    return {name: (int(count), _CARD.findall(body)) for _, name, count, body in _COLUMN.findall(html)}


def closed(html: str, status: str) -> list[str]:
    found = re.search(
        rf'<ul class="cards closed-cards" id="closed-{status}"[^>]*>(.*?)</ul>\s*(<h3|</details>)', html, re.S
    )
    assert found, f"no closed list {status}"
    return re.findall(r'id="closed-card-([0-9a-f-]{36})"', found.group(1))


async def _job_with(
    client: httpx.AsyncClient,
    app: FastAPI,
    tenant: Tenant,
    n: int = 3,
    profile: str | None = None,
    **candidate: Any,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    job = await open_job(client, app, tenant, profile)
    apps = [await create_application(client, app, tenant, job, **candidate) for _ in range(n)]
    return job, apps


async def _api(client: httpx.AsyncClient, tenant: Tenant, application_id: str) -> dict[str, Any]:
    response = await client.get(f"/v1/applications/{application_id}", headers=tenant.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _transitions(
    client: httpx.AsyncClient, tenant: Tenant, application_id: str
) -> list[dict[str, Any]]:
    response = await client.get(f"/v1/applications/{application_id}/transitions", headers=tenant.headers)
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()
    return rows


async def test_columns_and_counts_are_the_apis(
    app: FastAPI, client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant
) -> None:
    job, apps = await _job_with(client, app, tenant, 4, tags=["python", "remote"])
    await move_application(client, tenant, apps[0], "Recruiter screen")
    rejected = await client.post(
        f"/v1/applications/{apps[1]['id']}/reject", headers=tenant.headers, json={"reason": "skills_gap"}
    )
    assert rejected.status_code == 200
    listed = (
        await client.get(f"/v1/applications?job_id={job['id']}&limit=100", headers=tenant.headers)
    ).json()
    await sign_in(pages, tenant.admin_email)

    page = await pages.get(f"/app/jobs/{job['id']}/pipeline")

    assert page.status_code == 200
    board = columns(page.text)
    assert list(board) == [s["name"] for s in job["stages"] if s["type"] not in ("hired", "rejected")]
    for name, (count, ids) in board.items():
        expected = {a["id"] for a in listed["items"] if a["stage"] == name and a["status"] == "active"}
        assert count == len(ids) == len(expected)
        assert set(ids) == expected
    assert closed(page.text, "rejected") == [apps[1]["id"]]
    assert "Skills do not match the role" in page.text
    assert page.text.count('href="/app/candidates/') == 4
    assert "Ada Example" in page.text
    assert '<li class="tag">python</li>' in page.text
    assert "under an hour in this stage" in page.text
    assert re.search(r"(not scored|\d+</strong> \w+ match)", page.text)
    assert 'data-can-move="true"' in page.text
    assert page.headers["cache-control"] == "no-store"


async def test_a_move_without_javascript_redirects_to_the_board_and_is_recorded(
    app: FastAPI, client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant
) -> None:
    job, apps = await _job_with(client, app, tenant, 1)
    _, email = await create_staff(client, tenant, "recruiter")
    csrf = await sign_in(pages, email)
    target = apps[0]["id"]

    moved = await pages.post(
        f"/app/applications/{target}/move",
        data={"csrf_token": csrf, "stage": "Skills assessment", "version": "1"},
    )

    assert moved.status_code == 303
    assert moved.headers["location"] == f"/app/jobs/{job['id']}/pipeline"
    board = await pages.get(moved.headers["location"])
    assert "Moved to Skills assessment." in board.text
    assert columns(board.text)["Skills assessment"] == (1, [target])
    assert (await _api(client, tenant, target))["stage"] == "Skills assessment"
    last = (await _transitions(client, tenant, target))[-1]
    assert (last["action"], last["from_stage"], last["to_stage"]) == ("move", "Applied", "Skills assessment")


async def test_an_htmx_move_answers_the_card_and_the_counts_out_of_band(
    app: FastAPI, client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant
) -> None:
    job, apps = await _job_with(client, app, tenant, 2)
    csrf = await sign_in(pages, tenant.admin_email)
    dropped, chosen = apps[0]["id"], apps[1]["id"]

    placed = await pages.post(
        f"/app/applications/{dropped}/move",
        data={"stage": "Recruiter screen", "version": "1", "placed": "1"},
        headers={**HX, "X-CSRF-Token": csrf},
    )
    by_form = await pages.post(
        f"/app/applications/{chosen}/move",
        data={"stage": "Recruiter screen", "version": "1"},
        headers={**HX, "X-CSRF-Token": csrf},
    )

    assert placed.status_code == 200
    assert placed.text.lstrip().startswith(f'<li class="card" id="card-{dropped}"')
    assert f'aria-labelledby="name-{dropped}" data-version="2" data-just-moved="true"' in placed.text
    assert re.search(r'id="count-0" hx-swap-oob="true">1<', placed.text)
    assert re.search(r'id="count-1" hx-swap-oob="true">1<', placed.text)
    assert 'hx-swap-oob="innerHTML:#board-status">Ada Example: moved to Recruiter screen.' in placed.text
    assert by_form.status_code == 200
    assert by_form.text.lstrip().startswith('<ol hx-swap-oob="afterbegin:#cards-1">')
    assert re.search(r'id="count-0" hx-swap-oob="true">0<', by_form.text)
    assert re.search(r'id="count-1" hx-swap-oob="true">2<', by_form.text)
    assert (await _api(client, tenant, chosen))["stage"] == "Recruiter screen"
    assert job["stages"][1]["name"] == "Recruiter screen"


async def test_a_refused_or_stale_move_says_why_and_changes_nothing(
    app: FastAPI, client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant
) -> None:
    job, apps = await _job_with(client, app, tenant, 1)
    target = apps[0]["id"]
    await move_application(client, tenant, apps[0], "Recruiter screen")  # now version 2
    csrf = await sign_in(pages, tenant.admin_email)
    headers = {**HX, "X-CSRF-Token": csrf}
    url = f"/app/applications/{target}/move"

    hired = await pages.post(url, data={"stage": "Hired", "version": "2"}, headers=headers)
    same = await pages.post(url, data={"stage": "Recruiter screen", "version": "2"}, headers=headers)
    stale = await pages.post(url, data={"stage": "Offer", "version": "1"}, headers=headers)
    stale_plain = await pages.post(url, data={"csrf_token": csrf, "stage": "Offer", "version": "1"})

    assert (hired.status_code, hired.headers["content-type"]) == (422, "text/plain; charset=utf-8")
    assert hired.text == "Applications are hired by accepting an offer, not by a move."
    assert (same.status_code, same.text) == (409, "The application is already in 'Recruiter screen'.")
    assert stale.status_code == 412
    assert stale.text.startswith("Someone else changed this application a moment ago")
    assert stale_plain.status_code == 303
    board = await pages.get(stale_plain.headers["location"])
    assert "Nothing changed: Someone else changed this application" in board.text
    assert (await _api(client, tenant, target))["stage"] == "Recruiter screen"
    assert len(await _transitions(client, tenant, target)) == 2
    assert columns(board.text)["Recruiter screen"] == (1, [target])
    assert job["id"] in board.url.path


async def test_reject_with_a_reason_and_a_note(
    app: FastAPI, client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant
) -> None:
    job, apps = await _job_with(client, app, tenant, 2)
    csrf = await sign_in(pages, tenant.admin_email)
    first, second = apps[0]["id"], apps[1]["id"]

    plain = await pages.post(
        f"/app/applications/{first}/reject",
        data={
            "csrf_token": csrf,
            "reason": "compensation",
            "note": "Asked for <twice> the range",
            "version": "1",
        },
    )
    htmx = await pages.post(
        f"/app/applications/{second}/reject",
        data={"reason": "location", "version": "1"},
        headers={**HX, "X-CSRF-Token": csrf},
    )
    unknown = await pages.post(
        f"/app/applications/{second}/reject", data={"reason": "nope"}, headers={**HX, "X-CSRF-Token": csrf}
    )

    assert plain.status_code == 303
    body = await _api(client, tenant, first)
    assert (body["status"], body["reject_reason"]) == ("rejected", "compensation")
    notes = (await client.get(f"/v1/candidates/{body['candidate_id']}/notes", headers=tenant.headers)).json()
    assert [n["body"] for n in notes["items"]] == [
        "Rejected for Applied (compensation): Asked for <twice> the range"
    ]
    assert htmx.status_code == 200
    assert htmx.text.lstrip().startswith('<ul hx-swap-oob="afterbegin:#closed-rejected">')
    assert "Location or work authorisation" in htmx.text
    assert re.search(r'id="closed-count-rejected" hx-swap-oob="true">2<', htmx.text)
    assert unknown.status_code == 409  # already rejected: the state machine says no before the reason
    board = await pages.get(f"/app/jobs/{job['id']}/pipeline")
    assert set(closed(board.text, "rejected")) == {first, second}
    assert columns(board.text)["Applied"] == (0, [])


async def test_bulk_move_and_bulk_reject_report_each_item(
    app: FastAPI, client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant
) -> None:
    job, apps = await _job_with(client, app, tenant, 3)
    ids = [a["id"] for a in apps]
    csrf = await sign_in(pages, tenant.admin_email)
    url = f"/app/jobs/{job['id']}/pipeline/bulk"
    await client.post(f"/v1/applications/{ids[2]}/reject", headers=tenant.headers, json={"reason": "other"})

    moved = await pages.post(
        url,
        data={"csrf_token": csrf, "action": "move", "stage": "Team interview", "application_ids": ids[:2]},
    )
    rejected = await pages.post(
        url,
        data={"action": "reject", "reason": "position_filled", "application_ids": [ids[0], ids[2]]},
        headers={**HX, "X-CSRF-Token": csrf},
    )
    empty = await pages.post(url, data={"csrf_token": csrf, "action": "move", "stage": "Offer"})

    assert moved.status_code == 200
    assert "Moved 2, failed 0" in moved.text
    count, shown = columns(moved.text)["Team interview"]
    assert (count, set(shown)) == (2, set(ids[:2]))
    assert (await _api(client, tenant, ids[1]))["stage"] == "Team interview"
    assert "Rejected 1, failed 1" in rejected.text
    assert "Ada Example</strong>: The application is rejected; unreject it" in rejected.text
    assert 'hx-swap-oob="innerHTML">Rejected 1; 1 could not be rejected.' in rejected.text
    first = await _api(client, tenant, ids[0])
    assert (first["status"], first["reject_reason"]) == ("rejected", "position_filled")
    assert [t["to_stage"] for t in await _transitions(client, tenant, ids[0])][1:] == [
        "Team interview",
        "Rejected",
    ]
    assert "Select at least one application first." in empty.text
    bulk_ids = {t["bulk_id"] for t in await _transitions(client, tenant, ids[1]) if t["bulk_id"]}
    assert len(bulk_ids) == 1


async def test_a_hiring_manager_sees_the_board_without_controls_and_cannot_change_it(
    app: FastAPI, client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant
) -> None:
    job, apps = await _job_with(client, app, tenant, 1)
    _, email = await create_staff(client, tenant, "hiring_manager")
    csrf = await sign_in(pages, email)
    target = apps[0]["id"]

    page = await pages.get(f"/app/jobs/{job['id']}/pipeline")
    move = await pages.post(f"/app/applications/{target}/move", data={"csrf_token": csrf, "stage": "Offer"})
    reject = await pages.post(
        f"/app/applications/{target}/reject", data={"csrf_token": csrf, "reason": "other"}
    )
    bulk = await pages.post(
        f"/app/jobs/{job['id']}/pipeline/bulk",
        data={"csrf_token": csrf, "action": "move", "stage": "Offer", "application_ids": [target]},
    )

    assert page.status_code == 200
    assert columns(page.text)["Applied"] == (1, [target])
    assert "Ada Example" in page.text
    assert 'data-can-move="false"' in page.text
    for control in ("/move", "/reject", "/pipeline/bulk", 'type="checkbox"', "Move to stage"):
        assert control not in page.text
    assert (move.status_code, reject.status_code, bulk.status_code) == (403, 403, 403)
    assert (await _api(client, tenant, target))["stage"] == "Applied"


async def test_an_interviewer_cannot_open_the_board_and_other_organisations_get_404(
    app: FastAPI,
    client: httpx.AsyncClient,
    pages: httpx.AsyncClient,
    tenant: Tenant,
    other_tenant: Tenant,
) -> None:
    job, apps = await _job_with(client, app, tenant, 1)
    _, interviewer = await create_staff(client, tenant, "interviewer")
    await sign_in(pages, interviewer)
    assert (await pages.get(f"/app/jobs/{job['id']}/pipeline")).status_code == 403

    pages.cookies.clear()
    csrf = await sign_in(pages, other_tenant.admin_email)
    assert (await pages.get(f"/app/jobs/{job['id']}/pipeline")).status_code == 404
    move = await pages.post(
        f"/app/applications/{apps[0]['id']}/move", data={"csrf_token": csrf, "stage": "Offer"}
    )
    bulk = await pages.post(
        f"/app/jobs/{job['id']}/pipeline/bulk",
        data={"csrf_token": csrf, "action": "move", "stage": "Offer", "application_ids": [apps[0]["id"]]},
    )
    assert (move.status_code, bulk.status_code) == (404, 404)
    assert (await _api(client, tenant, apps[0]["id"]))["stage"] == "Applied"


async def test_posts_without_the_csrf_token_are_refused(
    app: FastAPI, client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant
) -> None:
    job, apps = await _job_with(client, app, tenant, 1)
    await sign_in(pages, tenant.admin_email)
    target = apps[0]["id"]

    move = await pages.post(f"/app/applications/{target}/move", data={"stage": "Offer"}, headers=HX)
    reject = await pages.post(f"/app/applications/{target}/reject", data={"reason": "other"})
    bulk = await pages.post(
        f"/app/jobs/{job['id']}/pipeline/bulk",
        data={"action": "move", "stage": "Offer", "application_ids": [target], "csrf_token": "forged"},
    )

    assert (move.status_code, reject.status_code, bulk.status_code) == (403, 403, 403)
    assert (await _api(client, tenant, target))["stage"] == "Applied"


async def test_hostile_names_and_tags_are_escaped(
    app: FastAPI, client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant
) -> None:
    job = await open_job(client, app, tenant)
    hostile = "<script>alert(1)</script>\"' \u202eabc"
    hostile_tag = '"><img src=x onerror=alert(1)>'
    refused = await client.post(
        "/v1/candidates",
        headers=tenant.headers,
        json={"full_name": "T", "email": "t@example.com", "tags": [hostile_tag]},
    )
    assert refused.status_code == 422  # the tag rule (ADR 0017) keeps such tags out of the API...
    applied = await create_application(client, app, tenant, job, full_name=hostile)
    async with transaction(app.state.sessionmaker) as session:  # ...so plant one, as a raw write could
        await session.execute(
            update(Candidate)
            .where(Candidate.id == uuid.UUID(applied["candidate_id"]))
            .values(tags=[hostile_tag])
            .execution_options(**all_tenants())
        )
    await create_application(client, app, tenant, job, full_name="W" * 200)
    csrf = await sign_in(pages, tenant.admin_email)

    page = await pages.get(f"/app/jobs/{job['id']}/pipeline")

    assert page.status_code == 200
    assert "<script>alert(1)" not in page.text
    assert "<img src=x" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&#34;&#39; \u202eabc</a>" in page.text
    assert "Select &lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;</li>" in page.text
    assert "W" * 200 in page.text
    card = await pages.post(
        f"/app/applications/{_CARD.findall(page.text)[0]}/move",
        data={"stage": "Offer", "version": "1"},
        headers={**HX, "X-CSRF-Token": csrf},
    )
    assert card.status_code == 200
    assert "<script>alert(1)" not in card.text


async def test_the_board_takes_the_same_number_of_queries_for_5_and_30_applications(
    app: FastAPI, client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant
) -> None:
    small, _ = await _job_with(client, app, tenant, 5)
    large, _ = await _job_with(client, app, tenant, 30, profile=small["role_profile_id"])
    await sign_in(pages, tenant.admin_email)
    await pages.get(f"/app/jobs/{small['id']}/pipeline")  # creates the organisation's pipeline settings

    counts = []
    for job in (small, large):
        with counted_statements(app) as seen:
            page = await pages.get(f"/app/jobs/{job['id']}/pipeline")
        assert page.status_code == 200
        counts.append(len(seen))

    assert sum(len(ids) for _, ids in columns(page.text).values()) == 30
    assert counts[0] == counts[1]
