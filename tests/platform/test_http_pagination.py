"""Cursor pagination: every row exactly once, in a stable id order, with an opaque cursor."""

from __future__ import annotations

import base64
import uuid
from typing import Any

import httpx

from rolecall.platform.pagination import MAX_LIMIT
from tests.factories import Tenant, create_user
from tests.platform.problems import assert_problem


async def walk(client: httpx.AsyncClient, tenant: Tenant, limit: int) -> list[dict[str, Any]]:
    """Every page of /v1/users, following next_cursor until it is null."""
    pages: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": limit}
    while True:
        response = await client.get("/v1/users", headers=tenant.headers, params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        assert set(page) == {"items", "next_cursor", "next_updated_since"}
        pages.append(page)
        assert len(pages) <= 20, "pagination does not terminate"
        if page["next_cursor"] is None:
            return pages
        params = {"limit": limit, "cursor": page["next_cursor"]}


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


async def test_following_next_cursor_yields_every_user_once_in_id_order(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    created = [(await create_user(client, tenant, "recruiter"))[0] for _ in range(5)]
    expected = sorted([str(tenant.admin_id), *created], key=uuid.UUID)

    pages = await walk(client, tenant, limit=2)

    # Six users in pages of two: the last page is full, and still says there is nothing after it.
    assert [len(page["items"]) for page in pages] == [2, 2, 2]
    seen = [item["id"] for page in pages for item in page["items"]]
    assert seen == expected
    assert str(other_tenant.admin_id) not in seen

    # The same walk with another page size sees the same order.
    assert [item["id"] for page in await walk(client, tenant, limit=4) for item in page["items"]] == expected
    single = await walk(client, tenant, limit=MAX_LIMIT)
    assert len(single) == 1
    assert [item["id"] for item in single[0]["items"]] == expected


async def test_rows_added_while_paging_are_neither_skipped_nor_repeated(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    first_batch = [(await create_user(client, tenant, "interviewer"))[0] for _ in range(2)]
    first = await client.get("/v1/users", headers=tenant.headers, params={"limit": 2})
    page = first.json()
    late, _ = await create_user(client, tenant, "interviewer")

    rest: list[str] = []
    cursor = page["next_cursor"]
    while cursor is not None:
        response = await client.get(
            "/v1/users", headers=tenant.headers, params={"limit": 2, "cursor": cursor}
        )
        rest.extend(item["id"] for item in response.json()["items"])
        cursor = response.json()["next_cursor"]

    seen = [item["id"] for item in page["items"]] + rest
    assert sorted(seen, key=uuid.UUID) == seen
    assert len(seen) == len(set(seen))
    assert set(seen) == {str(tenant.admin_id), *first_batch, late}
    assert seen[-1] == late


GARBAGE_CURSORS = [
    "!!!",
    "not base64 at all",
    _b64(b"\xff\xfe\xfd"),
    _b64(b"[1, 2]"),
    _b64(b"{}"),
    _b64(b'{"after": 12}'),
    _b64(b'{"after": ["x"]}'),
    _b64(b'{"after": null}'),
    _b64(b'{"after": "not-a-uuid"}'),
    "\u00e9",
]


async def test_a_garbage_cursor_is_a_400_problem(client: httpx.AsyncClient, tenant: Tenant) -> None:
    for cursor in GARBAGE_CURSORS:
        response = await client.get("/v1/users", headers=tenant.headers, params={"cursor": cursor})

        body = assert_problem(response, 400, "bad-request")
        assert "cursor" in body["detail"], cursor


async def test_a_limit_out_of_range_is_a_422_problem(client: httpx.AsyncClient, tenant: Tenant) -> None:
    for limit in ["0", "-1", str(MAX_LIMIT + 1), "1000000", "ten"]:
        response = await client.get("/v1/users", headers=tenant.headers, params={"limit": limit})

        body = assert_problem(response, 422, "validation-error")
        assert [error["field"] for error in body["errors"]] == ["query.limit"], limit


async def test_the_limit_bounds_themselves_are_accepted(client: httpx.AsyncClient, tenant: Tenant) -> None:
    await create_user(client, tenant, "interviewer")
    one = await client.get("/v1/users", headers=tenant.headers, params={"limit": 1})
    assert one.status_code == 200
    assert len(one.json()["items"]) == 1
    assert one.json()["next_cursor"] is not None
    most = await client.get("/v1/users", headers=tenant.headers, params={"limit": MAX_LIMIT})
    assert most.status_code == 200
    assert len(most.json()["items"]) == 2
    assert most.json()["next_cursor"] is None
