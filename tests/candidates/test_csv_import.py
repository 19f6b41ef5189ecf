"""Importing candidates from CSV: a dry run reports, a real run creates and merges through the service."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from rolecall.candidates import csv_import
from rolecall.platform.events.models import OutboxEvent
from rolecall.platform.tenancy import bind_organisation
from tests.factories import Tenant, create_candidate, create_user, login
from tests.platform.problems import assert_problem

PATH = "/v1/candidate-imports"


def _file(known_email: str) -> str:
    return (
        "first_name,last_name,email,phone,source,tags\n"
        "Ada,Lovelace,ada-import@example.com,,referral,backend;python\n"  # row 2: create
        f"Known,Person,{known_email},,,\n"  # row 3: merge
        ",,nameless@example.com,,,\n"  # row 4: refused, no name
        "Bad,Mail,not-an-email,,,\n"  # row 5: refused, invalid e-mail
        "Ada,Again,ada-import@example.com,,,\n"  # row 6: refused, same as row 2
    )


async def _import(client: httpx.AsyncClient, tenant: Tenant, text: str, **params: Any) -> httpx.Response:
    return await client.post(
        PATH, headers=tenant.headers, params=params, files={"file": ("people.csv", text.encode(), "text/csv")}
    )


async def _count(client: httpx.AsyncClient, tenant: Tenant) -> int:
    response = await client.get("/v1/candidates", headers=tenant.headers, params={"limit": 100})
    return len(response.json()["items"])


async def test_a_dry_run_reports_every_row_and_changes_nothing(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    known = await create_candidate(client, tenant)
    response = await _import(client, tenant, _file(known["email"]))
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["dry_run"], report["created"], report["merged"], report["refused"]) == (True, 1, 1, 3)
    outcomes = {row["row"]: row for row in report["rows"]}
    assert [outcomes[n]["outcome"] for n in range(2, 7)] == ["create", "merge", "refuse", "refuse", "refuse"]
    assert outcomes[3]["candidate_id"] == known["id"]
    assert any("full_name" in reason for reason in outcomes[4]["reasons"])
    assert any("email" in reason for reason in outcomes[5]["reasons"])
    assert outcomes[6]["reasons"] == ["same email as row 2"]
    assert "ada-import" not in response.text  # the report names rows, not people
    assert await _count(client, tenant) == 1


async def test_a_real_run_creates_and_merges_with_the_apis_events(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    known = await create_candidate(client, tenant)
    text = _file(known["email"]).replace(f"{known['email']},,,", f"{known['email']},+44 20 7946 0958,,")
    response = await _import(client, tenant, text, dry_run="false")
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["dry_run"], report["created"], report["merged"], report["refused"]) == (False, 1, 1, 3)
    rows = {row["row"]: row for row in report["rows"]}
    assert [rows[n]["outcome"] for n in range(2, 7)] == ["create", "merge", "refuse", "refuse", "refuse"]
    assert rows[6]["reasons"] == ["same email as row 2"]
    created = await client.get(f"/v1/candidates/{rows[2]['candidate_id']}", headers=tenant.headers)
    body = created.json()
    assert (body["full_name"], body["source"], body["tags"]) == (
        "Ada Lovelace",
        "referral",
        ["backend", "python"],
    )
    merged = (await client.get(f"/v1/candidates/{known['id']}", headers=tenant.headers)).json()
    assert rows[3]["candidate_id"] == known["id"]
    assert merged["phone"]
    assert await _count(client, tenant) == 2
    async with app.state.sessionmaker() as session:
        bind_organisation(session, tenant.organisation_id)
        types = [t.removeprefix("rolecall.") for t in (await session.scalars(select(OutboxEvent.type))).all()]
    # The known candidate's own creation, then the import's one creation and one merge.
    assert (types.count("candidate.created"), types.count("candidate.updated")) == (2, 1), types


async def test_a_text_csv_body_works_too_and_bad_files_are_refused(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    headers = {**tenant.headers, "Content-Type": "text/csv"}
    ok = await client.post(PATH, headers=headers, content=b"full_name,phone\nGrace Hopper,+1 202 555 0143\n")
    assert ok.status_code == 200, ok.text
    assert ok.json()["created"] == 1
    unknown = await client.post(PATH, headers=headers, content=b"full_name,email,salary\n")
    assert_problem(unknown, 422)
    assert "unknown column 'salary'" in unknown.json()["errors"][0]["message"]
    assert_problem(
        await client.post(
            PATH, headers={**tenant.headers, "Content-Type": "application/xml"}, content=b"<x/>"
        ),
        415,
    )
    too_many = "full_name,email\n" + "".join(
        f"P{n},p{n}@example.com\n" for n in range(csv_import.MAX_ROWS + 1)
    )
    assert_problem(await client.post(PATH, headers=headers, content=too_many.encode()), 422)
    too_big = b"full_name,email\n" + b"x" * (csv_import.MAX_BYTES + 1)
    assert_problem(await client.post(PATH, headers=headers, content=too_big), 413)


async def test_a_phone_matches_someone_on_file_and_a_phone_repeated_in_the_file_is_refused(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    by_phone = await create_candidate(client, tenant, phone="+44 20 7946 0123")
    by_email = await create_candidate(client, tenant, phone="+44 20 7946 0999")
    text = (
        "full_name,email,phone\n"
        "New Mail,new-mail@example.com,+44 20 7946 0123\n"  # row 2: merge by phone
        f"Both Known,{by_email['email']},+44 20 7946 0888\n"  # row 3: merge by e-mail
        "Same Phone,third@example.com,+44 20 7946 0123\n"  # row 4: refused, phone as row 2
    )
    rows = (await _import(client, tenant, text)).json()["rows"]
    assert [(row["outcome"], row["candidate_id"]) for row in rows[:2]] == [
        ("merge", by_phone["id"]),
        ("merge", by_email["id"]),
    ]
    assert (rows[2]["outcome"], rows[2]["reasons"]) == ("refuse", ["same phone as row 2"])
    assert await _count(client, tenant) == 2


async def test_import_needs_candidates_write_and_stays_in_the_organisation(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    known = await create_candidate(client, tenant)
    _, manager = await create_user(client, tenant, "hiring_manager")
    denied = await client.post(
        PATH,
        headers={"Authorization": f"Bearer {manager}", "Content-Type": "text/csv"},
        content=b"full_name,email\nA,a@example.com\n",
    )
    assert_problem(denied, 403)
    other_tenant.token = (await login(client, other_tenant.admin_email))["access_token"]
    text = f"full_name,email\nSame Address,{known['email']}\n"
    response = await _import(client, other_tenant, text, dry_run="false")
    row = response.json()["rows"][0]
    assert row["outcome"] == "create"
    assert row["candidate_id"] != known["id"]
    assert uuid.UUID(row["candidate_id"])


async def test_a_retried_import_with_an_idempotency_key_imports_once(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    headers = {**tenant.headers, "Content-Type": "text/csv", "Idempotency-Key": "import-1"}
    body = b"full_name,email\nOnce Only,once@example.com\n"
    first = await client.post(PATH, headers=headers, params={"dry_run": "false"}, content=body)
    second = await client.post(PATH, headers=headers, params={"dry_run": "false"}, content=body)
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert first.json()["created"] == 1
    assert await _count(client, tenant) == 1
