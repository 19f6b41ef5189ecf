"""Need-to-know access across the whole API, walked from the OpenAPI document like the tenant walk.

One organisation holds two sets of objects, each around its own jobs (A and B). A staff member who is
not organisation-wide and sits on A's hiring teams (a recruiter and hiring manager, so that their
scopes reach nearly every route) calls every operation with B's job-bound ids: each call must be a
404 indistinguishable from one for an id that never existed, and B's objects must be exactly as they
were. The same call with A's ids must get past the lookup, which proves the 404 came from the access
rule. Organisation-level objects (users, role profiles, the question bank, webhooks, board keys)
belong to no job: routes that take only those are not walked, and in mixed routes they are A's.
Operations that list must not mention any of B's job-bound ids; B's own team member and an
organisation-wide recruiter still read all of them.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests import test_cross_tenant_walk as walk
from tests.factories import PASSWORD, Tenant, fork_profile, login

# Kinds of object that belong to a job (its own row, or reached through its applications).
JOB_KINDS = {
    "job",
    "candidate",
    "candidate_duplicate",
    "candidate_file",
    "candidate_note",
    "candidate_to_erase",
    *walk.APPLICATION_KINDS,
    *walk.INTERVIEW_KINDS,
    *walk.OFFER_KINDS,
    "assessment_session",
    "assessment_session_to_cancel",
    "assessment_session_marking",
    "assessment_session_vendor",
    "notification_message",
    "notification_message_to_cancel",
}
# Kinds that belong to the organisation, not to a job: every kind the tenant walk knows is one or the
# other, so a new kind has to be placed (a test below checks).
ORGANISATION_KINDS = {
    "user",
    "api_client",
    "role_profile",
    "talent_pool",
    "assessment_item",
    "assessment_partner_key",
    "assessment_vendor",
    "webhook_endpoint",
    "webhook_endpoint_to_delete",
    "webhook_delivery",
    "board_key",
    "board_key_to_revoke",
}
# Operations whose call with A's ids is refused for a reason other than visibility, after the lookup
# found the object (the walk only needs to know that the lookup passed): status expected.
OWN_STATUS = {
    **walk.OWN_STATUS,
    # The walk's notes are the admin's: only their author or an admin may delete one.
    ("DELETE", "/v1/candidates/{candidate_id}/notes/{note_id}"): 403,
    # The walk's interviews list only the admin on the panel: nobody else has a scorecard to write.
    ("GET", "/v1/interviews/{interview_id}/scorecards/mine"): 403,
    ("PUT", "/v1/interviews/{interview_id}/scorecards/mine"): 403,
    ("POST", "/v1/interviews/{interview_id}/scorecards/mine/submit"): 403,
}


def test_every_kind_of_object_is_placed() -> None:
    kinds = set(walk.PARAM_KINDS.values()) | walk.ROUTE_KIND_VALUES | walk.BODY_KINDS
    unplaced = kinds ^ (JOB_KINDS | ORGANISATION_KINDS)
    assert not unplaced, f"put {unplaced} in JOB_KINDS (belongs to a job) or ORGANISATION_KINDS"
    assert not JOB_KINDS & ORGANISATION_KINDS


async def staff(
    client: httpx.AsyncClient, tenant: Tenant, roles: list[str], *, sees_all_jobs: bool = False
) -> tuple[str, dict[str, str]]:
    email = f"team-{uuid.uuid4().hex[:8]}@example.com"
    response = await client.post(
        "/v1/users",
        headers=tenant.headers,
        json={
            "email": email,
            "full_name": "Team Member",
            "password": PASSWORD,
            "roles": roles,
            "sees_all_jobs": sees_all_jobs,
        },
    )
    assert response.status_code == 201, response.text
    token = (await login(client, email))["access_token"]
    return response.json()["id"], {"Authorization": f"Bearer {token}"}


async def sessions_of(
    client: httpx.AsyncClient, tenant: Tenant, job_id: str, application: Any, shared: dict[str, str]
) -> dict[str, str]:
    """The tenant walk's assessment sessions for a second job of the same organisation, which shares
    the first set's question bank, partner key and vendor (organisation-level, and unique by name)."""
    url = f"/v1/jobs/{job_id}/assessment-blueprint"
    assert (await client.post(url, headers=tenant.headers)).status_code == 201
    plan = await client.put(url, headers={**tenant.headers, "If-Match": "*"}, json=walk.WALK_BLUEPRINT)
    assert plan.status_code == 200, plan.text

    async def invited() -> tuple[str, str]:
        target = await application()
        response = await client.post(
            "/v1/assessments/invitations", headers=tenant.headers, json={"application_id": target["id"]}
        )
        assert response.status_code == 201, response.text
        return response.json()["session"]["id"], response.json()["link"].rsplit("/", 1)[1]

    open_session, _ = await invited()
    to_cancel, _ = await invited()
    marking, token = await invited()
    assert (await client.post(f"/v1/assessment-links/{token}/start")).status_code == 200
    answer = {"answer": {"text": "Around the billing data."}}
    assert (await client.put(f"/v1/assessment-links/{token}/answers/0", json=answer)).status_code == 200
    assert (await client.post(f"/v1/assessment-links/{token}/submit")).status_code == 200
    chosen = await client.put(
        f"/v1/jobs/{job_id}/assessment-vendor",
        headers=tenant.headers,
        json={"vendor_id": shared["assessment_vendor"], "vendor_test_id": "walk-test"},
    )
    assert chosen.status_code == 200, chosen.text
    target = await application()
    queued = await client.post(
        "/v1/assessments/vendor-invitations", headers=tenant.headers, json={"application_id": target["id"]}
    )
    assert queued.status_code == 202, queued.text
    return {
        **{k: shared[k] for k in ("assessment_item", "assessment_partner_key", "assessment_vendor")},
        "assessment_session": open_session,
        "assessment_session_to_cancel": to_cancel,
        "assessment_session_marking": marking,
        "assessment_session_vendor": queued.json()["id"],
    }


async def job_set(
    client: httpx.AsyncClient, tenant: Tenant, slug: str, shared: dict[str, str] | None = None
) -> dict[str, str]:
    """The tenant walk's objects, around jobs of their own; the loose candidates applied to them too.

    The second set of one organisation (``shared`` is the first) reuses its organisation-level
    assessment objects, which are unique by key or name."""
    profile = await fork_profile(client, tenant, slug=slug)
    original, original_sessions = walk.create_job, walk.assessment_objects_of

    async def assessments(client: httpx.AsyncClient, tenant: Tenant, job_id: str, application: Any) -> Any:
        if shared is None:
            return await original_sessions(client, tenant, job_id, application)
        return await sessions_of(client, tenant, job_id, application, shared)

    async def create_job(
        client: httpx.AsyncClient, tenant: Tenant, profile_id: str | None = None, **kw: Any
    ) -> Any:
        return await original(client, tenant, profile_id or profile["id"], **kw)

    walk.create_job, walk.assessment_objects_of = create_job, assessments
    try:
        objects = await walk.objects_of(client, tenant)
    finally:
        walk.create_job, walk.assessment_objects_of = original, original_sessions
    application = await client.get(f"/v1/applications/{objects['application']}", headers=tenant.headers)
    objects["pipeline_job"] = application.json()["job_id"]
    for kind in ("candidate", "candidate_duplicate", "candidate_to_erase"):
        response = await client.post(
            "/v1/applications",
            headers=tenant.headers,
            json={"candidate_id": objects[kind], "job_id": objects["pipeline_job"]},
        )
        assert response.status_code == 201, response.text
    return objects


async def join(client: httpx.AsyncClient, tenant: Tenant, job_id: str, user_id: str) -> None:
    current = await client.get(f"/v1/jobs/{job_id}", headers=tenant.headers)
    team = [
        *current.json()["hiring_team"],
        {"user_id": user_id, "role": "recruiter"},
        {"user_id": user_id, "role": "hiring_manager"},
    ]
    response = await client.patch(
        f"/v1/jobs/{job_id}",
        headers={**tenant.headers, "If-Match": current.headers["etag"]},
        json={"hiring_team": team},
    )
    assert response.status_code == 200, response.text


async def world(client: httpx.AsyncClient, tenant: Tenant) -> dict[str, Any]:
    mine = await job_set(client, tenant, "walk-a")
    theirs = await job_set(client, tenant, "walk-b", mine)
    member_a, headers_a = await staff(client, tenant, ["recruiter", "hiring_manager"])
    member_b, headers_b = await staff(client, tenant, ["recruiter", "hiring_manager"])
    _, wide = await staff(client, tenant, ["recruiter"], sees_all_jobs=True)
    for job in ("job", "pipeline_job"):
        await join(client, tenant, mine[job], member_a)
        await join(client, tenant, theirs[job], member_b)
    return {"mine": mine, "theirs": theirs, "a": headers_a, "b": headers_b, "wide": wide}


async def read_all(
    client: httpx.AsyncClient, headers: dict[str, str], objects: dict[str, str]
) -> dict[str, Any]:
    """Every job-bound object as ``headers`` reads it: kind -> (status, body, ETag)."""
    seen: dict[str, Any] = {}
    for kind in sorted(JOB_KINDS):
        url = walk.READ_AS_OWNER[kind].format(id=objects[kind], **objects)
        response = await client.get(url, headers=headers)
        seen[kind] = (response.status_code, response.json(), response.headers.get("etag"))
    return seen


async def test_no_operation_reaches_another_teams_objects(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    everyone = await world(client, tenant)
    mine, theirs = everyone["mine"], everyone["theirs"]
    components = app.openapi().get("components", {}).get("schemas", {})
    before = await read_all(client, tenant.headers, theirs)
    assert all(status == 200 for status, _, _ in before.values()), before
    headers = {**everyone["a"], "If-Match": "*"}

    walked: list[tuple[str, str]] = []
    problems: list[str] = []
    for method, path, operation in walk.operations(app):
        names = [name for name in walk.path_params(operation) if name not in walk.FIXED_PARAMS]
        unknown = [name for name in names if name not in walk.PARAM_KINDS]
        assert not unknown, f"{method} {path} takes {unknown}: map them in the tenant walk's PARAM_KINDS"
        kinds = {
            name: walk.ROUTE_KINDS.get((method, path), {}).get(name, walk.PARAM_KINDS[name]) for name in names
        }
        if not any(kind in JOB_KINDS for kind in kinds.values()):
            continue  # organisation-level objects: not a hiring team's to hide
        body: Any = None
        files = walk.MULTIPART.get((method, path))
        if "requestBody" in operation and files is None:
            override = walk.BODY_OVERRIDES.get((method, path))
            if callable(override):
                override = override(mine)
            content = operation["requestBody"]["content"]
            body = override or walk.sample("body", content["application/json"]["schema"], components)
        required = [
            p["name"] for p in operation.get("parameters", []) if p["in"] == "query" and p.get("required")
        ]
        query = {name: walk.FIXED_PARAMS[name] for name in required}

        def call(
            values: dict[str, str],
            method: str = method,
            path: str = path,
            body: Any = body,
            files: Any = files,
            query: Any = query,
        ) -> Any:
            url = walk.fill(path, {**walk.FIXED_PARAMS, **values})
            return client.request(method, url, headers=headers, json=body, files=files, params=query)

        def ids(source: dict[str, str], kinds: dict[str, str] = kinds) -> dict[str, str]:
            # B's ids for job-bound kinds; organisation-level ones stay A's own (the same organisation).
            return {name: (source if kind in JOB_KINDS else mine)[kind] for name, kind in kinds.items()}

        missing = await call(
            {name: str(uuid.uuid4()) if kind in JOB_KINDS else mine[kind] for name, kind in kinds.items()}
        )
        foreign = await call(ids(theirs))
        if missing.status_code == 403:
            # The caller's roles do not reach this route at all: refused before any lookup.
            if foreign.status_code != 403:
                problems.append(f"{method} {path}: {foreign.status_code} {foreign.text}")
            continue
        if missing.status_code != 404:
            problems.append(f"{method} {path} with unknown ids: {missing.text}")
        elif foreign.status_code != 404:
            problems.append(f"{method} {path} reached another team's object: {foreign.text[:300]}")
        elif foreign.content != missing.content:
            problems.append(f"{method} {path}: 404 bodies differ")
        elif walk.stable_headers(foreign) != walk.stable_headers(missing):
            problems.append(f"{method} {path}: 404 headers differ")

        own = await call(ids(mine))
        if not (own.is_success or own.status_code == OWN_STATUS.get((method, path))):
            problems.append(
                f"{method} {path} fails on the team's own object ({own.status_code}: {own.text[:300]})"
            )
        walked.append((method, path))

    assert not problems, "\n".join(problems)
    assert len(walked) >= 40, walked
    assert await read_all(client, tenant.headers, theirs) == before
    # B's own team member and an organisation-wide recruiter still read every one of B's objects.
    for reader in ("b", "wide"):
        seen = await read_all(client, everyone[reader], theirs)
        assert {kind: status for kind, (status, _, _) in seen.items()} == dict.fromkeys(JOB_KINDS, 200), (
            reader
        )
    # ... and A's member reads none of them.
    seen = await read_all(client, everyone["a"], theirs)
    assert {kind for kind, (status, _, _) in seen.items() if status != 404} == set()


@pytest.mark.parametrize("reader", ["a", "b", "wide"])
async def test_no_listing_mentions_another_teams_objects(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant, reader: str
) -> None:
    everyone = await world(client, tenant)
    mine, theirs = everyone["mine"], everyone["theirs"]
    hidden = {theirs[kind] for kind in JOB_KINDS} if reader == "a" else set()
    listed: dict[str, str] = {}
    for method, path, operation in walk.operations(app):
        if method != "GET" or walk.path_params(operation):
            continue
        takes_limit = any(
            p["in"] == "query" and p["name"] == "limit" for p in operation.get("parameters", [])
        )
        response = await client.get(
            path, headers=everyone[reader], params={"limit": 200} if takes_limit else {}
        )
        # Whatever the answer (an admin's list is a 403), it must not show another team's objects.
        leaked = {mark for mark in hidden if mark in response.text}
        assert not leaked, f"GET {path} shows another team's objects {leaked}"
        listed[path] = response.text
    # The lists are not simply empty: the reader's own team's objects are there.
    own = mine if reader in ("a", "wide") else theirs
    for path, kinds in {
        "/v1/jobs": ("job", "pipeline_job"),
        "/v1/candidates": ("candidate", "candidate_duplicate"),
        "/v1/applications": walk.APPLICATION_KINDS,
        "/v1/interviews": walk.INTERVIEW_KINDS,
        "/v1/offers": walk.OFFER_KINDS,
    }.items():
        assert all(own[kind] in listed[path] for kind in kinds), (reader, path, listed[path][:500])
    if reader == "wide":
        assert theirs["application"] in listed["/v1/applications"]
