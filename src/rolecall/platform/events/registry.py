"""Which handlers react to which event types.

Contexts register their handlers at import time in their ``handlers.py``; the relay looks them up by
type. A handler's name is its identity for idempotency, so renaming one replays old events to it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.platform.events.envelope import CloudEvent

Handler = Callable[[AsyncSession, CloudEvent], Awaitable[None]]


@dataclass(frozen=True)
class Registration:
    name: str
    event_type: str
    fn: Handler


@dataclass
class HandlerRegistry:
    _by_type: dict[str, list[Registration]] = field(default_factory=dict)

    def register(self, event_type: str, *, name: str | None = None) -> Callable[[Handler], Handler]:
        def decorator(fn: Handler) -> Handler:
            handler_name = name or f"{fn.__module__}.{fn.__qualname__}"
            registrations = self._by_type.setdefault(event_type, [])
            if any(r.name == handler_name for r in registrations):
                raise ValueError(f"handler {handler_name} already registered for {event_type}")
            registrations.append(Registration(handler_name, event_type, fn))
            return fn

        return decorator

    def unregister(self, event_type: str, name: str) -> None:
        self._by_type[event_type] = [r for r in self._by_type.get(event_type, []) if r.name != name]

    def for_type(self, event_type: str) -> list[Registration]:
        return list(self._by_type.get(event_type, []))


registry = HandlerRegistry()
