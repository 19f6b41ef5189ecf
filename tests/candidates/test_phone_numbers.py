"""Phone numbers parsed with phonenumbers: stored and indexed in E.164, invalid ones refused by field,
and ``refresh_search_indexes`` bringing rows written before that (and before the name index) up to date."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.candidates import names
from rolecall.candidates.models import Candidate, CandidateNameToken
from rolecall.candidates.name_index import refresh_search_indexes
from rolecall.candidates.phones import for_display, to_e164
from rolecall.platform.db import transaction
from rolecall.platform.pii import BlindIndex, KeyRing
from rolecall.platform.tenancy import all_tenants
from tests.factories import Tenant
from tests.platform.problems import assert_problem


async def create(client: httpx.AsyncClient, tenant: Tenant, **fields: Any) -> httpx.Response:
    body = {"full_name": "Ada Lovelace", **fields}
    return await client.post("/v1/candidates", headers=tenant.headers, json=body)


WRITTEN_ALIKE = (
    "+49 30 1234567",
    "+49301234567",
    "0049 (30) 123-4567",
    "+49 (0)30 1234567",
    "+49 030 1234567",
)


def test_to_e164_folds_the_ways_one_number_is_written() -> None:
    for written in WRITTEN_ALIKE:
        assert to_e164(written) == "+49301234567", written


@pytest.mark.parametrize(
    ("written", "reason"),
    [
        ("030 1234567", "country code"),
        ("+1 555 010 0441", "not a valid phone number"),  # NANP has no area code 555
        ("+999 1234567", "not a phone number"),
        ("+49 1", "digits"),
        ("+44 20 7946 0958 ext 12", "only digits"),
    ],
)
def test_to_e164_refuses_numbers_without_a_country_or_not_valid_there(written: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason) as caught:
        to_e164(written)
    assert written not in str(caught.value)  # the message never echoes the number


async def test_phones_are_stored_in_e164_and_one_number_written_two_ways_is_one_candidate(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    first = await create(client, tenant, phone="+49 30 1234567")
    assert first.status_code == 201, first.text
    assert first.json()["phone"] == "+49301234567"
    again = await create(client, tenant, full_name="Ada L.", phone="0049 (0)30 123-4567")
    assert again.status_code == 200, again.text
    assert again.json()["id"] == first.json()["id"]
    trunk = await create(client, tenant, full_name="Ada", phone="+49 030 1234567")
    assert trunk.status_code == 200, trunk.text
    assert trunk.json()["id"] == first.json()["id"]


async def test_an_update_to_another_candidates_number_written_differently_is_a_conflict(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    await create(client, tenant, phone="+44 20 7946 0958")
    other = (await create(client, tenant, full_name="Grace", email="grace@example.com")).json()
    response = await client.patch(
        f"/v1/candidates/{other['id']}",
        headers={**tenant.headers, "If-Match": f'"{other["id"]}.{other["version"]}"'},
        json={"phone": "0044 (0)20 7946-0958"},
    )
    if response.status_code == 412:  # ETag spelt differently: read it from the candidate itself
        read = await client.get(f"/v1/candidates/{other['id']}", headers=tenant.headers)
        response = await client.patch(
            f"/v1/candidates/{other['id']}",
            headers={**tenant.headers, "If-Match": read.headers["ETag"]},
            json={"phone": "0044 (0)20 7946-0958"},
        )
    assert_problem(response, 409)


async def test_invalid_phones_are_a_422_naming_the_field(client: httpx.AsyncClient, tenant: Tenant) -> None:
    for phone in ("030 1234567", "+1 555 010 0441", "+49 1"):
        response = await create(client, tenant, phone=phone)
        body = assert_problem(response, 422)
        assert any("phone" in str(error.get("field", error.get("loc", ""))) for error in body["errors"]), body
    listed = await client.get("/v1/candidates", headers=tenant.headers)
    assert listed.json()["items"] == []


async def _make_legacy(
    sessionmaker: async_sessionmaker[AsyncSession],
    keyring: KeyRing,
    index: BlindIndex,
    candidate_id: str,
    phone: str,
) -> None:
    """Turn a candidate into a row as written before 0011: phone as typed, old index, no name tokens."""
    async with transaction(sessionmaker) as session:
        row = (
            await session.scalars(
                select(Candidate)
                .where(Candidate.id == uuid.UUID(candidate_id))
                .execution_options(**all_tenants())
            )
        ).one()
        await session.execute(
            update(Candidate)
            .where(Candidate.id == row.id)
            .values(
                phone=keyring.encrypt(phone, context=f"candidate:{row.id}:phone"),
                phone_index=index.phone(phone),
            )
            .execution_options(**all_tenants(), synchronize_session=False)
        )
        tokens = (
            await session.scalars(
                select(CandidateNameToken)
                .where(CandidateNameToken.candidate_id == row.id)
                .execution_options(**all_tenants())
            )
        ).all()
        for token in tokens:
            await session.delete(token)


async def _tokens(sessionmaker: async_sessionmaker[AsyncSession], candidate_id: str) -> set[tuple[str, str]]:
    async with transaction(sessionmaker) as session:
        stmt = select(CandidateNameToken.token, CandidateNameToken.organisation_id).where(
            CandidateNameToken.candidate_id == uuid.UUID(candidate_id)
        )
        rows = await session.execute(stmt.execution_options(**all_tenants()))
        return {(token, str(org)) for token, org in rows}


async def test_refresh_rebuilds_name_tokens_and_e164_phone_indexes_of_old_rows(
    app: FastAPI,
    client: httpx.AsyncClient,
    tenant: Tenant,
    other_tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    keyring: KeyRing = app.state.pii_keyring
    index: BlindIndex = app.state.blind_index
    mine = (await create(client, tenant, full_name="Zoë Ångström", phone="+49 30 1234567")).json()
    theirs = (await create(client, other_tenant, full_name="Zoe Angstrom", phone="+49 30 7654321")).json()
    # "+49 030 ..." (trunk 0 after the country code) indexed as typed is "+490301234567": a different
    # digest from the E.164 one, so the same number sent again would not be recognised.
    await _make_legacy(sessionmaker, keyring, index, mine["id"], "+49 030 1234567")
    await _make_legacy(sessionmaker, keyring, index, theirs["id"], "+49 30 7654321")
    assert await _tokens(sessionmaker, mine["id"]) == set()

    report = await refresh_search_indexes(sessionmaker, keyring, index, batch_size=1)

    assert (report.candidates, report.phones, report.skipped_phones) == (2, 1, 0)
    expected = {index.digest(names.TOKEN_PURPOSE, word) for word in ("zoe", "angstrom")}
    assert await _tokens(sessionmaker, mine["id"]) == {(t, str(tenant.organisation_id)) for t in expected}
    assert await _tokens(sessionmaker, theirs["id"]) == {
        (t, str(other_tenant.organisation_id)) for t in expected
    }
    again = await create(client, tenant, full_name="Zoe", phone="+49 30 1234567")
    assert again.status_code == 200, again.text
    assert again.json()["id"] == mine["id"]
    # Nothing a client sees moved: same version, and running it again changes nothing more.
    assert again.json()["version"] == mine["version"]
    second = await refresh_search_indexes(sessionmaker, keyring, index)
    assert (second.candidates, second.phones) == (2, 0)


async def test_refresh_leaves_a_phone_index_another_candidate_holds(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    keyring: KeyRing = app.state.pii_keyring
    index: BlindIndex = app.state.blind_index
    old = (await create(client, tenant, full_name="Old Row", phone="+49 30 5550000")).json()
    await _make_legacy(sessionmaker, keyring, index, old["id"], "+49 030 1234567")
    new = await create(client, tenant, full_name="New Row", phone="+49 30 1234567")
    assert new.status_code == 201, new.text  # the old row's index does not match the E.164 one

    report = await refresh_search_indexes(sessionmaker, keyring, index)

    assert (report.phones, report.skipped_phones) == (0, 1)  # the duplicate stays for a recruiter to merge


def test_pages_show_an_e164_number_grouped_and_anything_else_as_stored() -> None:
    assert for_display("+442079460958") == "+44 20 7946 0958"
    assert for_display("020 7946 0958") == "020 7946 0958"  # a pre-0011 national number, kept
