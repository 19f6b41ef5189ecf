"""An offer's terms: checked against the job's pay range, and kept as immutable versions."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.jobs import service as jobs
from rolecall.offers.models import Offer, OfferVersion
from rolecall.platform.auth import Principal
from rolecall.platform.clock import utcnow
from rolecall.platform.errors import Unprocessable

TERM_FIELDS = ("salary", "currency", "period", "start_date", "terms", "override_reason")


def _problem(field: str, message: str) -> Unprocessable:
    return Unprocessable(message, extra={"errors": [{"field": field, "message": message}]})


async def check_terms(
    session: AsyncSession, principal: Principal, job_id: uuid.UUID, terms: dict[str, Any]
) -> None:
    """A start date in the future and pay inside the job's range, unless a reason is given."""
    if terms["start_date"] <= utcnow().date():
        raise _problem("start_date", "start_date must be in the future.")
    salary = (await jobs.get_job(session, principal, job_id)).salary
    if salary is None or terms["override_reason"]:
        return
    period = salary.get("period", "year")
    if terms["currency"] != salary["currency"] or terms["period"] != period:
        raise _problem(
            "currency" if terms["currency"] != salary["currency"] else "period",
            f"The job's range is in {salary['currency']} per {period}; offer in the same currency "
            "and period, or give an override_reason.",
        )
    if not salary["min"] <= terms["salary"] <= salary["max"]:
        raise _problem(
            "salary",
            f"The salary is outside the job's range ({salary['min']:,}-{salary['max']:,} "
            f"{salary['currency']} per {period}); adjust it or give an override_reason.",
        )


def new_version(offer: Offer, number: int, terms: dict[str, Any], principal: Principal) -> OfferVersion:
    return OfferVersion(
        organisation_id=offer.organisation_id,
        offer_id=offer.id,
        number=number,
        created_by=principal.actor,
        created_at=utcnow(),
        **terms,
    )
