"""Demo data for ``make run``: one organisation with an admin, a recruiter and a hiring manager.

Idempotent: running it again finds the organisation by its admin's e-mail and creates nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.identity import service as identity
from rolecall.identity.permissions import Role
from rolecall.identity.schemas import UserCreate
from rolecall.platform.auth import Principal
from rolecall.platform.db import transaction

DEMO_ORGANISATION = "Acme Robotics (demo)"
DEMO_PASSWORD = "rolecall-demo-password"  # noqa: S105 - published demo credential, refused in production


@dataclass(frozen=True)
class DemoAccount:
    email: str
    role: str
    full_name: str


DEMO_ACCOUNTS = (
    DemoAccount("admin@acme.example", Role.ADMIN, "Ada Admin"),
    DemoAccount("recruiter@acme.example", Role.RECRUITER, "Rhea Recruiter"),
    DemoAccount("manager@acme.example", Role.HIRING_MANAGER, "Hugo Manager"),
)


async def load_demo(sessionmaker: async_sessionmaker[AsyncSession]) -> tuple[bool, list[DemoAccount]]:
    """Returns whether anything was created, and the accounts that exist."""
    async with transaction(sessionmaker) as session:
        if await identity.login_exists(session, DEMO_ACCOUNTS[0].email):
            return False, list(DEMO_ACCOUNTS)
        created = await identity.create_organisation(
            session,
            name=DEMO_ORGANISATION,
            admin_email=DEMO_ACCOUNTS[0].email,
            admin_password=DEMO_PASSWORD,
            admin_name=DEMO_ACCOUNTS[0].full_name,
        )
        admin = Principal(
            "user", created.admin.id, created.organisation.id, frozenset(), frozenset({Role.ADMIN})
        )
        for account in DEMO_ACCOUNTS[1:]:
            await identity.create_user(
                session,
                admin,
                UserCreate(
                    email=account.email,
                    full_name=account.full_name,
                    password=DEMO_PASSWORD,
                    roles=[Role(account.role)],
                ),
            )
    return True, list(DEMO_ACCOUNTS)
