"""Helpers for the partner-contract tests: Basic credentials, keys, taking a test to its final score."""

from __future__ import annotations

import base64
from typing import Any

import httpx
from fastapi import FastAPI

import rolecall.assessments.vendor_handlers  # noqa: F401 - registers the vendor invitation consumer
from rolecall.assessments.outbound import Outbound, outbound_policy
from tests.assessments.support import answer_all, answer_key, start
from tests.factories import Tenant

BASE = "http://rolecall.test"
PARTNER_BASE = f"{BASE}/partner/greenhouse/v1"


def loopback(app: FastAPI, *hosts: str) -> Outbound:
    """Outbound calls answered by this very app in-process: no network, the host allow-listed."""
    return outbound_policy(hosts or ("rolecall.test",), transport=httpx.ASGITransport(app=app))


def basic(key: str, password: str = "") -> dict[str, str]:
    encoded = base64.b64encode(f"{key}:{password}".encode()).decode()
    return {"Authorization": f"Basic {encoded}"}


async def partner_key(client: httpx.AsyncClient, tenant: Tenant, name: str = "Greenhouse") -> dict[str, Any]:
    response = await client.post("/v1/assessments/partner-keys", headers=tenant.headers, json={"name": name})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def send_test(
    client: httpx.AsyncClient, key: str, test_id: str, url: str | None = None, **candidate: str
) -> httpx.Response:
    person = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com", **candidate}
    body: dict[str, Any] = {"partner_test_id": test_id, "candidate": person}
    if url is not None:
        body["url"] = url
    return await client.post(f"{PARTNER_BASE}/send_test", headers=basic(key), json=body)


async def take_test(client: httpx.AsyncClient, tenant: Tenant, session_id: str, token: str) -> dict[str, Any]:
    """Start, answer every question right, submit, and mark any short answer in full: a final score."""
    await start(client, token)
    key = await answer_key(client, tenant, session_id)
    await answer_all(client, token, key)
    submitted = await client.post(f"/v1/assessment-links/{token}/submit")
    assert submitted.status_code == 200, submitted.text
    for position, content in key.items():
        if content["type"] == "short_text":
            awarded = {c["criterion"]: c["points"] for c in content["rubric"]}
            marked = await client.post(
                f"/v1/assessments/sessions/{session_id}/marks/{position}",
                headers=tenant.headers,
                json={"awarded": awarded},
            )
            assert marked.status_code == 200, marked.text
    read = await client.get(f"/v1/assessments/sessions/{session_id}", headers=tenant.headers)
    assert read.json()["status"] == "scored", read.text
    body: dict[str, Any] = read.json()
    return body
