"""The description of a job as it would read with the changes on the editor's form, before saving.

It goes through the same renderer, settings and template overrides as the job's published posting
(``posting.job_input`` and ``posting.render``), applied to an unsaved copy of the job, so what the
editor shows is what the careers page will show. A field the schema refuses keeps its saved value
in the preview; the form says what is wrong with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from markupsafe import escape
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.identity import service as identity
from rolecall.jobs import posting, service
from rolecall.jobs.description import JobDescriptionInput, TemplateOverrideError
from rolecall.jobs.generator import preview_html
from rolecall.jobs.models import Job, JobSettings
from rolecall.jobs.schemas import JobUpdate
from rolecall.platform.auth import Principal
from rolecall.roles import service as roles

_DESCRIBED = (
    "title",
    "department",
    "employment_type",
    "work_arrangement",
    "locations",
    "remote_countries",
    "remote_time_zones",
    "salary",
    "valid_through",
)


def acceptable(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The fields the schema accepts, JSON-ready; the refused ones are left out."""
    body = {key: fields[key] for key in _DESCRIBED if key in fields}
    for _ in range(len(body) + 1):
        try:
            return JobUpdate.model_validate(body).model_dump(mode="json", exclude_unset=True)
        except ValidationError as exc:
            refused = {str(error["loc"][0]) for error in exc.errors() if error["loc"]}
            if not refused & body.keys():
                return {}
            body = {key: value for key, value in body.items() if key not in refused}
    return {}


def _unsaved_copy(job: Job, changes: Mapping[str, Any]) -> Job:
    draft = Job(
        **{
            name: getattr(job, name)
            for name in (*_DESCRIBED, "id", "organisation_id", "level", "show_salary", "first_opened_at")
        },
        created_at=job.created_at,
    )
    for key, value in changes.items():
        if key == "valid_through" and value is not None:
            value = JobUpdate.model_validate({"valid_through": value}).valid_through
        setattr(draft, key, value)
    return draft


async def description_input(
    session: AsyncSession, principal: Principal, job: Job, changes: Mapping[str, Any] | None = None
) -> tuple[JobDescriptionInput, JobSettings]:
    """What the description with ``changes`` is rendered from; read-only."""
    profile = (await roles.pinned_profile(session, job.role_profile_id, job.profile_version)).document
    wanted = dict(changes or {})
    if "title" in wanted and not wanted["title"]:
        wanted["title"] = posting.default_title(job.level, profile.title)
    settings = await service.get_settings(session, principal)
    organisation = await identity.get_organisation(session, principal)
    return posting.job_input(_unsaved_copy(job, wanted), profile, settings, organisation.name), settings


async def html_of(data: JobDescriptionInput, settings: JobSettings) -> str:
    """The description's HTML as the job page shows it (title as ``<h2>``, no JSON-LD block).

    An override that cannot be rendered (an error, or its budget ran out) is shown as a message
    in place of the description, so the editor says what is wrong instead of failing."""
    try:
        return preview_html(str(await posting.render(data, "html", settings)))
    except TemplateOverrideError as exc:
        return f'<p class="form-error" role="alert">{escape(str(exc))}</p>'


async def description_html(
    session: AsyncSession, principal: Principal, job: Job, changes: Mapping[str, Any] | None = None
) -> str:
    """:func:`html_of` the job with ``changes``; renders inside the caller's transaction, under the
    render budget. Routes that can should read with :func:`description_input` and render after
    their transaction (``rolecall.platform.http.AfterTransaction``)."""
    return await html_of(*await description_input(session, principal, job, changes))
