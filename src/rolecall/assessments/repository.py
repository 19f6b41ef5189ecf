"""Assessment queries. Tenant filtering is added by the platform; nothing here repeats it."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.assessments.models import (
    AssessmentBlueprint,
    AssessmentBlueprintVersion,
    AssessmentItem,
    AssessmentItemVersion,
    AssessmentJobSettings,
    AssessmentMark,
    AssessmentPartnerKey,
    AssessmentResponse,
    AssessmentSession,
    AssessmentSignal,
    AssessmentVendor,
)
from rolecall.platform.pagination import PageParams, paginate_by_id
from rolecall.platform.tenancy import all_tenants

# --- the bank -------------------------------------------------------------------------------------


async def count_items(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count(AssessmentItem.id))) or 0)


async def get_item(session: AsyncSession, item_id: uuid.UUID) -> AssessmentItem | None:
    return (await session.scalars(select(AssessmentItem).where(AssessmentItem.id == item_id))).first()


async def items_by_key(session: AsyncSession) -> dict[str, AssessmentItem]:
    return {item.key: item for item in (await session.scalars(select(AssessmentItem))).all()}


async def list_items(
    session: AsyncSession,
    params: PageParams,
    *,
    skill_id: str | None = None,
    flagged: bool | None = None,
    ready: bool | None = None,
) -> Sequence[AssessmentItem]:
    stmt = select(AssessmentItem)
    if skill_id is not None:
        stmt = stmt.where(AssessmentItem.skill_id == skill_id)
    if flagged is not None:
        stmt = stmt.where(AssessmentItem.flagged.is_(flagged))
    if ready is True:
        stmt = stmt.where(AssessmentItem.ready_version.is_not(None))
    elif ready is False:
        stmt = stmt.where(AssessmentItem.ready_version.is_(None))
    return (await session.scalars(paginate_by_id(stmt, AssessmentItem.id, params))).all()


async def item_versions(session: AsyncSession, item_id: uuid.UUID) -> Sequence[AssessmentItemVersion]:
    stmt = (
        select(AssessmentItemVersion)
        .where(AssessmentItemVersion.item_id == item_id)
        .order_by(AssessmentItemVersion.number)
    )
    return (await session.scalars(stmt)).all()


async def item_version(
    session: AsyncSession, item_id: uuid.UUID, number: int
) -> AssessmentItemVersion | None:
    stmt = select(AssessmentItemVersion).where(
        AssessmentItemVersion.item_id == item_id, AssessmentItemVersion.number == number
    )
    return (await session.scalars(stmt)).first()


async def versions_by_id(
    session: AsyncSession, version_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, AssessmentItemVersion]:
    if not version_ids:
        return {}
    stmt = select(AssessmentItemVersion).where(AssessmentItemVersion.id.in_(list(version_ids)))
    return {v.id: v for v in (await session.scalars(stmt)).all()}


async def ready_versions(
    session: AsyncSession, skill_ids: Sequence[str]
) -> Sequence[tuple[AssessmentItem, AssessmentItemVersion]]:
    """Every item of these skills with the version new sessions draw (items flagged for review too:
    a flag asks a person to look, it does not take the item out of use)."""
    stmt = (
        select(AssessmentItem, AssessmentItemVersion)
        .join(
            AssessmentItemVersion,
            (AssessmentItemVersion.item_id == AssessmentItem.id)
            & (AssessmentItemVersion.number == AssessmentItem.ready_version),
        )
        .where(AssessmentItem.skill_id.in_(list(skill_ids)))
        .order_by(AssessmentItem.key)
    )
    return [(item, version) for item, version in (await session.execute(stmt)).all()]


async def all_ready_versions(session: AsyncSession) -> Sequence[AssessmentItemVersion]:
    stmt = select(AssessmentItemVersion).join(
        AssessmentItem,
        (AssessmentItemVersion.item_id == AssessmentItem.id)
        & (AssessmentItemVersion.number == AssessmentItem.ready_version),
    )
    return (await session.scalars(stmt)).all()


# --- blueprints -----------------------------------------------------------------------------------


async def blueprint_of_job(session: AsyncSession, job_id: uuid.UUID) -> AssessmentBlueprint | None:
    stmt = select(AssessmentBlueprint).where(AssessmentBlueprint.job_id == job_id)
    return (await session.scalars(stmt)).first()


async def get_blueprint(session: AsyncSession, blueprint_id: uuid.UUID) -> AssessmentBlueprint | None:
    stmt = select(AssessmentBlueprint).where(AssessmentBlueprint.id == blueprint_id)
    return (await session.scalars(stmt)).first()


async def list_blueprints(session: AsyncSession) -> Sequence[AssessmentBlueprint]:
    stmt = select(AssessmentBlueprint).order_by(AssessmentBlueprint.title, AssessmentBlueprint.id)
    return (await session.scalars(stmt)).all()


async def blueprint_version(
    session: AsyncSession, blueprint_id: uuid.UUID, number: int
) -> AssessmentBlueprintVersion | None:
    stmt = select(AssessmentBlueprintVersion).where(
        AssessmentBlueprintVersion.blueprint_id == blueprint_id, AssessmentBlueprintVersion.number == number
    )
    return (await session.scalars(stmt)).first()


async def blueprint_versions(
    session: AsyncSession, blueprint_id: uuid.UUID
) -> Sequence[AssessmentBlueprintVersion]:
    stmt = (
        select(AssessmentBlueprintVersion)
        .where(AssessmentBlueprintVersion.blueprint_id == blueprint_id)
        .order_by(AssessmentBlueprintVersion.number)
    )
    return (await session.scalars(stmt)).all()


# --- sessions -------------------------------------------------------------------------------------


async def get_session(session: AsyncSession, session_id: uuid.UUID) -> AssessmentSession | None:
    stmt = select(AssessmentSession).where(AssessmentSession.id == session_id)
    return (await session.scalars(stmt)).first()


async def session_by_token(session: AsyncSession, token_hash: str) -> AssessmentSession | None:
    """Across organisations on purpose: the link is the candidate's only key, and its keyed hash is
    unique across the table, so it names exactly one session wherever it lives."""
    stmt = (
        select(AssessmentSession)
        .where(AssessmentSession.token_hash == token_hash)
        .execution_options(**all_tenants())
    )
    return (await session.scalars(stmt)).first()


async def sessions_of_application(
    session: AsyncSession, application_id: uuid.UUID
) -> Sequence[AssessmentSession]:
    stmt = (
        select(AssessmentSession)
        .where(AssessmentSession.application_id == application_id)
        .order_by(AssessmentSession.id)
    )
    return (await session.scalars(stmt)).all()


async def sessions_of_candidate(
    session: AsyncSession, candidate_id: uuid.UUID
) -> Sequence[AssessmentSession]:
    stmt = select(AssessmentSession).where(AssessmentSession.candidate_id == candidate_id)
    return (await session.scalars(stmt)).all()


async def list_sessions(
    session: AsyncSession,
    params: PageParams,
    *,
    job_id: uuid.UUID | None = None,
    application_id: uuid.UUID | None = None,
    status: str | None = None,
) -> Sequence[AssessmentSession]:
    stmt = select(AssessmentSession)
    if job_id is not None:
        stmt = stmt.where(AssessmentSession.job_id == job_id)
    if application_id is not None:
        stmt = stmt.where(AssessmentSession.application_id == application_id)
    if status is not None:
        stmt = stmt.where(AssessmentSession.status == status)
    return (await session.scalars(paginate_by_id(stmt, AssessmentSession.id, params))).all()


async def scored_sessions_of_job(session: AsyncSession, job_id: uuid.UUID) -> Sequence[AssessmentSession]:
    """The job's finished sessions (marking included), newest first per application."""
    stmt = (
        select(AssessmentSession)
        .where(AssessmentSession.job_id == job_id, AssessmentSession.status.in_(("scored", "marking")))
        .order_by(AssessmentSession.submitted_at.desc(), AssessmentSession.id.desc())
    )
    return (await session.scalars(stmt)).all()


async def totals_of_blueprint(session: AsyncSession, blueprint_id: uuid.UUID, number: int) -> list[float]:
    stmt = select(AssessmentSession.total).where(
        AssessmentSession.blueprint_id == blueprint_id,
        AssessmentSession.blueprint_version == number,
        AssessmentSession.status.in_(("scored", "marking")),
        AssessmentSession.total.is_not(None),
    )
    return [float(t) for t in (await session.scalars(stmt)).all() if t is not None]


async def overdue_sessions(session: AsyncSession, now: datetime) -> Sequence[AssessmentSession]:
    """Started sessions past their deadline, and invitations past their link's expiry (all tenants:
    the worker finishes them for every organisation)."""
    stmt = (
        select(AssessmentSession)
        .where(
            ((AssessmentSession.status == "started") & (AssessmentSession.deadline_at < now))
            | ((AssessmentSession.status == "invited") & (AssessmentSession.expires_at < now))
        )
        .order_by(AssessmentSession.id)
        .limit(500)
        .execution_options(**all_tenants())
    )
    return (await session.scalars(stmt)).all()


# --- responses, marks, signals ----------------------------------------------------------------------


async def responses(session: AsyncSession, session_id: uuid.UUID) -> Sequence[AssessmentResponse]:
    stmt = (
        select(AssessmentResponse)
        .where(AssessmentResponse.session_id == session_id)
        .order_by(AssessmentResponse.recorded_at, AssessmentResponse.id)
    )
    return (await session.scalars(stmt)).all()


async def marks(session: AsyncSession, session_id: uuid.UUID) -> Sequence[AssessmentMark]:
    stmt = (
        select(AssessmentMark)
        .where(AssessmentMark.session_id == session_id)
        .order_by(AssessmentMark.created_at, AssessmentMark.id)
    )
    return (await session.scalars(stmt)).all()


async def signals(session: AsyncSession, session_id: uuid.UUID) -> Sequence[AssessmentSignal]:
    stmt = (
        select(AssessmentSignal)
        .where(AssessmentSignal.session_id == session_id)
        .order_by(AssessmentSignal.at, AssessmentSignal.id)
    )
    return (await session.scalars(stmt)).all()


async def marking_sessions(session: AsyncSession, job_id: uuid.UUID | None) -> Sequence[AssessmentSession]:
    stmt = select(AssessmentSession).where(AssessmentSession.status == "marking")
    if job_id is not None:
        stmt = stmt.where(AssessmentSession.job_id == job_id)
    return (await session.scalars(stmt.order_by(AssessmentSession.submitted_at, AssessmentSession.id))).all()


async def item_credits(
    session: AsyncSession, version_ids: Sequence[uuid.UUID]
) -> Sequence[tuple[uuid.UUID, float, float, list[dict[str, Any]]]]:
    """(version id, credit, session total, session skills) for every finished answer to these
    versions; the newest mark per answer counts (marks are append-only)."""
    if not version_ids:
        return []
    stmt = (
        select(
            AssessmentMark.item_version_id,
            AssessmentMark.credit,
            AssessmentMark.session_id,
            AssessmentMark.position,
            AssessmentMark.created_at,
            AssessmentSession.total,
            AssessmentSession.skill_scores,
        )
        .join(AssessmentSession, AssessmentSession.id == AssessmentMark.session_id)
        .where(AssessmentMark.item_version_id.in_(list(version_ids)), AssessmentSession.status == "scored")
        .order_by(AssessmentMark.created_at, AssessmentMark.id)
    )
    newest: dict[tuple[uuid.UUID, int], tuple[uuid.UUID, float | None, float, list[dict[str, Any]]]] = {}
    for version_id, credit, session_id, position, _at, total, skills in (await session.execute(stmt)).all():
        newest[(session_id, position)] = (version_id, credit, float(total or 0.0), list(skills or []))
    return [(v, float(c), t, k) for v, c, t, k in newest.values() if c is not None]


async def organisations_with_items(session: AsyncSession) -> list[uuid.UUID]:
    stmt = select(AssessmentItem.organisation_id).distinct().execution_options(**all_tenants())
    return list((await session.scalars(stmt)).all())


# --- settings, partners, vendors ---------------------------------------------------------------------


async def job_settings(session: AsyncSession, job_id: uuid.UUID) -> AssessmentJobSettings | None:
    stmt = select(AssessmentJobSettings).where(AssessmentJobSettings.job_id == job_id)
    return (await session.scalars(stmt)).first()


async def partner_key_by_hash(session: AsyncSession, key_hash: str) -> AssessmentPartnerKey | None:
    """Across organisations: the key is how a partner says which organisation it calls for."""
    stmt = (
        select(AssessmentPartnerKey)
        .where(AssessmentPartnerKey.key_hash == key_hash, AssessmentPartnerKey.revoked_at.is_(None))
        .execution_options(**all_tenants())
    )
    return (await session.scalars(stmt)).first()


async def partner_keys(session: AsyncSession) -> Sequence[AssessmentPartnerKey]:
    return (await session.scalars(select(AssessmentPartnerKey).order_by(AssessmentPartnerKey.id))).all()


async def get_vendor(session: AsyncSession, vendor_id: uuid.UUID) -> AssessmentVendor | None:
    return (await session.scalars(select(AssessmentVendor).where(AssessmentVendor.id == vendor_id))).first()


async def vendors(session: AsyncSession) -> Sequence[AssessmentVendor]:
    return (await session.scalars(select(AssessmentVendor).order_by(AssessmentVendor.id))).all()
