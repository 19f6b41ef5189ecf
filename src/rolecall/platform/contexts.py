"""What each bounded context contributes to the processes, declared once in its ``context.py``.

The API, the worker, the CLI and the privacy context used to wire contexts from hand-kept lists,
and a forgotten entry failed silently (a ``handlers`` module never imported marks its events
delivered with nobody consuming them). Now every context package holds a ``context.py`` with one
:class:`Context`; :func:`discover` imports them all, and the processes iterate the result. A test
checks that every handlers module, scheduled job and personal-data table is reachable from a
declaration.

Discovery is by package, so adding a context is adding a package with a ``context.py``; the order
of the result is the order of :attr:`Context.order` (page routers with overlapping paths depend on
it), then the name.
"""

from __future__ import annotations

import asyncio
import importlib
import pkgutil
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from types import ModuleType
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

if TYPE_CHECKING:
    from fastapi import APIRouter

ADMIN, RECRUITER, HIRING_MANAGER, INTERVIEWER = "admin", "recruiter", "hiring_manager", "interviewer"


@dataclass(frozen=True)
class Scope:
    """An OAuth scope and the staff roles granted it by default (admins are granted every scope)."""

    name: str
    description: str
    roles: frozenset[str] = frozenset()


@dataclass(frozen=True)
class JobScope:
    """What a scheduled job is given: the worker's session factory and the process settings."""

    sessionmaker: async_sessionmaker[AsyncSession]
    settings: Any


@dataclass(frozen=True)
class ScheduledJob:
    """Periodic work run by the worker. ``every=None`` runs it each housekeeping round (five minutes);
    otherwise at most once per ``every``, counted from its last successful run."""

    name: str
    run: Callable[[JobScope], Awaitable[dict[str, int] | int]]
    every: timedelta | None = None


#: A long-running task of the worker: ``loop(sessionmaker, settings, stop)`` returns once ``stop`` is set.
Loop = Callable[[async_sessionmaker[AsyncSession], Any, asyncio.Event], Coroutine[Any, Any, None]]
Exporter = Callable[..., Awaitable[list[dict[str, Any]]]]
Eraser = Callable[..., Awaitable[Any]]
Rotator = Callable[..., Awaitable[int]]
#: ``file_keys(session, keys)``: which of ``keys`` (file-store keys) the context's records point at,
#: across every organisation. The orphan-file reconciler asks each context, never reads its tables.
FileKeys = Callable[[AsyncSession, Sequence[str]], Awaitable[set[str]]]


@dataclass(frozen=True)
class PersonalData:
    """A context's part of a candidate's personal data, for export, erasure and key rotation.

    ``tables`` names every table of the context holding a candidate's personal data; a test compares
    it with the schema (tables with a ``candidate_id`` column or sealed values), so a new table
    cannot be forgotten by export and erasure. Called with keywords:
    ``export_candidate(session, candidate_id, keyring=)``, ``erase_candidate(session, candidate_id)``,
    ``rotate_keys(sessionmaker, keyring, batch_size=)``. The candidates context holds the person
    record itself: privacy exports and erases it around the others (``export_candidate`` and
    ``erase_candidate`` are None there).
    """

    export_key: str
    tables: Sequence[str]
    rotate_keys: Rotator
    export_candidate: Exporter | None = None
    erase_candidate: Eraser | None = None


@dataclass(frozen=True)
class Context:
    name: str
    routers: Sequence[APIRouter] = ()
    #: Server-rendered pages: the same services as ``routers``, answered as HTML.
    pages: Sequence[APIRouter] = ()
    #: Modules whose import subscribes the context's event handlers.
    handlers: Sequence[ModuleType] = ()
    jobs: Sequence[ScheduledJob] = ()
    #: Long-running worker tasks that need more than a five-minute round (webhook delivery).
    loops: Sequence[Loop] = ()
    scopes: Sequence[Scope] = ()
    personal_data: PersonalData | None = None
    #: A context whose records hold file-store keys says which keys it holds (see ``FileKeys``).
    file_keys: FileKeys | None = None
    #: Page routers of lower order are mounted first (a literal path before a parameterised one).
    order: int = 100
    extra: Mapping[str, Any] = field(default_factory=dict)


_discovered: list[Context] | None = None


def discover(package: str = "rolecall") -> list[Context]:
    """Import every ``<package>.<context>.context`` module and return the declarations, ordered."""
    global _discovered
    if _discovered is not None:
        return _discovered
    root: ModuleType = importlib.import_module(package)
    found: list[Context] = []
    for info in pkgutil.iter_modules(root.__path__):
        if not info.ispkg:
            continue
        try:
            module = importlib.import_module(f"{package}.{info.name}.context")
        except ModuleNotFoundError as exc:
            if exc.name == f"{package}.{info.name}.context":
                continue
            raise
        declared = getattr(module, "CONTEXT", None)
        if not isinstance(declared, Context):
            raise TypeError(f"{module.__name__} must define CONTEXT = Context(...)")
        found.append(declared)
    _discovered = sorted(found, key=lambda context: (context.order, context.name))
    return _discovered


_scopes: dict[str, Scope] | None = None


def scopes() -> dict[str, Scope]:
    """The scope catalogue: every context's declared scopes, by name (built once per process)."""
    global _scopes
    if _scopes is not None:
        return _scopes
    catalogue: dict[str, Scope] = {}
    for context in discover():
        for scope in context.scopes:
            if scope.name in catalogue:
                raise ValueError(f"scope {scope.name} is declared twice")
            catalogue[scope.name] = scope
    _scopes = dict(sorted(catalogue.items()))
    return _scopes


def file_key_holders() -> list[tuple[str, FileKeys]]:
    """(context name, ``file_keys``) of every context whose records point into the file store."""
    return [(context.name, context.file_keys) for context in discover() if context.file_keys is not None]


def personal_data_ports() -> list[PersonalData]:
    return [context.personal_data for context in discover() if context.personal_data is not None]
