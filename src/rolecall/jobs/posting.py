"""A job as the outside world sees it: description inputs, the public posting, the event state.

The public posting is what ``job.opened`` / ``job.updated`` events carry to the board. It holds only
public facts (no hiring team, no override reasons, salary only when pay is shown), already rendered,
so the board serves it without calling back into this context.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from rolecall.jobs import description as jd
from rolecall.jobs.models import Job, JobSettings
from rolecall.platform.clock import utcnow
from rolecall.roles.library.schema import RoleProfile

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


def render(data: jd.JobDescriptionInput, fmt: Format, settings: JobSettings | None) -> str | dict[str, Any]:
    overrides = settings.template_overrides if settings is not None else None
    if fmt == "markdown":
        return jd.render_markdown(data, overrides=overrides)
    if fmt == "html":
        return jd.render_html(data, overrides=overrides)
    return jd.render_json(data)


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


def build(job: Job, profile: RoleProfile, settings: JobSettings, organisation_name: str) -> dict[str, Any]:
    """The public posting of an open job."""
    data = job_input(job, profile, settings, organisation_name)
    overrides = settings.template_overrides or None
    html = jd.render_html(data, overrides=overrides)
    markdown = jd.render_markdown(data, overrides=overrides)
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
            "markdown": markdown,
            "html": html,
            "text": jd.render_text(data, overrides=overrides),
        },
        "json_ld": jd.job_posting_jsonld(data, overrides=overrides),
        "application_form": job.application_form,
        "apply_url": f"/v1/board/postings/{job.id}/applications",
    }
