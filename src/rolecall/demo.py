"""Demo data for ``make run``: one organisation with staff, forked role profiles and open jobs.

Idempotent: each part is created only when it is missing (the organisation by its admin's e-mail, the
jobs by the organisation having no role profiles yet), so running it again, or on a database made
by an older release, adds what is missing and duplicates nothing. Jobs are opened through the jobs
service, so their postings reach the board through the outbox like any other.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.config import Settings
from rolecall.demo_pipeline import load_pipeline
from rolecall.identity import service as identity
from rolecall.identity.permissions import Role, scopes_for_roles
from rolecall.identity.schemas import UserCreate
from rolecall.jobs import service as jobs
from rolecall.jobs.schemas import CloseJob, JobCreate, JobSettingsUpdate
from rolecall.platform.auth import Principal
from rolecall.platform.db import transaction
from rolecall.platform.http import etag_for
from rolecall.platform.tenancy import bind_organisation
from rolecall.roles import service as roles
from rolecall.roles.schemas import RoleProfileCreate

DEMO_ORGANISATION = "Acme Robotics (demo)"
DEMO_PASSWORD = "rolecall-demo-password"  # noqa: S105 - published demo credential, refused in production


@dataclass(frozen=True)
class DemoAccount:
    email: str
    role: str
    full_name: str


DEMO_ACCOUNTS = (
    DemoAccount("admin@acme.example", Role.ADMIN, "Ada Admin"),
    DemoAccount("recruiter@acme.example", Role.RECRUITER, "Rhea Recruiter"),
    DemoAccount("manager@acme.example", Role.HIRING_MANAGER, "Hugo Manager"),
)


COMPANY = JobSettingsUpdate(
    about=(
        "Acme Robotics builds the software that plans and supervises fleets of warehouse robots. "
        "Our back end schedules thousands of tasks a minute and has to stay up while we ship "
        "several times a day."
    ),
    website="https://acme.example/",
    accent_colour="#0b5d6b",
    careers_intro=(
        "We are a team of about sixty people in Lisbon, Berlin and remote across Europe. Every "
        "opening below lists its pay, and every application is read by a person."
    ),
    benefits=[
        "Equity for every employee",
        "30 days of paid leave",
        "Learning budget of 2,000 USD a year",
        "Home-office set-up paid on day one",
    ],
)
APPLICATION_FORM = [
    {"key": "work_permit", "label": "May you work in one of the listed countries?", "type": "yes_no",
     "required": True},
    {"key": "notice_weeks", "label": "Notice period in weeks", "type": "number", "min_value": 0,
     "max_value": 52},
    {"key": "languages", "label": "Which back-end languages have you shipped to production?",
     "type": "multi_choice", "options": ["Python", "Go", "Java", "Kotlin", "Rust", "Node.js"]},
    {"key": "proud_of", "label": "Tell us about a system you designed and what you would change now",
     "type": "long_text", "required": True, "max_length": 4000},
    {"key": "resume", "label": "Resume (PDF or DOCX)", "type": "file", "required": True},
]  # fmt: skip
# (library profile, level, work arrangement, places, salary, status)
DEMO_JOBS: list[dict[str, object]] = [
    {"profile": "backend-engineer", "level": "lead", "work_arrangement": "remote",
     "remote_countries": ["US", "CA"], "remote_time_zones": ["UTC-8..UTC-5"],
     "salary": {"min": 120_000, "max": 155_000, "currency": "USD"}, "application_form": APPLICATION_FORM,
     "openings": 3},
    {"profile": "backend-engineer", "level": "senior", "work_arrangement": "hybrid",
     "locations": [{"city": "Berlin", "country": "DE"}],
     "salary": {"min": 75_000, "max": 95_000, "currency": "EUR"}},
    {"profile": "frontend-engineer", "level": "senior", "work_arrangement": "hybrid",
     "locations": [{"city": "Austin", "region": "TX", "country": "US"}],
     "salary": {"min": 125_000, "max": 150_000, "currency": "USD"}},
    {"profile": "site-reliability-engineer", "level": "mid", "work_arrangement": "onsite",
     "locations": [{"city": "Toronto", "region": "ON", "country": "CA"}],
     "salary": {"min": 110_000, "max": 135_000, "currency": "CAD"}, "show_salary": False},
    {"profile": "data-engineer", "level": "senior", "work_arrangement": "remote",
     "remote_countries": ["DE", "NL", "PL", "PT"], "department": "Data",
     "salary": {"min": 70_000, "max": 90_000, "currency": "EUR"}},
    {"profile": "engineering-manager", "level": "senior", "work_arrangement": "hybrid",
     "locations": [{"city": "Berlin", "country": "DE"}], "status": "draft"},
    {"profile": "qa-engineer", "level": "mid", "work_arrangement": "remote", "remote_countries": ["US"],
     "status": "closed"},
]  # fmt: skip


async def _load_jobs(session: AsyncSession, admin: Principal, team: list[dict[str, object]]) -> None:
    """The demo jobs; ``team`` is the hiring team of the first one (the job with candidates)."""
    settings = await jobs.get_settings(session, admin)
    await jobs.update_settings(session, admin, COMPANY, etag_for(settings.id, settings.version))
    profiles: dict[str, str] = {}
    for spec in DEMO_JOBS:
        slug = str(spec["profile"])
        if slug not in profiles:
            record, _document = await roles.create_profile(
                session, admin, RoleProfileCreate(from_library=slug)
            )
            profiles[slug] = str(record.id)
        fields = {k: v for k, v in spec.items() if k not in ("profile", "status")}
        if spec is DEMO_JOBS[0]:
            fields["hiring_team"] = team
        body = JobCreate.model_validate(
            {"role_profile_id": profiles[slug], "department": "Engineering", **fields}
        )
        job = await jobs.create_job(session, admin, body)
        status = spec.get("status", "open")
        if status in ("open", "closed"):
            await jobs.transition(session, admin, job.id, "open")
        if status == "closed":
            await jobs.transition(session, admin, job.id, "close", CloseJob(reason="filled"))


async def load_demo(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings | None = None
) -> tuple[bool, list[DemoAccount]]:
    """Returns whether anything was created, and the accounts that exist.

    With ``settings`` (the CLI passes them) the demo job also gets its candidates, which needs the
    personal-data keys and the file store.
    """
    async with transaction(sessionmaker) as session:
        exists = await identity.login_exists(session, DEMO_ACCOUNTS[0].email)
    if exists:
        created = await _top_up(sessionmaker)
    else:
        await _create(sessionmaker)
        created = True
    if settings is not None:
        async with transaction(sessionmaker) as session:
            found = await identity.find_login(session, DEMO_ACCOUNTS[0].email)
        assert found is not None
        added = await load_pipeline(sessionmaker, settings, found[1], found[0], DEMO_ACCOUNTS[2].email)
        created = created or added
    return created, list(DEMO_ACCOUNTS)


async def _create(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    async with transaction(sessionmaker) as session:
        created = await identity.create_organisation(
            session,
            name=DEMO_ORGANISATION,
            admin_email=DEMO_ACCOUNTS[0].email,
            admin_password=DEMO_PASSWORD,
            admin_name=DEMO_ACCOUNTS[0].full_name,
        )
        admin = _admin(created.admin.id, created.organisation.id)
        staff: dict[str, uuid.UUID] = {}
        for account in DEMO_ACCOUNTS[1:]:
            user = await identity.create_user(
                session,
                admin,
                UserCreate(
                    email=account.email,
                    full_name=account.full_name,
                    password=DEMO_PASSWORD,
                    roles=[Role(account.role)],
                    # The demo recruiter works across the organisation; the hiring manager sees
                    # only the job whose hiring team names them (need-to-know access).
                    sees_all_jobs=account.role == Role.RECRUITER,
                ),
            )
            staff[account.role] = user.id
        await _load_jobs(session, admin, _demo_team(staff))


def _demo_team(staff: dict[str, uuid.UUID]) -> list[dict[str, object]]:
    """The recruiter and the hiring manager on the demo job's hiring team."""
    return [
        {"user_id": str(staff[role]), "role": role}
        for role in (Role.RECRUITER.value, Role.HIRING_MANAGER.value)
        if role in staff
    ]


def _admin(user_id: uuid.UUID, organisation_id: uuid.UUID) -> Principal:
    return Principal(
        "user", user_id, organisation_id, scopes_for_roles([Role.ADMIN]), frozenset({Role.ADMIN})
    )


async def _top_up(sessionmaker: async_sessionmaker[AsyncSession]) -> bool:
    """A demo organisation from an older release has no jobs yet: add them once."""
    async with transaction(sessionmaker) as session:
        found = await identity.find_login(session, DEMO_ACCOUNTS[0].email)
        if found is None:
            return False
        user_id, organisation_id = found
        bind_organisation(session, organisation_id)
        admin = _admin(user_id, organisation_id)
        if await roles.has_profiles(session, admin):
            return False
        staff: dict[str, uuid.UUID] = {}
        for account in DEMO_ACCOUNTS[1:]:
            login = await identity.find_login(session, account.email)
            if login is not None:
                staff[account.role] = login[0]
        await _load_jobs(session, admin, _demo_team(staff))
    return True
