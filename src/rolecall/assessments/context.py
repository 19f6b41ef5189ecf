"""What the assessments context contributes: the bank, sessions, scoring, partners, their pages and jobs."""

from __future__ import annotations

from rolecall.assessments import handlers, service, vendor_handlers
from rolecall.assessments.candidate_pages import router as candidate_pages
from rolecall.assessments.endpoints import router
from rolecall.assessments.link_endpoints import candidate_router as link_router
from rolecall.assessments.outbound import outbound_policy
from rolecall.assessments.pages import router as pages
from rolecall.assessments.partner import base_url, deliver_callbacks
from rolecall.assessments.partner_endpoints import partner_keys_router, partner_router
from rolecall.assessments.review_pages import router as review_pages
from rolecall.assessments.session_endpoints import router as session_router
from rolecall.assessments.vendor_endpoints import vendor_callback_router, vendors_router
from rolecall.assessments.vendor_polling import poll_vendor_sessions
from rolecall.platform.contexts import (
    HIRING_MANAGER,
    RECRUITER,
    Context,
    JobScope,
    PersonalData,
    ScheduledJob,
    Scope,
)


async def _finish(scope: JobScope) -> dict[str, int]:
    return await service.finish_overdue(scope.sessionmaker, scope.settings.pii_keyring())


async def _reflag(scope: JobScope) -> int:
    return await service.refresh_flags(scope.sessionmaker)


async def _callbacks(scope: JobScope) -> dict[str, int]:
    settings = scope.settings
    policy = outbound_policy(settings.assessment_partner_allowed_hosts)
    return await deliver_callbacks(scope.sessionmaker, settings.pii_keyring(), policy)


async def _polls(scope: JobScope) -> dict[str, int]:
    settings = scope.settings
    policy = outbound_policy(settings.assessment_partner_allowed_hosts)
    public = base_url(settings.public_base_url, settings.issuer)
    return await poll_vendor_sessions(
        scope.sessionmaker, settings.pii_keyring(), settings.blind_index(), policy, base=public
    )


CONTEXT = Context(
    name="assessments",
    order=90,
    routers=(
        router,
        session_router,
        link_router,
        partner_keys_router,
        partner_router,
        vendors_router,
        vendor_callback_router,
    ),
    pages=(pages, review_pages, candidate_pages),
    handlers=(handlers, vendor_handlers),
    jobs=(
        ScheduledJob("assessments_finished", _finish),
        ScheduledJob("assessment_items_reflagged", _reflag),
        ScheduledJob("partner_callbacks", _callbacks),
        ScheduledJob("vendor_polls", _polls),
    ),
    scopes=(
        Scope(
            "assessments:read",
            "Read assessment results, item statistics and the ranking of a job's candidates",
            frozenset({RECRUITER, HIRING_MANAGER}),
        ),
        Scope(
            "assessments:write",
            "Manage the question bank, blueprints, invitations, accommodations, partner keys and vendors",
            frozenset({RECRUITER}),
        ),
        Scope(
            "assessments:mark",
            "Mark short-text answers against their rubric",
            frozenset({RECRUITER, HIRING_MANAGER}),
        ),
    ),
    personal_data=PersonalData(
        export_key="assessments",
        tables=("assessment_sessions", "assessment_responses", "assessment_marks", "assessment_signals"),
        export_candidate=service.export_candidate,
        erase_candidate=service.erase_candidate,
        rotate_keys=service.rotate_keys,
    ),
)
