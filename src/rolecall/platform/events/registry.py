"""Which handlers react to which events.

Contexts subscribe their handlers by event class in their ``handlers.py``; the relay (in-process or
the broker's consumers) looks them up by type name. A handler's name is its identity for
idempotency (and its queue's name on the broker), so renaming one replays old events to it.

Two kinds of subscription:

* ``subscribe(EventClass)``: the handler receives the event parsed into its model, with the
  envelope reachable as ``event.envelope``;
* ``subscribe_all()``: the handler receives every event's raw envelope (webhook delivery, e-mail,
  the audit of outgoing traffic), whatever its type, including types declared after it was written.

A typed subscription may name a ``prepare`` step: it runs before the handler's transaction opens,
with the session factory, for slow work that needs no lock and whose result the handler then finds
ready (rendering an organisation's templates, for one). It may run more than once for one event
(redeliveries, retries), so it must only warm caches, never change data.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.platform.events.base import DomainEvent
from rolecall.platform.events.envelope import CloudEvent

E = TypeVar("E", bound=DomainEvent)
Handler = Callable[[AsyncSession, CloudEvent], Awaitable[None]]
TypedHandler = Callable[[AsyncSession, E], Awaitable[None]]
Prepare = Callable[[async_sessionmaker[AsyncSession], CloudEvent], Awaitable[None]]
TypedPrepare = Callable[[async_sessionmaker[AsyncSession], E], Awaitable[None]]
ALL = "*"


@dataclass(frozen=True)
class Registration:
    name: str
    event_type: str
    fn: Handler
    module: str
    prepare: Prepare | None = None


@dataclass
class HandlerRegistry:
    _by_type: dict[str, list[Registration]] = field(default_factory=dict)

    def _add(
        self, event_type: str, name: str, fn: Handler, module: str, prepare: Prepare | None = None
    ) -> None:
        registrations = self._by_type.setdefault(event_type, [])
        if any(r.name == name for r in registrations):
            raise ValueError(f"handler {name} already registered for {event_type}")
        registrations.append(Registration(name, event_type, fn, module, prepare))

    def subscribe(
        self, event_class: type[E], *, name: str, prepare: TypedPrepare[E] | None = None
    ) -> Callable[[TypedHandler[E]], TypedHandler[E]]:
        """Run the decorated handler for ``event_class``, with the event parsed (stack for several);
        ``prepare``, when given, runs before each of the handler's transactions."""

        def decorator(fn: TypedHandler[E]) -> TypedHandler[E]:
            async def typed(session: AsyncSession, envelope: CloudEvent) -> None:
                await fn(session, event_class.from_envelope(envelope))

            typed_prepare: Prepare | None = None
            if prepare is not None:
                warm = prepare

                async def typed_prepare(
                    sessionmaker: async_sessionmaker[AsyncSession], envelope: CloudEvent
                ) -> None:
                    await warm(sessionmaker, event_class.from_envelope(envelope))

            self._add(event_class.event_type, name, typed, fn.__module__, typed_prepare)
            return fn

        return decorator

    def subscribe_all(self, *, name: str) -> Callable[[Handler], Handler]:
        """Run the decorated handler for every event, given its raw envelope."""

        def decorator(fn: Handler) -> Handler:
            self._add(ALL, name, fn, fn.__module__)
            return fn

        return decorator

    def unregister(self, event_type: str, name: str) -> None:
        self._by_type[event_type] = [r for r in self._by_type.get(event_type, []) if r.name != name]

    def for_type(self, event_type: str) -> list[Registration]:
        return list(self._by_type.get(event_type, [])) + list(self._by_type.get(ALL, []))

    def registrations(self) -> list[Registration]:
        """Every subscription (the broker declares one queue per handler name from these)."""
        return [r for regs in self._by_type.values() for r in regs]


registry = HandlerRegistry()
