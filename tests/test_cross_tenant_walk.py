"""Tenant isolation across the whole API, walked from the OpenAPI document so new routes are covered.

Tenant A's administrator calls every operation that takes an object id with tenant B's ids. Each call
must be a 404 indistinguishable from one for an id that never existed (status, headers and body), and
B's objects must be exactly as they were. The same call with A's own ids must succeed, which proves
the 404 came from tenancy and not from a request the route would have refused anyway. Operations
that list must not mention any of B's ids.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
from fastapi import FastAPI

from rolecall.roles.library.loader import load_library
from tests.factories import PASSWORD, Tenant, create_job, create_user
from tests.test_route_authorization import EXPECTED_PUBLIC

# Path parameter name -> the kind of object it names. A new route with a new parameter fails the walk
# until it is mapped here (and, if it is a new kind, created in `objects_of` below).
PARAM_KINDS = {
    "user_id": "user",
    "client_id": "api_client",
    "profile_id": "role_profile",
    "job_id": "job",
    "candidate_id": "candidate",
}
# Path parameters that name no tenant's object (shared library data, a level, a version number): the
# same value is used in every call. A route with only these is not tenant data and is not walked.
FIXED_PARAMS = {"library_id": "backend-engineer", "level": "lead", "number": "1"}
# How the owning tenant reads one object of each kind, to prove that it did not change.
READ_AS_OWNER = {
    "user": "/v1/users/{id}",
    "api_client": "/v1/api-clients/{id}",
    "role_profile": "/v1/role-profiles/{id}",
    "job": "/v1/jobs/{id}",
    "candidate": "/v1/candidates/{id}",
    "candidate_duplicate": "/v1/candidates/{id}",
}
# Objects that no path parameter names but that a request body refers to (created in `objects_of`).
BODY_KINDS = {"candidate_duplicate"}
# Request bodies for operations whose generated sample would not be accepted, keyed (method, path).
# A callable receives tenant A's objects (kind -> id): a body that names another object of A's own,
# sent unchanged in all three calls, so only the path parameters differ between them.
BODY_OVERRIDES: dict[tuple[str, str], Any] = {
    ("PUT", "/v1/role-profiles/{profile_id}"): {
        "document": load_library().get("backend-engineer").model_dump(mode="json")
    },
    ("POST", "/v1/candidates/{candidate_id}/merge"): lambda mine: {
        "duplicate_id": mine["candidate_duplicate"]
    },
}
HTTP_METHODS = {"get", "post", "put", "patch", "delete"}
AUDITED_READS = {"candidate.viewed", "candidate.listed"}
VOLATILE_HEADERS = {"x-request-id"}


async def objects_of(client: httpx.AsyncClient, tenant: Tenant) -> dict[str, str]:
    """One object of every kind, created through the API as the given tenant: kind -> id."""
    user_id, _ = await create_user(client, tenant, "recruiter")
    response = await client.post(
        "/v1/api-clients", headers=tenant.headers, json={"name": "Walk", "scopes": ["users:read"]}
    )
    assert response.status_code == 201, response.text
    job = await create_job(client, tenant)
    candidate = await client.post(
        "/v1/candidates",
        headers=tenant.headers,
        json={"full_name": "Walk Candidate", "email": f"walk-{uuid.uuid4().hex[:8]}@example.com"},
    )
    assert candidate.status_code == 201, candidate.text
    duplicate = await client.post(
        "/v1/candidates",
        headers=tenant.headers,
        json={"full_name": "Walk Duplicate", "email": f"walk-{uuid.uuid4().hex[:8]}@example.com"},
    )
    assert duplicate.status_code == 201, duplicate.text
    objects = {
        "user": user_id,
        "api_client": response.json()["id"],
        "role_profile": job["role_profile_id"],
        "job": job["id"],
        "candidate": candidate.json()["id"],
        "candidate_duplicate": duplicate.json()["id"],
    }
    assert set(objects) == set(PARAM_KINDS.values()) | BODY_KINDS == set(READ_AS_OWNER)
    return objects


def resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def sample(name: str, schema: dict[str, Any], components: dict[str, Any]) -> Any:
    """A plausible, valid value for a JSON schema (good enough for this API's request bodies)."""
    schema = resolve(schema, components)
    for union in ("anyOf", "oneOf"):
        if union in schema:
            options = [o for o in schema[union] if resolve(o, components).get("type") != "null"]
            return sample(name, options[0], components)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        properties: dict[str, Any] = schema.get("properties", {})
        chosen = list(schema.get("required", []))
        if not chosen:  # a partial update: change one plain field
            chosen = [
                next(
                    p
                    for p, s in properties.items()
                    if resolve(s, components).get("type") == "string"
                    or any(o.get("type") == "string" for o in s.get("anyOf", []))
                )
            ]
        return {p: sample(p, properties[p], components) for p in chosen}
    if kind == "array":
        return [sample(name, schema.get("items", {}), components)] * max(1, schema.get("minItems", 1))
    if kind == "boolean":
        return True
    if kind in ("integer", "number"):
        return schema.get("minimum", 1)
    if schema.get("format") == "email":
        return f"walk-{uuid.uuid4().hex[:8]}@example.com"
    if schema.get("format") == "uuid":
        return str(uuid.uuid4())
    if name == "password":
        return PASSWORD
    text = "Cross Tenant Walk"
    return text[: schema.get("maxLength", len(text))].ljust(schema.get("minLength", 1), "x")


def operations(app: FastAPI) -> list[tuple[str, str, dict[str, Any]]]:
    document = app.openapi()
    found = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS and (method.upper(), path) not in EXPECTED_PUBLIC:
                found.append((method.upper(), path, operation))
    return found


def path_params(operation: dict[str, Any]) -> list[str]:
    return [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"]


def fill(path: str, values: dict[str, str]) -> str:
    return re.sub(r"\{([^}]+)\}", lambda m: values[m.group(1)], path)


def stable_headers(response: httpx.Response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k not in VOLATILE_HEADERS}


async def snapshot(client: httpx.AsyncClient, tenant: Tenant, objects: dict[str, str]) -> dict[str, Any]:
    """Everything the owner can see of its objects, including each one's ETag (its version)."""
    seen: dict[str, Any] = {}
    for kind, object_id in objects.items():
        response = await client.get(READ_AS_OWNER[kind].format(id=object_id), headers=tenant.headers)
        assert response.status_code == 200, response.text
        seen[kind] = (response.json(), response.headers.get("etag"))
    for path in ("/v1/organisation", "/v1/users", "/v1/api-clients", "/v1/audit-events"):
        response = await client.get(path, headers=tenant.headers, params={"limit": 200})
        assert response.status_code == 200, response.text
        body = response.json()
        if path == "/v1/audit-events":
            # Reading personal data is audited, so the owner's own reads above add entries: leave
            # exactly those out. Anything else new in the log (a foreign caller's) still shows.
            owner = f"user:{tenant.admin_id}"
            body["items"] = [
                entry
                for entry in body["items"]
                if not (entry["action"] in AUDITED_READS and entry["actor"] == owner)
            ]
        seen[path] = (body, response.headers.get("etag"))
    return seen


async def test_no_operation_reaches_another_tenants_objects(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    theirs = await objects_of(client, other_tenant)
    mine = await objects_of(client, tenant)
    components = app.openapi().get("components", {}).get("schemas", {})
    before = await snapshot(client, other_tenant, theirs)
    headers = {**tenant.headers, "If-Match": "*"}

    walked = []
    for method, path, operation in operations(app):
        names = [name for name in path_params(operation) if name not in FIXED_PARAMS]
        if not names:
            continue
        unknown = [name for name in names if name not in PARAM_KINDS]
        assert not unknown, (
            f"{method} {path} takes {unknown}: map each to the kind of object it names in PARAM_KINDS "
            "(and create one per tenant in objects_of) so the cross-tenant walk covers this route"
        )
        body: Any = None
        if "requestBody" in operation:
            content = operation["requestBody"]["content"]
            override = BODY_OVERRIDES.get((method, path))
            if callable(override):
                override = override(mine)
            body = override or sample("body", content["application/json"]["schema"], components)

        required_query = [
            p["name"] for p in operation.get("parameters", []) if p["in"] == "query" and p.get("required")
        ]
        assert set(required_query) <= set(FIXED_PARAMS), (
            f"{method} {path}: add {required_query} to FIXED_PARAMS"
        )
        query = {name: FIXED_PARAMS[name] for name in required_query}

        def call(
            values: dict[str, str],
            method: str = method,
            path: str = path,
            body: Any = body,
            query: Any = query,
        ) -> Any:
            url = fill(path, {**FIXED_PARAMS, **values})
            return client.request(method, url, headers=headers, json=body, params=query)

        foreign = await call({name: theirs[PARAM_KINDS[name]] for name in names})
        missing = await call({name: str(uuid.uuid4()) for name in names})
        assert missing.status_code == 404, f"{method} {path} with unknown ids: {missing.text}"
        assert foreign.status_code == 404, f"{method} {path} reached tenant B's object: {foreign.text}"
        assert foreign.content == missing.content, f"{method} {path}: 404 bodies differ"
        assert stable_headers(foreign) == stable_headers(missing), f"{method} {path}: 404 headers differ"

        own = await call({name: mine[PARAM_KINDS[name]] for name in names})
        assert own.is_success, (
            f"{method} {path} fails on tenant A's own object ({own.status_code}: {own.text}); "
            "add a valid body to BODY_OVERRIDES so the 404 above means what it should"
        )
        walked.append((method, path))

    assert len(walked) >= 4, walked
    assert await snapshot(client, other_tenant, theirs) == before


async def test_no_listing_mentions_another_tenants_objects(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    theirs = await objects_of(client, other_tenant)
    mine = await objects_of(client, tenant)
    client_id = (
        await client.get(f"/v1/api-clients/{theirs['api_client']}", headers=other_tenant.headers)
    ).json()["client_id"]
    foreign_marks = {
        *theirs.values(),
        str(other_tenant.organisation_id),
        str(other_tenant.admin_id),
        client_id,
    }
    foreign_marks.add(other_tenant.admin_email)

    listed = []
    for method, path, operation in operations(app):
        if method != "GET" or path_params(operation):
            continue
        response = await client.get(path, headers=tenant.headers, params={"limit": 200})
        assert response.status_code == 200, f"{path}: {response.text}"
        leaked = {mark for mark in foreign_marks if mark in response.text}
        assert not leaked, f"GET {path} shows tenant B's {leaked}"
        listed.append((path, response.text))

    assert {path for path, _ in listed} >= {"/v1/users", "/v1/api-clients", "/v1/audit-events"}
    # The listings are not simply empty: A's own objects are there.
    text = dict(listed)
    assert mine["user"] in text["/v1/users"]
    assert mine["api_client"] in text["/v1/api-clients"]
    assert mine["user"] in text["/v1/audit-events"]
