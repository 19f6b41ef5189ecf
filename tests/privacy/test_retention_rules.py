"""Retention rules: admins set, list and delete them; months count calendar months."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from rolecall.privacy.retention import months_before
from tests.factories import Tenant, create_user
from tests.platform.problems import assert_problem


@pytest.mark.parametrize(
    ("moment", "months", "expected"),
    [
        (datetime(2026, 5, 15, 9, 30, tzinfo=UTC), 1, datetime(2026, 4, 15, 9, 30, tzinfo=UTC)),
        (datetime(2026, 3, 31, 23, 59, 59, tzinfo=UTC), 1, datetime(2026, 2, 28, 23, 59, 59, tzinfo=UTC)),
        (datetime(2028, 3, 31, tzinfo=UTC), 1, datetime(2028, 2, 29, tzinfo=UTC)),
        (datetime(2026, 1, 10, tzinfo=UTC), 1, datetime(2025, 12, 10, tzinfo=UTC)),
        (datetime(2026, 1, 10, tzinfo=UTC), 13, datetime(2024, 12, 10, tzinfo=UTC)),
        (
            datetime(2026, 6, 30, 12, 0, 0, 123456, tzinfo=UTC),
            120,
            datetime(2016, 6, 30, 12, 0, 0, 123456, tzinfo=UTC),
        ),
    ],
)
def test_months_before_counts_calendar_months_and_clamps_the_day(
    moment: datetime, months: int, expected: datetime
) -> None:
    assert months_before(moment, months) == expected


async def test_rules_are_created_replaced_listed_and_deleted(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    assert (await client.get("/v1/retention-rules", headers=tenant.headers)).json() == {
        "items": [],
        "next_cursor": None,
        "next_updated_since": None,
    }
    created = await client.put("/v1/retention-rules/rejected", headers=tenant.headers, json={"months": 6})
    assert created.status_code == 201, created.text
    assert created.json()["outcome"] == "rejected"
    assert created.json()["months"] == 6
    assert created.json()["last_run_at"] is None

    replaced = await client.put("/v1/retention-rules/rejected", headers=tenant.headers, json={"months": 12})
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["months"] == 12
    same = await client.put("/v1/retention-rules/rejected", headers=tenant.headers, json={"months": 12})
    assert same.status_code == 200
    await client.put("/v1/retention-rules/withdrawn", headers=tenant.headers, json={"months": 3})

    listed = (await client.get("/v1/retention-rules", headers=tenant.headers)).json()["items"]
    assert [(rule["outcome"], rule["months"]) for rule in listed] == [("rejected", 12), ("withdrawn", 3)]

    deleted = await client.delete("/v1/retention-rules/withdrawn", headers=tenant.headers)
    assert deleted.status_code == 204
    assert_problem(
        await client.delete("/v1/retention-rules/withdrawn", headers=tenant.headers), 404, "not-found"
    )
    listed = (await client.get("/v1/retention-rules", headers=tenant.headers)).json()["items"]
    assert [rule["outcome"] for rule in listed] == ["rejected"]

    audit = await client.get("/v1/audit-events", headers=tenant.headers, params={"limit": 200})
    actions = [entry["action"] for entry in audit.json()["items"] if entry["target_type"] == "retention_rule"]
    assert actions == [
        "retention_rule.set",
        "retention_rule.set",
        "retention_rule.set",
        "retention_rule.deleted",
    ]


@pytest.mark.parametrize("months", [0, 121, -1, "six", None])
async def test_months_must_be_between_1_and_120(
    client: httpx.AsyncClient, tenant: Tenant, months: object
) -> None:
    response = await client.put(
        "/v1/retention-rules/rejected", headers=tenant.headers, json={"months": months}
    )
    body = assert_problem(response, 422, "validation-error")
    assert any(error["field"].endswith("months") for error in body["errors"]), body


async def test_only_rejected_and_withdrawn_are_outcomes(client: httpx.AsyncClient, tenant: Tenant) -> None:
    response = await client.put("/v1/retention-rules/hired", headers=tenant.headers, json={"months": 6})
    assert_problem(response, 422, "validation-error")


async def test_rules_are_per_organisation(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    await client.put("/v1/retention-rules/rejected", headers=tenant.headers, json={"months": 6})
    assert (await client.get("/v1/retention-rules", headers=other_tenant.headers)).json()["items"] == []
    assert_problem(
        await client.delete("/v1/retention-rules/rejected", headers=other_tenant.headers), 404, "not-found"
    )
    created = await client.put(
        "/v1/retention-rules/rejected", headers=other_tenant.headers, json={"months": 9}
    )
    assert created.status_code == 201
    mine = (await client.get("/v1/retention-rules", headers=tenant.headers)).json()["items"]
    assert [rule["months"] for rule in mine] == [6]


async def test_recruiters_cannot_manage_privacy(client: httpx.AsyncClient, tenant: Tenant) -> None:
    _, token = await create_user(client, tenant, "recruiter")
    headers = {"Authorization": f"Bearer {token}"}
    candidate = "00000000-0000-7000-8000-000000000000"
    for method, path, body in [
        ("GET", "/v1/retention-rules", None),
        ("PUT", "/v1/retention-rules/rejected", {"months": 6}),
        ("DELETE", "/v1/retention-rules/rejected", None),
        ("GET", f"/v1/candidates/{candidate}/export", None),
        ("POST", f"/v1/candidates/{candidate}/erase", {"reason": "other"}),
    ]:
        response = await client.request(method, path, headers=headers, json=body)
        assert_problem(response, 403, "forbidden")
