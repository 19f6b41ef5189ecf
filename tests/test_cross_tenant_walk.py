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
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from rolecall.notifications import service as notifications
from rolecall.platform.clock import utcnow
from rolecall.platform.db import transaction
from rolecall.platform.tenancy import bind_organisation
from rolecall.roles.library.loader import load_library
from tests.factories import PASSWORD, Tenant, create_candidate, create_job, create_user, move_application
from tests.interviews.support import app_of, took_place
from tests.offers.support import approved_offer, draft_offer, offer_body, sent_offer
from tests.test_route_authorization import EXPECTED_PUBLIC

# Path parameter name -> the kind of object it names. A new route with a new parameter fails the walk
# until it is mapped here (and, if it is a new kind, created in `objects_of` below).
PARAM_KINDS = {
    "user_id": "user",
    "client_id": "api_client",
    "profile_id": "role_profile",
    "job_id": "job",
    "candidate_id": "candidate",
    "file_id": "candidate_file",
    "note_id": "candidate_note",
    "pool_id": "talent_pool",
    "application_id": "application",
    "interview_id": "interview",
    "offer_id": "offer",
    "item_id": "assessment_item",
    "session_id": "assessment_session",
    "key_id": "assessment_partner_key",
    "vendor_id": "assessment_vendor",
    "endpoint_id": "webhook_endpoint",
    "delivery_id": "webhook_delivery",
    "message_id": "notification_message",
    "board_key_id": "board_key",
}
# Path parameters that name no tenant's object (shared library data, a level, a version number): the
# same value is used in every call. A route with only these is not tenant data and is not walked.
FIXED_PARAMS = {
    "library_id": "backend-engineer",
    "level": "lead",
    "number": "1",
    "outcome": "rejected",
    "position": "0",
    "name": "rejection",  # a template's name: the same defaults for every organisation
}
# Operations that change their object's state so that a later operation could no longer succeed on
# it (reject, withdraw, cancel, offer answers, erasure) each get an object of their own, in the state
# the operation needs: (method, path) -> {path parameter: kind}.
ROUTE_KINDS: dict[tuple[str, str], dict[str, str]] = {
    ("POST", "/v1/applications/{application_id}/reject"): {"application_id": "application_to_reject"},
    ("POST", "/v1/applications/{application_id}/unreject"): {"application_id": "application_to_reject"},
    ("POST", "/v1/applications/{application_id}/withdraw"): {"application_id": "application_to_withdraw"},
    ("POST", "/v1/applications/{application_id}/offers"): {"application_id": "application_at_offer"},
    # The admin sits on the main application's walk interviews without a submitted scorecard, which
    # (blind review) bars them from its summary: read the summary of one without interviews.
    ("GET", "/v1/applications/{application_id}/scorecards"): {"application_id": "application_at_offer"},
    ("POST", "/v1/interviews/{interview_id}/cancel"): {"interview_id": "interview_to_cancel"},
    ("POST", "/v1/interviews/{interview_id}/scorecards/mine/submit"): {"interview_id": "interview_rated"},
    # Scorecards open only once the interview has started: read and write one that is under way.
    ("GET", "/v1/interviews/{interview_id}/scorecards/mine"): {"interview_id": "interview_under_way"},
    ("PUT", "/v1/interviews/{interview_id}/scorecards/mine"): {"interview_id": "interview_under_way"},
    ("GET", "/v1/interviews/{interview_id}/scorecards"): {"interview_id": "interview_rated"},
    ("POST", "/v1/offers/{offer_id}/reject-approval"): {"offer_id": "offer_to_reject"},
    ("POST", "/v1/offers/{offer_id}/send"): {"offer_id": "offer_approved"},
    ("POST", "/v1/offers/{offer_id}/accept"): {"offer_id": "offer_sent"},
    ("GET", "/v1/offers/{offer_id}/hire"): {"offer_id": "offer_sent"},
    ("POST", "/v1/offers/{offer_id}/decline"): {"offer_id": "offer_to_decline"},
    ("POST", "/v1/offers/{offer_id}/withdraw"): {"offer_id": "offer_to_withdraw"},
    ("POST", "/v1/candidates/{candidate_id}/erase"): {"candidate_id": "candidate_to_erase"},
    ("POST", "/v1/assessments/sessions/{session_id}/cancel"): {"session_id": "assessment_session_to_cancel"},
    ("POST", "/v1/assessments/sessions/{session_id}/marks/{position}"): {
        "session_id": "assessment_session_marking"
    },
    ("GET", "/v1/assessments/sessions/{session_id}/vendor"): {"session_id": "assessment_session_vendor"},
    ("DELETE", "/v1/webhooks/endpoints/{endpoint_id}"): {"endpoint_id": "webhook_endpoint_to_delete"},
    ("DELETE", "/v1/compat/board-keys/{board_key_id}"): {"board_key_id": "board_key_to_revoke"},
    ("POST", "/v1/notifications/messages/{message_id}/cancel"): {
        "message_id": "notification_message_to_cancel"
    },
}
# Operations that call a third party: in the walk that party is unreachable, so the owner's own call
# answers this status once it got past the lookup (which is what the walk needs to know).
OWN_STATUS = {("GET", "/v1/assessments/vendors/{vendor_id}/tests"): 409}
# Collection-less GETs of an organisation's optional singleton answer 404 until one is configured
# (the walk's tenants set up no SSO connection: saving one resolves the issuer's host name).
SINGLETONS_MAYBE_ABSENT: dict[str, tuple[int, ...]] = {"/v1/organisation/sso": (404,)}
ROUTE_KIND_VALUES = {kind for kinds in ROUTE_KINDS.values() for kind in kinds.values()}
APPLICATION_KINDS = (
    "application",
    "application_to_reject",
    "application_to_withdraw",
    "application_at_offer",
)
INTERVIEW_KINDS = ("interview", "interview_to_cancel", "interview_rated", "interview_under_way")
OFFER_KINDS = (
    "offer",
    "offer_to_reject",
    "offer_approved",
    "offer_sent",
    "offer_to_decline",
    "offer_to_withdraw",
)
# How the owning tenant reads one object of each kind, to prove that it did not change.
READ_AS_OWNER = {
    "user": "/v1/users/{id}",
    "api_client": "/v1/api-clients/{id}",
    "role_profile": "/v1/role-profiles/{id}",
    "job": "/v1/jobs/{id}",
    "candidate": "/v1/candidates/{id}",
    "candidate_duplicate": "/v1/candidates/{id}",
    "candidate_file": "/v1/candidates/{candidate}/files/{id}",
    "candidate_note": "/v1/candidates/{candidate}/notes",
    "talent_pool": "/v1/talent-pools/{id}",
    **{
        kind: "/v1/applications/{id}"
        for kind in (
            "application",
            "application_to_reject",
            "application_to_withdraw",
            "application_at_offer",
        )
    },
    **{kind: "/v1/interviews/{id}" for kind in INTERVIEW_KINDS},
    **{
        kind: "/v1/offers/{id}"
        for kind in (
            "offer",
            "offer_to_reject",
            "offer_approved",
            "offer_sent",
            "offer_to_decline",
            "offer_to_withdraw",
        )
    },
    "candidate_to_erase": "/v1/candidates/{id}",
    "assessment_item": "/v1/assessments/items/{id}",
    **{
        kind: "/v1/assessments/sessions/{id}"
        for kind in (
            "assessment_session",
            "assessment_session_to_cancel",
            "assessment_session_marking",
            "assessment_session_vendor",
        )
    },
    "assessment_partner_key": "/v1/assessments/partner-keys",
    "assessment_vendor": "/v1/assessments/vendors/{id}",
    "webhook_endpoint": "/v1/webhooks/endpoints/{id}",
    "webhook_endpoint_to_delete": "/v1/webhooks/endpoints/{id}",
    "webhook_delivery": "/v1/webhooks/endpoints/{webhook_endpoint}/deliveries/{id}",
    "notification_message": "/v1/notifications/messages/{id}",
    "notification_message_to_cancel": "/v1/notifications/messages/{id}",
    "board_key": "/v1/compat/board-keys/{id}",
    "board_key_to_revoke": "/v1/compat/board-keys/{id}",
}
# Objects that no path parameter names but that a request body refers to (created in `objects_of`).
BODY_KINDS = {"candidate_duplicate"}
# Assessment objects: a plain item to edit, and a short-text item (the only one of its skill) that
# a blueprint draws at position 0, so the marking route has an answer to mark.
WALK_ITEM = {
    "key": "walk-item",
    "skill": "REST",
    "level": "mid",
    "difficulty": 2,
    "type": "single_choice",
    "prompt": "Which method is idempotent?",
    "options": ["POST", "PUT"],
    "answer": 1,
}
WALK_SHORT_TEXT = {
    "key": "walk-short-text",
    "skill": "Microservices",
    "level": "lead",
    "difficulty": 3,
    "type": "short_text",
    "prompt": "Where would you draw the first service boundary, and why?",
    "rubric": [{"criterion": "Names where the boundary goes", "points": 2}],
}
WALK_BLUEPRINT = {
    "title": "Walk assessment",
    "profile_slug": "backend-engineer",
    "level": "lead",
    "time_limit_minutes": 20,
    "skills": [
        {"skill_id": "microservices", "name": "Microservices", "weight": 1, "items": 1, "proficiency": 4}
    ],
    "item_types": ["short_text"],
}
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
    ("POST", "/v1/applications/{application_id}/move"): {"stage": "Recruiter screen"},
    ("POST", "/v1/applications/{application_id}/reject"): {"reason": "other"},
    ("POST", "/v1/applications/{application_id}/interviews"): lambda mine: interview_body(mine["user"]),
    ("PATCH", "/v1/interviews/{interview_id}"): {"duration_minutes": 45},
    ("PUT", "/v1/interviews/{interview_id}/scorecards/mine"): {"notes": "Walk notes"},
    ("POST", "/v1/applications/{application_id}/offers"): lambda _mine: offer_body(),
    ("POST", "/v1/offers/{offer_id}/versions"): {"salary": 131_000},
    ("POST", "/v1/offers/{offer_id}/send"): lambda _mine: {
        "expires_at": (utcnow() + timedelta(days=3)).isoformat()
    },
    ("POST", "/v1/candidates/{candidate_id}/erase"): {"reason": "data_subject_request"},
    ("POST", "/v1/assessments/items/{item_id}/versions"): {"document": {**WALK_ITEM, "difficulty": 3}},
    ("PUT", "/v1/jobs/{job_id}/assessment-blueprint"): {**WALK_BLUEPRINT, "time_limit_minutes": 25},
    ("PUT", "/v1/jobs/{job_id}/ranking-weights"): {"assessment": 2, "match": 1, "scorecards": 1},
    ("PATCH", "/v1/assessments/vendors/{vendor_id}"): {"name": "Walk vendor, renamed"},
    ("PUT", "/v1/jobs/{job_id}/assessment-vendor"): lambda mine: {
        "vendor_id": mine["assessment_vendor"],
        "vendor_test_id": "walk-test",
    },
    ("POST", "/v1/assessments/sessions/{session_id}/marks/{position}"): {
        "awarded": {"Names where the boundary goes": 1}
    },
    ("PATCH", "/v1/webhooks/endpoints/{endpoint_id}"): {"description": "Walk endpoint, renamed"},
    ("POST", "/v1/webhooks/endpoints/{endpoint_id}/rotate-secret"): {"overlap_seconds": 60},
    ("POST", "/v1/webhooks/endpoints/{endpoint_id}/replay"): lambda _mine: {
        "since": (utcnow() - timedelta(hours=1)).isoformat(),
        "until": (utcnow() + timedelta(hours=1)).isoformat(),
    },
}
# Multipart uploads, keyed (method, path): the files sent in all three calls.
WALK_RESUME = ("cv.txt", b"Walk resume: Python", "text/plain")
MULTIPART: dict[tuple[str, str], Any] = {
    ("POST", "/v1/candidates/{candidate_id}/files"): {"file": WALK_RESUME}
}
HTTP_METHODS = {"get", "post", "put", "patch", "delete"}
AUDITED_READS = {
    "candidate.viewed",
    "candidate.listed",
    "candidate.file_viewed",
    "candidate.notes_listed",
    "application.viewed",
}
VOLATILE_HEADERS = {"x-request-id", "server-timing"}


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
    candidate_id = candidate.json()["id"]
    file = await client.post(
        f"/v1/candidates/{candidate_id}/files",
        headers=tenant.headers,
        files={"file": WALK_RESUME},
    )
    assert file.status_code == 201, file.text
    note = await client.post(
        f"/v1/candidates/{candidate_id}/notes", headers=tenant.headers, json={"body": "Walk note"}
    )
    assert note.status_code == 201, note.text
    pool = await client.post(
        "/v1/talent-pools", headers=tenant.headers, json={"name": f"Walk {uuid.uuid4().hex[:8]}"}
    )
    assert pool.status_code == 201, pool.text
    objects = {
        "user": user_id,
        "api_client": response.json()["id"],
        "role_profile": job["role_profile_id"],
        "job": job["id"],
        "candidate": candidate.json()["id"],
        "candidate_duplicate": duplicate.json()["id"],
        "candidate_file": file.json()["id"],
        "candidate_note": note.json()["id"],
        "talent_pool": pool.json()["id"],
    }
    objects.update(await pipeline_objects_of(client, tenant, job["role_profile_id"]))
    objects.update(await webhook_objects_of(client, tenant))
    objects.update(await notification_objects_of(client, tenant, candidate_id))
    for kind in ("board_key", "board_key_to_revoke"):
        key = await client.post("/v1/compat/board-keys", headers=tenant.headers, json={"label": kind})
        assert key.status_code == 201, key.text
        objects[kind] = key.json()["id"]
    assert set(objects) == set(PARAM_KINDS.values()) | BODY_KINDS | ROUTE_KIND_VALUES == set(READ_AS_OWNER)
    return objects


async def notification_objects_of(
    client: httpx.AsyncClient, tenant: Tenant, candidate_id: str
) -> dict[str, str]:
    """Two queued e-mails to the candidate (a rejection waiting for its delay is the usual kind)."""
    transport = client._transport
    assert isinstance(transport, httpx.ASGITransport)
    app: Any = transport.app
    found: dict[str, str] = {}
    async with transaction(app.state.sessionmaker) as session:
        bind_organisation(session, tenant.organisation_id)
        for kind in ("notification_message", "notification_message_to_cancel"):
            row = await notifications.queue(
                session,
                tenant.organisation_id,
                event_id=uuid.uuid4(),
                template="rejection",
                recipient=notifications.Recipient("candidate", uuid.UUID(candidate_id)),
                context={},
                send_after=utcnow() + timedelta(days=1),
            )
            assert row is not None
            found[kind] = str(row.id)
    return found


async def webhook_objects_of(client: httpx.AsyncClient, tenant: Tenant) -> dict[str, str]:
    """Two webhook endpoints (a literal public address: no DNS in the walk) and a delivery, queued by
    replaying the tenant's events so far."""
    endpoints = []
    for _ in range(2):
        response = await client.post(
            "/v1/webhooks/endpoints",
            headers=tenant.headers,
            json={"url": "https://93.184.215.14/walk", "event_types": ["*"]},
        )
        assert response.status_code == 201, response.text
        endpoints.append(response.json()["id"])
    window = {
        "since": (utcnow() - timedelta(hours=1)).isoformat(),
        "until": (utcnow() + timedelta(hours=1)).isoformat(),
    }
    replayed = await client.post(
        f"/v1/webhooks/endpoints/{endpoints[0]}/replay", headers=tenant.headers, json=window
    )
    assert replayed.status_code == 202, replayed.text
    deliveries = await client.get(f"/v1/webhooks/endpoints/{endpoints[0]}/deliveries", headers=tenant.headers)
    assert deliveries.json()["items"], "the walk's objects wrote no public events"
    return {
        "webhook_endpoint": endpoints[0],
        "webhook_endpoint_to_delete": endpoints[1],
        "webhook_delivery": deliveries.json()["items"][0]["id"],
    }


def interview_body(interviewer_id: str) -> dict[str, Any]:
    starts = (utcnow() + timedelta(days=7)).replace(microsecond=0).isoformat()
    return {
        "title": "Walk interview",
        "starts_at": starts,
        "duration_minutes": 60,
        "interviewer_ids": [interviewer_id],
    }


async def pipeline_objects_of(client: httpx.AsyncClient, tenant: Tenant, profile_id: str) -> dict[str, str]:
    """Applications, interviews and offers in the states the walk's operations need."""
    job = await create_job(client, tenant, profile_id)
    opened = await client.post(f"/v1/jobs/{job['id']}/open", headers=tenant.headers)
    assert opened.status_code == 200, opened.text

    async def application(stage: str | None = None) -> dict[str, Any]:
        candidate = await create_candidate(client, tenant)
        response = await client.post(
            "/v1/applications",
            headers=tenant.headers,
            json={"candidate_id": candidate["id"], "job_id": job["id"]},
        )
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created if stage is None else await move_application(client, tenant, created, stage)

    async def interview(target: dict[str, Any]) -> str:
        body = interview_body(str(tenant.admin_id))
        response = await client.post(
            f"/v1/applications/{target['id']}/interviews", headers=tenant.headers, json=body
        )
        assert response.status_code == 201, response.text
        interview_id: str = response.json()["id"]
        return interview_id

    main = await application()
    objects = {
        "application": main["id"],
        "application_to_reject": (await application())["id"],
        "application_to_withdraw": (await application())["id"],
        "application_at_offer": (await application("Offer"))["id"],
        "candidate_to_erase": (await create_candidate(client, tenant))["id"],
        "interview": await interview(main),
        "interview_to_cancel": await interview(main),
        "interview_rated": await interview(main),
        "interview_under_way": await interview(main),
    }
    # Scheduling accepts only times to come and scorecards open at the start: let these two begin.
    for kind in ("interview_rated", "interview_under_way"):
        await took_place(app_of(client), {"id": objects[kind]})
    # The admin (an interviewer on every walk interview) rates every attribute, ready to submit.
    card_url = f"/v1/interviews/{objects['interview_rated']}/scorecards/mine"
    mine = await client.get(card_url, headers=tenant.headers)
    assert mine.status_code == 200, mine.text
    ratings = {attribute["skill"]: 3 for attribute in mine.json()["attributes"]}
    rated = await client.put(
        card_url,
        headers={**tenant.headers, "If-Match": mine.headers["etag"]},
        json={"ratings": ratings, "recommendation": "yes"},
    )
    assert rated.status_code == 200, rated.text
    objects.update(await assessment_objects_of(client, tenant, job["id"], application))
    for kind, make in (
        ("offer", draft_offer),
        ("offer_to_reject", draft_offer),
        ("offer_to_withdraw", draft_offer),
        ("offer_approved", approved_offer),
        ("offer_sent", sent_offer),
        ("offer_to_decline", sent_offer),
    ):
        objects[kind] = (await make(client, tenant, await application("Offer")))["id"]
    return objects


async def assessment_objects_of(
    client: httpx.AsyncClient, tenant: Tenant, job_id: str, application: Any
) -> dict[str, str]:
    """An item, and sessions of a short-text blueprint: open, to cancel, and submitted for marking."""
    created = {}
    for document in (WALK_ITEM, WALK_SHORT_TEXT):
        response = await client.post(
            "/v1/assessments/items",
            headers=tenant.headers,
            json={"document": document, "publish": document is WALK_SHORT_TEXT},
        )
        assert response.status_code == 201, response.text
        created[document["key"]] = response.json()["id"]
    url = f"/v1/jobs/{job_id}/assessment-blueprint"
    generated = await client.post(url, headers=tenant.headers)
    assert generated.status_code == 201, generated.text
    plan = await client.put(url, headers={**tenant.headers, "If-Match": "*"}, json=WALK_BLUEPRINT)
    assert plan.status_code == 200, plan.text

    async def invited() -> tuple[str, str]:
        target = await application()
        response = await client.post(
            "/v1/assessments/invitations", headers=tenant.headers, json={"application_id": target["id"]}
        )
        assert response.status_code == 201, response.text
        body = response.json()
        return body["session"]["id"], body["link"].rsplit("/", 1)[1]

    key = await client.post("/v1/assessments/partner-keys", headers=tenant.headers, json={"name": "Walk"})
    assert key.status_code == 201, key.text
    vendor = await client.post(
        "/v1/assessments/vendors",
        headers=tenant.headers,
        json={"name": "Walk vendor", "base_url": "https://vendor.example.com/partner", "api_key": "walk-key"},
    )
    assert vendor.status_code == 201, vendor.text
    open_session, _ = await invited()
    to_cancel, _ = await invited()
    marking, token = await invited()
    assert (await client.post(f"/v1/assessment-links/{token}/start")).status_code == 200
    saved = await client.put(
        f"/v1/assessment-links/{token}/answers/0", json={"answer": {"text": "Around the billing data."}}
    )
    assert saved.status_code == 200, saved.text
    assert (await client.post(f"/v1/assessment-links/{token}/submit")).status_code == 200
    chosen = await client.put(
        f"/v1/jobs/{job_id}/assessment-vendor",
        headers=tenant.headers,
        json={"vendor_id": vendor.json()["id"], "vendor_test_id": "walk-test"},
    )
    assert chosen.status_code == 200, chosen.text
    target = await application()
    queued = await client.post(
        "/v1/assessments/vendor-invitations", headers=tenant.headers, json={"application_id": target["id"]}
    )
    assert queued.status_code == 202, queued.text
    return {
        "assessment_item": created["walk-item"],
        "assessment_session": open_session,
        "assessment_session_to_cancel": to_cancel,
        "assessment_session_marking": marking,
        "assessment_session_vendor": queued.json()["id"],
        "assessment_partner_key": key.json()["id"],
        "assessment_vendor": vendor.json()["id"],
    }


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
        url = READ_AS_OWNER[kind].format(id=object_id, **objects)
        response = await client.get(url, headers=tenant.headers)
        assert response.status_code == 200, response.text
        seen[kind] = (response.json(), response.headers.get("etag"))
    for path in ("/v1/organisation", "/v1/users", "/v1/api-clients", "/v1/audit-events"):
        params = {} if path == "/v1/organisation" else {"limit": 200}  # not a list: no limit to give
        response = await client.get(path, headers=tenant.headers, params=params)
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
        files = MULTIPART.get((method, path))
        if "requestBody" in operation and files is None:
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
            files: Any = files,
            query: Any = query,
        ) -> Any:
            url = fill(path, {**FIXED_PARAMS, **values})
            return client.request(method, url, headers=headers, json=body, files=files, params=query)

        kinds = {name: ROUTE_KINDS.get((method, path), {}).get(name, PARAM_KINDS[name]) for name in names}
        foreign = await call({name: theirs[kinds[name]] for name in names})
        missing = await call({name: str(uuid.uuid4()) for name in names})
        assert missing.status_code == 404, f"{method} {path} with unknown ids: {missing.text}"
        assert foreign.status_code == 404, f"{method} {path} reached tenant B's object: {foreign.text}"
        assert foreign.content == missing.content, f"{method} {path}: 404 bodies differ"
        assert stable_headers(foreign) == stable_headers(missing), f"{method} {path}: 404 headers differ"

        own = await call({name: mine[kinds[name]] for name in names})
        assert own.is_success or own.status_code == OWN_STATUS.get((method, path)), (
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
        # Unknown query parameters are refused (platform/query_params.py): only lists get a limit.
        takes_limit = any(
            p["in"] == "query" and p["name"] == "limit" for p in operation.get("parameters", [])
        )
        response = await client.get(
            path, headers=tenant.headers, params={"limit": 200} if takes_limit else {}
        )
        expected = {200, *SINGLETONS_MAYBE_ABSENT.get(path, ())}
        assert response.status_code in expected, f"{path}: {response.text}"
        leaked = {mark for mark in foreign_marks if mark in response.text}
        assert not leaked, f"GET {path} shows tenant B's {leaked}"
        listed.append((path, response.text))

    assert {path for path, _ in listed} >= {"/v1/users", "/v1/api-clients", "/v1/audit-events"}
    # The listings are not simply empty: A's own objects are there.
    text = dict(listed)
    assert mine["user"] in text["/v1/users"]
    assert mine["api_client"] in text["/v1/api-clients"]
    assert mine["user"] in text["/v1/audit-events"]
