"""Analytics reports name their jobs and download as CSV (``Accept: text/csv`` or ``format=csv``).

From the API and from the staff pages' "Download CSV" links.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import httpx
from fastapi import FastAPI

from rolecall.platform.csv_export import csv_text, filename, safe_cell
from tests.factories import Tenant, create_application, create_user, login, move_application, open_job
from tests.platform.problems import assert_problem
from tests.web.support import sign_in


def _table(response: httpx.Response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith("attachment; filename=")
    return list(csv.DictReader(io.StringIO(response.text)))


async def _pipeline(client: httpx.AsyncClient, app: FastAPI, tenant: Tenant) -> dict[str, Any]:
    job = await open_job(client, app, tenant)
    first = await create_application(client, app, tenant, job, source="referral")
    await create_application(client, app, tenant, job)
    await move_application(client, tenant, first, "Recruiter screen")
    return job


def test_formula_like_cells_are_quoted_and_numbers_are_not() -> None:
    for risky in ("=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx"):
        assert safe_cell(risky) == "'" + risky
    assert safe_cell(-3) == "-3"
    assert safe_cell(None) == ""
    assert safe_cell("Ada") == "Ada"
    rows = list(csv.reader(io.StringIO(csv_text([["name"], ['=HYPERLINK("http://x")']]))))
    assert rows == [["name"], ['\'=HYPERLINK("http://x")']]
    assert filename("analytics", 'a"b/c') == "analytics-a-b-c.csv"


async def test_reports_carry_job_titles(app: FastAPI, client: httpx.AsyncClient, tenant: Tenant) -> None:
    job = await _pipeline(client, app, tenant)
    funnel = (await client.get(f"/v1/analytics/jobs/{job['id']}/funnel", headers=tenant.headers)).json()
    assert funnel["job_title"] == job["title"]
    sources = await client.get("/v1/analytics/sources", headers=tenant.headers, params={"job_id": job["id"]})
    assert sources.json()["job_title"] == job["title"]
    overall = (await client.get("/v1/analytics/funnel", headers=tenant.headers)).json()
    assert overall["job_title"] is None


async def test_every_report_downloads_as_csv_with_the_json_figures(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    job = await _pipeline(client, app, tenant)
    path = f"/v1/analytics/jobs/{job['id']}/funnel"
    report = (await client.get(path, headers=tenant.headers)).json()
    response = await client.get(path, headers=tenant.headers, params={"format": "csv", "from": "2020-01-01"})
    rows = _table(response)
    assert f"analytics-funnel-{job['id']}-2020-01-01-to-today.csv" in response.headers["content-disposition"]
    assert [row["stage"] for row in rows] == [stage["name"] for stage in report["stages"]]
    assert [int(row["reached"]) for row in rows] == [stage["reached"] for stage in report["stages"]]
    assert {row["job_title"] for row in rows} == {job["title"]}
    assert {row["period_from"] for row in rows} == {"2020-01-01"}

    sources = _table(
        await client.get("/v1/analytics/sources", headers=tenant.headers, params={"format": "csv"})
    )
    assert sorted((row["source"], row["applications"]) for row in sources) == [
        ("other", "1"),
        ("referral", "1"),
    ]

    hires = _table(
        await client.get("/v1/analytics/time-to-hire", headers=tenant.headers, params={"format": "csv"})
    )
    assert hires == [
        {
            "job_id": "",
            "job_title": "",
            "period_from": "",
            "period_to": "",
            "hires": "0",
            "median_days": "",
            "p90_days": "",
        }
    ]
    organisation = _table(
        await client.get("/v1/analytics/funnel", headers=tenant.headers, params={"format": "csv"})
    )
    assert organisation[0]["stage"] == "applied"
    assert organisation[0]["reached"] == "2"


async def test_accept_text_csv_negotiates_the_csv_and_json_stays_the_default(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    job = await _pipeline(client, app, tenant)
    path = f"/v1/analytics/jobs/{job['id']}/funnel"
    report = (await client.get(path, headers=tenant.headers)).json()
    for accept in ("text/csv", "text/csv, */*;q=0.1", "application/json;q=0.5, text/csv"):
        rows = _table(await client.get(path, headers={**tenant.headers, "Accept": accept}))
        assert [row["stage"] for row in rows] == [stage["name"] for stage in report["stages"]], accept
    for accept in ("application/json", "*/*", "application/json, text/csv", "text/csv;q=0.2, */*"):
        answer = await client.get(path, headers={**tenant.headers, "Accept": accept})
        assert answer.headers["content-type"].startswith("application/json"), accept
        assert answer.json()["job_title"] == job["title"]
    # An explicit format wins over Accept.
    forced = await client.get(
        path, headers={**tenant.headers, "Accept": "text/csv"}, params={"format": "json"}
    )
    assert forced.headers["content-type"].startswith("application/json")


async def test_csv_keeps_scope_and_tenancy(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    job = await _pipeline(client, app, tenant)
    other_tenant.token = (await login(client, other_tenant.admin_email))["access_token"]
    path = f"/v1/analytics/jobs/{job['id']}/funnel"
    assert_problem(await client.get(path, headers=other_tenant.headers, params={"format": "csv"}), 404)
    cross = await client.get(path, headers={**other_tenant.headers, "Accept": "text/csv"})
    assert_problem(cross, 404)
    _, token = await create_user(client, tenant, "interviewer")
    denied = await client.get(path, headers={"Authorization": f"Bearer {token}"}, params={"format": "csv"})
    assert_problem(denied, 403)
    bad = await client.get("/v1/analytics/funnel", headers=tenant.headers, params={"format": "xlsx"})
    assert bad.status_code in (400, 422)


async def test_the_contract_lists_text_csv(app: FastAPI) -> None:
    paths = app.openapi()["paths"]
    for path in ("/v1/analytics/funnel", "/v1/analytics/time-to-hire", "/v1/analytics/sources"):
        content = paths[path]["get"]["responses"]["200"]["content"]
        assert {"application/json", "text/csv"} <= set(content)
    assert "text/csv" in paths["/v1/jobs/{job_id}/applications/export"]["get"]["responses"]["200"]["content"]


async def test_the_pages_link_to_csv_downloads(
    app: FastAPI, client: httpx.AsyncClient, pages: httpx.AsyncClient, tenant: Tenant
) -> None:
    job = await _pipeline(client, app, tenant)
    await sign_in(pages, tenant.admin_email)
    page = await pages.get(f"/app/analytics/jobs/{job['id']}", params={"from": "2020-01-01"})
    links = re.findall(r'href="(/app/analytics/[a-z-]+\.csv\?[^"]*)"', page.text)
    assert len(links) == 2, page.text
    download = await pages.get(links[0].replace("&amp;", "&"))
    rows = _table(download)
    assert rows[0]["job_id"] == job["id"]
    assert rows[0]["period_from"] == "2020-01-01"
    organisation = await pages.get("/app/analytics")
    assert "/app/analytics/time-to-hire.csv" in organisation.text
    assert _table(await pages.get("/app/analytics/time-to-hire.csv"))[0]["hires"] == "0"
