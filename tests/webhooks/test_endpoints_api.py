"""Managing webhook endpoints: the secret shown once, ETags, validation, SSRF refusals, audit."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from rolecall.webhooks import ssrf
from tests.factories import Tenant, create_user
from tests.identity.support import add_api_client, client_token
from tests.platform.problems import assert_problem
from tests.webhooks.support import FakeResolver, create_endpoint

URL = "https://hooks.example.com/rolecall"


@pytest.fixture
def resolver(app: FastAPI) -> FakeResolver:
    """Public and inside names, resolved without DNS; no allow-list (production rules)."""
    fake = FakeResolver(
        {
            "hooks.example.com": ["93.184.215.14"],
            "inside.example.com": ["10.0.0.7"],
            "metadata.example.com": ["169.254.169.254"],
            "v6inside.example.com": ["fd00:ec2::254"],
        }
    )
    app.state.webhook_outbound = ssrf.outbound_policy(resolver=fake)
    return fake


async def test_the_secret_is_shown_on_creation_only(
    client: httpx.AsyncClient, tenant: Tenant, resolver: FakeResolver
) -> None:
    response = await client.post(
        "/v1/webhooks/endpoints",
        headers=tenant.headers,
        json={"url": URL, "event_types": ["user.*", "organisation.updated"], "description": "HR system"},
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["secret"].startswith("whsec_")
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["location"] == f"/v1/webhooks/endpoints/{created['id']}"
    assert created["event_types"] == ["organisation.updated", "user.*"]
    assert created["enabled"] is True
    assert created["grants_candidates_read"] is False

    read = await client.get(response.headers["location"], headers=tenant.headers)
    assert read.status_code == 200
    assert "secret" not in read.json()
    assert read.headers["etag"] == response.headers["etag"]
    listed = await client.get("/v1/webhooks/endpoints", headers=tenant.headers)
    assert [e["id"] for e in listed.json()["items"]] == [created["id"]]
    assert created["secret"] not in listed.text

    # A retried POST with the same Idempotency-Key gets the same answer and makes no second endpoint.
    keyed = {**tenant.headers, "Idempotency-Key": "create-hook-1"}
    body = {"url": URL, "event_types": ["*"]}
    once = await client.post("/v1/webhooks/endpoints", headers=keyed, json=body)
    twice = await client.post("/v1/webhooks/endpoints", headers=keyed, json=body)
    assert once.status_code == twice.status_code == 201
    assert twice.json() == once.json()
    listed = await client.get("/v1/webhooks/endpoints", headers=tenant.headers)
    assert len(listed.json()["items"]) == 2

    audit = await client.get(
        "/v1/audit-events", headers=tenant.headers, params={"action": "webhook.endpoint_created"}
    )
    assert sorted(e["target_id"] for e in audit.json()["items"]) == sorted([created["id"], once.json()["id"]])
    assert created["secret"] not in audit.text


async def test_rotation_returns_a_new_secret_and_keeps_the_old_one_signing_for_a_while(
    client: httpx.AsyncClient, tenant: Tenant, resolver: FakeResolver
) -> None:
    created = await create_endpoint(client, tenant, URL)
    url = f"/v1/webhooks/endpoints/{created['id']}/rotate-secret"
    rotated = await client.post(url, headers=tenant.headers, json={"overlap_seconds": 3600})
    assert rotated.status_code == 200, rotated.text
    assert rotated.headers["cache-control"] == "no-store"
    assert rotated.json()["secret"].startswith("whsec_")
    assert rotated.json()["secret"] != created["secret"]
    assert rotated.json()["previous_secret_expires_at"] is not None
    assert rotated.headers["etag"] != created["etag"]
    default = await client.post(url, headers=tenant.headers)
    assert default.status_code == 200, default.text
    too_long = await client.post(url, headers=tenant.headers, json={"overlap_seconds": 8 * 86_400})
    assert_problem(too_long, 422)


async def test_changes_need_the_current_etag(
    client: httpx.AsyncClient, tenant: Tenant, resolver: FakeResolver
) -> None:
    created = await create_endpoint(client, tenant, URL)
    url = f"/v1/webhooks/endpoints/{created['id']}"
    assert_problem(await client.patch(url, headers=tenant.headers, json={"enabled": False}), 428)
    stale = {**tenant.headers, "If-Match": '"stale"'}
    assert_problem(await client.patch(url, headers=stale, json={"enabled": False}), 412)
    current = {**tenant.headers, "If-Match": created["etag"]}
    assert_problem(
        await client.patch(url, headers=current, json={"url": "https://inside.example.com/x"}), 422
    )
    changed = await client.patch(url, headers=current, json={"enabled": False, "description": "paused"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["enabled"] is False
    assert changed.json()["description"] == "paused"
    assert changed.headers["etag"] != created["etag"]

    assert_problem(await client.delete(url, headers=current), 412)
    deleted = await client.delete(url, headers={**tenant.headers, "If-Match": changed.headers["etag"]})
    assert deleted.status_code == 204
    assert_problem(await client.get(url, headers=tenant.headers), 404)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # validation only: no database behaviour
async def test_unknown_types_and_malformed_wildcards_are_refused(
    client: httpx.AsyncClient, tenant: Tenant, resolver: FakeResolver
) -> None:
    for types in (["nope.never"], ["user.created", "candidate.*.bad"], ["user*"], []):
        response = await client.post(
            "/v1/webhooks/endpoints", headers=tenant.headers, json={"url": URL, "event_types": types}
        )
        body = assert_problem(response, 422)
        assert body["errors"][0]["field"].endswith("event_types"), types


INSIDE_URLS = [
    "http://127.0.0.1:8080/hooks",
    "https://127.0.0.1/hooks",
    "https://10.1.2.3/hooks",
    "https://169.254.169.254/latest/meta-data/",
    "https://[::1]/hooks",
    "https://[::ffff:127.0.0.1]/hooks",
    "https://[fd00:ec2::254]/hooks",
    "https://inside.example.com/hooks",
    "https://metadata.example.com/hooks",
    "https://v6inside.example.com/hooks",
    "http://hooks.example.com/hooks",
    "https://unknown.example.com/hooks",
    "file:///etc/passwd",
]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # validation only: no database behaviour
async def test_urls_inside_the_network_are_refused(
    client: httpx.AsyncClient, tenant: Tenant, resolver: FakeResolver
) -> None:
    for url in INSIDE_URLS:
        response = await client.post(
            "/v1/webhooks/endpoints", headers=tenant.headers, json={"url": url, "event_types": ["*"]}
        )
        body = assert_problem(response, 422)
        assert body["errors"][0]["field"].endswith("url"), url


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # validation only: no database behaviour
async def test_endpoints_are_listed_by_cursor(
    client: httpx.AsyncClient, tenant: Tenant, resolver: FakeResolver
) -> None:
    ids = [(await create_endpoint(client, tenant, f"{URL}/{n}"))["id"] for n in range(3)]
    first = (await client.get("/v1/webhooks/endpoints", headers=tenant.headers, params={"limit": 2})).json()
    second = (
        await client.get(
            "/v1/webhooks/endpoints",
            headers=tenant.headers,
            params={"limit": 2, "cursor": first["next_cursor"]},
        )
    ).json()
    assert [e["id"] for e in first["items"] + second["items"]] == ids
    assert second["next_cursor"] is None


async def test_granting_personal_data_needs_candidates_read(
    client: httpx.AsyncClient, tenant: Tenant, resolver: FakeResolver
) -> None:
    integration = await add_api_client(client, tenant, "webhooks:write", "webhooks:read")
    token = (await client_token(client, integration)).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    body = {"url": URL, "event_types": ["*"], "grants_candidates_read": True}
    assert_problem(await client.post("/v1/webhooks/endpoints", headers=headers, json=body), 403)
    plain = await client.post(
        "/v1/webhooks/endpoints", headers=headers, json={**body, "grants_candidates_read": False}
    )
    assert plain.status_code == 201, plain.text
    granted = await client.post("/v1/webhooks/endpoints", headers=tenant.headers, json=body)
    assert granted.status_code == 201, granted.text

    # Recruiters read the event feed but do not manage webhooks (admins only by default).
    _, recruiter = await create_user(client, tenant, "recruiter")
    as_recruiter = {"Authorization": f"Bearer {recruiter}"}
    assert_problem(await client.get("/v1/webhooks/endpoints", headers=as_recruiter), 403)
    assert_problem(await client.post("/v1/webhooks/endpoints", headers=as_recruiter, json=body), 403)
    assert (await client.get("/v1/events", headers=as_recruiter)).status_code == 200
