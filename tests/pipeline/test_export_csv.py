"""A job's applications as CSV: the candidates' contact details, scoped, audited, tenant-bound."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

import httpx
from fastapi import FastAPI

from tests.factories import Tenant, create_application, create_user, login, open_job
from tests.platform.problems import assert_problem


async def _audit(client: httpx.AsyncClient, tenant: Tenant, action: str) -> list[dict[str, Any]]:
    response = await client.get("/v1/audit-events", headers=tenant.headers, params={"limit": 200})
    assert response.status_code == 200, response.text
    return [entry for entry in response.json()["items"] if entry["action"] == action]


async def test_a_jobs_applications_export_as_csv_and_the_export_is_audited(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    job = await open_job(client, app, tenant)
    first = await create_application(
        client, app, tenant, job, full_name="=cmd|' /C calc'!A0", phone="+44 20 7946 0958", source="referral"
    )
    second = await create_application(client, app, tenant, job, full_name="Grace Example")
    other_job = await open_job(client, app, tenant, job["role_profile_id"])
    await create_application(client, app, tenant, other_job)  # another job's application stays out

    response = await client.get(f"/v1/jobs/{job['id']}/applications/export", headers=tenant.headers)

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert f'filename="job-{job["id"]}-applications.csv"' in response.headers["content-disposition"]
    assert response.text.splitlines()[0] == (
        "application_id,candidate_id,candidate_name,email,phone,stage,status,source,applied_at,updated_at"
    )
    rows = {row["application_id"]: row for row in csv.DictReader(io.StringIO(response.text))}
    assert set(rows) == {first["id"], second["id"]}
    risky = rows[first["id"]]
    assert risky["candidate_name"] == "'=cmd|' /C calc'!A0"  # neutralised for spreadsheets
    assert risky["phone"]
    assert risky["email"].endswith("@example.com")
    assert (risky["stage"], risky["status"], risky["source"]) == ("Applied", "active", "referral")
    assert risky["candidate_id"] == first["candidate_id"]
    assert risky["applied_at"]
    assert risky["updated_at"]
    assert rows[second["id"]]["candidate_name"] == "Grace Example"

    exported = await _audit(client, tenant, "applications.exported")
    assert len(exported) == 1
    assert exported[0]["target_id"] == job["id"]
    assert exported[0]["details"]["rows"] == 2
    assert exported[0]["actor"] == f"user:{tenant.admin_id}"
    listed = [
        e
        for e in await _audit(client, tenant, "candidate.listed")
        if e["details"].get("purpose") == "job_export"
    ]
    assert sorted(listed[0]["details"]["candidate_ids"]) == sorted(r["candidate_id"] for r in rows.values())


async def test_the_export_needs_its_scope_and_stays_in_the_organisation(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    job = await open_job(client, app, tenant)
    await create_application(client, app, tenant, job)
    path = f"/v1/jobs/{job['id']}/applications/export"
    _, manager = await create_user(client, tenant, "hiring_manager")  # reads both, may not export
    assert_problem(await client.get(path, headers={"Authorization": f"Bearer {manager}"}), 403)
    _, recruiter = await create_user(client, tenant, "recruiter")
    assert (await client.get(path, headers={"Authorization": f"Bearer {recruiter}"})).status_code == 200
    other_tenant.token = (await login(client, other_tenant.admin_email))["access_token"]
    assert_problem(await client.get(path, headers=other_tenant.headers), 404)
    assert_problem(
        await client.get(f"/v1/jobs/{uuid.uuid4()}/applications/export", headers=tenant.headers), 404
    )
    assert await _audit(client, other_tenant, "applications.exported") == []
