"""GET /v1/interviews filters, sort by scheduled time, and display fields (candidate name, job title)."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from tests.factories import Tenant, fork_profile, open_job
from tests.interviews.support import application, person, schedule, soon
from tests.platform.problems import assert_problem


async def all_pages(
    client: httpx.AsyncClient, headers: dict[str, str], **params: Any
) -> list[dict[str, Any]]:
    """Every item of the list, one per page, so every page boundary goes through a cursor."""
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        query = {**params, "limit": 1, **({"cursor": cursor} if cursor else {})}
        response = await client.get("/v1/interviews", headers=headers, params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        items.extend(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return items


def ids(items: list[dict[str, Any]]) -> list[str]:
    return [item["id"] for item in items]


async def setting(client: httpx.AsyncClient, app: FastAPI, tenant: Tenant) -> dict[str, Any]:
    """Three interviews: first (application one, Pia, in 3 days), second (application one, Quentin,
    in 1 day) and third (application two to another job, Pia, in 2 days, cancelled)."""
    profile = (await fork_profile(client, tenant))["id"]
    platform = await open_job(client, app, tenant, profile, title="Platform Engineer")
    data = await open_job(client, app, tenant, profile, title="Data Engineer")
    one = await application(client, app, tenant, platform)
    two = await application(client, app, tenant, data)
    pia = await person(client, tenant, "interviewer")
    quentin = await person(client, tenant, "interviewer")
    first = await schedule(client, tenant, one["id"], pia, starts_at=soon(3))
    second = await schedule(client, tenant, one["id"], quentin, starts_at=soon(1))
    third = await schedule(client, tenant, two["id"], pia, starts_at=soon(2))
    cancelled = await client.post(f"/v1/interviews/{third['id']}/cancel", headers=tenant.headers)
    assert cancelled.status_code == 200, cancelled.text
    return {
        "jobs": (platform, data),
        "applications": (one, two),
        "people": (pia, quentin),
        "interviews": (first, second, third),
    }


async def test_interviews_filter_by_application_interviewer_status_job_and_time(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    made = await setting(client, app, tenant)
    first, second, third = made["interviews"]
    one, _two = made["applications"]
    pia, _quentin = made["people"]
    _platform, data = made["jobs"]
    headers = tenant.headers

    assert ids(await all_pages(client, headers, application=one["id"])) == [first["id"], second["id"]]
    assert ids(await all_pages(client, headers, interviewer=pia.id)) == [first["id"], third["id"]]
    assert ids(await all_pages(client, headers, status="cancelled")) == [third["id"]]
    assert ids(await all_pages(client, headers, status="scheduled")) == [first["id"], second["id"]]
    assert ids(await all_pages(client, headers, job=data["id"])) == [third["id"]]
    later = await all_pages(client, headers, scheduled_after=soon(1.5))
    assert ids(later) == [first["id"], third["id"]]
    assert ids(await all_pages(client, headers, scheduled_before=soon(1.5))) == [second["id"]]
    window = await all_pages(client, headers, scheduled_after=soon(1.5), scheduled_before=soon(2.5))
    assert ids(window) == [third["id"]]
    combined = await all_pages(client, headers, interviewer=pia.id, status="scheduled")
    assert ids(combined) == [first["id"]]


async def test_interviews_sort_by_scheduled_time_across_pages(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    made = await setting(client, app, tenant)
    first, second, third = made["interviews"]
    headers = tenant.headers

    assert ids(await all_pages(client, headers, sort="scheduled")) == [second["id"], third["id"], first["id"]]
    assert ids(await all_pages(client, headers, sort="-scheduled")) == [
        first["id"],
        third["id"],
        second["id"],
    ]
    assert ids(await all_pages(client, headers, sort="created")) == [first["id"], second["id"], third["id"]]
    assert ids(await all_pages(client, headers, sort="-created")) == [third["id"], second["id"], first["id"]]
    pia, _quentin = made["people"]
    assert ids(await all_pages(client, headers, sort="-scheduled", interviewer=pia.id)) == [
        first["id"],
        third["id"],
    ]
    page = await client.get("/v1/interviews", headers=headers, params={"sort": "scheduled", "limit": 1})
    cursor = page.json()["next_cursor"]
    replay = await client.get("/v1/interviews", headers=headers, params={"sort": "created", "cursor": cursor})
    assert_problem(replay, 400)


async def test_interviews_carry_names_only_for_candidate_readers(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    made = await setting(client, app, tenant)
    first, second, third = made["interviews"]
    pia, _quentin = made["people"]

    listed = await all_pages(client, tenant.headers, sort="created")
    assert [(i["candidate_name"], i["job_title"]) for i in listed] == [
        ("Ada Lovelace", "Platform Engineer"),
        ("Ada Lovelace", "Platform Engineer"),
        ("Ada Lovelace", "Data Engineer"),
    ]
    # An interviewer reads their own interviews but not candidates' personal data.
    own = await all_pages(client, pia.headers, sort="created")
    assert [(i["id"], i["candidate_name"], i["job_title"]) for i in own] == [
        (first["id"], None, "Platform Engineer"),
        (third["id"], None, "Data Engineer"),
    ]
    assert second["id"] not in ids(own)


async def test_invalid_interview_filters_are_422_naming_the_field(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"sort": "starts_at"}, "sort"),
        ({"status": "done"}, "status"),
        ({"application": "1"}, "application"),
        ({"interviewer": "someone"}, "interviewer"),
        ({"job": "x"}, "job"),
        ({"scheduled_after": "2026-01-01T09:00:00"}, "scheduled_after"),
        ({"scheduled_before": "soon"}, "scheduled_before"),
        (
            {"scheduled_after": "2026-02-01T00:00:00Z", "scheduled_before": "2026-01-01T00:00:00Z"},
            "scheduled_before",
        ),
        ({"sort": "scheduled", "updated_since": "2026-01-01T00:00:00Z"}, "sort"),
    ]
    for params, field in cases:
        response = await client.get("/v1/interviews", headers=tenant.headers, params=params)
        body = assert_problem(response, 422)
        fields = {part for error in body["errors"] for part in error["field"].split(".")}
        assert field in fields, (params, response.text)


async def test_interview_filters_never_reach_another_organisation(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, other_tenant: Tenant
) -> None:
    made = await setting(client, app, tenant)
    one, _two = made["applications"]
    pia, _quentin = made["people"]
    platform, _data = made["jobs"]
    theirs_application = await application(client, app, other_tenant)
    theirs = await schedule(
        client, other_tenant, theirs_application["id"], await person(client, other_tenant, "interviewer")
    )

    for params in (
        {"application": one["id"]},
        {"interviewer": pia.id},
        {"job": platform["id"]},
        {"status": "cancelled"},
        {"sort": "-scheduled"},
        {"scheduled_after": soon(0), "sort": "scheduled"},
    ):
        seen = await all_pages(client, other_tenant.headers, **params)
        assert set(ids(seen)) <= {theirs["id"]}, params
        assert all(item["job_title"] != "Platform Engineer" for item in seen)
    assert ids(await all_pages(client, other_tenant.headers, sort="scheduled")) == [theirs["id"]]
