"""Tags follow the tag rule at every write; campaign details are sealed at rest (ADR 0017).

Tags stay in clear for filtering and lists, so they may only be labels: lowercase words joined by
hyphens, at most 40 characters and six digits. Campaign details (``utm_*``, referrer) are free text
and sealed with the PII key ring, for candidates and for applications, yet the API, the filters, the
source report, the export and the key rotation keep working.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.candidates import tags as tag_rule
from rolecall.candidates.keys import rotate_candidate_keys
from rolecall.candidates.models import Candidate
from rolecall.config import Settings
from rolecall.pipeline import service as pipeline
from rolecall.pipeline.models import Application
from rolecall.platform.db import transaction
from rolecall.platform.pii import KeyRing
from rolecall.platform.tenancy import all_tenants
from tests.factories import Tenant, apply, open_job
from tests.platform.problems import assert_problem

KEY_A = f"ka:{KeyRing.generate_key()}"
KEY_B = f"kb:{KeyRing.generate_key()}"
CAMPAIGN = "spring-hiring-ada-lovelace-referral"  # free text that names someone


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"pii_keys": SecretStr(KEY_A)})


async def _create(client: httpx.AsyncClient, tenant: Tenant, **fields: Any) -> httpx.Response:
    body = {"full_name": "Ada Lovelace", "email": f"ada-{uuid.uuid4().hex[:8]}@example.com", **fields}
    return await client.post("/v1/candidates", headers=tenant.headers, json=body)


async def _stored(sessionmaker: async_sessionmaker[AsyncSession], model: Any, row_id: str) -> tuple[Any, ...]:
    async with transaction(sessionmaker) as session:
        columns = [model.source_details] + ([model.tags] if model is Candidate else [])
        stmt = select(*columns).where(model.id == uuid.UUID(row_id)).execution_options(**all_tenants())
        return tuple((await session.execute(stmt)).one())


@pytest.mark.parametrize(
    ("tag", "hint"),
    [
        ("Backend Dev", "backend-dev"),
        ("ada@example.com", "ada-example-com"),
        ("+44 20 7946 0958", None),  # a phone number: eleven digits, no usable form
        ("call-07700900123", None),
        ("x" * 41, "x" * 40),
        ("-edge-", "edge"),
        ("a--b", "a-b"),
        ("josé", "jose"),
    ],
)
async def test_a_tag_outside_the_rule_is_a_422_naming_it(
    client: httpx.AsyncClient, tenant: Tenant, tag: str, hint: str | None
) -> None:
    problem = assert_problem(await _create(client, tenant, tags=["ok", tag]), 422)
    [error] = problem["errors"]
    assert error["field"] == "body.tags.1"
    assert f"tag {tag!r} is not allowed" in error["message"]
    assert ("did you mean" in error["message"]) is (hint is not None)
    if hint is not None:
        assert repr(hint) in error["message"]
        assert tag_rule.problem(hint) is None


async def test_valid_tags_are_kept_in_clear_filter_and_update_under_the_rule(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    created = await _create(client, tenant, tags=["backend", "q3-2026", "senior-go", "backend"])
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["tags"] == ["backend", "q3-2026", "senior-go"]
    _, tags = await _stored(sessionmaker, Candidate, body["id"])
    assert tags == ["backend", "q3-2026", "senior-go"]

    found = await client.get("/v1/candidates", headers=tenant.headers, params={"tag": "q3-2026"})
    assert [item["id"] for item in found.json()["items"]] == [body["id"]]
    headers = {**tenant.headers, "If-Match": created.headers["etag"]}
    refused = await client.patch(
        f"/v1/candidates/{body['id']}", headers=headers, json={"tags": ["Has Space"]}
    )
    assert "did you mean 'has-space'" in assert_problem(refused, 422)["errors"][0]["message"]
    changed = await client.patch(
        f"/v1/candidates/{body['id']}", headers=headers, json={"tags": ["has-space"]}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["tags"] == ["has-space"]


async def test_a_merge_refuses_more_tags_than_a_candidate_may_have(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    target = await _create(client, tenant, tags=[f"a{n}" for n in range(30)])
    duplicate = await _create(client, tenant, tags=[f"b{n}" for n in range(30)])
    merged = await client.post(
        f"/v1/candidates/{target.json()['id']}/merge",
        headers={**tenant.headers, "If-Match": target.headers["etag"]},
        json={"duplicate_id": duplicate.json()["id"]},
    )
    problem = assert_problem(merged, 422)
    assert problem["errors"][0]["field"] == "tags"
    assert "60 tags, more than the 50" in problem["errors"][0]["message"]


async def test_the_csv_import_refuses_a_row_with_a_bad_tag(client: httpx.AsyncClient, tenant: Tenant) -> None:
    text = "full_name,email,tags\nAda Lovelace,ada-csv@example.com,backend;Call Me 07700 900123\n"
    response = await client.post(
        "/v1/candidate-imports",
        headers=tenant.headers,
        params={"dry_run": "true"},
        files={"file": ("people.csv", text.encode(), "text/csv")},
    )
    assert response.status_code == 200, response.text
    [row] = response.json()["rows"]
    assert row["outcome"] == "refuse"
    assert any("tag 'Call Me 07700 900123' is not allowed" in reason for reason in row["reasons"])


async def test_candidate_campaign_details_are_sealed_and_read_back(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    created = await _create(client, tenant, source="referral", source_details={"utm_campaign": CAMPAIGN})
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["source_details"] == {"utm_campaign": CAMPAIGN}
    stored, _ = await _stored(sessionmaker, Candidate, body["id"])
    assert isinstance(stored, str)
    assert CAMPAIGN not in stored
    keyring: KeyRing = app.state.pii_keyring
    assert CAMPAIGN in keyring.decrypt(stored, context=f"candidate:{body['id']}:source_details")

    read = await client.get(f"/v1/candidates/{body['id']}", headers=tenant.headers)
    assert read.json()["source_details"] == {"utm_campaign": CAMPAIGN}
    by_source = await client.get("/v1/candidates", headers=tenant.headers, params={"source": "referral"})
    assert [item["id"] for item in by_source.json()["items"]] == [body["id"]]
    exported = await client.get(f"/v1/candidates/{body['id']}/export", headers=tenant.headers)
    assert exported.status_code == 200, exported.text
    assert exported.json()["candidate"]["source_details"] == {"utm_campaign": CAMPAIGN}

    headers = {**tenant.headers, "If-Match": created.headers["etag"]}
    changed = await client.patch(
        f"/v1/candidates/{body['id']}", headers=headers, json={"source_details": {"utm_source": "fair"}}
    )
    assert changed.json()["source_details"] == {"utm_source": "fair"}
    stored, _ = await _stored(sessionmaker, Candidate, body["id"])
    assert isinstance(stored, str)
    assert "fair" not in stored


async def test_application_tracking_is_sealed_shown_in_the_detail_and_counted_by_source(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    job = await open_job(client, app, tenant)
    applied = await apply(client, job["id"], tracking={"utm_campaign": CAMPAIGN, "referrer": "ada's blog"})
    application_id = applied["application_id"]
    stored = (await _stored(sessionmaker, Application, application_id))[0]
    assert isinstance(stored, str)
    assert CAMPAIGN not in stored

    detail = await client.get(f"/v1/applications/{application_id}", headers=tenant.headers)
    assert detail.json()["source_details"] == {"utm_campaign": CAMPAIGN, "referrer": "ada's blog"}
    listed = await client.get("/v1/applications", headers=tenant.headers, params={"job_id": job["id"]})
    assert listed.status_code == 200, listed.text
    [item] = listed.json()["items"]
    assert "source_details" not in item  # lists decrypt nothing
    candidate = await client.get(f"/v1/candidates/{detail.json()['candidate_id']}", headers=tenant.headers)
    assert candidate.json()["source_details"] == {"utm_campaign": CAMPAIGN, "referrer": "ada's blog"}

    report = await client.get("/v1/analytics/sources", headers=tenant.headers, params={"job_id": job["id"]})
    assert report.status_code == 200, report.text
    assert [(row["source"], row["applications"]) for row in report.json()["sources"]] == [
        ("careers_board", 1)
    ]


async def test_rotation_seals_clear_details_from_before_0017_and_reseals_tokens(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    job = await open_job(client, app, tenant)
    applied = await apply(client, job["id"], tracking={"utm_campaign": CAMPAIGN})
    application_id = applied["application_id"]
    sealed_candidate = await _create(client, tenant, source_details={"utm_source": "sealed-one"})
    legacy = await _create(client, tenant)
    legacy_id = legacy.json()["id"]
    async with transaction(sessionmaker) as session:  # as a row written before 0017 looks
        await session.execute(
            update(Candidate)
            .where(Candidate.id == uuid.UUID(legacy_id))
            .values(source_details={"utm_source": "clear-before-0017"})
            .execution_options(**all_tenants())
        )
    still_clear = await client.get(f"/v1/candidates/{legacy_id}", headers=tenant.headers)
    assert still_clear.json()["source_details"] == {"utm_source": "clear-before-0017"}  # readable meanwhile

    ring = KeyRing.from_setting(f"{KEY_B},{KEY_A}")
    await rotate_candidate_keys(sessionmaker, ring, batch_size=2)
    assert await pipeline.rotate_keys(sessionmaker, ring, batch_size=1) == 1  # no answers: the tracking

    for model, row_id, expected in (
        (Candidate, legacy_id, {"utm_source": "clear-before-0017"}),
        (Candidate, sealed_candidate.json()["id"], {"utm_source": "sealed-one"}),
        (Application, application_id, {"utm_campaign": CAMPAIGN}),
    ):
        stored = (await _stored(sessionmaker, model, row_id))[0]
        assert isinstance(stored, str), (model, stored)
        assert KeyRing.key_id(stored) == "kb"
        prefix = "candidate" if model is Candidate else "application"
        assert json.loads(ring.decrypt(stored, context=f"{prefix}:{row_id}:source_details")) == expected
    assert await pipeline.rotate_keys(sessionmaker, ring, batch_size=50) == 0  # nothing left to do


async def test_erasure_empties_the_sealed_details(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    job = await open_job(client, app, tenant)
    applied = await apply(client, job["id"], tracking={"utm_campaign": CAMPAIGN})
    detail = await client.get(f"/v1/applications/{applied['application_id']}", headers=tenant.headers)
    candidate_id = detail.json()["candidate_id"]
    current = await client.get(f"/v1/candidates/{candidate_id}", headers=tenant.headers)
    tagged = await client.patch(
        f"/v1/candidates/{candidate_id}",
        headers={**tenant.headers, "If-Match": current.headers["etag"]},
        json={"tags": ["python"]},
    )
    assert tagged.status_code == 200, tagged.text

    erased = await client.post(
        f"/v1/candidates/{candidate_id}/erase",
        headers=tenant.headers,
        json={"reason": "data_subject_request"},
    )
    assert erased.status_code == 200, erased.text
    assert await _stored(sessionmaker, Candidate, candidate_id) == ({}, [])
    assert await _stored(sessionmaker, Application, applied["application_id"]) == ({},)
