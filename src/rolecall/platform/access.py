"""Need-to-know access in exactly one place: staff see the jobs whose hiring team they are on.

Tenancy (:mod:`rolecall.platform.tenancy`) keeps one organisation's rows away from another. This
module narrows a session further, inside the organisation, for a staff member who is neither an admin
nor organisation-wide: they see the jobs whose ``hiring_team`` names them and the candidates,
applications, interviews, scorecards, offers and assessments of those jobs; an interviewer also sees
the interviews they sit on and what running them needs. Everything else is filtered out of every ORM
statement, so a lookup answers 404 exactly like another tenant's object and a list simply leaves the
rows out. Endpoints, services and repositories never add the rule themselves.

How it fits together:

- Identity marks the request's session with the user where it authenticates a staff member who is
  neither an admin nor organisation-wide (:func:`restrict_session`); API clients, system work and
  applicants are never marked, so they stay organisation-wide. The jobs context registers the query
  that finds the user's jobs (:func:`resolve_teams`). It runs at the first statement that touches a
  need-to-know table, so a request that reads none costs nothing extra, and its answer is reused
  by the process for at most a second, until a job is written through it (:class:`_Teams`).
- Each context declares the criterion for its own tables next to the models (:func:`restrict`,
  keyed by table name). A criterion that needs another context's rows refers to a named *set* of ids
  (:func:`visible`) that the owning context contributes (:func:`contribute`), so no context imports
  another one's tables: candidates are visible through ``visible("candidates")``, which the pipeline
  fills with the candidates of visible applications and interviews with those of one's interviews.
- A listener adds ``with_loader_criteria`` for every restricted table a statement touches. A Core
  statement on a restricted table cannot carry those criteria and is refused, unless it says it is
  deliberately unscoped with :func:`everything` (and why, at the call site).

Writes: every write of an existing object first loads it through a filtered query, so a write to an
invisible object is a 404. Seeing is wider than changing, though: an interviewer sees the job,
application and candidate of their interview, and a recruiter on that panel must not move or edit
them. So a flush in a restricted session refuses (404) any new, changed or deleted row of a table
that names its job (``job_id``, or the job's own id) when that job is not one of the caller's teams.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import ColumnElement, Select, String, cast, event, false, literal, select, union
from sqlalchemy.orm import ORMExecuteState, with_loader_criteria
from sqlalchemy.sql import visitors
from sqlalchemy.sql.selectable import TableClause

from rolecall.platform.db import Base, RolecallSession
from rolecall.platform.errors import NotFound

SCOPE_KEY = "rolecall_access_scope"
_JOBS_WRITTEN = "rolecall_jobs_written"
EVERYTHING_OPTION = "rolecall_all_jobs"


class AccessViolation(RuntimeError):
    """A statement on a need-to-know table could not be filtered for the session's staff member."""


@dataclass(frozen=True)
class AccessScope:
    """What one staff member may see: the jobs whose hiring team names them, and their own id
    (for the interviews they sit on and the scorecards they write)."""

    user_id: uuid.UUID
    job_ids: frozenset[uuid.UUID]

    def listed(self, column: Any) -> ColumnElement[bool]:
        """``column`` (a JSON list of user-id strings, such as ``interviewer_ids``) names this user.

        The quoted canonical UUID is matched in the column's text, the same way on SQLite and
        PostgreSQL; a UUID holds no LIKE wildcards.
        """
        return cast(column, String).like(f'%"{self.user_id}"%')


Criterion = Callable[[Any, AccessScope], ColumnElement[bool]]
Contribution = Callable[[AccessScope], Select[Any]]
#: ``resolver(user_id)``: a SELECT of the ids of the jobs whose hiring team names the user.
TeamResolver = Callable[[uuid.UUID], Select[Any]]

_criteria: dict[str, Criterion] = {}
_job_attribute: dict[str, str] = {}
_sets: dict[str, list[Contribution]] = {}
_team_resolver: list[TeamResolver] = []


def restrict(table: str, *, job: str = "job_id") -> Callable[[Criterion], Criterion]:
    """Declare the rows of ``table`` a restricted staff member may see: ``criterion(cls, scope)``.

    ``job`` names the attribute holding the row's job, if it has one (``"id"`` for the jobs table):
    writes to such rows need the job to be one of the caller's teams. Declared by the context owning
    the table, next to its models, so the rule exists whenever the table can be queried.
    """

    def register(criterion: Criterion) -> Criterion:
        _criteria[table] = criterion
        _job_attribute[table] = job
        return criterion

    return register


def contribute(name: str) -> Callable[[Contribution], Contribution]:
    """Add a SELECT of ids to the named set (see :func:`visible`); several contexts may add to one."""

    def register(contribution: Contribution) -> Contribution:
        _sets.setdefault(name, [])
        if contribution not in _sets[name]:
            _sets[name].append(contribution)
        return contribution

    return register


def visible(name: str, scope: AccessScope) -> Any:
    """The ids in the named set for ``scope``, as a subquery for ``IN``; empty if nobody contributes."""
    parts = [contribution(scope) for contribution in _sets.get(name, [])]
    if not parts:
        return select(literal(None)).where(false())
    return parts[0] if len(parts) == 1 else union(*parts)


def resolve_teams(resolver: TeamResolver) -> TeamResolver:
    """Register the query for the ids of the jobs whose hiring team names a user (the jobs context)."""
    _team_resolver[:] = [resolver]
    return resolver


def restricted_tables() -> frozenset[str]:
    """Names of the tables whose rows need-to-know access filters."""
    return frozenset(_criteria)


@dataclass
class _Binding:
    """A session's restriction: who, and (once the first statement needed it) what they see."""

    user_id: uuid.UUID
    joined: set[uuid.UUID] = field(default_factory=set)
    scope: AccessScope | None = None


def restrict_session(session: Any, user_id: uuid.UUID) -> None:
    """Narrow the session (async or sync) to what ``user_id`` may see, for the rest of its life."""
    if not _team_resolver:
        raise AccessViolation("no hiring-team resolver is registered; import rolecall.models first")
    session.info[SCOPE_KEY] = _Binding(user_id)


def is_restricted(session: Any) -> bool:
    """Whether the session sees only its staff member's jobs (False: the whole organisation)."""
    return isinstance(session.info.get(SCOPE_KEY), _Binding)


def include_job(session: Any, job_id: uuid.UUID) -> None:
    """A job the restricted caller just joined (by creating it) is visible for the rest of the session."""
    binding = session.info.get(SCOPE_KEY)
    if not isinstance(binding, _Binding):
        return
    binding.joined.add(job_id)
    if binding.scope is not None and job_id not in binding.scope.job_ids:
        binding.scope = replace(binding.scope, job_ids=binding.scope.job_ids | {job_id})


class _Teams:
    """Per process: user id → the ids of the jobs whose hiring team names them, each answer kept for
    at most ``ttl`` seconds and only while no transaction of this process has written a job since.

    The same bound as an access token's standing (ADR 0018): a change to a hiring team made through
    this process is obeyed on the next request; one made anywhere else within ``ttl`` (one second by
    default, set from ``ROLECALL_AUTH_CACHE_SECONDS`` by the app). Without it, every request of a
    restricted staff member ran the team query, a scan of the organisation's jobs.
    """

    ttl = 1.0
    generation = 0
    entries: dict[uuid.UUID, tuple[float, int, frozenset[uuid.UUID]]] = {}

    @classmethod
    def get(cls, user_id: uuid.UUID) -> frozenset[uuid.UUID] | None:
        entry = cls.entries.get(user_id)
        if entry is None or entry[1] != cls.generation or time.monotonic() >= entry[0]:
            return None
        return entry[2]

    @classmethod
    def put(cls, user_id: uuid.UUID, job_ids: frozenset[uuid.UUID], generation: int) -> None:
        if cls.ttl <= 0:
            return
        if len(cls.entries) >= 50_000:
            cls.entries.clear()
        cls.entries[user_id] = (time.monotonic() + cls.ttl, generation, job_ids)


def keep_teams_for(seconds: float) -> None:
    """How long a process may reuse a staff member's team list (0: query it in every session)."""
    _Teams.ttl = seconds


def _scope_of(session: Any, binding: _Binding) -> AccessScope:
    """The binding's scope, querying the user's teams the first time (inside the ORM event: the
    session is the synchronous one, so the query runs in the caller's transaction)."""
    if binding.scope is None:
        job_ids = _Teams.get(binding.user_id)
        if job_ids is None:
            generation = _Teams.generation  # read before the query: see principal_cache.generation
            stmt = _team_resolver[0](binding.user_id).execution_options(**everything())
            job_ids = frozenset(session.execute(stmt).scalars().all())
            _Teams.put(binding.user_id, job_ids, generation)
        binding.scope = AccessScope(binding.user_id, job_ids | binding.joined)
    return binding.scope


def everything() -> dict[str, bool]:
    """Execution options for a statement deliberately not narrowed to the caller's jobs.

    For checks whose answer reveals nothing of the rows (a uniqueness probe before an insert that the
    database would refuse anyway) and for queries that compute the scope itself. Say why where used.
    """
    return {EVERYTHING_OPTION: True}


_mapper_cache: tuple[int, dict[str, Any]] = (-1, {})


def _mapped_classes() -> dict[str, Any]:
    """Table name -> the mapped class of every restricted table (recomputed when mappers are added)."""
    global _mapper_cache
    mappers = Base.registry.mappers
    key = len(mappers) * 1000 + len(_criteria)
    if _mapper_cache[0] != key:
        found = {
            str(getattr(mapper.local_table, "fullname", "")): mapper.class_
            for mapper in mappers
            if str(getattr(mapper.local_table, "fullname", "")) in _criteria
        }
        _mapper_cache = (key, found)
    return _mapper_cache[1]


_options_by_scope: dict[AccessScope, dict[str, Any]] = {}


def _options(session: Any, scope: AccessScope) -> dict[str, Any]:
    """One ``with_loader_criteria`` per restricted table, built once per scope and process (a scope
    is immutable: the same staff member with the same jobs gets the same criteria)."""
    options = _options_by_scope.get(scope)
    if options is None:
        if len(_options_by_scope) >= 10_000:
            _options_by_scope.clear()
        options = {
            table: with_loader_criteria(cls, _criteria[table](cls, scope), include_aliases=True)
            for table, cls in _mapped_classes().items()
        }
        _options_by_scope[scope] = options
    return options


def _references(statement: Any) -> tuple[set[str], set[str]]:
    """Restricted tables the statement touches as ORM entities, and those it touches as bare tables."""
    orm: set[str] = set()
    core: set[str] = set()
    for element in visitors.iterate(statement):
        mapper = getattr(element, "_annotations", {}).get("parentmapper")
        if mapper is not None:
            name = str(getattr(mapper.local_table, "fullname", ""))
            if name in _criteria:
                orm.add(name)
        elif isinstance(element, TableClause) and getattr(element, "fullname", None) in _criteria:
            core.add(str(element.fullname))
    return orm, core - orm


@event.listens_for(RolecallSession, "do_orm_execute")
def _scope_to_teams(state: ORMExecuteState) -> None:
    binding = state.session.info.get(SCOPE_KEY)
    if binding is None:  # the hot path: admins, organisation-wide staff, clients, system work
        return
    if not (state.is_select or state.is_update or state.is_delete):
        return
    if state.execution_options.get(EVERYTHING_OPTION):
        return
    if state.is_column_load or state.is_relationship_load:
        # The parent row was already filtered.
        return
    orm, core = _references(state.statement)
    if core:
        raise AccessViolation(
            f"Core statement on need-to-know table(s) {sorted(core)} cannot be narrowed to the caller's "
            "jobs; use the ORM entity, or everything() with a reason"
        )
    if orm:
        options = _options(state.session, _scope_of(state.session, binding))
        state.statement = state.statement.options(*(options[name] for name in sorted(orm) if name in options))


@event.listens_for(RolecallSession, "before_flush")
def _writes_stay_on_teams(session: Any, _ctx: Any, _instances: Any) -> None:
    binding = session.info.get(SCOPE_KEY)
    if not isinstance(binding, _Binding):
        return
    for obj in (*session.new, *session.dirty, *session.deleted):
        table = str(getattr(getattr(obj, "__table__", None), "fullname", ""))
        attribute = _job_attribute.get(table)
        if attribute is None or not hasattr(obj, attribute):
            continue
        if attribute == "id" and obj in session.new:
            continue  # a job being created: its creator joins its team (jobs.service)
        job_id = getattr(obj, attribute)
        if job_id is not None and job_id not in _scope_of(session, binding).job_ids:
            raise NotFound()


def _writes_jobs(objects: Any) -> bool:
    return any(
        _job_attribute.get(str(getattr(getattr(obj, "__table__", None), "fullname", ""))) == "id"
        for obj in objects
    )


@event.listens_for(RolecallSession, "before_flush")
def _note_job_writes(session: Any, _ctx: Any, _instances: Any) -> None:
    if _writes_jobs(session.new) or _writes_jobs(session.dirty) or _writes_jobs(session.deleted):
        session.info[_JOBS_WRITTEN] = True


@event.listens_for(RolecallSession, "do_orm_execute")
def _note_job_statements(state: ORMExecuteState) -> None:
    if (state.is_update or state.is_delete) and any(
        _job_attribute.get(str(getattr(mapper.local_table, "fullname", ""))) == "id"
        for mapper in state.all_mappers
    ):
        state.session.info[_JOBS_WRITTEN] = True


@event.listens_for(RolecallSession, "after_commit")
def _forget_teams_on_commit(session: Any) -> None:
    if session.info.pop(_JOBS_WRITTEN, False):
        _Teams.generation += 1


@event.listens_for(RolecallSession, "after_soft_rollback")
def _no_job_written(session: Any, _previous: Any) -> None:
    session.info.pop(_JOBS_WRITTEN, None)
