"""Use cases for organisations, staff users and API clients.

Services take the caller's :class:`Principal` explicitly, write audit entries and outbox events in
the caller's transaction, and never commit.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.audit import service as audit
from rolecall.identity import repository
from rolecall.identity.events import (
    OrganisationCreated,
    OrganisationEvent,
    OrganisationUpdated,
    UserCreated,
    UserEvent,
    UserUpdated,
)
from rolecall.identity.models import ApiClient, Organisation, User
from rolecall.identity.passwords import hash_password, password_problems
from rolecall.identity.permissions import Role, scopes_for_roles
from rolecall.identity.schemas import ApiClientCreate, OrganisationUpdate, UserCreate, UserUpdate
from rolecall.platform.auth import Principal
from rolecall.platform.errors import Conflict, Forbidden, NotFound, Unprocessable
from rolecall.platform.events.outbox import emit
from rolecall.platform.http import check_if_match
from rolecall.platform.pagination import PageParams, page_of
from rolecall.platform.tenancy import bind_organisation

SYSTEM_ACTOR = "system:cli"


@dataclass(frozen=True)
class NewOrganisation:
    organisation: Organisation
    admin: User


def _user_event(session: AsyncSession, event: type[UserEvent], user: User) -> None:
    emit(session, event(user_id=user.id, roles=list(user.roles), is_active=user.is_active))


def _organisation_event(
    session: AsyncSession, event: type[OrganisationEvent], organisation: Organisation
) -> None:
    emit(session, event(organisation=organisation.id))


async def create_organisation(
    session: AsyncSession,
    *,
    name: str,
    admin_email: str,
    admin_password: str,
    admin_name: str = "Administrator",
) -> NewOrganisation:
    problems = password_problems(admin_password)
    if problems:
        raise Unprocessable("admin password " + "; ".join(problems))
    if not name.strip() or len(name.strip()) > 200:
        raise Unprocessable("The organisation name must be 1 to 200 characters.")
    # Addresses are unique per organisation, and this organisation is new: nothing can clash.
    email = admin_email.strip().lower()
    organisation = Organisation(name=name.strip())
    session.add(organisation)
    await session.flush()
    bind_organisation(session, organisation.id)
    admin = User(
        email=email,
        full_name=admin_name,
        password_hash=hash_password(admin_password),
        roles=[Role.ADMIN.value],
    )
    session.add(admin)
    await session.flush()
    audit.record(
        session,
        actor=SYSTEM_ACTOR,
        action="organisation.created",
        target_type="organisation",
        target_id=organisation.id,
    )
    audit.record(session, actor=SYSTEM_ACTOR, action="user.created", target_type="user", target_id=admin.id)
    _organisation_event(session, OrganisationCreated, organisation)
    _user_event(session, UserCreated, admin)
    return NewOrganisation(organisation, admin)


async def get_organisation(session: AsyncSession, principal: Principal) -> Organisation:
    organisation = await repository.get_organisation(session, principal.organisation_id)
    if organisation is None:
        raise NotFound()
    return organisation


async def organisation_name(session: AsyncSession, organisation_id: uuid.UUID) -> str:
    """An organisation's public display name, for public pages that are not scoped to a caller."""
    organisation = await repository.get_organisation(session, organisation_id)
    if organisation is None:
        raise NotFound()
    return organisation.name


async def update_organisation(
    session: AsyncSession, principal: Principal, changes: OrganisationUpdate, if_match: str
) -> Organisation:
    organisation = await get_organisation(session, principal)
    check_if_match(if_match, organisation.id, organisation.version)
    fields = changes.model_dump(exclude_unset=True)
    if not fields:
        raise Unprocessable("Send at least one field to change.")
    if changes.name is not None:
        organisation.name = changes.name.strip()
    if changes.require_mfa is not None:
        organisation.require_mfa = changes.require_mfa
    organisation.version += 1
    audit.record(
        session,
        actor=principal.actor,
        action="organisation.updated",
        target_type="organisation",
        target_id=organisation.id,
        changed_fields=sorted(fields),
    )
    if "name" in fields:
        # Postings show the name; the sign-in policy is nobody else's business.
        _organisation_event(session, OrganisationUpdated, organisation)
    await session.flush()
    return organisation


def _authority(principal: Principal) -> frozenset[str]:
    """The scopes a caller may hand on: a user's roles' scopes, an API client's own scopes."""
    return principal.scopes | scopes_for_roles(principal.roles)


def _ensure_may_manage(principal: Principal, roles: Iterable[str]) -> None:
    """Delegation never escalates: nobody creates, changes or takes over a more powerful account.

    Without this, an API client holding ``users:write`` could create an admin (or reset an admin's
    password) and sign in as them.
    """
    beyond = scopes_for_roles(frozenset(roles)) - _authority(principal)
    if beyond:
        raise Forbidden(f"This needs scope(s) you do not hold: {', '.join(sorted(beyond))}.")


async def create_user(session: AsyncSession, principal: Principal, data: UserCreate) -> User:
    email = str(data.email).strip().lower()
    roles = sorted({r.value for r in data.roles})
    _ensure_may_manage(principal, roles)
    if await repository.email_taken(session, email):
        raise Conflict("A user with this e-mail address already exists.")
    user = User(
        email=email,
        full_name=data.full_name.strip(),
        password_hash=hash_password(data.password),
        roles=roles,
        sees_all_jobs=data.sees_all_jobs,
    )
    try:
        # The check above cannot see a concurrent insert; the unique constraint can.
        async with session.begin_nested():
            session.add(user)
            await session.flush()
    except IntegrityError as exc:
        raise Conflict("A user with this e-mail address already exists.") from exc
    audit.record(
        session,
        actor=principal.actor,
        action="user.created",
        target_type="user",
        target_id=user.id,
        changed_fields=(),
        # Granting organisation-wide access is worth finding in the log; the default is not.
        **({"sees_all_jobs": True} if user.sees_all_jobs else {}),
    )
    _user_event(session, UserCreated, user)
    return user


async def get_user(session: AsyncSession, principal: Principal, user_id: uuid.UUID) -> User:
    user = await repository.get_user(session, user_id)
    if user is None:
        raise NotFound()
    return user


async def list_users(
    session: AsyncSession, principal: Principal, params: PageParams
) -> tuple[list[User], str | None]:
    return page_of(await repository.list_users(session, params), params)


async def update_user(
    session: AsyncSession, principal: Principal, user_id: uuid.UUID, changes: UserUpdate, if_match: str
) -> User:
    user = await get_user(session, principal, user_id)
    check_if_match(if_match, user.id, user.version)
    fields = changes.model_dump(exclude_unset=True)
    if not fields:
        raise Unprocessable("Send at least one field to change.")
    _ensure_may_manage(principal, user.roles)
    if changes.roles is not None:
        _ensure_may_manage(principal, [r.value for r in changes.roles])
    loses_admin = Role.ADMIN.value in user.roles and (
        changes.is_active is False or (changes.roles is not None and Role.ADMIN not in changes.roles)
    )
    if loses_admin and user.is_active:
        if user.id == principal.subject_id:
            raise Conflict("Admins cannot deactivate themselves or remove their own admin role.")
        if not [a for a in await repository.active_admin_ids(session) if a != user.id]:
            raise Conflict("The organisation needs at least one active admin.")
    if "full_name" in fields and changes.full_name is not None:
        user.full_name = changes.full_name.strip()
    if "roles" in fields and changes.roles is not None:
        user.roles = sorted({r.value for r in changes.roles})
    if "is_active" in fields and changes.is_active is not None:
        user.is_active = changes.is_active
    if "password" in fields and changes.password is not None:
        user.password_hash = hash_password(changes.password)
    if "sees_all_jobs" in fields and changes.sees_all_jobs is not None:
        # Read from the user row at every request (rolecall.platform.access), so it applies at once.
        user.sees_all_jobs = changes.sees_all_jobs
    if {"is_active", "password", "roles"} & set(fields):
        # Anything that changes what the user may do ends their existing sessions at once.
        await repository.revoke_auth_sessions(session, user_id=user.id, reason="account_changed")
    user.version += 1
    audit.record(
        session,
        actor=principal.actor,
        action="user.updated",
        target_type="user",
        target_id=user.id,
        changed_fields=fields.keys(),
        **({"sees_all_jobs": user.sees_all_jobs} if "sees_all_jobs" in fields else {}),
    )
    _user_event(session, UserUpdated, user)
    await session.flush()
    return user


async def create_api_client(
    session: AsyncSession, principal: Principal, data: ApiClientCreate
) -> tuple[ApiClient, str]:
    # Delegation never escalates: a caller can only hand out scopes it holds itself.
    beyond = set(data.scopes) - _authority(principal)
    if beyond:
        raise Forbidden(f"This needs scope(s) you do not hold: {', '.join(sorted(beyond))}.")
    secret = secrets.token_urlsafe(32)
    client = ApiClient(
        client_id="rc_" + secrets.token_hex(12),
        name=data.name.strip(),
        secret_hash=hash_password(secret),
        scopes=data.scopes,
    )
    session.add(client)
    await session.flush()
    audit.record(
        session,
        actor=principal.actor,
        action="api_client.created",
        target_type="api_client",
        target_id=client.id,
        scopes=data.scopes,
    )
    return client, secret


async def list_api_clients(
    session: AsyncSession, principal: Principal, params: PageParams
) -> tuple[list[ApiClient], str | None]:
    return page_of(await repository.list_clients(session, params), params)


async def get_api_client(session: AsyncSession, principal: Principal, client_pk: uuid.UUID) -> ApiClient:
    client = await repository.get_client(session, client_pk)
    if client is None:
        raise NotFound()
    return client


async def revoke_api_client(session: AsyncSession, principal: Principal, client_pk: uuid.UUID) -> None:
    client = await get_api_client(session, principal, client_pk)
    client.is_active = False
    client.version += 1
    audit.record(
        session,
        actor=principal.actor,
        action="api_client.revoked",
        target_type="api_client",
        target_id=client.id,
    )
    await session.flush()


async def login_exists(session: AsyncSession, email: str) -> bool:
    """Whether any organisation has a staff user with this address (system tasks: the demo)."""
    return await repository.find_login(session, email.strip().lower()) is not None


async def find_login(session: AsyncSession, email: str) -> tuple[uuid.UUID, uuid.UUID] | None:
    """(user id, organisation id) of a login name, for system tasks (the CLI) that act as that user."""
    return await repository.find_login(session, email.strip().lower())
