"""The hiring team's assessment pages over HTTP, on SQLite and PostgreSQL: the job's blueprint
(generate, edit with If-Match), invitations and their links, extra time, the result (never the
accommodation), blind marking, the ranking in the service's order, the bank, and who may see what."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from rolecall.assessments import service
from rolecall.platform.auth import Principal
from rolecall.platform.db import transaction
from rolecall.platform.tenancy import bind_organisation
from tests.assessments.support import answer_all, answer_key, invite, job_with_blueprint, start
from tests.factories import Tenant, create_application, open_job
from tests.web.support import create_staff, csrf_of, sign_in


async def recruiter(client: httpx.AsyncClient, tenant: Tenant, pages: httpx.AsyncClient) -> str:
    """Sign a new recruiter in on ``pages``; returns the CSRF token."""
    _, email = await create_staff(client, tenant, "recruiter")
    return await sign_in(pages, email)


async def service_ranking(app: FastAPI, tenant: Tenant, job_id: str, **options: Any) -> dict[str, Any]:
    """The ranking as the service returns it (the page must list what the service lists)."""
    async with transaction(app.state.sessionmaker) as session:
        bind_organisation(session, tenant.organisation_id)
        principal = Principal.acting_for("system", tenant.organisation_id)
        return await service.ranked(session, principal, uuid.UUID(job_id), **options)


def token_of(page: str) -> str:
    found = re.search(r'id="assessment-link" value="[^"]*/assessments/([^"]+)"', page)
    assert found, "the page shows no link"
    return found.group(1)


async def taken(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, job: dict[str, Any], **body: Any
) -> dict[str, Any]:
    """An invitation whose candidate answered everything right and submitted (through the API)."""
    invitation = await invite(client, app, tenant, job, **body)
    await start(client, invitation["token"])
    key = await answer_key(client, tenant, invitation["session"]["id"])
    await answer_all(client, invitation["token"], key)
    submitted = await client.post(f"/v1/assessment-links/{invitation['token']}/submit")
    assert submitted.status_code == 200, submitted.text
    return invitation


async def test_a_recruiter_generates_edits_and_invites_from_the_job_page(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, pages: httpx.AsyncClient
) -> None:
    job = await open_job(client, app, tenant)
    csrf = await recruiter(client, tenant, pages)
    url = f"/app/jobs/{job['id']}/assessment"
    empty = await pages.get(url)
    assert empty.status_code == 200
    assert "This job has no assessment yet." in empty.text
    generated = await pages.post(f"{url}/generate", data={"csrf_token": csrf})
    assert generated.status_code == 303
    page = await pages.get(url)
    assert "Blueprint generated" in page.text
    assert "<dt>Version</dt><dd>1," in page.text
    assert '<th scope="row">SQL</th>' in page.text
    version = re.search(r'name="version" value="(\d+)"', page.text)
    assert version

    fields = {
        key: value
        for key, value in re.findall(
            r'<input type="hidden" name="(skills\.\d+\.[a-z_]+)" value="([^"]*)"', page.text
        )
    }
    skills = len([k for k in fields if k.endswith(".skill_id")])
    body: dict[str, Any] = {
        "csrf_token": csrf,
        "version": version.group(1),
        "title": "Back-end screening",
        "time_limit_minutes": "90",
        **fields,
        **{f"skills.{i}.weight": "2" for i in range(skills)},
        **{f"skills.{i}.items": "2" for i in range(skills)},
    }
    saved = await pages.post(f"{url}/blueprint", data=body)
    assert saved.status_code == 303, saved.text
    edited = await pages.get(url)
    assert "Blueprint saved as version 2" in edited.text
    assert "<dt>Time limit</dt><dd>90 minutes</dd>" in edited.text

    stale = await pages.post(f"{url}/blueprint", data={**body, "time_limit_minutes": "60"})
    assert stale.status_code == 422
    assert "Someone changed the blueprint while you were editing" in stale.text
    assert 'value="60"' in stale.text  # what the person typed is kept
    current = re.search(r'name="version" value="(\d+)"', edited.text)
    assert current
    too_many = await pages.post(
        f"{url}/blueprint", data={**body, "version": current.group(1), "skills.0.items": "20"}
    )
    assert too_many.status_code == 422
    assert 'id="error-skills-0-items"' in too_many.text
    assert "ready item(s)" in too_many.text
    unknown_skill = await pages.post(
        f"{url}/blueprint",
        data={**body, "version": current.group(1), "new_skill.name": "Underwater basketry"},
    )
    assert unknown_skill.status_code == 422
    assert "not in the skills taxonomy" in unknown_skill.text

    application = await create_application(client, app, tenant, job)
    listed = await pages.get(url)
    assert f'name="application_id" value="{application["id"]}"' in listed.text
    invited = await pages.post(
        f"{url}/invite",
        data={"csrf_token": csrf, "application_id": application["id"], "extra_time_percent": "0"},
    )
    assert invited.status_code == 200
    assert "it is shown only now" in invited.text
    first = token_of(invited.text)
    assert (await pages.get(f"/assessments/{first}")).status_code == 200
    again = await pages.post(
        f"{url}/invite",
        data={"csrf_token": csrf, "application_id": application["id"], "extra_time_percent": "0"},
    )
    assert again.status_code == 303
    assert "already has an open assessment invitation" in (await pages.get(url)).text

    after = await pages.get(url)
    assert f'name="application_id" value="{application["id"]}"' not in after.text
    session_id = re.search(r'action="/app/assessments/sessions/([^/]+)/link"', after.text)
    assert session_id
    renewed = await pages.post(
        f"/app/assessments/sessions/{session_id.group(1)}/link", data={"csrf_token": csrf}
    )
    assert renewed.status_code == 200
    second = token_of(renewed.text)
    assert second != first
    assert (await pages.get(f"/assessments/{first}")).status_code == 404
    assert (await pages.get(f"/assessments/{second}")).status_code == 200
    forged = await pages.post(f"{url}/invite", data={"application_id": application["id"]})
    assert forged.status_code == 403  # no CSRF token


async def test_extra_time_is_granted_before_the_start_and_never_shown_with_the_result(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, pages: httpx.AsyncClient
) -> None:
    job = await job_with_blueprint(client, app, tenant)
    invitation = await invite(client, app, tenant, job)
    token, session_id = invitation["token"], invitation["session"]["id"]
    await client.post(f"/v1/assessment-links/{token}/extra-time", json={"percent": 50})
    csrf = await recruiter(client, tenant, pages)
    url = f"/app/jobs/{job['id']}/assessment"
    page = await pages.get(url)
    assert "The candidate asked for 50% extra time." in page.text
    version = re.search(
        rf'action="/app/assessments/sessions/{session_id}/accommodation".*?name="version" value="(\d+)"',
        page.text,
        re.S,
    )
    assert version
    stale = await pages.post(
        f"/app/assessments/sessions/{session_id}/accommodation",
        data={"csrf_token": csrf, "version": "999", "extra_time_percent": "50"},
    )
    assert stale.status_code == 303
    assert "changed meanwhile" in (await pages.get(url)).text
    granted = await pages.post(
        f"/app/assessments/sessions/{session_id}/accommodation",
        data={"csrf_token": csrf, "version": version.group(1), "extra_time_percent": "50"},
    )
    assert granted.status_code == 303
    assert "Extra time saved" in (await pages.get(url)).text
    overview = (await client.get(f"/v1/assessment-links/{token}")).json()
    assert overview["extra_time_percent"] == 50

    await start(client, token)
    key = await answer_key(client, tenant, session_id)
    await answer_all(client, token, key)
    await client.post(f"/v1/assessment-links/{token}/signals", json={"kind": "focus_lost"})
    assert (await client.post(f"/v1/assessment-links/{token}/submit")).status_code == 200

    listed = await pages.get(url)
    assert "accommodation" not in listed.text.split("Candidates' sessions", 1)[1].split("Ranking", 1)[0]
    result = await pages.get(f"/app/assessments/sessions/{session_id}")
    assert result.status_code == 200
    assert result.headers["cache-control"] == "no-store"
    text = result.text.lower()
    for hidden in ("extra time", "extra_time", "accommodation", "50%"):
        assert hidden not in text, hidden
    assert "<strong>100</strong> out of 100" in result.text
    assert 'class="chart-bar"' in result.text
    assert "Integrity signals" in result.text


async def test_the_marking_queue_is_blind_and_marks_finish_the_score(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, pages: httpx.AsyncClient
) -> None:
    job = await job_with_blueprint(client, app, tenant)
    document = {
        **job["blueprint"]["document"],
        "skills": [
            {
                "skill_id": "system-design",
                "name": "System design",
                "weight": 1.0,
                "items": 2,
                "proficiency": 3,
            }
        ],
        "item_types": ["short_text"],
    }
    changed = await client.put(
        f"/v1/jobs/{job['id']}/assessment-blueprint",
        headers={**tenant.headers, "If-Match": job["blueprint_etag"]},
        json=document,
    )
    assert changed.status_code == 200, changed.text
    invitation = await taken(client, app, tenant, job, extra_time_percent=25)
    session_id = invitation["session"]["id"]

    csrf = await recruiter(client, tenant, pages)
    queue = await pages.get("/app/assessments/marking")
    assert queue.status_code == 200
    assert queue.text.count('class="marking-entry"') == 2
    assert invitation["application"]["candidate_id"] not in queue.text
    assert "extra time" not in queue.text.lower()
    forms = re.findall(r'action="(/app/assessments/sessions/[^"]+/marks/\d+)"', queue.text)
    assert len(forms) == 2
    first_form = queue.text.split(f'action="{forms[0]}"', 1)[1].split("</form>", 1)[0]
    criteria = re.findall(r'name="criterion\.(\d+)" value="([^"]*)"', first_form)
    maxima = [int(m) for m in re.findall(r"\(0 to (\d+)\)", first_form)]
    assert criteria
    assert len(maxima) == len(criteria)

    incomplete = await pages.post(
        forms[0], data={"csrf_token": csrf, **{f"criterion.{i}": c for i, c in criteria}}
    )
    assert incomplete.status_code == 422
    assert "Choose the points for this criterion." in incomplete.text
    full = {
        "csrf_token": csrf,
        "comment": "Clear and complete.",
        **{
            f"criterion.{i}": c.replace("&#39;", "'").replace("&amp;", "&").replace("&#34;", '"')
            for i, c in criteria
        },
        **{f"points.{i}": str(m) for (i, _), m in zip(criteria, maxima, strict=True)},
    }
    marked = await pages.post(forms[0], data=full)
    assert marked.status_code == 303, marked.text
    after = await pages.get("/app/assessments/marking")
    assert "Marked. The score is updated." in after.text
    assert after.text.count('class="marking-entry"') == 1
    result = (
        await client.get(f"/v1/assessments/sessions/{session_id}/result", headers=tenant.headers)
    ).json()
    assert result["pending_marking"] == 1
    assert any(i["marked_by"] == "human" and i["credit"] == 1.0 for i in result["items"])


async def test_the_ranking_page_lists_in_the_services_order(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, pages: httpx.AsyncClient
) -> None:
    job = await job_with_blueprint(client, app, tenant)
    await taken(client, app, tenant, job)
    await create_application(client, app, tenant, job)
    await create_application(client, app, tenant, job)
    await recruiter(client, tenant, pages)
    page = await pages.get(f"/app/jobs/{job['id']}/ranking")
    assert page.status_code == 200
    shown = re.findall(r'<tr class="ranking-row" data-application="([^"]+)">', page.text)
    ranked = await service_ranking(app, tenant, job["id"])
    assert shown == [str(entry["application_id"]) for entry in ranked["items"]]
    assert len(shown) == 3
    assert "No scored assessment yet" in page.text  # the missing evidence is named
    second = await pages.get(f"/app/jobs/{job['id']}/ranking?offset=1")
    assert re.findall(r'data-application="([^"]+)"', second.text) == shown[1:]
    assert 'rel="prev"' in second.text
    stage = ranked["items"][0]["stage"]
    filtered = await pages.get(f"/app/jobs/{job['id']}/ranking", params={"stage": stage})
    assert len(re.findall(r'class="ranking-row"', filtered.text)) == 3
    nobody = await pages.get(f"/app/jobs/{job['id']}/ranking", params={"stage": "Offer"})
    assert "No active applications in this stage." in nobody.text


async def test_the_ranking_weights_are_saved_from_the_job_page(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, pages: httpx.AsyncClient
) -> None:
    job = await job_with_blueprint(client, app, tenant)
    csrf = await recruiter(client, tenant, pages)
    url = f"/app/jobs/{job['id']}/ranking-weights"
    saved = await pages.post(
        url,
        data={"csrf_token": csrf, "weights.assessment": "6", "weights.match": "2", "weights.scorecards": "2"},
    )
    assert saved.status_code == 303
    ranked = await service_ranking(app, tenant, job["id"])
    assert ranked["weights"]["assessment"] == pytest.approx(0.6)
    refused = await pages.post(
        url,
        data={
            "csrf_token": csrf,
            "weights.assessment": "lots",
            "weights.match": "0",
            "weights.scorecards": "0",
        },
    )
    assert refused.status_code == 422
    assert 'value="lots"' in refused.text
    assert "Enter a number from 0 to 100." in refused.text
    zero = await pages.post(
        url,
        data={"csrf_token": csrf, "weights.assessment": "0", "weights.match": "0", "weights.scorecards": "0"},
    )
    assert zero.status_code == 422
    assert "not all zero" in zero.text


async def test_the_bank_lists_items_with_versions_and_statistics_and_filters(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, pages: httpx.AsyncClient
) -> None:
    await recruiter(client, tenant, pages)
    bank = await pages.get("/app/assessments/bank")
    assert bank.status_code == 200
    assert bank.text.count('class="bank-item"') == 25
    assert "Next page" in bank.text
    following = re.search(r'href="(/app/assessments/bank\?cursor=[^"]+)"', bank.text)
    assert following
    second = await pages.get(following.group(1).replace("&amp;", "&"))
    first_keys = set(re.findall(r'class="bank-key">([^<]+)<', bank.text))
    assert first_keys.isdisjoint(re.findall(r'class="bank-key">([^<]+)<', second.text))
    sql = await pages.get("/app/assessments/bank", params={"skill": "SQL"})
    skills = re.findall(r'<p class="muted">([^·<]+) ·', sql.text)
    assert skills
    assert {s.strip() for s in skills} == {"SQL"}
    assert "p-value" in sql.text
    flagged = await pages.get("/app/assessments/bank", params={"flagged": "1"})
    assert "No questions match." in flagged.text


async def test_who_may_open_which_assessment_page(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, other_tenant: Tenant, pages: httpx.AsyncClient
) -> None:
    job = await job_with_blueprint(client, app, tenant)
    invitation = await taken(client, app, tenant, job)
    session_id = invitation["session"]["id"]
    staff_pages = [
        f"/app/jobs/{job['id']}/assessment",
        f"/app/jobs/{job['id']}/ranking",
        f"/app/assessments/sessions/{session_id}",
        "/app/assessments/marking",
        "/app/assessments/bank",
    ]
    _, interviewer = await create_staff(client, tenant, "interviewer")
    await sign_in(pages, interviewer)
    for url in staff_pages:
        response = await pages.get(url)
        assert response.status_code == 403, url
        assert response.headers["content-type"].startswith("text/html")
    assert 'href="/app/assessments"' not in (await pages.get("/app/account")).text

    pages.cookies.clear()
    _, manager = await create_staff(client, tenant, "hiring_manager")
    csrf = await sign_in(pages, manager)
    for url in staff_pages:
        assert (await pages.get(url)).status_code == 200, url
    job_page = await pages.get(staff_pages[0])
    assert "Edit the blueprint" not in job_page.text
    assert 'id="invite-heading"' not in job_page.text
    assert "Get a new link" not in job_page.text
    assert 'href="/app/assessments"' in job_page.text
    refused = await pages.post(f"/app/jobs/{job['id']}/assessment/generate", data={"csrf_token": csrf})
    assert refused.status_code == 403

    pages.cookies.clear()
    await sign_in(pages, other_tenant.admin_email)
    for url in staff_pages[:3]:
        assert (await pages.get(url)).status_code == 404, url
    marking = await pages.get("/app/assessments/marking")
    assert session_id not in marking.text
    assert csrf_of(marking.text)
