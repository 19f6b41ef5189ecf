"""Rolecall as the hiring system: external vendors, their tests on a job, invitations sent by the worker,
results by the vendor's completion call and by polling, and the whole loop with Rolecall as its own
vendor (one organisation ordering another organisation's test on the same server, no network)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.assessments import outbound, partner, vendor_polling, vendors
from rolecall.assessments.models import AssessmentSession, AssessmentVendor
from rolecall.audit.models import AuditEntry
from rolecall.platform.db import transaction
from rolecall.platform.events.models import OutboxEvent
from rolecall.platform.tenancy import all_tenants, bind_organisation
from tests.assessments.partner_support import (
    BASE,
    PARTNER_BASE,
    basic,
    loopback,
    partner_key,
    take_test,
)
from tests.assessments.support import job_with_blueprint
from tests.conftest import FrozenClock
from tests.factories import Tenant, create_application, deliver, login, move_application, open_job
from tests.platform.problems import assert_problem

VENDOR = "http://vendor.test/api"


class FakeVendor:
    """A vendor's side of the network: records requests, answers each contract call from a script."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.tests: Any = [{"partner_test_id": 12345, "partner_test_name": "Backend, senior"}]
        self.sent: Any = {"partner_interview_id": 98765}
        self.status: Any = {"partner_status": "pending"}
        self.code = 200

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answers = {
            "/api/list_tests": self.tests,
            "/api/send_test": self.sent,
            "/api/test_status": self.status,
        }
        return httpx.Response(self.code, json=answers.get(request.url.path, {}))

    def policy(self) -> outbound.Outbound:
        return outbound.outbound_policy(["vendor.test"], transport=httpx.MockTransport(self))


async def register(
    client: httpx.AsyncClient, tenant: Tenant, base_url: str = VENDOR, api_key: str = "vendor-key-1"
) -> httpx.Response:
    return await client.post(
        "/v1/assessments/vendors",
        headers=tenant.headers,
        json={"name": "Acme Tests", "base_url": base_url, "api_key": api_key},
    )


async def stored(sessionmaker: async_sessionmaker[AsyncSession], model: Any, row_id: str) -> Any:
    async with transaction(sessionmaker) as session:
        stmt = select(model).where(model.id == uuid.UUID(row_id)).execution_options(**all_tenants())
        return (await session.scalars(stmt)).one()


async def vendor_job(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, fake: FakeVendor
) -> dict[str, Any]:
    """A registered fake vendor, an open job using its test, and an application in the assessment stage."""
    app.state.assessment_outbound = fake.policy()
    vendor = (await register(client, tenant)).json()
    job = await open_job(client, app, tenant)
    chosen = await client.put(
        f"/v1/jobs/{job['id']}/assessment-vendor",
        headers=tenant.headers,
        json={"vendor_id": vendor["id"], "vendor_test_id": "12345"},
    )
    assert chosen.status_code == 200, chosen.text
    application = await create_application(client, app, tenant, job, full_name="Grace Brewster Hopper")
    await move_application(client, tenant, application, "Skills assessment")
    await deliver(app)
    sessions = await client.get(
        "/v1/assessments/sessions", headers=tenant.headers, params={"application_id": application["id"]}
    )
    (queued,) = sessions.json()["items"]
    return {"vendor": vendor, "job": job, "application": application, "session": queued}


async def wake(client: httpx.AsyncClient, tenant: Tenant, clock: FrozenClock, **delta: float) -> None:
    """Let time pass, and sign in again: the staff token would have run out meanwhile."""
    clock.advance(**delta)
    tenant.token = (await login(client, tenant.admin_email))["access_token"]


async def poll(app: FastAPI, policy: outbound.Outbound) -> dict[str, int]:
    return await vendor_polling.poll_vendor_sessions(
        app.state.sessionmaker, app.state.pii_keyring, app.state.blind_index, policy, base=BASE
    )


async def vendor_view(client: httpx.AsyncClient, tenant: Tenant, session_id: str) -> dict[str, Any]:
    response = await client.get(f"/v1/assessments/sessions/{session_id}/vendor", headers=tenant.headers)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body: dict[str, Any] = response.json()
    return body


# --- vendors ----------------------------------------------------------------------------------------------


async def test_a_vendors_key_is_sealed_never_shown_and_the_vendor_edited_with_if_match(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    response = await register(client, tenant, "https://tests.example.net/api/", "s3cret-vendor-key")

    assert response.status_code == 201, response.text
    vendor = response.json()
    assert set(vendor) == {"id", "name", "base_url", "enabled", "created_at", "updated_at"}
    assert vendor["base_url"] == "https://tests.example.net/api"
    assert vendor["enabled"] is True
    assert response.headers["location"] == f"/v1/assessments/vendors/{vendor['id']}"
    row = await stored(sessionmaker, AssessmentVendor, vendor["id"])
    assert "s3cret" not in row.api_key
    context = vendors.api_key_context(row.id)
    assert app.state.pii_keyring.decrypt(row.api_key, context=context) == "s3cret-vendor-key"
    listed = await client.get("/v1/assessments/vendors", headers=tenant.headers)
    assert [v["id"] for v in listed.json()] == [vendor["id"]]
    assert "s3cret" not in listed.text

    url = f"/v1/assessments/vendors/{vendor['id']}"
    read = await client.get(url, headers=tenant.headers)
    assert_problem(await client.patch(url, headers=tenant.headers, json={"enabled": False}), 428)
    stale = await client.patch(url, headers={**tenant.headers, "If-Match": '"old"'}, json={"enabled": False})
    assert_problem(stale, 412)
    changed = await client.patch(
        url,
        headers={**tenant.headers, "If-Match": read.headers["etag"]},
        json={"enabled": False, "api_key": "rotated-key"},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["enabled"] is False
    assert changed.headers["etag"] != read.headers["etag"]
    row = await stored(sessionmaker, AssessmentVendor, vendor["id"])
    assert app.state.pii_keyring.decrypt(row.api_key, context=context) == "rotated-key"


async def test_a_vendor_url_that_is_not_public_https_is_refused(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    for base_url in (
        "http://tests.example.net/api",
        "https://127.0.0.1/api",
        "https://192.168.0.10/api",
        "https://user:pw@tests.example.net/api",
        "https://tests.example.net/api?key=1",
    ):
        problem = assert_problem(await register(client, tenant, base_url), 422)
        assert problem["errors"][0]["field"] == "base_url", base_url


async def test_another_organisation_sees_none_of_the_vendors(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    vendor = (await register(client, tenant, "https://tests.example.net/api")).json()
    assert (await client.get("/v1/assessments/vendors", headers=other_tenant.headers)).json() == []
    theirs = await client.get(f"/v1/assessments/vendors/{vendor['id']}", headers=other_tenant.headers)
    assert_problem(theirs, 404, "not-found")


async def test_the_vendors_tests_are_read_with_its_key(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    fake = FakeVendor()
    app.state.assessment_outbound = fake.policy()
    vendor = (await register(client, tenant)).json()

    response = await client.get(f"/v1/assessments/vendors/{vendor['id']}/tests", headers=tenant.headers)

    assert response.status_code == 200, response.text
    assert response.json() == [{"partner_test_id": "12345", "partner_test_name": "Backend, senior"}]
    (request,) = fake.requests
    assert request.method == "GET"
    assert str(request.url) == f"{VENDOR}/list_tests"
    assert request.headers["authorization"] == basic("vendor-key-1")["Authorization"]
    fake.code = 500
    failed = await client.get(f"/v1/assessments/vendors/{vendor['id']}/tests", headers=tenant.headers)
    assert_problem(failed, 409, "conflict")


async def test_a_job_names_one_enabled_vendor_and_its_test(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, other_tenant: Tenant
) -> None:
    vendor = (await register(client, tenant, "https://tests.example.net/api")).json()
    job = await open_job(client, app, tenant)
    url = f"/v1/jobs/{job['id']}/assessment-vendor"

    chosen = await client.put(
        url, headers=tenant.headers, json={"vendor_id": vendor["id"], "vendor_test_id": "7"}
    )
    assert chosen.status_code == 200, chosen.text
    assert chosen.json() == {
        "job_id": job["id"],
        "vendor_id": vendor["id"],
        "vendor_test_id": "7",
        "auto_invite": True,
    }
    no_test = await client.put(url, headers=tenant.headers, json={"vendor_id": vendor["id"]})
    assert assert_problem(no_test, 422)["errors"][0]["field"] == "vendor_test_id"
    unknown = await client.put(
        url, headers=tenant.headers, json={"vendor_id": str(uuid.uuid4()), "vendor_test_id": "7"}
    )
    assert_problem(unknown, 404, "not-found")
    foreign = await client.put(
        url, headers=other_tenant.headers, json={"vendor_id": vendor["id"], "vendor_test_id": "7"}
    )
    assert_problem(foreign, 404, "not-found")
    read = await client.get(f"/v1/assessments/vendors/{vendor['id']}", headers=tenant.headers)
    await client.patch(
        f"/v1/assessments/vendors/{vendor['id']}",
        headers={**tenant.headers, "If-Match": read.headers["etag"]},
        json={"enabled": False},
    )
    disabled = await client.put(
        url, headers=tenant.headers, json={"vendor_id": vendor["id"], "vendor_test_id": "7"}
    )
    assert_problem(disabled, 409, "conflict")
    cleared = await client.put(url, headers=tenant.headers, json={"vendor_id": None})
    assert cleared.json()["vendor_id"] is None
    assert cleared.json()["vendor_test_id"] is None


# --- invitations, results ---------------------------------------------------------------------------------


async def test_entering_the_assessment_stage_queues_the_vendor_test_and_the_worker_sends_it(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    fake = FakeVendor()
    setup = await vendor_job(client, app, tenant, fake)
    queued = setup["session"]
    assert queued["source"] == "vendor"
    assert queued["status"] == "invited"
    assert queued["blueprint_id"] == setup["vendor"]["id"]
    assert queued["items"] == 0
    assert (await vendor_view(client, tenant, queued["id"]))["state"] == "queued"
    assert fake.requests == []  # nothing leaves from the event handler
    await deliver(app)  # a redelivery queues nothing more
    again = await client.get(
        "/v1/assessments/sessions",
        headers=tenant.headers,
        params={"application_id": setup["application"]["id"]},
    )
    assert len(again.json()["items"]) == 1

    counts = await poll(app, fake.policy())

    assert counts["vendor_tests_sent"] == 1
    (request,) = fake.requests
    assert request.method == "POST"
    assert str(request.url) == f"{VENDOR}/send_test"
    assert request.headers["authorization"] == basic("vendor-key-1")["Authorization"]
    body = json.loads(request.content)
    assert set(body) == {"partner_test_id", "candidate", "url"}
    assert body["partner_test_id"] == "12345"
    candidate = body["candidate"]
    assert set(candidate) == {"first_name", "last_name", "email", "greenhouse_profile_url"}
    assert (candidate["first_name"], candidate["last_name"]) == ("Grace Brewster", "Hopper")
    assert candidate["email"].startswith("ada-")  # the factory's address for the candidate
    assert (
        candidate["greenhouse_profile_url"] == f"{BASE}/app/candidates/{setup['application']['candidate_id']}"
    )
    signature = vendors.callback_signature(
        app.state.blind_index, uuid.UUID(setup["vendor"]["id"]), uuid.UUID(queued["id"])
    )
    assert (
        body["url"] == f"{BASE}/partner/vendors/{setup['vendor']['id']}/callback/{queued['id']}/{signature}"
    )
    view = await vendor_view(client, tenant, queued["id"])
    assert view["state"] == "sent"
    assert view["partner_interview_id"] == "98765"
    assert view["test_url"] is None
    async with transaction(sessionmaker) as session:
        bind_organisation(session, tenant.organisation_id)
        stmt = select(AuditEntry).where(AuditEntry.action == "assessment.vendor_invited")
        (entry,) = (await session.scalars(stmt)).all()
    assert entry.details == {"vendor_id": setup["vendor"]["id"]}

    assert (await poll(app, fake.policy()))["vendor_tests_checked"] == 0  # polled hourly, not at once
    assert len(fake.requests) == 1


async def test_the_completion_call_is_signed_per_session_and_only_makes_us_ask(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, other_tenant: Tenant
) -> None:
    fake = FakeVendor()
    setup = await vendor_job(client, app, tenant, fake)
    session_id, vendor_id = setup["session"]["id"], setup["vendor"]["id"]
    await poll(app, fake.policy())
    good = json.loads(fake.requests[0].content)["url"].removeprefix(BASE)
    signature = good.rsplit("/", 1)[1]

    for path in (
        good[:-1] + ("0" if good[-1] != "0" else "1"),
        f"/partner/vendors/{vendor_id}/callback/{uuid.uuid4()}/{signature}",
        f"/partner/vendors/{uuid.uuid4()}/callback/{session_id}/{signature}",
        f"/partner/vendors/{vendor_id}/callback/{session_id}/",
    ):
        response = await client.patch(path)
        assert response.status_code == 404, (path, response.text)
    assert (await vendor_view(client, tenant, session_id))["state"] == "sent"
    assert (await poll(app, fake.policy()))["vendor_tests_checked"] == 0

    called = await client.patch(good, headers=basic("vendor-key-1"))
    assert called.status_code == 204
    assert called.content == b""
    assert (await client.patch(good)).status_code == 204  # repeating it changes nothing
    fake.status = {"partner_status": "in_progress", "partner_profile_url": None, "partner_score": None}
    counts = await poll(app, fake.policy())
    assert counts["vendor_tests_checked"] == 1
    status_request = fake.requests[-1]
    assert status_request.method == "GET"
    assert str(status_request.url) == f"{VENDOR}/test_status?partner_interview_id=98765"
    view = await vendor_view(client, tenant, session_id)
    assert view["vendor_status"] == "in_progress"
    assert view["status"] == "invited"
    foreign = await client.get(f"/v1/assessments/sessions/{session_id}/vendor", headers=other_tenant.headers)
    assert_problem(foreign, 404, "not-found")


async def test_a_complete_status_is_stored_as_evidence_and_announced(
    client: httpx.AsyncClient,
    app: FastAPI,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FrozenClock,
) -> None:
    fake = FakeVendor()
    setup = await vendor_job(client, app, tenant, fake)
    session_id = setup["session"]["id"]
    await poll(app, fake.policy())
    fake.status = {
        "partner_status": "complete",
        "partner_profile_url": "https://vendor.example/results/98765",
        "partner_score": 81,
        "metadata": {"Completed At": "10:15 AM 26 March 2025", "Notes": "Careful work", "nested": {"x": 1}},
    }
    await wake(client, tenant, clock, minutes=61)

    counts = await poll(app, fake.policy())

    assert counts["vendor_tests_completed"] == 1
    read = (await client.get(f"/v1/assessments/sessions/{session_id}", headers=tenant.headers)).json()
    assert read["status"] == "scored"
    assert read["total"] == 81.0
    view = await vendor_view(client, tenant, session_id)
    assert view["state"] == "complete"
    assert view["report_url"] == "https://vendor.example/results/98765"
    assert view["partner_score"] == 81
    assert view["metadata"] == {"Completed At": "10:15 AM 26 March 2025", "Notes": "Careful work"}
    row = await stored(sessionmaker, AssessmentSession, session_id)
    assert "Careful work" not in json.dumps(row.partner)
    assert row.contact is not None
    assert "Careful" not in row.contact
    async with transaction(sessionmaker) as session:
        stmt = (
            select(OutboxEvent)
            .where(
                OutboxEvent.subject == f"assessment-sessions/{session_id}",
                OutboxEvent.type == "assessment.scored",
            )
            .execution_options(**all_tenants())
        )
        (event,) = (await session.scalars(stmt)).all()
    assert event.data["final"] is True
    assert event.data["session"]["source"] == "vendor"
    assert event.data["session"]["total"] == 81.0
    clock.advance(hours=2)
    assert (await poll(app, fake.policy()))["vendor_tests_checked"] == 0  # finished: never asked again


async def test_an_answer_that_breaks_the_contract_is_kept_as_an_error_and_asked_again(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, clock: FrozenClock
) -> None:
    fake = FakeVendor()
    setup = await vendor_job(client, app, tenant, fake)
    session_id = setup["session"]["id"]
    fake.sent = {"no_id": True}
    assert (await poll(app, fake.policy()))["vendor_calls_failed"] == 1
    view = await vendor_view(client, tenant, session_id)
    assert view["state"] == "queued"
    assert "partner_interview_id" in view["last_error"]

    clock.advance(minutes=5)
    fake.sent = {"partner_interview_id": "abc"}
    await poll(app, fake.policy())
    fake.status = {"partner_status": "complete", "partner_score": 90}  # no report link: not valid
    await wake(client, tenant, clock, minutes=61)
    assert (await poll(app, fake.policy()))["vendor_calls_failed"] == 1
    view = await vendor_view(client, tenant, session_id)
    assert view["status"] == "invited"
    assert "partner_profile_url" in view["last_error"]


async def test_a_vendor_host_that_resolves_inside_is_never_called(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    fake = FakeVendor()
    setup = await vendor_job(client, app, tenant, fake)
    read = await client.get(f"/v1/assessments/vendors/{setup['vendor']['id']}", headers=tenant.headers)
    moved = await client.patch(
        f"/v1/assessments/vendors/{setup['vendor']['id']}",
        headers={**tenant.headers, "If-Match": read.headers["etag"]},
        json={"base_url": "https://localhost/api"},
    )
    assert moved.status_code == 200, moved.text

    counts = await poll(app, outbound.Outbound(transport=httpx.MockTransport(fake)))

    assert counts["vendor_calls_failed"] == 1
    assert fake.requests == []
    assert "private" in (await vendor_view(client, tenant, setup["session"]["id"]))["last_error"]


# --- the whole loop: Rolecall as its own vendor -------------------------------------------------------


async def test_one_organisation_uses_another_as_its_vendor_end_to_end(
    client: httpx.AsyncClient,
    app: FastAPI,
    tenant: Tenant,
    other_tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    # Organisation B offers its test through the partner contract.
    offered = await job_with_blueprint(client, app, other_tenant)
    key_b = (await partner_key(client, other_tenant, "Organisation A"))["key"]
    # Organisation A registers B's partner API as its vendor and uses B's test for a job.
    policy = loopback(app)
    app.state.assessment_outbound = policy
    vendor = (await register(client, tenant, PARTNER_BASE, key_b)).json()
    job = await open_job(client, app, tenant)
    await client.put(
        f"/v1/jobs/{job['id']}/assessment-vendor",
        headers=tenant.headers,
        json={"vendor_id": vendor["id"], "vendor_test_id": offered["blueprint"]["id"]},
    )
    application = await create_application(client, app, tenant, job, full_name="Grace Hopper")
    await move_application(client, tenant, application, "Skills assessment")
    await deliver(app)
    listed = await client.get(
        "/v1/assessments/sessions", headers=tenant.headers, params={"application_id": application["id"]}
    )
    (ours,) = listed.json()["items"]

    # The worker sends the test: B now holds a partner session for Grace, A knows its id and link.
    assert (await poll(app, policy))["vendor_tests_sent"] == 1
    view = await vendor_view(client, tenant, ours["id"])
    interview_id = view["partner_interview_id"]
    theirs = await stored(sessionmaker, AssessmentSession, interview_id)
    assert theirs.organisation_id == other_tenant.organisation_id
    assert theirs.source == "partner"
    assert theirs.application_id is None
    details = partner.sealed_details(app.state.pii_keyring, theirs)
    assert (details["first_name"], details["last_name"]) == ("Grace", "Hopper")
    assert theirs.partner is not None
    assert theirs.partner["callback_url"].startswith(
        f"{BASE}/partner/vendors/{vendor['id']}/callback/{ours['id']}/"
    )
    assert view["test_url"].startswith(f"{BASE}/assessments/")

    # Grace takes B's test; B tells A it is complete; A asks B and keeps the result.
    token = view["test_url"].rsplit("/", 1)[1]
    scored = await take_test(client, other_tenant, interview_id, token)
    await deliver(app)
    assert (await partner.deliver_callbacks(sessionmaker, app.state.pii_keyring, policy))[
        "partner_callbacks_delivered"
    ] == 1
    assert (await stored(sessionmaker, AssessmentSession, ours["id"])).partner["check_due"] is True
    assert (await poll(app, policy))["vendor_tests_completed"] == 1

    read = (await client.get(f"/v1/assessments/sessions/{ours['id']}", headers=tenant.headers)).json()
    assert read["status"] == "scored"
    assert read["total"] == scored["total"]
    final = await vendor_view(client, tenant, ours["id"])
    assert final["vendor_status"] == "complete"
    assert final["report_url"] == f"{BASE}/app/assessments/sessions/{interview_id}"
    assert final["partner_score"] == scored["total"]
    assert final["metadata"]["Percentile"] == 50.0
    assert final["metadata"]["Status"] == "scored"
    # B's records say nothing of A's candidate beyond what the contract sent; A's say nothing of B's answers.
    result_b = await client.get(f"/v1/assessments/sessions/{interview_id}/result", headers=tenant.headers)
    assert_problem(result_b, 404, "not-found")
