"""Blueprint use cases: a job's test plan, generated from its pinned profile level, edited in versions.

A blueprint belongs to one job. Its document (skills with weights and item counts, time limit,
whether candidates see their result) lives in immutable versions like a role profile's: a session
pins the version it was drawn from, so editing the plan never changes what someone already took,
and percentiles compare people who took the same version.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.assessments import blueprints, drawing, repository
from rolecall.assessments import question_bank as bank
from rolecall.assessments.models import AssessmentBlueprint, AssessmentBlueprintVersion
from rolecall.audit import service as audit
from rolecall.jobs import service as jobs
from rolecall.platform.auth import Principal
from rolecall.platform.errors import Conflict, NotFound, Unprocessable
from rolecall.platform.http import check_if_match
from rolecall.platform.ids import new_id
from rolecall.roles import service as roles


def document(version: AssessmentBlueprintVersion) -> blueprints.Blueprint:
    return blueprints.Blueprint.model_validate(version.document)


async def pool(session: AsyncSession, skill_ids: Sequence[str]) -> dict[str, list[drawing.ItemRef]]:
    """The ready item versions of these skills, grouped by skill, as the drawing needs them."""
    grouped: dict[str, list[drawing.ItemRef]] = {}
    for item, version in await repository.ready_versions(session, skill_ids):
        grouped.setdefault(item.skill_id, []).append(
            drawing.ItemRef(
                item_id=str(item.id),
                version_id=str(version.id),
                skill_id=item.skill_id,
                level=version.level,
                difficulty=version.difficulty,
                type=version.type,
            )
        )
    return grouped


async def _check_drawable(session: AsyncSession, plan: blueprints.Blueprint) -> None:
    """Refuse a plan the bank cannot fill, naming each short skill (before anyone is invited)."""
    grouped = await pool(session, [s.skill_id for s in plan.skills])
    errors = []
    for i, skill in enumerate(plan.skills):
        have = len(drawing.eligible(grouped.get(skill.skill_id, []), plan.item_types))
        if have < skill.items:
            errors.append(
                {
                    "field": f"skills.{i}.items",
                    "message": f"the bank has {have} ready item(s) for {skill.name}; {skill.items} asked for",
                }
            )
    if errors:
        raise Unprocessable("The bank cannot fill this blueprint.", extra={"errors": errors})


async def get_blueprint(
    session: AsyncSession, principal: Principal, job_id: uuid.UUID
) -> tuple[AssessmentBlueprint, AssessmentBlueprintVersion]:
    await jobs.get_job(session, principal, job_id)  # 404 for another tenant's or an unknown job
    blueprint = await repository.blueprint_of_job(session, job_id)
    if blueprint is None:
        raise NotFound("This job has no assessment blueprint yet.")
    version = await repository.blueprint_version(session, blueprint.id, blueprint.current_version)
    assert version is not None
    return blueprint, version


async def blueprint_by_id(
    session: AsyncSession, blueprint_id: uuid.UUID
) -> tuple[AssessmentBlueprint, AssessmentBlueprintVersion]:
    blueprint = await repository.get_blueprint(session, blueprint_id)
    if blueprint is None:
        raise NotFound("Blueprint not found.")
    version = await repository.blueprint_version(session, blueprint.id, blueprint.current_version)
    assert version is not None
    return blueprint, version


async def generate_blueprint(
    session: AsyncSession, principal: Principal, job_id: uuid.UUID
) -> tuple[AssessmentBlueprint, AssessmentBlueprintVersion]:
    """Generate the job's first blueprint from its pinned profile level and the organisation's bank."""
    job = await jobs.get_job(session, principal, job_id)
    if await repository.blueprint_of_job(session, job_id) is not None:
        raise Conflict("This job already has a blueprint; edit it instead.")
    await bank.ensure_starter_bank(session, principal)
    profile = (await roles.pinned_profile(session, job.role_profile_id, job.profile_version)).document
    skill_ids = [s.skill_id for s in profile.hard_skills if s.skill_id]
    grouped = await pool(session, skill_ids)
    try:
        plan = blueprints.generate(profile, job.level, grouped, title=f"{job.title} assessment")
    except ValueError as exc:
        raise Conflict(f"No blueprint can be generated for this job: {exc}.") from exc
    blueprint = AssessmentBlueprint(
        id=new_id(),
        organisation_id=principal.organisation_id,
        job_id=job.id,
        title=plan.title,
        current_version=1,
    )
    session.add(blueprint)
    version = _version(principal, blueprint, 1, plan)
    session.add(version)
    await session.flush()
    _audit(session, principal, "assessment_blueprint.created", blueprint)
    return blueprint, version


def _version(
    principal: Principal, blueprint: AssessmentBlueprint, number: int, plan: blueprints.Blueprint
) -> AssessmentBlueprintVersion:
    return AssessmentBlueprintVersion(
        organisation_id=principal.organisation_id,
        blueprint_id=blueprint.id,
        number=number,
        document=plan.model_dump(mode="json"),
        created_by=principal.actor,
    )


async def update_blueprint(
    session: AsyncSession, principal: Principal, job_id: uuid.UUID, body: dict[str, Any], if_match: str
) -> tuple[AssessmentBlueprint, AssessmentBlueprintVersion]:
    blueprint, current = await get_blueprint(session, principal, job_id)
    check_if_match(if_match, blueprint.id, blueprint.version)
    try:
        plan = blueprints.Blueprint.model_validate(body)
    except ValidationError as exc:
        raise Unprocessable("The blueprint is not valid.", extra={"errors": bank._errors(exc)}) from exc
    if plan.model_dump(mode="json") == current.document:
        return blueprint, current
    await _check_drawable(session, plan)
    blueprint.current_version += 1
    blueprint.title = plan.title
    blueprint.version += 1
    version = _version(principal, blueprint, blueprint.current_version, plan)
    session.add(version)
    await session.flush()
    _audit(session, principal, "assessment_blueprint.revised", blueprint)
    return blueprint, version


async def versions(
    session: AsyncSession, principal: Principal, job_id: uuid.UUID
) -> Sequence[AssessmentBlueprintVersion]:
    blueprint, _ = await get_blueprint(session, principal, job_id)
    return await repository.blueprint_versions(session, blueprint.id)


def _audit(session: AsyncSession, principal: Principal, action: str, blueprint: AssessmentBlueprint) -> None:
    audit.record(
        session,
        actor=principal.actor,
        action=action,
        target_type="assessment_blueprint",
        target_id=blueprint.id,
        job_id=str(blueprint.job_id),
        number=blueprint.current_version,
    )
