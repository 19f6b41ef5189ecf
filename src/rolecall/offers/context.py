"""What the offers context contributes: offers and approvals, the hire saga, expiry, their pages."""

from __future__ import annotations

from rolecall.offers import handlers, service
from rolecall.offers.candidate_pages import router as candidate_pages
from rolecall.offers.endpoints import router
from rolecall.offers.pages import router as pages
from rolecall.offers.saga import resume_sagas
from rolecall.offers.service import expire_offers
from rolecall.platform.contexts import (
    HIRING_MANAGER,
    RECRUITER,
    Context,
    JobScope,
    PersonalData,
    ScheduledJob,
    Scope,
)


async def _expire(scope: JobScope) -> int:
    return await expire_offers(scope.sessionmaker)


async def _resume(scope: JobScope) -> int:
    return await resume_sagas(scope.sessionmaker)


CONTEXT = Context(
    name="offers",
    order=80,
    routers=(router,),
    pages=(pages, candidate_pages),
    handlers=(handlers,),
    jobs=(ScheduledJob("offers_expired", _expire), ScheduledJob("sagas_resumed", _resume)),
    scopes=(
        Scope(
            "offers:read",
            "Read offers and their versions and approvals",
            frozenset({RECRUITER, HIRING_MANAGER}),
        ),
        Scope("offers:write", "Draft, revise, send and record answers to offers", frozenset({RECRUITER})),
        Scope(
            "offers:approve",
            "Approve or reject an offer at one's step of the approval chain",
            frozenset({HIRING_MANAGER}),
        ),
    ),
    personal_data=PersonalData(
        export_key="offers",
        tables=("offers", "offer_versions", "offer_approvals", "hire_sagas"),
        export_candidate=service.export_candidate,
        erase_candidate=service.erase_candidate,
        rotate_keys=service.rotate_keys,
    ),
)
