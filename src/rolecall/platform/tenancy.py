"""Tenant isolation in exactly one place.

Every ORM statement that touches a :class:`TenantScoped` entity is filtered by the organisation
stored in ``session.info`` — endpoints and repositories never add the filter themselves, so they
cannot forget it. A statement with no organisation in scope raises instead of returning every
tenant's rows; the few system jobs that legitimately cross tenants (outbox relay, retention) say so
with :func:`all_tenants`.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ForeignKey, event
from sqlalchemy.orm import Mapped, ORMExecuteState, declared_attr, mapped_column, with_loader_criteria

from rolecall.platform.db import RolecallSession

ORG_KEY = "organisation_id"
ALL_TENANTS_OPTION = "rolecall_all_tenants"


class TenancyViolation(RuntimeError):
    """A tenant-scoped statement ran without an organisation in scope."""


class TenantScoped:
    """Mixin for rows owned by one organisation."""

    @declared_attr
    def organisation_id(cls) -> Mapped[uuid.UUID]:
        return mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)


def bind_organisation(session: Any, organisation_id: uuid.UUID) -> None:
    """Scope a session (async or sync) to one organisation for the rest of its life."""
    session.info[ORG_KEY] = organisation_id


def current_organisation(session: Any) -> uuid.UUID | None:
    value = session.info.get(ORG_KEY)
    return value if isinstance(value, uuid.UUID) else None


def all_tenants() -> dict[str, bool]:
    """Execution options for a deliberate cross-tenant statement (system jobs only)."""
    return {ALL_TENANTS_OPTION: True}


def _touches_tenant_data(state: ORMExecuteState) -> bool:
    return any(issubclass(mapper.class_, TenantScoped) for mapper in state.all_mappers)


@event.listens_for(RolecallSession, "do_orm_execute")
def _scope_to_organisation(state: ORMExecuteState) -> None:
    if not (state.is_select or state.is_update or state.is_delete):
        return
    if state.execution_options.get(ALL_TENANTS_OPTION):
        return
    if state.is_column_load or state.is_relationship_load:
        # The parent row was already filtered; lazy loads inherit criteria from the statement.
        return
    org = current_organisation(state.session)
    if org is None:
        if _touches_tenant_data(state):
            raise TenancyViolation(
                "tenant-scoped statement without an organisation in scope; bind one or use all_tenants()"
            )
        return
    state.statement = state.statement.options(
        with_loader_criteria(
            TenantScoped,
            lambda cls: cls.organisation_id == org,
            include_aliases=True,
        )
    )


@event.listens_for(RolecallSession, "before_flush")
def _stamp_new_rows(session: RolecallSession, _ctx: Any, _instances: Any) -> None:
    """New tenant rows inherit the session's organisation; writing into another one is refused."""
    org = current_organisation(session)
    for obj in session.new:
        if not isinstance(obj, TenantScoped):
            continue
        if obj.organisation_id is None:
            if org is None:
                raise TenancyViolation(f"new {type(obj).__name__} has no organisation")
            obj.organisation_id = org
        elif org is not None and obj.organisation_id != org:
            raise TenancyViolation(f"new {type(obj).__name__} belongs to another organisation")
