"""CORS in the running app: other sites' scripts may read the public board, and nothing else."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from rolecall.config import Settings
from tests.factories import Tenant, apply_form, open_job

ACME = "https://acme.example"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return Settings.model_validate(
        {**settings.model_dump(), "cors_origins": f"{ACME}, http://localhost:5173"}
    )


def _cors(response: httpx.Response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k.startswith("access-control-")}


GRANT = {"access-control-allow-origin": ACME, "access-control-expose-headers": "ETag"}


async def test_every_public_board_read_is_readable_from_a_listed_origin(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    job = (await open_job(client, app, tenant))["id"]
    slug = (await client.get("/v1/job-settings", headers=tenant.headers)).json()["board_slug"]
    paths = [
        "/v1/board/postings?q=engineer",
        f"/v1/board/postings/{job}",
        f"/v1/board/postings/{job}/application-form",
        f"/v1/board/{slug}/postings",
        f"/v1/board/{slug}/feed.xml",
        f"/v1/board/{slug}/feed.atom",
        f"/v1/board/{slug}/feed.rss",
        f"/v1/board/{slug}/sitemap.xml",
        "/v1/board/nope/postings",  # a 404 problem is readable too, so the script can tell why
    ]
    for path in paths:
        response = await client.get(path, headers={"Origin": ACME})
        assert response.status_code == (404 if "nope" in path else 200), (path, response.text)
        assert _cors(response) == GRANT, path
        assert "Origin" in [v.strip() for v in response.headers["vary"].split(",")], path

    # Revalidation from the script: the ETag is exposed, and the 304 carries the grant as well.
    first = await client.get(f"/v1/board/postings/{job}", headers={"Origin": ACME})
    again = await client.get(
        f"/v1/board/postings/{job}", headers={"Origin": ACME, "If-None-Match": first.headers["etag"]}
    )
    assert again.status_code == 304
    assert _cors(again) == GRANT
    assert again.headers["vary"] == "Accept-Encoding, Origin"


async def test_a_preflight_for_a_conditional_read_is_granted(client: httpx.AsyncClient) -> None:
    response = await client.options(
        "/v1/board/postings",
        headers={
            "Origin": "http://localhost:5173",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "if-none-match",
        },
    )

    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "http://localhost:5173"
    assert response.headers["access-control-allow-headers"] == "If-None-Match"
    assert response.headers["access-control-allow-methods"] == "GET, HEAD"
    assert "access-control-allow-credentials" not in response.headers
    assert response.headers["x-request-id"]  # still answered inside the request-context middleware


async def test_applying_and_staff_routes_never_send_cors_headers(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    job = (await open_job(client, app, tenant))["id"]
    applied = await client.post(
        f"/v1/board/postings/{job}/applications", headers={"Origin": ACME}, **apply_form()
    )
    assert applied.status_code == 202, applied.text
    staff = await client.get("/v1/jobs", headers={**tenant.headers, "Origin": ACME})
    assert staff.status_code == 200, staff.text
    health = await client.get("/healthz", headers={"Origin": ACME})
    preflight = await client.options(
        f"/v1/board/postings/{job}/applications",
        headers={"Origin": ACME, "Access-Control-Request-Method": "POST"},
    )

    for response in (applied, staff, health, preflight):
        assert _cors(response) == {}, response.request.url
    assert preflight.status_code == 405


async def test_an_unlisted_origin_reads_nothing_extra(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/board/postings", headers={"Origin": "https://evil.example"})
    preflight = await client.options(
        "/v1/board/postings",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )

    assert response.status_code == 200
    assert _cors(response) == {}
    assert response.headers["vary"] == "Accept-Encoding, Origin"
    assert preflight.status_code == 405
    assert _cors(preflight) == {}
