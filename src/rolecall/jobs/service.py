"""Use cases for jobs: create from a pinned profile level, edit, and move through the lifecycle.

Lifecycle: draft → open ⇄ paused, and any of those → closed (terminal, with a reason). Every change
writes a ``job.*`` event carrying the job and, while it is open, its public posting, so the board
(another context) can project it without reading these tables. Services never commit.
"""

from __future__ import annotations

import dataclasses
import math
import re
import unicodedata
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Literal

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.audit import service as audit
from rolecall.identity import service as identity
from rolecall.jobs import description as jd
from rolecall.jobs import posting, repository
from rolecall.jobs.description import budgeted
from rolecall.jobs.events import (
    JobClosed,
    JobCreated,
    JobEvent,
    JobOpened,
    JobPaused,
    JobSnapshot,
    JobUpdated,
)
from rolecall.jobs.models import Job, JobSettings
from rolecall.jobs.repository import JobFilter
from rolecall.jobs.schemas import (
    DEFAULT_STAGES,
    Branding,
    CloseJob,
    JobCreate,
    JobSettingsUpdate,
    JobUpdate,
    Salary,
    TeamMember,
    dump,
)
from rolecall.platform import access
from rolecall.platform.auth import Principal
from rolecall.platform.clock import utcnow
from rolecall.platform.errors import Conflict, NotFound, Unprocessable
from rolecall.platform.events.outbox import emit
from rolecall.platform.http import check_if_match
from rolecall.platform.pagination import PageParams, page_of
from rolecall.platform.sorting import Sorting, sorted_page_of
from rolecall.roles import service as roles
from rolecall.roles.library.schema import RoleProfile, SalaryBand

# Annualising factors for checking monthly or hourly pay against annual bands (40 h x 52 weeks).
_PER_YEAR = {"year": 1, "month": 12, "hour": 2080}
_TEAM_ROLE_NEEDS = {
    "recruiter": {"recruiter", "admin"},
    "coordinator": {"recruiter", "admin"},
    "hiring_manager": {"hiring_manager", "admin"},
    "interviewer": {"admin", "recruiter", "hiring_manager", "interviewer"},
}
Transition = Literal["open", "pause", "close"]
_ALLOWED: dict[Transition, set[str]] = {
    "open": {"draft", "paused"},
    "pause": {"open"},
    "close": {"draft", "open", "paused"},
}


def _problem(field: str, message: str) -> Unprocessable:
    return Unprocessable(message, extra={"errors": [{"field": field, "message": message}]})


# --- organisation settings --------------------------------------------------------------------


# Board addresses live under /v1/board/{slug}/…, beside the board's own fixed paths.
RESERVED_SLUGS = frozenset({"postings", "feeds", "search", "organisations", "sitemap", "v1", "api"})
# WCAG 2 AA for normal text: the careers pages put white text on the accent colour and use it for
# links on white, so the colour must reach this contrast ratio against white.
MIN_ACCENT_CONTRAST = 4.5


def _channel(value: int) -> float:
    srgb = value / 255
    return srgb / 12.92 if srgb <= 0.03928 else ((srgb + 0.055) / 1.055) ** 2.4


def contrast_with_white(colour: str) -> float:
    """The WCAG 2 contrast ratio of a ``#rrggbb`` colour against white, from 1.0 (white) to 21.0."""
    red, green, blue = (_channel(int(colour[i : i + 2], 16)) for i in (1, 3, 5))
    luminance = 0.2126 * red + 0.7152 * green + 0.0722 * blue
    return 1.05 / (luminance + 0.05)


def _check_accent_colour(colour: str) -> None:
    ratio = contrast_with_white(colour)
    if ratio < MIN_ACCENT_CONTRAST:
        shown = math.floor(ratio * 100) / 100  # never round a refused ratio up to the limit
        raise _problem(
            "accent_colour",
            f"The accent colour {colour} has a contrast ratio of {shown:.2f}:1 against white; the careers "
            f"pages put white text on it and use it for links, which needs at least {MIN_ACCENT_CONTRAST}:1. "
            "Choose a darker colour.",
        )


def _slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:50].strip("-") or "careers"


async def get_settings(session: AsyncSession, principal: Principal) -> JobSettings:
    """The organisation's settings, created with defaults the first time anything needs them."""
    for _attempt in range(3):
        settings = await repository.get_settings(session)
        if settings is not None:
            return settings
        organisation = await identity.get_organisation(session, principal)
        base = _slugify(organisation.name)
        slug, n = base, 1
        while slug in RESERVED_SLUGS or await repository.slug_taken(session, slug):
            n += 1
            slug = f"{base}-{n}"
        settings = JobSettings(
            organisation_id=principal.organisation_id,
            board_slug=slug,
            listed=True,
            show_salary=True,
            benefits=[],
            template_overrides={},
            version=1,
        )
        # Two transactions may create the row at once (the worker's handler for a new organisation
        # and an admin's first read): the loser's insert fails in a savepoint, and it reads the
        # winner's row (or, if only the slug collided, picks the next free one) instead of a 500.
        try:
            async with session.begin_nested():
                session.add(settings)
                await session.flush()
        except IntegrityError:
            continue
        return settings
    raise Conflict("The job settings are being created by another request; try again.")


async def _stage_template(session: AsyncSession, principal: Principal) -> list[dict[str, Any]]:
    settings = await get_settings(session, principal)
    return list(settings.stage_template or dump(DEFAULT_STAGES))


async def check_template_overrides(body: JobSettingsUpdate) -> None:
    """Refuse overrides that do not compile, use a forbidden construct, or fail a trial render
    (or run out of the render budget) against sample data, listing every problem at once.

    Needs no database: the API calls it before the request's write transaction starts, so the trial
    renders hold no lock (see ``endpoints.update_job_settings``)."""
    problems = await budgeted.problems(body.template_overrides or {})
    if problems:
        raise Unprocessable(
            "Nothing was saved. " + " ".join(f"{p}." for p in problems),
            extra={
                "errors": [
                    {"field": f"template_overrides.{p.name}", "message": str(p), "line": p.line}
                    for p in problems
                ]
            },
        )


def _refuse_nulls(changes: dict[str, Any]) -> None:
    """Settings that always have a value; checked before anything is rendered from the changes."""
    for required in ("board_slug", "listed", "show_salary"):
        if required in changes and changes[required] is None:
            raise _problem(required, f"{required} cannot be null.")


def _settings_with(settings: JobSettings, changes: dict[str, Any]) -> JobSettings:
    """An unsaved copy of the settings with ``changes`` applied, for rendering ahead of a write."""
    columns = JobSettings.__table__.columns
    copy = JobSettings(**{column.key: getattr(settings, column.key) for column in columns})
    for key, value in changes.items():
        if hasattr(copy, key):
            setattr(copy, key, value)
    return copy


async def republish_inputs(
    session: AsyncSession, principal: Principal, body: JobSettingsUpdate
) -> tuple[list[jd.JobDescriptionInput], dict[str, str]]:
    """What the open jobs' descriptions would be rendered from once ``body`` is saved.

    Read-only; the caller renders these (``posting.prerender``) with no transaction open, so the
    republish in :func:`update_settings` finds them in the render cache."""
    settings = await get_settings(session, principal)
    changes = body.model_dump(exclude_unset=True, mode="json")
    if not changes:
        return [], {}
    _refuse_nulls(changes)
    return await _open_job_inputs(session, principal, _settings_with(settings, changes))


async def current_inputs(
    session: AsyncSession, principal: Principal
) -> tuple[list[jd.JobDescriptionInput], dict[str, str]]:
    """What the open jobs' descriptions are rendered from now (after an organisation change, say);
    read-only, for rendering ahead of :func:`republish_open_jobs` as for :func:`republish_inputs`."""
    return await _open_job_inputs(session, principal, await get_settings(session, principal))


async def open_job_input(
    session: AsyncSession, principal: Principal, job_id: uuid.UUID
) -> tuple[list[jd.JobDescriptionInput], dict[str, str]]:
    """What an open job's posting is rendered from (nothing for a job that is not open); read-only.

    For another context's worker step that will change the job's openings (the hire saga): it
    reads this in a short transaction of its own, calls :func:`render_ahead` with no transaction
    open, and the step's republish then finds the posting rendered."""
    job = await _get(session, job_id)
    if job.status != "open":
        return [], {}
    settings = await get_settings(session, principal)
    organisation = await identity.get_organisation(session, principal)
    data = posting.job_input(job, await _pinned(session, job), settings, organisation.name)
    return [data], posting.overrides_of(settings)


async def render_ahead(inputs: list[jd.JobDescriptionInput], overrides: dict[str, str]) -> None:
    """Render postings into the render cache before the write that publishes them (no transaction
    may be open: organisation templates render under a budget of seconds)."""
    await posting.prerender(inputs, overrides)


async def _open_job_inputs(
    session: AsyncSession, principal: Principal, settings: JobSettings
) -> tuple[list[jd.JobDescriptionInput], dict[str, str]]:
    organisation = await identity.get_organisation(session, principal)
    inputs = [
        posting.job_input(job, await _pinned(session, job), settings, organisation.name)
        for job in await repository.open_jobs(session)
    ]
    return inputs, posting.overrides_of(settings)


async def update_settings(
    session: AsyncSession,
    principal: Principal,
    body: JobSettingsUpdate,
    if_match: str,
    *,
    overrides_checked: bool = False,
) -> JobSettings:
    """Save the organisation's job settings and publish its open jobs again.

    ``overrides_checked`` says the caller already ran :func:`check_template_overrides` outside the
    transaction; otherwise the trial renders run here, under their budget."""
    if not overrides_checked:
        await check_template_overrides(body)
    settings = await get_settings(session, principal)
    check_if_match(if_match, settings.id, settings.version)
    changes = body.model_dump(exclude_unset=True, mode="json")
    if not changes:
        return settings  # nothing changed: no new version, no republishing
    _refuse_nulls(changes)
    for text in ("about", "equal_opportunity", "careers_intro"):  # blank text is no text: the default applies
        if text in changes and changes[text] is not None and not changes[text].strip():
            changes[text] = None
    if changes.get("accent_colour") is not None:
        _check_accent_colour(changes["accent_colour"])
    if changes.get("board_slug") in RESERVED_SLUGS:
        raise _problem("board_slug", f"{changes['board_slug']!r} is reserved for the board's own addresses.")
    if changes.get("board_slug") not in (None, settings.board_slug) and await repository.slug_taken(
        session, changes["board_slug"]
    ):
        raise Conflict(f"The board address {changes['board_slug']!r} is taken by another organisation.")
    for key in ("benefits", "template_overrides"):
        if key in changes and changes[key] is None:
            changes[key] = [] if key == "benefits" else {}
    for key, value in changes.items():
        setattr(settings, key, value)
    settings.version += 1
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict("The board address is taken by another organisation.") from exc
    audit.record(
        session,
        actor=principal.actor,
        action="job_settings.updated",
        target_type="job_settings",
        target_id=settings.id,
        changed_fields=changes.keys(),
    )
    await republish_open_jobs(session, principal)
    return settings


async def republish_open_jobs(
    session: AsyncSession, principal: Principal, *, actor: str | None = None
) -> int:
    """Open postings show organisation facts (name, settings): publish them again after those change.

    The job's version is bumped because its public representation changed; the board ignores any
    event whose version it has already seen, so an unchanged version would be dropped there.
    """
    jobs = await repository.open_jobs(session)
    for job in jobs:
        job.version += 1
    await session.flush()
    for job in jobs:
        await _emit(session, principal, JobUpdated, job, actor=actor)
    return len(jobs)


# --- validation against the profile and the organisation --------------------------------------


def _annual(amount: int, period: str) -> int:
    return amount * _PER_YEAR[period]


def matching_bands(profile: RoleProfile, level: str, salary: Salary) -> list[SalaryBand]:
    return [b for b in profile.salary_bands if b.level == level and b.currency == salary.currency]


def _check_salary(profile: RoleProfile, level: str, salary: Salary | None) -> None:
    """Inside a band for the level and currency, or an explicit reason; no band means nothing to check."""
    if salary is None:
        return
    bands = matching_bands(profile, level, salary)
    low, high = _annual(salary.min, salary.period), _annual(salary.max, salary.period)
    if not bands or any(b.min <= low and high <= b.max for b in bands):
        return
    if salary.override_reason:
        return
    ranges = "; ".join(f"{b.location}: {b.min:,}-{b.max:,} {b.currency}" for b in bands)
    raise _problem(
        "salary",
        f"The salary range is outside the {level} band(s) of the profile ({ranges}). "
        "Adjust it or give an override_reason.",
    )


def _with_creator(session: AsyncSession, principal: Principal, team: list[TeamMember]) -> list[TeamMember]:
    """A staff member who sees only their teams' jobs joins the team of a job they create; otherwise
    the job would vanish from their view the moment it exists."""
    if not access.is_restricted(session) or any(m.user_id == principal.subject_id for m in team):
        return team
    role = next((r for r in ("recruiter", "hiring_manager") if r in principal.roles), "interviewer")
    return [*team, TeamMember(user_id=principal.subject_id, role=role)]


async def _check_team(session: AsyncSession, principal: Principal, team: list[TeamMember]) -> None:
    seen: set[tuple[uuid.UUID, str]] = set()
    for i, member in enumerate(team):
        field = f"hiring_team.{i}"
        if (member.user_id, member.role) in seen:
            raise _problem(field, "The same person is listed twice in the same role.")
        seen.add((member.user_id, member.role))
        try:
            user = await identity.get_user(session, principal, member.user_id)
        except NotFound as exc:
            raise _problem(field, "No staff user with this id in the organisation.") from exc
        if not user.is_active:
            raise _problem(field, "This user is deactivated.")
        if not set(user.roles) & _TEAM_ROLE_NEEDS[member.role]:
            raise _problem(field, f"This user's roles ({', '.join(user.roles)}) do not allow {member.role}.")


def _check_places(
    arrangement: str, locations: list[dict[str, Any]], countries: list[str], zones: list[str]
) -> None:
    if arrangement in ("onsite", "hybrid") and not locations:
        article = "An" if arrangement == "onsite" else "A"
        raise _problem("locations", f"{article} {arrangement} job needs at least one location.")
    if arrangement != "remote" and (countries or zones):
        raise _problem("remote_countries", "Remote countries and time zones apply to remote jobs only.")
    if arrangement == "remote" and not (countries or locations):
        raise _problem(
            "remote_countries", "A remote job needs the countries applicants may work from, or a location."
        )


def _check_valid_through(value: datetime | None) -> None:
    # A posting's closing date is after it was posted; any date still in the future is.
    if value is not None and value <= utcnow():
        raise _problem("valid_through", "valid_through must be in the future.")


# --- jobs -------------------------------------------------------------------------------------


async def _get(session: AsyncSession, job_id: uuid.UUID) -> Job:
    job = await repository.get_job(session, job_id)
    if job is None:
        raise NotFound("Job not found.")
    return job


async def get_job(session: AsyncSession, principal: Principal, job_id: uuid.UUID) -> Job:
    return await _get(session, job_id)


async def list_jobs(
    session: AsyncSession,
    principal: Principal,
    params: PageParams,
    status: str | None = None,
    *,
    where: JobFilter | None = None,
    sorting: Sorting | None = None,
) -> tuple[list[Job], str | None]:
    """A page of jobs; ``status`` is the single-status shorthand the staff pages use.

    With ``sorting`` the page follows that order and its cursor carries the sort value
    (:mod:`rolecall.platform.sorting`); without it, the id order of every list.
    """
    where = where or JobFilter()
    if status is not None:
        where = dataclasses.replace(where, statuses=(status,))
    if where.created_after and where.created_before and where.created_after >= where.created_before:
        raise _problem("created_before", "created_before must be later than created_after.")
    if where.updated_after and where.updated_before and where.updated_after >= where.updated_before:
        raise _problem("updated_before", "updated_before must be later than updated_after.")
    rows = await repository.list_jobs(session, params, where, sorting)
    if sorting is None:
        return page_of(rows, params)
    column = repository.SORT_COLUMNS[sorting.key].key
    return sorted_page_of(rows, params, sorting, lambda job: getattr(job, column))


async def job_ids_with_team_member(
    session: AsyncSession, principal: Principal, user_id: uuid.UUID
) -> list[uuid.UUID]:
    """Ids of the organisation's jobs whose hiring team includes this user, for other contexts'
    "my jobs" filters (applications, interviews) that must not read the jobs table themselves."""
    return await repository.job_ids_with_team_member(session, user_id)


async def job_titles(
    session: AsyncSession, principal: Principal, job_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """Titles of many jobs in one query, for reports that name jobs (analytics, exports).

    Ids of unknown jobs (or another organisation's) are simply absent from the answer.
    """
    wanted = set(job_ids)
    return await repository.job_titles(session, wanted) if wanted else {}


async def _pinned(session: AsyncSession, job: Job) -> RoleProfile:
    return (await roles.pinned_profile(session, job.role_profile_id, job.profile_version)).document


async def create_job(session: AsyncSession, principal: Principal, body: JobCreate) -> Job:
    try:
        pinned = await roles.pinned_profile(session, body.role_profile_id, body.profile_version)
    except NotFound as exc:
        raise _problem("role_profile_id", "No role profile with this id in the organisation.") from exc
    profile = pinned.document
    if profile.level(body.level) is None:
        raise _problem(
            "level",
            f"Profile {profile.id!r} has no level {body.level!r} (it has {', '.join(profile.level_names)}).",
        )
    _check_valid_through(body.valid_through)
    locations = dump(body.locations or [])
    countries, zones = body.remote_countries or [], body.remote_time_zones or []
    _check_places(body.work_arrangement, locations, countries, zones)
    _check_salary(profile, body.level, body.salary)
    team = _with_creator(session, principal, body.hiring_team or [])
    await _check_team(session, principal, team)
    job = Job(
        organisation_id=principal.organisation_id,
        role_profile_id=pinned.profile_id,
        profile_version=pinned.version,
        level=body.level,
        title=body.title or posting.default_title(body.level, profile.title),
        department=body.department,
        employment_type=body.employment_type,
        work_arrangement=body.work_arrangement,
        locations=locations,
        remote_countries=countries,
        remote_time_zones=zones,
        openings=body.openings or 1,
        salary=dump(body.salary),
        show_salary=body.show_salary,
        hiring_team=dump(team),
        application_form=dump(body.application_form or []),
        stages=dump(body.stages) if body.stages else await _stage_template(session, principal),
        valid_through=body.valid_through,
        status="draft",
        version=1,
    )
    session.add(job)
    await session.flush()
    access.include_job(session, job.id)
    await _emit(session, principal, JobCreated, job)
    return job


async def update_job(
    session: AsyncSession, principal: Principal, job_id: uuid.UUID, body: JobUpdate, if_match: str
) -> Job:
    job = await _get(session, job_id)
    check_if_match(if_match, job.id, job.version)
    if job.status == "closed":
        raise Conflict("A closed job cannot be edited; create a new job instead.")
    changes = body.model_dump(exclude_unset=True, exclude={"clear_salary"})
    nullable = {"title", "show_salary", "valid_through", "salary"}
    for key, value in changes.items():
        if value is None and key not in nullable:
            raise _problem(key, f"{key} cannot be null.")
    if "salary" in changes and changes["salary"] is None and not body.clear_salary:
        raise _problem("salary", "Send clear_salary: true to remove the salary range.")
    profile = await _pinned(session, job)
    arrangement = body.work_arrangement or job.work_arrangement
    locations = dump(body.locations) if body.locations is not None else job.locations
    countries = body.remote_countries if body.remote_countries is not None else job.remote_countries
    zones = body.remote_time_zones if body.remote_time_zones is not None else job.remote_time_zones
    if arrangement != "remote":  # leaving remote drops the remote-only facts unless sent again
        countries = countries if "remote_countries" in changes else []
        zones = zones if "remote_time_zones" in changes else []
    _check_places(arrangement, locations, countries, zones)
    if "salary" in changes:
        _check_salary(profile, job.level, body.salary)
    if "valid_through" in changes:
        _check_valid_through(body.valid_through)
    if body.hiring_team is not None:
        await _check_team(session, principal, body.hiring_team)
    for key in changes:
        value = getattr(body, key)
        if key == "title" and value is None:
            value = posting.default_title(job.level, profile.title)
        setattr(job, key, dump(value))
    job.locations, job.remote_countries, job.remote_time_zones = locations, list(countries), list(zones)
    if body.clear_salary:
        job.salary = None
    job.version += 1
    await session.flush()
    await _emit(session, principal, JobUpdated, job, changed=changes.keys())
    return job


async def transition(
    session: AsyncSession,
    principal: Principal,
    job_id: uuid.UUID,
    action: Transition,
    body: CloseJob | None = None,
    *,
    at: datetime | None = None,
) -> Job:
    """Move the job through its lifecycle. ``at`` is the moment of the move when the caller chose it
    earlier (``render_ahead.job`` rendered the description a first opening publishes with that date)."""
    job = await _get(session, job_id)
    if job.status not in _ALLOWED[action]:
        article = "An" if job.status[0] in "aeiou" else "A"
        raise Conflict(
            f"{article} {job.status} job cannot be {'opened' if action == 'open' else action + 'd'}; "
            f"allowed from: {', '.join(sorted(_ALLOWED[action]))}."
        )
    now = at or utcnow()
    if action == "open":
        if job.valid_through is not None and job.valid_through <= now:
            raise _problem("valid_through", "valid_through is in the past; move it forward before opening.")
        job.status, job.opened_at = "open", now
        job.first_opened_at = job.first_opened_at or now
        event: type[JobEvent] = JobOpened
    elif action == "pause":
        job.status, event = "paused", JobPaused
    else:
        assert body is not None
        job.status, job.closed_at = "closed", now
        job.close_reason, job.close_note = body.reason, body.note
        event = JobClosed
    job.version += 1
    await session.flush()
    await _emit(session, principal, event, job)
    return job


# --- events and descriptions ------------------------------------------------------------------


async def _emit(
    session: AsyncSession,
    principal: Principal,
    event: type[JobEvent],
    job: Job,
    changed: Any = (),
    actor: str | None = None,
) -> None:
    audit.record(
        session,
        actor=actor or principal.actor,
        action=event.event_type,
        target_type="job",
        target_id=job.id,
        changed_fields=changed,
        status=job.status,
    )
    public = None
    if job.status == "open":
        settings = await get_settings(session, principal)
        organisation = await identity.get_organisation(session, principal)
        public = await posting.build(job, await _pinned(session, job), settings, organisation.name)
    action = event.event_type.split(".", 1)[1]
    emit(
        session, event(action=action, job=JobSnapshot.model_validate(posting.job_state(job)), posting=public)
    )


async def description_input(
    session: AsyncSession, principal: Principal, job_id: uuid.UUID
) -> tuple[jd.JobDescriptionInput, JobSettings]:
    """What a job's description is rendered from. Rendering is left to the caller, which does it
    after the transaction has ended (``posting.render``), so a slow override holds no lock."""
    job = await _get(session, job_id)
    settings = await get_settings(session, principal)
    organisation = await identity.get_organisation(session, principal)
    return posting.job_input(job, await _pinned(session, job), settings, organisation.name), settings


async def profile_description_input(
    session: AsyncSession, principal: Principal, profile_id: uuid.UUID, level: str
) -> tuple[jd.JobDescriptionInput, JobSettings]:
    """What a profile level's description is rendered from; rendering as for :func:`description_input`."""
    pinned = await roles.pinned_profile(session, profile_id)
    if pinned.document.level(level) is None:
        raise NotFound(f"Profile {pinned.document.id!r} has no level {level!r}.")
    settings = await get_settings(session, principal)
    organisation = await identity.get_organisation(session, principal)
    return posting.profile_input(pinned.document, level, settings, organisation.name), settings


async def library_description(slug: str, level: str, fmt: posting.Format) -> str | dict[str, Any]:
    profile = roles.library_profile(slug)
    if profile.level(level) is None:
        raise NotFound(f"Profile {slug!r} has no level {level!r}.")
    return await posting.render(posting.profile_input(profile, level, None, None), fmt, None)


def job_out(job: Job, settings: JobSettings) -> dict[str, Any]:
    visible = posting.salary_visible(job, settings)
    url = f"/v1/board/postings/{job.id}" if job.status == "open" else None
    return {**posting.job_state(job), "salary_visible": visible, "posting_url": url}


async def board_organisation(session: AsyncSession, slug: str) -> tuple[uuid.UUID, str] | None:
    """The organisation behind a public board address (id and display name), for the board context."""
    settings = await repository.settings_by_slug(session, slug)
    if settings is None:
        return None
    return settings.organisation_id, await identity.organisation_name(session, settings.organisation_id)


async def _branding(session: AsyncSession, settings: JobSettings | None) -> Branding | None:
    if settings is None:
        return None
    return Branding(
        organisation_id=settings.organisation_id,
        name=await identity.organisation_name(session, settings.organisation_id),
        board_slug=settings.board_slug,
        website=settings.website,
        logo_url=settings.logo_url,
        accent_colour=settings.accent_colour,
        careers_intro=settings.careers_intro,
    )


async def board_branding(session: AsyncSession, organisation_id: uuid.UUID) -> Branding | None:
    """An organisation's careers-site branding, for public pages: no principal, any session.

    ``None`` when the organisation has no job settings yet (so no board and no postings). The
    lookup crosses tenants on purpose and reads nothing but public facts; it neither needs nor
    changes the organisation the session is bound to.
    """
    return await _branding(session, await repository.settings_of(session, organisation_id))


async def board_branding_by_slug(session: AsyncSession, slug: str) -> Branding | None:
    """The branding of the careers site at a board address; ``None`` for an unknown slug."""
    return await _branding(session, await repository.settings_by_slug(session, slug))


# --- openings taken by hires (steps of the offers context's hire saga) --------------------------


async def consume_opening(session: AsyncSession, principal: Principal, job_id: uuid.UUID) -> int:
    """Take one opening for a hire; returns how many openings are left.

    Taking the last one closes the job with reason ``filled``, which takes the posting off the
    board. A closed job, or one with every opening taken, has none left: that is a Conflict the
    hire saga answers by compensating. Concurrent hires for the same job are serialised by the
    job's version column: the loser's transaction fails and its saga step is retried.
    """
    job = await _get(session, job_id)
    if job.status == "closed" or job.hires >= job.openings:
        raise Conflict(f"No opening left on this job ({job.hires} of {job.openings} filled).")
    job.hires += 1
    left = job.openings - job.hires
    if left == 0:
        await transition(session, principal, job_id, "close", CloseJob(reason="filled"))
        return 0
    job.version += 1
    await session.flush()
    await _emit(session, principal, JobUpdated, job, changed=["hires"])
    return left


async def restore_opening(session: AsyncSession, principal: Principal, job_id: uuid.UUID) -> int:
    """Give back an opening taken by :func:`consume_opening` (a hire saga's compensation).

    If taking it had closed the job as ``filled``, the job opens again: the close only happened
    because of the hire being undone, so the one exception to "closed is terminal" is this undo.
    Returns how many openings are left. With nothing taken there is nothing to give back.
    """
    job = await _get(session, job_id)
    if job.hires <= 0:
        return job.openings
    job.hires -= 1
    if job.status == "closed" and job.close_reason == "filled":
        job.status, job.opened_at = "open", utcnow()
        job.closed_at, job.close_reason, job.close_note = None, None, None
        event: type[JobEvent] = JobOpened
    else:
        event = JobUpdated
    job.version += 1
    await session.flush()
    await _emit(session, principal, event, job, changed=["hires"])
    return job.openings - job.hires
