"""Assertions shared by the HTTP convention tests."""

from __future__ import annotations

from typing import Any

import httpx

from rolecall.platform.errors import PROBLEM_BASE

PROBLEM_MEMBERS = {"type", "title", "status", "detail", "errors"}


def assert_problem(response: httpx.Response, status: int, slug: str | None = None) -> dict[str, Any]:
    """An RFC 9457 problem document with the given status; returns the parsed body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json", response.headers
    body: dict[str, Any] = response.json()
    assert isinstance(body["type"], str)
    assert body["type"].startswith(PROBLEM_BASE)
    assert isinstance(body["title"], str)
    assert body["title"]
    assert body["status"] == status
    if "detail" in body:
        assert isinstance(body["detail"], str)
        assert body["detail"]
    # No "instance": a 404 for another tenant's object must not differ from one for a missing id.
    assert set(body) <= PROBLEM_MEMBERS, body
    if slug is not None:
        assert body["type"] == PROBLEM_BASE + slug
    return body


async def user_ids(client: httpx.AsyncClient, headers: dict[str, str]) -> list[str]:
    """Every user id the caller can list, following the cursor to the end."""
    ids: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, str | int] = {"limit": 200}
        if cursor:
            params["cursor"] = cursor
        response = await client.get("/v1/users", headers=headers, params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        ids.extend(item["id"] for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return ids
