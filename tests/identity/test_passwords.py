"""Password storage (argon2id at OWASP's baseline) and the length rule."""

from __future__ import annotations

import re
import uuid

import httpx
from argon2 import PasswordHasher, Type
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.identity import repository
from rolecall.identity.passwords import hash_password, needs_rehash, password_problems, verify_password
from rolecall.platform.db import transaction
from rolecall.platform.tenancy import bind_organisation
from tests.factories import PASSWORD, Tenant
from tests.identity.support import password_grant

ARGON2_PATTERN = re.compile(r"^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$")


def assert_argon2id_baseline(encoded: str) -> None:
    match = ARGON2_PATTERN.match(encoded)
    assert match, encoded
    memory_kib, time_cost, parallelism = (int(g) for g in match.groups())
    assert memory_kib >= 19 * 1024
    assert time_cost >= 2
    assert parallelism == 1


def test_hash_password_uses_argon2id_at_the_owasp_baseline() -> None:
    encoded = hash_password(PASSWORD)
    assert_argon2id_baseline(encoded)
    assert PASSWORD not in encoded
    # A fresh salt each time: equal passwords never produce equal hashes.
    assert hash_password(PASSWORD) != encoded


def test_verify_password_accepts_only_the_right_password() -> None:
    encoded = hash_password(PASSWORD)
    assert verify_password(encoded, PASSWORD)
    assert not verify_password(encoded, PASSWORD + "x")
    assert not verify_password(None, PASSWORD)
    assert not verify_password("not-a-hash", PASSWORD)


def test_weaker_hashes_are_flagged_for_rehash() -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1, type=Type.ID).hash(PASSWORD)
    assert needs_rehash(weak)
    assert verify_password(weak, PASSWORD)
    assert not needs_rehash(hash_password(PASSWORD))


def test_password_rule_is_length_only() -> None:
    assert password_problems("a" * 11) == ["must be at least 12 characters"]
    assert password_problems("a" * 12) == []
    assert password_problems("no digits or capitals") == []
    assert password_problems("a" * 1025) == ["must be at most 1024 characters"]


async def test_stored_password_hash_is_argon2id(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with transaction(sessionmaker) as session:
        bind_organisation(session, tenant.organisation_id)
        admin = await repository.get_user(session, tenant.admin_id)
    assert admin is not None
    assert_argon2id_baseline(admin.password_hash)
    assert verify_password(admin.password_hash, PASSWORD)


async def test_short_password_is_refused_with_a_problem_naming_the_field(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    email = f"short-{uuid.uuid4().hex[:8]}@example.com"
    response = await client.post(
        "/v1/users",
        headers=tenant.headers,
        json={
            "email": email,
            "full_name": "Short Password",
            "password": "elevenchars",
            "roles": ["recruiter"],
        },
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 422
    assert [e["field"] for e in problem["errors"]] == ["body.password"]
    assert "12 characters" in problem["errors"][0]["message"]
    # Nothing was created: the address is still free and cannot sign in.
    assert (await password_grant(client, email, "elevenchars")).status_code == 400


async def test_password_change_below_the_minimum_is_refused(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    read = await client.get(f"/v1/users/{tenant.admin_id}", headers=tenant.headers)
    response = await client.patch(
        f"/v1/users/{tenant.admin_id}",
        headers={**tenant.headers, "If-Match": read.headers["etag"]},
        json={"password": "too-short"},
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["body.password"]
