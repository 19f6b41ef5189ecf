"""Every failure is an RFC 9457 problem document, and a refused request changes nothing."""

from __future__ import annotations

import uuid

import httpx

from tests.factories import Tenant
from tests.platform.problems import assert_problem, user_ids


async def test_an_authentication_failure_is_a_problem_document(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/users")

    body = assert_problem(response, 401, "unauthorized")
    assert body["title"] == "Authentication required"
    assert "detail" in body
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_a_validation_error_names_every_bad_field(client: httpx.AsyncClient, tenant: Tenant) -> None:
    before = await user_ids(client, tenant.headers)

    response = await client.post(
        "/v1/users", headers=tenant.headers, json={"email": "not-an-email", "nickname": "Bob"}
    )

    body = assert_problem(response, 422, "validation-error")
    assert body["detail"]
    errors = body["errors"]
    assert {error["field"] for error in errors} == {
        "body.email",
        "body.full_name",
        "body.password",
        "body.roles",
        "body.nickname",
    }
    for error in errors:
        assert set(error) == {"field", "message", "code"}
        assert isinstance(error["message"], str)
        assert error["message"]
        assert isinstance(error["code"], str)
    codes = {error["field"]: error["code"] for error in errors}
    assert codes["body.full_name"] == codes["body.password"] == codes["body.roles"] == "missing"
    assert codes["body.nickname"] == "extra_forbidden"
    assert await user_ids(client, tenant.headers) == before


async def test_a_rejected_password_is_not_echoed_back(client: httpx.AsyncClient, tenant: Tenant) -> None:
    weak = "hunter2"
    response = await client.post(
        "/v1/users",
        headers=tenant.headers,
        json={"email": "weak@example.com", "full_name": "Weak", "password": weak, "roles": ["recruiter"]},
    )

    body = assert_problem(response, 422, "validation-error")
    assert [error["field"] for error in body["errors"]] == ["body.password"]
    assert weak not in response.text


async def test_query_and_path_parameters_are_validated_too(client: httpx.AsyncClient, tenant: Tenant) -> None:
    response = await client.get("/v1/users/not-a-uuid", headers=tenant.headers)
    body = assert_problem(response, 422, "validation-error")
    assert [error["field"] for error in body["errors"]] == ["path.user_id"]

    response = await client.get("/v1/users", headers=tenant.headers, params={"limit": "many"})
    body = assert_problem(response, 422, "validation-error")
    assert [error["field"] for error in body["errors"]] == ["query.limit"]


async def test_an_unknown_route_is_a_404_problem(client: httpx.AsyncClient, tenant: Tenant) -> None:
    for headers in ({}, tenant.headers):
        response = await client.get("/v1/no-such-thing", headers=headers)
        body = assert_problem(response, 404, "not-found")
        assert body["title"] == "Not found"
        # Starlette's own detail ("Not Found") only repeats the title.
        assert body.get("detail", "").casefold() != "not found"


async def test_a_missing_object_is_a_404_problem(client: httpx.AsyncClient, tenant: Tenant) -> None:
    response = await client.get(f"/v1/users/{uuid.uuid4()}", headers=tenant.headers)
    assert_problem(response, 404, "not-found")


async def test_a_wrong_method_is_a_405_problem(client: httpx.AsyncClient, tenant: Tenant) -> None:
    response = await client.put("/v1/users", headers=tenant.headers, json={})

    body = assert_problem(response, 405, "method-not-allowed")
    assert body["title"] == "Method not allowed"
    assert set(response.headers["allow"].replace(" ", "").split(",")) == {"GET", "POST"}


async def test_a_malformed_json_body_is_a_422_problem(client: httpx.AsyncClient, tenant: Tenant) -> None:
    before = await user_ids(client, tenant.headers)

    response = await client.post(
        "/v1/users",
        headers={**tenant.headers, "Content-Type": "application/json"},
        content=b'{"email": "half@example.com", "full_name": ',
    )

    body = assert_problem(response, 422, "validation-error")
    assert body["errors"] == [
        {"field": "body", "message": body["errors"][0]["message"], "code": "json_invalid"}
    ]
    assert await user_ids(client, tenant.headers) == before


async def test_a_refused_update_changes_nothing(client: httpx.AsyncClient, tenant: Tenant) -> None:
    read = await client.get(f"/v1/users/{tenant.admin_id}", headers=tenant.headers)
    response = await client.patch(
        f"/v1/users/{tenant.admin_id}",
        headers={**tenant.headers, "If-Match": read.headers["etag"]},
        json={"full_name": "", "roles": ["wizard"]},
    )

    body = assert_problem(response, 422, "validation-error")
    assert {error["field"] for error in body["errors"]} == {"body.full_name", "body.roles.0"}
    after = await client.get(f"/v1/users/{tenant.admin_id}", headers=tenant.headers)
    assert after.json() == read.json()
    assert after.headers["etag"] == read.headers["etag"]
