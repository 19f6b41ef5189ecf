"""Unknown query parameters: a 400 naming the accepted ones, on every API route (platform/query_params.py)."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts

from rolecall.platform.errors import PROBLEM_BASE
from rolecall.platform.query_params import accepts_query, declared_names, unknown_parameters
from tests.factories import Tenant, open_job

PROBLEM = "application/problem+json"


# Routes that accept any query parameter (``accepts_query("*")``): only the drop-in vendor board APIs,
# because Greenhouse's and Lever's own servers ignore parameters they do not know and the clients
# written for them send such parameters. Anything else joining this list needs a reviewer's yes.
ACCEPTS_ANY_PREFIXES = ("/compat/greenhouse/", "/compat/lever/")


def _api_operations(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path) of every API operation that refuses unknown parameters."""
    found = []
    for context in iter_route_contexts(app.routes):
        if not isinstance(context.original_route, APIRoute):
            continue
        path = context.path or ""
        if not (
            context.include_in_schema or path.startswith(("/v1/", "/compat/", "/partner/", "/.well-known/"))
        ):
            continue
        if "*" in declared_names(context):
            assert path.startswith(ACCEPTS_ANY_PREFIXES), f"{path} accepts any query parameter"
            continue
        for method in sorted(context.methods or ()):
            found.append((method, path))
    return found


def _fill(path: str) -> str:
    """Any value for each path parameter: the guard answers before the route looks at them."""
    return re.sub(r"\{[^}]+\}", lambda _m: str(uuid.uuid4()), path)


def _unknown_problem(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 400, (response.request.method, response.request.url, response.text)
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["type"] == PROBLEM_BASE + "bad-request"
    assert body["status"] == 400
    assert body["unknown"] == ["definitely_unknown"]
    assert "definitely_unknown" in body["detail"]
    return body


async def test_every_api_route_refuses_an_unknown_query_parameter(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    operations = _api_operations(app)
    assert len(operations) > 150  # the walk really covers the API, not an empty list
    for headers in ({}, tenant.headers):
        for method, path in operations:
            response = await client.request(
                method, _fill(path), params={"definitely_unknown": "1"}, headers=headers
            )
            body = _unknown_problem(response)
            assert isinstance(body["accepted"], list)


async def test_the_problem_lists_the_accepted_parameters(client: httpx.AsyncClient, tenant: Tenant) -> None:
    response = await client.get("/v1/jobs", params={"q": "x", "colour": "blue"}, headers=tenant.headers)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["unknown"] == ["colour", "q"]
    # Nested dependencies count: limit and cursor come from page_params, updated_since from sync.
    accepted = body["accepted"]
    assert accepted == sorted(accepted)
    assert {"cursor", "limit", "sort", "status", "department", "updated_since"} <= set(accepted)
    assert body["detail"] == (
        f"Unknown query parameter(s): colour, q. This operation accepts: {', '.join(accepted)}."
    )
    one = await client.get("/v1/organisation", params={"expand": "all"}, headers=tenant.headers)
    assert one.status_code == 400
    assert one.json()["accepted"] == []
    assert "accepts: no query parameters" in one.json()["detail"]


async def test_accepted_parameters_still_work(client: httpx.AsyncClient, tenant: Tenant) -> None:
    listed = await client.get("/v1/jobs", params={"limit": 5, "status": "open"}, headers=tenant.headers)
    assert listed.status_code == 200, listed.text
    # An alias is the accepted name ("from" is a Python keyword, the parameter is declared by alias).
    funnel = await client.get(
        "/v1/analytics/funnel", params={"from": "2026-01-01", "to": "2026-12-31"}, headers=tenant.headers
    )
    assert funnel.status_code == 200, funnel.text
    # Values a parameter refuses are still a 422 naming the field, not a 400 about names.
    bad = await client.get("/v1/jobs", params={"limit": "many"}, headers=tenant.headers)
    assert bad.status_code == 422


async def test_the_public_board_accepts_campaign_tags(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    job = await open_job(client, app, tenant)
    slug = (await client.get("/v1/job-settings", headers=tenant.headers)).json()["board_slug"]
    tags = {"utm_source": "newsletter", "utm_campaign": "spring"}
    for path in (
        f"/v1/board/{slug}/postings",
        f"/v1/board/{slug}/feed.xml",
        f"/v1/board/postings/{job['id']}",
    ):
        response = await client.get(path, params=tags)
        assert response.status_code == 200, (path, response.text)
    # A tag is no licence for anything else, nor on the authenticated API.
    assert (
        await client.get(f"/v1/board/{slug}/postings", params={"utm_source": "x", "qq": "1"})
    ).status_code == 400
    staff = await client.get("/v1/jobs", params={"utm_source": "x"}, headers=tenant.headers)
    assert staff.status_code == 400


async def test_pages_are_left_alone(app: FastAPI, client: httpx.AsyncClient, tenant: Tenant) -> None:
    """A browser following a link with extra parameters still gets the page."""
    await open_job(client, app, tenant)
    slug = (await client.get("/v1/job-settings", headers=tenant.headers)).json()["board_slug"]
    response = await client.get(f"/careers/{slug}", params={"fbclid": "abc", "definitely_unknown": "1"})
    assert response.status_code == 200


def test_accepts_query_adds_names_and_prefixes() -> None:
    @accepts_query("utm_*", "source")
    def endpoint() -> None: ...

    route = APIRoute("/x", endpoint)
    assert declared_names(route) == ("source", "utm_*")
    assert unknown_parameters(["utm_medium", "source", "q"], declared_names(route)) == ["q"]
    assert unknown_parameters(["utm"], ["utm_*"]) == ["utm"]


async def test_a_one_value_parameter_given_twice_is_refused(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    # Found by schemathesis: ``?action=a&action=b`` silently filtered on the last value only.
    twice = await client.get("/v1/audit-events?action=a&action=b", headers=tenant.headers)
    assert twice.status_code == 400, twice.text
    assert twice.headers["content-type"].startswith(PROBLEM)
    assert twice.json()["repeated"] == ["action"]
    once = await client.get("/v1/audit-events?action=a&limit=5", headers=tenant.headers)
    assert once.status_code == 200, once.text


async def test_dates_at_the_edges_of_time_are_refused_not_a_server_error(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    """Every date and date-time query parameter of the document, at the first and last instants.

    A valid RFC 3339 time whose offset moves it before year 1 or after 9999 in UTC, and the last
    day as a period's end, used to overflow inside the query (500s found by schemathesis).
    """
    edges = {
        "date-time": ["0001-01-01T00:24:59+18:34", "9999-12-31T23:59:59-18:00"],
        "date": ["0001-01-01", "9999-12-31"],
    }
    checked = 0
    for path, operations in app.openapi()["paths"].items():
        operation = operations.get("get")
        if operation is None:
            continue
        for parameter in operation.get("parameters", []):
            kind = parameter.get("schema", {}).get("format")
            if parameter["in"] != "query" or kind not in edges:
                continue
            for value in edges[kind]:
                response = await client.get(
                    _fill(path), headers=tenant.headers, params={parameter["name"]: value}
                )
                assert response.status_code in (200, 400, 404, 422), (
                    path,
                    parameter["name"],
                    value,
                    response.text,
                )
                checked += 1
    assert checked >= 30  # the lists' date filters, analytics periods, incremental sync


async def test_every_integer_parameter_has_a_bound_the_database_can_hold(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    """An integer path or query parameter past what a column holds is a 422, not a driver error.

    ``?version=6146332751690910463694995456`` on a profile export reached asyncpg and answered 500
    (found by schemathesis against a live server).
    """
    checked = 0
    for path, operations in app.openapi()["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                if schema.get("type") != "integer" or parameter["in"] not in ("path", "query"):
                    continue
                assert schema.get("maximum", 2**63) <= 2**31 - 1, (method, path, parameter["name"])
                huge = str(2**70)
                name = "{" + parameter["name"] + "}"
                target = _fill(path.replace(name, huge)) if parameter["in"] == "path" else _fill(path)
                params = {parameter["name"]: huge} if parameter["in"] == "query" else None
                response = await client.request(
                    method, target, params=params, headers=tenant.headers, json={}
                )
                assert response.status_code in (400, 404, 422, 428), (
                    method,
                    path,
                    parameter["name"],
                    response.text,
                )
                checked += 1
    assert checked >= 20
