"""What the privacy context calls: export a candidate's interviews and scorecards, erase the notes."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from fastapi import FastAPI

from rolecall.interviews import service
from rolecall.platform.db import transaction
from rolecall.platform.tenancy import bind_organisation
from tests.factories import Tenant
from tests.interviews.support import NOTES_CANARY, application, fill, person, schedule


async def export(app: FastAPI, tenant: Tenant, candidate_id: str) -> list[dict[str, Any]]:
    async with transaction(app.state.sessionmaker) as session:
        bind_organisation(session, tenant.organisation_id)
        return await service.export_candidate(session, uuid.UUID(candidate_id), keyring=app.state.pii_keyring)


async def test_export_then_erase_drops_notes_and_titles_but_keeps_ratings(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, other_tenant: Tenant
) -> None:
    applied = await application(client, app, tenant)
    bystander = await application(client, app, tenant, {"id": applied["job_id"]})
    ann = await person(client, tenant, "interviewer")
    interview = await schedule(client, tenant, applied["id"], ann, title="Ada Lovelace: system design")
    await schedule(client, tenant, bystander["id"], ann, title="Someone else")
    card = await fill(client, interview, ann, 3, "yes")

    [exported] = await export(app, tenant, applied["candidate_id"])
    assert exported["id"] == interview["id"]
    assert exported["title"] == "Ada Lovelace: system design"
    [scorecard] = exported["scorecards"]
    assert scorecard["id"] == card["id"]
    assert scorecard["notes"] == NOTES_CANARY
    assert scorecard["recommendation"] == "yes"
    assert {a["rating"] for a in scorecard["attributes"]} == {3}
    assert await export(app, other_tenant, applied["candidate_id"]) == []  # tenancy holds

    async with transaction(app.state.sessionmaker) as session:
        bind_organisation(session, tenant.organisation_id)
        await service.erase_candidate(session, uuid.UUID(applied["candidate_id"]))

    [after] = await export(app, tenant, applied["candidate_id"])
    assert after["title"] == service.ERASED_TITLE
    assert after["scorecards"][0]["notes"] is None
    assert after["scorecards"][0]["recommendation"] == "yes"
    assert {a["rating"] for a in after["scorecards"][0]["attributes"]} == {3}
    [untouched] = await export(app, tenant, bystander["candidate_id"])
    assert untouched["title"] == "Someone else"

    # The API shows the same: the submitted scorecard keeps its ratings and loses its notes.
    listed = await client.get(f"/v1/interviews/{interview['id']}/scorecards", headers=tenant.headers)
    assert listed.status_code == 200, listed.text
    assert listed.json()["items"][0]["notes"] is None
    read = await client.get(f"/v1/interviews/{interview['id']}", headers=tenant.headers)
    assert read.json()["title"] == service.ERASED_TITLE
