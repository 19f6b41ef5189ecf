"""GET /v1/candidates filters and sorts: blind-index lookups, the name-token index, job and stage."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.candidates import names
from rolecall.candidates.models import CandidateNameToken
from rolecall.platform.db import transaction
from rolecall.platform.tenancy import all_tenants
from tests.candidates.test_merge import merge
from tests.candidates.test_privacy import erase
from tests.factories import Tenant, create_application, fork_profile, move_application, open_job
from tests.platform.problems import assert_problem


async def add(client: httpx.AsyncClient, tenant: Tenant, name: str, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"full_name": name, "email": f"{names.words(name)[0]}-{len(name)}@example.com"}
    body.update(fields)
    response = await client.post("/v1/candidates", headers=tenant.headers, json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def found(client: httpx.AsyncClient, tenant: Tenant, **params: Any) -> list[str]:
    """The full names the list answers with, following every cursor."""
    seen: list[str] = []
    cursor: str | None = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = await client.get("/v1/candidates", headers=tenant.headers, params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        seen.extend(item["full_name"] for item in body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return seen


async def token_rows(sessionmaker: async_sessionmaker[AsyncSession], candidate_id: str) -> int:
    async with transaction(sessionmaker) as session:
        stmt = (
            select(func.count())
            .select_from(CandidateNameToken)
            .where(CandidateNameToken.candidate_id == uuid.UUID(candidate_id))
            .execution_options(**all_tenants())
        )
        return int((await session.execute(stmt)).scalar_one())


def test_words_fold_case_accents_and_punctuation() -> None:
    assert names.words("  José-Luis ÑÚÑEZ  núñez ") == ["jose", "luis", "nunez"]
    assert names.words("Ørsted O'Brien") == ["ørsted", "o", "brien"]


async def test_name_search_finds_by_one_word_full_name_and_any_case_or_accents(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    await add(client, tenant, "Ada Lovelace")
    await add(client, tenant, "José Núñez")
    await add(client, tenant, "Ada Byron")
    assert sorted(await found(client, tenant, name="ada")) == ["Ada Byron", "Ada Lovelace"]
    assert await found(client, tenant, name="Lovelace ADA") == ["Ada Lovelace"]
    assert await found(client, tenant, name="jose nunez") == ["José Núñez"]
    assert await found(client, tenant, name="NÚÑEZ") == ["José Núñez"]
    # Whole words only, and every word must match.
    assert await found(client, tenant, name="Love") == []
    assert await found(client, tenant, name="Ada Núñez") == []


async def test_name_search_does_not_cross_organisations(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    await add(client, tenant, "Grace Hopper")
    await add(client, other_tenant, "Grace Kelly")
    assert await found(client, tenant, name="grace") == ["Grace Hopper"]
    assert await found(client, other_tenant, name="grace") == ["Grace Kelly"]
    assert await found(client, other_tenant, name="hopper") == []


async def test_renaming_reindexes_and_erasure_and_merge_drop_the_tokens(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    ada = await add(client, tenant, "Ada Lovelace")
    read = await client.get(f"/v1/candidates/{ada['id']}", headers=tenant.headers)
    renamed = await client.patch(
        f"/v1/candidates/{ada['id']}",
        headers={**tenant.headers, "If-Match": read.headers["etag"]},
        json={"full_name": "Ada King"},
    )
    assert renamed.status_code == 200, renamed.text
    assert await found(client, tenant, name="lovelace") == []
    assert await found(client, tenant, name="king") == ["Ada King"]

    await erase(app, tenant, ada["id"])
    assert await found(client, tenant, name="king") == []
    assert await found(client, tenant, name="ada") == []
    assert await token_rows(sessionmaker, ada["id"]) == 0

    target = await add(client, tenant, "Mary Somerville")
    duplicate = await add(client, tenant, "Mary Fairfax")
    response = await merge(client, tenant, target["id"], duplicate["id"])
    assert response.status_code == 200, response.text
    assert await found(client, tenant, name="fairfax") == []
    assert await found(client, tenant, name="mary") == ["Mary Somerville"]
    assert await token_rows(sessionmaker, duplicate["id"]) == 0


async def test_exact_email_phone_tag_and_source_filters(client: httpx.AsyncClient, tenant: Tenant) -> None:
    await add(
        client, tenant, "Ada Lovelace", email="Ada@Example.com", phone="+44 20 7946 0958", tags=["python"]
    )
    await add(client, tenant, "Alan Turing", email="alan@example.com", source="referral", tags=["pythonic"])
    assert await found(client, tenant, email="ada@EXAMPLE.com") == ["Ada Lovelace"]
    assert await found(client, tenant, email="nobody@example.com") == []
    assert await found(client, tenant, phone="+442079460958") == ["Ada Lovelace"]
    assert await found(client, tenant, phone="0044 (0)20 7946 0958") == ["Ada Lovelace"]
    assert await found(client, tenant, tag="python") == ["Ada Lovelace"]
    assert await found(client, tenant, tag="pythonic") == ["Alan Turing"]
    assert await found(client, tenant, tag="pyth%") == []
    assert await found(client, tenant, source="referral") == ["Alan Turing"]
    assert await found(client, tenant, source="referral", name="ada") == []


async def test_job_and_stage_filters_ask_the_pipeline(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    profile = (await fork_profile(client, tenant))["id"]
    job = await open_job(client, app, tenant, profile)
    other = await open_job(client, app, tenant, profile, title="Data Engineer")
    first = await create_application(client, app, tenant, job, full_name="Ada Applied")
    second = await create_application(client, app, tenant, job, full_name="Bob Screened")
    await create_application(client, app, tenant, other, full_name="Cy Elsewhere")
    await add(client, tenant, "Dee Nowhere")
    await move_application(client, tenant, second, "Recruiter screen")
    assert first["stage"] != "Recruiter screen"

    assert sorted(await found(client, tenant, job_id=job["id"])) == ["Ada Applied", "Bob Screened"]
    assert await found(client, tenant, job_id=job["id"], stage="Recruiter screen") == ["Bob Screened"]
    assert await found(client, tenant, stage=first["stage"], job_id=other["id"]) == ["Cy Elsewhere"]
    assert await found(client, tenant, stage="No such stage") == []


@pytest.mark.parametrize("sort", ["created", "-created", "updated", "-updated", "name", "-name"])
async def test_every_sort_pages_through_all_rows_in_order(
    client: httpx.AsyncClient, tenant: Tenant, sort: str
) -> None:
    made = [
        await add(client, tenant, name) for name in ("Émile Zola", "anna Karenina", "Bob Dylan", "Ben Hur")
    ]
    # Touch the first so updated order differs from created order.
    read = await client.get(f"/v1/candidates/{made[0]['id']}", headers=tenant.headers)
    patched = await client.patch(
        f"/v1/candidates/{made[0]['id']}",
        headers={**tenant.headers, "If-Match": read.headers["etag"]},
        json={"tags": ["touched"]},
    )
    assert patched.status_code == 200, patched.text
    created = [c["full_name"] for c in made]
    updated = created[1:] + created[:1]
    by_name = ["anna Karenina", "Ben Hur", "Bob Dylan", "Émile Zola"]
    expected = {"created": created, "updated": updated, "name": by_name}[sort.removeprefix("-")]
    if sort.startswith("-"):
        expected = list(reversed(expected))
    assert await found(client, tenant, sort=sort, limit=1) == expected
    assert await found(client, tenant, sort=sort, limit=3) == expected


async def test_sort_name_cursor_does_not_carry_the_name_in_clear(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    import base64

    await add(client, tenant, "Qwzx Canary")
    await add(client, tenant, "Zed Last")
    response = await client.get("/v1/candidates", headers=tenant.headers, params={"sort": "name", "limit": 1})
    cursor = response.json()["next_cursor"]
    decoded = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    assert "qwzx" not in decoded.lower()


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"sort": "email"}, "sort"),
        ({"source": "myspace"}, "source"),
        ({"email": "not-an-address"}, "email"),
        ({"phone": "call me"}, "phone"),
        ({"name": "--"}, "name"),
        ({"job_id": "12"}, "job_id"),
    ],
)
async def test_invalid_filter_values_are_problems_naming_the_field(
    client: httpx.AsyncClient, tenant: Tenant, params: dict[str, str], field: str
) -> None:
    response = await client.get("/v1/candidates", headers=tenant.headers, params=params)
    assert_problem(response, 422)
    assert field in response.text


async def test_a_cursor_replayed_with_another_sort_is_refused(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    await add(client, tenant, "Ada Lovelace")
    await add(client, tenant, "Alan Turing")
    first = await client.get("/v1/candidates", headers=tenant.headers, params={"sort": "name", "limit": 1})
    cursor = first.json()["next_cursor"]
    again = await client.get(
        "/v1/candidates", headers=tenant.headers, params={"sort": "-created", "limit": 1, "cursor": cursor}
    )
    assert_problem(again, 400)


async def test_updated_since_combines_with_filters(client: httpx.AsyncClient, tenant: Tenant) -> None:
    await add(client, tenant, "Ada Lovelace", tags=["x"])
    await add(client, tenant, "Alan Turing")
    names_seen = await found(client, tenant, updated_since="2000-01-01T00:00:00Z", tag="x")
    assert names_seen == ["Ada Lovelace"]
    both = await client.get(
        "/v1/candidates",
        headers=tenant.headers,
        params={"updated_since": "2000-01-01T00:00:00Z", "sort": "name"},
    )
    assert_problem(both, 422)
