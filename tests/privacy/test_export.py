"""The data-subject export: one JSON document with everything held about a person, and who saw it."""

from __future__ import annotations

from datetime import datetime

import httpx
from fastapi import FastAPI

from tests.factories import Tenant
from tests.platform.problems import assert_problem
from tests.privacy.support import new_candidate, person_everywhere


async def _audit(client: httpx.AsyncClient, tenant: Tenant) -> list[dict[str, object]]:
    response = await client.get("/v1/audit-events", headers=tenant.headers, params={"limit": 200})
    assert response.status_code == 200, response.text
    items: list[dict[str, object]] = response.json()["items"]
    return items


async def test_export_holds_everything_about_the_person(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    person = await person_everywhere(client, app, tenant, "export")
    other = await new_candidate(client, tenant, full_name="Someone Else", email="else@example.com")
    assert (
        await client.get(f"/v1/candidates/{person.candidate_id}", headers=tenant.headers)
    ).status_code == 200
    assert (await client.get("/v1/candidates", headers=tenant.headers)).status_code == 200

    response = await client.get(f"/v1/candidates/{person.candidate_id}/export", headers=tenant.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert (
        response.headers["content-disposition"]
        == f"attachment; filename=candidate-{person.candidate_id}.json"
    )
    assert response.headers["cache-control"] == "no-store"
    document = response.json()

    assert document["schema_version"] == 1
    assert datetime.fromisoformat(document["generated_at"]).tzinfo is not None
    assert document["candidate_id"] == person.candidate_id
    assert document["organisation_id"] == str(tenant.organisation_id)
    candidate = document["candidate"]
    assert candidate["full_name"] == "export Fullname"
    assert candidate["email"] == person.email
    assert candidate["phone"] == "+442079460958"  # stored in E.164
    assert candidate["links"] == ["https://export-links.example/profile"]
    assert candidate["location"] == "exportville"
    assert candidate["erased_at"] is None

    [application] = document["applications"]
    assert application["id"] == person.application_id
    assert application["answers"] == {"motivation": "export motivation answer"}
    assert application["consent"]["given"] is True
    assert application["consent"]["text_version"]
    assert application["source_details"] == {"utm_campaign": "export-campaign"}
    assert [t["action"] for t in application["transitions"]][:1] == ["applied"]

    [interview] = document["interviews"]
    assert interview["title"] == "export interview title"
    [scorecard] = interview["scorecards"]
    assert scorecard["notes"] == "export scorecard opinion"
    assert document["offers"] == []

    [resume] = document["files"]
    assert "export resume line" in resume["text"]
    [note] = document["notes"]
    assert note["body"] == "export staff note"

    trail = document["audit_trail"]
    actions = {entry["action"] for entry in trail}
    assert {"candidate.created", "candidate.viewed", "candidate.listed", "candidate.exported"} <= actions
    assert all(
        entry["target_id"]
        in {person.candidate_id, person.application_id, person.interview_id, person.scorecard_id}
        or entry["action"] == "candidate.listed"
        or entry["target_id"]
        in {file["id"] for file in document["files"]} | {n["id"] for n in document["notes"]}
        for entry in trail
    ), trail
    listed = [entry for entry in trail if entry["action"] == "candidate.listed"]
    # A list read shows up without the ids of the other people on the page.
    assert all("candidate_ids" not in entry["details"] for entry in listed)
    assert other["id"] not in response.text
    viewers = {entry["actor"] for entry in trail if entry["action"] == "candidate.viewed"}
    assert f"user:{tenant.admin_id}" in viewers

    exported = [e for e in await _audit(client, tenant) if e["action"] == "candidate.exported"]
    assert [(e["target_id"], e["actor"]) for e in exported] == [
        (person.candidate_id, f"user:{tenant.admin_id}")
    ]


async def test_another_organisations_candidate_cannot_be_exported(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    theirs = await new_candidate(client, other_tenant, email="theirs@example.com")
    missing = "01a208cb-0000-7000-8000-000000000000"
    for candidate_id in (theirs["id"], missing):
        response = await client.get(f"/v1/candidates/{candidate_id}/export", headers=tenant.headers)
        assert_problem(response, 404, "not-found")
    assert not [e for e in await _audit(client, tenant) if e["action"] == "candidate.exported"]
