"""Item statistics from real scored answers, and the worker's review flags."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from rolecall.assessments.service import refresh_flags
from tests.assessments.support import invite, job_with_blueprint, start
from tests.factories import Tenant

GOOD = {
    "key": "stats-good",
    "skill": "Microservices",
    "level": "lead",
    "difficulty": 3,
    "type": "single_choice",
    "prompt": "Which change keeps two services deployable on their own?",
    "options": ["A shared database schema", "A versioned API between them", "One release train"],
    "answer": 1,
}
REVERSED = {**GOOD, "key": "stats-reversed", "prompt": "Which practice lets teams release alone?"}
EASY = {**GOOD, "key": "stats-easy", "prompt": "Which of these is a service boundary?"}


async def test_a_reversed_item_is_flagged_and_a_good_one_is_not(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    ids = {}
    for document in (GOOD, REVERSED, EASY):
        created = await client.post(
            "/v1/assessments/items", headers=tenant.headers, json={"document": document, "publish": True}
        )
        assert created.status_code == 201, created.text
        ids[document["key"]] = created.json()["id"]
    job = await job_with_blueprint(client, app, tenant)
    plan = {
        **job["blueprint"]["document"],
        "skills": [
            {"skill_id": "microservices", "name": "Microservices", "weight": 1, "items": 6, "proficiency": 4}
        ],
        "item_types": ["single_choice"],
    }
    url = f"/v1/jobs/{job['id']}/assessment-blueprint"
    changed = await client.put(url, headers={**tenant.headers, "If-Match": job["blueprint_etag"]}, json=plan)
    assert changed.status_code == 200, changed.text
    # 20 takers (the least that gets flags): strong ones (i >= 10) get the good item right and the
    # reversed one wrong; everyone gets the easy item right; the starter items follow strength too.
    for i in range(20):
        invitation = await invite(client, app, tenant, job)
        token = invitation["token"]
        started = await start(client, token)
        result = await client.get(
            f"/v1/assessments/sessions/{invitation['session']['id']}/result", headers=tenant.headers
        )
        strong = i >= 10
        for item in result.json()["items"]:
            detail = (
                await client.get(f"/v1/assessments/items/{item['item_id']}", headers=tenant.headers)
            ).json()
            content = next(v for v in detail["versions"] if v["number"] == item["version"])["content"]
            right = {
                "stats-good": strong,
                "stats-reversed": not strong,
                "stats-easy": True,
            }.get(content["key"], strong)
            choice = content["answer"] if right else (content["answer"] + 1) % len(content["options"])
            saved = await client.put(
                f"/v1/assessment-links/{token}/answers/{item['position']}",
                json={"answer": {"choice": choice}},
            )
            assert saved.status_code == 200
        assert started["overview"]["status"] == "started"
        assert (await client.post(f"/v1/assessment-links/{token}/submit")).status_code == 200

    def stats(key: str) -> dict[str, object]:
        return stats_by_key[key]

    stats_by_key = {}
    for key, item_id in ids.items():
        body = (
            await client.get(f"/v1/assessments/items/{item_id}/statistics", headers=tenant.headers)
        ).json()
        stats_by_key[key] = body["versions"][0]
    assert stats("stats-good")["responses"] == 20
    assert stats("stats-good")["discrimination"] > 0.5
    assert stats("stats-reversed")["discrimination"] < 0
    assert any("negative" in flag for flag in stats("stats-reversed")["flags"])
    assert stats("stats-easy")["p_value"] == 1.0
    assert stats("stats-easy")["flags"]
    assert not stats("stats-good")["flags"]

    assert await refresh_flags(app.state.sessionmaker) >= 2
    flagged = (
        await client.get("/v1/assessments/items?flagged=true&limit=200", headers=tenant.headers)
    ).json()
    keys = {item["key"] for item in flagged["items"]}
    assert {"stats-reversed", "stats-easy"} <= keys
    assert "stats-good" not in keys
    assert await refresh_flags(app.state.sessionmaker) == 0  # nothing changed since
