"""The Lever-shaped board: field-by-field against Lever's documented fields, filters, grouping,
paging, no leaks, and applying with ``?key=`` through the public apply door."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from fastapi import FastAPI

from tests.compat.support import board_key, fixture, make_board, shape_problems
from tests.factories import Tenant
from tests.mail import send_mail, status_token

LEVER = "/compat/lever/v0/postings"
# Lever documents country as "or null to indicate an unknown country" (a remote job in several).
NULLABLE = frozenset({"$[].country", "$.country"})


async def postings(client: httpx.AsyncClient, slug: str, **params: Any) -> Any:
    response = await client.get(f"{LEVER}/{slug}", params={"mode": "json", **params})
    assert response.status_code == 200, response.text
    return response.json()


async def test_postings_have_levers_fields_filters_groups_and_paging(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    board = await make_board(client, app, tenant)
    documented = fixture("lever_posting.json")
    documented["lists"] = []  # Rolecall sends no extra lists; the type (array) is still checked

    listed = await postings(client, board.slug)
    assert len(listed) == 2
    assert shape_problems(listed, [documented], nullable=NULLABLE) == []
    by_team = {p["categories"]["team"]: p for p in listed}
    on_site, remote = by_team["Engineering"], by_team["Data"]
    assert on_site["workplaceType"] == "hybrid"
    assert remote["workplaceType"] == "remote"
    assert on_site["categories"]["location"] == "Berlin, DE"
    assert on_site["country"] == "DE"
    assert remote["categories"]["commitment"] == "Contract"
    assert on_site["salaryRange"] == {
        "currency": "USD",
        "interval": "per-year-salary",
        "min": 110000,
        "max": 150000,
    }
    assert isinstance(on_site["createdAt"], int)
    assert on_site["createdAt"] > 1_600_000_000_000
    assert on_site["hostedUrl"].startswith("http")
    assert on_site["applyUrl"].endswith("/apply")

    one = await client.get(f"{LEVER}/{board.slug}/{on_site['id']}")
    assert one.status_code == 200
    assert one.json() == on_site
    assert shape_problems(one.json(), documented, nullable=NULLABLE) == []

    assert [p["id"] for p in await postings(client, board.slug, team="Data")] == [remote["id"]]
    assert len(await postings(client, board.slug, team=["Data", "Engineering"])) == 2
    assert await postings(client, board.slug, team="data") == []  # case sensitive, as Lever's docs say
    assert [p["id"] for p in await postings(client, board.slug, location="Remote")] == [remote["id"]]
    assert [p["id"] for p in await postings(client, board.slug, commitment="Full-time")] == [on_site["id"]]
    assert len(await postings(client, board.slug, level="lead")) == 2
    assert len(await postings(client, board.slug, skip=1)) == 1
    assert len(await postings(client, board.slug, limit=1)) == 1
    assert await postings(client, board.slug, skip=2) == []

    grouped = await postings(client, board.slug, group="team")
    assert [g["title"] for g in grouped] == ["Data", "Engineering"]
    assert [p["id"] for p in grouped[0]["postings"]] == [remote["id"]]
    bad = await client.get(f"{LEVER}/{board.slug}", params={"group": "salary"})
    assert bad.status_code == 400
    assert bad.json()["ok"] is False


async def test_nothing_unpublished_or_of_another_organisation_is_served(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, other_tenant: Tenant
) -> None:
    board = await make_board(client, app, tenant)
    theirs = await make_board(client, app, other_tenant)
    mine = {p["id"] for p in await postings(client, board.slug)}
    assert mine == {j["id"] for j in board.open_jobs}
    assert board.draft["id"] not in mine
    crossed = await client.get(f"{LEVER}/{board.slug}/{theirs.open_jobs[0]['id']}")
    assert crossed.status_code == 404
    assert crossed.json()["ok"] is False
    assert (await client.get(f"{LEVER}/{board.slug}/{board.draft['id']}")).status_code == 404
    assert (await client.get(f"{LEVER}/no-such-board")).json() == {"ok": False, "error": "Document not found"}


async def test_applying_with_the_key_answers_ok_and_an_application_id(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    board = await make_board(client, app, tenant)
    key = await board_key(client, tenant)
    posting_id = board.open_jobs[1]["id"]  # no form questions
    url = f"{LEVER}/{board.slug}/{posting_id}"
    fields = {
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "phone": "+44 20 7946 0958",
        "urls[GitHub]": "https://github.com/ada",
        "consent[processing]": "true",
    }

    no_key = await client.post(url, data=fields)
    assert no_key.status_code == 401
    assert no_key.json() == {"ok": False, "error": "Invalid API key"}
    no_consent = await client.post(url, params={"key": key}, data={**fields, "consent[processing]": "false"})
    assert no_consent.status_code == 400
    assert "consent[processing]" in no_consent.json()["error"]
    no_name = await client.post(
        url, params={"key": key}, data={k: v for k, v in fields.items() if k != "name"}
    )
    assert no_name.status_code == 400
    assert "name" in no_name.json()["error"]

    answer = await client.post(
        url, params={"key": key}, data=fields, files={"resume": ("cv.txt", b"COBOL", "text/plain")}
    )
    assert answer.status_code == 200, answer.text
    assert shape_problems(answer.json(), fixture("lever_apply_ok.json")) == []
    application_id = answer.json()["applicationId"]
    detail = await client.get(f"/v1/applications/{uuid.UUID(application_id)}", headers=tenant.headers)
    assert detail.status_code == 200, detail.text
    assert detail.json()["job_id"] == posting_id
    token = status_token(await send_mail(app), "ada@example.com")
    assert (await client.get(f"/v1/application-status/{token}")).status_code == 200

    as_json: dict[str, Any] = {
        "name": "Grace Hopper",
        "email": "grace@example.com",
        "urls": {"Site": "https://example.com/grace"},
        "consent": {"processing": True},
    }
    answered = await client.post(url, params={"key": key}, json=as_json)
    assert answered.status_code == 200
    assert answered.json()["ok"] is True
