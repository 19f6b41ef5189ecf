"""Migration 0013 on a database with staff in it: recruiters stay organisation-wide, nobody else is.

Going down drops the flag (and the candidates' ``added_by_user_id``) in place; going up again runs the
backfill, which must not lose any account or login on the way (a rebuilt users table on SQLite would
cascade to the logins).
"""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.platform import schema
from tests.factories import Tenant, create_user


async def test_upgrade_keeps_recruiters_organisation_wide_only(
    client: httpx.AsyncClient,
    tenant: Tenant,
    db_url: str,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    people = {
        roles: (await create_user(client, tenant, *roles, sees_all_jobs=False))[0]
        for roles in (("recruiter",), ("hiring_manager",), ("interviewer",), ("hiring_manager", "recruiter"))
    }

    schema.downgrade(db_url, "0012")
    schema.upgrade(db_url)

    flags = {}
    for roles, user_id in people.items():
        response = await client.get(f"/v1/users/{user_id}", headers=tenant.headers)
        assert response.status_code == 200, response.text
        flags[roles] = response.json()["sees_all_jobs"]
    assert flags == {
        ("recruiter",): True,
        ("hiring_manager",): False,
        ("interviewer",): False,
        ("hiring_manager", "recruiter"): True,
    }
    # The admin's login survived both directions.
    assert (await client.get("/v1/me", headers=tenant.headers)).status_code == 200
