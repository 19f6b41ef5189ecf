"""Tenant isolation in exactly one place.

Every ORM statement that touches a :class:`TenantScoped` entity is filtered by the organisation
stored in ``session.info`` — endpoints and repositories never add the filter themselves, so they
cannot forget it. A statement with no organisation in scope raises instead of returning every
tenant's rows; the few system jobs that legitimately cross tenants (outbox relay, retention) say so
with :func:`all_tenants`.

The guard looks at the whole statement, subqueries and ``select_from`` included, not only at the
entities being returned. Filtering relies on ``with_loader_criteria``, which only knows about ORM
entities, so a Core statement on a tenant table (``User.__table__``) and an ORM bulk UPDATE by
primary key (a list of parameter sets, which bypasses loader criteria) are refused rather than run
unfiltered, and an INSERT statement must name the session's own organisation for every row.
"""

from __future__ import annotations

import contextlib
import re
import uuid
import weakref
from typing import Any

from sqlalchemy import ForeignKey, event
from sqlalchemy.orm import Mapped, Mapper, ORMExecuteState, declared_attr, mapped_column, with_loader_criteria
from sqlalchemy.orm.attributes import get_history
from sqlalchemy.sql import visitors
from sqlalchemy.sql.selectable import TableClause

from rolecall.platform.db import Base, RolecallSession

ORG_KEY = "organisation_id"
ALL_TENANTS_OPTION = "rolecall_all_tenants"
_ORG_PARAM = re.compile(rf"^{ORG_KEY}(_m\d+)?$")


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


_tenant_tables: frozenset[str] | None = None


@event.listens_for(Mapper, "mapper_configured")
def _forget_tenant_tables(_mapper: Any, _class: Any) -> None:
    global _tenant_tables
    _tenant_tables = None


def _tenant_table_names() -> frozenset[str]:
    """Full names of every table mapped by a TenantScoped class (recomputed when mappers are added).

    Read on every statement, so it is kept rather than rebuilt: ``registry.mappers`` builds a new
    set from a weak dictionary on each access.
    """
    global _tenant_tables
    if _tenant_tables is None:
        _tenant_tables = frozenset(
            str(getattr(table, "fullname", ""))
            for mapper in Base.registry.mappers
            if issubclass(mapper.class_, TenantScoped)
            for table in mapper.tables
        )
    return _tenant_tables


_references_of: weakref.WeakKeyDictionary[Any, tuple[bool, bool]] = weakref.WeakKeyDictionary()


def _tenant_references(statement: Any) -> tuple[bool, bool]:
    """Whether the statement touches a tenant table anywhere, and whether it does so as an ORM entity.

    Remembered per statement object, so a statement a repository builds once and runs many times
    (with bound parameters) is walked once; a statement built per call is walked per call.
    """
    try:
        return _references_of[statement]
    except (KeyError, TypeError):
        pass
    tables = _tenant_table_names()
    touched = orm = False
    for element in visitors.iterate(statement):
        mapper = getattr(element, "_annotations", {}).get("parentmapper")
        if mapper is not None and issubclass(mapper.class_, TenantScoped):
            touched = orm = True
        elif isinstance(element, TableClause) and getattr(element, "fullname", None) in tables:
            touched = True
    with contextlib.suppress(TypeError):  # not weakly referenceable: walked again next time
        _references_of[statement] = (touched, orm)
    return touched, orm


def _inserted_organisations(state: ORMExecuteState) -> list[Any]:
    """The organisation of every row an INSERT statement writes (``None`` where it names none)."""
    params: Any = state.parameters
    rows: list[Any] = [params] if isinstance(params, dict) else list(params or [])
    if rows:
        return [row.get(ORG_KEY) if isinstance(row, dict) else None for row in rows]
    statement: Any = state.statement
    compiled: dict[str, Any] = statement.compile().params
    return [value for key, value in compiled.items() if _ORG_PARAM.match(key)] or [None]


@event.listens_for(RolecallSession, "do_orm_execute")
def _scope_to_organisation(state: ORMExecuteState) -> None:
    if not (state.is_select or state.is_update or state.is_delete or state.is_insert):
        return
    if state.execution_options.get(ALL_TENANTS_OPTION):
        return
    if state.is_column_load or state.is_relationship_load:
        # The parent row was already filtered; lazy loads inherit criteria from the statement.
        return
    touched, orm = _tenant_references(state.statement)
    if not touched:
        return
    org = current_organisation(state.session)
    if org is None:
        raise TenancyViolation(
            "tenant-scoped statement without an organisation in scope; bind one or use all_tenants()"
        )
    if state.is_insert:
        if getattr(state.statement, "select", None) is not None:
            raise TenancyViolation("INSERT ... SELECT into a tenant table; use all_tenants() deliberately")
        if any(value != org for value in _inserted_organisations(state)):
            raise TenancyViolation("INSERT into a tenant table for another (or no) organisation")
        return
    if not state.is_select and isinstance(state.parameters, list | tuple) and len(state.parameters) > 0:
        # Bulk UPDATE by primary key (a list of parameter sets) ignores with_loader_criteria.
        raise TenancyViolation(
            "bulk UPDATE/DELETE by primary key on a tenant table cannot be filtered by organisation; "
            "load and change the rows, use WHERE criteria, or all_tenants() deliberately"
        )
    if not orm:
        raise TenancyViolation(
            "Core statement on a tenant table cannot be filtered by organisation; "
            "use the ORM entity, or all_tenants() for a deliberate cross-tenant statement"
        )
    state.statement = state.statement.options(_criteria(org))


_criteria_by_organisation: dict[uuid.UUID, Any] = {}


def _criteria(org: uuid.UUID) -> Any:
    """The loader criteria of one organisation, built once per process rather than per statement.

    Building them analyses the lambda (a few percent of a cached read); the option is immutable, and
    SQLAlchemy caches compiled statements by its shape, with ``org`` as a bound parameter.
    """
    option = _criteria_by_organisation.get(org)
    if option is None:
        if len(_criteria_by_organisation) >= 10_000:
            _criteria_by_organisation.clear()
        option = with_loader_criteria(
            TenantScoped, lambda cls: cls.organisation_id == org, include_aliases=True
        )
        _criteria_by_organisation[org] = option
    return option


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
    for obj in session.dirty:
        if not isinstance(obj, TenantScoped):
            continue
        # get_history reads the one attribute; inspect(obj).attrs builds a map of every attribute
        # per object, which was a tenth of a busy worker's time when it leased outbox batches.
        history = get_history(obj, ORG_KEY)
        if history.added and history.added[0] not in (list(history.deleted) or [org]):
            raise TenancyViolation(f"{type(obj).__name__} cannot move to another organisation")
