"""Analytics pages: the same figures as the analytics API, drawn as SVG with a table beside each chart."""

from __future__ import annotations

import re

import httpx
from fastapi import FastAPI

from tests.factories import Tenant, create_application, move_application, open_job
from tests.web.support import create_staff, sign_in


def _cells(html: str, row_label: str) -> list[str]:
    """The cells of the first table row headed ``row_label``."""
    found = re.search(rf'<th scope="row">{re.escape(row_label)}</th>(.*?)</tr>', html, re.S)
    assert found, f"no row {row_label!r}"
    return re.findall(r"<td>(.*?)</td>", found.group(1))


async def _pipeline(client: httpx.AsyncClient, app: FastAPI, tenant: Tenant) -> dict[str, object]:
    job = await open_job(client, app, tenant)
    first = await create_application(client, app, tenant, job)
    await create_application(client, app, tenant, job)
    await create_application(client, app, tenant, job)
    await move_application(client, tenant, first, "Recruiter screen")
    return job


async def test_the_organisation_report_shows_the_api_funnel_as_chart_and_table(
    app: FastAPI, client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant
) -> None:
    await _pipeline(client, app, tenant)
    funnel = (await client.get("/v1/analytics/funnel", headers=tenant.headers)).json()
    await sign_in(pages, tenant.admin_email)

    page = await pages.get("/app/analytics")

    assert page.status_code == 200
    for stage in funnel["stages"]:
        label = stage["name"][:1].upper() + stage["name"][1:]
        assert _cells(page.text, label)[:2] == [str(stage["reached"]), str(stage["current"])]
    assert '<svg role="img"' in page.text
    assert re.search(r"<title id=\"chart-reached-title\">[^<]*Applied 3", page.text)
    assert "3 applications in all." in page.text


async def test_a_job_report_uses_the_jobs_own_stage_names(
    app: FastAPI, client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant
) -> None:
    job = await _pipeline(client, app, tenant)
    await sign_in(pages, tenant.admin_email)

    page = await pages.get(f"/app/analytics/jobs/{job['id']}")

    assert page.status_code == 200
    assert _cells(page.text, "Recruiter screen")[:2] == ["1", "1"]
    assert _cells(page.text, "Applied")[:2] == ["3", "2"]


async def test_a_bad_period_is_explained_next_to_the_field_and_kept(
    app: FastAPI, client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant
) -> None:
    await sign_in(pages, tenant.admin_email)

    wrong = await pages.get("/app/analytics?from=2026-13-01&to=2026-01-01")
    reversed_ = await pages.get("/app/analytics?from=2026-05-01&to=2026-01-01")

    assert wrong.status_code == 422
    assert "Enter a date as YYYY-MM-DD" in wrong.text
    assert 'value="2026-13-01"' in wrong.text
    assert reversed_.status_code == 422
    assert "The last day must not be before the first day." in reversed_.text


async def test_people_without_analytics_and_other_organisations_see_nothing(
    app: FastAPI, client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    job = await _pipeline(client, app, tenant)
    _, interviewer = await create_staff(client, tenant, "interviewer")
    await sign_in(pages, interviewer)
    assert (await pages.get("/app/analytics")).status_code == 403
    assert "Analytics" not in (await pages.get("/app/account")).text.split("</nav>")[0]

    pages.cookies.clear()
    await sign_in(pages, other_tenant.admin_email)
    assert (await pages.get(f"/app/analytics/jobs/{job['id']}")).status_code == 404
    assert "0 applications in all." in (await pages.get("/app/analytics")).text


async def test_reasons_for_rejection_read_as_the_organisation_labels_them(
    app: FastAPI, client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant
) -> None:
    job = await open_job(client, app, tenant)
    application = await create_application(client, app, tenant, job)
    settings = (await client.get("/v1/pipeline-settings", headers=tenant.headers)).json()
    reason = settings["reject_reasons"][0]
    rejected = await client.post(
        f"/v1/applications/{application['id']}/reject", headers=tenant.headers, json={"reason": reason["key"]}
    )
    assert rejected.status_code == 200, rejected.text
    await sign_in(pages, tenant.admin_email)

    page = await pages.get("/app/analytics")

    assert _cells(page.text, reason["label"]) == ["1"]
