"""A job as the outside world sees it: description inputs, the public posting, the event state.

The public posting is what ``job.opened`` / ``job.updated`` events carry to the board. It holds only
public facts (no hiring team, no override reasons, salary only when pay is shown), already rendered,
so the board serves it without calling back into this context.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Literal

import structlog

from rolecall.jobs import description as jd
from rolecall.jobs.description import budgeted
from rolecall.jobs.models import Job, JobSettings
from rolecall.platform.clock import utcnow
from rolecall.roles.library.schema import RoleProfile

_log = structlog.get_logger("rolecall.jobs")

Format = Literal["markdown", "html", "json"]
_LEVEL_WORDS = {"mid": "Mid-level"}


def default_title(level: str, profile_title: str) -> str:
    # Profile titles are at most 120 characters, so the level word always fits the 200 of a job title.
    return f"{_LEVEL_WORDS.get(level, level.capitalize())} {profile_title}"


def salary_visible(job: Job, settings: JobSettings) -> bool:
    """Pay transparency: the job's own choice wins; otherwise the organisation's default."""
    if job.salary is None:
        return False
    return job.show_salary if job.show_salary is not None else settings.show_salary


def _company(settings: JobSettings | None, name: str | None) -> jd.Company:
    if settings is None or name is None:
        return jd.Company(name=name or "Your company")
    extra: dict[str, Any] = {}
    if settings.equal_opportunity and settings.equal_opportunity.strip():
        extra["equal_opportunity"] = settings.equal_opportunity
    return jd.Company(
        name=name,
        about=(settings.about or "").strip() or None,
        website_url=settings.website,
        logo_url=settings.logo_url,
        benefits=tuple(settings.benefits),
        **extra,
    )


def job_input(
    job: Job, profile: RoleProfile, settings: JobSettings, organisation_name: str
) -> jd.JobDescriptionInput:
    details = jd.JobDetails(
        title=job.title,
        level=job.level,
        department=job.department,
        employment_type=job.employment_type,
        work_arrangement=job.work_arrangement,
        locations=tuple(jd.Location(**loc) for loc in job.locations),
        remote_countries=tuple(job.remote_countries),
        remote_time_zones=tuple(job.remote_time_zones),
        date_posted=job.first_opened_at or job.created_at,
        valid_through=job.valid_through,
    )
    salary = None
    if job.salary is not None:
        salary = jd.Salary(
            min=Decimal(job.salary["min"]),
            max=Decimal(job.salary["max"]),
            currency=job.salary["currency"],
            period=job.salary["period"],
            visible=salary_visible(job, settings),
        )
    return jd.from_profile(
        profile, job.level, company=_company(settings, organisation_name), job=details, salary=salary
    )


def profile_input(
    profile: RoleProfile, level: str, settings: JobSettings | None, organisation_name: str | None
) -> jd.JobDescriptionInput:
    """A description of a profile level before any job exists: no place and no salary yet.

    Inventing a location would put a false fact into copy meant to be published, so the work
    arrangement is left unset and the location section is omitted.
    """
    details = jd.JobDetails(
        title=default_title(level, profile.title),
        level=level,
        department=profile.job_family[0],
        employment_type="full_time",
        work_arrangement=None,
        date_posted=utcnow(),
    )
    return jd.from_profile(profile, level, company=_company(settings, organisation_name), job=details)


def overrides_of(settings: JobSettings | None) -> dict[str, str]:
    return dict(settings.template_overrides or {}) if settings is not None else {}


async def render(
    data: jd.JobDescriptionInput, fmt: Format, settings: JobSettings | None
) -> str | dict[str, Any]:
    """One format of a description for staff. An override that fails (or runs out of its budget)
    raises :class:`~rolecall.jobs.description.TemplateOverrideError`, so the editor sees why."""
    if fmt == "json":
        return jd.render_json(data)
    rendered: str = (await budgeted.render(data, overrides_of(settings), (fmt,)))[fmt]
    return rendered


async def describe(data: jd.JobDescriptionInput, overrides: Mapping[str, str]) -> dict[str, Any]:
    """Every part of the published description: the organisation's overrides, or the built-in
    templates when an override fails or runs out of its budget (logged), so a posting always goes
    out. A render done earlier with the same input comes from the cache at no cost."""
    try:
        return await budgeted.render(data, overrides)
    except jd.TemplateOverrideError as exc:
        _log.warning("job_description_override_failed", template=exc.name, error=exc.message)
        fallback = await budgeted.render(data, {})
        budgeted.remember(data, overrides, fallback)
        return fallback


async def prerender(inputs: list[jd.JobDescriptionInput], overrides: Mapping[str, str]) -> None:
    """Render descriptions ahead of a write, with no transaction open, so the write finds them cached."""
    for data in inputs:
        await describe(data, overrides)


def job_state(job: Job) -> dict[str, Any]:
    """The job's fields, JSON-ready: the ``job`` part of every job event and of the API response."""

    def iso(value: Any) -> str | None:
        return value.isoformat() if value is not None else None

    return {
        "id": str(job.id),
        "role_profile_id": str(job.role_profile_id),
        "profile_version": job.profile_version,
        "level": job.level,
        "title": job.title,
        "department": job.department,
        "employment_type": job.employment_type,
        "work_arrangement": job.work_arrangement,
        "locations": job.locations,
        "remote_countries": job.remote_countries,
        "remote_time_zones": job.remote_time_zones,
        "openings": job.openings,
        "salary": job.salary,
        "show_salary": job.show_salary,
        "hiring_team": job.hiring_team,
        "application_form": job.application_form,
        "stages": job.stages,
        "valid_through": iso(job.valid_through),
        "status": job.status,
        "close_reason": job.close_reason,
        "close_note": job.close_note,
        "first_opened_at": iso(job.first_opened_at),
        "opened_at": iso(job.opened_at),
        "closed_at": iso(job.closed_at),
        "created_at": iso(job.created_at),
        "updated_at": iso(job.updated_at),
        "version": job.version,
    }


async def build(
    job: Job, profile: RoleProfile, settings: JobSettings, organisation_name: str
) -> dict[str, Any]:
    """The public posting of an open job."""
    data = job_input(job, profile, settings, organisation_name)
    described = await describe(data, overrides_of(settings))
    spec_skills = [s for s in profile.skills if job.level in s.proficiency]
    visible = salary_visible(job, settings)
    return {
        "id": str(job.id),
        "url": f"/v1/board/postings/{job.id}",
        "title": job.title,
        "organisation": {
            "id": str(job.organisation_id),
            "slug": settings.board_slug,
            "name": organisation_name,
            "listed": settings.listed,
        },
        "level": job.level,
        "department": job.department,
        "employment_type": job.employment_type,
        "work_arrangement": job.work_arrangement,
        "locations": [
            {**loc, "display": ", ".join(p for p in (loc["city"], loc.get("region"), loc["country"]) if p)}
            for loc in job.locations
        ],
        "remote_countries": job.remote_countries,
        "remote_time_zones": job.remote_time_zones,
        "skills": [{"id": s.skill_id, "name": s.name, "must_have": s.must_have} for s in spec_skills],
        "salary": (
            {k: job.salary[k] for k in ("min", "max", "currency", "period")}
            if visible and job.salary
            else None
        ),
        "published_at": (job.first_opened_at or utcnow()).isoformat(),
        "updated_at": utcnow().isoformat(),
        "valid_through": job.valid_through.isoformat() if job.valid_through else None,
        "description": {
            "markdown": described["markdown"],
            "html": described["html"],
            "text": described["text"],
        },
        "json_ld": described["json_ld"],
        "application_form": job.application_form,
        "apply_url": f"/v1/board/postings/{job.id}/applications",
    }
