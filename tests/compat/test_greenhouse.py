"""The Greenhouse-shaped board: field-by-field against Greenhouse's documented examples, no leaks,
and applying through the same public apply door as /v1/board (validation, e-mail, rate limit)."""

from __future__ import annotations

import base64
import html
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.pipeline.models import Application
from rolecall.platform.db import transaction
from rolecall.platform.ratelimit import SlidingWindowLimiter
from rolecall.platform.tenancy import all_tenants
from tests.candidates.test_resumes import make_pdf
from tests.compat.support import board_key, fixture, make_board, shape_problems
from tests.factories import Tenant, open_job
from tests.mail import send_mail, status_token

GH = "/compat/greenhouse/v1/boards"
# Rolecall has no requisition ids and no custom job fields: documented as null (docs/compat.md).
NULLABLE = frozenset(
    {
        "$.jobs[].requisition_id",
        "$.requisition_id",
        "$.metadata",
        "$.jobs[].metadata",
        # Departments and offices are flat (no parents): parent_id is null where the example nests.
        "$.departments[].parent_id",
        "$.offices[].parent_id",
        "$.jobs[].offices[].parent_id",
        # Rolecall keeps no retention period per rule (docs/privacy.md); pay ranges carry no blurb.
        "$.data_compliance[].retention_period",
        "$.pay_input_ranges[].blurb",
    }
)
RESUME = make_pdf([["Lead back-end engineer, 9 years", "Python, PostgreSQL, Kubernetes"]])


def basic(key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}


async def jobs_of(client: httpx.AsyncClient, slug: str, **params: str) -> dict[str, Any]:
    response = await client.get(f"{GH}/{slug}/jobs", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_read_routes_have_greenhouses_fields_and_types(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    board = await make_board(client, app, tenant)

    listed = await jobs_of(client, board.slug)
    assert shape_problems(listed, fixture("greenhouse_jobs.json"), nullable=NULLABLE) == []
    assert listed["meta"] == {"total": 2}
    assert "content" not in listed["jobs"][0]
    first = next(j for j in listed["jobs"] if j["title"] == board.open_jobs[0]["title"] and j["location"])
    assert isinstance(first["id"], int)
    assert 0 < first["id"] < 2**53
    assert first["updated_at"][-6] in "+-"  # an offset, as Greenhouse writes it

    with_content = await jobs_of(client, board.slug, content="true")
    assert shape_problems(with_content, fixture("greenhouse_jobs_content.json"), nullable=NULLABLE) == []
    remote = next(j for j in with_content["jobs"] if j["departments"][0]["name"] == "Data")
    assert remote["location"] == {"name": "Remote"}
    assert remote["offices"][0]["name"] == "Remote"
    # The description's HTML is sent entity-escaped, as Greenhouse sends it.
    assert "<" not in remote["content"]
    assert "<" in html.unescape(remote["content"])

    on_site = next(j for j in with_content["jobs"] if j["departments"][0]["name"] == "Engineering")
    detail = await client.get(
        f"{GH}/{board.slug}/jobs/{on_site['id']}", params={"questions": "true", "pay_transparency": "true"}
    )
    assert detail.status_code == 200, detail.text
    job = detail.json()
    assert shape_problems(job, fixture("greenhouse_job.json"), nullable=NULLABLE) == []
    assert job["pay_input_ranges"][0]["min_cents"] == 110_000 * 100
    assert job["pay_input_ranges"][0]["currency_type"] == "USD"
    fields = {f["name"]: f for q in job["questions"] for f in q["fields"]}
    assert fields["question_stack"]["type"] == "multi_value_single_select"
    assert [v["label"] for v in fields["question_stack"]["values"]] == ["Python", "Go", "Rust"]
    assert fields["question_langs"]["type"] == "multi_value_multi_select"
    assert fields["question_portfolio"]["type"] == "input_file"
    assert fields["question_why"]["type"] == "textarea"
    assert {"first_name", "last_name", "email", "phone", "resume", "resume_text"} <= set(fields)
    plain = (await client.get(f"{GH}/{board.slug}/jobs/{on_site['id']}")).json()
    assert "questions" not in plain
    assert "pay_input_ranges" not in plain

    departments = await client.get(f"{GH}/{board.slug}/departments")
    assert departments.status_code == 200
    assert shape_problems(departments.json(), fixture("greenhouse_departments.json"), nullable=NULLABLE) == []
    names = {d["name"]: d for d in departments.json()["departments"]}
    assert set(names) == {"Engineering", "Data"}
    one = await client.get(f"{GH}/{board.slug}/departments/{names['Data']['id']}")
    assert one.json()["jobs"][0]["title"] == board.open_jobs[1]["title"]

    offices = await client.get(f"{GH}/{board.slug}/offices")
    assert offices.status_code == 200
    assert shape_problems(offices.json(), fixture("greenhouse_offices.json"), nullable=NULLABLE) == []
    assert {o["name"] for o in offices.json()["offices"]} == {"Berlin, DE", "Remote"}

    root = await client.get(f"{GH}/{board.slug}")
    assert root.status_code == 200
    assert shape_problems(root.json(), fixture("greenhouse_board.json")) == []


async def test_nothing_unpublished_or_of_another_organisation_is_served(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, other_tenant: Tenant
) -> None:
    board = await make_board(client, app, tenant)
    theirs = await make_board(client, app, other_tenant)

    listed = await jobs_of(client, board.slug, content="true")
    titles = [j["title"] for j in listed["jobs"]]
    assert len(titles) == 2
    departments = {d["name"] for j in listed["jobs"] for d in j["departments"]}
    assert "Secret" not in departments  # the draft job's department
    their_ids = [j["id"] for j in (await jobs_of(client, theirs.slug))["jobs"]]
    assert not set(their_ids) & {j["id"] for j in listed["jobs"]}

    # Another organisation's job post through this board's address: Greenhouse's 404.
    crossed = await client.get(f"{GH}/{board.slug}/jobs/{their_ids[0]}")
    assert crossed.status_code == 404
    assert crossed.json() == {"status": 404, "error": "Job not found"}
    assert (await client.get(f"{GH}/{board.slug}/jobs/not-a-number")).status_code == 404
    unknown = await client.get(f"{GH}/no-such-board/jobs")
    assert unknown.status_code == 404
    assert unknown.json() == {"status": 404, "error": "Job board not found"}

    # A closed job leaves the board.
    closed = await client.post(
        f"/v1/jobs/{board.open_jobs[1]['id']}/close", headers=tenant.headers, json={"reason": "filled"}
    )
    assert closed.status_code == 200, closed.text
    from tests.factories import deliver

    await deliver(app)
    assert (await jobs_of(client, board.slug))["meta"]["total"] == 1


async def _applications(sessionmaker: async_sessionmaker[AsyncSession]) -> list[Application]:
    async with transaction(sessionmaker) as session:
        stmt = select(Application).execution_options(**all_tenants())
        return list((await session.scalars(stmt)).all())


async def test_applying_with_a_board_key_goes_through_the_public_apply_door(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    board = await make_board(client, app, tenant)
    key = await board_key(client, tenant)
    listed = await jobs_of(client, board.slug, content="true")
    job_id = next(j["id"] for j in listed["jobs"] if j["departments"][0]["name"] == "Engineering")
    url = f"{GH}/{board.slug}/jobs/{job_id}"
    fields = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@example.com",
        "phone": "+44 20 7946 0958",
        "question_notice": "4",
        "question_visa": "0",
        "question_stack": "1",
        "question_langs[]": ["0", "1"],
        "question_why": "Engines.",
        "data_compliance[gdpr_consent_given]": "true",
    }
    files = {
        "resume": ("cv.pdf", RESUME, "application/pdf"),
        "question_portfolio": ("p.txt", b"folio", "text/plain"),
    }

    assert (await client.post(url, data=fields, files=files)).status_code == 401
    wrong = await client.post(url, data=fields, files=files, headers=basic(key[:-2] + "xx"))
    assert wrong.status_code == 401
    assert wrong.json() == {"status": 401, "error": "Invalid Basic Auth credentials"}
    assert await _applications(sessionmaker) == []

    # A browser sends an empty part for a file input left empty: that is no cover letter.
    files["cover_letter"] = ("", b"", "application/octet-stream")
    saved = await client.post(url, data=fields, files=files, headers=basic(key))
    assert saved.status_code == 200, saved.text
    assert saved.json() == {"success": "Candidate saved successfully"}
    [application] = await _applications(sessionmaker)
    assert str(application.job_id) == board.open_jobs[0]["id"]
    assert application.resume_file_id is not None
    detail = await client.get(f"/v1/applications/{application.id}", headers=tenant.headers)
    assert detail.json()["answers"]["stack"] == "Go"
    assert detail.json()["answers"]["langs"] == ["English", "German"]
    assert detail.json()["answers"]["visa"] is False
    assert "portfolio" in detail.json()["answers"]
    # The applicant gets the status link by e-mail, as from the careers page.
    token = status_token(await send_mail(app), "ada@example.com")
    assert (await client.get(f"/v1/application-status/{token}")).status_code == 200


async def test_json_applications_and_refusals_in_greenhouses_error_shape(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    job = await open_job(client, app, tenant)
    slug = (await client.get("/v1/job-settings", headers=tenant.headers)).json()["board_slug"]
    key = await board_key(client, tenant)
    [listed] = (await jobs_of(client, slug))["jobs"]
    url = f"{GH}/{slug}/jobs/{listed['id']}"
    body: dict[str, Any] = {
        "first_name": "Grace",
        "last_name": "Hopper",
        "email": "grace@example.com",
        "resume_text": "Compilers, COBOL, 40 years.",
        "data_compliance": {"gdpr_consent_given": True},
    }

    no_consent = await client.post(url, json={**body, "data_compliance": {}}, headers=basic(key))
    assert no_consent.status_code == 400
    assert "data_compliance[gdpr_consent_given]" in no_consent.json()["error"]
    missing = await client.post(url, json={k: v for k, v in body.items() if k != "email"}, headers=basic(key))
    assert missing.status_code == 400
    assert missing.json()["status"] == 400
    assert "email" in missing.json()["error"]
    unknown = await client.post(url, json={**body, "question_nope": "x"}, headers=basic(key))
    assert unknown.status_code == 400
    assert "question_nope" in unknown.json()["error"]
    letter = await client.post(url, json={**body, "cover_letter_text": "Dear team"}, headers=basic(key))
    assert letter.status_code == 400
    assert "cover_letter_text" in letter.json()["error"]
    fetch = await client.post(url, json={**body, "resume_url": "http://169.254.169.254/"}, headers=basic(key))
    assert fetch.status_code == 400
    assert "resume_url" in fetch.json()["error"]
    assert await _applications(sessionmaker) == []

    saved = await client.post(url, json=body, headers=basic(key))
    assert saved.status_code == 200, saved.text
    # The same person again: the same answer, nothing new (the form does not reveal who applied).
    again = await client.post(url, json=body, headers=basic(key))
    assert again.json() == saved.json()
    [application] = await _applications(sessionmaker)
    assert str(application.job_id) == job["id"]
    assert application.resume_file_id is not None

    # The same per-address limit as the public apply route, in Greenhouse's error shape.
    app.state.apply_limiter = SlidingWindowLimiter(1, timedelta(hours=1))
    await client.post(url, json=body, headers=basic(key))
    limited = await client.post(url, json=body, headers=basic(key))
    assert limited.status_code == 429
    assert limited.json()["status"] == 429
    assert int(limited.headers["retry-after"]) > 0


async def test_a_key_works_only_for_its_own_organisations_board(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, other_tenant: Tenant
) -> None:
    await open_job(client, app, tenant)
    await open_job(client, app, other_tenant)
    slug = (await client.get("/v1/job-settings", headers=tenant.headers)).json()["board_slug"]
    their_key = await board_key(client, other_tenant)
    [listed] = (await jobs_of(client, slug))["jobs"]
    answer = await client.post(
        f"{GH}/{slug}/jobs/{listed['id']}",
        json={"first_name": "A", "last_name": "B", "email": "ab@example.com"},
        headers=basic(their_key),
    )
    assert answer.status_code == 401
