"""GET /v1/applications filters, sort orders and display fields (candidate name, job title)."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.audit.models import AuditEntry
from rolecall.platform.db import transaction
from rolecall.platform.tenancy import all_tenants
from tests.factories import (
    Tenant,
    create_application,
    create_user,
    fork_profile,
    move_application,
    open_job,
)
from tests.identity.support import add_api_client, client_token
from tests.platform.problems import assert_problem


async def all_pages(
    client: httpx.AsyncClient, headers: dict[str, str], **params: Any
) -> list[dict[str, Any]]:
    """Every item of the list, one per page, so every page boundary goes through a cursor."""
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        query = {**params, "limit": 1, **({"cursor": cursor} if cursor else {})}
        response = await client.get("/v1/applications", headers=headers, params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        items.extend(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return items


def names(items: list[dict[str, Any]]) -> list[str | None]:
    return [item["candidate_name"] for item in items]


async def setting(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]], str]:
    """Two jobs (the first with a hiring manager) and three applications: Ada and Grace to the
    first job, Linus to the second; Grace moved on, Linus rejected. Returns jobs, applications and
    the hiring manager's id."""
    manager, _token = await create_user(client, tenant, "hiring_manager")
    team = [{"user_id": manager, "role": "hiring_manager"}]
    profile = (await fork_profile(client, tenant))["id"]
    first = await open_job(client, app, tenant, profile, title="Platform Engineer", hiring_team=team)
    second = await open_job(client, app, tenant, profile, title="Data Engineer")
    ada = await create_application(client, app, tenant, first, full_name="Ada Lovelace")
    grace = await create_application(client, app, tenant, first, full_name="Grace Hopper")
    linus = await create_application(client, app, tenant, second, full_name="Linus Torvalds")
    await move_application(client, tenant, grace, "Recruiter screen")
    rejected = await client.post(
        f"/v1/applications/{linus['id']}/reject", headers=tenant.headers, json={"reason": "skills_gap"}
    )
    assert rejected.status_code == 200, rejected.text
    return first, second, [ada, grace, linus], manager


async def test_applications_filter_by_job_stage_status_candidate_team_and_dates(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    first, second, (ada, grace, linus), manager = await setting(client, app, tenant)
    headers = tenant.headers

    assert names(await all_pages(client, headers, job=first["id"])) == ["Ada Lovelace", "Grace Hopper"]
    assert names(await all_pages(client, headers, job_id=second["id"])) == ["Linus Torvalds"]
    assert names(await all_pages(client, headers, stage="recruiter screen")) == ["Grace Hopper"]
    assert names(await all_pages(client, headers, status="rejected")) == ["Linus Torvalds"]
    assert names(await all_pages(client, headers, candidate=ada["candidate_id"])) == ["Ada Lovelace"]
    assert names(await all_pages(client, headers, hiring_team_member=manager)) == [
        "Ada Lovelace",
        "Grace Hopper",
    ]
    assert await all_pages(client, headers, hiring_team_member=tenant.admin_id) == []
    after = await all_pages(client, headers, applied_after=grace["created_at"])
    assert names(after) == ["Grace Hopper", "Linus Torvalds"]
    before = await all_pages(client, headers, applied_before=grace["created_at"])
    assert names(before) == ["Ada Lovelace"]
    window = await all_pages(
        client, headers, applied_after=grace["created_at"], applied_before=linus["created_at"]
    )
    assert names(window) == ["Grace Hopper"]
    combined = await all_pages(client, headers, hiring_team_member=manager, status="active", stage="Applied")
    assert names(combined) == ["Ada Lovelace"]


async def test_applications_sort_and_page_through_every_order(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    await setting(client, app, tenant)
    headers = tenant.headers
    applied = ["Ada Lovelace", "Grace Hopper", "Linus Torvalds"]
    assert names(await all_pages(client, headers, sort="applied")) == applied
    assert names(await all_pages(client, headers, sort="-applied")) == applied[::-1]
    # Grace was moved, then Linus rejected: both changed after every application was made.
    updated = ["Ada Lovelace", "Grace Hopper", "Linus Torvalds"]
    assert names(await all_pages(client, headers, sort="updated")) == updated
    assert names(await all_pages(client, headers, sort="-updated")) == updated[::-1]
    assert names(await all_pages(client, headers, sort="-last_activity"))[0] == "Linus Torvalds"
    first_page = await client.get("/v1/applications", headers=headers, params={"sort": "applied", "limit": 1})
    cursor = first_page.json()["next_cursor"]
    replay = await client.get(
        "/v1/applications", headers=headers, params={"sort": "-updated", "cursor": cursor}
    )
    assert_problem(replay, 400)


async def test_lists_carry_job_titles_and_names_only_for_candidate_readers(
    client: httpx.AsyncClient,
    app: FastAPI,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    _first, _second, _applications, _manager = await setting(client, app, tenant)

    items = await all_pages(client, tenant.headers, sort="applied")
    assert [(i["candidate_name"], i["job_title"]) for i in items] == [
        ("Ada Lovelace", "Platform Engineer"),
        ("Grace Hopper", "Platform Engineer"),
        ("Linus Torvalds", "Data Engineer"),
    ]
    async with transaction(sessionmaker) as session:
        stmt = (
            select(AuditEntry)
            .where(
                AuditEntry.action == "candidate.listed", AuditEntry.organisation_id == tenant.organisation_id
            )
            .execution_options(**all_tenants())
        )
        entries = list((await session.scalars(stmt)).all())
    assert any(entry.details.get("purpose") == "applications list" for entry in entries)

    created = await add_api_client(client, tenant, "applications:read")
    token = (await client_token(client, created)).json()["access_token"]
    reader = {"Authorization": f"Bearer {token}"}
    blind = await all_pages(client, reader, sort="applied")
    assert [(i["candidate_name"], i["job_title"]) for i in blind] == [
        (None, "Platform Engineer"),
        (None, "Platform Engineer"),
        (None, "Data Engineer"),
    ]


async def test_invalid_application_filters_are_422_naming_the_field(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"sort": "name"}, "sort"),
        ({"status": "pending"}, "status"),
        ({"job": "42"}, "job"),
        ({"candidate": "x"}, "candidate"),
        ({"hiring_team_member": "nobody"}, "hiring_team_member"),
        ({"applied_after": "2026-13-01T00:00:00Z"}, "applied_after"),
        ({"applied_before": "2026-01-01"}, "applied_before"),
        ({"stage": ""}, "stage"),
        (
            {"applied_after": "2026-02-01T00:00:00Z", "applied_before": "2026-01-01T00:00:00Z"},
            "applied_before",
        ),
        ({"sort": "applied", "updated_since": "2026-01-01T00:00:00Z"}, "sort"),
    ]
    for params, field in cases:
        response = await client.get("/v1/applications", headers=tenant.headers, params=params)
        body = assert_problem(response, 422)
        fields = {part for error in body["errors"] for part in error["field"].split(".")}
        assert field in fields, (params, response.text)


async def test_application_filters_never_reach_another_organisation(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, other_tenant: Tenant
) -> None:
    first, _second, (ada, _grace, _linus), manager = await setting(client, app, tenant)
    theirs = await create_application(client, app, other_tenant, full_name="Other Person")

    for params in (
        {"job": first["id"]},
        {"candidate": ada["candidate_id"]},
        {"hiring_team_member": manager},
        {"status": "rejected"},
        {"stage": "Applied", "sort": "-applied"},
        {"applied_after": "2000-01-01T00:00:00Z", "sort": "updated"},
    ):
        seen = await all_pages(client, other_tenant.headers, **params)
        assert {item["id"] for item in seen} <= {theirs["id"]}, params
        assert all(item["job_title"] != "Platform Engineer" for item in seen)
    assert names(await all_pages(client, other_tenant.headers, stage="Applied")) == ["Other Person"]
