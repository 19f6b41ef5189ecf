"""What the interview pages show beside an interview: names, job titles, stages, scorecard states.

The API answers with ids and lets clients look names up; a page has to show words, so these helpers
gather them through the same service functions (identity, jobs, pipeline) the interview service
already depends on. Nothing here changes data: unlike ``scorecards.my_scorecard`` it never starts a
draft, so opening a list does not create scorecards.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.identity import service as identity
from rolecall.interviews import repository
from rolecall.interviews.models import Interview
from rolecall.jobs import service as jobs
from rolecall.pipeline import service as pipeline
from rolecall.platform.auth import Principal
from rolecall.platform.errors import NotFound
from rolecall.platform.pagination import MAX_LIMIT, PageParams

# Offered in the time-zone select; UTC first (the default). Any other IANA name is accepted too.
TIME_ZONES = (
    "UTC",
    "Europe/London",
    "Europe/Dublin",
    "Europe/Lisbon",
    "Europe/Paris",
    "Europe/Berlin",
    "Europe/Amsterdam",
    "Europe/Madrid",
    "Europe/Rome",
    "Europe/Stockholm",
    "Europe/Warsaw",
    "Europe/Helsinki",
    "Europe/Athens",
    "Europe/Istanbul",
    "Africa/Lagos",
    "Africa/Nairobi",
    "Africa/Johannesburg",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Pacific/Auckland",
    "America/Sao_Paulo",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Toronto",
    "America/Mexico_City",
)

ZONE_CHOICES = [(name, name.replace("_", " ")) for name in TIME_ZONES]


@dataclass(frozen=True)
class Row:
    """One interview as a list shows it."""

    interview: Interview
    job_title: str
    stage: str
    my_scorecard: str | None  # draft | submitted | None (not started, or not my interview)

    @property
    def starts_at(self) -> datetime:
        return aware(self.interview.starts_at)


def aware(moment: datetime) -> datetime:
    """In UTC and aware: SQLite hands back naive UTC, PostgreSQL aware times in the session's zone."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name) if name else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


async def job_titles(
    session: AsyncSession, principal: Principal, job_ids: set[uuid.UUID]
) -> dict[uuid.UUID, str]:
    titles: dict[uuid.UUID, str] = {}
    for job_id in job_ids:
        try:
            titles[job_id] = (await jobs.get_job(session, principal, job_id)).title
        except NotFound:
            titles[job_id] = "A removed job"
    return titles


async def stages(session: AsyncSession, application_ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    found: dict[uuid.UUID, str] = {}
    for application_id in application_ids:
        try:
            facts = await pipeline.application_facts(session, application_id)
        except NotFound:
            continue
        found[application_id] = facts.stage if facts.status == "active" else facts.status.capitalize()
    return found


async def people(session: AsyncSession, principal: Principal, user_ids: list[str]) -> dict[str, str]:
    """Staff names by id; a user who no longer exists reads as "A former user"."""
    names: dict[str, str] = {}
    for user_id in user_ids:
        try:
            names[user_id] = (await identity.get_user(session, principal, uuid.UUID(user_id))).full_name
        except NotFound:
            names[user_id] = "A former user"
    return names


async def my_scorecard_status(
    session: AsyncSession, principal: Principal, interview: Interview
) -> str | None:
    if str(principal.subject_id) not in interview.interviewer_ids:
        return None
    card = await repository.get_scorecard(session, interview.id, principal.subject_id)
    return None if card is None else card.status


async def rows(session: AsyncSession, principal: Principal, interviews: list[Interview]) -> list[Row]:
    titles = await job_titles(session, principal, {i.job_id for i in interviews})
    stage_of = await stages(session, {i.application_id for i in interviews})
    return [
        Row(
            interview=i,
            job_title=titles.get(i.job_id, ""),
            stage=stage_of.get(i.application_id, ""),
            my_scorecard=await my_scorecard_status(session, principal, i),
        )
        for i in interviews
    ]


async def staff_choices(session: AsyncSession, principal: Principal) -> list[tuple[str, str]]:
    """Active staff who may sit on an interview (the API accepts any active staff user)."""
    users, _cursor = await identity.list_users(session, principal, PageParams(limit=MAX_LIMIT, after=None))
    chosen = [user for user in users if user.is_active]
    chosen.sort(key=lambda user: user.full_name.casefold())
    return [(str(user.id), _label(user.full_name, user.roles)) for user in chosen]


def _label(name: str, roles: list[str]) -> str:
    words = ", ".join(role.replace("_", " ") for role in roles)
    return f"{name} ({words})" if words else name
