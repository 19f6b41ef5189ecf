"""Waking the delivery loop when deliveries are queued, instead of waiting out its poll interval.

A transaction that queues deliveries (the fan-out handler, a redelivery, a replay) marks its
session; once it commits, every delivery loop of this process is woken. In broker mode the fan-out
runs in the worker that also runs the loop, so the first attempt goes out within milliseconds of
the event; another process's loop finds the rows on its next poll.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from sqlalchemy import event

from rolecall.platform.db import RolecallSession

_QUEUED = "rolecall_webhooks_queued"
_waiting: set[asyncio.Event] = set()


def mark(session: Any) -> None:
    """Note that this session's transaction queues deliveries (sync or async session)."""
    session.info[_QUEUED] = True


def subscribe(wake: asyncio.Event) -> Callable[[], None]:
    _waiting.add(wake)
    return lambda: _waiting.discard(wake)


@event.listens_for(RolecallSession, "after_commit")
def _after_commit(session: RolecallSession) -> None:
    if session.info.pop(_QUEUED, False):
        for wake in list(_waiting):
            wake.set()


@event.listens_for(RolecallSession, "after_rollback")
def _after_rollback(session: RolecallSession) -> None:
    session.info.pop(_QUEUED, None)
