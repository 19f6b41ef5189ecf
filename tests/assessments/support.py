"""Assessment test helpers: everything goes through the public API, as an integrator would."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from tests.factories import Tenant, create_application, open_job


async def job_with_blueprint(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, **job: object
) -> dict[str, Any]:
    """An open back-end lead job with a generated blueprint; returns the job with ``blueprint``."""
    opened = await open_job(client, app, tenant, **job)
    response = await client.post(f"/v1/jobs/{opened['id']}/assessment-blueprint", headers=tenant.headers)
    assert response.status_code == 201, response.text
    return {**opened, "blueprint": response.json(), "blueprint_etag": response.headers["etag"]}


async def invite(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, job: dict[str, Any], **body: object
) -> dict[str, Any]:
    """A new application to ``job``, invited by hand; the invitation plus ``token`` and ``application``."""
    application = await create_application(client, app, tenant, job)
    response = await client.post(
        "/v1/assessments/invitations",
        headers=tenant.headers,
        json={"application_id": application["id"], **body},
    )
    assert response.status_code == 201, response.text
    invitation: dict[str, Any] = response.json()
    invitation["token"] = invitation["link"].rsplit("/", 1)[1]
    invitation["application"] = application
    return invitation


async def start(client: httpx.AsyncClient, token: str) -> dict[str, Any]:
    response = await client.post(f"/v1/assessment-links/{token}/start")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def answer_key(client: httpx.AsyncClient, tenant: Tenant, session_id: str) -> dict[int, dict[str, Any]]:
    """Per position, the pinned item version's content (answers included), read as staff."""
    result = (
        await client.get(f"/v1/assessments/sessions/{session_id}/result", headers=tenant.headers)
    ).json()
    key: dict[int, dict[str, Any]] = {}
    for item in result["items"]:
        detail = (await client.get(f"/v1/assessments/items/{item['item_id']}", headers=tenant.headers)).json()
        version = next(v for v in detail["versions"] if v["number"] == item["version"])
        key[item["position"]] = version["content"]
    return key


def right_answer(content: dict[str, Any]) -> dict[str, Any]:
    kind = content["type"]
    if kind == "single_choice":
        return {"choice": content["answer"]}
    if kind == "multiple_choice":
        return {"choices": content["answers"]}
    if kind == "numeric":
        return {"value": content["answer"]}
    if kind == "ordering":
        return {"order": list(range(len(content["options"])))}
    if kind == "sql":
        return {"query": content["solution"]}
    return {"text": content.get("model_answer") or "A careful answer."}


def wrong_answer(content: dict[str, Any]) -> dict[str, Any]:
    kind = content["type"]
    if kind == "single_choice":
        return {"choice": (content["answer"] + 1) % len(content["options"])}
    if kind == "multiple_choice":
        wrong = [i for i in range(len(content["options"])) if i not in content["answers"]]
        return {"choices": wrong[:1]}
    if kind == "numeric":
        return {"value": content["answer"] + 1000 * (content.get("tolerance", 0) + 1)}
    if kind == "ordering":
        return {"order": list(reversed(range(len(content["options"]))))}
    if kind == "sql":
        return {"query": "SELECT 1 AS nothing_useful"}
    return {"text": "I do not know."}


async def answer_all(
    client: httpx.AsyncClient, token: str, key: dict[int, dict[str, Any]], *, right: bool = True
) -> None:
    for position, content in key.items():
        answer = right_answer(content) if right else wrong_answer(content)
        response = await client.put(
            f"/v1/assessment-links/{token}/answers/{position}", json={"answer": answer}
        )
        assert response.status_code == 200, response.text
