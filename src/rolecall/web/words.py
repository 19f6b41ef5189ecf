"""Small wording helpers every staff page shares: durations and who did something.

Pages show words where the API shows numbers and actor strings ("user:<id>"); one place says them,
so the board, the candidate page and the timelines say "3 days" and "a colleague" alike.
"""

from __future__ import annotations

from datetime import UTC, datetime

from rolecall.platform.auth import Principal

_ACTORS = {"client": "an API client", "system": "Rolecall", "applicant": "the candidate"}


def duration(seconds: float) -> str:
    """A span in its largest whole unit: "3 days", "1 hour", "under an hour"."""
    days, hours = int(seconds // 86_400), int(seconds // 3_600)
    if days >= 1:
        return "1 day" if days == 1 else f"{days} days"
    if hours >= 1:
        return "1 hour" if hours == 1 else f"{hours} hours"
    return "under an hour"


def since(moment: datetime, now: datetime) -> str:
    """How long ago ``moment`` was (naive times are UTC, as SQLite returns them)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return duration(max((now - moment).total_seconds(), 0))


def actor(actor: str, principal: Principal, *, capital: bool = False) -> str:
    """Who an audit-style actor string is, from the reader's side. Staff names live in the identity
    context; pages that may not read it say "a colleague"."""
    said = "you" if actor == principal.actor else _ACTORS.get(actor.partition(":")[0], "a colleague")
    return said[:1].upper() + said[1:] if capital else said
