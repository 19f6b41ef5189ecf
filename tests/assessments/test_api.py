"""The assessment flow through the API on SQLite and PostgreSQL: blueprint, invitation, taking, scoring,
marking, and everything a candidate or a second tenant might try that must change nothing."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.assessments.service import finish_overdue
from rolecall.platform.db import transaction
from rolecall.platform.events.models import OutboxEvent
from rolecall.platform.tenancy import all_tenants
from tests.assessments.support import answer_all, answer_key, invite, job_with_blueprint, right_answer, start
from tests.conftest import FrozenClock
from tests.factories import Tenant, create_application, deliver, login, move_application


async def _events(sessionmaker: async_sessionmaker[AsyncSession], session_id: str) -> list[str]:
    async with transaction(sessionmaker) as session:
        stmt = (
            select(OutboxEvent.type)
            .where(OutboxEvent.subject == f"assessment-sessions/{session_id}")
            .order_by(OutboxEvent.id)
            .execution_options(**all_tenants())
        )
        return list((await session.scalars(stmt)).all())


async def test_blueprint_is_generated_from_the_pinned_profile_level(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    job = await job_with_blueprint(client, app, tenant)
    document = job["blueprint"]["document"]
    skill_ids = [s["skill_id"] for s in document["skills"]]
    assert "sql" in skill_ids
    assert len(skill_ids) == len(set(skill_ids))
    assert all(s["weight"] > 0 and s["items"] >= 1 for s in document["skills"])
    assert document["level"] == "lead"
    assert document["time_limit_minutes"] >= 5
    again = await client.post(f"/v1/jobs/{job['id']}/assessment-blueprint", headers=tenant.headers)
    assert again.status_code == 409


async def test_editing_a_blueprint_makes_a_new_version(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    job = await job_with_blueprint(client, app, tenant)
    document = dict(job["blueprint"]["document"])
    document["time_limit_minutes"] = 90
    url = f"/v1/jobs/{job['id']}/assessment-blueprint"
    stale = await client.put(url, headers={**tenant.headers, "If-Match": '"nope"'}, json=document)
    assert stale.status_code == 412
    changed = await client.put(
        url, headers={**tenant.headers, "If-Match": job["blueprint_etag"]}, json=document
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["version"] == 2
    assert changed.json()["document"]["time_limit_minutes"] == 90
    versions = (await client.get(f"{url}/versions", headers=tenant.headers)).json()
    assert [v["number"] for v in versions] == [1, 2]
    document["skills"][0]["items"] = 20
    refused = await client.put(
        url, headers={**tenant.headers, "If-Match": changed.headers["etag"]}, json=document
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "skills.0.items"


async def test_a_candidate_takes_the_assessment_and_is_scored_at_once(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    job = await job_with_blueprint(client, app, tenant)
    invitation = await invite(client, app, tenant, job)
    token, session_id = invitation["token"], invitation["session"]["id"]
    overview = (await client.get(f"/v1/assessment-links/{token}")).json()
    assert overview["status"] == "invited"
    assert overview["items"] == invitation["session"]["items"]
    started = await start(client, token)
    assert started["overview"]["status"] == "started"
    assert started["overview"]["remaining_seconds"] > 0
    for question in started["questions"]:
        assert not {"answer_key", "answer", "answers", "solution", "datasets", "rubric", "explanation"} & (
            set(question) - {"answer"}
        )
        assert question["answer"] is None
    key = await answer_key(client, tenant, session_id)
    await answer_all(client, token, key)
    again = (await client.get(f"/v1/assessment-links/{token}/questions")).json()
    assert all(q["answer"] is not None for q in again["questions"])

    submitted = await client.post(f"/v1/assessment-links/{token}/submit")
    assert submitted.status_code == 200, submitted.text
    result = (
        await client.get(f"/v1/assessments/sessions/{session_id}/result", headers=tenant.headers)
    ).json()
    short_texts = [p for p, c in key.items() if c["type"] == "short_text"]
    assert result["pending_marking"] == len(short_texts)
    assert result["status"] == ("marking" if short_texts else "scored")
    scored = [i for i in result["items"] if i["status"] == "scored"]
    assert scored
    assert all(i["credit"] == 1.0 for i in scored)
    assert result["total"] == 100.0
    assert all(s["score"] in (100.0, None) for s in result["skills"])
    assert "extra_time_percent" not in result
    events = await _events(sessionmaker, session_id)
    assert events[:4] == [
        "assessment.invited",
        "assessment.started",
        "assessment.submitted",
        "assessment.scored",
    ]


async def test_short_text_answers_are_marked_by_a_person_and_finish_the_score(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    job = await job_with_blueprint(client, app, tenant)
    # Every single-choice and short-text REST item of the starter bank (9, two of them short texts)
    # and the three Microservices items: the draw cannot leave the short texts out.
    document = dict(job["blueprint"]["document"])
    document["item_types"] = ["short_text", "single_choice"]
    document["skills"] = [
        {"skill_id": "rest", "name": "REST", "weight": 1, "items": 9, "proficiency": 4},
        {"skill_id": "microservices", "name": "Microservices", "weight": 1, "items": 3, "proficiency": 4},
    ]
    url = f"/v1/jobs/{job['id']}/assessment-blueprint"
    changed = await client.put(
        url, headers={**tenant.headers, "If-Match": job["blueprint_etag"]}, json=document
    )
    assert changed.status_code == 200, changed.text
    invitation = await invite(client, app, tenant, job)
    token, session_id = invitation["token"], invitation["session"]["id"]
    await start(client, token)
    key = await answer_key(client, tenant, session_id)
    await answer_all(client, token, key)
    await client.post(f"/v1/assessment-links/{token}/submit")
    queue = (await client.get("/v1/assessments/marking", headers=tenant.headers)).json()
    pending = [e for e in queue if e["session_id"] == session_id]
    short_texts = [p for p, c in key.items() if c["type"] == "short_text"]
    assert len(short_texts) == 2
    assert sorted(e["position"] for e in pending) == sorted(short_texts)
    for entry in pending:
        assert "candidate" not in " ".join(entry)
        assert entry["rubric"]
        awarded = {c["criterion"]: c["points"] for c in entry["rubric"]}
        marked = await client.post(
            f"/v1/assessments/sessions/{session_id}/marks/{entry['position']}",
            headers=tenant.headers,
            json={"awarded": awarded, "comment": "Covers every point."},
        )
        assert marked.status_code == 200, marked.text
    result = (
        await client.get(f"/v1/assessments/sessions/{session_id}/result", headers=tenant.headers)
    ).json()
    assert result["status"] == "scored"
    assert result["pending_marking"] == 0
    bad = await client.post(
        f"/v1/assessments/sessions/{session_id}/marks/{short_texts[0]}",
        headers=tenant.headers,
        json={"awarded": {"no such criterion": 1}},
    )
    assert bad.status_code == 422
    choice = next(p for p, c in key.items() if c["type"] != "short_text")
    refused = await client.post(
        f"/v1/assessments/sessions/{session_id}/marks/{choice}", headers=tenant.headers, json={"awarded": {}}
    )
    assert refused.status_code == 409


async def test_time_is_the_servers(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, clock: FrozenClock
) -> None:
    job = await job_with_blueprint(client, app, tenant)
    invitation = await invite(client, app, tenant, job)
    token, session_id = invitation["token"], invitation["session"]["id"]
    started = await start(client, token)
    allowed = started["overview"]["allowed_seconds"]
    key = await answer_key(client, tenant, session_id)
    first = next(iter(key))
    saved = await client.put(
        f"/v1/assessment-links/{token}/answers/{first}", json={"answer": right_answer(key[first])}
    )
    assert saved.status_code == 200
    clock.advance(seconds=allowed + 10)  # past the deadline, inside the grace window: still saved
    in_grace = await client.put(
        f"/v1/assessment-links/{token}/answers/{first}", json={"answer": right_answer(key[first])}
    )
    assert in_grace.status_code == 200
    clock.advance(seconds=120)
    late = await client.put(
        f"/v1/assessment-links/{token}/answers/{first}", json={"answer": right_answer(key[first])}
    )
    assert late.status_code == 409
    assert late.json()["type"].endswith("assessment-time-up")
    assert (await client.post(f"/v1/assessment-links/{token}/submit")).status_code == 409
    counts = await finish_overdue(app.state.sessionmaker, app.state.pii_keyring)
    assert counts["assessments_auto_submitted"] == 1
    fresh = {"Authorization": f"Bearer {(await login(client, tenant.admin_email))['access_token']}"}
    result = (await client.get(f"/v1/assessments/sessions/{session_id}/result", headers=fresh)).json()
    assert result["status"] in ("scored", "marking")
    answered = [i for i in result["items"] if i["position"] == first]
    assert answered[0]["credit"] in (1.0, None)  # the answer saved in time counts
    assert all(i["credit"] in (0.0, None) for i in result["items"] if i["position"] != first)


async def test_bad_answers_change_nothing(client: httpx.AsyncClient, app: FastAPI, tenant: Tenant) -> None:
    job = await job_with_blueprint(client, app, tenant)
    invitation = await invite(client, app, tenant, job)
    token, session_id = invitation["token"], invitation["session"]["id"]
    early = await client.put(f"/v1/assessment-links/{token}/answers/0", json={"answer": {"choice": 0}})
    assert early.status_code == 409  # not started
    await start(client, token)
    key = await answer_key(client, tenant, session_id)
    position, content = next(iter(key.items()))
    wrong_shape = {"choice": "two"} if content["type"] != "single_choice" else {"text": 3}
    bad = await client.put(f"/v1/assessment-links/{token}/answers/{position}", json={"answer": wrong_shape})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "answer"
    outside = await client.put(
        f"/v1/assessment-links/{token}/answers/{len(key) + 5}", json={"answer": {"choice": 0}}
    )
    assert outside.status_code == 422
    unknown = await client.put(
        "/v1/assessment-links/not-a-real-token/answers/0", json={"answer": {"choice": 0}}
    )
    assert unknown.status_code == 404
    questions = (await client.get(f"/v1/assessment-links/{token}/questions")).json()["questions"]
    assert all(q["answer"] is None for q in questions)  # nothing was stored by the refused calls
    await answer_all(client, token, key)
    assert (await client.post(f"/v1/assessment-links/{token}/submit")).status_code == 200
    replay = await client.post(f"/v1/assessment-links/{token}/submit")
    assert replay.status_code == 409
    after = await client.put(
        f"/v1/assessment-links/{token}/answers/{position}", json={"answer": right_answer(content)}
    )
    assert after.status_code == 409
    restart = await client.post(f"/v1/assessment-links/{token}/start")
    assert restart.status_code == 409  # one attempt


async def test_another_tenant_sees_nothing(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, other_tenant: Tenant
) -> None:
    job = await job_with_blueprint(client, app, tenant)
    invitation = await invite(client, app, tenant, job)
    session_id = invitation["session"]["id"]
    for url in (
        f"/v1/assessments/sessions/{session_id}",
        f"/v1/assessments/sessions/{session_id}/result",
        f"/v1/jobs/{job['id']}/assessment-blueprint",
        f"/v1/jobs/{job['id']}/candidate-ranking",
    ):
        assert (await client.get(url, headers=other_tenant.headers)).status_code == 404, url
    other = await client.post(
        "/v1/assessments/invitations",
        headers=other_tenant.headers,
        json={"application_id": invitation["application"]["id"]},
    )
    assert other.status_code == 404


async def test_entering_an_assessment_stage_invites_automatically(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    job = await job_with_blueprint(client, app, tenant)
    application = await create_application(client, app, tenant, job)
    await move_application(client, tenant, application, "Skills assessment")
    await deliver(app)
    await deliver(app)  # a redelivery must not invite twice
    listed = (
        await client.get(
            f"/v1/assessments/sessions?application_id={application['id']}", headers=tenant.headers
        )
    ).json()["items"]
    assert len(listed) == 1
    assert listed[0]["status"] == "invited"
    session = listed[0]
    link = await client.post(f"/v1/assessments/sessions/{session['id']}/link", headers=tenant.headers)
    assert link.status_code == 200
    token = link.json()["link"].rsplit("/", 1)[1]
    assert (await client.get(f"/v1/assessment-links/{token}")).status_code == 200
    newer = await client.post(f"/v1/assessments/sessions/{session['id']}/link", headers=tenant.headers)
    assert (await client.get(f"/v1/assessment-links/{token}")).status_code == 404  # replaced
    assert newer.status_code == 200
    rejected = await client.post(
        f"/v1/applications/{application['id']}/reject", headers=tenant.headers, json={"reason": "other"}
    )
    assert rejected.status_code == 200, rejected.text
    await deliver(app)
    after = (await client.get(f"/v1/assessments/sessions/{session['id']}", headers=tenant.headers)).json()
    assert after["status"] == "cancelled"


async def test_extra_time_lengthens_the_deadline_and_stays_out_of_results(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    job = await job_with_blueprint(client, app, tenant)
    invitation = await invite(client, app, tenant, job)
    token, session_id = invitation["token"], invitation["session"]["id"]
    asked = await client.post(f"/v1/assessment-links/{token}/extra-time", json={"percent": 50})
    assert asked.status_code == 200
    assert asked.json()["requested_extra_time_percent"] == 50
    current = await client.get(f"/v1/assessments/sessions/{session_id}", headers=tenant.headers)
    assert current.json()["requested_extra_time_percent"] == 50
    granted = await client.put(
        f"/v1/assessments/sessions/{session_id}/accommodation",
        headers={**tenant.headers, "If-Match": current.headers["etag"]},
        json={"extra_time_percent": 50},
    )
    assert granted.status_code == 200, granted.text
    started = await start(client, token)
    limit = invitation["session"]["time_limit_minutes"] * 60
    assert started["overview"]["allowed_seconds"] == int(limit * 1.5)
    late = await client.put(
        f"/v1/assessments/sessions/{session_id}/accommodation",
        headers={**tenant.headers, "If-Match": granted.headers["etag"]},
        json={"extra_time_percent": 100},
    )
    assert late.status_code in (409, 412)
    result = await client.get(f"/v1/assessments/sessions/{session_id}/result", headers=tenant.headers)
    assert "extra_time" not in result.text
    assert "accommodation" not in result.text


async def test_editing_an_item_never_changes_a_past_score(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    job = await job_with_blueprint(client, app, tenant)
    invitation = await invite(client, app, tenant, job)
    token, session_id = invitation["token"], invitation["session"]["id"]
    await start(client, token)
    key = await answer_key(client, tenant, session_id)
    await answer_all(client, token, key)
    await client.post(f"/v1/assessment-links/{token}/submit")
    before = (
        await client.get(f"/v1/assessments/sessions/{session_id}/result", headers=tenant.headers)
    ).json()
    item = next(i for i in before["items"] if i["type"] == "single_choice")
    detail = await client.get(f"/v1/assessments/items/{item['item_id']}", headers=tenant.headers)
    content = dict(detail.json()["versions"][-1]["content"])
    content["answer"] = (content["answer"] + 1) % len(content["options"])  # the key changes in v2
    revised = await client.post(
        f"/v1/assessments/items/{item['item_id']}/versions",
        headers={**tenant.headers, "If-Match": detail.headers["etag"]},
        json={"document": content, "publish": True},
    )
    assert revised.status_code == 201, revised.text
    versions = revised.json()["versions"]
    assert [v["status"] for v in versions][-2:] == ["retired", "ready"]
    after = (await client.get(f"/v1/assessments/sessions/{session_id}/result", headers=tenant.headers)).json()
    assert after["total"] == before["total"]
    assert next(i for i in after["items"] if i["position"] == item["position"])["version"] == item["version"]


async def test_the_bank_round_trips_as_yaml(client: httpx.AsyncClient, tenant: Tenant) -> None:
    exported = await client.get("/v1/assessments/bank/export", headers=tenant.headers)
    assert exported.status_code == 200
    assert exported.text.startswith("# rolecall assessment items, format 1")
    again = await client.post(
        "/v1/assessments/bank/import",
        headers={**tenant.headers, "Content-Type": "application/yaml"},
        content=exported.text.encode(),
    )
    assert again.status_code == 200, again.text
    report = again.json()
    assert report["created"] == 0
    assert report["revised"] == 0
    assert report["unchanged"] >= 120
    broken = await client.post(
        "/v1/assessments/bank/import",
        headers={**tenant.headers, "Content-Type": "application/yaml"},
        content=b"# rolecall assessment items, format 1\nitems:\n  - key: x\n    type: single_choice\n",
    )
    assert broken.status_code == 422
    assert broken.json()["errors"]
    items = (await client.get("/v1/assessments/items?limit=200", headers=tenant.headers)).json()["items"]
    assert len(items) >= 120


async def test_scopes(client: httpx.AsyncClient, app: FastAPI, tenant: Tenant) -> None:
    from tests.factories import create_user

    job = await job_with_blueprint(client, app, tenant)
    _, interviewer = await create_user(client, tenant, "interviewer")
    _, manager = await create_user(client, tenant, "hiring_manager")
    bearer = {"Authorization": f"Bearer {interviewer}"}
    assert (await client.get("/v1/assessments/marking", headers=bearer)).status_code == 403
    assert (await client.get(f"/v1/jobs/{job['id']}/candidate-ranking", headers=bearer)).status_code == 403
    managing = {"Authorization": f"Bearer {manager}"}
    assert (await client.get("/v1/assessments/marking", headers=managing)).status_code == 200
    assert (await client.get(f"/v1/jobs/{job['id']}/candidate-ranking", headers=managing)).status_code == 200
    invited = await client.post(
        "/v1/assessments/invitations", headers=managing, json={"application_id": job["id"]}
    )
    assert invited.status_code == 403


async def test_the_ranking_orders_by_the_evidence_and_explains_it(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    job = await job_with_blueprint(client, app, tenant)
    strong, weak = await invite(client, app, tenant, job), await invite(client, app, tenant, job)
    untested = await create_application(client, app, tenant, job)
    for invitation, right in ((weak, False), (strong, True)):
        token = invitation["token"]
        await start(client, token)
        key = await answer_key(client, tenant, invitation["session"]["id"])
        await answer_all(client, token, key, right=right)
        assert (await client.post(f"/v1/assessment-links/{token}/submit")).status_code == 200
    url = f"/v1/jobs/{job['id']}/candidate-ranking"
    ranking = (await client.get(url, headers=tenant.headers)).json()
    order = [entry["application_id"] for entry in ranking["items"]]
    assert order == [strong["application"]["id"], untested["id"], weak["application"]["id"]]
    first, middle, last = ranking["items"]
    assert first["evidence"]["assessment"] == 100.0
    assert any("in the assessment" in text for text in first["lifted"])
    assert any("No scored assessment yet" in text for text in middle["missing"])
    assert any("in the assessment" in text for text in last["lowered"])
    page = (await client.get(url, headers=tenant.headers, params={"limit": 2})).json()
    assert [e["application_id"] for e in page["items"]] == order[:2]
    rest = (
        await client.get(url, headers=tenant.headers, params={"limit": 2, "cursor": page["next_cursor"]})
    ).json()
    assert [e["application_id"] for e in rest["items"]] == order[2:]
    assert rest["next_cursor"] is None
    weights = await client.put(
        f"/v1/jobs/{job['id']}/ranking-weights",
        headers=tenant.headers,
        json={"assessment": 0, "match": 1, "scorecards": 0},
    )
    assert weights.status_code == 200
    assert weights.json() == {"assessment": 0.0, "match": 1.0, "scorecards": 0.0}
    # JSON booleans are not numbers: false was read as 0 and saved (found by schemathesis).
    boolean = await client.put(
        f"/v1/jobs/{job['id']}/ranking-weights",
        headers=tenant.headers,
        json={"assessment": 1, "match": False, "scorecards": 0},
    )
    assert boolean.status_code == 422, boolean.text
    moved = (await client.get(url, headers=tenant.headers, params={"stage": "Applied"})).json()
    assert {e["stage"] for e in moved["items"]} <= {"Applied"}


async def test_sql_answers_say_why_a_query_would_fail_without_showing_data(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    job = await job_with_blueprint(client, app, tenant)
    document = dict(job["blueprint"]["document"])
    document["skills"] = [{"skill_id": "sql", "name": "SQL", "weight": 1, "items": 2, "proficiency": 4}]
    document["item_types"] = ["sql"]
    url = f"/v1/jobs/{job['id']}/assessment-blueprint"
    changed = await client.put(
        url, headers={**tenant.headers, "If-Match": job["blueprint_etag"]}, json=document
    )
    assert changed.status_code == 200, changed.text
    invitation = await invite(client, app, tenant, job)
    token = invitation["token"]
    await start(client, token)
    key = await answer_key(client, tenant, invitation["session"]["id"])
    position, content = next(iter(key.items()))
    answers = f"/v1/assessment-links/{token}/answers/{position}"
    good = await client.put(answers, json={"answer": {"query": content["solution"]}})
    assert good.status_code == 200
    assert good.json()["errors"] == []
    for hostile in (
        "ATTACH DATABASE '/tmp/x.db' AS x",
        "SELECT load_extension('x')",
        "PRAGMA table_info(x)",
        "DROP TABLE x",
        "SELECT 1; SELECT 2",
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c",
        "SELEC nothing",
    ):
        saved = await client.put(answers, json={"answer": {"query": hostile}})
        assert saved.status_code == 200, hostile
        assert saved.json()["errors"], hostile
    huge = await client.put(answers, json={"answer": {"query": "SELECT '" + "x" * 6000 + "'"}})
    assert huge.status_code == 422
    # The server is fine: the right answer still scores in full.
    await client.put(answers, json={"answer": {"query": content["solution"]}})
    await answer_all(client, token, key)
    assert (await client.post(f"/v1/assessment-links/{token}/submit")).status_code == 200
    result = (
        await client.get(
            f"/v1/assessments/sessions/{invitation['session']['id']}/result", headers=tenant.headers
        )
    ).json()
    assert result["total"] == 100.0


async def test_integrity_signals_are_recorded_and_shown_with_their_limits(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    job = await job_with_blueprint(client, app, tenant)
    invitation = await invite(client, app, tenant, job)
    token, session_id = invitation["token"], invitation["session"]["id"]
    before = await client.post(f"/v1/assessment-links/{token}/signals", json={"kind": "paste"})
    assert before.status_code == 204  # before the start: accepted, not recorded
    await start(client, token)
    for kind in ("focus_lost", "focus_lost", "paste"):
        sent = await client.post(f"/v1/assessment-links/{token}/signals", json={"kind": kind, "position": 0})
        assert sent.status_code == 204
    refused = await client.post(f"/v1/assessment-links/{token}/signals", json={"kind": "screenshot"})
    assert refused.status_code == 422
    key = await answer_key(client, tenant, session_id)
    moved = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=("198.51.100.99", 4000)),
        base_url="http://rolecall.test",
    )
    async with moved:
        await answer_all(moved, token, key)
    await client.post(f"/v1/assessment-links/{token}/submit")
    result = (
        await client.get(f"/v1/assessments/sessions/{session_id}/result", headers=tenant.headers)
    ).json()
    signals = {s["kind"]: s for s in result["signals"]}
    assert signals["focus_lost"]["count"] == 2
    assert signals["paste"]["count"] == 1
    assert signals["address_changed"]["count"] == 1
    assert all(s["limits"] for s in result["signals"])
    assert "198.51.100" not in str(result)
    assert result["total"] == 100.0  # signals never change a score
    assert all(i["seconds_to_first_answer"] is not None for i in result["items"])


async def test_two_first_invitations_at_once_both_succeed(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    """Both create the job's assessment settings on first read; the loser of that race reads the
    winner's row instead of failing."""
    import asyncio

    job = await job_with_blueprint(client, app, tenant)
    first, second = [await create_application(client, app, tenant, job) for _ in range(2)]
    answers = await asyncio.gather(
        *(
            client.post(
                "/v1/assessments/invitations", headers=tenant.headers, json={"application_id": a["id"]}
            )
            for a in (first, second)
        )
    )
    assert [a.status_code for a in answers] == [201, 201], [a.text for a in answers]
