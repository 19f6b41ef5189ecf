"""CORS on the compat boards: like /v1/board, scripts on the configured origins may read them (the
Lever and Greenhouse widgets run in the careers page), and applying stays server-to-server."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from rolecall.config import Settings
from tests.factories import Tenant, open_job

ACME = "https://acme.example"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return Settings.model_validate({**settings.model_dump(), "cors_origins": ACME})


async def test_reads_are_readable_from_a_listed_origin_and_applying_is_not(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    job = (await open_job(client, app, tenant))["id"]
    slug = (await client.get("/v1/job-settings", headers=tenant.headers)).json()["board_slug"]
    for path in (f"/compat/greenhouse/v1/boards/{slug}/jobs", f"/compat/lever/v0/postings/{slug}?mode=json"):
        response = await client.get(path, headers={"Origin": ACME})
        assert response.status_code == 200, response.text
        assert response.headers["access-control-allow-origin"] == ACME
        assert (await client.get(path, headers={"Origin": "https://evil.example"})).headers.get(
            "access-control-allow-origin"
        ) is None
    preflight = await client.options(
        f"/compat/lever/v0/postings/{slug}/{job}",
        headers={"Origin": ACME, "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in preflight.headers
