"""What an access token stands for, remembered by each API process for at most a second.

Before a route reads anything, an authenticated request has to know that its token was not
revoked, that its user is still active with the roles the token claims (or its API client still
enabled) and that its sign-in session is still open: three lookups, more than the route's own read
costs. A process that answers hundreds of requests a second with the same token would repeat the
same three answers each time, so it keeps them, by token id, with two rules that bound how stale an
answer can be (ADR 0018):

- **Nothing lives longer than ``auth_cache_seconds``** (one second by default, never more): a
  revocation, deactivation or role change made anywhere — another API replica, the worker, the CLI,
  an operator's SQL — is obeyed by every process within that time, whether or not any broker or
  worker is running. Revocation must not depend on the event relay being healthy.
- **A change made through this process is obeyed at once.** Any transaction that writes a user, an
  API client, a sign-in session, a revoked-token entry or an organisation clears every entry of
  this process when it commits (the listeners below), so the revoke endpoint, sign-out, a role
  change or an erasure takes effect on the very next request here.

What is kept is only what the database said; the token's signature and times are checked on every
request (:meth:`rolecall.identity.tokens.KeyRing.verify`), tenancy and need-to-know access are bound
to each request's session as before, and scopes are re-derived from the roles kept here.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState

from rolecall.identity.models import ApiClient, AuthSession, Organisation, RevokedAccessToken, User
from rolecall.platform.db import RolecallSession

_WATCHED = (User, ApiClient, AuthSession, RevokedAccessToken, Organisation)
_CHANGED = "rolecall_identity_changed"
_CAPACITY = 50_000


@dataclass(frozen=True)
class Standing:
    """The database's answer about one access token: who it is for and what they may do now."""

    kind: Literal["user", "client"]
    subject_id: uuid.UUID
    organisation_id: uuid.UUID
    scopes: frozenset[str]
    roles: frozenset[str]
    session_id: uuid.UUID | None
    sees_all_jobs: bool


class _Generation:
    """Bumped when a transaction of this process that changed identity rows commits."""

    value = 0


class PrincipalCache:
    """Token id → :class:`Standing`, each entry valid for ``ttl`` seconds and this process's generation."""

    def __init__(self, ttl: float) -> None:
        self._ttl = ttl
        self._entries: dict[str, tuple[float, int, Standing]] = {}

    def get(self, token_id: str) -> Standing | None:
        entry = self._entries.get(token_id)
        if entry is None:
            return None
        expires, generation, standing = entry
        if generation != _Generation.value or time.monotonic() >= expires:
            self._entries.pop(token_id, None)
            return None
        return standing

    @staticmethod
    def generation() -> int:
        """Read before the lookups whose answer is then :meth:`put`: a change committed while they ran
        makes the entry stale at once instead of keeping the old answer for a second."""
        return _Generation.value

    def put(self, token_id: str, standing: Standing, generation: int) -> None:
        if self._ttl <= 0:
            return
        if len(self._entries) >= _CAPACITY:
            self._entries.clear()
        self._entries[token_id] = (time.monotonic() + self._ttl, generation, standing)


def _touches_identity(objects: Any) -> bool:
    return any(isinstance(obj, _WATCHED) for obj in objects)


@event.listens_for(RolecallSession, "before_flush")
def _note_identity_writes(session: RolecallSession, _ctx: Any, _instances: Any) -> None:
    if (
        _touches_identity(session.new)
        or _touches_identity(session.dirty)
        or _touches_identity(session.deleted)
    ):
        session.info[_CHANGED] = True


@event.listens_for(RolecallSession, "do_orm_execute")
def _note_identity_statements(state: ORMExecuteState) -> None:
    # Bulk UPDATE/DELETE statements (revoking every session of a user, say) bypass the flush.
    if (state.is_update or state.is_delete) and any(
        issubclass(mapper.class_, _WATCHED) for mapper in state.all_mappers
    ):
        state.session.info[_CHANGED] = True


@event.listens_for(RolecallSession, "after_commit")
def _forget_on_commit(session: RolecallSession) -> None:
    if session.info.pop(_CHANGED, False):
        _Generation.value += 1


@event.listens_for(RolecallSession, "after_soft_rollback")
def _nothing_changed(session: RolecallSession, _previous: Any) -> None:
    session.info.pop(_CHANGED, None)
