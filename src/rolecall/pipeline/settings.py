"""The organisation's pipeline settings: reject reasons and the consent text applicants agree to."""

from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.audit import service as audit
from rolecall.pipeline import repository
from rolecall.pipeline.models import PipelineSettings
from rolecall.pipeline.records import problem
from rolecall.pipeline.schemas import (
    DEFAULT_CONSENT_TEXT,
    DEFAULT_CONSENT_VERSION,
    DEFAULT_REJECT_REASONS,
    PipelineSettingsUpdate,
)
from rolecall.platform.auth import Principal
from rolecall.platform.http import check_if_match


async def get_settings(session: AsyncSession, organisation_id: uuid.UUID) -> PipelineSettings:
    """The organisation's pipeline settings, created with defaults the first time they are needed."""
    settings = await repository.get_settings(session)
    if settings is None:
        settings = PipelineSettings(
            organisation_id=organisation_id,
            reject_reasons=[dict(reason) for reason in DEFAULT_REJECT_REASONS],
            consent_text=DEFAULT_CONSENT_TEXT,
            consent_version=DEFAULT_CONSENT_VERSION,
            version=1,
        )
        try:
            async with session.begin_nested():  # two first requests at once: the second reads the first's
                session.add(settings)
                await session.flush()
        except IntegrityError:
            found = await repository.get_settings(session)
            assert found is not None
            settings = found
    return settings


async def update_settings(
    session: AsyncSession, principal: Principal, body: PipelineSettingsUpdate, if_match: str
) -> PipelineSettings:
    settings = await get_settings(session, principal.organisation_id)
    check_if_match(if_match, settings.id, settings.version)
    changes = body.model_dump(exclude_unset=True, mode="json")
    new_text = "consent_text" in changes and changes["consent_text"] != settings.consent_text
    if new_text and changes.get("consent_version", settings.consent_version) == settings.consent_version:
        raise problem("consent_version", "A changed consent text needs a new consent_version.")
    for key, value in changes.items():
        if value is None:
            raise problem(key, f"{key} cannot be null.")
        setattr(settings, key, value)
    if changes:
        settings.version += 1
        await session.flush()
        audit.record(
            session,
            actor=principal.actor,
            action="pipeline_settings.updated",
            target_type="pipeline_settings",
            target_id=settings.id,
            changed_fields=sorted(changes),
        )
    return settings
