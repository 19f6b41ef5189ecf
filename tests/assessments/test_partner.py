"""Rolecall as an assessment partner: the Greenhouse contract's calls, its keys, and the completion
callback. Every response is checked field by field against the contract."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.assessments import outbound, partner
from rolecall.assessments.models import AssessmentPartnerKey, AssessmentSession
from rolecall.audit.models import AuditEntry
from rolecall.platform.db import transaction
from rolecall.platform.pii import PiiDecryptionError
from rolecall.platform.tenancy import all_tenants, bind_organisation
from tests.assessments.partner_support import (
    BASE,
    PARTNER_BASE,
    basic,
    partner_key,
    send_test,
    take_test,
)
from tests.assessments.support import job_with_blueprint
from tests.conftest import FrozenClock
from tests.factories import Tenant
from tests.platform.problems import assert_problem

ATS = "https://ats.example.com/take_home_tests/12345"


async def stored_session(
    sessionmaker: async_sessionmaker[AsyncSession], session_id: str
) -> AssessmentSession:
    async with transaction(sessionmaker) as session:
        stmt = select(AssessmentSession).where(AssessmentSession.id == uuid.UUID(session_id))
        record = (await session.scalars(stmt.execution_options(**all_tenants()))).one()
    return record


async def ordered(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, *, url: str | None = ATS
) -> dict[str, Any]:
    """A job with a blueprint, a partner key, and one test sent through the contract."""
    job = await job_with_blueprint(client, app, tenant)
    key = (await partner_key(client, tenant))["key"]
    response = await send_test(client, key, job["blueprint"]["id"], url)
    assert response.status_code == 200, response.text
    body = response.json()
    return {"job": job, "key": key, "sent": body, "token": body["test_url"].rsplit("/", 1)[1]}


# --- keys ---------------------------------------------------------------------------------------------


async def test_a_key_is_shown_once_stored_as_its_sha256_and_revoked_at_once(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    response = await client.post(
        "/v1/assessments/partner-keys", headers=tenant.headers, json={"name": " Greenhouse "}
    )
    assert response.status_code == 201, response.text
    assert response.headers["cache-control"] == "no-store"
    created = response.json()
    key = created["key"]
    assert key.startswith("rcpk_")
    assert 40 <= len(key) < 171
    assert created["name"] == "Greenhouse"
    assert created["prefix"] == key[:12]
    assert created["revoked_at"] is None
    assert response.headers["location"] == f"/v1/assessments/partner-keys/{created['id']}"

    listed = await client.get("/v1/assessments/partner-keys", headers=tenant.headers)
    assert [k["id"] for k in listed.json()] == [created["id"]]
    assert key not in listed.text
    assert "key" not in listed.json()[0]
    async with transaction(sessionmaker) as session:
        bind_organisation(session, tenant.organisation_id)
        stored = (await session.scalars(select(AssessmentPartnerKey))).one()
    assert stored.key_hash == hashlib.sha256(key.encode()).hexdigest()

    assert (await client.get(f"{PARTNER_BASE}/list_tests", headers=basic(key))).status_code == 200
    revoked = await client.delete(f"/v1/assessments/partner-keys/{created['id']}", headers=tenant.headers)
    assert revoked.status_code == 204
    assert (
        await client.delete(f"/v1/assessments/partner-keys/{created['id']}", headers=tenant.headers)
    ).status_code == 204
    refused = await client.get(f"{PARTNER_BASE}/list_tests", headers=basic(key))
    assert_problem(refused, 401, "unauthorized")
    listed = await client.get("/v1/assessments/partner-keys", headers=tenant.headers)
    assert listed.json()[0]["revoked_at"] is not None


async def test_another_organisation_cannot_revoke_a_key(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    created = await partner_key(client, tenant)
    response = await client.delete(
        f"/v1/assessments/partner-keys/{created['id']}", headers=other_tenant.headers
    )
    assert_problem(response, 404, "not-found")
    assert (await client.get(f"{PARTNER_BASE}/list_tests", headers=basic(created["key"]))).status_code == 200


# --- list_tests ---------------------------------------------------------------------------------------


async def test_list_tests_answers_the_contracts_fields_for_the_keys_organisation_only(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, other_tenant: Tenant
) -> None:
    job = await job_with_blueprint(client, app, tenant)
    await job_with_blueprint(client, app, other_tenant)
    key = (await partner_key(client, tenant))["key"]

    response = await client.get(f"{PARTNER_BASE}/list_tests", headers=basic(key))

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    tests = response.json()
    assert isinstance(tests, list)
    assert tests == [
        {"partner_test_id": job["blueprint"]["id"], "partner_test_name": job["blueprint"]["title"]}
    ]
    assert all(isinstance(v, str) for v in tests[0].values())


# --- send_test ----------------------------------------------------------------------------------------


async def test_send_test_creates_a_partner_session_with_the_contact_sealed(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    job = await job_with_blueprint(client, app, tenant)
    key = (await partner_key(client, tenant))["key"]

    response = await send_test(
        client,
        key,
        job["blueprint"]["id"],
        ATS,
        email="ada.lovelace@example.com",
        phone_number="+44 20 7946 0000",
        greenhouse_profile_url="https://app.greenhouse.io/people/1?application_id=2",
    )

    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert set(body) == {"partner_interview_id", "test_url"}
    assert isinstance(body["partner_interview_id"], str)
    assert body["test_url"].startswith(f"{BASE}/assessments/")
    record = await stored_session(sessionmaker, body["partner_interview_id"])
    assert record.organisation_id == tenant.organisation_id
    assert record.source == "partner"
    assert (record.application_id, record.candidate_id, record.job_id) == (None, None, None)
    assert record.status == "invited"
    assert record.partner is not None
    assert record.partner["callback_url"] == ATS
    assert record.partner["partner_test_id"] == job["blueprint"]["id"]
    assert record.contact is not None
    assert "ada.lovelace" not in record.contact
    assert "Lovelace" not in json.dumps(record.partner)
    details = partner.sealed_details(app.state.pii_keyring, record)
    assert details["first_name"] == "Ada"
    assert details["last_name"] == "Lovelace"
    assert details["email"] == "ada.lovelace@example.com"
    assert details["profile_url"] == "https://app.greenhouse.io/people/1?application_id=2"
    assert details["callback_key"] == key
    assert "phone_number" not in details
    assert "+44" not in json.dumps(details)
    with pytest.raises(PiiDecryptionError):
        app.state.pii_keyring.decrypt(record.contact, context=f"assessment_session:{uuid.uuid4()}:contact")

    link = await client.get(f"/v1/assessment-links/{body['test_url'].rsplit('/', 1)[1]}")
    assert link.status_code == 200, link.text
    assert link.json()["status"] == "invited"


async def test_send_test_refuses_an_unknown_test_and_a_callback_inside_the_network(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, other_tenant: Tenant
) -> None:
    job = await job_with_blueprint(client, app, tenant)
    theirs = await job_with_blueprint(client, app, other_tenant)
    key = (await partner_key(client, tenant))["key"]

    for test_id in ("not-a-uuid", str(uuid.uuid4()), theirs["blueprint"]["id"]):
        assert_problem(await send_test(client, key, test_id, ATS), 404, "not-found")
    for url in (
        "http://ats.example.com/cb",
        "https://127.0.0.1/cb",
        "https://10.1.2.3/cb",
        "https://[::1]/cb",
    ):
        refused = assert_problem(await send_test(client, key, job["blueprint"]["id"], url), 422)
        assert refused["errors"][0]["field"] == "url"
    missing = await client.post(
        f"{PARTNER_BASE}/send_test", headers=basic(key), json={"partner_test_id": job["blueprint"]["id"]}
    )
    assert_problem(missing, 422, "validation-error")
    no_callback = await send_test(client, key, job["blueprint"]["id"])
    assert no_callback.status_code == 200, no_callback.text


# --- test_status --------------------------------------------------------------------------------------


async def status_of(client: httpx.AsyncClient, key: str, interview_id: str) -> dict[str, Any]:
    response = await client.get(
        f"{PARTNER_BASE}/test_status", headers=basic(key), params={"partner_interview_id": interview_id}
    )
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body: dict[str, Any] = response.json()
    assert set(body) == {"partner_status", "partner_profile_url", "partner_score", "metadata"}
    assert isinstance(body["metadata"], dict)
    assert all(v is None or isinstance(v, str | int | float) for v in body["metadata"].values())
    return body


async def test_test_status_follows_the_session_to_complete_with_score_report_and_metadata(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    order = await ordered(client, app, tenant)
    interview_id = order["sent"]["partner_interview_id"]

    sent = await status_of(client, order["key"], interview_id)
    assert sent["partner_status"] == "sent"
    assert sent["partner_profile_url"] is None
    assert sent["partner_score"] is None
    assert sent["metadata"]["Status"] == "invited"
    assert sent["metadata"]["Started At"] is None

    await client.post(f"/v1/assessment-links/{order['token']}/start")
    started = await status_of(client, order["key"], interview_id)
    assert started["partner_status"] == "started"
    assert started["partner_score"] is None
    assert datetime.fromisoformat(started["metadata"]["Started At"])

    scored = await take_test(client, tenant, interview_id, order["token"])
    complete = await status_of(client, order["key"], interview_id)
    assert complete["partner_status"] == "complete"
    assert complete["partner_profile_url"] == f"{BASE}/app/assessments/sessions/{interview_id}"
    assert complete["partner_score"] == scored["total"]
    assert isinstance(complete["partner_score"], float)
    metadata = complete["metadata"]
    assert metadata["Status"] == "scored"
    assert metadata["Percentile"] == 50.0  # the only taker of this version: the middle of a tie of one
    assert metadata["Answers Awaiting Marking"] == 0
    assert metadata["Questions"] == scored["items"]
    assert datetime.fromisoformat(metadata["Completed At"])
    skills = [k for k in metadata if k.startswith("Skill: ")]
    assert skills
    assert all(isinstance(metadata[k], float) for k in skills)


async def test_test_status_of_a_staff_invitation_or_an_unknown_id_is_not_found(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    order = await ordered(client, app, tenant)
    staff = await client.post(
        "/v1/assessments/invitations",
        headers=tenant.headers,
        json={"application_id": (await _application(client, app, tenant, order["job"]))["id"]},
    )
    assert staff.status_code == 201, staff.text
    for interview_id in (staff.json()["session"]["id"], str(uuid.uuid4()), "12345"):
        response = await client.get(
            f"{PARTNER_BASE}/test_status",
            headers=basic(order["key"]),
            params={"partner_interview_id": interview_id},
        )
        assert_problem(response, 404, "not-found")


async def _application(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, job: dict[str, Any]
) -> dict[str, Any]:
    from tests.factories import create_application

    return await create_application(client, app, tenant, job)


# --- credentials ---------------------------------------------------------------------------------------


async def test_anything_wrong_with_the_credentials_is_the_same_401_and_no_data(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    order = await ordered(client, app, tenant)
    revoked = await partner_key(client, tenant, "Old ATS")
    await client.delete(f"/v1/assessments/partner-keys/{revoked['id']}", headers=tenant.headers)
    wrong: list[dict[str, str]] = [
        {},
        tenant.headers,
        {"Authorization": "Basic"},
        {"Authorization": "Basic !!!not-base64!!!"},
        {"Authorization": "Digest username=x"},
        basic(order["key"], "a-password"),
        basic(order["key"][:-1] + ("A" if order["key"][-1] != "A" else "B")),
        basic("rcpk_" + "x" * 43),
        basic(revoked["key"]),
        basic(""),
    ]
    interview = {"partner_interview_id": order["sent"]["partner_interview_id"]}
    bodies = set()
    for headers in wrong:
        for method, path, kwargs in (
            ("GET", "list_tests", {}),
            ("GET", "test_status", {"params": interview}),
            ("POST", "send_test", {"json": {"partner_test_id": order["job"]["blueprint"]["id"]}}),
            ("POST", "response_error", {"json": {"api_call": "list_tests", "errors": []}}),
        ):
            response = await client.request(method, f"{PARTNER_BASE}/{path}", headers=headers, **kwargs)
            problem = assert_problem(response, 401, "unauthorized")
            assert response.headers["www-authenticate"].startswith(
                'Basic realm="rolecall-assessment-partner"'
            )
            assert order["job"]["blueprint"]["title"] not in response.text
            bodies.add(json.dumps(problem, sort_keys=True))
    assert len(bodies) == 1


async def test_another_organisations_key_sees_none_of_this_organisations_tests(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, other_tenant: Tenant
) -> None:
    order = await ordered(client, app, tenant)
    theirs = (await partner_key(client, other_tenant))["key"]

    listed = await client.get(f"{PARTNER_BASE}/list_tests", headers=basic(theirs))
    assert listed.status_code == 200
    assert listed.json() == []
    response = await client.get(
        f"{PARTNER_BASE}/test_status",
        headers=basic(theirs),
        params={"partner_interview_id": order["sent"]["partner_interview_id"]},
    )
    assert_problem(response, 404, "not-found")
    sent = await send_test(client, theirs, order["job"]["blueprint"]["id"], ATS)
    assert_problem(sent, 404, "not-found")


async def test_keys_are_managed_by_staff_with_assessments_write_only(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    from tests.factories import create_user

    _, token = await create_user(client, tenant, "interviewer")
    headers = {"Authorization": f"Bearer {token}"}
    assert_problem(
        await client.post("/v1/assessments/partner-keys", headers=headers, json={"name": "x"}),
        403,
        "forbidden",
    )
    assert_problem(await client.get("/v1/assessments/partner-keys", headers=headers), 403, "forbidden")


# --- response_error ------------------------------------------------------------------------------------


async def test_response_error_is_acknowledged_and_audited_without_the_email(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    key = await partner_key(client, tenant)
    response = await client.post(
        f"{PARTNER_BASE}/response_error",
        headers=basic(key["key"]),
        json={
            "api_call": "test_status",
            "errors": ["partner_status is 'complete' but partner_profile_url is missing"],
            "partner_test_id": 12345,
            "partner_test_name": "Backend",
            "partner_interview_id": 299506,
            "candidate_email": "grace@example.com",
        },
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"status": 200}
    async with transaction(sessionmaker) as session:
        bind_organisation(session, tenant.organisation_id)
        stmt = select(AuditEntry).where(AuditEntry.action == "assessment.partner_error_reported")
        entry = (await session.scalars(stmt)).one()
    assert entry.actor == f"client:{key['id']}"
    assert entry.details == {"api_call": "test_status", "error_count": 1}
    assert "grace@" not in json.dumps(entry.details)


# --- the completion callback ----------------------------------------------------------------------------


class Recorder:
    """A partner's side of the network: records each request and answers with the queued statuses."""

    def __init__(self, *statuses: int) -> None:
        self.statuses = list(statuses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(self.statuses.pop(0) if self.statuses else 200)


def policy(recorder: Recorder) -> outbound.Outbound:
    return outbound.outbound_policy(("ats.example.com",), transport=httpx.MockTransport(recorder))


async def test_the_completion_callback_is_a_patch_with_the_key_retried_until_it_succeeds(
    client: httpx.AsyncClient,
    app: FastAPI,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FrozenClock,
) -> None:
    order = await ordered(client, app, tenant)
    interview_id = order["sent"]["partner_interview_id"]
    keyring = app.state.pii_keyring
    recorder = Recorder(503, 204)

    assert await partner.deliver_callbacks(sessionmaker, keyring, policy(recorder)) == {
        "partner_callbacks_delivered": 0,
        "partner_callbacks_failed": 0,
    }
    assert recorder.requests == []  # nothing is due before the test is scored

    await take_test(client, tenant, interview_id, order["token"])
    failed = await partner.deliver_callbacks(sessionmaker, keyring, policy(recorder))
    assert failed == {"partner_callbacks_delivered": 0, "partner_callbacks_failed": 1}
    record = await stored_session(sessionmaker, interview_id)
    assert record.partner is not None
    assert record.partner["callback"]["attempts"] == 1
    assert "503" in record.partner["callback"]["last_error"]

    again = await partner.deliver_callbacks(sessionmaker, keyring, policy(recorder))
    assert again["partner_callbacks_failed"] + again["partner_callbacks_delivered"] == 0  # still pausing

    clock.advance(minutes=3)
    delivered = await partner.deliver_callbacks(sessionmaker, keyring, policy(recorder))
    assert delivered == {"partner_callbacks_delivered": 1, "partner_callbacks_failed": 0}
    assert len(recorder.requests) == 2
    for request in recorder.requests:
        assert request.method == "PATCH"
        assert str(request.url) == ATS
        assert request.headers["authorization"] == basic(order["key"])["Authorization"]
        assert request.content == b""
    clock.advance(hours=2)
    assert (await partner.deliver_callbacks(sessionmaker, keyring, policy(recorder)))[
        "partner_callbacks_delivered"
    ] == 0
    assert len(recorder.requests) == 2


async def test_the_callback_stops_when_the_key_is_revoked_or_the_url_turns_inward(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    keyring = app.state.pii_keyring
    order = await ordered(client, app, tenant)
    interview_id = order["sent"]["partner_interview_id"]
    await take_test(client, tenant, interview_id, order["token"])
    keys = (await client.get("/v1/assessments/partner-keys", headers=tenant.headers)).json()
    await client.delete(f"/v1/assessments/partner-keys/{keys[0]['id']}", headers=tenant.headers)
    recorder = Recorder()

    await partner.deliver_callbacks(sessionmaker, keyring, policy(recorder))

    assert recorder.requests == []
    record = await stored_session(sessionmaker, interview_id)
    assert record.partner is not None
    assert record.partner["callback"]["abandoned"] is True

    # A URL accepted at send time (its host was allow-listed then) and refused when called stops too.
    app.state.assessment_outbound = outbound.outbound_policy(["ats.internal"])
    fresh = (await partner_key(client, tenant, "New ATS"))["key"]
    sent = await send_test(
        client, fresh, order["job"]["blueprint"]["id"], "http://ats.internal/take_home_tests/1"
    )
    assert sent.status_code == 200, sent.text
    inward = {"sent": sent.json(), "token": sent.json()["test_url"].rsplit("/", 1)[1]}
    await take_test(client, tenant, inward["sent"]["partner_interview_id"], inward["token"])
    counts = await partner.deliver_callbacks(
        sessionmaker, keyring, outbound.Outbound(transport=httpx.MockTransport(recorder))
    )
    assert counts == {"partner_callbacks_delivered": 0, "partner_callbacks_failed": 1}
    assert recorder.requests == []
    record = await stored_session(sessionmaker, inward["sent"]["partner_interview_id"])
    assert record.partner is not None
    assert record.partner["callback"]["abandoned"] is True
    assert "https" in record.partner["callback"]["last_error"]
