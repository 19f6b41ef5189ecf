"""The tenancy guard: one listener filters every tenant-scoped statement by the session's organisation."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import Executable, delete, exists, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from rolecall.identity.models import ApiClient, Organisation, User
from rolecall.platform.db import transaction
from rolecall.platform.tenancy import TenancyViolation, all_tenants, bind_organisation
from tests.factories import Tenant

Maker = async_sessionmaker[AsyncSession]


@asynccontextmanager
async def session_for(sessionmaker: Maker, organisation_id: uuid.UUID | None) -> AsyncIterator[AsyncSession]:
    async with transaction(sessionmaker) as session:
        if organisation_id is not None:
            bind_organisation(session, organisation_id)
        yield session


async def attempt(
    sessionmaker: Maker, organisation_id: uuid.UUID | None, work: Callable[[AsyncSession], Awaitable[Any]]
) -> None:
    """Run ``work`` in its own unit of work (rolled back if it raises)."""
    async with session_for(sessionmaker, organisation_id) as session:
        await work(session)


async def everyone(sessionmaker: Maker) -> dict[uuid.UUID, tuple[uuid.UUID, str]]:
    """Every user of every tenant: id -> (organisation, full name), read deliberately across tenants."""
    async with transaction(sessionmaker) as session:
        rows = await session.execute(
            select(User.id, User.organisation_id, User.full_name).execution_options(**all_tenants())
        )
        return {row.id: (row.organisation_id, row.full_name) for row in rows}


async def add_api_client(client: httpx.AsyncClient, tenant: Tenant) -> uuid.UUID:
    response = await client.post(
        "/v1/api-clients", headers=tenant.headers, json={"name": "Sync", "scopes": ["users:read"]}
    )
    assert response.status_code == 201, response.text
    return uuid.UUID(response.json()["id"])


def new_user(**values: Any) -> User:
    return User(
        email=f"guard-{uuid.uuid4().hex[:8]}@example.com",
        full_name="Guard Test",
        password_hash="not-a-real-hash",
        roles=["interviewer"],
        **values,
    )


UNBOUND_STATEMENTS: dict[str, Callable[[], Executable]] = {
    "entity": lambda: select(User),
    "column": lambda: select(User.id),
    "count via select_from": lambda: select(func.count()).select_from(User),
    "aliased entity": lambda: select(aliased(User).id),
    "subquery in WHERE": lambda: select(Organisation.id).where(
        Organisation.id.in_(select(User.organisation_id))
    ),
    "EXISTS": lambda: select(Organisation.id).where(exists().where(User.organisation_id == Organisation.id)),
    "CTE": lambda: select(select(User.id).cte().c.id),
    "bulk UPDATE": lambda: update(User).values(full_name="Everyone"),
    "bulk DELETE": lambda: delete(ApiClient),
}


async def test_a_tenant_statement_without_an_organisation_raises(
    sessionmaker: Maker, tenant: Tenant, other_tenant: Tenant
) -> None:
    before = await everyone(sessionmaker)
    for name, statement in UNBOUND_STATEMENTS.items():
        try:
            await attempt(sessionmaker, None, lambda session, s=statement(): session.execute(s))
        except TenancyViolation:
            continue
        pytest.fail(f"{name} ran without an organisation in scope")
    assert await everyone(sessionmaker) == before


async def test_a_primary_key_lookup_without_an_organisation_raises(
    sessionmaker: Maker, tenant: Tenant
) -> None:
    with pytest.raises(TenancyViolation):
        await attempt(sessionmaker, None, lambda session: session.get(User, tenant.admin_id))


async def test_statements_on_shared_tables_need_no_organisation(sessionmaker: Maker, tenant: Tenant) -> None:
    async with session_for(sessionmaker, None) as session:
        organisation = await session.get(Organisation, tenant.organisation_id)
        assert organisation is not None
        assert (await session.scalars(select(Organisation.id))).all()


async def test_with_an_organisation_bound_only_its_rows_are_visible(
    sessionmaker: Maker, tenant: Tenant, other_tenant: Tenant
) -> None:
    async with session_for(sessionmaker, tenant.organisation_id) as session:
        assert [u.id for u in (await session.scalars(select(User))).all()] == [tenant.admin_id]
        assert (await session.scalars(select(User).where(User.id == other_tenant.admin_id))).all() == []
        assert await session.get(User, other_tenant.admin_id) is None
        assert (await session.scalar(select(func.count()).select_from(User))) == 1
        member = aliased(User)
        assert (await session.scalars(select(member.id))).all() == [tenant.admin_id]
        # Filtering reaches into subqueries: B's organisation has no users as far as A can tell.
        with_users = select(Organisation.id).where(exists().where(User.organisation_id == Organisation.id))
        assert (await session.scalars(with_users)).all() == [tenant.organisation_id]
        joined = select(Organisation.id, User.id).join(User, User.organisation_id == Organisation.id)
        assert (await session.execute(joined)).all() == [(tenant.organisation_id, tenant.admin_id)]


_EVERY_USER = select(User.id)  # one statement object, reused, as the hot repository reads do


async def test_a_statement_built_once_is_filtered_for_each_session_it_runs_in(
    sessionmaker: Maker, tenant: Tenant, other_tenant: Tenant
) -> None:
    """The guard remembers what a statement object touches and builds an organisation's criteria
    once: neither may carry one organisation's filter over to another's session."""
    for _round in range(2):
        for owner in (tenant, other_tenant):
            async with session_for(sessionmaker, owner.organisation_id) as session:
                assert (await session.scalars(_EVERY_USER)).all() == [owner.admin_id]
    with pytest.raises(TenancyViolation):
        await attempt(sessionmaker, None, lambda session: session.scalars(_EVERY_USER))


async def test_all_tenants_bypasses_the_filter_explicitly(
    sessionmaker: Maker, tenant: Tenant, other_tenant: Tenant
) -> None:
    for bound in (None, tenant.organisation_id):
        async with session_for(sessionmaker, bound) as session:
            ids = (await session.scalars(select(User.id).execution_options(**all_tenants()))).all()
            assert set(ids) == {tenant.admin_id, other_tenant.admin_id}


async def test_a_new_row_inherits_the_bound_organisation(sessionmaker: Maker, tenant: Tenant) -> None:
    async with session_for(sessionmaker, tenant.organisation_id) as session:
        user = new_user()
        session.add(user)
        await session.flush()
        assert user.organisation_id == tenant.organisation_id
    assert (await everyone(sessionmaker))[user.id][0] == tenant.organisation_id


async def test_inserting_a_row_for_another_organisation_raises(
    sessionmaker: Maker, tenant: Tenant, other_tenant: Tenant
) -> None:
    before = await everyone(sessionmaker)

    async def add(session: AsyncSession, user: User) -> None:
        session.add(user)
        await session.flush()

    foreign = new_user(organisation_id=other_tenant.organisation_id)
    with pytest.raises(TenancyViolation):
        await attempt(sessionmaker, tenant.organisation_id, lambda session: add(session, foreign))
    with pytest.raises(TenancyViolation):
        await attempt(sessionmaker, None, lambda session: add(session, new_user()))

    def row(**values: Any) -> dict[str, Any]:
        user = new_user()
        return {
            "id": uuid.uuid4(),
            "email": user.email,
            "full_name": user.full_name,
            "password_hash": user.password_hash,
            "roles": user.roles,
            **values,
        }

    elsewhere = {"organisation_id": other_tenant.organisation_id}
    for statement, parameters in (
        (insert(User).values(**row(**elsewhere)), None),
        (insert(User).values(**row()), None),  # no organisation at all
        (insert(User).values([row(organisation_id=tenant.organisation_id), row(**elsewhere)]), None),
        (insert(User), [row(**elsewhere)]),
    ):
        with pytest.raises(TenancyViolation):
            await attempt(
                sessionmaker,
                tenant.organisation_id,
                lambda session, s=statement, p=parameters: session.execute(s, p),
            )

    assert await everyone(sessionmaker) == before


async def test_a_row_cannot_be_moved_to_another_organisation(
    sessionmaker: Maker, tenant: Tenant, other_tenant: Tenant
) -> None:
    before = await everyone(sessionmaker)

    async def move(session: AsyncSession) -> None:
        admin = await session.get(User, tenant.admin_id)
        assert admin is not None
        admin.organisation_id = other_tenant.organisation_id
        await session.flush()

    with pytest.raises(TenancyViolation):
        await attempt(sessionmaker, tenant.organisation_id, move)
    assert await everyone(sessionmaker) == before


async def test_bulk_update_and_delete_only_touch_the_bound_organisation(
    client: httpx.AsyncClient, sessionmaker: Maker, tenant: Tenant, other_tenant: Tenant
) -> None:
    mine = await add_api_client(client, tenant)
    theirs = await add_api_client(client, other_tenant)
    before = await everyone(sessionmaker)

    async with session_for(sessionmaker, tenant.organisation_id) as session:
        updated: Any = await session.execute(update(User).values(full_name="Bulk Renamed"))
        assert updated.rowcount == 1
        deleted: Any = await session.execute(delete(ApiClient))
        assert deleted.rowcount == 1

    # Bulk UPDATE by primary key (a list of parameter sets) bypasses loader criteria: refused.
    by_primary_key = [{"id": other_tenant.admin_id, "version": 1, "full_name": "Hijacked"}]
    with pytest.raises(TenancyViolation):
        await attempt(
            sessionmaker,
            tenant.organisation_id,
            lambda session: session.execute(update(User), by_primary_key),
        )

    after = await everyone(sessionmaker)
    assert after[tenant.admin_id] == (tenant.organisation_id, "Bulk Renamed")
    assert after[other_tenant.admin_id] == before[other_tenant.admin_id]
    async with session_for(sessionmaker, None) as session:
        remaining = (await session.scalars(select(ApiClient.id).execution_options(**all_tenants()))).all()
    assert remaining == [theirs]
    assert mine not in remaining


async def test_core_statements_on_tenant_tables_are_refused(sessionmaker: Maker, tenant: Tenant) -> None:
    """with_loader_criteria only filters ORM entities, so a Core statement would run unfiltered."""
    users = User.__table__
    for statement in (
        select(users.c.id),
        select(func.count()).select_from(users),
        update(users).values(full_name="Core"),
    ):
        with pytest.raises(TenancyViolation):
            await attempt(
                sessionmaker, tenant.organisation_id, lambda session, s=statement: session.execute(s)
            )
    async with session_for(sessionmaker, tenant.organisation_id) as session:
        total = await session.scalar(
            select(func.count()).select_from(users).execution_options(**all_tenants())
        )
    assert total == 1
