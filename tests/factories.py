"""Test data built through the public API and service functions, never by writing rows directly."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.identity import service as identity
from rolecall.platform.db import transaction

PASSWORD = "correct-horse-battery-staple"


@dataclass
class Tenant:
    organisation_id: uuid.UUID
    admin_id: uuid.UUID
    admin_email: str
    token: str
    refresh_token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def login(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> dict[str, str]:
    response = await client.post(
        "/v1/oauth/token", data={"grant_type": "password", "username": email, "password": password}
    )
    assert response.status_code == 200, response.text
    body: dict[str, str] = response.json()
    return body


async def create_tenant(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession], name: str = "Example Ltd"
) -> Tenant:
    email = f"admin-{uuid.uuid4().hex[:8]}@example.test"
    async with transaction(sessionmaker) as session:
        created = await identity.create_organisation(
            session, name=name, admin_email=email, admin_password=PASSWORD
        )
    tokens = await login(client, email)
    return Tenant(
        created.organisation.id, created.admin.id, email, tokens["access_token"], tokens["refresh_token"]
    )


async def create_user(client: httpx.AsyncClient, tenant: Tenant, *roles: str) -> tuple[str, str]:
    """Create a staff user through the API; returns (user id, access token)."""
    email = f"{'-'.join(roles) or 'user'}-{uuid.uuid4().hex[:8]}@example.com"
    response = await client.post(
        "/v1/users",
        headers=tenant.headers,
        json={"email": email, "full_name": "Test Person", "password": PASSWORD, "roles": list(roles)},
    )
    assert response.status_code == 201, response.text
    return response.json()["id"], (await login(client, email))["access_token"]
