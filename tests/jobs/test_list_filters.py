"""GET /v1/jobs filters (status, department, hiring-team member, creation dates) and sort orders."""

from __future__ import annotations

from typing import Any

import httpx

from tests.factories import Tenant, create_job, create_user, fork_profile
from tests.platform.problems import assert_problem


async def all_pages(client: httpx.AsyncClient, tenant: Tenant, **params: Any) -> list[dict[str, Any]]:
    """Every item of a list, one row per page, so each page boundary goes through a cursor."""
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        query = {**params, "limit": 1, **({"cursor": cursor} if cursor else {})}
        response = await client.get("/v1/jobs", headers=tenant.headers, params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        items.extend(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return items


def titles(items: list[dict[str, Any]]) -> list[str]:
    return [item["title"] for item in items]


def invalid_fields(response: httpx.Response) -> set[str]:
    body = assert_problem(response, 422)
    return {part for error in body["errors"] for part in error["field"].split(".")}


async def three_jobs(client: httpx.AsyncClient, tenant: Tenant) -> tuple[list[dict[str, Any]], str]:
    """Bravo (Engineering, draft), Alpha (Sales, open, with a hiring manager), Charlie (Engineering,
    paused), created in that order; returns them and the hiring manager's user id."""
    profile = (await fork_profile(client, tenant))["id"]
    manager, _token = await create_user(client, tenant, "hiring_manager")
    bravo = await create_job(client, tenant, profile, title="Bravo Engineer")
    alpha = await create_job(
        client,
        tenant,
        profile,
        title="Alpha Seller",
        department="Sales",
        hiring_team=[{"user_id": manager, "role": "hiring_manager"}],
    )
    charlie = await create_job(client, tenant, profile, title="Charlie Engineer")
    for job, action in ((alpha, "open"), (charlie, "open"), (charlie, "pause")):
        response = await client.post(f"/v1/jobs/{job['id']}/{action}", headers=tenant.headers)
        assert response.status_code == 200, response.text
    return [bravo, alpha, charlie], manager


async def test_jobs_filter_by_status_department_team_member_and_creation_time(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    (_bravo, alpha, charlie), manager = await three_jobs(client, tenant)

    assert titles(await all_pages(client, tenant, status="draft")) == ["Bravo Engineer"]
    repeated = await all_pages(client, tenant, status=["open", "paused"])
    assert sorted(titles(repeated)) == ["Alpha Seller", "Charlie Engineer"]
    assert sorted(titles(await all_pages(client, tenant, department="engineering"))) == [
        "Bravo Engineer",
        "Charlie Engineer",
    ]
    assert titles(await all_pages(client, tenant, hiring_team_member=manager)) == ["Alpha Seller"]
    assert titles(await all_pages(client, tenant, hiring_team_member=tenant.admin_id)) == []
    after = await all_pages(client, tenant, created_after=alpha["created_at"])
    assert sorted(titles(after)) == ["Alpha Seller", "Charlie Engineer"]
    before = await all_pages(client, tenant, created_before=alpha["created_at"])
    assert titles(before) == ["Bravo Engineer"]
    both = await all_pages(
        client, tenant, created_after=alpha["created_at"], created_before=charlie["created_at"]
    )
    assert titles(both) == ["Alpha Seller"]
    changed = await all_pages(client, tenant, updated_after=alpha["created_at"])
    assert sorted(titles(changed)) == ["Alpha Seller", "Charlie Engineer"]  # Bravo never changed
    assert titles(await all_pages(client, tenant, updated_before=alpha["created_at"])) == ["Bravo Engineer"]
    combined = await all_pages(client, tenant, department="Engineering", status="paused")
    assert titles(combined) == ["Charlie Engineer"]


async def test_jobs_sort_and_page_through_every_order(client: httpx.AsyncClient, tenant: Tenant) -> None:
    (_bravo, _alpha, _charlie), _manager = await three_jobs(client, tenant)

    assert titles(await all_pages(client, tenant, sort="title")) == [
        "Alpha Seller",
        "Bravo Engineer",
        "Charlie Engineer",
    ]
    assert titles(await all_pages(client, tenant, sort="-title")) == [
        "Charlie Engineer",
        "Bravo Engineer",
        "Alpha Seller",
    ]
    created = ["Bravo Engineer", "Alpha Seller", "Charlie Engineer"]
    assert titles(await all_pages(client, tenant, sort="created")) == created
    assert titles(await all_pages(client, tenant, sort="-created")) == created[::-1]
    # Charlie changed last (paused), then Alpha (opened); Bravo never changed after creation.
    updated = ["Bravo Engineer", "Alpha Seller", "Charlie Engineer"]
    assert titles(await all_pages(client, tenant, sort="updated")) == updated
    assert titles(await all_pages(client, tenant, sort="-updated")) == updated[::-1]
    engineering = await all_pages(client, tenant, sort="-title", department="Engineering")
    assert titles(engineering) == ["Charlie Engineer", "Bravo Engineer"]


async def test_a_sorted_cursor_only_continues_the_same_sort(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    await three_jobs(client, tenant)
    first = await client.get("/v1/jobs", headers=tenant.headers, params={"sort": "title", "limit": 1})
    cursor = first.json()["next_cursor"]
    assert cursor
    other = await client.get("/v1/jobs", headers=tenant.headers, params={"sort": "-title", "cursor": cursor})
    assert_problem(other, 400)
    unsorted = await client.get("/v1/jobs", headers=tenant.headers, params={"cursor": cursor})
    assert_problem(unsorted, 400)
    plain = (await client.get("/v1/jobs", headers=tenant.headers, params={"limit": 1})).json()["next_cursor"]
    sorted_with_plain = await client.get(
        "/v1/jobs", headers=tenant.headers, params={"sort": "title", "cursor": plain}
    )
    assert_problem(sorted_with_plain, 400)


async def test_invalid_job_filters_are_422_naming_the_field(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"sort": "salary"}, "sort"),
        ({"status": ["open", "archived"]}, "status"),
        ({"hiring_team_member": "not-a-uuid"}, "hiring_team_member"),
        ({"created_after": "yesterday"}, "created_after"),
        ({"created_before": "2026-01-01T00:00:00"}, "created_before"),  # no time zone
        ({"department": ""}, "department"),
        (
            {"created_after": "2026-02-01T00:00:00Z", "created_before": "2026-01-01T00:00:00Z"},
            "created_before",
        ),
        ({"sort": "title", "updated_since": "2026-01-01T00:00:00Z"}, "sort"),
    ]
    for params, field in cases:
        response = await client.get("/v1/jobs", headers=tenant.headers, params=params)
        assert field in invalid_fields(response), (params, response.text)


async def test_job_filters_never_reach_another_organisation(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    (_bravo, _alpha, _charlie), manager = await three_jobs(client, tenant)
    mine = await create_job(client, other_tenant, title="Delta Engineer")

    for params in (
        {"department": "Engineering"},
        {"status": ["draft", "open", "paused"]},
        {"sort": "title"},
        {"hiring_team_member": manager},
        {"created_after": "2000-01-01T00:00:00Z", "sort": "-created"},
    ):
        seen = await all_pages(client, other_tenant, **params)
        assert {item["id"] for item in seen} <= {mine["id"]}, params
    assert titles(await all_pages(client, other_tenant, department="Engineering")) == ["Delta Engineer"]
