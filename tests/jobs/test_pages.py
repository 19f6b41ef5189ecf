"""The staff app's jobs pages: the list with its pipeline counts, the new-job form, the editor with
its live description preview, and the lifecycle buttons, all through the API's own services."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import httpx
from fastapi import FastAPI

from tests.factories import (
    Tenant,
    create_application,
    create_job,
    fork_profile,
    move_application,
    open_job,
)
from tests.web.support import counted_statements, create_staff, sign_in

_ROW = re.compile(r'<tr>\s*<th scope="row">\s*<a href="/app/jobs/([0-9a-f-]{36})">(.*?)</a>(.*?)</tr>', re.S)
STATUS = re.compile(r'<span class="job-status job-status--(\w+)">.*?</span>(\w+)</span>', re.S)


def rows(html: str) -> dict[str, dict[str, str]]:
    """Job id -> what its row of the list shows (title, status word, stage counts as text)."""
    found = {}
    for job_id, title, rest in _ROW.findall(html):
        counts = re.search(r'<span class="stage-counts">(.*?)</span>', rest, re.S)
        status = STATUS.search(rest)
        found[job_id] = {
            "title": title,
            "status": status.group(2) if status else "",
            "counts": re.sub(r"<[^>]+>", "", unescape(counts.group(1))) if counts else "",
            "html": rest,
        }
    return found


def form_values(html: str) -> dict[str, Any]:
    """The editor's form as a browser would send it (text fields, selections, checked boxes)."""
    form = re.search(r'<form method="post" action="/app/jobs/[^"]*" novalidate.*?</form>', html, re.S)
    assert form, "no job form on the page"
    body = form.group(0)
    values: dict[str, Any] = {}
    for tag in re.findall(r"<input [^>]*>", body):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if not name or (('type="checkbox"' in tag) and " checked" not in tag):
            continue
        if name.group(1) == "team":
            values.setdefault("team", []).append(unescape(value.group(1)) if value else "")
        else:
            values[name.group(1)] = unescape(value.group(1)) if value else ""
    for name, text in re.findall(r'<textarea [^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', body, re.S):
        values[name] = unescape(text)
    for name, options in re.findall(r'<select [^>]*name="([^"]+)"[^>]*>(.*?)</select>', body, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', options)
        values[name] = unescape(chosen.group(1)) if chosen else ""
    return values


async def api_job(client: httpx.AsyncClient, tenant: Tenant, job_id: str) -> dict[str, Any]:
    response = await client.get(f"/v1/jobs/{job_id}", headers=tenant.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def sign_in_recruiter(client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant) -> str:
    _, email = await create_staff(client, tenant, "recruiter")
    return await sign_in(pages, email)


# --- the list -------------------------------------------------------------------------------------


async def test_the_recruiter_lands_on_the_jobs_list_with_active_applications_per_stage(
    client: httpx.AsyncClient, pages: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    profile = (await fork_profile(client, tenant))["id"]
    busy = await open_job(client, app, tenant, profile, department="Platform")
    quiet = await create_job(client, tenant, profile, department="Data")
    applications = [await create_application(client, app, tenant, busy) for _ in range(4)]
    await move_application(client, tenant, applications[1], "Recruiter screen")
    await move_application(client, tenant, applications[2], "Technical interview")
    rejected = await client.post(
        f"/v1/applications/{applications[3]['id']}/reject", headers=tenant.headers, json={"reason": "other"}
    )
    assert rejected.status_code == 200, rejected.text
    await sign_in_recruiter(client, pages, tenant)

    landing = await pages.get("/app")
    assert landing.status_code == 303
    assert landing.headers["location"] == "/app/jobs"
    listed = await pages.get("/app/jobs")

    assert listed.status_code == 200
    shown = rows(listed.text)
    assert shown[busy["id"]]["status"] == "Open"
    assert shown[busy["id"]]["counts"] == (
        "Applied 1 · Recruiter screen 1 · Skills assessment 0 · "
        "Technical interview 1 · Team interview 0 · Offer 0"
    )
    assert shown[quiet["id"]]["status"] == "Draft"
    assert shown[quiet["id"]]["counts"].startswith("Applied 0 · Recruiter screen 0")
    assert f'href="/app/jobs/{busy["id"]}/pipeline"' in listed.text
    assert "Platform" in shown[busy["id"]]["html"]
    assert "Hybrid: Berlin, DE" in shown[busy["id"]]["html"]
    assert 'href="/app/jobs/new"' in listed.text

    drafts = rows((await pages.get("/app/jobs?status=draft")).text)
    assert list(drafts) == [quiet["id"]]


async def test_the_list_costs_the_same_queries_for_three_jobs_as_for_ten(
    client: httpx.AsyncClient, pages: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    profile = (await fork_profile(client, tenant))["id"]
    first = await open_job(client, app, tenant, profile)
    await create_application(client, app, tenant, first)
    for _ in range(2):
        await create_job(client, tenant, profile)
    await sign_in_recruiter(client, pages, tenant)
    await pages.get("/app/jobs")  # warm: settings and anything created on first use

    with counted_statements(app) as few:
        assert len(rows((await pages.get("/app/jobs")).text)) == 3
    for _ in range(6):
        await create_job(client, tenant, profile)
    await create_application(client, app, tenant, await open_job(client, app, tenant, profile))
    with counted_statements(app) as many:
        assert len(rows((await pages.get("/app/jobs")).text)) == 10

    assert few
    assert len(many) == len(few), (few, many)


# --- who may do what ------------------------------------------------------------------------------


async def test_an_interviewer_reads_jobs_but_cannot_change_them(
    client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant
) -> None:
    job = await create_job(client, tenant)
    _, email = await create_staff(client, tenant, "interviewer")
    token = await sign_in(pages, email)

    listed = await pages.get("/app/jobs")
    editor = await pages.get(f"/app/jobs/{job['id']}")

    assert listed.status_code == 200
    assert job["id"] in rows(listed.text)
    assert "/app/jobs/new" not in listed.text
    assert "/pipeline" not in listed.text
    assert editor.status_code == 200
    assert "Save changes" not in editor.text
    assert "Open job" not in editor.text
    assert "Close job" not in editor.text
    assert "hx-post" not in editor.text
    assert '<fieldset class="plain-fieldset" disabled>' in editor.text
    assert "Back-End Engineer" in editor.text  # the description preview of the saved job
    for path in ("/app/jobs/new", f"/app/jobs/{job['id']}", f"/app/jobs/{job['id']}/open"):
        refused = await pages.post(path, data={"csrf_token": token, "department": "Mine", "reason": "other"})
        assert refused.status_code == 403, path
    assert (await pages.get("/app/jobs/new")).status_code == 403
    assert (await api_job(client, tenant, job["id"]))["status"] == "draft"


async def test_another_organisations_job_is_not_found(
    client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    job = await create_job(client, tenant)
    token = await sign_in(pages, other_tenant.admin_email)

    assert (await pages.get(f"/app/jobs/{job['id']}")).status_code == 404
    assert (await pages.post(f"/app/jobs/{job['id']}/open", data={"csrf_token": token})).status_code == 404
    assert job["id"] not in (await pages.get("/app/jobs")).text
    assert (await api_job(client, tenant, job["id"]))["status"] == "draft"


async def test_a_post_without_the_csrf_token_is_refused(
    client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant
) -> None:
    job = await create_job(client, tenant)
    await sign_in(pages, tenant.admin_email)

    assert (await pages.post(f"/app/jobs/{job['id']}/open", data={})).status_code == 403
    assert (await pages.post(f"/app/jobs/{job['id']}", data={"department": "X"})).status_code == 403
    assert (await api_job(client, tenant, job["id"]))["status"] == "draft"


# --- creating -------------------------------------------------------------------------------------


async def test_a_job_is_created_through_the_form_after_its_mistakes_are_fixed(
    client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant
) -> None:
    profile = (await fork_profile(client, tenant))["id"]
    token = await sign_in_recruiter(client, pages, tenant)
    page = await pages.get("/app/jobs/new")
    assert page.status_code == 200
    assert f'value="{profile}:lead"' in page.text
    recruiter_box = re.search(r'name="team" value="(recruiter:[0-9a-f-]{36})"', page.text)
    assert recruiter_box
    typed = {
        "csrf_token": token,
        "profile_level": f"{profile}:lead",
        "title": "",
        "department": "",
        "employment_type": "contract",
        "work_arrangement": "hybrid",
        "openings": "2",
        "locations.0.city": "Lisbon \u202eabc",
        "locations.0.country": "PTX",
        "salary.min": "200000",
        "salary.max": "250000",
        "salary.currency": "usd",
        "salary.period": "year",
        "team": recruiter_box.group(1),
    }

    refused = await pages.post("/app/jobs/new", data=typed)

    assert refused.status_code == 422
    assert 'class="error-summary"' in refused.text
    assert re.search(r'id="field-department"[^>]*aria-invalid="true"', refused.text)
    assert re.search(r'id="field-locations-0-country"[^>]*aria-invalid="true"', refused.text)
    assert 'value="Lisbon \u202eabc"' in refused.text
    assert 'value="PTX"' in refused.text
    assert 'value="200000"' in refused.text
    assert f'value="{recruiter_box.group(1)}" aria-label' in refused.text
    assert re.search(rf'<option value="{profile}:lead" selected>', refused.text)

    typed.update({"department": "Payments", "locations.0.country": "pt"})
    outside = await pages.post("/app/jobs/new", data=typed)

    assert outside.status_code == 422
    assert re.search(r'id="error-salary">The salary range is outside the lead band', outside.text)
    assert 'value="Payments"' in outside.text

    typed["salary.override_reason"] = "Market premium"
    created = await pages.post("/app/jobs/new", data=typed)

    assert created.status_code == 303, created.text
    job_id = created.headers["location"].rsplit("/", 1)[1]
    job = await api_job(client, tenant, job_id)
    assert job["status"] == "draft"
    assert job["level"] == "lead"
    assert job["department"] == "Payments"
    assert job["title"] == "Lead Back-End Engineer"
    assert job["openings"] == 2
    assert job["employment_type"] == "contract"
    assert job["locations"] == [{"city": "Lisbon \u202eabc", "region": None, "country": "PT"}]
    assert job["salary"] == {
        "min": 200000,
        "max": 250000,
        "currency": "USD",
        "period": "year",
        "override_reason": "Market premium",
    }
    assert job["hiring_team"] == [{"user_id": recruiter_box.group(1).split(":")[1], "role": "recruiter"}]
    assert "Draft job" in (await pages.get(created.headers["location"])).text


async def test_without_role_profiles_the_new_job_page_says_how_to_get_one(
    client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant
) -> None:
    await sign_in(pages, tenant.admin_email)

    page = await pages.get("/app/jobs/new")

    assert page.status_code == 200
    assert "has none yet" in page.text
    assert 'href="/roles"' in page.text
    assert '<form method="post" action="/app/jobs/new"' not in page.text
