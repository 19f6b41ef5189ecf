"""Identity use cases called directly, as the CLI and the demo loader do."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.identity import repository, service
from rolecall.platform.db import transaction
from rolecall.platform.errors import Unprocessable
from rolecall.platform.tenancy import bind_organisation
from tests.factories import PASSWORD, Tenant, login


async def test_create_organisation_makes_an_admin_who_can_sign_in(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with transaction(sessionmaker) as session:
        created = await service.create_organisation(
            session, name="  Globex  ", admin_email="  Boss@Globex.example ", admin_password=PASSWORD
        )
    assert created.organisation.name == "Globex"
    assert created.admin.email == "boss@globex.example"
    assert created.admin.roles == ["admin"]
    assert created.admin.organisation_id == created.organisation.id

    tokens = await login(client, "boss@globex.example")
    me = await client.get("/v1/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me.json()["id"] == str(created.admin.id)


async def test_an_admin_address_used_elsewhere_makes_a_separate_account(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    # Addresses are unique per organisation: a new organisation may have an admin whose address
    # another organisation uses, and it is a different account (normalised to lower case).
    async with transaction(sessionmaker) as session:
        created = await service.create_organisation(
            session, name="Copycat", admin_email=tenant.admin_email.upper(), admin_password=PASSWORD
        )
    assert created.admin.id != tenant.admin_id
    assert created.admin.email == tenant.admin_email
    assert created.organisation.id != tenant.organisation_id
    async with transaction(sessionmaker) as session:
        bind_organisation(session, tenant.organisation_id)
        admin = await repository.get_user(session, tenant.admin_id)
    assert admin is not None
    assert admin.organisation_id == tenant.organisation_id


async def test_create_organisation_validates_its_input(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    for name, password in (("Acme", "too-short"), ("   ", PASSWORD)):
        with pytest.raises(Unprocessable):
            async with transaction(sessionmaker) as session:
                await service.create_organisation(
                    session, name=name, admin_email="first@acme.example", admin_password=password
                )
    async with transaction(sessionmaker) as session:
        assert not await service.login_exists(session, "first@acme.example")
